package inventory

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hullscan/hullscan/internal/model"
)

// readRPMTestdata returns a database from testdata/rpm, decompressed when it is stored gzipped.
func readRPMTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data := readTestdata(t, "rpm/"+name)
	if !strings.HasSuffix(name, ".gz") {
		return data
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rpmQALine renders a parsed package the way the expectation files list it (see testdata/rpm/README.md):
// NAME|EPOCH|VERSION|RELEASE|ARCH|SOURCERPM|LICENSE|VENDOR. SOURCERPM is rebuilt from SourceName and
// SourceVersion, so a wrong split of the file name shows up as a difference.
func rpmQALine(p model.Package) string {
	epoch, evr := "(none)", p.Version
	if p.Epoch != nil {
		epoch = strconv.Itoa(*p.Epoch)
		evr = strings.TrimPrefix(evr, epoch+":")
	}
	version, release := evr, ""
	if i := strings.LastIndexByte(evr, '-'); i >= 0 {
		version, release = evr[:i], evr[i+1:]
	}
	srcVersion := p.SourceVersion
	if p.Epoch != nil {
		if !strings.HasPrefix(srcVersion, epoch+":") {
			return "source version " + srcVersion + " lacks the epoch of " + p.Version
		}
		srcVersion = strings.TrimPrefix(srcVersion, epoch+":")
	}
	license := "(none)"
	if len(p.Licenses) == 1 {
		license = p.Licenses[0]
	}
	return strings.Join([]string{p.Name, epoch, version, release, p.Arch, p.SourceName + "-" + srcVersion + ".src.rpm",
		license, p.Maintainer}, "|")
}

func TestRPMDB(t *testing.T) {
	tests := []struct {
		db, loc, expected string
	}{
		{"rhel8-libuuid/Packages", "/var/lib/rpm/Packages", "rhel8-libuuid/rpm-qa.txt"},
		{"centos5/Packages.gz", "/var/lib/rpm/Packages", "centos5/rpm-qa.txt"},
		{"sle15-bci/Packages.db.gz", "/usr/lib/sysimage/rpm/Packages.db", "sle15-bci/go-rpmdb-expected.txt"},
		{"fedora35-trimmed/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite", "fedora35-trimmed/rpm-qa.txt"},
		{"synthetic/rpmdb.sqlite", "/var/lib/rpm/rpmdb.sqlite", "synthetic/expected.txt"},
		{"synthetic/Packages.db", "/var/lib/rpm/Packages.db", "synthetic/expected.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.db, func(t *testing.T) {
			if !(RPMDB{}).Match(tt.loc) {
				t.Fatalf("%s not matched", tt.loc)
			}
			pkgs, err := parse(t, RPMDB{}, tt.loc, readRPMTestdata(t, tt.db))
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, p := range pkgs {
				lines = append(lines, rpmQALine(p))
			}
			sort.Strings(lines)
			got := strings.Join(lines, "\n") + "\n"
			want := string(readTestdata(t, "rpm/"+tt.expected))
			if got != want {
				t.Errorf("parsed %d packages, expected %d; diff:\n%s", len(lines), strings.Count(want, "\n"), lineDiff(want, got))
			}
			checkParsed(t, model.RPM, tt.loc, &model.OS{Family: "rhel", Version: "9.3"}, pkgs, err)
		})
	}
}

