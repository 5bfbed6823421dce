package report

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hullscan/hullscan/internal/model"
)

// renderFindings writes the findings table through Write, as the CLI does.
func renderFindings(t testing.TB, inv *model.Inventory, m *model.Matches, color, showSuppressed bool) string {
	t.Helper()
	opts := testOptions()
	opts.Matches = m
	opts.Color = color
	opts.ShowSuppressed = showSuppressed
	return string(render(t, FormatTable, inv, opts))
}

func TestVulnGolden(t *testing.T) {
	inv := loadInventory(t, "rich")
	for _, tc := range []struct {
		name                  string
		color, showSuppressed bool
	}{
		{"rich-vulns", false, false},
		{"rich-vulns-suppressed", false, true},
		{"rich-vulns-color", true, false},
		{"rich-vulns-suppressed-color", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkGolden(t, tc.name+".txt", []byte(renderFindings(t, inv, readMatches(t, "rich"), tc.color, tc.showSuppressed)))
		})
	}
}

// finding builds a test finding; the layer index is -1 for none.
func finding(id, pkg string, sev model.Severity, layer int, location string) model.Finding {
	f := model.Finding{
		ID: id, Package: pkg, Installed: "1.0", Ecosystem: model.NPM, Severity: sev, Location: location,
		Status: model.StatusFixed, FixedVersion: "2.0",
	}
	if layer >= 0 {
		f.Layer = &model.LayerRef{Index: layer, DiffID: fmt.Sprintf("sha256:%064d", layer), CreatedBy: fmt.Sprintf("COPY app%d /app", layer)}
	}
	return f
}

func imageInventory() *model.Inventory {
	return &model.Inventory{Source: model.Source{Kind: "docker-archive", Name: "app.tar", Digest: "sha256:" + strings.Repeat("a", 64)}}
}

// lines returns the lines of s that start with prefix.
func linesWith(s, prefix string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// rowPackages returns the PACKAGE cell of each finding row, in order ("-" between sections).
func rowPackages(out string) []string {
	var pkgs []string
	inSection := false
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		switch {
		case strings.HasPrefix(l, "  ") && slices.Contains(f, "SEVERITY"):
			inSection = true
		case strings.HasPrefix(l, "  ") && inSection && len(f) >= 3:
			if f[0] == failMark {
				f = f[1:]
			}
			pkgs = append(pkgs, f[2])
		case l == "" && inSection:
			pkgs = append(pkgs, "-")
			inSection = false
		}
	}
	return pkgs
}

