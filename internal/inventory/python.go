package inventory

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/hullscan/hullscan/internal/model"
)

// pythonParsers lists this ecosystem's parsers.
func pythonParsers() []Parser {
	return []Parser{
		PythonInstalled{},
		PythonRequirements{},
		PoetryLock{},
		PipfileLock{},
		UVLock{},
		PDMLock{},
		CondaMeta{},
	}
}

const (
	// METADATA and PKG-INFO carry the long description after the headers; only the headers are read.
	pyMetadataMaxSize = 16 << 20
	// Lockfiles of large projects with per-wheel hashes reach a few MiB; uv.lock and poetry.lock of monorepos more.
	pyLockMaxSize = 64 << 20
)

// readLangFile reads a whole lockfile or manifest, failing (rather than truncating) when it is larger than max.
func readLangFile(p string, r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("parse %s: larger than %d bytes", p, max)
	}
	return b, nil
}

// pyPackage is a PyPI package with the name as the file writes it (the purl applies PEP 503).
func pyPackage(p, name, version string) model.Package {
	return model.Package{Ecosystem: model.PyPI, Name: name, Version: version, Location: p}
}

// pyDedup drops repeated (PEP 503 name, version) pairs, keeping the first, and merges Dev so that a package that is
// both a runtime and a development dependency counts as runtime, and Dependency so that direct wins.
func pyDedup(pkgs []model.Package) []model.Package {
	seen := map[string]int{}
	out := pkgs[:0]
	for _, p := range pkgs {
		k := pep503(p.Name) + "\x00" + p.Version
		if i, ok := seen[k]; ok {
			out[i].Dev = out[i].Dev && p.Dev
			if p.Dependency == model.DependencyDirect {
				out[i].Dependency = model.DependencyDirect
			}
			continue
		}
		seen[k] = len(out)
		out = append(out, p)
	}
	return out
}

// PythonInstalled reads the metadata file of an installed distribution, the way importlib.metadata finds them:
//
//	NAME-VERSION.dist-info/METADATA            (wheels, pip, uv, Debian's newer packages)
//	NAME-VERSION.egg-info/PKG-INFO             (setuptools; Debian's python3-* packages mostly)
//	NAME-VERSION.egg-info                      (a single file: distutils and old Debian packages)
//	NAME-VERSION-pyX.Y.egg/EGG-INFO/PKG-INFO   (unzipped eggs)
//
// Directory forms are matched anywhere (an editable install leaves src/NAME.egg-info/PKG-INFO in the project, and
// `pip install --target` puts dist-info in any directory; Syft and Trivy match them anywhere too). The single-file
// egg-info is only matched inside site-packages or dist-packages, where Python reads it: elsewhere a file with that
// suffix is too weak a sign. Name and version come from the headers, never from the directory name, which pip
// normalises and setuptools mangles ("python_dateutil-2.8.2.egg-info" holds "python-dateutil").
type PythonInstalled struct{}

func (PythonInstalled) Name() string   { return "python-installed" }
func (PythonInstalled) Version() int   { return 1 }
func (PythonInstalled) MaxSize() int64 { return pyMetadataMaxSize }

func (PythonInstalled) Match(p string) bool {
	base := path.Base(p)
	switch base {
	case "METADATA":
		return strings.HasSuffix(path.Dir(p), ".dist-info")
	case "PKG-INFO":
		dir := path.Dir(p)
		return strings.HasSuffix(dir, ".egg-info") || (path.Base(dir) == "EGG-INFO" && strings.HasSuffix(path.Dir(dir), ".egg"))
	}
	return strings.HasSuffix(base, ".egg-info") && len(base) > len(".egg-info") && pyInSitePackages(p)
}

func pyInSitePackages(p string) bool {
	return strings.Contains(p, "/site-packages/") || strings.Contains(p, "/dist-packages/")
}

func (PythonInstalled) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	h, err := readPyMetadataHeaders(r, pyMetadataMaxSize)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	name, version := h.get("Name"), h.get("Version")
	if !isPyName(name) || !isToken(version) {
		return nil, fmt.Errorf("parse %s: no valid Name and Version headers (%q, %q)", p, name, version)
	}
	pkg := pyPackage(p, name, version)
	pkg.Licenses = pyLicenses(h)
	return []model.Package{pkg}, nil
}

// pyHeaders holds the header block of a core-metadata file (RFC 822 style, as email.parser reads it).
type pyHeaders map[string][]string