// TestRPMDBPackages pins whole records, including the source split and the epoch handling.
func TestRPMDBPackages(t *testing.T) {
	one, ten := 1, 10
	tests := []struct {
		db, loc string
		want    model.Package
	}{
		{"fedora35-trimmed/rpmdb.sqlite", "/var/lib/rpm/rpmdb.sqlite", model.Package{
			Ecosystem: model.RPM, Name: "openssl-libs", Version: "1:1.1.1l-2.fc35", Epoch: &one, Arch: "x86_64",
			SourceName: "openssl", SourceVersion: "1:1.1.1l-2.fc35", Licenses: []string{"OpenSSL and ASL 2.0"},
			Maintainer: "Fedora Project", Location: "/var/lib/rpm/rpmdb.sqlite",
		}},
		{"fedora35-trimmed/rpmdb.sqlite", "/var/lib/rpm/rpmdb.sqlite", model.Package{
			Ecosystem: model.RPM, Name: "fedora-gpg-keys", Version: "35-1", Arch: "noarch",
			SourceName: "fedora-repos", SourceVersion: "35-1", Licenses: []string{"MIT"},
			Maintainer: "Fedora Project", Location: "/var/lib/rpm/rpmdb.sqlite",
		}},
		{"centos5/Packages.gz", "/var/lib/rpm/Packages", model.Package{
			Ecosystem: model.RPM, Name: "centos-release", Version: "10:5-11.el5.centos", Epoch: &ten, Arch: "x86_64",
			SourceName: "centos-release", SourceVersion: "10:5-11.el5.centos", Licenses: []string{"GPL"},
			Maintainer: "CentOS", Location: "/var/lib/rpm/Packages",
		}},
		{"rhel8-libuuid/Packages", "/var/lib/rpm/Packages", model.Package{
			Ecosystem: model.RPM, Name: "libuuid", Version: "2.32.1-42.el8_8", Arch: "x86_64",
			SourceName: "util-linux", SourceVersion: "2.32.1-42.el8_8", Licenses: []string{"BSD"},
			Maintainer: "Red Hat, Inc.", Location: "/var/lib/rpm/Packages",
		}},
		// The source version differs from the binary's: libreadline7 7.0 is built from bash 4.4.
		{"sle15-bci/Packages.db.gz", "/var/lib/rpm/Packages.db", model.Package{
			Ecosystem: model.RPM, Name: "libreadline7", Version: "7.0-19.6.1", Arch: "x86_64",
			SourceName: "bash", SourceVersion: "4.4-19.6.1", Licenses: []string{"GPL-3.0-or-later"},
			Maintainer: "SUSE LLC <https://www.suse.com/>", Location: "/var/lib/rpm/Packages.db",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.want.Name, func(t *testing.T) {
			pkgs, err := parse(t, RPMDB{}, tt.loc, readRPMTestdata(t, tt.db))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pkgs {
				if p.Name == "gpg-pubkey" {
					t.Errorf("gpg-pubkey pseudo-package listed: %+v", p)
				}
				if p.Name == tt.want.Name {
					if !reflect.DeepEqual(p, tt.want) {
						t.Errorf("got\n%+v\nwant\n%+v", p, tt.want)
					}
					return
				}
			}
			t.Errorf("%s not found among %v", tt.want.Name, names(pkgs))
		})
	}
}

func TestParseSourceRPM(t *testing.T) {
	tests := []struct{ in, name, version string }{
		{"openssl-1.1.1k-7.el8.src.rpm", "openssl", "1.1.1k-7.el8"},
		{"python-dateutil-2.9.0.post0-1.el9_7.src.rpm", "python-dateutil", "2.9.0.post0-1.el9_7"},
		{"gcc11-11.2.1+git610-1.3.9.src.rpm", "gcc11", "11.2.1+git610-1.3.9"},
		{"kernel-5.14.0-362.8.1.el9_3.nosrc.rpm", "kernel", "5.14.0-362.8.1.el9_3"},
		{"", "", ""},
		{"openssl-1.1.1k-7.el8.x86_64.rpm", "", ""}, // a binary rpm name is not a source rpm
		{"openssl-1.1.1k.src.rpm", "", ""},
		{"-1-2.src.rpm", "", ""},
		{"a--2.src.rpm", "", ""},
	}
	for _, tt := range tests {
		if n, v := parseSourceRPM(tt.in); n != tt.name || v != tt.version {
			t.Errorf("parseSourceRPM(%q) = %q, %q; want %q, %q", tt.in, n, v, tt.name, tt.version)
		}
	}
}

// TestRPMDBCorrupt feeds databases corrupted in the ways go-rpmdb v0.2.2 does not survive on its own (a panic
// in its reader goroutine, an endless loop, a 4 GiB allocation, a goroutine blocked forever). Each must come
// back as an error, promptly and cleanly.
func TestRPMDBCorrupt(t *testing.T) {
	// rhel8-libuuid/Packages: 4 KiB pages; page 2 is a hash page whose one value (index slot at byte 28 of the
	// page) is an off-page item at offset 4079, whose overflow chain runs through pages 3…22.
	const ps = 4096
	le := binary.LittleEndian
	bdbCase := func(mutate func(d []byte)) []byte {
		d := readRPMTestdata(t, "rhel8-libuuid/Packages")
		mutate(d)
		return d
	}
	ndbCase := func(mutate func(d []byte)) []byte {
		d := readRPMTestdata(t, "synthetic/Packages.db")
		mutate(d)
		return d
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"bdb chain cycle", bdbCase(func(d []byte) { le.PutUint32(d[10*ps+16:], 5) })},
		{"bdb chain into a hash page", bdbCase(func(d []byte) { le.PutUint32(d[10*ps+16:], 1) })},
		{"bdb index value past the page", bdbCase(func(d []byte) { le.PutUint16(d[2*ps+28:], 0xfff0) })},
		{"bdb off-page entry across the page end", bdbCase(func(d []byte) {
			le.PutUint16(d[2*ps+28:], ps-4)
			d[2*ps+ps-4] = 3
		})},
		{"bdb index longer than the page", bdbCase(func(d []byte) { le.PutUint16(d[2*ps+20:], 4000) })},
		{"bdb last overflow page too long", bdbCase(func(d []byte) { le.PutUint16(d[22*ps+22:], 5000) })},
		{"ndb blob length past the end", ndbCase(func(d []byte) { le.PutUint32(d[4096+12:], 0xfffffff0) })},
		{"ndb bad blob magic", ndbCase(func(d []byte) { copy(d[4096:], "XXXX") })},
		{"sqlite truncated", readRPMTestdata(t, "fedora35-trimmed/rpmdb.sqlite")[:16384]},
		{"sqlite without Packages", func() []byte {
			d := readRPMTestdata(t, "synthetic/rpmdb.sqlite")
			return bytes.ReplaceAll(d, []byte("Packages"), []byte("Packagez")) // a consistent rename
		}()},
		{"too short", []byte("SQLite format 3\x00")},
		{"not a database", bytes.Repeat([]byte("hullscan"), 1024)},
		{"empty", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const loc = "/var/lib/rpm/Packages"
			goroutines := runtime.NumGoroutine()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			pkgs, err := parse(t, RPMDB{}, loc, tt.data)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("no error; packages %v", names(pkgs))
			}
			t.Log(err)
			checkParsed(t, model.RPM, loc, nil, pkgs, err)
			if mib := (after.TotalAlloc - before.TotalAlloc) >> 20; mib > 64 {
				t.Errorf("allocated %d MiB", mib)
			}
			// go-rpmdb's reader goroutine blocks forever when the listing stops early; none may be left behind.
			for deadline := time.Now().Add(2 * time.Second); runtime.NumGoroutine() > goroutines && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			if n := runtime.NumGoroutine() - goroutines; n > 0 {
				t.Errorf("%d goroutine(s) left behind", n)
			}
		})
	}
}

func TestRPMDBLimitsAndCleanup(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	data := readRPMTestdata(t, "rhel8-libuuid/Packages")
	if _, err := parseRPMDB("/var/lib/rpm/Packages", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("file of exactly the limit: %v", err)
	}
	if _, err := parseRPMDB("/var/lib/rpm/Packages", bytes.NewReader(data), int64(len(data)-1)); err == nil {
		t.Fatal("file over the limit accepted")
	}
	if _, err := (RPMDB{}).Parse("/var/lib/rpm/Packages", failingReader{}, 10); err == nil {
		t.Fatal("read error not reported")
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func FuzzRPMDB(f *testing.F) {
	// Small seeds only: every input is written to disk and opened, sqlite ones through the sqlite engine.
	for _, name := range []string{"rhel8-libuuid/Packages", "synthetic/rpmdb.sqlite", "synthetic/Packages.db"} {
		f.Add(readRPMTestdata(f, name))
	}
	f.Add([]byte("SQLite format 3\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const loc = "/var/lib/rpm/Packages"
		pkgs, err := parse(t, RPMDB{}, loc, data)
		checkParsed(t, model.RPM, loc, &model.OS{Family: "rhel", Version: "9.3"}, pkgs, err)
	})
}