func TestFindingSectionOrder(t *testing.T) {
	kev := func(f model.Finding) model.Finding { f.KEV = &model.KEV{DateAdded: "2024-01-01"}; return f }
	fail := func(f model.Finding) model.Finding { f.FailedRule = "severity MEDIUM"; return f }
	for _, tc := range []struct {
		name     string
		inv      *model.Inventory
		findings []model.Finding
		headings []string // section headings, in order
		rows     []string // packages in row order, "-" ending each section
	}{{
		name: "worst severity first, rows most severe first",
		inv:  imageInventory(),
		findings: []model.Finding{
			finding("CVE-1", "low1", model.SeverityLow, 1, "/a/package-lock.json"),
			finding("CVE-2", "crit2", model.SeverityCritical, 2, "/b/package-lock.json"),
			finding("CVE-3", "med1", model.SeverityMedium, 1, "/a/package-lock.json"),
			finding("CVE-4", "unk2", model.SeverityUnknown, 2, "/b/package-lock.json"),
		},
		headings: []string{
			"layer 2 sha256:000000000000 COPY app2 /app — /b/package-lock.json (npm)",
			"layer 1 sha256:000000000000 COPY app1 /app — /a/package-lock.json (npm)",
		},
		rows: []string{"crit2", "unk2", "-", "med1", "low1", "-"},
	}, {
		name: "a failing finding beats a more severe one",
		inv:  imageInventory(),
		findings: []model.Finding{
			finding("CVE-1", "crit", model.SeverityCritical, 1, "/a"),
			fail(finding("CVE-2", "med", model.SeverityMedium, 2, "/b")),
		},
		headings: []string{"layer 2 sha256:000000000000 COPY app2 /app — /b (npm)", "layer 1 sha256:000000000000 COPY app1 /app — /a (npm)"},
		rows:     []string{"med", "-", "crit", "-"},
	}, {
		name: "same severity: KEV first",
		inv:  imageInventory(),
		findings: []model.Finding{
			finding("CVE-1", "plain", model.SeverityHigh, 1, "/a"),
			kev(finding("CVE-2", "exploited", model.SeverityHigh, 2, "/a")),
		},
		headings: []string{"layer 2 sha256:000000000000 COPY app2 /app — /a (npm)", "layer 1 sha256:000000000000 COPY app1 /app — /a (npm)"},
		rows:     []string{"exploited", "-", "plain", "-"},
	}, {
		name: "one location in two layers is two sections; equal risk goes by layer",
		inv:  imageInventory(),
		findings: []model.Finding{
			finding("CVE-1", "b", model.SeverityHigh, 3, "/var/lib/dpkg/status"),
			finding("CVE-2", "a", model.SeverityHigh, 0, "/var/lib/dpkg/status"),
		},
		headings: []string{
			"layer 0 sha256:000000000000 COPY app0 /app — /var/lib/dpkg/status (npm)",
			"layer 3 sha256:000000000000 COPY app3 /app — /var/lib/dpkg/status (npm)",
		},
		rows: []string{"a", "-", "b", "-"},
	}, {
		name: "directory scan: by location only",
		inv:  &model.Inventory{Source: model.Source{Kind: "directory", Name: "./project"}},
		findings: []model.Finding{
			finding("CVE-1", "x", model.SeverityLow, -1, "web/package-lock.json"),
			finding("CVE-2", "y", model.SeverityHigh, -1, "api/package-lock.json"),
			finding("CVE-3", "z", model.SeverityLow, -1, "api/package-lock.json"),
		},
		headings: []string{"api/package-lock.json (npm)", "web/package-lock.json (npm)"},
		rows:     []string{"y", "z", "-", "x", "-"},
	}, {
		name: "image finding without a layer",
		inv:  imageInventory(),
		findings: []model.Finding{
			finding("CVE-1", "x", model.SeverityLow, 1, "/a"),
			finding("CVE-2", "y", model.SeverityHigh, -1, ""),
		},
		headings: []string{"layer unknown — unknown location (npm)", "layer 1 sha256:000000000000 COPY app1 /app — /a (npm)"},
		rows:     []string{"y", "-", "x", "-"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			out := renderFindings(t, tc.inv, &model.Matches{Findings: tc.findings, Checked: 10}, false, false)
			var headings []string
			for _, prefix := range []string{"layer ", "api/", "web/"} {
				headings = append(headings, linesWith(out, prefix)...)
			}
			if !slices.Equal(headings, tc.headings) {
				t.Errorf("headings:\n%s\nwant:\n%s\n\n%s", strings.Join(headings, "\n"), strings.Join(tc.headings, "\n"), out)
			}
			if got := rowPackages(out); !slices.Equal(got, tc.rows) {
				t.Errorf("rows %v, want %v\n%s", got, tc.rows, out)
			}
		})
	}
}

