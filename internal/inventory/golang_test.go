package inventory

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/package-url/packageurl-go"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/testimage"
)

// checkGoRustNuGet asserts what the Go, Rust and .NET parsers promise for any input: an error names the file and
// comes without packages (a *Partial may come with some), and every package has the ecosystem, a name and a version
// without blanks, Location == path, no purl or id yet, and a purl after Finalize that parses back to the same name
// and version.
func checkGoRustNuGet(t testing.TB, eco model.Ecosystem, path string, pkgs []model.Package, err error) {
	t.Helper()
	var partial *Partial
	if err != nil && !errors.As(err, &partial) {
		if pkgs != nil {
			t.Fatalf("error %v returned with %d packages", err, len(pkgs))
		}
		if !strings.Contains(err.Error(), path) {
			t.Fatalf("error %q does not name %s", err, path)
		}
		return
	}
	for _, p := range pkgs {
		if p.Ecosystem != eco || !isToken(p.Name) || !isToken(p.Version) || p.Location != path || p.PURL != "" ||
			p.ID != "" || p.Evidence == "" {
			t.Fatalf("bad package %+v", p)
		}
		if p.Dependency != "" && p.Dependency != model.DependencyDirect && p.Dependency != model.DependencyTransitive {
			t.Fatalf("bad dependency kind %+v", p)
		}
	}
	fin := append([]model.Package(nil), pkgs...)
	Finalize(nil, fin)
	for _, p := range fin {
		u, err := packageurl.FromString(p.PURL)
		if err != nil {
			t.Fatalf("purl %q of %+v: %v", p.PURL, p, err)
		}
		name := u.Name
		if u.Namespace != "" {
			name = u.Namespace + "/" + u.Name
		}
		// packageurl-go lower-cases golang names when parsing (an older purl-spec rule); module paths keep case.
		sameName := name == p.Name || (eco == model.Golang && strings.EqualFold(name, p.Name))
		if u.Type != string(eco) || !sameName || u.Version != p.Version || len(p.ID) != 16 {
			t.Fatalf("purl %q (id %q) does not round-trip %+v", p.PURL, p.ID, p)
		}
	}
}

// pkgLines renders packages as sorted "name version [dependency] [dev] [evidence]" lines for comparison.
func pkgLines(pkgs []model.Package) []string {
	var out []string
	for _, p := range pkgs {
		l := p.Name + " " + p.Version
		if p.Dependency != "" {
			l += " " + p.Dependency
		}
		if p.Dev {
			l += " dev"
		}
		if p.Evidence != "" {
			l += " [" + p.Evidence + "]"
		}
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

func diffLines(t testing.TB, what string, got, want []string) {
	t.Helper()
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got: %q\nwant: %q", what, got, want)
	}
}

func TestGoModParse(t *testing.T) {
	tests := []struct {
		file    string
		want    []string
		partial bool
	}{
		{"golang/go.mod", []string{
			"github.com/gin-gonic/gin v1.9.0 direct [go.mod]",
			"github.com/fork/lib v1.0.1-0.20230405120000-abcdefabcdef direct [go.mod]",
			"github.com/bytedance/sonic v1.9.1 transitive [go.mod]",
			"golang.org/x/crypto v0.17.0 transitive [go.mod]",
			"golang.org/x/text v0.13.0 transitive [go.mod]",
			"golang.org/x/tools v0.14.0 transitive [go.mod]",
			"gopkg.in/yaml.v3 v3.0.1 transitive [go.mod]",
			"github.com/pkg/errors v0.9.1 direct [go.mod]",
		}, false},
		// An unknown directive: requirements still come, with a warning that replace was not applied.
		{"golang/future.go.mod", []string{
			"github.com/google/uuid v1.6.0 direct [go.mod]",
			"golang.org/x/sync v0.7.0 transitive [go.mod]",
		}, true},
		{"golang/std.go.mod", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := "/src/" + tt.file
			pkgs, err := parse(t, GoMod{}, p, readTestdata(t, tt.file))
			var partial *Partial
			if (err != nil) != tt.partial || (err != nil && !errors.As(err, &partial)) {
				t.Fatalf("err = %v, want partial %v", err, tt.partial)
			}
			checkGoRustNuGet(t, model.Golang, p, pkgs, err)
			diffLines(t, tt.file, pkgLines(pkgs), tt.want)
		})
	}
}

