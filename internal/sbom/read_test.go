package sbom

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hullscan/hullscan/internal/match"
	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/report"
	"github.com/hullscan/hullscan/internal/scan"
	"github.com/hullscan/hullscan/internal/source"
	"github.com/hullscan/hullscan/internal/testimage"
	"github.com/hullscan/hullscan/internal/vulndb/vulndbtest"
)

// findingKeys are the fields a finding must keep through an SBOM round trip.
func findingKeys(fs []model.Finding) []string {
	var out []string
	for _, f := range fs {
		layer := "-"
		if f.Layer != nil {
			layer = fmt.Sprint(f.Layer.Index)
		}
		out = append(out, strings.Join([]string{f.ID, f.PackageID, f.Package, f.Installed, string(f.Status), f.FixedVersion,
			f.Location, layer, string(f.Severity), strings.Join(f.Aliases, ",")}, " "))
	}
	sort.Strings(out)
	return out
}

// TestRoundTrip is the round trip: scanning an SBOM hullscan wrote gives the same findings as scanning the
// artefact, for CycloneDX and SPDX, on the real test inputs: the Debian image and the language fixture trees.
func TestRoundTrip(t *testing.T) {
	data := testimage.VulnData(t)
	db := vulndbtest.BuildFrom(t, filepath.Join(data, "osv"), filepath.Join(data, "kev", "known_exploited_vulnerabilities.json"))

	targets := map[string]func(t *testing.T) string{
		"debian image": func(t *testing.T) string { return "oci:" + testimage.DebianLayout(t) },
		"npm project":  func(t *testing.T) string { return filepath.Join(testimage.RequireFixtureDir(t, "node"), "npm-v3") },
		"debian languages": func(t *testing.T) string {
			return "rootfs:" + filepath.Join(testimage.RequireFixtureDir(t, "debian-lang"), "root")
		},
		"go binaries": func(t *testing.T) string { return testimage.RequireFixtureDir(t, "gobin") },
	}
	for name, target := range targets {
		t.Run(name, func(t *testing.T) {
			tg, err := source.ParseTarget(target(t))
			if err != nil {
				t.Fatal(err)
			}
			inv, err := scan.Run(context.Background(), tg, scan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, opts := range []match.Options{{}, {IncludeDev: true}} {
				direct, err := match.Match(db, inv, opts)
				if err != nil {
					t.Fatal(err)
				}
				want := findingKeys(direct.Findings)
				for _, format := range []string{report.FormatCycloneDX, report.FormatSPDX} {
					var buf bytes.Buffer
					if err := report.Write(&buf, format, inv, report.Options{Serial: "00000000-0000-4000-8000-000000000000"}); err != nil {
						t.Fatal(err)
					}
					back, err := Read(&buf, "x")
					if err != nil {
						t.Fatal(err)
					}
					got, err := match.Match(db, back, opts)
					if err != nil {
						t.Fatal(err)
					}
					if g := findingKeys(got.Findings); strings.Join(g, "\n") != strings.Join(want, "\n") {
						t.Errorf("%s (include dev %v): findings differ:\nartefact (%d):\n%s\nsbom (%d):\n%s", format, opts.IncludeDev,
							len(want), strings.Join(want, "\n"), len(g), strings.Join(g, "\n"))
					}
					if got.Checked != direct.Checked || got.SkippedOSOwned != direct.SkippedOSOwned || got.SkippedDev != direct.SkippedDev {
						t.Errorf("%s: checked %d/%d, os-owned %d/%d, dev %d/%d", format, got.Checked, direct.Checked,
							got.SkippedOSOwned, direct.SkippedOSOwned, got.SkippedDev, direct.SkippedDev)
					}
				}
				if opts.IncludeDev {
					t.Logf("%d packages, %d findings", len(inv.Packages), len(want))
				}
			}
		})
	}
}

// Documents from other tools are read from their purls: the distro qualifier names the OS, syft's "upstream"
// qualifier and trivy's SrcName/SrcVersion properties the source package.
func TestReadForeign(t *testing.T) {
	cdxDoc := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[
	  {"type":"library","bom-ref":"a","name":"libssl3","version":"3.0.11-1~deb12u2",
	   "purl":"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"},
	  {"type":"library","bom-ref":"b","name":"zlib1g","version":"1:1.2.13.dfsg-1",
	   "purl":"pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&epoch=1&distro=debian-12",
	   "properties":[{"name":"aquasecurity:trivy:SrcName","value":"zlib"},{"name":"aquasecurity:trivy:SrcVersion","value":"1.2.13.dfsg"},
	                 {"name":"aquasecurity:trivy:SrcRelease","value":"1"},{"name":"aquasecurity:trivy:SrcEpoch","value":"1"}]},
	  {"type":"library","bom-ref":"c","name":"core","version":"7.23.2","purl":"pkg:npm/%40babel/core@7.23.2"},
	  {"type":"library","bom-ref":"d","name":"jackson-databind","version":"2.14.0","purl":"pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.14.0"},
	  {"type":"library","bom-ref":"e","name":"thing","version":"1","purl":"pkg:generic/thing@1"},
	  {"type":"file","bom-ref":"f","name":"/etc/passwd"}]}`
	inv, err := Read(strings.NewReader(cdxDoc), "foreign.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range inv.Packages {
		got = append(got, fmt.Sprintf("%s %s %s %s %s", p.Ecosystem, p.Name, p.Version, p.SourceName, p.SourceVersion))
	}
	want := []string{
		"deb libssl3 3.0.11-1~deb12u2 openssl ",
		"deb zlib1g 1:1.2.13.dfsg-1 zlib 1:1.2.13.dfsg-1",
		"npm @babel/core 7.23.2  ",
		"maven com.fasterxml.jackson.core:jackson-databind 2.14.0  ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("packages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if inv.OS == nil || inv.OS.Family != "debian" || inv.OS.Version != "12" {
		t.Errorf("os %+v", inv.OS)
	}
	for _, bad := range []string{"", "{}", `{"bomFormat":"CycloneDX","components":[{"type":"library","name":"x","purl":"not a purl"}]}`,
		`{"spdxVersion":"SPDX-2.3","packages":5}`, "[1]"} {
		if _, err := Read(strings.NewReader(bad), "bad.json"); err == nil || !strings.Contains(err.Error(), "bad.json") {
			t.Errorf("Read(%q): %v", bad, err)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"x","version":"1","purl":"pkg:npm/x@1"}]}`))
	f.Add([]byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"SPDXID":"SPDXRef-Package-a","name":"x","versionInfo":"1",
	  "sourceInfo":"recorded in /x; introduced by layer 2 sha256:ab (RUN x); built from source package y 2","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:deb/debian/x@1?distro=debian-12"}]}],
	  "creationInfo":{"creators":["Tool: hullscan-dev"],"created":"2026-01-01T00:00:00Z"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		inv, err := Read(bytes.NewReader(b), "f.json")
		if err != nil {
			if inv != nil || !strings.Contains(err.Error(), "f.json") {
				t.Fatalf("error %v with inventory %v", err, inv)
			}
			return
		}
		for _, p := range inv.Packages {
			if p.Ecosystem == "" {
				t.Fatalf("package without ecosystem: %+v", p)
			}
		}
	})
}

// TestReadUntrustedProperties: hullscan's own properties are read only when they hold what hullscan writes; a
// crafted SBOM cannot give a source kind or an ecosystem reports do not know.
func TestReadUntrustedProperties(t *testing.T) {
	doc := `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "metadata": {"component": {"type": "container", "name": "app", "version": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
    "properties": [{"name": "hullscan:target:kind", "value": "KIND\u001b[2J"}]}},
  "components": [{"type": "library", "bom-ref": "a", "name": "lodash", "version": "4.17.15", "purl": "pkg:npm/lodash@4.17.15",
    "properties": [{"name": "hullscan:ecosystem", "value": "npm<script>"}]}]}`
	inv, err := Read(strings.NewReader(doc), "crafted.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	if inv.Source.Kind != "sbom" {
		t.Errorf("source kind %q, want sbom", inv.Source.Kind)
	}
	if len(inv.Packages) != 1 || inv.Packages[0].Ecosystem != model.NPM {
		t.Errorf("packages %+v: want the purl's ecosystem", inv.Packages)
	}
}