func TestFixFirst(t *testing.T) {
	fail := func(f model.Finding, fixed string) model.Finding {
		f.FailedRule = "severity HIGH"
		f.FixedVersion = fixed
		return f
	}
	many := make([]model.Finding, 12)
	for i := range many {
		many[i] = fail(finding(fmt.Sprintf("CVE-%d", i), fmt.Sprintf("p%02d", i), model.SeverityHigh, 1, "/a"), "2.0")
	}
	for _, tc := range []struct {
		name     string
		findings []model.Finding
		heading  string
		want     []string
		then     []string // the "Then" block after a failing one
	}{{
		name: "CVEs fixed by one upgrade make one line",
		findings: []model.Finding{
			fail(finding("CVE-2021-44906", "minimist", model.SeverityCritical, 3, "/app/package-lock.json"), "1.2.6"),
			fail(finding("CVE-2020-7598", "minimist", model.SeverityHigh, 3, "/app/package-lock.json"), "1.2.6"),
			finding("CVE-9", "other", model.SeverityCritical, 3, "/app/package-lock.json"), // does not fail
		},
		heading: "Fix first: these fail the gate",
		want:    []string{"minimist 1.0 → 1.2.6 fixes CVE-2021-44906, CVE-2020-7598 (layer 3 COPY app3 /app, /app/package-lock.json)"},
	}, {
		name: "distinct fixed versions are each named, the most urgent first",
		findings: []model.Finding{
			fail(finding("CVE-A", "lodash", model.SeverityHigh, 3, "/l"), "4.17.20"),
			fail(finding("CVE-B", "lodash", model.SeverityCritical, 3, "/l"), "4.17.21"),
			fail(finding("CVE-C", "lodash", model.SeverityHigh, 3, "/l"), "4.17.21"),
		},
		heading: "Fix first: these fail the gate",
		want:    []string{"lodash 1.0 → 4.17.21 fixes CVE-B, CVE-C; → 4.17.20 fixes CVE-A (layer 3 COPY app3 /app, /l)"},
	}, {
		name: "the matcher's upgrade that fixes them all makes one target",
		findings: []model.Finding{
			func() model.Finding {
				f := fail(finding("CVE-A", "lodash", model.SeverityHigh, 3, "/l"), "4.17.20")
				f.UpgradeTo = "4.17.21"
				return f
			}(),
			func() model.Finding {
				f := fail(finding("CVE-B", "lodash", model.SeverityCritical, 3, "/l"), "4.17.21")
				f.UpgradeTo = "4.17.21"
				return f
			}(),
		},
		heading: "Fix first: these fail the gate",
		want:    []string{"lodash 1.0 → 4.17.21 fixes CVE-B, CVE-A (layer 3 COPY app3 /app, /l)"},
	}, {
		name: "lower findings the same upgrade fixes are counted",
		findings: []model.Finding{
			func() model.Finding {
				f := finding("CVE-H", "axios", model.SeverityHigh, 3, "/l")
				f.FixedVersion, f.UpgradeTo = "0.21.2", "1.6.0"
				return f
			}(),
			func() model.Finding {
				f := finding("CVE-M", "axios", model.SeverityMedium, 3, "/l")
				f.FixedVersion, f.UpgradeTo = "1.6.0", "1.6.0"
				return f
			}(),
		},
		heading: "Fix first: fixable CRITICAL and HIGH findings",
		want:    []string{"axios 1.0 → 1.6.0 fixes CVE-H and 1 more finding (layer 3 COPY app3 /app, /l)"},
	}, {
		name: "the same package at two locations is two upgrades; no fix is said",
		findings: []model.Finding{
			fail(finding("CVE-A", "qs", model.SeverityHigh, 1, "/x"), "2.0"),
			fail(finding("CVE-A", "qs", model.SeverityHigh, 1, "/y"), "2.0"),
			func() model.Finding {
				f := fail(finding("CVE-B", "openssl", model.SeverityCritical, 0, "/var/lib/dpkg/status"), "")
				f.Status = model.StatusNotFixed
				return f
			}(),
		},
		heading: "Fix first: these fail the gate",
		want: []string{
			"openssl 1.0: no fix yet for CVE-B (layer 0 COPY app0 /app, /var/lib/dpkg/status)",
			"qs 1.0 → 2.0 fixes CVE-A (layer 1 COPY app1 /app, /x)",
			"qs 1.0 → 2.0 fixes CVE-A (layer 1 COPY app1 /app, /y)",
		},
	}, {
		name: "nothing fails: fixable CRITICAL and HIGH only",
		findings: []model.Finding{
			finding("CVE-1", "med", model.SeverityMedium, 1, "/a"),
			finding("CVE-2", "high", model.SeverityHigh, 1, "/a"),
			func() model.Finding {
				f := finding("CVE-3", "nofix", model.SeverityCritical, 1, "/a")
				f.Status, f.FixedVersion = model.StatusNotFixed, ""
				return f
			}(),
			func() model.Finding {
				f := finding("CVE-4", "hidden", model.SeverityCritical, 1, "/a")
				f.Suppressed = &model.Suppression{Kind: model.SuppressedByVEX, Classification: "not_affected"}
				return f
			}(),
		},
		heading: "Fix first: fixable CRITICAL and HIGH findings",
		want:    []string{"high 1.0 → 2.0 fixes CVE-2 (layer 1 COPY app1 /app, /a)"},
	}, {
		name:     "at most ten lines, and how many more",
		findings: many,
		heading:  "Fix first: these fail the gate",
		want: []string{
			"p00 1.0 → 2.0 fixes CVE-0 (layer 1 COPY app1 /app, /a)", "p01 1.0 → 2.0 fixes CVE-1 (layer 1 COPY app1 /app, /a)",
			"p02 1.0 → 2.0 fixes CVE-2 (layer 1 COPY app1 /app, /a)", "p03 1.0 → 2.0 fixes CVE-3 (layer 1 COPY app1 /app, /a)",
			"p04 1.0 → 2.0 fixes CVE-4 (layer 1 COPY app1 /app, /a)", "p05 1.0 → 2.0 fixes CVE-5 (layer 1 COPY app1 /app, /a)",
			"p06 1.0 → 2.0 fixes CVE-6 (layer 1 COPY app1 /app, /a)", "p07 1.0 → 2.0 fixes CVE-7 (layer 1 COPY app1 /app, /a)",
			"p08 1.0 → 2.0 fixes CVE-8 (layer 1 COPY app1 /app, /a)", "p09 1.0 → 2.0 fixes CVE-9 (layer 1 COPY app1 /app, /a)",
			"and 2 more packages below",
		},
	}, {
		name: "after what fails, the fixable CRITICAL and HIGH findings that do not",
		findings: []model.Finding{
			fail(finding("CVE-1", "minimist", model.SeverityCritical, 3, "/l"), "1.2.6"),
			finding("CVE-2", "lodash", model.SeverityHigh, 3, "/l"),
			finding("CVE-3", "semver", model.SeverityMedium, 3, "/l"),
		},
		heading: "Fix first: these fail the gate",
		want:    []string{"minimist 1.0 → 1.2.6 fixes CVE-1 (layer 3 COPY app3 /app, /l)"},
		then:    []string{"lodash 1.0 → 2.0 fixes CVE-2 (layer 3 COPY app3 /app, /l)"},
	}, {
		name:     "nothing to fix first: no block",
		findings: []model.Finding{finding("CVE-1", "med", model.SeverityMedium, 1, "/a")},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			out := renderFindings(t, imageInventory(), &model.Matches{Findings: tc.findings, Checked: 10}, false, false)
			heads := linesWith(out, "Fix first")
			var got []string
			if len(heads) > 0 {
				block := strings.SplitN(out[strings.Index(out, heads[0]):], "\n\n", 2)[0]
				for _, l := range strings.Split(block, "\n")[1:] {
					got = append(got, strings.TrimPrefix(l, rowIndent))
				}
			}
			if tc.heading == "" {
				if len(heads) > 0 {
					t.Errorf("unexpected Fix first block:\n%s", out)
				}
				return
			}
			if !slices.Equal(heads, []string{tc.heading}) {
				t.Errorf("heading %q, want %q", heads, tc.heading)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if tc.then != nil {
				i := strings.Index(out, "\nThen: fixable CRITICAL and HIGH findings\n")
				if i < 0 {
					t.Fatalf("no Then block:\n%s", out)
				}
				block := strings.SplitN(out[i+1:], "\n\n", 2)[0]
				var then []string
				for _, l := range strings.Split(block, "\n")[1:] {
					then = append(then, strings.TrimPrefix(l, rowIndent))
				}
				if !slices.Equal(then, tc.then) {
					t.Errorf("Then lines:\n%s\nwant:\n%s", strings.Join(then, "\n"), strings.Join(tc.then, "\n"))
				}
			}
		})
	}
}

