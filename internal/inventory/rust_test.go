package inventory

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/testimage"
)

func TestCargoLockParse(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"rust/v1/Cargo.lock", []string{
			"cfg-if 0.1.7 transitive", "fuchsia-cprng 0.1.1 transitive", "libc 0.2.54 transitive",
			"log 0.4.6 direct", "rand 0.4.6 direct", "rand_core 0.3.1 transitive", "rand_core 0.4.0 transitive",
			"rdrand 0.4.0 transitive", "serde 1.0.91 direct", "winapi 0.3.7 transitive",
			"winapi-i686-pc-windows-gnu 0.4.0 transitive", "winapi-x86_64-pc-windows-gnu 0.4.0 transitive",
		}},
		{"rust/root/Cargo.lock", []string{
			"kernel32-sys 0.2.2 transitive", "libc 0.2.54 direct", "same-file 0.1.3 direct", "winapi 0.2.8 transitive",
			"winapi-build 0.1.1 transitive",
		}},
		{"rust/v2/Cargo.lock", []string{
			"ansi_term 0.12.1 direct", "memchr 2.3.3 direct", "natord 1.0.9 direct", "winapi 0.3.9 transitive",
			"winapi-i686-pc-windows-gnu 0.4.0 transitive", "winapi-x86_64-pc-windows-gnu 0.4.0 transitive",
		}},
		// A workspace: server and util (a path dependency) are the project; each pulls another regex.
		{"rust/v3/Cargo.lock", []string{
			"aho-corasick 0.7.20 transitive", "aho-corasick 1.1.3 transitive", "anyhow 1.0.98 direct",
			"itoa 1.0.14 transitive", "memchr 2.7.4 transitive", "regex 1.7.3 direct", "regex 1.11.1 direct",
			"regex-automata 0.4.9 transitive", "regex-syntax 0.6.29 transitive", "regex-syntax 0.8.5 transitive",
			"ryu 1.0.15 transitive", "semver 1.0.23 direct", "serde 1.0.215 direct", "serde_json 1.0.103 direct",
		}},
		{"rust/v4/Cargo.lock", []string{
			"cfg-if 1.0.0 transitive", "company-auth 2.1.0 direct", "getrandom 0.2.15 direct", "libc 0.2.169 transitive",
			"log 0.4.27 direct", "wasi 0.11.0+wasi-snapshot-preview1 transitive",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := "/src/" + tt.file
			pkgs, err := parse(t, CargoLock{}, p, readTestdata(t, tt.file))
			checkGoRustNuGet(t, model.Cargo, p, pkgs, err)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, w+" [Cargo.lock]")
			}
			diffLines(t, tt.file, pkgLines(pkgs), want)
		})
	}
}

func TestCargoLockMalformed(t *testing.T) {
	for _, body := range []string{"[[package]\nname = \"x\"", "package = 3", "[[package]]\nname = 1\n"} {
		pkgs, err := parse(t, CargoLock{}, "/app/Cargo.lock", []byte(body))
		if err == nil {
			t.Errorf("%q: no error (got %v)", body, pkgs)
		}
		checkGoRustNuGet(t, model.Cargo, "/app/Cargo.lock", pkgs, err)
	}
	// A package without a version is skipped, the rest kept.
	pkgs, err := parse(t, CargoLock{}, "/app/Cargo.lock", []byte("version = 4\n[[package]]\nname = \"a\"\nsource = \"registry+x\"\n"+
		"[[package]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n"))
	if err != nil || len(pkgs) != 1 || pkgs[0].Name != "b" {
		t.Errorf("got %v, %v", pkgs, err)
	}
}

func TestCargoMatch(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/app/Cargo.lock", true},
		{"/Cargo.lock", true},
		{"/app/Cargo.toml", false},
		{"/app/cargo.lock", false},
		{"/root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/ripgrep-14.1.0/Cargo.lock", false},
		{"/usr/local/cargo/git/checkouts/x-1234/abcd/Cargo.lock", true},
		{"/home/u/.cargo/git/checkouts/x-1234/abcd/Cargo.lock", false},
	}
	for _, tt := range tests {
		if got := (CargoLock{}).Match(tt.path); got != tt.want {
			t.Errorf("Match(%q) = %v", tt.path, got)
		}
	}
}

