package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hullscan/hullscan/internal/model"
)

// offlineLoader refuses every URL: the schema is testdata/openvex_json_schema.json and nothing else.
type offlineLoader struct{}

func (offlineLoader) Load(url string) (any, error) {
	return nil, errors.New("schema " + url + " is not in testdata (no network access in tests)")
}

func openVEXSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	const id = "https://github.com/openvex/spec/openvex_json_schema_0.2.0.json"
	f, err := os.Open(filepath.Join("testdata", "openvex_json_schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(offlineLoader{})
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validateOpenVEX(t *testing.T, sch *jsonschema.Schema, out []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	return sch.Validate(v)
}

var writeNow = time.Date(2024, 3, 1, 12, 34, 56, 0, time.UTC)

// suppressedFindings covers every kind of suppression, two packages sharing one, and findings left out.
func suppressedFindings() []model.Finding {
	vexNA := &model.Suppression{Kind: model.SuppressedByVEX, Classification: StatusNotAffected,
		Justification: "vulnerable_code_not_in_execute_path", Reason: "DH_check is never called on untrusted input",
		Source: "vex/app.openvex.json (statement 0)"}
	return []model.Finding{
		{ID: "CVE-2023-5678", Aliases: []string{"DSA-5532-1"}, PackageID: "deb:openssl", Package: "openssl",
			PURL: "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", Suppressed: vexNA},
		{ID: "CVE-2023-5678", Aliases: []string{"DSA-5532-1", "GHSA-xxxx-yyyy-zzzz"}, PackageID: "deb:libssl3", Package: "libssl3",
			PURL: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", Suppressed: vexNA},
		{ID: "CVE-2024-0727", PackageID: "deb:openssl", Package: "openssl",
			PURL:       "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
			Suppressed: &model.Suppression{Kind: model.SuppressedByVEX, Classification: StatusFixed, Source: "vex/debian.cdx.json (vulnerability 3)"}},
		{ID: "CVE-2020-25649", PackageID: "maven:jackson-databind", Package: "com.fasterxml.jackson.core:jackson-databind",
			PURL: "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0",
			Suppressed: &model.Suppression{Kind: model.SuppressedByVEX, Classification: StatusNotAffected, Justification: "code_not_reachable",
				Reason: "dataflow analysis", Source: "vex/vendor.cdx.json (vulnerability 0)"}},
		{ID: "GHSA-vh95-rmgr-6w4m", Aliases: []string{"CVE-2021-44906"}, PackageID: "npm:minimist", Package: "minimist",
			PURL: "pkg:npm/minimist@1.2.5",
			Suppressed: &model.Suppression{Kind: model.SuppressedByException, Classification: "accepted-risk",
				Reason: "only parses our own flags", Owner: "team-a", Expires: "2024-06-30", Source: ".hullscan-exceptions.yaml:12"}},
		{ID: "CVE-2022-24999", PackageID: "npm:qs", Package: "qs", PURL: "pkg:npm/qs@6.5.2",
			Suppressed: &model.Suppression{Kind: model.SuppressedByException, Classification: "false-positive",
				Reason: "qs is bundled but never loaded", Owner: "team-b", Expires: "2024-12-31", Source: ".hullscan-exceptions.yaml:20"}},
		{ID: "CVE-2023-26115", PackageID: "npm:word-wrap", Package: "word-wrap", PURL: "pkg:npm/word-wrap@1.2.3",
			Suppressed: &model.Suppression{Kind: model.SuppressedByException, Classification: "fix-scheduled",
				Reason: "upgrade with the eslint bump", Owner: "team-c", Expires: "2024-04-15", Source: ".hullscan-exceptions.yaml:31"}},
		// Not suppressed: never written.
		{ID: "CVE-2023-4911", PackageID: "deb:libc6", Package: "libc6", PURL: "pkg:deb/debian/libc6@2.36-9+deb12u1?arch=amd64&distro=debian-12"},
	}
}

// noPURLFinding is suppressed but has no purl (a package hullscan cannot name by purl).
func noPURLFinding() model.Finding {
	return model.Finding{ID: "CVE-2023-9999", PackageID: "binary:/usr/bin/tool", Package: "tool",
		Suppressed: &model.Suppression{Kind: model.SuppressedByException, Classification: "false-positive", Reason: "not that tool",
			Source: ".hullscan-exceptions.yaml:40"}}
}

func TestWriteOpenVEXSchema(t *testing.T) {
	sch := openVEXSchema(t)
	for _, tc := range []struct {
		name     string
		findings []model.Finding
		o        WriteOptions
	}{
		{"package products", suppressedFindings(), WriteOptions{Now: writeNow}},
		{"image target", append(suppressedFindings(), noPURLFinding()), WriteOptions{Now: writeNow, Author: "Platform Team <platform@example.com>",
			Product: "registry.example.com/app:1.4"}},
		{"image digest target", suppressedFindings(), WriteOptions{Now: writeNow, Product: "registry.example.com/app@" + digest}},
		{"bare digest target", suppressedFindings(), WriteOptions{Now: writeNow, Product: digest}},
		{"oci purl target", suppressedFindings(), WriteOptions{Now: writeNow, Product: "pkg:oci/app@sha256%3A" + digest[7:]}},
		{"directory target", append(suppressedFindings(), noPURLFinding()), WriteOptions{Now: writeNow, Product: "./project", ID: "urn:uuid:0b7b3c2e-6f0e-4c1e-9d43-5c1ad0a1b2c3"}},
		{"absolute directory target", suppressedFindings(), WriteOptions{Now: writeNow, Product: "/src/my project"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteOpenVEX(&buf, tc.findings, tc.o); err != nil {
				t.Fatal(err)
			}
			if err := validateOpenVEX(t, sch, buf.Bytes()); err != nil {
				t.Fatalf("output does not validate:\n%v\n%s", err, buf.Bytes())
			}
			// Deterministic: the same input, in another order, gives the same bytes.
			rev := append([]model.Finding(nil), tc.findings...)
			for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
				rev[i], rev[j] = rev[j], rev[i]
			}
			var again bytes.Buffer
			if err := WriteOpenVEX(&again, rev, tc.o); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Errorf("output depends on the order of the findings:\n%s\n---\n%s", buf.Bytes(), again.Bytes())
			}
		})
	}
}

// TestSchemaRejects makes sure the schema check is not vacuous.
func TestSchemaRejects(t *testing.T) {
	sch := openVEXSchema(t)
	var buf bytes.Buffer
	if err := WriteOpenVEX(&buf, suppressedFindings(), WriteOptions{Now: writeNow}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, old, new string }{
		{"unknown status", `"status": "fixed"`, `"status": "resolved"`},
		{"CycloneDX justification", `"justification": "vulnerable_code_not_in_execute_path"`, `"justification": "code_not_reachable"`},
		{"affected without action", `"action_statement"`, `"status_notes2"`},
		{"bad timestamp", `"2024-03-01T12:34:56Z"`, `"yesterday"`},
	} {
		out := bytes.Replace(buf.Bytes(), []byte(tc.old), []byte(tc.new), 1)
		if bytes.Equal(out, buf.Bytes()) {
			t.Fatalf("%s: %s not in the output", tc.name, tc.old)
		}
		if validateOpenVEX(t, sch, out) == nil {
			t.Errorf("%s: the schema accepted it", tc.name)
		}
	}
}

func TestWriteOpenVEXContent(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteOpenVEX(&buf, suppressedFindings(), WriteOptions{Now: writeNow}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ID                string `json:"@id"`
		Author, Timestamp string
		Statements        []struct {
			Vulnerability struct {
				Name    string
				Aliases []string
			}
			Products []struct {
				ID string `json:"@id"`
			}
			Status, Justification string
			Impact                string `json:"impact_statement"`
			Action                string `json:"action_statement"`
			Notes                 string `json:"status_notes"`
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Author != "hullscan" || doc.Timestamp != "2024-03-01T12:34:56Z" || !strings.HasPrefix(doc.ID, "https://openvex.dev/docs/public/vex-") {
		t.Errorf("author %q timestamp %q id %q", doc.Author, doc.Timestamp, doc.ID)
	}
	type row struct{ vuln, aliases, products, status, justification, impact, action string }
	var got []row
	for _, s := range doc.Statements {
		var ps []string
		for _, p := range s.Products {
			ps = append(ps, p.ID)
		}
		got = append(got, row{s.Vulnerability.Name, strings.Join(s.Vulnerability.Aliases, " "), strings.Join(ps, " "), s.Status,
			s.Justification, s.Impact, s.Action})
		if s.Notes == "" {
			t.Errorf("%s: no status_notes naming the source", s.Vulnerability.Name)
		}
	}
	want := []row{
		{"CVE-2020-25649", "", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0", "not_affected", "",
			"CycloneDX justification: code_not_reachable. dataflow analysis", ""},
		{"CVE-2022-24999", "", "pkg:npm/qs@6.5.2", "not_affected", "",
			"qs is bundled but never loaded (owner team-b, until 2024-12-31, .hullscan-exceptions.yaml:20)", ""},
		{"CVE-2023-26115", "", "pkg:npm/word-wrap@1.2.3", "affected", "", "",
			"fix scheduled by team-c by 2024-04-15: upgrade with the eslint bump"},
		// Two packages, one statement; aliases are the union.
		{"CVE-2023-5678", "DSA-5532-1 GHSA-xxxx-yyyy-zzzz",
			"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12 pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
			"not_affected", "vulnerable_code_not_in_execute_path", "DH_check is never called on untrusted input", ""},
		{"CVE-2024-0727", "", "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", "fixed", "", "", ""},
		{"GHSA-vh95-rmgr-6w4m", "CVE-2021-44906", "pkg:npm/minimist@1.2.5", "affected", "", "",
			"risk accepted by team-a until 2024-06-30: only parses our own flags"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("statements:\n got %+v\nwant %+v", got, want)
	}
}

func TestWriteOpenVEXErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteOpenVEX(&buf, suppressedFindings()[7:], WriteOptions{Now: writeNow}); !errors.Is(err, ErrNoStatements) {
		t.Errorf("no suppressed finding: %v", err)
	}
	if err := WriteOpenVEX(&buf, []model.Finding{noPURLFinding()}, WriteOptions{Now: writeNow}); err == nil || !strings.Contains(err.Error(), "CVE-2023-9999") {
		t.Errorf("a finding without purl and no product: %v", err)
	}
	f := suppressedFindings()[4]
	f.Suppressed = &model.Suppression{Kind: model.SuppressedByException, Classification: "wont-fix"}
	if err := WriteOpenVEX(&buf, []model.Finding{f}, WriteOptions{Now: writeNow}); err == nil || !strings.Contains(err.Error(), `"wont-fix"`) {
		t.Errorf("unknown classification: %v", err)
	}
}

// TestRoundTrip writes the suppressions, reads them back and matches every finding again: the suppressed ones
// get their status, the others nothing, and a statement about one image does not cover another.
func TestRoundTrip(t *testing.T) {
	expect := map[string]string{ // finding id -> status written
		"CVE-2023-5678": StatusNotAffected, "CVE-2024-0727": StatusFixed, "CVE-2020-25649": StatusNotAffected,
		"GHSA-vh95-rmgr-6w4m": StatusAffected, "CVE-2022-24999": StatusNotAffected, "CVE-2023-26115": StatusAffected,
		"CVE-2023-9999": StatusNotAffected,
	}
	for _, tc := range []struct {
		name    string
		product string
		targets []string // the scanned target's identities when matching again
		others  []string // another target's
	}{
		{"package products", "", nil, nil},
		{"image reference", "registry.example.com/app:1.4", []string{"registry.example.com/app:1.4"}, []string{"registry.example.com/app:1.5"}},
		{"image digest", "registry.example.com/app@" + digest, []string{"registry.example.com/app:1.4", digest}, []string{other}},
		{"oci purl", "pkg:oci/app@sha256%3A" + digest[7:], []string{digest}, []string{other}},
		{"directory", "./project", []string{"project"}, []string{"./other"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			findings := suppressedFindings()
			if tc.product != "" {
				findings = append(findings, noPURLFinding())
			}
			var buf bytes.Buffer
			if err := WriteOpenVEX(&buf, findings, WriteOptions{Now: writeNow, Product: tc.product}); err != nil {
				t.Fatal(err)
			}
			doc, err := Read(&buf, "roundtrip.openvex.json")
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range findings {
				ids := append([]string{f.ID}, f.Aliases...)
				st := doc.Match(ids, f.PURL, tc.targets)
				want := expect[f.ID]
				if f.Suppressed == nil {
					want = ""
				}
				got := ""
				if st != nil {
					got = st.Status
				}
				if got != want {
					t.Errorf("%s in %s: status %q, want %q", f.ID, f.Package, got, want)
				}
				if st != nil && f.Suppressed.Kind == model.SuppressedByVEX && isOpenVEXJustification(f.Suppressed.Justification) &&
					(st.Justification != f.Suppressed.Justification || st.Impact != f.Suppressed.Reason) {
					t.Errorf("%s: justification %q impact %q, want %q %q", f.ID, st.Justification, st.Impact,
						f.Suppressed.Justification, f.Suppressed.Reason)
				}
				if tc.product != "" && doc.Match(ids, f.PURL, tc.others) != nil {
					t.Errorf("%s in %s: a statement about %s covers %v", f.ID, f.Package, tc.product, tc.others)
				}
			}
		})
	}
}