func TestGoModMalformed(t *testing.T) {
	for _, body := range []string{string(readTestdata(t, "golang/bad.go.mod")), "require (\n", "module x\nrequire a v1\n\x00"} {
		pkgs, err := parse(t, GoMod{}, "/app/go.mod", []byte(body))
		if err == nil || pkgs != nil {
			t.Errorf("%q: got %v, %v; want an error", body, pkgs, err)
		}
		checkGoRustNuGet(t, model.Golang, "/app/go.mod", pkgs, err)
	}
}

func TestGoMatch(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/app/go.mod", true},
		{"/go.mod", true},
		{"/src/svc/go.mod", true},
		{"/root/go/pkg/mod/golang.org/x/net@v0.17.0/go.mod", false},
		{"/app/vendor/github.com/x/y/go.mod", false},
		{"/usr/local/go/src/cmd/go/testdata/mod/go.mod", false},
		{"/app/go.sum", false},
		{"/app/go.mod.bak", false},
		{"/app/xgo.mod", false},
	}
	for _, tt := range tests {
		if got := (GoMod{}).Match(tt.path); got != tt.want {
			t.Errorf("Match(%q) = %v", tt.path, got)
		}
	}
	e := Executables{}
	if e.Match("/usr/bin/app") {
		t.Error("Executables must be chosen by MatchEntry only")
	}
	entries := []struct {
		mode, size int64
		want       bool
	}{
		{0o755, 4 << 20, true},
		{0o700, 4 << 20, true},
		{0o641, 4 << 20, true},
		{0o4755, 4 << 20, true},
		{0o644, 4 << 20, false},
		{0o755, executableMinSize - 1, false},
		{0o755, executableMinSize, true},
		{0o755, 0, false},
	}
	for _, tt := range entries {
		if got := e.MatchEntry("/usr/bin/app", tt.mode, tt.size); got != tt.want {
			t.Errorf("MatchEntry(%o, %d) = %v", tt.mode, tt.size, got)
		}
	}
	// Executable files that a name-based parser reads are left to it.
	for _, p := range []string{"/app/go.mod", "/src/Cargo.lock", "/app/packages.lock.json", "/app/App.deps.json",
		"/var/lib/dpkg/status"} {
		if e.MatchEntry(p, 0o777, 4<<20) {
			t.Errorf("MatchEntry(%q) claims a file another parser reads", p)
		}
	}
}

