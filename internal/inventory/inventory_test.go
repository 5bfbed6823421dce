package inventory

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/package-url/packageurl-go"

	"github.com/hullscan/hullscan/internal/model"
)

func TestParsersContract(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Parsers() {
		if p.Name() == "" || seen[p.Name()] {
			t.Errorf("parser name %q empty or duplicated", p.Name())
		}
		seen[p.Name()] = true
		if p.Version() < 1 || p.MaxSize() <= 0 {
			t.Errorf("%s: version %d, max size %d", p.Name(), p.Version(), p.MaxSize())
		}
	}
}

// TestMatch lists which parser (by name) must claim each path; "" means none. No path may be claimed twice.
func TestMatch(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{"/var/lib/dpkg/status", "dpkg-status"},
		{"/var/lib/dpkg/status-old", ""},
		{"/var/lib/dpkg/available", ""},
		{"/var/lib/dpkg/status.d/libc6", "dpkg-status-d"},
		{"/var/lib/dpkg/status.d/base", "dpkg-status-d"},
		{"/var/lib/dpkg/status.d/libc6.md5sums", ""},
		{"/var/lib/dpkg/status.d/", ""},
		{"/var/lib/dpkg/status.d", ""},
		{"/var/lib/dpkg/status.d/sub/libc6", ""},
		{"/lib/apk/db/installed", "apk-installed"},
		{"/usr/lib/apk/db/installed", "apk-installed"},
		{"/lib/apk/db/installed.new", ""},
		{"/etc/apk/world", ""},
		{"/var/lib/rpm/Packages", "rpmdb"},
		{"/var/lib/rpm/Packages.db", "rpmdb"},
		{"/var/lib/rpm/rpmdb.sqlite", "rpmdb"},
		{"/usr/lib/sysimage/rpm/Packages", "rpmdb"},
		{"/usr/lib/sysimage/rpm/Packages.db", "rpmdb"},
		{"/usr/lib/sysimage/rpm/rpmdb.sqlite", "rpmdb"},
		{"/var/lib/rpm/rpmdb.sqlite-shm", ""},
		{"/var/lib/rpm/Name", ""},
		{"/root/var/lib/rpm/Packages", ""},
		{"var/lib/dpkg/status", ""},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range Parsers() {
			if p.Match(tt.path) {
				got = append(got, p.Name())
			}
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("Match(%q) claimed by %v, want %q", tt.path, got, tt.want)
		}
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func names(pkgs []model.Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.Name)
	}
	return out
}

// checkParsed asserts what every parser promises for any input, and that the packages survive Finalize into
// purls that parse back to the same name and version: used by the unit tests and the fuzz targets.
func checkParsed(t *testing.T, eco model.Ecosystem, path string, distro *model.OS, pkgs []model.Package, err error) {
	t.Helper()
	if err != nil {
		if pkgs != nil {
			t.Fatalf("error %v returned with %d packages", err, len(pkgs))
		}
		if !strings.Contains(err.Error(), path) {
			t.Fatalf("error %q does not name %s", err, path)
		}
		return
	}
	for _, p := range pkgs {
		if p.Ecosystem != eco || !isToken(p.Name) || !isToken(p.Version) || p.Location != path ||
			p.SourceName == "" || p.SourceVersion == "" || p.PURL != "" || p.ID != "" {
			t.Fatalf("bad package %+v", p)
		}
	}
	fin := append([]model.Package(nil), pkgs...)
	Finalize(distro, fin)
	for _, p := range fin {
		u, err := packageurl.FromString(p.PURL)
		if err != nil {
			t.Fatalf("purl %q of %+v: %v", p.PURL, p, err)
		}
		wantVersion := p.Version
		if p.Epoch != nil {
			wantVersion = stripEpoch(wantVersion)
		}
		wantName := p.Name
		if eco != model.RPM {
			wantName = strings.ToLower(wantName) // purl-spec canonical form for deb and apk
		}
		if u.Type != string(eco) || u.Name != wantName || u.Version != wantVersion || len(p.ID) != 16 {
			t.Fatalf("purl %q (id %q) does not round-trip %+v", p.PURL, p.ID, p)
		}
	}
}

func parse(t *testing.T, p Parser, path string, data []byte) ([]model.Package, error) {
	t.Helper()
	return p.Parse(path, bytes.NewReader(data), int64(len(data)))
}
