package inventory

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/testimage"
)

// TestGemspecDebian compares every installed gemspec of Debian 12's ruby packages (Debian's own ruby-* gems under
// rubygems-integration, and libruby3.1's default and bundled gems) with what Gem::Specification.load makes of it.
func TestGemspecDebian(t *testing.T) {
	dir := testimage.RequireFixtureDir(t, "debian-lang")
	found := pprWalk(t, filepath.Join(dir, "root"), Gemspec{}, model.Gem)
	var got, want []string
	for path, pkgs := range found {
		for _, p := range pkgs {
			got = append(got, path+" "+p.Name+" "+p.Version+" "+strings.Join(p.Licenses, ","))
		}
	}
	for _, r := range pprTSV(t, filepath.Join(dir, "truth", "ruby.tsv")) {
		lic := ""
		if len(r) > 4 {
			lic = r[4]
		}
		want = append(want, r[0]+" "+r[1]+" "+r[2]+" "+lic)
	}
	sort.Strings(got)
	sort.Strings(want)
	pprDiff(t, "gemspecs vs RubyGems", got, want)
	if len(got) < 50 {
		t.Errorf("only %d gemspecs", len(got))
	}

	// Debian's ruby-* packages: the gem version is the package's upstream version.
	for _, r := range pprTSV(t, filepath.Join(dir, "packages.tsv")) {
		if r[0] != "ruby" || r[1] == "libruby3.1" {
			continue // libruby3.1's default gems have versions of their own
		}
		n := 0
		for _, f := range pprTSV(t, filepath.Join(dir, "control", r[1]+".files")) {
			for _, p := range found[f[0]] {
				n++
				if p.Version != debUpstream(r[2]) {
					t.Errorf("%s %s ships gem %s %s", r[1], r[2], p.Name, p.Version)
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no gemspec found", r[1])
		}
	}
}

// TestGemfileLockReal reads a Gemfile.lock written by Debian's bundler 2.3 (GEM, GIT and PATH sources) and compares
// it with Bundler::LockfileParser's reading: names, versions, and direct (DEPENDENCIES) or transitive.
func TestGemfileLockReal(t *testing.T) {
	dir := testimage.RequireFixtureDir(t, "debian-lang")
	pkgs := pprParseReal(t, GemfileLock{}, model.Gem, filepath.Join(dir, "lock", "bundler", "Gemfile.lock"))
	var want []string
	for _, r := range pprTSV(t, filepath.Join(dir, "truth", "bundler.tsv")) {
		want = append(want, r[0]+" "+r[1]+" "+r[4])
	}
	sort.Strings(want)
	pprDiff(t, "Gemfile.lock vs Bundler", pprSummary(pkgs), want)
}
