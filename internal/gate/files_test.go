package gate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExceptionsErrors: every malformed entry is an error naming its file and line, and all of a file's problems
// are reported at once.
func TestExceptionsErrors(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{"not YAML", "exceptions: [", []string{"x.yaml: yaml: line 1"}},
		{"top level is a list", "- id: CVE-1", []string{"x.yaml:1: want a mapping"}},
		{"unknown top key", "exception:\n  - id: CVE-1\n", []string{`x.yaml:1: exceptions file: unknown key "exception"`}},
		{"entries not a list", "exceptions: CVE-1\n", []string{"x.yaml:1: exceptions: want a list"}},
		{"owner missing", "exceptions:\n  - id: CVE-1\n    classification: accepted-risk\n    reason: r\n    expires: 2027-01-01\n",
			[]string{"x.yaml:2: entry 1 (CVE-1): owner is required"}},
		{"reason blank", "exceptions:\n  - id: CVE-1\n    classification: accepted-risk\n    owner: o\n    reason: \"  \"\n    expires: 2027-01-01\n",
			[]string{"x.yaml:2: entry 1 (CVE-1): reason is required"}},
		{"expires missing", "exceptions:\n  - id: CVE-1\n    classification: accepted-risk\n    owner: o\n    reason: r\n",
			[]string{"x.yaml:2: entry 1 (CVE-1): expires is required"}},
		{"expires not a date", "exceptions:\n  - id: CVE-1\n    classification: accepted-risk\n    owner: o\n    reason: r\n    expires: next month\n",
			[]string{`x.yaml:6: entry 1: expires: "next month" is not a date`}},
		{"expires impossible date", "exceptions:\n  - id: CVE-1\n    classification: accepted-risk\n    owner: o\n    reason: r\n    expires: 2027-02-30\n",
			[]string{`x.yaml:6: entry 1: expires: "2027-02-30" is not a date`}},
		{"typo in a key", "exceptions:\n  - id: CVE-1\n    classification: accepted-risk\n    owner: o\n    reason: r\n    expiry: 2027-01-01\n",
			[]string{`x.yaml:6: entry 1: unknown key "expiry"`, "x.yaml:2: entry 1 (CVE-1): expires is required"}},
		{"bad classification", "exceptions:\n  - id: CVE-1\n    classification: wontfix\n    owner: o\n    reason: r\n    expires: 2027-01-01\n",
			[]string{`x.yaml:2: entry 1 (CVE-1): classification "wontfix": want accepted-risk, false-positive, fix-scheduled`}},
		{"id with wildcard", "exceptions:\n  - id: CVE-2021-*\n    classification: accepted-risk\n    owner: o\n    reason: r\n    expires: 2027-01-01\n",
			[]string{"x.yaml:2: entry 1: id \"CVE-2021-*\""}},
		{"bad purl", "exceptions:\n  - id: CVE-1\n    purl: npm/minimist\n    classification: accepted-risk\n    owner: o\n    reason: r\n    expires: 2027-01-01\n",
			[]string{`x.yaml:2: entry 1: purl "npm/minimist"`}},
		{"accepted risk beyond 90 days", "exceptions:\n  - id: CVE-1\n    classification: accepted-risk\n    owner: o\n    reason: r\n    expires: 2027-06-01\n",
			[]string{"x.yaml:6: entry 1 (CVE-1): expires 2027-06-01 is 186 days after today; a accepted-risk exception may last at most 90 days"}},
		{"lifetime from created", "exceptions:\n  - id: CVE-1\n    classification: fix-scheduled\n    owner: o\n    reason: r\n    created: 2026-10-01\n    expires: 2026-12-01\n",
			[]string{"is 61 days after its created date 2026-10-01; a fix-scheduled exception may last at most 30 days"}},
		{"expires before created", "exceptions:\n  - id: CVE-1\n    classification: false-positive\n    owner: o\n    reason: r\n    created: 2026-10-01\n    expires: 2026-09-01\n",
			[]string{"expires 2026-09-01 is before created 2026-10-01"}},
		{"second entry bad, first fine", exc("CVE-1") + "  - id: CVE-2\n    owner: o\n", []string{
			"x.yaml:7: entry 2 (CVE-2): reason is required", "x.yaml:7: entry 2 (CVE-2): classification is required", "x.yaml:7: entry 2 (CVE-2): expires is required"}},
		{"repeated key", "exceptions:\n  - id: CVE-1\n    id: CVE-2\n", []string{`x.yaml:3: entry 1: "id" given twice`}},
		{"version 2", "version: 2\nexceptions: []\n", []string{`x.yaml:1: version "2"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseExceptions([]byte(tt.file), "x.yaml", nil, date("2026-11-27"))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestExceptionsValid(t *testing.T) {
	for _, file := range []string{"", "exceptions:\n", "exceptions: []\n", "version: 1\n" + exc("CVE-1", "created: 2026-11-20", "scope: registry.example.com/app/*")} {
		x, err := ParseExceptions([]byte(file), "x.yaml", nil, date("2026-11-27"))
		if err != nil {
			t.Errorf("%q: %v", file, err)
			continue
		}
		if strings.Contains(file, "CVE-1") && (len(x.Entries) != 1 || x.Entries[0].Line != 3 || len(x.Entries[0].Scope) != 1 ||
			!x.Entries[0].Created.Equal(date("2026-11-20"))) {
			t.Errorf("%+v", x.Entries)
		}
	}
	// Lifetimes come from the policy.
	if _, err := ParseExceptions([]byte(exc("CVE-1")), "x.yaml", Lifetimes{AcceptedRisk: 30}, date("2026-11-27")); err == nil ||
		!strings.Contains(err.Error(), "at most 30 days") {
		t.Errorf("lifetime 30: %v", err)
	}
}

func TestPolicyErrors(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{"unknown key", "rules: []\n", `hullscan.yaml:1: policy: unknown key "rules" (want one of exceptions, fail, version, vex)`},
		{"empty fail", "fail: []\n", "hullscan.yaml:1: fail: want a list of at least one rule"},
		{"empty rule", "fail:\n  - {}\n", "hullscan.yaml:2: rule 1 is empty"},
		{"bad severity", "fail:\n  - severity: [SEVERE]\n", `hullscan.yaml:2: rule 1: severity: severity "SEVERE"`},
		{"fixable not bool", "fail:\n  - fixable: yes please\n", `hullscan.yaml:2: rule 1: fixable: want true or false`},
		{"fixable quoted", "fail:\n  - fixable: \"true\"\n", `rule 1: fixable: want true or false`},
		{"epss out of range", "fail:\n  - epss: 1.5\n", `rule 1: epss: "1.5": want a score above 0`},
		{"min_age", "fail:\n  - min_age: a month\n", `rule 1: min_age: "a month" is not a number of days`},
		{"unknown ecosystem", "fail:\n  - ecosystem: [debian]\n", `rule 1: ecosystem: "debian" is not an ecosystem`},
		{"bad package purl", "fail:\n  - package: [\"pkg:\"]\n", `hullscan.yaml:2: rule 1: package "pkg:"`},
		{"typo in rule", "fail:\n  - severity: [HIGH]\n    fixed: true\n", `hullscan.yaml:3: rule 1: unknown key "fixed"`},
		{"bad lifetime", "exceptions:\n  max_lifetime:\n    accepted-risk: forever\n", `hullscan.yaml:3: max_lifetime.accepted-risk: "forever"`},
		{"unknown classification lifetime", "exceptions:\n  max_lifetime:\n    wont-fix: 10d\n", `hullscan.yaml:3: exceptions.max_lifetime: unknown key "wont-fix"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(tt.file), "hullscan.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v\nwant %q", err, tt.want)
			}
		})
	}
}

