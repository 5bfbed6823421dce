package inventory

import (
	"bufio"
	"io"
	"path"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
)

// Language packages installed by the OS package manager (Debian's python3-*, ruby-*, lib*-java) are really there
// and stay in the inventory, but the distribution patches them: matching must use the distribution's advisories,
// not upstream's. These helpers find which OS package installed a file: dpkg lists each package's files in
// /var/lib/dpkg/info/<package>[:<arch>].list; apk and rpm parsers record them in Package.Files.

const dpkgListMaxSize = 16 << 20

// IsDpkgList reports whether path is a dpkg file list, and for which package.
func IsDpkgList(p string) (pkg string, ok bool) {
	rest, ok := strings.CutPrefix(p, "/var/lib/dpkg/info/")
	if !ok || strings.Contains(rest, "/") {
		return "", false
	}
	name, ok := strings.CutSuffix(rest, ".list")
	if !ok || name == "" {
		return "", false
	}
	name, _, _ = strings.Cut(name, ":") // "libc6:amd64.list" on multi-arch systems
	return name, true
}

// DpkgListPaths are where a package's file list may be.
func DpkgListPaths(p *model.Package) []string {
	return []string{"/var/lib/dpkg/info/" + p.Name + ".list", "/var/lib/dpkg/info/" + p.Name + ":" + p.Arch + ".list"}
}

// DpkgListMaxSize caps the file lists read.
func DpkgListMaxSize() int64 { return dpkgListMaxSize }

// ParseDpkgList returns the paths a dpkg .list file names (one absolute path per line; "/." for the root).
func ParseDpkgList(r io.Reader) []string {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(l, "/") || l == "/." {
			continue
		}
		out = append(out, path.Clean(l))
	}
	return out
}

// LinkOwners sets OSPackage on every language package whose record file belongs to an OS package. owners maps a
// path to "<ecosystem>:<name>". Only the file itself counts, never a directory above it: dpkg lists directories
// too, and python3.11 "owns" /usr/local/lib/python3.11/dist-packages, where pip installs packages of its own. A
// package found inside an archive ("/x.jar!/inner.jar") is owned when the outer file is.
func LinkOwners(pkgs []model.Package, owners map[string]string) {
	if len(owners) == 0 {
		return
	}
	for i := range pkgs {
		p := &pkgs[i]
		if p.Ecosystem.IsOS() || p.OSPackage != "" || p.Location == "" {
			continue
		}
		loc, _, _ := strings.Cut(p.Location, "!")
		if o, ok := owners[loc]; ok {
			p.OSPackage = o
		}
	}
}
