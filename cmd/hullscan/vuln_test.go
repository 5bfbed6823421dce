package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// buildTestDB builds a database from testdata/vulndb (OSV records for the test image's packages, a withdrawn one,
// one for another release, and a KEV catalogue) with the binary, as a user would.
func buildTestDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "test.db")
	src, err := filepath.Abs("testdata/vulndb")
	if err != nil {
		t.Fatal(err)
	}
	r := hullscan(t, "", "db", "build", "--from", src, "--output", db, "-q")
	if r.code != 0 {
		t.Fatalf("db build: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"wrote " + db, "osv:Debian", "kev", "withdrawn"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("db build output lacks %q:\n%s", want, r.stdout)
		}
	}
	return db
}

func TestImageScanFindings(t *testing.T) {
	fx := getFixture(t)
	db := buildTestDB(t)

	r := hullscan(t, "", "image", fx.archive, "--db", db, "--format", "json", "-q")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var doc struct {
		Packages []struct {
			ID, Name string
		}
		Vulnerabilities struct {
			Findings []struct {
				ID, Package, Status string
				Installed           string `json:"installed_version"`
				Fixed               string `json:"fixed_version"`
				PackageID           string `json:"package_id"`
				Aliases, Advisories []string
				KEV                 *struct {
					DateAdded string `json:"date_added"`
				}
			}
			Checked int
		}
	}
	mustJSON(t, []byte(r.stdout), &doc)
	fs := doc.Vulnerabilities.Findings
	if len(fs) != 1 {
		t.Fatalf("want exactly the curl finding (the withdrawn advisory and the other releases' must not match), got %+v", fs)
	}
	f := fs[0]
	if f.ID != "CVE-2023-46218" || f.Package != "curl" || f.Installed != "7.88.1-10" || f.Status != "fixed" ||
		f.Fixed != "7.88.1-10+deb12u5" || strings.Join(f.Aliases, ",") != "DSA-5587-1" || f.KEV == nil || f.KEV.DateAdded != "2024-01-10" {
		t.Errorf("finding %+v", f)
	}
	found := false
	for _, p := range doc.Packages {
		found = found || (p.ID == f.PackageID && p.Name == "curl")
	}
	if !found {
		t.Errorf("finding's package_id %q names no curl package in the document", f.PackageID)
	}
	if doc.Vulnerabilities.Checked != len(wantPackages) {
		t.Errorf("checked %d packages, want %d", doc.Vulnerabilities.Checked, len(wantPackages))
	}

	// The table says what to fix, to which version; CycloneDX carries the vulnerability against the component.
	r = hullscan(t, "", "image", fx.archive, "--db", db, "-q")
	if r.code != 0 || !containsLine(r.stdout, "UNKNOWN", "CVE-2023-46218", "curl", "7.88.1-10", "7.88.1-10+deb12u5", "KEV+ransomware") {
		t.Errorf("table (exit %d):\n%s", r.code, r.stdout)
	}
	if !strings.Contains(r.stdout, "1 vulnerability in 4 packages checked: 1 UNKNOWN (1 fixable, 1 KEV)") {
		t.Errorf("table summary:\n%s", r.stdout)
	}
	r = hullscan(t, "", "image", fx.archive, "--db", db, "--format", "cyclonedx", "-q")
	var bom struct {
		Components []struct {
			BOMRef string `json:"bom-ref"`
			Name   string
		}
		Vulnerabilities []struct {
			ID         string
			References []struct{ ID string }
			Affects    []struct{ Ref string }
		}
	}
	mustJSON(t, []byte(r.stdout), &bom)
	if len(bom.Vulnerabilities) != 1 || bom.Vulnerabilities[0].ID != "CVE-2023-46218" || len(bom.Vulnerabilities[0].Affects) != 1 ||
		len(bom.Vulnerabilities[0].References) != 1 || bom.Vulnerabilities[0].References[0].ID != "DSA-5587-1" {
		t.Fatalf("cyclonedx vulnerabilities: %+v", bom.Vulnerabilities)
	}
	ref := bom.Vulnerabilities[0].Affects[0].Ref
	ok := false
	for _, c := range bom.Components {
		ok = ok || (c.BOMRef == ref && c.Name == "curl")
	}
	if !ok {
		t.Errorf("affects ref %q is no curl component", ref)
	}
}