func TestGoToolchainSemver(t *testing.T) {
	tests := []struct{ in, want string }{
		{"go1.22.1", "v1.22.1"},
		{"go1.21", "v1.21.0"},
		{"go1.21.0", "v1.21.0"},
		{"go1.22rc1", "v1.22.0-rc.1"},
		{"go1.21rc2", "v1.21.0-rc.2"},
		{"go1.18beta1", "v1.18.0-beta.1"},
		{"go1.9.2rc2", "v1.9.2-rc.2"},
		{"go1.22.3 X:boringcrypto", "v1.22.3"},
		{"go1.24.0-X:nocoverageredesign", "v1.24.0"},
		{"go1.21.9 (Red Hat 1.21.9-1.el9_4)", "v1.21.9"},
		{"go1.26.8", "v1.26.8"},
		{"devel go1.23-e3a2f1b Tue Jan 2 2024", ""},
		{"go1", ""},
		{"go", ""},
		{"1.22.1", ""},
		{"go1.22.1.4", ""},
		{"go1.22x", ""},
		{"go01.2", ""},
		{"go1.22rc", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := goToolchainSemver(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("goToolchainSemver(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestGoLdflagsVersion(t *testing.T) {
	const main = "github.com/acme/tool"
	tests := []struct{ ldflags, want string }{
		{"-s -w -X main.version=1.4.2", "v1.4.2"},
		{"-X main.Version=v2.0.0-rc.1", "v2.0.0-rc.1"},
		{"-X=main.version=1.4.2", "v1.4.2"},
		{`-X 'main.version=1.4.2' -s`, "v1.4.2"},
		{`-X "github.com/acme/tool/cmd/tool/app.version=3.1.0" -X main.version=1.0.0`, "v3.1.0"},
		{"-X github.com/prometheus/common/version.Version=2.51.0", "v2.51.0"},
		{"-X github.com/x/y/pkg/build.Ver=0.9.1", "v0.9.1"},
		{"-X main.version=1.4.2 -X main.Version=1.4.2", "v1.4.2"},
		{"-X main.version=1.4.2 -X cmd.version=1.5.0", ""}, // ambiguous
		{"-X main.version=dev", ""},
		{"-X main.version=1.4", ""},
		{"-X main.commit=1.4.2", ""},
		{"-X main.version", ""},
		{"-X", ""},
		{"", ""},
	}
	for _, tt := range tests {
		var settings []debug.BuildSetting
		if tt.ldflags != "" {
			settings = []debug.BuildSetting{{Key: "-compiler", Value: "gc"}, {Key: "-ldflags", Value: tt.ldflags}}
		}
		if got := goLdflagsVersion(main, settings); got != tt.want {
			t.Errorf("goLdflagsVersion(%q) = %q, want %q", tt.ldflags, got, tt.want)
		}
	}
}

// testELFSection is one section of a synthetic ELF file.
type testELFSection struct {
	name  string
	flags elf.SectionFlag
	data  []byte
}

// testELF builds a little-endian x86-64 ELF executable with the given PROGBITS sections inside one PT_LOAD segment
// covering the whole file, so debug/elf and debug/buildinfo read it like a linked binary.
func testELF(secs ...testELFSection) []byte {
	const base = 0x400000
	const ehsize, phsize, shsize = 64, 56, 64
	var body bytes.Buffer
	body.Write(make([]byte, ehsize+phsize))
	align := func() {
		for body.Len()%16 != 0 {
			body.WriteByte(0)
		}
	}
	shstr := []byte{0}
	var shdrs []elf.Section64
	shdrs = append(shdrs, elf.Section64{})
	for _, s := range secs {
		align()
		shdrs = append(shdrs, elf.Section64{Name: uint32(len(shstr)), Type: uint32(elf.SHT_PROGBITS),
			Flags: uint64(s.flags), Addr: base + uint64(body.Len()), Off: uint64(body.Len()),
			Size: uint64(len(s.data)), Addralign: 16})
		shstr = append(append(shstr, s.name...), 0)
		body.Write(s.data)
	}
	shdrs = append(shdrs, elf.Section64{Name: uint32(len(shstr)), Type: uint32(elf.SHT_STRTAB),
		Off: uint64(body.Len()), Size: uint64(len(shstr) + len(".shstrtab") + 1), Addralign: 1})
	shstr = append(append(shstr, ".shstrtab"...), 0)
	body.Write(shstr)
	align()
	shoff := body.Len()
	for _, h := range shdrs {
		_ = binary.Write(&body, binary.LittleEndian, h)
	}
	out := body.Bytes()
	var hdr bytes.Buffer
	ident := [elf.EI_NIDENT]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)}
	_ = binary.Write(&hdr, binary.LittleEndian, elf.Header64{Ident: ident, Type: uint16(elf.ET_EXEC),
		Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT), Phoff: ehsize, Shoff: uint64(shoff),
		Ehsize: ehsize, Phentsize: phsize, Phnum: 1, Shentsize: shsize, Shnum: uint16(len(shdrs)),
		Shstrndx: uint16(len(shdrs) - 1)})
	_ = binary.Write(&hdr, binary.LittleEndian, elf.Prog64{Type: uint32(elf.PT_LOAD),
		Flags: uint32(elf.PF_R | elf.PF_W), Vaddr: base, Paddr: base, Filesz: uint64(len(out)),
		Memsz: uint64(len(out)), Align: 0x1000})
	copy(out, hdr.Bytes())
	return out
}

// goBuildInfoSection is a .go.buildinfo section as the Go 1.18+ linker writes it: a 32-byte header (magic, pointer
// size, flags: strings inline, little endian) and the varint-prefixed toolchain version and module information
// (framed by 16 bytes on each side).
func goBuildInfoSection(goVersion, modinfo string) testELFSection {
	b := []byte("\xff Go buildinf:")
	b = append(b, 8, 2)
	b = append(b, make([]byte, 32-len(b))...)
	b = binary.AppendUvarint(b, uint64(len(goVersion)))
	b = append(b, goVersion...)
	if modinfo != "" {
		modinfo = strings.Repeat("\x01", 16) + modinfo + strings.Repeat("\x02", 16)
	}
	b = binary.AppendUvarint(b, uint64(len(modinfo)))
	b = append(b, modinfo...)
	return testELFSection{name: ".go.buildinfo", flags: elf.SHF_ALLOC | elf.SHF_WRITE, data: b}
}

func depV0Section(t testing.TB, json string) testELFSection {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	if _, err := w.Write([]byte(json)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return testELFSection{name: ".dep-v0", flags: elf.SHF_ALLOC, data: z.Bytes()}
}

func modinfo(bi debug.BuildInfo) string { return bi.String() }

func TestGoBinarySynthetic(t *testing.T) {
	mod := func(path, version string) debug.Module { return debug.Module{Path: path, Version: version} }
	replaced := func(path, version string, r debug.Module) *debug.Module {
		m := mod(path, version)
		m.Replace = &r
		return &m
	}
	dep := func(path, version string) *debug.Module { m := mod(path, version); return &m }
	ldflags := func(v string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "-compiler", Value: "gc"}, {Key: "-ldflags", Value: v}}
	}
	tests := []struct {
		name string
		data []byte
		want []string
	}{
		{"go install m@version", testELF(goBuildInfoSection("go1.22.1", modinfo(debug.BuildInfo{
			Path: "github.com/acme/tool/cmd/tool", Main: mod("github.com/acme/tool", "v1.3.0"),
			Deps: []*debug.Module{
				dep("golang.org/x/net", "v0.17.0"),
				replaced("github.com/old/lib", "v1.0.0", mod("github.com/fork/lib", "v1.0.1")),
				replaced("example.com/local", "v0.0.0", mod("../local", "(devel)")),
				dep("", "(devel)"),
			}}))), []string{
			"stdlib v1.22.1 [buildinfo]",
			"github.com/acme/tool v1.3.0 [buildinfo]",
			"golang.org/x/net v0.17.0 [buildinfo]",
			"github.com/fork/lib v1.0.1 [buildinfo]",
		}},
		{"devel main, version from ldflags", testELF(goBuildInfoSection("go1.21.13 X:boringcrypto", modinfo(debug.BuildInfo{
			Path: "github.com/acme/tool", Main: mod("github.com/acme/tool", "(devel)"),
			Deps: []*debug.Module{dep("github.com/google/uuid", "v1.6.0")}, Settings: ldflags("-s -w -X main.version=2.0.1"),
		}))), []string{
			"stdlib v1.21.13 [buildinfo]",
			"github.com/acme/tool v2.0.1 [buildinfo-ldflags]",
			"github.com/google/uuid v1.6.0 [buildinfo]",
		}},
		{"devel main without version", testELF(goBuildInfoSection("go1.21.13", modinfo(debug.BuildInfo{
			Path: "github.com/acme/tool", Main: mod("github.com/acme/tool", "(devel)"), Settings: ldflags("-s -w"),
		}))), []string{"stdlib v1.21.13 [buildinfo]"}},
		{"VCS pseudo-version, ldflags win", testELF(goBuildInfoSection("go1.24.2", modinfo(debug.BuildInfo{
			Path: "example.com/x", Main: mod("example.com/x", "v0.0.0-20250101120000-abcdefabcdef"),
			Settings: ldflags("-X main.version=0.4.0"),
		}))), []string{"stdlib v1.24.2 [buildinfo]", "example.com/x v0.4.0 [buildinfo-ldflags]"}},
		{"VCS pseudo-version alone", testELF(goBuildInfoSection("go1.24.2", modinfo(debug.BuildInfo{
			Path: "example.com/x", Main: mod("example.com/x", "v0.0.0-20250101120000-abcdefabcdef+dirty"),
		}))), []string{"stdlib v1.24.2 [buildinfo]", "example.com/x v0.0.0-20250101120000-abcdefabcdef+dirty [buildinfo]"}},
		{"GOPATH mode (Debian)", testELF(goBuildInfoSection("go1.19.8",
			"path\tfilippo.io/age/cmd/age\nbuild\t-compiler=gc\nbuild\tCGO_ENABLED=1\n")),
			[]string{"stdlib v1.19.8 [buildinfo]"}},
		{"no module information at all", testELF(goBuildInfoSection("go1.15.15", "")), []string{"stdlib v1.15.15 [buildinfo]"}},
		{"development toolchain", testELF(goBuildInfoSection("devel go1.23-e3a2f1b", modinfo(debug.BuildInfo{
			Path: "example.com/x", Main: mod("example.com/x", "v1.0.0"),
		}))), []string{"example.com/x v1.0.0 [buildinfo]"}},
		{"Go and cargo-auditable together", testELF(goBuildInfoSection("go1.22.1", modinfo(debug.BuildInfo{
			Path: "example.com/x", Main: mod("example.com/x", "v1.0.0")})),
			depV0Section(t, `{"packages":[{"name":"ring","version":"0.17.8","source":"crates.io"}]}`)),
			[]string{"stdlib v1.22.1 [buildinfo]", "example.com/x v1.0.0 [buildinfo]", "ring 0.17.8 [cargo-auditable]"}},
		{"ELF without either", testELF(testELFSection{name: ".text", flags: elf.SHF_ALLOC | elf.SHF_EXECINSTR,
			data: bytes.Repeat([]byte{0x90}, 64)}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, streamed := range []bool{false, true} {
				var r io.Reader = bytes.NewReader(tt.data)
				if streamed {
					r = io.LimitReader(bytes.NewReader(tt.data), int64(len(tt.data))) // a directory scan's reader
				}
				pkgs, err := Executables{}.Parse("/usr/bin/x", r, int64(len(tt.data)))
				if err != nil {
					t.Fatal(err)
				}
				for i := range pkgs {
					pkgs[i].Ecosystem = model.Golang // one check for both ecosystems' invariants
				}
				checkGoRustNuGet(t, model.Golang, "/usr/bin/x", pkgs, nil)
				diffLines(t, tt.name, pkgLines(pkgs), tt.want)
			}
		})
	}
}

