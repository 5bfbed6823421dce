package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hullscan/hullscan/internal/model"
)

const gitlabSchemaID = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/master/dist/container-scanning-report-format.json"

func gitlabSchema(t *testing.T) *jsonschema.Schema {
	return compileSchema(t, gitlabSchemaID, map[string]string{gitlabSchemaID: "gitlab-container-scanning-report-format-15.2.4.json"})
}

type gitlabDoc struct {
	Version string `json:"version"`
	Scan    struct {
		Type      string `json:"type"`
		StartTime string `json:"start_time"`
		EndTime   string `json:"end_time"`
		Status    string `json:"status"`
		Messages  []struct{ Level, Value string }
	} `json:"scan"`
	Vulnerabilities []struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Description string `json:"description"`
		Severity    string `json:"severity"`
		Solution    string `json:"solution"`
		Identifiers []struct{ Type, Name, Value, URL string }
		Links       []struct{ URL string }
		Location    struct {
			Dependency struct {
				Package struct{ Name string }
				Version string
			}
			OperatingSystem string `json:"operating_system"`
			Image           string
		}
	} `json:"vulnerabilities"`
}

func TestGitLabSchema(t *testing.T) {
	sch := gitlabSchema(t)
	for _, tc := range []struct {
		name    string
		fixture string
		matches *model.Matches
	}{
		{"rich", "rich", readMatches(t, "rich")},
		{"empty", "empty", nil},
		{"empty matches", "empty", &model.Matches{}},
		{"hostile", "rich", hostileReportMatches()},
		{"hostile without OS or name", "empty", hostileReportMatches()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions()
			opts.Matches = tc.matches
			inv := loadInventory(t, tc.fixture)
			if tc.name == "hostile without OS or name" {
				inv.Source.Name = ""
			}
			validate(t, sch, render(t, FormatGitLab, inv, opts))
		})
	}
}

var uuidV5RE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestGitLabRich(t *testing.T) {
	m := readMatches(t, "rich")
	opts := testOptions()
	opts.Matches = m
	out := render(t, FormatGitLab, loadInventory(t, "rich"), opts)
	var doc gitlabDoc
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != gitlabSchemaVersion || doc.Scan.Type != "container_scanning" || doc.Scan.Status != "success" ||
		doc.Scan.StartTime != "2024-03-01T12:34:56" || doc.Scan.EndTime != doc.Scan.StartTime {
		t.Errorf("header: version %s, scan %+v", doc.Version, doc.Scan)
	}

	// Suppressed findings are left out: GitLab has its own dismissal workflow.
	want := map[string]model.Finding{}
	for _, f := range m.Findings {
		if f.Suppressed == nil {
			want[f.ID+" "+f.Package] = f
		}
	}
	if len(want) == len(m.Findings) {
		t.Fatal("the fixture has no suppressed finding to leave out")
	}
	if len(doc.Vulnerabilities) != len(want) {
		t.Errorf("%d vulnerabilities, want %d (the unsuppressed findings)", len(doc.Vulnerabilities), len(want))
	}
	ids := map[string]bool{}
	for _, v := range doc.Vulnerabilities {
		key := v.Identifiers[0].Value + " " + v.Location.Dependency.Package.Name
		f, ok := want[key]
		if !ok {
			t.Errorf("vulnerability %s is suppressed or unknown", key)
			continue
		}
		delete(want, key)
		if !uuidV5RE.MatchString(v.ID) || ids[v.ID] {
			t.Errorf("%s: id %q not a UUID v5, or repeated", key, v.ID)
		}
		ids[v.ID] = true
		if v.ID != gitlabUUID(&f) {
			t.Errorf("%s: id is not the finding's", key)
		}
		if v.Location.Dependency.Version != f.Installed || v.Location.OperatingSystem != "debian:12" || v.Location.Image != "registry.example.com/hullscan/fixture:1.0" {
			t.Errorf("%s: location %+v", key, v.Location)
		}
		wantSev := map[model.Severity]string{"CRITICAL": "Critical", "HIGH": "High", "MEDIUM": "Medium", "LOW": "Low", "UNKNOWN": "Unknown"}[f.Severity]
		if v.Severity != wantSev {
			t.Errorf("%s: severity %s, want %s", key, v.Severity, wantSev)
		}
		if f.Status == model.StatusFixed && v.Solution != "Upgrade "+f.Package+" to "+f.FixedVersion {
			t.Errorf("%s: solution %q", key, v.Solution)
		}
		if v.Identifiers[0].Value != f.ID {
			t.Errorf("%s: the primary identifier is %q", key, v.Identifiers[0].Value)
		}
	}
	if len(want) > 0 {
		t.Errorf("findings missing from the report: %v", want)
	}
	if len(doc.Scan.Messages) != len(m.Unchecked)+2 {
		t.Errorf("scan messages = %+v, want the unchecked ecosystems and the warnings", doc.Scan.Messages)
	}
}

