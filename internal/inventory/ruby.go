package inventory

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
)

// rubyParsers lists this ecosystem's parsers.
func rubyParsers() []Parser { return []Parser{GemfileLock{}, Gemspec{}} }

const (
	gemfileLockMaxSize = 16 << 20
	gemspecMaxSize     = 4 << 20 // to_ruby writes every file name of the gem; big gems reach a few hundred KiB
)

// GemfileLock reads Bundler's lockfile (Gemfile.lock, or gems.locked for a gems.rb). Packages are the specs of
// every source section (GEM for rubygems.org and other gem servers, GIT, PATH and PLUGIN SOURCE), written at four
// spaces of indentation as "name (version)" or "name (version-platform)"; the six-space lines under them are
// their dependency requirements. Bundler itself splits the parenthesised text at the first "-" into version and
// platform (LockfileParser's NAME_VERSION), and so does this: Version is the gem version and the platform is
// dropped (the model has no field for it), so "nokogiri (1.15.4-x86_64-linux)" and "nokogiri (1.15.4)" are one
// package, nokogiri 1.15.4. DEPENDENCIES lists what the Gemfile names: those are direct, the rest transitive.
// The lock has no groups, so development gems are not told apart.
type GemfileLock struct{}

func (GemfileLock) Name() string   { return "gemfile-lock" }
func (GemfileLock) Version() int   { return 1 }
func (GemfileLock) MaxSize() int64 { return gemfileLockMaxSize }
func (GemfileLock) Match(p string) bool {
	b := path.Base(p)
	return (b == "Gemfile.lock" || b == "gems.locked") && !inInstalledGem(p)
}

// inInstalledGem reports whether p is inside an installed gem's directory, <GEM_HOME>/gems/NAME-VERSION/ (or a
// Bundler git checkout, bundler/gems/NAME-REVISION/). A Gemfile.lock there is the gem author's development lock
// (Ruby 3.1's bundled rbs and typeprof gems ship theirs): the gems it names are not installed.
func inInstalledGem(p string) bool {
	for {
		i := strings.Index(p, "/gems/")
		if i < 0 {
			return false
		}
		checkout := strings.HasSuffix(p[:i], "/bundler") // revision: hex, may start with a letter
		p = p[i+len("/gems/"):]
		dir, _, _ := strings.Cut(p, "/")
		if j := strings.LastIndexByte(dir, '-'); j > 0 && j+1 < len(dir) && (checkout || dir[j+1] >= '0' && dir[j+1] <= '9') {
			return true
		}
	}
}

func (GemfileLock) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	lr := &io.LimitedReader{R: r, N: gemfileLockMaxSize + 1}
	br := bufio.NewReaderSize(lr, 32<<10)
	var (
		pkgs     []model.Package
		seen     = map[string]bool{}
		section  string
		sections int
		direct   = map[string]bool{}
		hasDeps  bool
	)
	for {
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
		if lr.N <= 0 {
			return nil, fmt.Errorf("parse %s: larger than %d bytes", p, gemfileLockMaxSize)
		}
		line = strings.TrimRight(line, "\r\n")
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case strings.TrimSpace(line) == "":
		case indent == 0:
			section = line
			switch section {
			case "GEM", "GIT", "PATH", "PLUGIN SOURCE", "DEPENDENCIES", "PLATFORMS", "RUBY VERSION", "BUNDLED WITH",
				"CHECKSUMS":
				sections++
			}
			if section == "DEPENDENCIES" {
				hasDeps = true
			}
		case section == "DEPENDENCIES" && indent == 2:
			name, _, _ := gemNameVersion(line[2:])
			direct[strings.TrimSuffix(name, "!")] = true
		case indent == 4 && (section == "GEM" || section == "GIT" || section == "PATH" || section == "PLUGIN SOURCE"):
			name, version, ok := gemNameVersion(line[4:])
			if !ok || !isToken(name) || !isToken(version) {
				continue
			}
			if k := name + "\x00" + version; !seen[k] {
				seen[k] = true
				pkgs = append(pkgs, model.Package{Ecosystem: model.Gem, Name: name, Version: version, Location: p})
			}
		}
		if err != nil { // io.EOF
			break
		}
	}
	if sections == 0 {
		return nil, fmt.Errorf("parse %s: no Bundler lockfile section (GEM, DEPENDENCIES ...)", p)
	}
	if hasDeps {
		for i := range pkgs {
			pkgs[i].Dependency = model.DependencyTransitive
			if direct[pkgs[i].Name] {
				pkgs[i].Dependency = model.DependencyDirect
			}
		}
	}
	return pkgs, nil
}