// TestExecutablesNotBinaries: whatever is not an executable with a record is skipped without a warning.
func TestExecutablesNotBinaries(t *testing.T) {
	elfHdr := testELF()
	inputs := map[string][]byte{
		"empty":        nil,
		"short":        []byte("\x7fEL"),
		"shell script": []byte("#!/bin/sh\necho hello\n" + strings.Repeat("# padding\n", 20000)),
		"ELF header":   elfHdr[:64],
		"MZ garbage":   append([]byte("MZ"), bytes.Repeat([]byte{0xff}, 4096)...),
		"Mach-O magic": append([]byte("\xcf\xfa\xed\xfe"), make([]byte, 64)...),
		"fat magic":    append([]byte("\xca\xfe\xba\xbe"), make([]byte, 64)...),
		"Java class":   append([]byte("\xca\xfe\xba\xbe\x00\x00\x00\x34"), make([]byte, 64)...),
	}
	for name, data := range inputs {
		pkgs, err := Executables{}.Parse("/bin/x", bytes.NewReader(data), int64(len(data)))
		if pkgs != nil || err != nil {
			t.Errorf("%s: got %v, %v; want nothing", name, pkgs, err)
		}
	}
}

// TestExecutablesBadRecords: a record that is there but broken is an error naming the file; next to a good record
// of the other kind it is a partial result.
func TestExecutablesBadRecords(t *testing.T) {
	badZlib := testELFSection{name: ".dep-v0", data: []byte("not zlib")}
	badJSON := depV0Section(t, `{"packages":[`)
	badGo := goBuildInfoSection("go1.22.1", "mod\tonly-two-fields\n")
	goodGo := goBuildInfoSection("go1.22.1", "")
	goodRust := depV0Section(t, `{"packages":[{"name":"ring","version":"0.17.8","source":"crates.io"}]}`)
	tests := []struct {
		name    string
		data    []byte
		partial bool
	}{
		{"bad zlib", testELF(badZlib), false},
		{"bad json", testELF(badJSON), false},
		{"bad go modinfo", testELF(badGo), false},
		{"bad rust, good go", testELF(goodGo, badJSON), true},
		{"bad go, good rust", testELF(badGo, goodRust), true},
	}
	for _, tt := range tests {
		pkgs, err := Executables{}.Parse("/bin/x", bytes.NewReader(tt.data), int64(len(tt.data)))
		var partial *Partial
		if err == nil || errors.As(err, &partial) != tt.partial || (len(pkgs) > 0) != tt.partial {
			t.Errorf("%s: got %v, %v", tt.name, pkgs, err)
		}
		if !strings.Contains(err.Error(), "/bin/x") && !tt.partial {
			t.Errorf("%s: error %q does not name the file", tt.name, err)
		}
	}
}