func TestScanDatabaseErrors(t *testing.T) {
	fx := getFixture(t)
	missing := filepath.Join(t.TempDir(), "none.db")
	r := hullscan(t, "", "image", fx.archive, "--db", missing)
	if r.code != exitDatabase || !strings.Contains(r.stderr, "no vulnerability database at "+missing) || r.stdout != "" {
		t.Errorf("missing database: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	notDB := filepath.Join(t.TempDir(), "not.db")
	writeFile(t, notDB, []byte("this is no database"))
	r = hullscan(t, "", "image", fx.archive, "--db", notDB)
	if r.code != exitDatabase || !strings.Contains(r.stderr, notDB) {
		t.Errorf("corrupt database: exit %d, stderr %q", r.code, r.stderr)
	}
	r = hullscan(t, "", "db", "status", "--db", missing)
	if r.code != exitDatabase {
		t.Errorf("db status on a missing database: exit %d", r.code)
	}
	r = hullscan(t, "", "db", "build", "--output", missing)
	if r.code != exitInput {
		t.Errorf("db build without --from: exit %d", r.code)
	}
	r = hullscan(t, "", "db", "build", "--from", fx.notImage, "--output", missing)
	if r.code != exitInput || !strings.Contains(r.stderr, fx.notImage) {
		t.Errorf("db build from a file that is no feed: exit %d, stderr %q", r.code, r.stderr)
	}
	db := buildTestDB(t)
	r = hullscan(t, "", "image", t.TempDir(), "--db", db)
	if r.code != exitInput || !strings.Contains(r.stderr, "hullscan fs") {
		t.Errorf("image on a directory: exit %d, stderr %q", r.code, r.stderr)
	}
	r = hullscan(t, "", "db", "status", "--db", db, "--json")
	var meta struct {
		SchemaVersion int `json:"schema_version"`
		Feeds         []struct {
			Name    string
			Records int
			Skipped map[string]int
		}
	}
	mustJSON(t, []byte(strings.SplitN(r.stdout, "\n", 2)[1]), &meta)
	counts := map[string]int{}
	for _, f := range meta.Feeds {
		counts[f.Name] = f.Records
		if f.Name == "osv:Debian" && f.Skipped["withdrawn"] != 1 {
			t.Errorf("withdrawn not counted: %+v", f)
		}
	}
	if meta.SchemaVersion != 1 || counts["osv:Debian"] != 2 || counts["kev"] != 1 {
		t.Errorf("db status: %s", r.stdout)
	}
}

// sbom-scan of the SBOMs hullscan writes gives the findings of scanning the image itself.
func TestSBOMScanRoundTrip(t *testing.T) {
	fx := getFixture(t)
	db := buildTestDB(t)
	dir := t.TempDir()
	direct := hullscan(t, dir, "image", fx.archive, "--db", db, "--format", "json", "-q")
	if direct.code != 0 {
		t.Fatalf("image: exit %d %s", direct.code, direct.stderr)
	}
	findings := func(doc string) []string {
		var d struct {
			Vulnerabilities struct {
				Findings []map[string]any
			}
		}
		mustJSON(t, []byte(doc), &d)
		var out []string
		for _, f := range d.Vulnerabilities.Findings {
			layer := "-"
			if l, ok := f["layer"].(map[string]any); ok {
				layer = fmt.Sprint(l["index"])
			}
			out = append(out, fmt.Sprintln(f["id"], f["package_id"], f["installed_version"], f["fixed_version"], f["status"], f["location"], layer))
		}
		return out
	}
	want := findings(direct.stdout)
	if len(want) == 0 {
		t.Fatal("the image has no findings: the round trip would prove nothing")
	}
	for _, format := range []string{"cyclonedx", "spdx"} {
		file := filepath.Join(dir, "sbom."+format+".json")
		if r := hullscan(t, dir, "sbom", fx.archive, "--format", format, "-o", file, "-q"); r.code != 0 {
			t.Fatalf("sbom: exit %d %s", r.code, r.stderr)
		}
		r := hullscan(t, dir, "sbom-scan", file, "--db", db, "--format", "json", "-q")
		if r.code != 0 {
			t.Fatalf("sbom-scan %s: exit %d %s", format, r.code, r.stderr)
		}
		got := findings(r.stdout)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s round trip:\n%s\nwant:\n%s", format, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	if r := hullscan(t, dir, "sbom-scan", fx.notImage, "--db", db); r.code != exitInput || !strings.Contains(r.stderr, fx.notImage) {
		t.Errorf("sbom-scan of a file that is no SBOM: exit %d, %s", r.code, r.stderr)
	}
}

// The gate decides the exit code only; the report is written either way.
func TestScanGate(t *testing.T) {
	fx := getFixture(t)
	db := buildTestDB(t)
	// The image's one finding: CVE-2023-46218 in curl, severity UNKNOWN (the fixture gives no rating), fixed, in KEV.
	tests := []struct {
		args []string
		code int
	}{
		{nil, exitOK}, // the default rule: CRITICAL with a fix
		{[]string{"--severity", "UNKNOWN"}, exitGate},
		{[]string{"--severity", "unknown,critical", "--exit-code", "7"}, 7},
		{[]string{"--severity", "UNKNOWN", "--exit-code", "0"}, exitOK},
		{[]string{"--kev"}, exitGate},
		{[]string{"--kev", "--severity", "HIGH,CRITICAL"}, exitOK},
		{[]string{"--fixable"}, exitGate},
		{[]string{"--epss", "0.5"}, exitOK},
		{[]string{"--severity", "SEVERE"}, exitInput},
		{[]string{"--epss", "2"}, exitInput},
	}
	for _, tt := range tests {
		out := filepath.Join(t.TempDir(), "r.json")
		args := append([]string{"image", fx.archive, "--db", db, "--format", "json", "-o", out}, tt.args...)
		r := hullscan(t, "", args...)
		if r.code != tt.code {
			t.Errorf("%v: exit %d, want %d\n%s", tt.args, r.code, tt.code, r.stderr)
			continue
		}
		if tt.code == exitInput {
			continue
		}
		if tt.code != exitOK && !strings.Contains(r.stderr, "gate failed: 1 finding(s)") || tt.code != exitOK && !strings.Contains(r.stderr, "CVE-2023-46218 curl 7.88.1-10 (fixed in 7.88.1-10+deb12u5)") {
			t.Errorf("%v: stderr %q", tt.args, r.stderr)
		}
		checkOnlyFiles(t, filepath.Dir(out), "r.json")
	}
}