func TestCargoAuditable(t *testing.T) {
	tests := []struct {
		name, json string
		want       []string
	}{
		{"root and graph", `{"format":1,"packages":[
			{"name":"app","version":"0.1.0","source":"local","root":true,"dependencies":[1,3]},
			{"name":"serde","version":"1.0.215","source":"crates.io","dependencies":[2]},
			{"name":"serde_derive","version":"1.0.215","source":"crates.io","kind":"build"},
			{"name":"rustls","version":"0.23.12","source":"git"},
			{"name":"path-crate","version":"0.1.0","source":"local"},
			{"name":"internal","version":"3.0.0","source":"registry"},
			{"name":"odd","version":"1.0.0","source":{"Other":"svn"}}]}`, []string{
			"app 0.1.0", "serde 1.0.215 direct", "rustls 0.23.12 direct",
			"internal 3.0.0 transitive", "odd 1.0.0 transitive",
		}},
		// Format 0 (cargo-auditable before 0.6): no root flag, so nothing is known about direct dependencies.
		{"no root", `{"packages":[{"name":"app","version":"0.1.0","source":"local"},
			{"name":"libc","version":"0.2.169","source":"crates.io","features":["default","std"]}]}`, []string{"libc 0.2.169"}},
		{"bad entries skipped", `{"packages":[{"name":"","version":"1.0.0","source":"crates.io"},
			{"name":"a b","version":"1.0.0","source":"crates.io"},{"name":"c","source":"crates.io"},
			{"name":"ok","version":"1.0.0","source":"crates.io","dependencies":[99,-1]},
			{"name":"ok","version":"1.0.0","source":"git"}]}`, []string{"ok 1.0.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := testELF(depV0Section(t, tt.json))
			pkgs, err := Executables{}.Parse("/usr/bin/app", bytes.NewReader(data), int64(len(data)))
			checkGoRustNuGet(t, model.Cargo, "/usr/bin/app", pkgs, err)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, w+" [cargo-auditable]")
			}
			diffLines(t, tt.name, pkgLines(pkgs), want)
		})
	}
}

// TestCargoReal reads the lock file and binaries cargo built (scripts/fixtures/cargobin.sh): a real v4 lock file
// of a crate without dependencies (nothing to report: the crate is the project), the plain binary (no audit data:
// nothing) and the binary with a .dep-v0 section, compared with the audit JSON put into it.
func TestCargoReal(t *testing.T) {
	dir := testimage.RequireFixtureDir(t, "cargobin")
	lock, err := os.ReadFile(filepath.Join(dir, "crate", "Cargo.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(lock, []byte("\nversion = 4\n")) {
		t.Fatalf("not a v4 lock file:\n%s", lock)
	}
	pkgs, err := parse(t, CargoLock{}, "/crate/Cargo.lock", lock)
	if err != nil || pkgs != nil {
		t.Errorf("Cargo.lock of a crate without dependencies: %v, %v", pkgs, err)
	}
	for _, name := range []string{"hello", "hello-auditable"} {
		data, err := os.ReadFile(filepath.Join(dir, "bin", name))
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(filepath.Join(dir, "bin", name))
		if !(Executables{}).MatchEntry("/usr/bin/"+name, int64(fi.Mode().Perm()), fi.Size()) {
			t.Errorf("%s: MatchEntry false for a %d-byte Rust binary", name, fi.Size())
		}
		pkgs, err := Executables{}.Parse("/usr/bin/"+name, bytes.NewReader(data), int64(len(data)))
		checkGoRustNuGet(t, model.Cargo, "/usr/bin/"+name, pkgs, err)
		if err != nil {
			t.Fatal(err)
		}
		if name == "hello" {
			if pkgs != nil {
				t.Errorf("hello: %v, want nothing", pkgs)
			}
			continue
		}
		// The JSON read independently: what the rules of cargoAuditablePackages make of it.
		js, err := os.ReadFile(filepath.Join(dir, "audit.json"))
		if err != nil {
			t.Fatal(err)
		}
		var info struct {
			Packages []struct {
				Name, Version, Source, Kind string
				Root                        bool
				Dependencies                []int
			}
		}
		if err := json.Unmarshal(js, &info); err != nil {
			t.Fatal(err)
		}
		direct := map[int]bool{}
		for _, p := range info.Packages {
			if p.Root {
				for _, d := range p.Dependencies {
					direct[d] = true
				}
			}
		}
		var want []string
		for i, p := range info.Packages {
			if (p.Source == "local" && !p.Root) || p.Kind == "build" {
				continue
			}
			w := p.Name + " " + p.Version
			if !p.Root {
				w += map[bool]string{true: " direct", false: " transitive"}[direct[i]]
			}
			want = append(want, w+" [cargo-auditable]")
		}
		diffLines(t, name, pkgLines(pkgs), want)
		if len(pkgs) != 6 {
			t.Errorf("want the 6 runtime crates of audit.json (not helper, a path dependency), got %d", len(pkgs))
		}
	}
}

func FuzzCargoLock(f *testing.F) {
	for _, n := range []string{"v1", "root", "v2", "v3", "v4"} {
		f.Add(readTestdata(f, "rust/"+n+"/Cargo.lock"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parse(t, CargoLock{}, "/app/Cargo.lock", data)
		checkGoRustNuGet(t, model.Cargo, "/app/Cargo.lock", pkgs, err)
	})
}