func (h pyHeaders) get(k string) string {
	if v := h[strings.ToLower(k)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// readPyMetadataHeaders reads "Key: value" lines up to the first blank line (after which comes the description
// body in Metadata-Version 2.1+). Continuation lines (leading space or tab) extend the previous value with a
// newline, the way multi-line License texts are written. Keys are case-insensitive, as in email headers.
func readPyMetadataHeaders(r io.Reader, max int64) (pyHeaders, error) {
	h := pyHeaders{}
	lr := &io.LimitedReader{R: r, N: max + 1}
	br := bufio.NewReaderSize(lr, 32<<10)
	var last string // lower-case key of the previous header, for continuations
	first := true
	for {
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if lr.N <= 0 {
			return nil, fmt.Errorf("headers larger than %d bytes", max)
		}
		if first {
			line = strings.TrimPrefix(line, "\ufeff")
			first = false
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if len(h) > 0 || err != nil {
				return h, nil
			}
			// Leading blank lines: keep looking for the headers.
		case line[0] == ' ' || line[0] == '\t':
			if last != "" {
				vs := h[last]
				vs[len(vs)-1] += "\n" + strings.TrimSpace(line)
			}
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok || k == "" || strings.ContainsAny(k, " \t") {
				last = ""
				continue
			}
			last = strings.ToLower(k)
			h[last] = append(h[last], strings.TrimSpace(v))
		}
		if err != nil { // io.EOF
			return h, nil
		}
	}
}

// pyLicenses says what the metadata declares, preferring the most precise form: the SPDX License-Expression of
// Metadata 2.4, then a short License field (setuptools copies a whole licence text there surprisingly often, and
// writes "UNKNOWN" when there is none), then the trove classifiers' last component ("MIT License").
func pyLicenses(h pyHeaders) []string {
	if e := strings.TrimSpace(h.get("License-Expression")); e != "" {
		return []string{e}
	}
	if l := strings.TrimSpace(h.get("License")); l != "" && !strings.EqualFold(l, "UNKNOWN") && len(l) <= 100 &&
		!strings.Contains(l, "\n") {
		return []string{l}
	}
	var out []string
	for _, c := range h["classifier"] {
		parts := strings.Split(c, "::")
		if len(parts) < 2 || strings.TrimSpace(parts[0]) != "License" {
			continue
		}
		last := strings.TrimSpace(parts[len(parts)-1])
		if last == "" || last == "OSI Approved" {
			continue
		}
		out = append(out, last)
	}
	return out
}

// PythonRequirements reads pip requirements files: requirements.txt, requirements-dev.txt, requirements_test.txt
// and any *.txt in a requirements/ directory. Only exact pins (name==version, name===version) are packages: a range
// or a bare name says what may be installed, not what is, so those are reported back as unresolved (a Partial
// error) and never guessed. Files inside site-packages are skipped: a requirements.txt shipped in an installed
// distribution is its author's development manifest, not something installed here; so are files under
// /usr/share/doc (Debian's python3-pip ships its documentation build's requirements.txt there).
//
// "-r other.txt" and "-c constraints.txt" are not followed (a parser sees one file); the included file is read on
// its own when its name matches. Other options (-i, --hash, -e ...) are skipped; editable and URL requirements
// have no version and count as unresolved. Environment markers are not evaluated: a pinned requirement is listed
// whatever its marker, since the file says it is installed somewhere.
type PythonRequirements struct{}

func (PythonRequirements) Name() string   { return "python-requirements" }
func (PythonRequirements) Version() int   { return 1 }
func (PythonRequirements) MaxSize() int64 { return 8 << 20 }

func (PythonRequirements) Match(p string) bool {
	base := path.Base(p)
	if !strings.HasSuffix(base, ".txt") || pyInSitePackages(p) || strings.HasPrefix(p, "/usr/share/doc/") {
		return false
	}
	return strings.HasPrefix(base, "requirements") || path.Base(path.Dir(p)) == "requirements"
}

func (PythonRequirements) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	b, err := readLangFile(p, r, 8<<20)
	if err != nil {
		return nil, err
	}
	reqs := parseRequirements(b)
	var pkgs []model.Package
	var unpinned []string
	for _, rq := range reqs {
		if rq.version == "" {
			unpinned = append(unpinned, rq.raw)
			continue
		}
		pkgs = append(pkgs, pyPackage(p, rq.name, rq.version))
	}
	pkgs = pyDedup(pkgs)
	if len(unpinned) > 0 {
		return pkgs, &Partial{Err: fmt.Errorf("parse %s: %s", p, requirementsUnpinnedMessage(unpinned))}
	}
	return pkgs, nil
}

// requirementsUnpinnedMessage summarises the requirements that have no exact version, naming the first few.
func requirementsUnpinnedMessage(unpinned []string) string {
	const show = 8
	list := unpinned
	more := ""
	if len(list) > show {
		list, more = list[:show], fmt.Sprintf(", and %d more", len(unpinned)-show)
	}
	return fmt.Sprintf("%d requirement(s) without an exact == version not resolved: %s%s", len(unpinned),
		strings.Join(list, ", "), more)
}

// requirementsUnpinned lists the requirements of a requirements file that have no exact pin, as written.
func requirementsUnpinned(data []byte) []string {
	var out []string
	for _, rq := range parseRequirements(data) {
		if rq.version == "" {
			out = append(out, rq.raw)
		}
	}
	return out
}

type pyRequirement struct {
	name, version string // version empty when not pinned exactly
	raw           string // the requirement as written, without hashes, markers and comments
}

// parseRequirements returns every requirement line of a pip requirements file, in order.
func parseRequirements(data []byte) []pyRequirement {
	text := decodeRequirementsText(data)
	var out []pyRequirement
	var logical strings.Builder
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		line = strings.TrimRight(line, "\r")
		// pip strips comments before joining continuations; a comment ends at the line's end.
		line = stripRequirementsComment(line)
		if strings.HasSuffix(line, "\\") {
			logical.WriteString(strings.TrimSuffix(line, "\\"))
			logical.WriteByte(' ')
			if i < len(lines)-1 {
				continue
			}
		} else {
			logical.WriteString(line)
		}
		full := strings.TrimSpace(logical.String())
		logical.Reset()
		if rq, ok := parseRequirementLine(full); ok {
			out = append(out, rq)
		}
	}
	return out
}

