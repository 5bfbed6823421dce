package inventory

import (
	"bytes"
	"debug/buildinfo"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"sync"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/hullscan/hullscan/internal/model"
)

// Executables reads what compilers record about a program inside its executable: Go build information (module
// path and version of the main module and of every dependency compiled in, and the toolchain's version, which is
// the version of the standard library) and the dependency list cargo-auditable embeds in Rust binaries (see
// rust_binary.go). Executables are found by their executable bit and size, not their name; anything that is not
// an ELF, PE or Mach-O file, and any such file without either record (stripped of it, or not Go or audited
// Rust), is skipped quietly.
type Executables struct{}

// executableMinSize is below the smallest Go binary (a no-op main built with -ldflags="-s -w" is 1.1 MiB with Go
// 1.26) and the smallest std-linked Rust binary (a stripped, size-optimised hello world is 280 KiB): smaller
// executables are shell scripts and small C programs, not worth reading.
const executableMinSize = 128 << 10

// executableSpoolSize is the size above which an executable is read from a temporary file, not from memory.
var executableSpoolSize int64 = 16 << 20 // a variable for tests

func (Executables) Name() string   { return "executable" }
func (Executables) Version() int   { return 1 }
func (Executables) MaxSize() int64 { return 512 << 20 }

// Match is false: executables are chosen by MatchEntry.
func (Executables) Match(string) bool { return false }

// MatchEntry claims regular files with any executable bit and at least executableMinSize bytes, unless a parser
// that chooses files by name claims the path: the scan hands a file to the first parser that wants it, and files
// copied from Windows or zip archives are often all executable (a 0777 package-lock.json, an executable Spring Boot
// jar) and belong to their own parser.
func (Executables) MatchEntry(p string, mode, size int64) bool {
	return mode&0o111 != 0 && size >= executableMinSize && !claimedByName(p)
}

var nameParsers struct {
	once sync.Once
	ps   []Parser
}

// claimedByName reports whether a parser choosing files by path alone wants p.
func claimedByName(p string) bool {
	nameParsers.once.Do(func() {
		for _, x := range Parsers() {
			if _, ok := x.(EntryMatcher); !ok {
				nameParsers.ps = append(nameParsers.ps, x)
			}
		}
	})
	for _, x := range nameParsers.ps {
		if x.Match(p) {
			return true
		}
	}
	return false
}

// exeFormat is an executable file format found by its magic bytes.
type exeFormat int

const (
	exeNone exeFormat = iota
	exeELF
	exePE
	exeMachO
	exeMachOFat
)

func sniffExecutable(h []byte) exeFormat {
	if len(h) < 4 {
		return exeNone
	}
	switch string(h[:4]) {
	case "\x7fELF":
		return exeELF
	case "\xfe\xed\xfa\xce", "\xfe\xed\xfa\xcf", "\xce\xfa\xed\xfe", "\xcf\xfa\xed\xfe":
		return exeMachO
	case "\xca\xfe\xba\xbe":
		return exeMachOFat
	}
	if h[0] == 'M' && h[1] == 'Z' {
		return exePE
	}
	return exeNone
}

func (e Executables) Parse(p string, r io.Reader, size int64) (pkgs []model.Package, err error) {
	defer func() {
		// debug/elf, debug/pe and debug/macho read hostile headers; a panic there must not end the scan.
		if v := recover(); v != nil {
			pkgs, err = nil, fmt.Errorf("parse %s: %v", p, v)
		}
	}()
	ra, format, done, err := readExecutable(r, size, e.MaxSize())
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	defer done()
	if format == exeNone {
		return nil, nil
	}
	goPkgs, goErr := goBinaryPackages(p, ra)
	rustPkgs, rustErr := cargoAuditablePackages(p, ra, format)
	pkgs = append(goPkgs, rustPkgs...)
	var errs []string
	for _, e := range []error{goErr, rustErr} {
		if e != nil {
			errs = append(errs, e.Error())
		}
	}
	switch {
	case len(errs) == 0:
		return pkgs, nil
	case len(pkgs) > 0:
		return pkgs, &Partial{Err: fmt.Errorf("%s", strings.Join(errs, "; "))}
	default:
		return nil, fmt.Errorf("parse %s: %s", p, strings.Join(errs, "; "))
	}
}