// hostileMatches carries escape sequences and line breaks in every text a finding, a suppression and the verdict
// can bring.
func hostileMatches() *model.Matches {
	f := finding("CVE-1\n\x1b[2Jfake", "evil\x1b[31mred", model.SeverityCritical, 1, "/a\r\nb")
	f.Layer.CreatedBy = "RUN echo \x1b]0;title\x07 \x9b31m"
	f.FailedRule = "severity \x1b[0mCRITICAL"
	f.FixedVersion = "2.0\u202e"
	f.KEV = &model.KEV{DateAdded: "2024-01-01"}
	s := finding("CVE-2", "hidden", model.SeverityHigh, 1, "/a")
	s.Suppressed = &model.Suppression{Kind: model.SuppressedByException, Classification: "accepted-risk\x1b[1m",
		Owner: "x\ny", Reason: "why\x1b[8m", Source: "e.yaml:1"}
	return &model.Matches{
		Findings:  []model.Finding{f, s, finding("CVE-3", "med", model.SeverityMedium, 2, "/b")},
		Database:  model.DatabaseInfo{Path: "db\x1b[5m"},
		Checked:   3,
		Unchecked: []model.Unchecked{{Ecosystem: "Maven\x1b[1m", Reason: "none\n", Packages: 1}},
		Warnings:  []string{"w\x1b[2J"},
		Verdict: &model.Verdict{Rules: []string{"severity \x1b[0mCRITICAL"}, Failing: 1, Suppressed: 1,
			Expired: []model.ExpiredException{{ID: "CVE-9\x1b[1m", Owner: "o\n", Expires: "2020-01-01", Source: "e.yaml:2"}}},
	}
}