// decodeRequirementsText handles the encodings pip accepts through its BOM detection: UTF-8 with or without BOM
// and UTF-16 (what `pip freeze > requirements.txt` writes in Windows PowerShell).
func decodeRequirementsText(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return string(b[3:])
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		le := b[0] == 0xFF
		b = b[2:]
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			if le {
				u = append(u, uint16(b[i])|uint16(b[i+1])<<8)
			} else {
				u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
			}
		}
		return string(utf16.Decode(u))
	}
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(b)
}

// stripRequirementsComment removes a "#" comment: at the start of a line, or after whitespace (pip's rule, so
// that URL fragments like "#egg=name" survive).
func stripRequirementsComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return line[:i]
		}
	}
	return line
}

// parseRequirementLine parses one logical line. ok is false for blank lines and option lines other than
// editable requirements.
func parseRequirementLine(line string) (pyRequirement, bool) {
	if line == "" {
		return pyRequirement{}, false
	}
	if strings.HasPrefix(line, "-") {
		// Options: -r/-c includes, index options, --hash lines on their own... Only an editable install is a
		// requirement, and it never has a version.
		for _, pre := range []string{"-e ", "-e\t", "--editable ", "--editable="} {
			if strings.HasPrefix(line, pre) {
				return pyRequirement{raw: strings.TrimSpace(line)}, true
			}
		}
		return pyRequirement{}, false
	}
	// Per-requirement options (--hash=..., --config-settings ...) follow the requirement after whitespace.
	if i := strings.Index(line, " --"); i >= 0 {
		line = line[:i]
	}
	if i := strings.Index(line, "\t--"); i >= 0 {
		line = line[:i]
	}
	spec := line
	if i := strings.IndexByte(spec, ';'); i >= 0 {
		spec = spec[:i] // environment marker
	}
	spec = strings.TrimSpace(spec)
	raw := spec
	if raw == "" {
		return pyRequirement{}, false
	}
	// The name: letters, digits, ".", "_", "-" (PEP 508). Anything else (a path, a URL) has no name we can trust.
	n := 0
	for n < len(spec) && isPyNameByte(spec[n]) {
		n++
	}
	name := spec[:n]
	if !isPyName(name) || strings.Contains(spec, "://") || strings.HasPrefix(spec, ".") {
		return pyRequirement{raw: raw}, true
	}
	rest := strings.TrimSpace(spec[n:])
	if strings.HasPrefix(rest, "[") { // extras
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return pyRequirement{raw: raw}, true
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	if strings.HasPrefix(rest, "@") { // PEP 508 direct reference: a URL, never a version
		return pyRequirement{name: name, raw: raw}, true
	}
	// Versions may be in parentheses in old-style requirements: "name (==1.0)".
	rest = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(rest, "("), ")"))
	rq := pyRequirement{name: name, raw: raw}
	if strings.Contains(rest, ",") {
		return rq, true // several specifiers: a range, even if one of them is ==
	}
	var v string
	switch {
	case strings.HasPrefix(rest, "==="):
		v = rest[3:]
	case strings.HasPrefix(rest, "=="):
		v = rest[2:]
	default:
		return rq, true
	}
	v = strings.TrimSpace(v)
	if !isToken(v) || strings.Contains(v, "*") {
		return rq, true // "==1.*" is a prefix match, not a pin
	}
	rq.version = v
	return rq, true
}

// isPyName reports whether s is a valid PEP 508 project name: letters, digits, ".", "_" and "-", beginning and
// ending with a letter or digit. Anything else cannot be looked up on PyPI, nor written as a purl.
func isPyName(s string) bool {
	if s == "" || !isPyAlnum(s[0]) || !isPyAlnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isPyNameByte(s[i]) {
			return false
		}
	}
	return true
}

func isPyAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isPyNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}
