package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hullscan/hullscan/internal/model"
)

func sarifSchema(t *testing.T) *jsonschema.Schema {
	return compileSchema(t, sarifSchemaURI, map[string]string{sarifSchemaURI: "sarif-schema-2.1.0.json"})
}

// sarifDoc is the part of a SARIF log the checks read.
type sarifDoc struct {
	Schema string `json:"$schema"`
	Runs   []struct {
		Tool struct {
			Driver struct {
				Name, Version, InformationURI string
				Rules                         []struct {
					ID                   string `json:"id"`
					HelpURI              string `json:"helpUri"`
					DefaultConfiguration struct{ Level string }
					Help                 struct{ Text, Markdown string }
					Properties           struct {
						SecuritySeverity string   `json:"security-severity"`
						Tags             []string `json:"tags"`
						Precision        string   `json:"precision"`
					}
				}
			}
		}
		Invocations []struct {
			Notifications []struct{ Level string } `json:"toolExecutionNotifications"`
		}
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI string }
					Region           struct{ StartLine int }
				}
			}
			PartialFingerprints map[string]string
			Suppressions        []struct{ Kind, Status, Justification string }
			Properties          map[string]any
		}
		Properties map[string]any
	}
}

func parseSARIF(t *testing.T, out []byte) sarifDoc {
	t.Helper()
	var doc sarifDoc
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(doc.Runs))
	}
	return doc
}

func TestSARIFSchema(t *testing.T) {
	sch := sarifSchema(t)
	for _, tc := range []struct {
		name    string
		fixture string
		matches *model.Matches
	}{
		{"rich", "rich", readMatches(t, "rich")},
		{"rich without matches", "rich", nil},
		{"empty", "empty", nil},
		{"empty matches", "empty", &model.Matches{}},
		{"hostile", "rich", hostileReportMatches()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions()
			opts.Matches = tc.matches
			validate(t, sch, render(t, FormatSARIF, loadInventory(t, tc.fixture), opts))
		})
	}
}

