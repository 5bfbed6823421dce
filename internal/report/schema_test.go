package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/santhosh-tekuri/jsonschema/v6"
	spdxjson "github.com/spdx/tools-golang/json"
)

// offlineLoader refuses every URL: all schemas must come from testdata/schema.
type offlineLoader struct{}

func (offlineLoader) Load(url string) (any, error) {
	return nil, errors.New("schema " + url + " is not in testdata/schema (no network access in tests)")
}

// compileSchema compiles the schema at url from local copies, each mapped to the URL it is referenced by.
func compileSchema(t *testing.T, url string, files map[string]string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.UseLoader(offlineLoader{})
	c.AssertFormat()
	for u, file := range files {
		f, err := os.Open(filepath.Join("testdata", "schema", file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if err := c.AddResource(u, doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile %s: %v", url, err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, out []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if err := sch.Validate(v); err != nil {
		t.Fatalf("output does not validate:\n%v", err)
	}
}

func cycloneDXSchema(t *testing.T) *jsonschema.Schema {
	const base = "http://cyclonedx.org/schema/"
	return compileSchema(t, base+"bom-1.6.schema.json", map[string]string{
		base + "bom-1.6.schema.json":  "bom-1.6.schema.json",
		base + "spdx.schema.json":     "spdx.schema.json",
		base + "jsf-0.82.schema.json": "jsf-0.82.schema.json",
	})
}

func spdxSchema(t *testing.T) *jsonschema.Schema {
	const id = "http://spdx.org/rdf/terms/2.3"
	return compileSchema(t, id, map[string]string{id: "spdx-2.3.schema.json"})
}

// cdxBOM is the part of a CycloneDX BOM the graph checks read.
type cdxBOM struct {
	SpecVersion  string `json:"specVersion"`
	SerialNumber string `json:"serialNumber"`
	Metadata     struct {
		Timestamp string        `json:"timestamp"`
		Component *cdxComponent `json:"component"`
	} `json:"metadata"`
	Components   []cdxComponent `json:"components"`
	Dependencies []struct {
		Ref       string   `json:"ref"`
		DependsOn []string `json:"dependsOn"`
	} `json:"dependencies"`
}

type cdxComponent struct {
	BOMRef   string `json:"bom-ref"`
	Type     string `json:"type"`
	Name     string `json:"name"`
	Licenses []struct {
		License *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"license"`
		Expression string `json:"expression"`
	} `json:"licenses"`
}

func TestCycloneDXSchema(t *testing.T) {
	sch := cycloneDXSchema(t)
	for _, fx := range fixtures {
		t.Run(fx, func(t *testing.T) {
			inv := loadInventory(t, fx)
			out := render(t, FormatCycloneDX, inv, testOptions())
			validate(t, sch, out)
			// cyclonedx-go reads it back.
			if err := cdx.NewBOMDecoder(bytes.NewReader(out), cdx.BOMFileFormatJSON).Decode(new(cdx.BOM)); err != nil {
				t.Errorf("cyclonedx-go cannot read the BOM: %v", err)
			}

			var bom cdxBOM
			if err := json.Unmarshal(out, &bom); err != nil {
				t.Fatal(err)
			}
			if bom.SpecVersion != "1.6" || bom.SerialNumber != "urn:uuid:"+testSerial || bom.Metadata.Timestamp != "2024-03-01T12:34:56Z" {
				t.Errorf("specVersion %q, serialNumber %q, timestamp %q", bom.SpecVersion, bom.SerialNumber, bom.Metadata.Timestamp)
			}
			// bom-refs are unique, every dependency names a known ref, and the source reaches every component.
			refs := map[string]bool{bom.Metadata.Component.BOMRef: true}
			for _, c := range bom.Components {
				if c.BOMRef == "" || refs[c.BOMRef] {
					t.Errorf("bom-ref %q empty or repeated", c.BOMRef)
				}
				refs[c.BOMRef] = true
			}
			reached := map[string]bool{}
			for _, d := range bom.Dependencies {
				if !refs[d.Ref] {
					t.Errorf("dependency on unknown ref %q", d.Ref)
				}
				for _, r := range d.DependsOn {
					if !refs[r] {
						t.Errorf("dependsOn unknown ref %q", r)
					}
					if d.Ref == bom.Metadata.Component.BOMRef {
						reached[r] = true
					}
				}
			}
			for _, c := range bom.Components {
				if !reached[c.BOMRef] {
					t.Errorf("component %s is not a dependency of the source", c.BOMRef)
				}
			}
			if len(bom.Components) != len(inv.Packages)+btoi(inv.OS != nil) {
				t.Errorf("%d components for %d packages", len(bom.Components), len(inv.Packages))
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestCycloneDXLicenses checks how each kind of licence of the rich fixture is written.
func TestCycloneDXLicenses(t *testing.T) {
	var bom cdxBOM
	if err := json.Unmarshal(render(t, FormatCycloneDX, loadInventory(t, "rich"), testOptions()), &bom); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range bom.Components {
		var parts []string
		for _, l := range c.Licenses {
			switch {
			case l.Expression != "":
				parts = append(parts, "expr:"+l.Expression)
			case l.License.ID != "":
				parts = append(parts, "id:"+l.License.ID)
			default:
				parts = append(parts, "name:"+l.License.Name)
			}
		}
		got[c.Type+"/"+c.Name] = strings.Join(parts, " | ")
	}
	for name, want := range map[string]string{
		"library/musl":                  "id:MIT",                                         // valid SPDX id
		"library/curl":                  "id:curl | id:BSD-3-Clause | id:ISC",             // case normalised, duplicate dropped
		"library/tzdata":                "name:public-domain",                             // free text
		"library/libc6":                 "name:GPL-2+ | id:LGPL-2.1 | name:public-domain", // mixed, deprecated id kept
		"library/libgomp":               "expr:GPL-2.0-or-later AND MIT",                  // expression
		"library/py3-certifi":           "expr:MIT OR Apache-2.0",                         // lower-case operators normalised
		"library/libcap2":               "expr:BSD-3-Clause OR GPL-2.0-only",              // epoch package
		"library/libgcc-s1":             "name:GPL-2.0-only WITH Classpath-exception-2.0 | name:GPL 2+",
		"library/gc":                    "expr:Boehm-GC", // SPDX id newer than the schema's enum
		"library/fedora-release-common": "name:LicenseRef-Fedora-Public-Domain",
		"library/gpg-pubkey":            "",
		"operating-system/debian":       "",
	} {
		if got[name] != want {
			t.Errorf("%s licences = %q, want %q", name, got[name], want)
		}
	}
}

// spdxDoc is the part of an SPDX document the checks read.
type spdxDoc struct {
	SPDXID            string `json:"SPDXID"`
	DocumentNamespace string `json:"documentNamespace"`
	CreationInfo      struct {
		Created  string   `json:"created"`
		Creators []string `json:"creators"`
	} `json:"creationInfo"`
	Packages []struct {
		SPDXID                string `json:"SPDXID"`
		Name                  string `json:"name"`
		LicenseDeclared       string `json:"licenseDeclared"`
		PrimaryPackagePurpose string `json:"primaryPackagePurpose"`
		Supplier              string `json:"supplier"`
		SourceInfo            string `json:"sourceInfo"`
	} `json:"packages"`
	HasExtractedLicensingInfos []struct {
		LicenseID     string `json:"licenseId"`
		ExtractedText string `json:"extractedText"`
	} `json:"hasExtractedLicensingInfos"`
	Relationships []struct {
		A    string `json:"spdxElementId"`
		B    string `json:"relatedSpdxElement"`
		Type string `json:"relationshipType"`
	} `json:"relationships"`
}

// Constraints of the SPDX 2.3.1 schema that the 2.3 schema leaves out.
var (
	spdxIDRE      = regexp.MustCompile(`^SPDXRef-[a-zA-Z0-9.-]+$`)
	spdxCreatedRE = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]|23:59:60)Z$`)
	licenseRefRE  = regexp.MustCompile(`^LicenseRef-[a-zA-Z0-9.-]+$`)
)

func TestSPDXSchema(t *testing.T) {
	sch := spdxSchema(t)
	for _, fx := range fixtures {
		t.Run(fx, func(t *testing.T) {
			inv := loadInventory(t, fx)
			out := render(t, FormatSPDX, inv, testOptions())
			validate(t, sch, out)
			// tools-golang reads it back.
			if _, err := spdxjson.Read(bytes.NewReader(out)); err != nil {
				t.Errorf("tools-golang cannot read the document: %v", err)
			}

			var doc spdxDoc
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.CreationInfo.Created != "2024-03-01T12:34:56Z" || !spdxCreatedRE.MatchString(doc.CreationInfo.Created) {
				t.Errorf("created = %q", doc.CreationInfo.Created)
			}
			if !strings.HasSuffix(doc.DocumentNamespace, testSerial) || strings.Contains(doc.DocumentNamespace, "#") {
				t.Errorf("documentNamespace = %q", doc.DocumentNamespace)
			}
			ids := map[string]bool{doc.SPDXID: true}
			for _, p := range doc.Packages {
				if !spdxIDRE.MatchString(p.SPDXID) || ids[p.SPDXID] {
					t.Errorf("SPDXID %q invalid or repeated", p.SPDXID)
				}
				ids[p.SPDXID] = true
			}
			if len(doc.Packages) != len(inv.Packages)+1+btoi(inv.OS != nil) {
				t.Errorf("%d SPDX packages for %d packages", len(doc.Packages), len(inv.Packages))
			}
			contained := map[string]bool{}
			describes := 0
			for _, r := range doc.Relationships {
				if !ids[r.A] || !ids[r.B] {
					t.Errorf("relationship %s %s %s names an unknown element", r.A, r.Type, r.B)
				}
				switch {
				case r.A == "SPDXRef-DOCUMENT" && r.Type == "DESCRIBES" && r.B == "SPDXRef-Source":
					describes++
				case r.A == "SPDXRef-Source" && r.Type == "CONTAINS":
					contained[r.B] = true
				default:
					t.Errorf("unexpected relationship %s %s %s", r.A, r.Type, r.B)
				}
			}
			if describes != 1 || len(contained) != len(doc.Packages)-1 {
				t.Errorf("%d DESCRIBES, %d CONTAINS for %d packages", describes, len(contained), len(doc.Packages))
			}

			// Every licenseDeclared is NOASSERTION or an expression of listed ids and defined LicenseRef-s.
			defined := map[string]bool{}
			for _, l := range doc.HasExtractedLicensingInfos {
				if !licenseRefRE.MatchString(l.LicenseID) || defined[l.LicenseID] || l.ExtractedText == "" {
					t.Errorf("extracted licence %q invalid, repeated or empty", l.LicenseID)
				}
				defined[l.LicenseID] = true
			}
			used := map[string]bool{}
			for _, p := range doc.Packages {
				if p.LicenseDeclared == "NOASSERTION" {
					continue
				}
				for _, tok := range tokenizeLicense(p.LicenseDeclared) {
					switch {
					case tok == "(" || tok == ")" || tok == "AND" || tok == "OR" || tok == "WITH":
					case strings.HasPrefix(tok, "LicenseRef-"):
						if !defined[tok] {
							t.Errorf("%s: %s is not defined", p.Name, tok)
						}
						used[tok] = true
					default:
						_, lic := canonicalLicenseID(tok)
						_, exc := spdxExceptionIDs[strings.ToLower(tok)]
						if !lic && !exc {
							t.Errorf("%s: %q is not an SPDX id", p.Name, tok)
						}
					}
				}
				if l := parseLicenseAllowingRefs(p.LicenseDeclared); !l {
					t.Errorf("%s: licenseDeclared %q does not parse", p.Name, p.LicenseDeclared)
				}
			}
			for id := range defined {
				if !used[id] {
					t.Errorf("extracted licence %s is never used", id)
				}
			}
		})
	}
}

// parseLicenseAllowingRefs checks the syntax of an expression whose LicenseRef-s are defined elsewhere, by
// standing a listed id in for each.
func parseLicenseAllowingRefs(s string) bool {
	toks := tokenizeLicense(s)
	for i, tok := range toks {
		if strings.HasPrefix(tok, "LicenseRef-") {
			toks[i] = "MIT"
		}
	}
	return parseLicense(strings.Join(toks, " ")).expr != ""
}

// TestSPDXPackages checks the per-package fields of the rich fixture.
func TestSPDXPackages(t *testing.T) {
	var doc spdxDoc
	if err := json.Unmarshal(render(t, FormatSPDX, loadInventory(t, "rich"), testOptions()), &doc); err != nil {
		t.Fatal(err)
	}
	type pkg struct{ declared, purpose, supplier string }
	got := map[string]pkg{}
	refs := map[string]string{}
	for _, l := range doc.HasExtractedLicensingInfos {
		refs[l.ExtractedText] = l.LicenseID
	}
	for _, p := range doc.Packages {
		got[p.SPDXID+" "+p.Name] = pkg{p.LicenseDeclared, p.PrimaryPackagePurpose, p.Supplier}
	}
	if refs["GPL-2+"] == refs["GPL 2+"] || !strings.HasPrefix(refs["GPL-2+"], "LicenseRef-GPL-2-") {
		t.Errorf("colliding free texts got refs %q and %q", refs["GPL-2+"], refs["GPL 2+"])
	}
	if !strings.HasPrefix(refs["public-domain"], "LicenseRef-public-domain-") || !strings.HasPrefix(refs["Public Domain"], "LicenseRef-Public-Domain-") {
		t.Errorf("free texts differing in case only got refs %q and %q", refs["public-domain"], refs["Public Domain"])
	}
	if refs["LicenseRef-Fedora-Public-Domain"] != "LicenseRef-Fedora-Public-Domain" {
		t.Errorf("LicenseRef- text got ref %q", refs["LicenseRef-Fedora-Public-Domain"])
	}
	find := func(name string) pkg {
		for k, v := range got {
			if strings.HasSuffix(k, " "+name) {
				return v
			}
		}
		t.Fatalf("no package %s", name)
		return pkg{}
	}
	for name, want := range map[string]pkg{
		"registry.example.com/hullscan/fixture:1.0": {"NOASSERTION", "CONTAINER", "NOASSERTION"},
		"debian":     {"NOASSERTION", "OPERATING_SYSTEM", "NOASSERTION"},
		"musl":       {"MIT", "", "Person: Timo Teräs (timo.teras@iki.fi)"},
		"curl":       {"curl AND BSD-3-Clause AND ISC", "", "Person: Alessandro Ghedini (ghedo@debian.org)"},
		"libgomp":    {"GPL-2.0-or-later AND MIT", "", "Person: Ariadne Conill (ariadne@dereferenced.org)"},
		"libc6":      {refs["GPL-2+"] + " AND LGPL-2.1 AND " + refs["public-domain"], "", "Organization: GNU Libc Maintainers (debian-glibc@lists.debian.org)"},
		"libgcc-s1":  {"(GPL-2.0-only WITH Classpath-exception-2.0) AND " + refs["GPL 2+"], "", "Organization: Debian GCC Maintainers (debian-gcc@lists.debian.org)"},
		"glibc":      {refs["LGPLv2+ and LGPLv2+ with exceptions and GPLv2+ and GPLv2+ with exceptions and BSD and Inner-Net and ISC and Public Domain and GFDL"], "", "Organization: Red Hat, Inc. (http://bugzilla.redhat.com/bugzilla)"},
		"gc":         {"Boehm-GC", "", "NOASSERTION"},
		"gpg-pubkey": {"NOASSERTION", "", "NOASSERTION"},
	} {
		if got := find(name); got != want {
			t.Errorf("%s = %+v, want %+v", name, got, want)
		}
	}
}

// TestSchemasRejectInvalid makes sure the schema checks are not vacuous: documents broken in ways a writer
// could plausibly get wrong must fail them.
func TestSchemasRejectInvalid(t *testing.T) {
	inv := loadInventory(t, "rich")
	for _, tc := range []struct {
		name     string
		sch      *jsonschema.Schema
		format   string
		old, new string
	}{
		{"cyclonedx unknown licence id", cycloneDXSchema(t), FormatCycloneDX, `"id": "MIT"`, `"id": "MIT-ish"`},
		{"cyclonedx bad serial", cycloneDXSchema(t), FormatCycloneDX, `"urn:uuid:`, `"uuid:`},
		{"cyclonedx bad timestamp", cycloneDXSchema(t), FormatCycloneDX, `"2024-03-01T12:34:56Z"`, `"yesterday"`},
		// The SPDX 2.3 JSON schema spells the purpose OPERATING_SYSTEM, where the spec text says OPERATING-SYSTEM.
		{"spdx purpose spelling", spdxSchema(t), FormatSPDX, `"OPERATING_SYSTEM"`, `"OPERATING-SYSTEM"`},
		{"spdx relationship type", spdxSchema(t), FormatSPDX, `"CONTAINS"`, `"HAS"`},
	} {
		out := render(t, tc.format, inv, testOptions())
		if !bytes.Contains(out, []byte(tc.old)) {
			t.Fatalf("%s: %s not in the output", tc.name, tc.old)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(bytes.Replace(out, []byte(tc.old), []byte(tc.new), 1)))
		if err != nil {
			t.Fatal(err)
		}
		if tc.sch.Validate(v) == nil {
			t.Errorf("%s: the schema accepted it", tc.name)
		}
	}
}
