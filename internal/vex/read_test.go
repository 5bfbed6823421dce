package vex

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readFile(t *testing.T, name string) *Document {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := Read(f, name)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return doc
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestRead(t *testing.T) {
	wolfiGit := []Product{{PURL: "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7"}, {PURL: "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"}}
	for _, tc := range []struct {
		file   string
		format string
		want   []Statement
	}{
		{"openvex-minimal.json", FormatOpenVEX, []Statement{{
			Index: 0, Vulnerability: "CVE-2023-12345", Products: wolfiGit, Status: StatusFixed,
			Timestamp: mustTime("2023-01-08T18:02:03.647787998-06:00"),
		}}},
		// v0.0.1: the vulnerability and the products are plain strings.
		{"openvex-v0.0.1.json", FormatOpenVEX, []Statement{{
			Index: 0, Vulnerability: "CVE-2023-12345", Products: wolfiGit, Status: StatusFixed,
			Timestamp: mustTime("2023-01-08T18:02:03.647787998-06:00"),
		}}},
		{"openvex-spring.json", FormatOpenVEX, []Statement{{
			Index: 0, Vulnerability: "CVE-2021-44228",
			Aliases:  []string{"GHSA-jfh8-c2jp-5v3q", "https://nvd.nist.gov/vuln/detail/CVE-2021-44228"},
			Products: []Product{{PURL: "pkg:maven/org.springframework.boot/spring-boot@2.6.0-M3"}},
			Status:   StatusNotAffected, Justification: "vulnerable_code_not_in_execute_path",
			Impact:    "Spring Boot users are only affected by this vulnerability if they have switched the default logging system to Log4J2. The log4j-to-slf4j and log4j-api jars that we include in spring-boot-starter-logging cannot be exploited on their own. Only applications using log4j-core and including user input in log messages are vulnerable.",
			Timestamp: mustTime("2023-01-16T19:07:16.853479631-06:00"),
		}}},
		// The statement's own timestamp wins over the document's; the second inherits the document's.
		{"openvex-inheritance.json", FormatOpenVEX, []Statement{
			{Index: 0, Vulnerability: "CVE-2023-12345", Products: wolfiGit[:1], Status: StatusUnderInvestigation,
				Timestamp: mustTime("2023-01-08T18:02:03-06:00")},
			{Index: 1, Vulnerability: "CVE-2023-12345", Products: wolfiGit[:1], Status: StatusFixed,
				Timestamp: mustTime("2023-01-09T09:08:42-06:00")},
		}},
		{"openvex-image.json", FormatOpenVEX, []Statement{
			{Index: 0, Vulnerability: "CVE-2023-5678", Aliases: []string{"DSA-5532-1"},
				Products: []Product{{
					PURL: "pkg:oci/app@sha256%3A4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c?repository_url=registry.example.com/app",
					Subcomponents: []Product{
						{PURL: "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"},
						{PURL: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2"},
					},
				}},
				Status: StatusNotAffected, Justification: "vulnerable_code_not_in_execute_path",
				Impact: "The application never calls DH_check on untrusted parameters.", Timestamp: mustTime("2024-03-01T12:00:00Z")},
			{Index: 1, Vulnerability: "GHSA-vh95-rmgr-6w4m", Products: []Product{{ID: "registry.example.com/app:1.4"}},
				Status: StatusAffected, Action: "Upgrade minimist to 1.2.6 in the next release.", Timestamp: mustTime("2024-03-01T12:00:00Z")},
		}},
		{"cyclonedx-vex.json", FormatCycloneDX, []Statement{
			// A bom-ref of a nested component resolves to its purl; references are aliases; lastUpdated dates it.
			{Index: 0, Vulnerability: "CVE-2020-25649", Aliases: []string{"SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302", "GHSA-288c-cq4h-88gq"},
				Products: []Product{{PURL: "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar", ID: "jackson-databind"}},
				Status:   StatusNotAffected, Justification: "code_not_reachable",
				Impact: "Automated dataflow analysis and manual code review indicates that the vulnerable code is not reachable, either directly or indirectly.",
				Action: "will_not_fix", Timestamp: mustTime("2024-02-15T00:00:00Z")},
			// A BOM-Link into this document resolves like a bom-ref; false_positive stays visible.
			{Index: 1, Vulnerability: "CVE-2021-44228",
				Products: []Product{{PURL: "pkg:maven/org.springframework.boot/spring-boot@2.6.0", ID: "spring-boot"}},
				Status:   StatusNotAffected, Justification: "false_positive",
				Impact: "log4j-core is not in the product; the scanner matched log4j-api.", Timestamp: mustTime("2024-03-01T00:00:00Z")},
			{Index: 2, Vulnerability: "CVE-2022-22965", Products: []Product{{PURL: "pkg:maven/org.springframework.boot/spring-boot@2.6.6"}},
				Status: StatusFixed, Impact: "Fixed in 2.6.6.", Action: "update", Timestamp: mustTime("2024-03-01T00:00:00Z")},
			// A component without a purl keeps its bom-ref.
			{Index: 3, Vulnerability: "CVE-2021-44906", Products: []Product{{ID: "npm:minimist@1.2.5"}},
				Status: StatusAffected, Impact: "Argument parsing reaches the vulnerable code.", Action: "update", Timestamp: mustTime("2024-03-01T00:00:00Z")},
			{Index: 4, Vulnerability: "CVE-2024-0001", Products: []Product{{ID: "product-ABC"}},
				Status: StatusUnderInvestigation, Timestamp: mustTime("2024-03-01T00:00:00Z")},
			// BOM-Links into another document: the fragment is kept, a purl as PURL, anything else as ID.
			{Index: 5, Vulnerability: "CVE-2023-0002", Products: []Product{{PURL: "pkg:npm/lodash@4.17.21"}, {ID: "componentA"}},
				Status: StatusNotAffected, Justification: "requires_environment", Timestamp: mustTime("2024-03-01T00:00:00Z")},
			// vulnerabilities[6] has no analysis: not a statement.
		}},
		// CycloneDX's own VEX example: a single response string, the vulnerability's updated date.
		{"cyclonedx-bom-examples-vex.json", FormatCycloneDX, []Statement{
			{Index: 0, Vulnerability: "CVE-2020-25649", Aliases: []string{"SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302"},
				Products: []Product{{PURL: "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar"}},
				Status:   StatusNotAffected, Justification: "code_not_reachable",
				Impact: "Automated dataflow analysis and manual code review indicates that the vulnerable code is not reachable, either directly or indirectly.",
				Action: "will_not_fix", Timestamp: mustTime("2021-10-26T00:00:00Z")},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			doc := readFile(t, tc.file)
			if doc.Name != tc.file || doc.Format != tc.format {
				t.Errorf("name %q format %q, want %q %q", doc.Name, doc.Format, tc.file, tc.format)
			}
			if len(doc.Statements) != len(tc.want) {
				t.Fatalf("%d statements, want %d: %+v", len(doc.Statements), len(tc.want), doc.Statements)
			}
			for i, want := range tc.want {
				got := doc.Statements[i]
				if !got.Timestamp.Equal(want.Timestamp) {
					t.Errorf("statement %d timestamp %v, want %v", i, got.Timestamp, want.Timestamp)
				}
				got.Timestamp, want.Timestamp = time.Time{}, time.Time{}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("statement %d:\n got %+v\nwant %+v", i, got, want)
				}
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string // each must be in the error
	}{
		{"bad/syntax.json", []string{"bad/syntax.json", "malformed JSON at byte", "line 4"}},
		{"bad/truncated.json", []string{"bad/truncated.json", "malformed JSON"}},
		{"bad/wrong-type.json", []string{"bad/wrong-type.json", "malformed JSON at byte", "line 4"}},
		{"bad/unknown-status.json", []string{"bad/unknown-status.json", "statements[0]", `status "resolved"`}},
		{"bad/not-affected-no-reason.json", []string{"statements[1]", "not_affected without a justification or an impact statement"}},
		{"bad/cyclonedx-unknown-state.json", []string{"vulnerabilities[4] (CVE-2024-0001)", `analysis.state "triaged"`}},
		{"bad/spdx.json", []string{"bad/spdx.json", "not a VEX document", "OpenVEX", "CycloneDX"}},
		{"bad/yaml.yaml", []string{"bad/yaml.yaml", "not a JSON object", "OpenVEX", "CycloneDX"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Read(bytes.NewReader(b), tc.file)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestReadInline covers shapes too small for a file of their own.
func TestReadInline(t *testing.T) {
	const head = `{"@context": "https://openvex.dev/ns/v0.2.0", "timestamp": "2024-01-01T00:00:00Z", "statements": [`
	for _, tc := range []struct {
		name, doc, wantErr string
	}{
		{"unknown justification", head + `{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:npm/a@1"}], "status": "not_affected", "justification": "not_reachable"}]}`, `unknown justification "not_reachable"`},
		{"impact statement alone", head + `{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:npm/a@1"}], "status": "not_affected", "impact_statement": "never loaded"}]}`, ""},
		{"nameless vulnerability", head + `{"vulnerability": {"@id": "https://example.com/v"}, "status": "fixed"}]}`, "statements[0]: the vulnerability has no name"},
		{"bad timestamp", head + `{"vulnerability": "CVE-1", "status": "fixed", "timestamp": "yesterday"}]}`, `statements[0]: timestamp "yesterday"`},
		{"zoneless timestamp", head + `{"vulnerability": "CVE-1", "status": "fixed", "timestamp": "2024-01-01T00:00:00"}]}`, ""},
		{"empty product", head + `{"vulnerability": "CVE-1", "status": "fixed", "products": [{}]}]}`, "statements[0]: products[0]: no @id"},
		{"nested subcomponents", head + `{"vulnerability": "CVE-1", "status": "fixed", "products": [{"@id": "x", "subcomponents": [{"@id": "y", "subcomponents": [{"@id": "z"}]}]}]}]}`, "cannot have subcomponents"},
		{"context array", `{"@context": ["https://openvex.dev/ns/v0.2.0"], "statements": [{"vulnerability": "CVE-1", "status": "fixed"}]}`, ""},
		{"byte order mark", "\xef\xbb\xbf" + head + `{"vulnerability": "CVE-1", "status": "fixed"}]}`, ""},
		{"cdx not_affected without reason", `{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "not_affected"}}]}`, "vulnerabilities[0] (CVE-1): not_affected without"},
		{"cdx unknown justification", `{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "not_affected", "justification": "nope"}}]}`, `unknown analysis.justification "nope"`},
		{"cdx response object", `{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "resolved", "response": {"a": 1}}}]}`, "analysis.response"},
		{"cdx false positive with justification", `{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "false_positive", "justification": "code_not_present"}}]}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.doc), "inline.json")
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one saying %q", err, tc.wantErr)
			}
		})
	}
	doc, err := Read(strings.NewReader(`{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "false_positive", "justification": "code_not_present"}}]}`), "x")
	if err != nil || doc.Statements[0].Justification != "false_positive (code_not_present)" {
		t.Errorf("false positive justification: %+v, %v", doc, err)
	}
}

func TestReadSizeCap(t *testing.T) {
	doc := `{"@context": "https://openvex.dev/ns", "statements": [{"vulnerability": "CVE-1", "status": "fixed"}]}`
	if _, err := readLimited(strings.NewReader(doc), "small.json", int64(len(doc))); err != nil {
		t.Errorf("a document of exactly the cap: %v", err)
	}
	_, err := readLimited(strings.NewReader(doc+" "), "big.json", int64(len(doc)))
	if err == nil || !strings.Contains(err.Error(), "big.json: larger than") {
		t.Errorf("a document past the cap: %v", err)
	}
}