func TestSARIFRich(t *testing.T) {
	m := readMatches(t, "rich")
	opts := testOptions()
	opts.Matches = m
	doc := parseSARIF(t, render(t, FormatSARIF, loadInventory(t, "rich"), opts))
	run := doc.Runs[0]
	driver := run.Tool.Driver
	if driver.Name != "hullscan" || driver.Version != "0.1.0-test" || driver.InformationURI != hullscanURI {
		t.Errorf("driver = %s %s %s", driver.Name, driver.Version, driver.InformationURI)
	}
	if len(run.Results) != len(m.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(m.Findings))
	}

	ids := map[string]bool{}
	for _, f := range m.Findings {
		ids[f.ID] = true
	}
	if len(driver.Rules) != len(ids) {
		t.Errorf("%d rules for %d vulnerability ids", len(driver.Rules), len(ids))
	}
	ruleIDs := map[string]bool{}
	for _, r := range driver.Rules {
		if ruleIDs[r.ID] || !ids[r.ID] {
			t.Errorf("rule %s repeated or unknown", r.ID)
		}
		ruleIDs[r.ID] = true
		if r.Properties.Precision != "very-high" || len(r.Properties.Tags) < 3 || r.Properties.Tags[0] != "security" {
			t.Errorf("rule %s properties = %+v", r.ID, r.Properties)
		}
	}

	fingerprints := map[string]bool{}
	suppressed := 0
	byID := map[string]int{}
	for i, r := range run.Results {
		if r.RuleIndex < 0 || r.RuleIndex >= len(driver.Rules) || driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s: ruleIndex %d points elsewhere", r.RuleID, r.RuleIndex)
		}
		fp := r.PartialFingerprints[sarifFingerprintKey]
		if len(fp) != 64 || fingerprints[fp] {
			t.Errorf("result %s: fingerprint %q missing or repeated", r.RuleID, fp)
		}
		fingerprints[fp] = true
		loc := r.Locations[0].PhysicalLocation
		if strings.HasPrefix(loc.ArtifactLocation.URI, "/") || loc.ArtifactLocation.URI == "" || loc.Region.StartLine != 1 {
			t.Errorf("result %s: location %+v", r.RuleID, loc)
		}
		if len(r.Suppressions) > 0 {
			suppressed++
			s := r.Suppressions[0]
			if s.Kind != "external" || s.Status != "accepted" || s.Justification == "" {
				t.Errorf("result %s: suppression %+v", r.RuleID, s)
			}
		}
		byID[r.RuleID+" "+r.Properties["package"].(string)] = i
	}
	wantSuppressed := 0
	for _, f := range m.Findings {
		if f.Suppressed != nil {
			wantSuppressed++
		}
	}
	if suppressed != wantSuppressed || suppressed == 0 {
		t.Errorf("%d results carry suppressions, want %d", suppressed, wantSuppressed)
	}

	for _, tc := range []struct {
		key, level, message, uri string
	}{
		// Fails the gate rule: error, whatever the severity; the message is the one the brief shows.
		{"CVE-2021-44906 minimist", "error", "Package minimist 1.2.0 (npm, /app/package-lock.json) is affected by CVE-2021-44906. Fixed in 1.2.6. Layer 3 (COPY app /app). Fails the gate rule: severity CRITICAL, fixable.", "app/package-lock.json"},
		{"CVE-2023-45857 axios", "warning", "", "app/package-lock.json"},
		{"CVE-2026-109518 apt", "note", "", "var/lib/dpkg/status"},
		{"CVE-2026-103111 libpcre2-8-0", "error", "", "var/lib/dpkg/status"},
		{"CVE-2024-28757 libexpat1", "note", "Package libexpat1 2.5.0-1+deb12u2 (deb, /var/lib/dpkg/status) is affected by CVE-2024-28757. The distribution will not fix it. Layer 1 (RUN apt-get install -y --no-install-recommends curl ca-certificates libxml2 python3-minimal zlib1g-dev openssl).", ""},
	} {
		i, ok := byID[tc.key]
		if !ok {
			t.Errorf("no result for %s", tc.key)
			continue
		}
		r := run.Results[i]
		if r.Level != tc.level {
			t.Errorf("%s: level %s, want %s", tc.key, r.Level, tc.level)
		}
		if tc.message != "" && r.Message.Text != tc.message {
			t.Errorf("%s: message\n got %q\nwant %q", tc.key, r.Message.Text, tc.message)
		}
		if tc.uri != "" && r.Locations[0].PhysicalLocation.ArtifactLocation.URI != tc.uri {
			t.Errorf("%s: uri %q, want %q", tc.key, r.Locations[0].PhysicalLocation.ArtifactLocation.URI, tc.uri)
		}
	}
	verdict, _ := run.Properties["verdict"].(map[string]any)
	if verdict == nil || verdict["passed"] != false {
		t.Errorf("run properties carry no verdict: %v", run.Properties)
	}
	if n := len(run.Invocations); n != 1 || len(run.Invocations[0].Notifications) != len(m.Unchecked)+2 {
		t.Errorf("invocations = %+v, want one with the unchecked ecosystems and warnings", run.Invocations)
	}
}

// TestSARIFFingerprintStable: the fingerprint depends on what identifies a finding, not on its severity, title
// or position, so GitHub keeps one alert across scans.
func TestSARIFFingerprintStable(t *testing.T) {
	f := model.Finding{ID: "CVE-1", Ecosystem: model.NPM, Package: "a", Installed: "1", Location: "/p"}
	g := f
	g.Severity, g.Title, g.FixedVersion = model.SeverityHigh, "changed", "2"
	if findingHash(&f) != findingHash(&g) {
		t.Error("fingerprint changes with severity, title or fix")
	}
	for _, change := range []func(*model.Finding){
		func(h *model.Finding) { h.ID = "CVE-2" },
		func(h *model.Finding) { h.Package = "b" },
		func(h *model.Finding) { h.Installed = "1.1" },
		func(h *model.Finding) { h.Location = "/q" },
	} {
		h := f
		change(&h)
		if findingHash(&h) == findingHash(&f) {
			t.Errorf("fingerprint ignores a change: %+v", h)
		}
	}
}

