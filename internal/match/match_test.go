package match

import (
	"os"
	"strings"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/vulndb/vulndbtest"
)

func pkg(eco model.Ecosystem, name, version string) model.Package {
	p := model.Package{Ecosystem: eco, Name: name, Version: version, Location: "/x"}
	p.SetID()
	return p
}

func summary(fs []model.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, strings.Join([]string{f.Package, f.Installed, f.ID, string(f.Status), f.FixedVersion,
			strings.Join(f.Aliases, ","), string(f.Severity), f.SeveritySource}, " "))
	}
	return out
}

func TestMatchGrouping(t *testing.T) {
	ghsa := vulndbtest.Record("GHSA-xxxx-0001", []string{"CVE-2020-0001"}, "PyPI", "Flask", "introduced", "0", "fixed", "2.0")
	ghsa["database_specific"] = map[string]string{"severity": "HIGH"}
	pysec := vulndbtest.Record("PYSEC-2020-1", []string{"CVE-2020-0001", "GHSA-xxxx-0001"}, "PyPI", "flask", "introduced", "0", "fixed", "2.1")
	// Two advisories without a CVE that alias each other are one vulnerability.
	noCVE1 := vulndbtest.Record("PYSEC-2021-9", []string{"GHSA-yyyy-0002"}, "PyPI", "flask", "introduced", "1.0", "fixed", "1.9")
	noCVE2 := vulndbtest.Record("GHSA-yyyy-0002", nil, "PyPI", "flask", "introduced", "1.0", "fixed", "1.9")
	// A distribution advisory fixing two CVEs counts for each; its CVEs take their scores from other records.
	dsa := vulndbtest.Record("DSA-9999-1", []string{"CVE-2020-0002", "CVE-2020-0003"}, "Debian:12", "openssl",
		"introduced", "0", "fixed", "3.0.11-1~deb12u2")
	scored := vulndbtest.Record("GHSA-zzzz-0003", []string{"CVE-2020-0002"}, "npm", "something-else", "introduced", "0")
	scored["severity"] = []map[string]string{{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}
	other := vulndbtest.Record("DSA-0001-1", []string{"CVE-2019-1"}, "Debian:11", "openssl", "introduced", "0", "fixed", "9")
	db := vulndbtest.Build(t, []any{ghsa, pysec, noCVE1, noCVE2, dsa, scored, other}, nil)

	deb := pkg(model.Deb, "libssl3", "3.0.11-1~deb12u1")
	deb.SourceName, deb.SourceVersion = "openssl", "3.0.11-1~deb12u1"
	dev := pkg(model.NPM, "something-else", "1.0.0")
	dev.Dev = true
	owned := pkg(model.PyPI, "flask", "1.0")
	owned.OSPackage = "deb:libssl3"
	inv := &model.Inventory{
		OS:       &model.OS{Family: "debian", Version: "12"},
		Packages: []model.Package{pkg(model.PyPI, "flask", "1.5"), deb, dev, owned, pkg(model.Gem, "rack", "1.0")},
	}
	res, err := Match(db, inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		// GHSA-zzzz-0003 lends its score but is no alias: it is about another package.
		"libssl3 3.0.11-1~deb12u1 CVE-2020-0002 fixed 3.0.11-1~deb12u2 DSA-9999-1 CRITICAL ghsa",
		"flask 1.5 CVE-2020-0001 fixed 2.1 GHSA-xxxx-0001,PYSEC-2020-1 HIGH ghsa",
		"flask 1.5 GHSA-yyyy-0002 fixed 1.9 PYSEC-2021-9 UNKNOWN ",
		"libssl3 3.0.11-1~deb12u1 CVE-2020-0003 fixed 3.0.11-1~deb12u2 DSA-9999-1 UNKNOWN ",
	}
	got := summary(res.Findings)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if res.Findings[0].MatchedAs != "source package openssl 3.0.11-1~deb12u1 in Debian:12; covers the language packages it installed: pypi flask 1.0" {
		t.Errorf("matched as %q", res.Findings[0].MatchedAs)
	}
	if res.Checked != 2 || res.SkippedDev != 1 || res.SkippedOSOwned != 1 || len(res.Unchecked) != 1 ||
		res.Unchecked[0] != (model.Unchecked{Ecosystem: "gem", Reason: "the database has no RubyGems advisories", Packages: 1}) {
		t.Errorf("checked %d, dev %d, owned %d, unchecked %+v", res.Checked, res.SkippedDev, res.SkippedOSOwned, res.Unchecked)
	}
	// --include-dev matches the dev dependency.
	res, err = Match(db, inv, Options{IncludeDev: true})
	if err != nil || res.SkippedDev != 0 || len(res.Findings) != 5 {
		t.Errorf("include dev: %v %+v", err, summary(res.Findings))
	}
}

func TestMatchDebianTracker(t *testing.T) {
	tracker, err := os.ReadFile("../vulndb/testdata/debian-tracker.json")
	if err != nil {
		t.Fatal(err)
	}
	// OSV says CVE-2024-2379 affects curl until a fix; the tracker says bookworm was never affected.
	rec := vulndbtest.Record("DSA-0002-1", []string{"CVE-2024-2379"}, "Debian:12", "curl", "introduced", "0", "fixed", "7.88.1-10+deb12u6")
	db := vulndbtest.Build(t, []any{rec}, map[string]string{"tracker.json": string(tracker)})
	curl := pkg(model.Deb, "curl", "7.88.1-10+deb12u4")
	zlib := pkg(model.Deb, "zlib1g", "1:1.2.13.dfsg-1")
	zlib.SourceName, zlib.SourceVersion = "zlib", "1:1.2.13.dfsg-1"
	inv := &model.Inventory{OS: &model.OS{Family: "debian", Version: "12", Codename: "bookworm"}, Packages: []model.Package{curl, zlib}}
	res, err := Match(db, inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"curl 7.88.1-10+deb12u4 CVE-2024-2398 not-fixed   LOW debian",
		"zlib1g 1:1.2.13.dfsg-1 CVE-2023-45853 wont-fix   LOW debian",
		"curl 7.88.1-10+deb12u4 CVE-2023-46218 fixed 7.88.1-10+deb12u5  UNKNOWN ",
	}
	got := summary(res.Findings)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// At the tracker's fixed version, the finding is gone.
	inv.Packages[0] = pkg(model.Deb, "curl", "7.88.1-10+deb12u5")
	res, _ = Match(db, inv, Options{})
	for _, f := range res.Findings {
		if f.ID == "CVE-2023-46218" {
			t.Errorf("fixed version still reported: %+v", f)
		}
	}
}

func TestMatchUncheckable(t *testing.T) {
	db := vulndbtest.Build(t, []any{vulndbtest.Record("GHSA-1", nil, "npm", "x", "introduced", "0")}, nil)
	inv := &model.Inventory{OS: &model.OS{Family: "arch"}, Packages: []model.Package{
		pkg(model.Deb, "a", "1"), pkg(model.CocoaPods, "b", "1"), pkg(model.NPM, "x", "1.0.0")}}
	res, err := Match(db, inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Checked != 1 || len(res.Unchecked) != 2 {
		t.Errorf("%+v", res)
	}
	inv.OS = nil
	res, _ = Match(db, inv, Options{})
	if len(res.Unchecked) != 2 || !strings.Contains(res.Unchecked[1].Reason+res.Unchecked[0].Reason, "operating system not detected") {
		t.Errorf("%+v", res.Unchecked)
	}
}

// Alpine packages match by origin (the source package) and branch (v3.X from the OS version): a record for
// another branch does not apply.
func TestMatchAlpineOriginAndBranch(t *testing.T) {
	rec := vulndbtest.Record("ALPINE-CVE-2019-14697", []string{"CVE-2019-14697"}, "Alpine:v3.10", "musl", "introduced", "0", "fixed", "1.1.22-r3")
	other := vulndbtest.Record("ALPINE-CVE-2019-0000", []string{"CVE-2019-0000"}, "Alpine:v3.9", "musl", "introduced", "0", "fixed", "9")
	db := vulndbtest.Build(t, []any{rec, other}, nil)
	utils := pkg(model.APK, "musl-utils", "1.1.22-r2")
	utils.SourceName = "musl"
	inv := &model.Inventory{OS: &model.OS{Family: "alpine", Version: "3.10.3"}, Packages: []model.Package{utils, pkg(model.APK, "musl", "1.1.22-r3")}}
	res, err := Match(db, inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := summary(res.Findings)
	want := []string{"musl-utils 1.1.22-r2 CVE-2019-14697 fixed 1.1.22-r3 ALPINE-CVE-2019-14697 UNKNOWN "}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestUpgradeTo: every fixed finding of a package names the one upgrade that fixes them all, the highest fixed
// version in the ecosystem's ordering (4.17.10 is above 4.17.9, "1.0.0" above "1.0.0-rc.1"; dpkg's ~ sorts
// before the release), and findings without a fix name none.
func TestUpgradeTo(t *testing.T) {
	db := vulndbtest.Build(t, []any{
		vulndbtest.Record("GHSA-0001", []string{"CVE-2020-1"}, "npm", "lodash", "introduced", "0", "fixed", "4.17.9"),
		vulndbtest.Record("GHSA-0002", []string{"CVE-2020-2"}, "npm", "lodash", "introduced", "0", "fixed", "4.17.10"),
		vulndbtest.Record("GHSA-0003", []string{"CVE-2020-3"}, "npm", "lodash", "introduced", "0"),
		vulndbtest.Record("GHSA-0004", []string{"CVE-2020-4"}, "npm", "x", "introduced", "0", "fixed", "1.0.0-rc.1"),
		vulndbtest.Record("GHSA-0005", []string{"CVE-2020-5"}, "npm", "x", "introduced", "0", "fixed", "1.0.0"),
		vulndbtest.Record("DSA-0001-1", []string{"CVE-2020-6"}, "Debian:12", "openssl", "introduced", "0", "fixed", "3.0.11-1~deb12u2"),
		vulndbtest.Record("DSA-0002-1", []string{"CVE-2020-7"}, "Debian:12", "openssl", "introduced", "0", "fixed", "3.0.11-1~deb12u10"),
		vulndbtest.Record("DSA-0003-1", []string{"CVE-2020-8"}, "Debian:12", "openssl", "introduced", "0", "fixed", "3.0.11-1"),
	}, nil)
	deb := pkg(model.Deb, "libssl3", "3.0.10-1")
	deb.SourceName = "openssl"
	inv := &model.Inventory{
		OS:       &model.OS{Family: "debian", Version: "12"},
		Packages: []model.Package{pkg(model.NPM, "lodash", "4.17.5"), pkg(model.NPM, "x", "0.9.0"), deb},
	}
	res, err := Match(db, inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"CVE-2020-1": "4.17.10", "CVE-2020-2": "4.17.10", "CVE-2020-3": "",
		"CVE-2020-4": "1.0.0", "CVE-2020-5": "1.0.0",
		"CVE-2020-6": "3.0.11-1", "CVE-2020-7": "3.0.11-1", "CVE-2020-8": "3.0.11-1",
	}
	if len(res.Findings) != len(want) {
		t.Fatalf("findings %v", summary(res.Findings))
	}
	for _, f := range res.Findings {
		if f.UpgradeTo != want[f.ID] {
			t.Errorf("%s %s: upgrade to %q, want %q", f.Package, f.ID, f.UpgradeTo, want[f.ID])
		}
	}
}
