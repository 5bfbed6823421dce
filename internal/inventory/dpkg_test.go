package inventory

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
)

func deb(name, version, arch, srcName, srcVersion, maintainer, location string) model.Package {
	return model.Package{Ecosystem: model.Deb, Name: name, Version: version, Arch: arch, SourceName: srcName,
		SourceVersion: srcVersion, Maintainer: maintainer, Location: location}
}

// testdata/dpkg/status is twelve paragraphs of a real Debian 12 status file (the fixture tree built by
// scripts/debian-fixture.sh). Two were edited into the states dpkg leaves behind: openssl to
// "deinstall ok config-files" (+ Config-Version), libxml2 to the bare "purge ok not-installed" record.
func TestDpkgStatus(t *testing.T) {
	const loc = "/var/lib/dpkg/status"
	want := []model.Package{
		deb("adduser", "3.134", "all", "adduser", "3.134", "Debian Adduser Developers <adduser@packages.debian.org>", loc),
		deb("base-files", "12.4+deb12u15", "amd64", "base-files", "12.4+deb12u15", "Santiago Vila <sanvila@debian.org>", loc),
		// binNMU: the source version lacks the +b13
		deb("bash", "5.2.15-2+b13", "amd64", "bash", "5.2.15-2", "Matthias Klose <doko@debian.org>", loc),
		// epoch on the binary only
		deb("bsdutils", "1:2.38.1-5+deb12u3", "amd64", "util-linux", "2.38.1-5+deb12u3", "util-linux packagers <util-linux@packages.debian.org>", loc),
		deb("ca-certificates", "20230311+deb12u1", "all", "ca-certificates", "20230311+deb12u1", "Julien Cristau <jcristau@debian.org>", loc),
		deb("libc6", "2.36-9+deb12u14", "amd64", "glibc", "2.36-9+deb12u14", "GNU Libc Maintainers <debian-glibc@lists.debian.org>", loc),
		// epoch in both, binNMU on the binary
		deb("libcap2", "1:2.66-4+deb12u3+b1", "amd64", "libcap2", "1:2.66-4+deb12u3", "Christian Kastner <ckk@debian.org>", loc),
		deb("libgcc-s1", "12.2.0-14+deb12u1", "amd64", "gcc-12", "12.2.0-14+deb12u1", "Debian GCC Maintainers <debian-gcc@lists.debian.org>", loc),
		deb("libssl3", "3.0.20-1~deb12u2", "amd64", "openssl", "3.0.20-1~deb12u2", "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>", loc),
		deb("zlib1g", "1:1.2.13.dfsg-1", "amd64", "zlib", "1:1.2.13.dfsg-1", "Mark Brown <broonie@debian.org>", loc),
	}
	got, err := parse(t, DpkgStatus{}, loc, readTestdata(t, "dpkg/status"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
	checkParsed(t, model.Deb, loc, &model.OS{Family: "debian", Version: "12"}, got, err)
}

// testdata/dpkg/status.d holds distroless-style files: the control paragraphs of the same real packages, without
// the Status and Conffiles fields dpkg adds, one file per package or several paragraphs in one ("base").
func TestDpkgStatusD(t *testing.T) {
	tests := []struct {
		file string
		want []model.Package
	}{
		{"libc6", []model.Package{
			deb("libc6", "2.36-9+deb12u14", "amd64", "glibc", "2.36-9+deb12u14", "GNU Libc Maintainers <debian-glibc@lists.debian.org>", "/var/lib/dpkg/status.d/libc6"),
		}},
		{"libssl3", []model.Package{
			deb("libssl3", "3.0.20-1~deb12u2", "amd64", "openssl", "3.0.20-1~deb12u2", "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>", "/var/lib/dpkg/status.d/libssl3"),
		}},
		{"base", []model.Package{
			deb("base-files", "12.4+deb12u15", "amd64", "base-files", "12.4+deb12u15", "Santiago Vila <sanvila@debian.org>", "/var/lib/dpkg/status.d/base"),
			deb("ca-certificates", "20230311+deb12u1", "all", "ca-certificates", "20230311+deb12u1", "Julien Cristau <jcristau@debian.org>", "/var/lib/dpkg/status.d/base"),
			deb("zlib1g", "1:1.2.13.dfsg-1", "amd64", "zlib", "1:1.2.13.dfsg-1", "Mark Brown <broonie@debian.org>", "/var/lib/dpkg/status.d/base"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			loc := "/var/lib/dpkg/status.d/" + tt.file
			if !(DpkgStatusD{}).Match(loc) {
				t.Fatalf("%s not matched", loc)
			}
			got, err := parse(t, DpkgStatusD{}, loc, readTestdata(t, "dpkg/status.d/"+tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestDpkgInputs covers status values, field syntax and malformed input (inputs in testdata/dpkg/).
func TestDpkgInputs(t *testing.T) {
	tests := []struct {
		name    string
		parser  Parser
		file    string
		want    []string // package names
		wantErr bool
	}{
		// States whose files are on disk count, whatever the wanted action; half-installed and removed ones do not.
		{"states", DpkgStatus{}, "states", []string{"want-install", "want-hold", "want-deinstall", "unpacked", "half-configured", "triggers-pending", "lower-case-keys", "crlf"}, false},
		// One good paragraph among bad ones: the good one is kept and the file is not an error.
		{"partly malformed", DpkgStatus{}, "partly-malformed", []string{"zlib1g"}, false},
		{"garbage", DpkgStatus{}, "garbage", nil, true},
		{"garbage status.d", DpkgStatusD{}, "garbage", nil, true},
		// dpkg always writes Status into its status file; distroless control files never have one.
		{"no status in status", DpkgStatus{}, "no-status", nil, true},
		{"no status in status.d", DpkgStatusD{}, "no-status", []string{"hello"}, false},
		{"empty", DpkgStatus{}, "empty", nil, false},
		// Nothing installed is an empty result, not an error.
		{"nothing installed", DpkgStatus{}, "nothing-installed", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := readTestdata(t, "dpkg/"+tt.file)
			const loc = "/var/lib/dpkg/status"
			got, err := parse(t, tt.parser, loc, data)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(names(got), tt.want) {
				t.Errorf("got %v, want %v", names(got), tt.want)
			}
			checkParsed(t, model.Deb, loc, nil, got, err)
		})
	}
}

func TestDpkgFieldSyntax(t *testing.T) {
	got, err := parse(t, DpkgStatus{}, "/var/lib/dpkg/status", readTestdata(t, "dpkg/states"))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]model.Package{}
	for _, p := range got {
		byName[p.Name] = p
	}
	// Field names are case-insensitive; "Source: name (version)" splits.
	if p := byName["lower-case-keys"]; p.Version != "2.0-1" || p.Arch != "arm64" || p.SourceName != "src-pkg" || p.SourceVersion != "1.9-1" {
		t.Errorf("lower-case-keys = %+v", p)
	}
	// CRLF line endings do not leak into values.
	if p := byName["crlf"]; p.Version != "3.0-1" || p.Arch != "all" {
		t.Errorf("crlf = %+v", p)
	}
}

func TestParseDebSource(t *testing.T) {
	tests := []struct{ in, name, version string }{
		{"", "", ""},
		{"glibc", "glibc", ""},
		{"bash (5.2.15-2)", "bash", "5.2.15-2"},
		{"libcap2 (1:2.66-4+deb12u3)", "libcap2", "1:2.66-4+deb12u3"},
		{"  util-linux   ( 2.38.1-5 )  ", "util-linux", "2.38.1-5"},
		{"broken (", "broken", ""},
		{"(1.0)", "", "1.0"},
		{"two words", "", ""},
	}
	for _, tt := range tests {
		if n, v := parseDebSource(tt.in); n != tt.name || v != tt.version {
			t.Errorf("parseDebSource(%q) = %q, %q; want %q, %q", tt.in, n, v, tt.name, tt.version)
		}
	}
}

func TestDpkgMaxSize(t *testing.T) {
	data := readTestdata(t, "dpkg/status")
	if _, err := parseDeb822Packages("/s", bytes.NewReader(data), false, int64(len(data))); err != nil {
		t.Fatalf("file of exactly the limit: %v", err)
	}
	if _, err := parseDeb822Packages("/s", bytes.NewReader(data), false, int64(len(data)-1)); err == nil {
		t.Fatal("file over the limit accepted")
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestDpkgReadError(t *testing.T) {
	_, err := DpkgStatus{}.Parse("/var/lib/dpkg/status", failingReader{}, 10)
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || !strings.Contains(err.Error(), "/var/lib/dpkg/status") {
		t.Fatalf("err = %v", err)
	}
}

// TestDpkgFixture compares the parser with dpkg-query on the real Debian 12 trees built by
// scripts/debian-fixture.sh (a: debootstrap minbase, b: + packages, c: b with a purge).
func TestDpkgFixture(t *testing.T) {
	dir := os.Getenv("HULLSCAN_FIXTURE_DIR")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Skipf("no HULLSCAN_FIXTURE_DIR and no home directory: %v", err)
		}
		dir = filepath.Join(home, ".cache", "hullscan-fixtures", "debian12")
	}
	if _, err := os.Stat(filepath.Join(dir, "done")); err != nil {
		t.Skipf("Debian fixture not built in %s (run scripts/debian-fixture.sh as root, or set HULLSCAN_FIXTURE_DIR)", dir)
	}
	for _, tree := range []string{"a", "b", "c"} {
		t.Run(tree, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, tree+".dpkg"))
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(filepath.Join(dir, tree, "var/lib/dpkg/status"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			pkgs, err := DpkgStatus{}.Parse("/var/lib/dpkg/status", f, 0)
			if err != nil {
				t.Fatal(err)
			}
			// dpkg-query -W -f '${Package} ${Version} ${source:Package}\n' | LC_ALL=C sort
			var lines []string
			for _, p := range pkgs {
				lines = append(lines, p.Name+" "+p.Version+" "+p.SourceName)
			}
			sort.Strings(lines)
			got := strings.Join(lines, "\n") + "\n"
			if got != string(want) {
				t.Errorf("parsed %d packages, dpkg-query lists %d; diff:\n%s", len(lines),
					strings.Count(string(want), "\n"), lineDiff(string(want), got))
			}
			checkParsed(t, model.Deb, "/var/lib/dpkg/status", &model.OS{Family: "debian", Version: "12"}, pkgs, nil)
		})
	}
	t.Run("os", func(t *testing.T) {
		got := DetectOS(dirTree{t: t, root: filepath.Join(dir, "b")})
		if got == nil || got.Family != "debian" || got.Version != "12" || got.Codename != "bookworm" || got.Distroless {
			t.Fatalf("DetectOS = %+v", got)
		}
		point, err := os.ReadFile(filepath.Join(dir, "b", "etc", "debian_version"))
		if err != nil {
			t.Fatal(err)
		}
		if want := "Debian GNU/Linux " + strings.TrimSpace(string(point)) + " (bookworm)"; got.Name != want {
			t.Errorf("Name = %q, want %q", got.Name, want)
		}
	})
}

func lineDiff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

func FuzzDpkgStatus(f *testing.F) {
	for _, name := range []string{"status", "states", "partly-malformed", "garbage", "no-status", "empty"} {
		f.Add(readTestdata(f, "dpkg/"+name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const loc = "/var/lib/dpkg/status"
		pkgs, err := parse(t, DpkgStatus{}, loc, data)
		checkParsed(t, model.Deb, loc, &model.OS{Family: "debian", Version: "12"}, pkgs, err)
	})
}

func FuzzDpkgStatusD(f *testing.F) {
	for _, name := range []string{"status.d/base", "status.d/libc6", "no-status", "garbage"} {
		f.Add(readTestdata(f, "dpkg/"+name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const loc = "/var/lib/dpkg/status.d/base"
		pkgs, err := parse(t, DpkgStatusD{}, loc, data)
		checkParsed(t, model.Deb, loc, &model.OS{Family: "debian", Version: "12", Distroless: true}, pkgs, err)
	})
}