func TestSARIFLevels(t *testing.T) {
	for _, tc := range []struct {
		sev    model.Severity
		failed string
		want   string
	}{
		{model.SeverityCritical, "", "error"},
		{model.SeverityHigh, "", "error"},
		{model.SeverityMedium, "", "warning"},
		{model.SeverityLow, "", "note"},
		{model.SeverityUnknown, "", "note"},
		{"BOGUS", "", "note"},
		{model.SeverityLow, "fixable", "error"},
		{model.SeverityUnknown, "kev", "error"},
	} {
		f := model.Finding{ID: "CVE-1", Package: "p", Installed: "1", Severity: tc.sev, FailedRule: tc.failed}
		if got := sarifResultFor(&f, 0, "t").Level; got != tc.want {
			t.Errorf("%s failing %q: level %s, want %s", tc.sev, tc.failed, got, tc.want)
		}
	}
}

func TestSARIFURI(t *testing.T) {
	for _, tc := range []struct{ location, target, want string }{
		{"/app/package-lock.json", "img", "app/package-lock.json"},
		{"/var/lib/dpkg/status", "img", "var/lib/dpkg/status"},
		{"", "registry.example.com/app:1.0", "registry.example.com/app:1.0"},
		{"", "/abs/dir", "abs/dir"},
		{"", "", "unknown"},
		{"/app dir/x#y?.json", "t", "app%20dir/x%23y%3F.json"},
		{"/c:/x", "t", "./c:/x"},
		{"/app.jar!/BOOT-INF/lib/x.jar", "t", "app.jar%21/BOOT-INF/lib/x.jar"},
	} {
		if got := sarifURI(tc.location, tc.target); got != tc.want {
			t.Errorf("sarifURI(%q, %q) = %q, want %q", tc.location, tc.target, got, tc.want)
		}
	}
}

func TestSARIFNoMatches(t *testing.T) {
	doc := parseSARIF(t, render(t, FormatSARIF, loadInventory(t, "rich"), testOptions()))
	run := doc.Runs[0]
	if len(run.Results) != 0 || len(run.Tool.Driver.Rules) != 0 || run.Properties["vulnerabilitiesMatched"] != false {
		t.Errorf("without matches: %d results, %d rules, properties %v", len(run.Results), len(run.Tool.Driver.Rules), run.Properties)
	}
}

var ansiRE = regexp.MustCompile("\x1b|\\\\u001b")

func TestSARIFHostile(t *testing.T) {
	opts := testOptions()
	opts.Matches = hostileReportMatches()
	out := render(t, FormatSARIF, loadInventory(t, "rich"), opts)
	if ansiRE.Match(out) {
		t.Error("ANSI escapes reach the SARIF output")
	}
	doc := parseSARIF(t, out)
	for _, r := range doc.Runs[0].Tool.Driver.Rules {
		if r.HelpURI != "" && !strings.HasPrefix(r.HelpURI, "https://") {
			t.Errorf("rule %s: helpUri %q", r.ID, r.HelpURI)
		}
		if strings.Contains(r.Help.Markdown, "| injected |") {
			t.Errorf("rule %s: a cell's | was not escaped", r.ID)
		}
	}
	if len(doc.Runs[0].Results) != len(opts.Matches.Findings) {
		t.Errorf("%d results for %d findings", len(doc.Runs[0].Results), len(opts.Matches.Findings))
	}
}

// TestSARIFSchemaRejects makes sure the SARIF schema check is not vacuous.
func TestSARIFSchemaRejects(t *testing.T) {
	sch := sarifSchema(t)
	opts := testOptions()
	opts.Matches = readMatches(t, "rich")
	out := render(t, FormatSARIF, loadInventory(t, "rich"), opts)
	for _, tc := range []struct{ old, new string }{
		{`"level": "error"`, `"level": "fatal"`},
		{`"kind": "external"`, `"kind": "outside"`},
		{`"version": "2.1.0"`, `"version": "2.2.0"`},
		{`"startLine": 1`, `"startLine": 0`},
		{`"helpUri": "https://`, `"helpUri": "not a uri `},
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