func TestFindingsColorRule(t *testing.T) {
	inv := imageInventory()
	for _, show := range []bool{false, true} {
		plain := renderFindings(t, inv, hostileMatches(), false, show)
		if strings.ContainsAny(plain, "\x1b\x07\u009b\u202e\r") {
			t.Fatalf("table without colour carries control characters:\n%q", plain)
		}
		if strings.Contains(plain, "\nfake") || strings.Contains(plain, "\nb") || strings.Contains(plain, "\ny") {
			t.Errorf("a line break in the data starts a line of its own:\n%s", plain)
		}
		if !strings.Contains(plain, "evil\uFFFD[31mred") {
			t.Errorf("control character not replaced visibly:\n%s", plain)
		}

		colored := renderFindings(t, inv, hostileMatches(), true, show)
		for _, want := range []string{ansiRed + "CRITICAL" + ansiReset, ansiBold + ansiRed + failMark + ansiReset, ansiBold + ansiRed + "gate: FAILED"} {
			if !strings.Contains(colored, want) {
				t.Errorf("coloured table lacks %q:\n%q", want, colored)
			}
		}
		// Colour changes nothing but the escape codes.
		stripped := colored
		for _, code := range []string{ansiBold, ansiDim, ansiYellow, ansiRed, ansiGreen, ansiReset} {
			stripped = strings.ReplaceAll(stripped, code, "")
		}
		if stripped != plain {
			t.Errorf("coloured table differs from the plain one beyond escape codes:\n%s", firstDiff([]byte(stripped), []byte(plain)))
		}
	}
}