// readExecutable checks the magic bytes before reading the rest, so a directory scan reads four bytes of a file
// that is no executable. The scan of an image already holds the file in a bytes.Reader, which is used as it is.
func readExecutable(r io.Reader, size, limit int64) (ra io.ReaderAt, f exeFormat, done func(), err error) {
	done = func() {}
	if br, ok := r.(*bytes.Reader); ok && br.Len() == int(br.Size()) {
		var h [4]byte
		if n, _ := br.ReadAt(h[:], 0); n < len(h) {
			return nil, exeNone, done, nil
		}
		return br, sniffExecutable(h[:]), done, nil
	}
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, exeNone, done, nil
		}
		return nil, exeNone, done, err
	}
	f = sniffExecutable(h[:])
	if f == exeNone {
		return nil, exeNone, done, nil
	}
	body := io.MultiReader(bytes.NewReader(h[:]), io.LimitReader(r, limit-4))
	if size > executableSpoolSize {
		// A large binary goes to a temporary file rather than memory, so that memory stays flat however large the
		// programs an image ships; the debug/* readers then read only the sections they need from it.
		tmp, err := os.CreateTemp("", "hullscan-exe-*")
		if err != nil {
			return nil, exeNone, done, err
		}
		done = func() { tmp.Close(); os.Remove(tmp.Name()) }
		if _, err := io.Copy(tmp, body); err != nil {
			done()
			return nil, exeNone, func() {}, err
		}
		return tmp, f, done, nil
	}
	var buf bytes.Buffer
	buf.Grow(int(min(max(size, 4), limit, executableSpoolSize)))
	if _, err := io.Copy(&buf, body); err != nil {
		return nil, exeNone, done, err
	}
	return bytes.NewReader(buf.Bytes()), f, done, nil
}

// goBinaryPackages reports the Go build information of an executable, or nothing when it has none.
//
//   - the standard library as "stdlib", versioned by the toolchain that built the binary (goToolchainSemver);
//   - the main module, when the build recorded a version (`go install m@v1.2.3`, or a VCS-stamped build since Go
//     1.24); a "(devel)" main module gets the version its build passed with `-ldflags -X …version=1.2.3` where
//     that is unambiguous (Evidence "buildinfo-ldflags"), else it is not reported: without a version it matches
//     nothing;
//   - every dependency, as the module compiled in: a replaced dependency is reported as its replacement, and one
//     replaced by a directory (version "(devel)") is the project's own code and not reported.
//
// Debian builds Go packages in GOPATH mode: their build information has no modules, only the toolchain version,
// so only stdlib is reported for them (the scan marks it as owned by the Debian package, whose own advisories
// cover the code Debian compiled in).
func goBinaryPackages(p string, ra io.ReaderAt) ([]model.Package, error) {
	info, err := buildinfo.Read(ra)
	if err != nil {
		if msg := err.Error(); strings.HasSuffix(msg, "not a Go executable") || strings.HasSuffix(msg, "unrecognized file format") {
			return nil, nil
		}
		return nil, fmt.Errorf("go build information: %w", err)
	}
	var pkgs []model.Package
	add := func(name, version, evidence string) {
		pkgs = append(pkgs, model.Package{Ecosystem: model.Golang, Name: name, Version: version, Location: p,
			Evidence: evidence})
	}
	if v, ok := goToolchainSemver(info.GoVersion); ok {
		add("stdlib", v, "buildinfo")
	}
	if m := info.Main; goModulePath(m.Path) {
		switch {
		case goModuleVersion(m.Version) && !strings.HasPrefix(m.Version, "v0.0.0-"):
			add(m.Path, m.Version, "buildinfo")
		default:
			// A pseudo-version from VCS stamping ("v0.0.0-2024…") is what a repository without tags gets; a version
			// the build stamped in explicitly is better evidence of the release.
			if v := goLdflagsVersion(m.Path, info.Settings); v != "" {
				add(m.Path, v, "buildinfo-ldflags")
			} else if goModuleVersion(m.Version) {
				add(m.Path, m.Version, "buildinfo")
			}
		}
	}
	for _, d := range info.Deps {
		mod := d
		if d.Replace != nil {
			mod = d.Replace
		}
		// Go before 1.18 could record an empty-path dependency; a directory replacement is "(devel)".
		if !goModulePath(mod.Path) || !goModuleVersion(mod.Version) {
			continue
		}
		add(mod.Path, mod.Version, "buildinfo")
	}
	return pkgs, nil
}