// goVersionM reads the output of `go version -m FILE` independently of debug/buildinfo: the packages hullscan must
// report for FILE by the rules of goBinaryPackages.
func goVersionM(t *testing.T, out []byte) (file string, want []string) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	var main, mainVersion, ldflagsVersion string
	var deps [][2]string
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "\t") {
			f, goVersion, ok := strings.Cut(line, ": ")
			if !ok || !strings.HasPrefix(goVersion, "go1.") {
				t.Fatalf("unexpected first line %q", line)
			}
			file = f
			want = append(want, "stdlib v"+strings.TrimPrefix(goVersion, "go")+" [buildinfo]")
			continue
		}
		f := strings.Split(line[1:], "\t")
		switch f[0] {
		case "mod":
			main, mainVersion = f[1], f[2]
		case "dep":
			deps = append(deps, [2]string{f[1], f[2]})
		case "=>":
			deps[len(deps)-1] = [2]string{f[1], f[2]}
		case "build":
			if v, ok := strings.CutPrefix(f[1], "-ldflags="); ok {
				if _, after, ok := strings.Cut(v, "-X main.version="); ok {
					ldflagsVersion = "v" + strings.Trim(strings.Fields(after)[0], `"`)
				}
			}
		}
	}
	switch {
	case main == "":
	case mainVersion != "(devel)":
		want = append(want, main+" "+mainVersion+" [buildinfo]")
	case ldflagsVersion != "":
		want = append(want, main+" "+ldflagsVersion+" [buildinfo-ldflags]")
	}
	for _, d := range deps {
		if d[1] != "(devel)" {
			want = append(want, d[0]+" "+d[1]+" [buildinfo]")
		}
	}
	return file, want
}