// gemNameVersion splits "name (version-platform)" the way Bundler's lockfile parser does; ok is false when there
// is no parenthesised version.
func gemNameVersion(s string) (name, version string, ok bool) {
	open := strings.Index(s, " (")
	if open < 0 || !strings.HasSuffix(s, ")") {
		return strings.TrimSpace(s), "", false
	}
	name, inner := s[:open], s[open+2:len(s)-1]
	version, _, _ = strings.Cut(inner, "-")
	return name, version, true
}

// Gemspec reads the specifications RubyGems writes for every installed gem,
// <GEM_HOME>/specifications/NAME-VERSION[-PLATFORM].gemspec, and those of Ruby's default gems in
// specifications/default/. Debian installs its ruby-* packages' specifications in the same form under
// /usr/share/rubygems-integration/{all,X.Y.Z}/specifications and /usr/lib/<triplet>/rubygems-integration/.
//
// A gemspec is Ruby code and is never run: RubyGems' Specification#to_ruby writes a fixed shape,
//
//	# stub: rack 2.2.22 ruby lib
//	Gem::Specification.new do |s|
//	  s.name = "rack".freeze
//	  s.version = "2.2.22"
//	  s.licenses = ["MIT".freeze]
//
// from which the name, version and licences are read with patterns; the "# stub:" line (RubyGems 2.1+) is the
// fallback for the name and version. Gemspecs elsewhere (a project's own NAME.gemspec, usually computing its
// version in Ruby) are not matched.
type Gemspec struct{}

func (Gemspec) Name() string   { return "gemspec" }
func (Gemspec) Version() int   { return 1 }
func (Gemspec) MaxSize() int64 { return gemspecMaxSize }
func (Gemspec) Match(p string) bool {
	if !strings.HasSuffix(p, ".gemspec") {
		return false
	}
	dir := path.Dir(p)
	switch path.Base(dir) {
	case "specifications":
		return true
	case "default":
		return path.Base(path.Dir(dir)) == "specifications"
	}
	return false
}

var (
	gemspecAssign = regexp.MustCompile(`(?m)^\s*\w+\.(name|version|licenses|license)\s*=\s*(.+?)\s*$`)
	gemspecStub   = regexp.MustCompile(`(?m)^# stub: (\S+) (\S+)`)
	gemspecString = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'`)
)

func (Gemspec) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	b, err := readLangFile(p, r, gemspecMaxSize)
	if err != nil {
		return nil, err
	}
	text := string(b)
	var name, version string
	var licenses []string
	gotLicenses := false
	for _, m := range gemspecAssign.FindAllStringSubmatch(text, -1) {
		strs := gemspecStrings(m[2])
		switch m[1] {
		case "name":
			if name == "" && len(strs) > 0 {
				name = strs[0]
			}
		case "version":
			if version == "" && len(strs) > 0 {
				version = strs[0]
			}
		case "licenses", "license":
			if !gotLicenses && len(strs) > 0 {
				licenses, gotLicenses = strs, true
			}
		}
	}
	if name == "" || version == "" {
		if m := gemspecStub.FindStringSubmatch(text); m != nil {
			if name == "" {
				name = m[1]
			}
			if version == "" {
				version = m[2]
			}
		}
	}
	if !isToken(name) || !isToken(version) {
		return nil, fmt.Errorf("parse %s: no literal name and version", p)
	}
	pkg := model.Package{Ecosystem: model.Gem, Name: name, Version: version, Location: p}
	for _, l := range licenses {
		if l = strings.TrimSpace(l); l != "" {
			pkg.Licenses = append(pkg.Licenses, l)
		}
	}
	return []model.Package{pkg}, nil
}

// gemspecStrings returns the string literals on the right-hand side of an assignment, in order, with the simple
// escapes to_ruby produces undone. A right-hand side that is not literal ("Foo::VERSION") gives none.
func gemspecStrings(rhs string) []string {
	var out []string
	for _, m := range gemspecString.FindAllStringSubmatch(rhs, -1) {
		s := m[1]
		if s == "" {
			s = m[2]
		}
		out = append(out, strings.NewReplacer(`\\`, `\`, `\"`, `"`, `\'`, `'`).Replace(s))
	}
	return out
}