func TestGitLabIdentifiers(t *testing.T) {
	for _, tc := range []struct{ id, typ, url string }{
		{"CVE-2021-44906", "cve", "https://nvd.nist.gov/vuln/detail/CVE-2021-44906"},
		{"GHSA-xvch-5gv4-984h", "ghsa", "https://github.com/advisories/GHSA-xvch-5gv4-984h"},
		{"PYSEC-2021-1", "pysec", ""},
		{"x_DEBIAN12-CL-CVE-1", "x_debian12", ""},
		{"weird", "hullscan", ""},
		{"CVE-1 2", "cve", ""}, // a space makes the URL unusable
	} {
		got := gitlabIdentifierFor(tc.id)
		if got.Type != tc.typ || got.URL != tc.url || got.Name != tc.id || got.Value != tc.id {
			t.Errorf("gitlabIdentifierFor(%q) = %+v, want type %q url %q", tc.id, got, tc.typ, tc.url)
		}
	}
}

func TestGitLabHostile(t *testing.T) {
	opts := testOptions()
	opts.Matches = hostileReportMatches()
	out := render(t, FormatGitLab, loadInventory(t, "rich"), opts)
	if ansiRE.Match(out) {
		t.Error("ANSI escapes reach the GitLab report")
	}
	var doc gitlabDoc
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Vulnerabilities) != 2 { // three findings, one suppressed
		t.Fatalf("%d vulnerabilities, want 2", len(doc.Vulnerabilities))
	}
	for _, v := range doc.Vulnerabilities {
		if n := utf8.RuneCountInString(v.Name); n > gitlabMaxName {
			t.Errorf("name of %d characters", n)
		}
		for _, l := range v.Links {
			if !strings.HasPrefix(l.URL, "https://") || strings.Contains(l.URL, " ") {
				t.Errorf("unusable link %q kept", l.URL)
			}
		}
	}
}

// TestGitLabSchemaRejects makes sure the GitLab schema check is not vacuous.
func TestGitLabSchemaRejects(t *testing.T) {
	sch := gitlabSchema(t)
	opts := testOptions()
	opts.Matches = readMatches(t, "rich")
	out := render(t, FormatGitLab, loadInventory(t, "rich"), opts)
	for _, tc := range []struct{ old, new string }{
		{`"severity": "Critical"`, `"severity": "CRITICAL"`},
		{`"start_time": "2024-03-01T12:34:56"`, `"start_time": "2024-03-01T12:34:56Z"`},
		{`"type": "container_scanning"`, `"type": "dependency_scanning"`},
		{`"operating_system": "debian:12"`, `"operating_system": ""`},
	} {
		if !bytes.Contains(out, []byte(tc.old)) {
			t.Fatalf("%s not in the output", tc.old)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(bytes.Replace(out, []byte(tc.old), []byte(tc.new), 1)))
		if err != nil {
			t.Fatal(err)
		}
		if sch.Validate(v) == nil {
			t.Errorf("the schema accepted %s", tc.new)
		}
	}
}