func TestFindingsSuppressed(t *testing.T) {
	inv := loadInventory(t, "rich")
	hidden := renderFindings(t, inv, readMatches(t, "rich"), false, false)
	for _, id := range []string{"CVE-2021-3749", "CVE-2020-8203"} {
		if strings.Contains(hidden, id) {
			t.Errorf("suppressed %s listed without showSuppressed:\n%s", id, hidden)
		}
	}
	for _, want := range []string{
		"\n10 vulnerabilities in 200 packages checked: 1 CRITICAL (1 fixable, 1 KEV), 2 HIGH (2 fixable),",
		"\n2 suppressed, not counted above: 1 by exception, 1 by VEX — --show-suppressed lists them\n",
		"\ngate: FAILED — 1 finding (marked FAIL) matches \"severity CRITICAL, fixable\"\n",
		"\nwarning: exception CVE-2022-24999 for qs (owner team-web, .hullscan/exceptions.yaml:10) expired 2026-10-31: 1 finding counts again",
	} {
		if !strings.Contains(hidden, want) {
			t.Errorf("output lacks %q:\n%s", want, hidden)
		}
	}

	shown := renderFindings(t, inv, readMatches(t, "rich"), false, true)
	section := shown[strings.Index(shown, "\nSuppressed: "):]
	for _, want := range []string{
		"\n        HIGH      CVE-2021-3749    axios",
		"\n    exception accepted-risk: prototype pollution not reachable: input is trusted (owner team-payments, expires 2027-01-31, .hullscan/exceptions.yaml:3)\n",
		"\n    VEX not_affected (vulnerable_code_not_in_execute_path): axios is only used with fixed URLs (app.openvex.json#statement 1)\n",
		"— listed under Suppressed\n",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("suppressed section lacks %q:\n%s", want, section)
		}
	}
	// Shown or not, suppressed findings never count in the summary.
	if s := linesWith(shown, "10 vulnerabilities"); len(s) != 1 {
		t.Errorf("summary with suppressed findings shown: %q", s)
	}
}

