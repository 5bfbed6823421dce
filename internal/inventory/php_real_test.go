package inventory

import (
	"path/filepath"
	"sort"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/testimage"
)

// TestComposerReal reads composer.lock and vendor/composer/installed.json written by Debian's composer 2.5
// (`composer update`, then `composer install --no-dev` in a copy) and compares them with `composer show`.
func TestComposerReal(t *testing.T) {
	dir := testimage.RequireFixtureDir(t, "debian-lang")
	lock := filepath.Join(dir, "lock")
	truth := func(name string, devOf map[string]bool) []string {
		var out []string
		for _, r := range pprTSV(t, filepath.Join(dir, "truth", name)) {
			s := r[0] + " " + r[1]
			if devOf[r[0]] {
				s += " dev"
			}
			out = append(out, s)
		}
		sort.Strings(out)
		return out
	}
	dev := map[string]bool{}
	for _, r := range pprTSV(t, filepath.Join(dir, "truth", "composer-lock.tsv")) {
		dev[r[0]] = r[2] == "dev"
	}
	if len(dev) < 4 {
		t.Fatalf("composer-lock truth has %d packages", len(dev))
	}
	pprDiff(t, "composer.lock", pprSummary(pprParseReal(t, ComposerLock{}, model.Composer, filepath.Join(lock, "composer", "composer.lock"))),
		truth("composer-lock.tsv", dev))
	pprDiff(t, "installed.json", pprSummary(pprParseReal(t, ComposerInstalled{}, model.Composer,
		filepath.Join(lock, "composer", "vendor", "composer", "installed.json"))), truth("composer-installed.tsv", dev))
	pprDiff(t, "installed.json --no-dev", pprSummary(pprParseReal(t, ComposerInstalled{}, model.Composer,
		filepath.Join(lock, "composer-nodev", "vendor", "composer", "installed.json"))), truth("composer-nodev-installed.tsv", nil))
}