// goModuleVersion reports whether v is a module version as the go command writes them (not "(devel)" or empty);
// VCS-stamped main modules may carry build metadata ("+dirty").
func goModuleVersion(v string) bool {
	c := module.CanonicalVersion(v)
	return c != "" && (v == c || strings.HasPrefix(v, c+"+"))
}

// goLdflagsVersion finds the version a build stamped into a variable with `-ldflags "-X pkg.version=1.2.3"`, the
// way Trivy does: keys ending in ".version" or ".ver" (any case) with a full semver value; a key under the main
// module's cmd/ tree wins over one in a package named main, common, version or cmd, which wins over any other.
// Two different versions at the same rank are ambiguous: none is returned. The result has the "v" prefix of
// module versions.
func goLdflagsVersion(mainPath string, settings []debug.BuildSetting) string {
	var flags string
	for _, s := range settings {
		if s.Key == "-ldflags" {
			flags = s.Value
		}
	}
	if flags == "" {
		return ""
	}
	words := goShellWords(flags)
	var found [3][]string
	for i := 0; i < len(words); i++ {
		w := words[i]
		var kv string
		switch {
		case w == "-X" || w == "--X":
			if i+1 < len(words) {
				i++
				kv = words[i]
			}
		case strings.HasPrefix(w, "-X=") || strings.HasPrefix(w, "--X="):
			_, kv, _ = strings.Cut(w, "=")
		default:
			continue
		}
		key, val, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		lower := strings.ToLower(key)
		if !strings.HasSuffix(lower, ".version") && !strings.HasSuffix(lower, ".ver") {
			continue
		}
		if !strings.HasPrefix(val, "v") {
			val = "v" + val
		}
		if c := semver.Canonical(val); c == "" || (val != c && !strings.HasPrefix(val, c+"+")) {
			continue
		}
		pkg := key[:strings.LastIndexByte(key, '.')]
		pkg = pkg[strings.LastIndexByte(pkg, '/')+1:]
		rank := 2
		switch {
		case strings.HasPrefix(key, mainPath+"/cmd/"):
			rank = 0
		case pkg == "main" || strings.EqualFold(pkg, "common") || strings.EqualFold(pkg, "version") || strings.EqualFold(pkg, "cmd"):
			rank = 1
		}
		if !goContains(found[rank], val) {
			found[rank] = append(found[rank], val)
		}
	}
	for _, vs := range found {
		if len(vs) == 1 {
			return vs[0]
		}
		if len(vs) > 1 {
			return ""
		}
	}
	return ""
}

func goContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// goShellWords splits a flag string the way a POSIX shell would for the simple cases build flags use: blanks
// separate words, single and double quotes group, a backslash escapes the next byte outside single quotes.
func goShellWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\\' && i+1 < len(s) && quote != '\'':
			i++
			cur.WriteByte(s[i])
			inWord = true
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
