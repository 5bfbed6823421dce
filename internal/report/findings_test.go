package report

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hullscan/hullscan/internal/model"
)

// hostileReportLong is longer than any limit a report format has (GitLab's name, Markdown cells).
var hostileReportLong = strings.Repeat("A|`<b>", 2000)

// hostileReportMatches are findings whose text fields carry what package metadata and advisory feeds could hold:
// ANSI escapes, line breaks, Markdown and XML syntax, CDATA ends, mentions, invalid UTF-8, bidi overrides,
// unusable URLs and very long strings. Every format must stay valid with them.
func hostileReportMatches() *model.Matches {
	layer := &model.LayerRef{Index: 2, CreatedBy: "RUN echo '</testcase>' \x1b[31m|`x`\n# buildkit"}
	return &model.Matches{
		Checked:  3,
		Database: model.DatabaseInfo{Path: "db", Built: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Schema: 1},
		Findings: []model.Finding{
			{
				ID: "CVE-2024-0001", Aliases: []string{"GHSA-aaaa-bbbb-cccc", "weird id\n<x>"},
				Package: "@evil/pkg|name`\x1b[2J", Ecosystem: model.NPM, Installed: "1.0.0\n]]>",
				Location: "/app dir/c:/package-lock.json", Layer: layer,
				Status: model.StatusFixed, FixedVersion: "2.0.0</testcase><testcase name=\"x\">",
				Severity: model.SeverityCritical, CVSSScore: 9.0, CVSSVector: "CVSS:3.1/AV:N\x00",
				Title:      "Title with </failure> and ]]> and \u202e bidi and " + hostileReportLong,
				References: []string{"javascript:alert(1)", "https://example.com/a b", "https://example.com/ok?x=(1)|"},
				FailedRule: "severity CRITICAL\n| injected | row |",
			},
			{
				ID: "GHSA-xxxx-yyyy-zzzz", Package: "pkg\xff\xfe", Ecosystem: model.PyPI, Installed: "0.1",
				Location: "", Status: model.StatusNotFixed, Severity: "BOGUS",
				Title: "<script>alert(1)</script> @someone please look",
				Suppressed: &model.Suppression{
					Kind: model.SuppressedByException, Classification: "accepted-risk",
					Reason: "line one\nline two ]]> </skipped>", Owner: "@team", Expires: "2030-01-01", Source: "x.yaml:1",
				},
			},
			{
				ID: "=cmd|' /C calc'!A0", Package: hostileReportLong, Ecosystem: model.Deb, Installed: "-1",
				Location: "/var/lib/dpkg/status", Status: model.StatusWontFix, Severity: model.SeverityLow,
			},
		},
		Unchecked: []model.Unchecked{{Ecosystem: "Maven\n<x>", Reason: "no advisories | `here`", Packages: 2}},
		Warnings:  []string{"warning with \x1b[31mANSI\x1b[0m and\nnewline and </testsuites>"},
		Verdict: &model.Verdict{
			Passed: false, Rules: []string{"severity CRITICAL | `x`"}, Failing: 1, Suppressed: 1,
			Expired: []model.ExpiredException{{ID: "CVE-1|2", Owner: "@o", Expires: "2020-01-01", Source: "s\nt", Matches: 1}},
		},
	}
}

func TestSortedFindingsOrder(t *testing.T) {
	m := &model.Matches{Findings: []model.Finding{
		{ID: "CVE-3", Package: "b", Severity: model.SeverityLow},
		{ID: "CVE-2", Package: "a", Severity: model.SeverityCritical},
		{ID: "CVE-1", Package: "z", Severity: model.SeverityCritical, KEV: &model.KEV{DateAdded: "2024-01-01"}},
		{ID: "CVE-4", Package: "a", Severity: model.SeverityUnknown},
		{ID: "CVE-0", Package: "a", Severity: model.SeverityCritical},
	}}
	var got []string
	for _, f := range sortedFindings(m) {
		got = append(got, f.ID)
	}
	// Most severe first, known exploited first within a severity, then package and id.
	if want := []string{"CVE-1", "CVE-0", "CVE-2", "CVE-3", "CVE-4"}; !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	if m.Findings[0].ID != "CVE-3" {
		t.Error("sortedFindings reordered the matches")
	}
	if sortedFindings(nil) != nil {
		t.Error("nil matches gave findings")
	}
}