func TestPolicyValid(t *testing.T) {
	p, err := ParsePolicy([]byte(`version: 1
fail:
  - severity: [CRITICAL]
    fixable: true
  - name: stale highs
    severity: HIGH
    min_age: 4w
    ecosystem: [NPM]
exceptions:
  file: ../exceptions.yaml
  max_lifetime: {accepted-risk: 30d}
vex: [a.vex.json]
`), "hullscan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rules) != 2 || p.Rules[1].String() != "stale highs" || p.Rules[1].MinAgeDays != 28 || p.Rules[1].Ecosystems[0] != "npm" ||
		p.Rules[0].String() != "severity CRITICAL, fixable" || p.ExceptionsFile != "../exceptions.yaml" ||
		p.Lifetimes[AcceptedRisk] != 30 || p.Lifetimes[FixScheduled] != DefaultLifetimes[FixScheduled] || len(p.VEX) != 1 {
		t.Errorf("%+v", p)
	}
	// No fail key: the default rule.
	p, err = ParsePolicy([]byte("exceptions: {file: x.yaml}\n"), "hullscan.yaml")
	if err != nil || len(p.Rules) != 1 || p.Rules[0].String() != DefaultRule.String() {
		t.Errorf("%+v %v", p, err)
	}
}

// TestExampleFiles keeps the documented examples valid: docs/ci.md and the schema's examples point at them.
func TestExampleFiles(t *testing.T) {
	root := filepath.Join("..", "..", "docs", "examples")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("no examples: %v", err)
	}
	if _, err := LoadPolicy(filepath.Join(root, "hullscan.yaml")); err != nil {
		t.Error(err)
	}
	// Example exceptions are written to stay valid: their lifetimes are checked from their created dates.
	if _, err := LoadExceptions(filepath.Join(root, "exceptions.yaml"), nil, time.Now()); err != nil {
		t.Error(err)
	}
}
