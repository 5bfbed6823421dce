package report

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
)

func renderMarkdown(t *testing.T, fixture string, m *model.Matches, showSuppressed bool) string {
	t.Helper()
	opts := testOptions()
	opts.Matches = m
	opts.ShowSuppressed = showSuppressed
	return string(render(t, FormatMarkdown, loadInventory(t, fixture), opts))
}

// unescapedPipes counts the "|" of a table row that are not escaped by a backslash.
func unescapedPipes(row string) int {
	n := 0
	for i := 0; i < len(row); i++ {
		switch row[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

// checkTables checks that every table row has as many cells as its header: a cell's text never adds or removes
// a column.
func checkTables(t *testing.T, md string) {
	t.Helper()
	want := -1
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = -1
			continue
		}
		if want < 0 {
			want = unescapedPipes(line)
			continue
		}
		if got := unescapedPipes(line); got != want {
			t.Errorf("row has %d cell borders, header %d: %s", got, want, line)
		}
	}
}

func TestMarkdownSuppressed(t *testing.T) {
	m := readMatches(t, "rich")
	var reasons []string
	for _, f := range m.Findings {
		if f.Suppressed != nil {
			reasons = append(reasons, f.Suppressed.Reason)
		}
	}
	if len(reasons) == 0 {
		t.Fatal("the fixture has no suppressed finding")
	}
	for _, show := range []bool{false, true} {
		md := renderMarkdown(t, "rich", m, show)
		checkTables(t, md)
		if !strings.Contains(md, fmt.Sprintf("### Suppressed (%d)", len(reasons))) {
			t.Errorf("show=%v: the suppressed findings are not counted", show)
		}
		for _, r := range reasons {
			if strings.Contains(md, r) != show {
				t.Errorf("show=%v: reason %q listed = %v", show, r, !show)
			}
		}
	}
}

// TestMarkdownCaps: long lists are folded and capped, and the report says how much it left out.
func TestMarkdownCaps(t *testing.T) {
	for _, tc := range []struct {
		findings    int
		details     bool
		notListed   int // rows left out of the full list
		fixFirstCut int // rows left out of "Fix first"
	}{
		{findings: 5},
		{findings: mdDetailsAbove},
		{findings: mdDetailsAbove + 1, details: true, fixFirstCut: mdDetailsAbove + 1 - mdFixFirstRows},
		{findings: mdMaxRows + 50, details: true, notListed: 50, fixFirstCut: mdMaxRows + 50 - mdFixFirstRows},
	} {
		t.Run(fmt.Sprint(tc.findings), func(t *testing.T) {
			m := &model.Matches{Checked: tc.findings}
			for i := 0; i < tc.findings; i++ {
				m.Findings = append(m.Findings, model.Finding{
					ID: fmt.Sprintf("CVE-2024-%05d", i), Package: "pkg", Installed: "1", Ecosystem: model.NPM,
					Status: model.StatusFixed, FixedVersion: "2", Severity: model.SeverityHigh,
				})
			}
			md := renderMarkdown(t, "empty", m, false)
			checkTables(t, md)
			if got := strings.Contains(md, "<details>"); got != tc.details {
				t.Errorf("<details> = %v, want %v", got, tc.details)
			}
			listed := regexp.MustCompile(`(?m)^\| HIGH \| CVE-2024-\d{5} \|`).FindAllString(md, -1)
			// Every finding is fixable: each is in "Fix first" (up to its cap) and in the full list.
			if want := min(tc.findings, mdFixFirstRows) + tc.findings - tc.notListed; len(listed) != want {
				t.Errorf("%d rows, want %d", len(listed), want)
			}
			if tc.notListed > 0 && !strings.Contains(md, fmt.Sprintf("%d more finding(s) are not listed", tc.notListed)) {
				t.Error("the cap of the full list is not said")
			}
			if tc.fixFirstCut > 0 && !strings.Contains(md, fmt.Sprintf("%d more finding(s) to fix", tc.fixFirstCut)) {
				t.Error("the cap of Fix first is not said")
			}
			if tc.findings <= mdFixFirstRows && strings.Contains(md, "more finding(s)") {
				t.Error("a cap is announced where nothing was left out")
			}
		})
	}
}

func TestMarkdownHostile(t *testing.T) {
	md := renderMarkdown(t, "rich", hostileReportMatches(), true)
	checkTables(t, md)
	for _, bad := range []string{"\x1b", "<script>", "</failure>", "\u202e", "| injected | row |", "@evil/", "@team"} {
		if strings.Contains(md, bad) {
			t.Errorf("%q reaches the Markdown", bad)
		}
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "|") && len([]rune(line)) > 8*(mdMaxCell+20) {
			t.Errorf("row of %d characters: cells are not capped", len([]rune(line)))
		}
	}
	if !strings.Contains(md, "are cut (…)") {
		t.Error("cut cells are not announced")
	}
	if !strings.Contains(md, "[CVE-2024-0001](https://example.com/ok?x=%281%29%7C)") {
		t.Error("the first usable reference is not the link, or its parentheses are not escaped")
	}
}

func TestMarkdownCell(t *testing.T) {
	for in, want := range map[string]string{
		"plain":               "plain",
		"a|b":                 `a\|b`,
		"`code`":              "\\`code\\`",
		"<b>x</b>":            "&lt;b&gt;x&lt;/b&gt;",
		"line\nbreak":         "line break",
		"@types/node":         "@&#8203;types/node",
		"mail a@b.c":          "mail a@&#8203;b.c",
		"under_score *star*":  `under\_score \*star\*`,
		`back\slash`:          `back\\slash`,
		"[link](javascript:)": `\[link\](javascript:)`,
		"&amp;":               "&amp;amp;",
	} {
		if got := mdCell(in); got != want {
			t.Errorf("mdCell(%q) = %q, want %q", in, got, want)
		}
	}
	if got := mdCell(strings.Repeat("x", mdMaxCell+10)); len([]rune(got)) != mdMaxCell {
		t.Errorf("a long cell has %d characters", len([]rune(got)))
	}
}

func TestMarkdownVerdicts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		verdict *model.Verdict
		want    string
	}{
		{"passed", &model.Verdict{Passed: true, Rules: []string{"severity CRITICAL"}}, "## hullscan: gate passed"},
		{"failed", &model.Verdict{Rules: []string{"kev"}, Failing: 2}, "The gate **failed**: 2 finding(s) fail its rules (kev)"},
		{"no gate", nil, "## hullscan: vulnerability report"},
	} {
		md := renderMarkdown(t, "empty", &model.Matches{Verdict: tc.verdict}, false)
		if !strings.Contains(md, tc.want) {
			t.Errorf("%s: %q not in\n%s", tc.name, tc.want, md)
		}
		if !strings.Contains(md, "No vulnerabilities found.") {
			t.Errorf("%s: an empty result is not said", tc.name)
		}
	}
	if md := renderMarkdown(t, "empty", nil, false); !strings.Contains(md, "not matched against the vulnerability database") {
		t.Errorf("without matches the report does not say so:\n%s", md)
	}
}
