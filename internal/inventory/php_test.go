package inventory

import (
	"sort"
	"strings"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
)

func TestPHPMatch(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{"/app/composer.lock", "composer-lock"},
		{"/app/composer.json", ""},
		{"/app/vendor/monolog/monolog/composer.lock", ""},
		{"/app/vendor/composer/installed.json", "composer-installed"},
		{"/app/lib/composer/installed.json", "composer-installed"},
		{"/app/vendor/composer/installed.php", ""},
		{"/app/vendor/installed.json", ""},
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

func TestComposer(t *testing.T) {
	prod := []string{"acme/internal-sdk dev-main", "guzzlehttp/guzzle 7.8.1", "guzzlehttp/promises 2.0.2",
		"monolog/monolog 3.5.0", "psr/http-message 2.0", "psr/log 3.0.0", "symfony/deprecation-contracts v3.4.0",
		"symfony/http-kernel v6.4.3"}
	dev := []string{"mockery/mockery 1.6.7 dev", "phpunit/phpunit 10.5.10 dev", "sebastian/diff 5.1.0 dev"}
	all := append(append([]string(nil), prod...), dev...)
	tests := []struct {
		ps   Parser
		rel  string
		want []string
	}{
		{ComposerLock{}, "php/app/composer.lock", all},
		{ComposerInstalled{}, "php/composer2/vendor/composer/installed.json", all},
		// Composer 1's array has no dev information.
		{ComposerInstalled{}, "php/composer1/vendor/composer/installed.json", []string{"guzzlehttp/guzzle 7.8.1",
			"guzzlehttp/promises 2.0.2", "monolog/monolog 3.5.0", "psr/http-message 2.0"}},
	}
	for _, tt := range tests {
		pkgs, err := pprParseFile(t, tt.ps, model.Composer, tt.rel)
		if err != nil {
			t.Fatal(err)
		}
		got := pprSummary(pkgs)
		want := append([]string(nil), tt.want...)
		sort.Strings(want)
		pprDiff(t, tt.rel, got, want)
		for _, p := range pkgs {
			// "license" is an array, or a string in old packages (mockery's here).
			if len(p.Licenses) != 1 || p.Licenses[0] == "" {
				t.Errorf("%s: licences %q", p.Name, p.Licenses)
			}
		}
	}
}

func TestComposerErrors(t *testing.T) {
	for _, tt := range []struct {
		ps   Parser
		path string
		data string
	}{
		{ComposerLock{}, "/composer.lock", "{"},
		{ComposerLock{}, "/composer.lock", `{"packages": {"a": 1}}`},
		{ComposerInstalled{}, "/vendor/composer/installed.json", "[1, 2"},
		{ComposerInstalled{}, "/vendor/composer/installed.json", `{"packages": 3}`},
	} {
		pkgs, err := parse(t, tt.ps, tt.path, []byte(tt.data))
		if err == nil || pkgs != nil || !strings.Contains(err.Error(), tt.path) {
			t.Errorf("%s %q: got %v, %v", tt.ps.Name(), tt.data, pkgs, err)
		}
	}
	// Entries without a name or version are skipped, not fatal.
	pkgs, err := parse(t, ComposerLock{}, "/composer.lock", []byte(`{"packages": [{"name": "a/b"}, {"name": "c/d", "version": "1.0.0", "license": 5}]}`))
	if err != nil || len(pkgs) != 1 || pkgs[0].Name != "c/d" || pkgs[0].Licenses != nil {
		t.Errorf("partial entries: %+v, %v", pkgs, err)
	}
}

func FuzzComposerLock(f *testing.F) {
	pprSeeds(f, "php", func(p string) bool { return strings.HasSuffix(p, ".lock") })
	pprFuzz(f, ComposerLock{}, model.Composer, "/app/composer.lock")
}

func FuzzComposerInstalled(f *testing.F) {
	pprSeeds(f, "php", func(p string) bool { return strings.HasSuffix(p, "installed.json") })
	pprFuzz(f, ComposerInstalled{}, model.Composer, "/app/vendor/composer/installed.json")
}