func TestNoFindings(t *testing.T) {
	inv := &model.Inventory{Source: model.Source{Kind: "directory", Name: "."}}
	suppressed := finding("CVE-1", "x", model.SeverityHigh, -1, "/a")
	suppressed.Suppressed = &model.Suppression{Kind: model.SuppressedByVEX, Classification: "not_affected", Source: "v.json"}
	for _, tc := range []struct {
		name    string
		m       model.Matches
		want    []string
		notWant []string
	}{{
		name:    "all checked",
		m:       model.Matches{Checked: 42},
		want:    []string{"\nno vulnerabilities found in 42 packages checked\n"},
		notWant: []string{"GATE", "SEVERITY", "Fix first", "could not be checked"},
	}, {
		name: "some packages unchecked",
		m:    model.Matches{Checked: 1, Unchecked: []model.Unchecked{{Ecosystem: "Maven", Reason: "no Maven advisories in the database", Packages: 3}}},
		want: []string{
			"\nno vulnerabilities found in 1 package checked, but 3 packages could not be checked:\n" +
				"not checked: 3 Maven package(s): no Maven advisories in the database\n",
		},
	}, {
		name:    "nothing checked",
		m:       model.Matches{Unchecked: []model.Unchecked{{Ecosystem: "Maven", Reason: "none", Packages: 2}}},
		want:    []string{"\nno packages were checked for vulnerabilities, but 2 packages could not be checked:\n"},
		notWant: []string{"no vulnerabilities found"},
	}, {
		name:    "everything suppressed",
		m:       model.Matches{Checked: 5, Findings: []model.Finding{suppressed}, Verdict: &model.Verdict{Passed: true, Rules: []string{"severity CRITICAL, fixable"}, Suppressed: 1}},
		want:    []string{"\n0 vulnerabilities in 5 packages checked\n1 suppressed, not counted above: 1 by VEX", "\ngate: passed — no finding matches \"severity CRITICAL, fixable\"\n"},
		notWant: []string{"no vulnerabilities found", "GATE"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			out := renderFindings(t, inv, &tc.m, false, false)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestGateText(t *testing.T) {
	marked := func(rule string) *model.Finding { return &model.Finding{FailedRule: rule} }
	for _, tc := range []struct {
		v      model.Verdict
		active []*model.Finding
		want   string
	}{
		{model.Verdict{Passed: true, Rules: []string{"a", "b"}}, nil, `gate: passed — no finding matches "a" or "b"`},
		{model.Verdict{Passed: true}, nil, "gate: passed (no fail rules)"},
		{model.Verdict{Rules: []string{"a"}, Failing: 1}, []*model.Finding{marked("a"), {}}, `gate: FAILED — 1 finding (marked FAIL) matches "a"`},
		{model.Verdict{Rules: []string{"a", "b"}, Failing: 3}, []*model.Finding{marked("b"), marked("a"), marked("b")},
			`gate: FAILED — 3 findings (marked FAIL) match 1 "a", 2 "b"`},
		{model.Verdict{Rules: []string{"a"}, Failing: 2}, nil, `gate: FAILED — 2 findings match "a"`},
	} {
		if got := gateText(&tc.v, tc.active); got != tc.want {
			t.Errorf("gateText(%+v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// TestFindingsDeterministic writes the findings shuffled: the output must not change, nor the input.
func TestFindingsDeterministic(t *testing.T) {
	inv := loadInventory(t, "rich")
	want := renderFindings(t, inv, readMatches(t, "rich"), false, true)
	for seed := range uint64(5) {
		m := readMatches(t, "rich")
		r := rand.New(rand.NewPCG(seed, 1))
		r.Shuffle(len(m.Findings), func(i, j int) { m.Findings[i], m.Findings[j] = m.Findings[j], m.Findings[i] })
		before := slices.Clone(m.Findings)
		if got := renderFindings(t, inv, m, false, true); got != want {
			t.Errorf("seed %d: output depends on the findings' order:\n%s", seed, firstDiff([]byte(got), []byte(want)))
		}
		if !slices.EqualFunc(before, m.Findings, func(a, b model.Finding) bool { return a.ID == b.ID && a.PackageID == b.PackageID }) {
			t.Errorf("seed %d: the findings were reordered in place", seed)
		}
	}
}

// TestFindingsLineLength: rows and headings stay under 150 characters, cut cells end in "…" and are announced.
func TestFindingsLineLength(t *testing.T) {
	m := readMatches(t, "rich")
	m.Findings[0].Package = strings.Repeat("long-package-name-", 5)
	m.Findings[0].Layer.CreatedBy = "RUN " + strings.Repeat("apt-get install -y something ", 10)
	out := renderFindings(t, loadInventory(t, "rich"), m, false, false)
	for i, l := range strings.Split(out, "\n") {
		if i == 0 || strings.HasPrefix(l, "warning: ") || strings.HasPrefix(l, "10 vulnerabilities") {
			continue // the header, warnings and the summary are not table rows
		}
		if n := utf8.RuneCountInString(l); n >= 150 {
			t.Errorf("line %d has %d characters: %s", i+1, n, l)
		}
	}
	if !strings.Contains(out, "long-package-name-long-package-name-lon"+ellipsis+" ") {
		t.Errorf("long package not cut to 40 characters:\n%s", out)
	}
	if !strings.Contains(out, ellipsis+" — /var/lib/dpkg/status (deb)") {
		t.Errorf("long layer instruction not cut before the location:\n%s", out)
	}
	if !strings.Contains(out, "note: cells ending in "+ellipsis+" are cut") {
		t.Errorf("truncation is not announced:\n%s", out)
	}
}

func TestFitColumns(t *testing.T) {
	spec := []column{
		{header: "A"},
		{header: "OPT", optional: true},
		{header: "CAP", max: 5},
		{header: "FILL", fill: true},
	}
	rows := [][]string{{"a", "", "1234567", strings.Repeat("x", 200)}, {"aa", "", "12", "y"}}
	l := fitColumns(spec, rows, 2)
	if !slices.Equal(l.cols, []int{0, 2, 3}) {
		t.Errorf("cols %v: the empty optional column must be left out", l.cols)
	}
	// 2 indent + A 2 + gap 2 + CAP 5 + gap 2 = 13: FILL gets 149-13.
	if want := []int{2, 0, 5, tableMaxLine - 13}; !slices.Equal(l.widths, want) {
		t.Errorf("widths %v, want %v", l.widths, want)
	}
	if !l.cut || rows[0][2] != "1234"+ellipsis || utf8.RuneCountInString(rows[0][3]) != tableMaxLine-13 {
		t.Errorf("cells not cut: %q (cut %v)", rows[0], l.cut)
	}
	// The fill column never gets narrower than tableMinLayer.
	wide := [][]string{{strings.Repeat("a", 140), "", "", strings.Repeat("x", 50)}}
	if l := fitColumns(spec, wide, 0); l.widths[3] != tableMinLayer {
		t.Errorf("fill width %d, want the minimum %d", l.widths[3], tableMinLayer)
	}
}
