package report

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
)

func csvTemplate(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "templates", "findings.csv.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTemplateCSV reads the CSV template's output back with encoding/csv: one record per finding, every record
// of the header's width, whatever the findings hold.
func TestTemplateCSV(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    *model.Matches
	}{
		{"rich", readMatches(t, "rich")},
		{"hostile", hostileReportMatches()},
		{"none", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions()
			opts.Matches = tc.m
			opts.Template = csvTemplate(t)
			out := render(t, FormatTemplate, loadInventory(t, "rich"), opts)
			r := csv.NewReader(bytes.NewReader(out))
			r.Comment = '#'
			recs, err := r.ReadAll()
			if err != nil {
				t.Fatalf("not CSV: %v", err)
			}
			want := 1
			if tc.m != nil {
				want += len(tc.m.Findings)
			}
			if len(recs) != want {
				t.Fatalf("%d records, want %d", len(recs), want)
			}
			for i, rec := range recs[1:] {
				f := sortedFindings(tc.m)[i]
				want := f.ID
				if strings.ContainsRune("=+-@", rune(want[0])) {
					want = "'" + want // defused formula
				}
				if rec[2] != want {
					t.Errorf("record %d: id %q, want %q", i, rec[2], want)
				}
				for _, cell := range rec {
					if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
						t.Errorf("record %d: cell %q starts a spreadsheet formula", i, cell)
					}
				}
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	inv := loadInventory(t, "rich")
	for _, tc := range []struct {
		name, text string
		want       []string // in the error, in order
	}{
		{"empty", " \n", []string{"no template text given"}},
		{"unclosed action", "ok\n{{ range .Findings }}\n{{ .ID", []string{"parsing the template", "template:3"}},
		{"unknown function", "line one\nline two {{ nosuch .ID }}", []string{"parsing the template", "template:2", `"nosuch" not defined`}},
		{"unknown field", "{{ range .Findings }}\n\n{{ .NoSuchField }}{{ end }}", []string{"executing the template", "template:3", "NoSuchField"}},
		{"index out of range", `{{ len .Findings }} {{ index .Findings 99 }}`, []string{"executing the template", "template:1", "index out of range"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions()
			opts.Matches = readMatches(t, "rich")
			opts.Template = tc.text
			var buf bytes.Buffer
			err := Write(&buf, FormatTemplate, inv, opts)
			if err == nil {
				t.Fatal("no error")
			}
			msg, at := err.Error(), 0
			for _, w := range tc.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("error %q lacks %q (after position %d)", msg, w, at)
				}
				at += i + len(w)
			}
			if buf.Len() != 0 {
				t.Errorf("a failed template wrote %q", buf.String())
			}
		})
	}
}

func TestTemplateFuncs(t *testing.T) {
	m := readMatches(t, "rich")
	for _, tc := range []struct{ text, want string }{
		{`{{ join ", " (index .Findings 0).Aliases }}`, "GHSA-xvch-5gv4-984h"},
		{`{{ (index .Findings 0).Aliases | join "+" }}`, "GHSA-xvch-5gv4-984h"},
		{`{{ upper "abc" }} {{ lower .Source.Kind | upper }}`, "ABC REGISTRY"},
		{`{{ escapeXML "<a & 'b'>" }}`, "&lt;a &amp; &#39;b&#39;&gt;"},
		{`{{ escapeCSV "a,b" }}|{{ escapeCSV "say \"hi\"" }}|{{ escapeCSV "=1+1" }}|{{ escapeCSV "plain" }}`, `"a,b"|"say ""hi"""|'=1+1|plain`},
		{`{{ toJSON .Verdict.Rules }} {{ toJSON "<&>" }}`, `["severity CRITICAL, fixable"] "<&>"`},
		{`{{ severityRank "CRITICAL" }}{{ severityRank "high" }}{{ severityRank "bogus" }}`, "430"},
		{`{{ now.Format "2006-01-02T15:04:05Z07:00" }}`, "2024-03-01T12:34:56Z"},
		{`{{ len .Findings }} {{ .Matched }} {{ .Database.Schema }} {{ len .Unchecked }} {{ .ToolVersion }}`, "12 true 1 1 0.1.0-test"},
		{`{{ with index .Findings 0 }}{{ .Severity }} {{ .Package }}{{ end }}`, "CRITICAL minimist"},
	} {
		opts := testOptions()
		opts.Matches = m
		opts.Template = tc.text
		if got := string(render(t, FormatTemplate, loadInventory(t, "rich"), opts)); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestTemplateNoMatches(t *testing.T) {
	opts := testOptions()
	opts.Template = `{{ if .Findings }}findings{{ else }}none{{ end }} {{ .Matched }} {{ .Verdict }} {{ .Database }} {{ len .Packages }}`
	if got := string(render(t, FormatTemplate, loadInventory(t, "rich"), opts)); got != "none false <nil> <nil> 25" {
		t.Errorf("without matches: %q", got)
	}
}

// TestTemplateDataIsACopy: a template cannot change the matches through the data it gets.
func TestTemplateDataIsACopy(t *testing.T) {
	m := readMatches(t, "rich")
	opts := testOptions()
	opts.Matches = m
	d := templateData(loadInventory(t, "rich"), opts)
	d.Findings[0].ID = "changed"
	for _, f := range m.Findings {
		if f.ID == "changed" {
			t.Fatal("the template data shares the findings")
		}
	}
}