// githubLevel is GitHub's documented reading of security-severity: over 9.0 critical, 7.0 to 8.9 high, 4.0 to
// 6.9 medium, 0.1 to 3.9 low, anything else none.
func githubLevel(score float64) model.Severity {
	switch {
	case score > 9.0 && score <= 10:
		return model.SeverityCritical
	case score >= 7.0 && score <= 8.9:
		return model.SeverityHigh
	case score >= 4.0 && score <= 6.9:
		return model.SeverityMedium
	case score >= 0.1 && score <= 3.9:
		return model.SeverityLow
	}
	return model.SeverityUnknown
}

func TestSecuritySeverity(t *testing.T) {
	for _, tc := range []struct {
		sev  model.Severity
		cvss float64
		want string
	}{
		{model.SeverityCritical, 9.8, "9.8"},
		{model.SeverityCritical, 9.0, "9.5"}, // GitHub reads 9.0 as high: the band value stands in
		{model.SeverityCritical, 0, "9.5"},
		{model.SeverityHigh, 7.5, "7.5"},
		{model.SeverityHigh, 9.8, "8.0"}, // the severity comes from another source than the score
		{model.SeverityHigh, 0, "8.0"},
		{model.SeverityMedium, 4.0, "4.0"},
		{model.SeverityMedium, 0, "5.5"},
		{model.SeverityLow, 3.9, "3.9"},
		{model.SeverityLow, 0, "2.0"},
		{model.SeverityUnknown, 5.0, ""},
	} {
		got := securitySeverity(tc.sev, tc.cvss)
		if got != tc.want {
			t.Errorf("securitySeverity(%s, %v) = %q, want %q", tc.sev, tc.cvss, got, tc.want)
			continue
		}
		if got == "" {
			continue
		}
		var score float64
		for _, c := range got { // parse without strconv to keep the check independent of the writer
			if c != '.' {
				score = score*10 + float64(c-'0')
			}
		}
		if level := githubLevel(score / 10); level != tc.sev {
			t.Errorf("%s: security-severity %s reads as %s on GitHub", tc.sev, got, level)
		}
	}
}

func TestSuppressionText(t *testing.T) {
	for _, tc := range []struct {
		s    *model.Suppression
		want string
	}{
		{nil, ""},
		{&model.Suppression{Kind: "exception", Classification: "accepted-risk", Reason: "trusted input", Owner: "team", Expires: "2027-01-31", Source: "e.yaml:3"},
			"accepted-risk: trusted input (owner team, expires 2027-01-31, e.yaml:3)"},
		{&model.Suppression{Kind: "vex", Classification: "not_affected", Justification: "vulnerable_code_not_present", Source: "a.json"},
			"not_affected (vulnerable_code_not_present) (a.json)"},
		{&model.Suppression{Kind: "vex"}, "vex"},
	} {
		if got := suppressionText(tc.s); got != tc.want {
			t.Errorf("suppressionText(%+v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestPlain(t *testing.T) {
	for in, want := range map[string]string{
		"a\nb\r\n\tc":        "a b c",
		"\x1b[31mred\x1b[0m": "\uFFFD[31mred\uFFFD[0m",
		"bidi\u202eevil":     "bidi\uFFFDevil",
		"bad\xffutf8":        "bad\uFFFDutf8",
		"nul\x00":            "nul\uFFFD",
		"  spaced   out  ":   "spaced out",
		"x\uFFFEy":           "x\uFFFDy",
	} {
		if got := plain(in); got != want {
			t.Errorf("plain(%q) = %q, want %q", in, got, want)
		}
	}
}
