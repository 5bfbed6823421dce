package inventory

import (
	"bufio"
	"io"
	"regexp"
	"sort"
	"strings"
)

// dpkg records no licence; Debian keeps it in /usr/share/doc/<package>/copyright, machine-readable (DEP-5) for
// most packages since 2012 and free text for the rest. The scan parses these files per layer and attaches the
// licences to the deb packages of the same name after the merge (the doc directory is often a symlink to another
// package's, which the merged tree resolves).

const debCopyrightMaxSize = 4 << 20

// IsDebCopyright reports whether path is a Debian package's copyright file, and for which package.
func IsDebCopyright(path string) (pkg string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/usr/share/doc/")
	if !ok {
		return "", false
	}
	pkg, file, ok := strings.Cut(rest, "/")
	if !ok || file != "copyright" || pkg == "" {
		return "", false
	}
	return pkg, true
}

// DebCopyrightPath is where the copyright file of a deb package lives.
func DebCopyrightPath(pkg string) string { return "/usr/share/doc/" + pkg + "/copyright" }

// DebCopyrightMaxSize caps the copyright files read.
func DebCopyrightMaxSize() int64 { return debCopyrightMaxSize }

var commonLicenseRef = regexp.MustCompile(`/usr/share/common-licenses/([A-Za-z0-9][A-Za-z0-9.+_-]*[A-Za-z0-9+])`)

// ParseDebCopyright returns the licences a copyright file names: the first line of every DEP-5 "License:" field,
// and, for free-text files (no License field), the /usr/share/common-licenses/<name> files they point to. Sorted, without
// duplicates (ignoring case: files spell "BSD-3-clause" and "BSD-3-Clause" side by side; the first spelling
// wins); nil when none is named. It never fails: an unreadable tail only shortens the list.
func ParseDebCopyright(r io.Reader) []string {
	seen := map[string]string{} // lower-case → first spelling
	add := func(l string) {
		if k := strings.ToLower(l); seen[k] == "" {
			seen[k] = l
		}
	}
	var refs []string // common-licenses references, used only when the file names no License field
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := cutFieldCI(line, "License:"); ok {
			if v = strings.TrimSpace(v); v != "" {
				add(v)
			}
			continue
		}
		for _, m := range commonLicenseRef.FindAllStringSubmatch(line, -1) {
			refs = append(refs, strings.TrimSuffix(m[1], "."))
		}
	}
	// In a DEP-5 file the references sit in License paragraphs' bodies ("the full text … is in
	// /usr/share/common-licenses/GPL-2") and would add a looser duplicate of the field's own value.
	if len(seen) == 0 {
		for _, l := range refs {
			add(l)
		}
	}
	if len(seen) == 0 {
		return nil
	}
	out := make([]string, 0, len(seen))
	for _, l := range seen {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// cutFieldCI cuts a field name at the start of a line, ignoring case; continuation lines (leading space) never
// match.
func cutFieldCI(line, field string) (string, bool) {
	if len(line) < len(field) || !strings.EqualFold(line[:len(field)], field) {
		return "", false
	}
	return line[len(field):], true
}
