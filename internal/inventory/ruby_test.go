package inventory

import (
	"strings"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
)

func TestRubyMatch(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{"/app/Gemfile.lock", "gemfile-lock"},
		{"/app/gems.locked", "gemfile-lock"},
		{"/app/Gemfile", ""},
		{"/usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec", "gemspec"},
		{"/usr/lib/x86_64-linux-gnu/rubygems-integration/3.1.0/specifications/json-2.6.3.gemspec", "gemspec"},
		{"/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec", "gemspec"},
		{"/usr/local/bundle/specifications/puma-6.4.2.gemspec", "gemspec"},
		{"/app/vendor/bundle/ruby/3.2.0/specifications/nokogiri-1.15.4-x86_64-linux.gemspec", "gemspec"},
		{"/app/myapp.gemspec", ""},
		{"/app/vendor/bundle/ruby/3.2.0/bundler/gems/rails-5e1b7e3b8f2c/rails.gemspec", ""},
		{"/usr/lib/ruby/3.1.0/bundler/templates/newgem/newgem.gemspec.tt", ""},
		{"/app/default/x.gemspec", ""},
		{"/usr/lib/ruby/gems/3.1.0/gems/rbs-2.1.0/steep/Gemfile.lock", ""},
		{"/usr/local/bundle/gems/typeprof-0.21.2/Gemfile.lock", ""},
		{"/app/vendor/bundle/ruby/3.2.0/bundler/gems/rails-a1b2c3d4e5f6/Gemfile.lock", ""},
		{"/srv/gems/Gemfile.lock", "gemfile-lock"},
		{"/srv/gems/app/Gemfile.lock", "gemfile-lock"},
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

func TestGemfileLock(t *testing.T) {
	pkgs, err := pprParseFile(t, GemfileLock{}, model.Gem, "ruby/app/Gemfile.lock")
	if err != nil {
		t.Fatal(err)
	}
	// Bundler 2.5's lock with GIT, PATH, CHECKSUMS and three platform variants of nokogiri, which are one gem
	// version (Bundler::LockfileParser on this file agrees: name, version and platform per spec).
	pprDiff(t, "Gemfile.lock", pprSummary(pkgs), []string{
		"actionpack 7.2.0.alpha transitive", "billing 0.1.0 direct", "concurrent-ruby 1.3.3 transitive",
		"i18n 1.14.5 transitive", "money 6.19.0 transitive", "nio4r 2.7.3 transitive", "nokogiri 1.16.6 direct",
		"pg 1.5.6 direct", "puma 6.4.2 direct", "racc 1.8.0 transitive", "rack 3.1.3 transitive",
		"rails 7.2.0.alpha direct", "rspec-core 3.13.0 direct", "rspec-support 3.13.1 transitive",
	})
}

func TestGemfileLockEdges(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string
		err  bool
	}{
		{"not a lockfile", "hello\nworld\n", nil, true},
		{"empty", "", nil, true},
		{"no DEPENDENCIES: dependency kind unknown", "GEM\r\n  remote: https://rubygems.org/\r\n  specs:\r\n    rack (3.0.9)\r\n", []string{"rack 3.0.9"}, false},
		{"spec without a version is skipped", "GEM\n  specs:\n    rack\n    rake (13.1.0)\n\nDEPENDENCIES\n  rake\n", []string{"rake 13.1.0 direct"}, false},
		{"six-space lines are requirements, not gems", "GEM\n  specs:\n    a (1.0)\n      b (>= 2.0)\n", []string{"a 1.0"}, false},
	}
	for _, tt := range tests {
		pkgs, err := parse(t, GemfileLock{}, "/Gemfile.lock", []byte(tt.data))
		pprCheck(t, model.Gem, "/Gemfile.lock", pkgs, err)
		if (err != nil) != tt.err {
			t.Errorf("%s: error %v", tt.name, err)
		}
		pprDiff(t, tt.name, pprSummary(pkgs), tt.want)
	}
}

func TestGemspec(t *testing.T) {
	tests := []struct {
		rel      string
		want     string
		licenses string
	}{
		// Real Debian 12 files (ruby-rack, libruby3.1).
		{"ruby/usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec", "rack 2.2.22", "MIT"},
		{"ruby/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec", "json 2.6.1", "Ruby"},
		// A platform gem: the version does not carry the platform.
		{"ruby/vendor/bundle/ruby/3.2.0/specifications/nokogiri-1.15.4-x86_64-linux.gemspec", "nokogiri 1.15.4", "MIT"},
		// RubyGems 1.8's to_ruby: no stub line, no .freeze, no licence.
		{"ruby/vendor/bundle/ruby/3.2.0/specifications/rake-0.9.2.2.gemspec", "rake 0.9.2.2", ""},
	}
	for _, tt := range tests {
		pkgs, err := pprParseFile(t, Gemspec{}, model.Gem, tt.rel)
		if err != nil || len(pkgs) != 1 {
			t.Fatalf("%s: %v, %v", tt.rel, pkgs, err)
		}
		if got := pkgs[0].Name + " " + pkgs[0].Version; got != tt.want || strings.Join(pkgs[0].Licenses, ",") != tt.licenses {
			t.Errorf("%s: got %s %q, want %s %q", tt.rel, got, pkgs[0].Licenses, tt.want, tt.licenses)
		}
	}
	// A version computed in Ruby is not guessed.
	if _, err := pprParseFile(t, Gemspec{}, model.Gem, "ruby/vendor/bundle/ruby/3.2.0/specifications/computed-1.0.0.gemspec"); err == nil {
		t.Error("computed version: no error")
	}
	// The stub line alone is enough (a truncated file), and escapes in literals are undone.
	pkgs, err := parse(t, Gemspec{}, "/s/specifications/x.gemspec", []byte("# stub: stubbed 0.1.0 ruby lib\n  s.licenses = [\"A\\\"B\".freeze, 'C']\n"))
	if err != nil || len(pkgs) != 1 || pkgs[0].Name != "stubbed" || pkgs[0].Version != "0.1.0" || strings.Join(pkgs[0].Licenses, ",") != `A"B,C` {
		t.Errorf("stub only: %+v, %v", pkgs, err)
	}
}

func FuzzGemfileLock(f *testing.F) {
	pprSeeds(f, "ruby", func(p string) bool { return strings.HasSuffix(p, "Gemfile.lock") })
	f.Add([]byte("GEM\n  specs:\n    a (1.0-x86_64-linux)\n\nDEPENDENCIES\n  a!\n"))
	pprFuzz(f, GemfileLock{}, model.Gem, "/app/Gemfile.lock")
}

func FuzzGemspec(f *testing.F) {
	pprSeeds(f, "ruby", func(p string) bool { return strings.HasSuffix(p, ".gemspec") })
	pprFuzz(f, Gemspec{}, model.Gem, "/usr/local/bundle/specifications/x-1.gemspec")
}
