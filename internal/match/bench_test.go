package match

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/scan"
	"github.com/hullscan/hullscan/internal/source"
	"github.com/hullscan/hullscan/internal/testimage"
	"github.com/hullscan/hullscan/internal/vulndb/vulndbtest"
)

// BenchmarkMatch measures matching throughput against the full shared database, after it is open: the packages
// of the real Debian image and of a real npm project (lockfile and node_modules), looked up and evaluated.
// `make bench` prints it as packages per second.
func BenchmarkMatch(b *testing.B) {
	data := testimage.VulnData(b)
	db := vulndbtest.BuildFrom(b, filepath.Join(data, "osv"), filepath.Join(data, "kev", "known_exploited_vulnerabilities.json"))
	var invs []*model.Inventory
	for _, arg := range []string{"oci:" + testimage.DebianLayout(b), filepath.Join(testimage.RequireFixtureDir(b, "node"), "npm-v3")} {
		tg, err := source.ParseTarget(arg)
		if err != nil {
			b.Fatal(err)
		}
		inv, err := scan.Run(context.Background(), tg, scan.Options{})
		if err != nil {
			b.Fatal(err)
		}
		invs = append(invs, inv)
	}
	pkgs := 0
	for _, inv := range invs {
		pkgs += len(inv.Packages)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, inv := range invs {
			if _, err := Match(db, inv, Options{IncludeDev: true}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(pkgs*b.N)/b.Elapsed().Seconds(), "pkgs/s")
}
