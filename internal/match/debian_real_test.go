package match

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/scan"
	"github.com/hullscan/hullscan/internal/source"
	"github.com/hullscan/hullscan/internal/testimage"
	"github.com/hullscan/hullscan/internal/vulndb/vulndbtest"
)

// TestDebianImageAdvisories is the matching acceptance test on the real Debian 12 image: hullscan must report
// exactly the Debian advisories of the shared data that apply to the installed source packages and versions.
// The expected set is derived independently of hullscan's code: the installed (source, version) pairs come from
// dpkg-query run on the image's final tree, the advisories are read straight from the OSV zip, and every version
// comparison is made by the real `dpkg --compare-versions`.
func TestDebianImageAdvisories(t *testing.T) {
	data := testimage.VulnData(t)
	fix := testimage.RequireFixture(t)
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg not installed: it is the independent reference for Debian version ordering")
	}

	// The installed source packages, by dpkg-query on the final tree.
	out, err := exec.Command("dpkg-query", "--admindir", filepath.Join(fix, "c", "var", "lib", "dpkg"), "-W",
		"-f", "${db:Status-Abbrev}\t${source:Package}\t${source:Version}\n").Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	installed := map[string]map[string]bool{} // source → versions
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || !strings.HasPrefix(f[0], "ii") {
			continue
		}
		if installed[f[1]] == nil {
			installed[f[1]] = map[string]bool{}
		}
		installed[f[1]][f[2]] = true
	}
	if len(installed) < 50 {
		t.Fatalf("dpkg-query listed only %d source packages", len(installed))
	}

	// The expected (advisory, source package) pairs, from the zip and dpkg.
	zr, err := zip.OpenReader(filepath.Join(data, "osv", "Debian", "all.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	want := map[string]bool{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			ID        string     `json:"id"`
			Withdrawn *time.Time `json:"withdrawn"`
			Affected  []struct {
				Package struct{ Ecosystem, Name string } `json:"package"`
				Ranges  []struct {
					Type   string              `json:"type"`
					Events []map[string]string `json:"events"`
				} `json:"ranges"`
				Versions []string `json:"versions"`
			} `json:"affected"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		if rec.Withdrawn != nil {
			continue
		}
		for _, a := range rec.Affected {
			if a.Package.Ecosystem != "Debian:12" {
				continue
			}
			for v := range installed[a.Package.Name] {
				if dpkgAffected(t, v, a.Versions, a.Ranges) {
					want[rec.ID+" "+a.Package.Name+" "+v] = true
				}
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("no Debian 12 advisory applies to the image: the test would prove nothing")
	}

	// hullscan: scan the image, match against a database built from the same zip.
	db := vulndbtest.BuildFrom(t, filepath.Join(data, "osv", "Debian"))
	tg, err := source.ParseTarget("oci:" + testimage.DebianLayout(t))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := scan.Run(context.Background(), tg, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Match(db, inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range res.Findings {
		if f.Ecosystem != model.Deb {
			continue
		}
		src, ver := f.Package, f.Installed
		if p := findPackage(inv, f.PackageID); p != nil && p.SourceName != "" {
			src, ver = p.SourceName, p.SourceVersion
		}
		for _, adv := range f.Advisories {
			got[adv+" "+src+" "+ver] = true
		}
	}
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("advisory matches differ from dpkg's:\nmissing (%d): %v\nextra (%d): %v", len(missing), missing, len(extra), extra)
	}
	t.Logf("%d (advisory, source package, version) matches, %d findings", len(want), len(res.Findings))
}

func findPackage(inv *model.Inventory, id string) *model.Package {
	for i := range inv.Packages {
		if inv.Packages[i].ID == id {
			return &inv.Packages[i]
		}
	}
	return nil
}

// dpkgAffected applies the OSV evaluation rules with `dpkg --compare-versions` doing every comparison.
func dpkgAffected(t *testing.T, v string, versions []string, ranges []struct {
	Type   string              `json:"type"`
	Events []map[string]string `json:"events"`
}) bool {
	for _, x := range versions {
		if dpkgCmp(t, v, "eq", x) {
			return true
		}
	}
	for _, r := range ranges {
		if r.Type != "ECOSYSTEM" {
			continue
		}
		// The Debian records hold one introduced/fixed pair per range, which needs no sorting.
		affected := false
		for _, e := range r.Events {
			switch {
			case e["introduced"] == "0":
				affected = true
			case e["introduced"] != "":
				affected = dpkgCmp(t, v, "ge", e["introduced"])
			case e["fixed"] != "":
				if dpkgCmp(t, v, "ge", e["fixed"]) {
					affected = false
				}
			case e["last_affected"] != "":
				if dpkgCmp(t, v, "gt", e["last_affected"]) {
					affected = false
				}
			}
		}
		if len(r.Events) > 2 {
			t.Fatalf("range with %d events: extend the reference evaluation", len(r.Events))
		}
		if affected {
			return true
		}
	}
	return false
}

func dpkgCmp(t *testing.T, a, op, b string) bool {
	err := exec.Command("dpkg", "--compare-versions", a, op, b).Run()
	if err == nil {
		return true
	}
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		return false
	}
	t.Fatal(fmt.Errorf("dpkg --compare-versions %s %s %s: %w", a, op, b, err))
	return false
}