// TestGoBinariesReal compares what hullscan reads from real Go binaries (ELF, Mach-O, PE, stripped, -trimpath,
// go install, Debian's) with `go version -m` on the same files.
func TestGoBinariesReal(t *testing.T) {
	dir := testimage.RequireFixtureDir(t, "gobin")
	outs, err := filepath.Glob(filepath.Join(dir, "expected", "*.txt"))
	if err != nil || len(outs) < 9 {
		t.Fatalf("expected outputs: %v, %v", outs, err)
	}
	for _, o := range outs {
		out, err := os.ReadFile(o)
		if err != nil {
			t.Fatal(err)
		}
		file, want := goVersionM(t, out)
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := os.Stat(filepath.Join(dir, file))
			if !(Executables{}).MatchEntry("/"+file, int64(fi.Mode().Perm()), fi.Size()) {
				t.Errorf("MatchEntry(%s, %o, %d) = false", file, fi.Mode().Perm(), fi.Size())
			}
			for _, streamed := range []bool{false, true} {
				var r io.Reader = bytes.NewReader(data)
				if streamed {
					r = io.LimitReader(bytes.NewReader(data), int64(len(data)))
				}
				pkgs, err := Executables{}.Parse("/"+file, r, int64(len(data)))
				checkGoRustNuGet(t, model.Golang, "/"+file, pkgs, err)
				if err != nil {
					t.Fatal(err)
				}
				diffLines(t, file, pkgLines(pkgs), want)
			}
		})
	}
	// Debian's binaries are GOPATH builds: the toolchain version and nothing else.
	out, err := os.ReadFile(filepath.Join(dir, "expected", "deb_usr_bin_fzf.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if _, want := goVersionM(t, out); len(want) != 1 || !strings.HasPrefix(want[0], "stdlib v1.19.") {
		t.Errorf("Debian's fzf: %q, want only stdlib of Go 1.19", want)
	}
	// A non-Go ELF big enough to be read: nothing, quietly.
	data, err := os.ReadFile(filepath.Join(dir, "bin", "not-go"))
	if err != nil {
		t.Fatal(err)
	}
	if pkgs, err := (Executables{}).Parse("/bin/not-go", bytes.NewReader(data), int64(len(data))); pkgs != nil || err != nil {
		t.Errorf("not-go: %v, %v", pkgs, err)
	}
}

// TestGoModReal reads the go.mod that `go mod tidy` wrote and compares it with `go mod edit -json` on the same
// file, with replacements applied; every module compiled into the binary built from it must be among them.
func TestGoModReal(t *testing.T) {
	dir := testimage.RequireFixtureDir(t, "gobin")
	data, err := os.ReadFile(filepath.Join(dir, "src", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "src", "go.mod.json"))
	if err != nil {
		t.Fatal(err)
	}
	type modV struct{ Path, Version string }
	var edit struct {
		Require []struct {
			Path, Version string
			Indirect      bool
		}
		Exclude []modV
		Replace []struct{ Old, New modV }
	}
	if err := json.Unmarshal(js, &edit); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range edit.Require {
		if slices.Contains(edit.Exclude, modV{r.Path, r.Version}) {
			continue
		}
		name, version := r.Path, r.Version
		for _, x := range edit.Replace {
			if x.Old.Path == r.Path && (x.Old.Version == "" || x.Old.Version == r.Version) {
				name, version = x.New.Path, x.New.Version
			}
		}
		if version == "" {
			continue
		}
		kind := "direct"
		if r.Indirect {
			kind = "transitive"
		}
		want = append(want, fmt.Sprintf("%s %s %s [go.mod]", name, version, kind))
	}
	pkgs, err := parse(t, GoMod{}, "/src/go.mod", data)
	checkGoRustNuGet(t, model.Golang, "/src/go.mod", pkgs, err)
	if err != nil {
		t.Fatal(err)
	}
	got := pkgLines(pkgs)
	diffLines(t, "go.mod", got, want)
	if len(got) != 6 {
		t.Errorf("want the 6 modules of the fixture, got %d", len(got))
	}
	out, err := os.ReadFile(filepath.Join(dir, "expected", "bin_app.txt"))
	if err != nil {
		t.Fatal(err)
	}
	_, compiled := goVersionM(t, out)
	for _, c := range compiled {
		nv := strings.TrimSuffix(c, " [buildinfo]")
		if strings.HasPrefix(nv, "stdlib ") {
			continue
		}
		found := false
		for _, p := range pkgs {
			found = found || p.Name+" "+p.Version == nv
		}
		if !found {
			t.Errorf("%s is compiled in but not reported from go.mod", nv)
		}
	}
}

func FuzzGoMod(f *testing.F) {
	for _, n := range []string{"go.mod", "future.go.mod", "std.go.mod", "bad.go.mod"} {
		f.Add(readTestdata(f, "golang/"+n))
	}
	f.Add([]byte("module m\nrequire GitHub.com/A/B v0.0.0\n")) // purl parsing lower-cases Go names
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parse(t, GoMod{}, "/app/go.mod", data)
		checkGoRustNuGet(t, model.Golang, "/app/go.mod", pkgs, err)
	})
}

// FuzzExecutables mutates small synthetic ELF files carrying Go build information and cargo-auditable data.
func FuzzExecutables(f *testing.F) {
	f.Add(testELF(goBuildInfoSection("go1.22.1", (&debug.BuildInfo{Path: "example.com/x",
		Main: debug.Module{Path: "example.com/x", Version: "v1.0.0"},
		Deps: []*debug.Module{{Path: "golang.org/x/net", Version: "v0.17.0"}}}).String())))
	f.Add(testELF(depV0Section(f, `{"packages":[{"name":"app","version":"0.1.0","source":"local","root":true,"dependencies":[1]},{"name":"ring","version":"0.17.8","source":"crates.io"}]}`)))
	f.Add(testELF(goBuildInfoSection("go1.19.8", "path\tx\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := Executables{}.Parse("/bin/x", bytes.NewReader(data), int64(len(data)))
		for i := range pkgs {
			if pkgs[i].Ecosystem != model.Golang && pkgs[i].Ecosystem != model.Cargo {
				t.Fatalf("bad ecosystem %+v", pkgs[i])
			}
			pkgs[i].Ecosystem = model.Golang
		}
		checkGoRustNuGet(t, model.Golang, "/bin/x", pkgs, err)
	})
}

// A large executable is spooled to a temporary file, not read into memory; the packages are the same either way.
// The test binary itself is a Go binary with build information.
func TestExecutablesSpooled(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	inMemory, err := Executables{}.Parse("/usr/bin/x", bytes.NewReader(b), int64(len(b)))
	if err != nil || len(inMemory) == 0 {
		t.Fatalf("in memory: %d packages, %v", len(inMemory), err)
	}
	defer func(n int64) { executableSpoolSize = n }(executableSpoolSize)
	executableSpoolSize = 1 << 10
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	// A plain reader, as the layer walker streams large files.
	spooled, err := Executables{}.Parse("/usr/bin/x", io.MultiReader(bytes.NewReader(b)), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(spooled) != fmt.Sprint(inMemory) {
		t.Errorf("spooled parse differs:\n%v\n%v", spooled, inMemory)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}
