// Package gate decides whether a scan fails: a list of rules, each a conjunction of conditions on a finding; the
// gate fails when any rule matches any finding. It only decides the exit code — reports always show every finding.
package gate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
)

// Rule is a conjunction: a finding matches when every condition that is set holds.
type Rule struct {
	// Severities the finding's severity must be one of (empty: any).
	Severities []model.Severity
	// Fixable requires a fixed version to upgrade to.
	Fixable bool
	// KEV requires the vulnerability to be in CISA's Known Exploited Vulnerabilities catalogue.
	KEV bool
	// EPSS, when above 0, requires an EPSS score at least this high.
	EPSS float64
}

// DefaultRule is the rule a scan gates on when none is given: CRITICAL with a fix available, the findings a team
// can and must act on now.
var DefaultRule = Rule{Severities: []model.Severity{model.SeverityCritical}, Fixable: true}

// Matches reports whether the finding meets every condition of the rule.
func (r Rule) Matches(f *model.Finding) bool {
	if len(r.Severities) > 0 {
		ok := false
		for _, s := range r.Severities {
			ok = ok || s == f.Severity
		}
		if !ok {
			return false
		}
	}
	if r.Fixable && f.Status != model.StatusFixed {
		return false
	}
	if r.KEV && f.KEV == nil {
		return false
	}
	if r.EPSS > 0 && (f.EPSS == nil || f.EPSS.Score < r.EPSS) {
		return false
	}
	return true
}

// String describes the rule for messages: "severity CRITICAL, fixable".
func (r Rule) String() string {
	var parts []string
	if len(r.Severities) > 0 {
		ss := make([]string, len(r.Severities))
		for i, s := range r.Severities {
			ss[i] = string(s)
		}
		parts = append(parts, "severity "+strings.Join(ss, "|"))
	}
	if r.Fixable {
		parts = append(parts, "fixable")
	}
	if r.KEV {
		parts = append(parts, "in KEV")
	}
	if r.EPSS > 0 {
		parts = append(parts, "EPSS >= "+strconv.FormatFloat(r.EPSS, 'g', -1, 64))
	}
	if len(parts) == 0 {
		return "any finding"
	}
	return strings.Join(parts, ", ")
}

// Result is the gate's decision.
type Result struct {
	Failed bool
	// Failing are the findings that matched a rule, by index into the findings given, with the rule's description.
	Failing []Failure
}

// Failure is one finding that made the gate fail.
type Failure struct {
	Finding int
	Rule    string
}

// Evaluate applies the rules to the findings.
func Evaluate(rules []Rule, findings []model.Finding) Result {
	var res Result
	for i := range findings {
		for _, r := range rules {
			if r.Matches(&findings[i]) {
				res.Failing = append(res.Failing, Failure{Finding: i, Rule: r.String()})
				break
			}
		}
	}
	res.Failed = len(res.Failing) > 0
	return res
}

// ParseSeverities reads a comma-separated list, as Trivy's --severity takes it: "HIGH,CRITICAL" (case-insensitive).
func ParseSeverities(list string) ([]model.Severity, error) {
	var out []model.Severity
	seen := map[model.Severity]bool{}
	for _, s := range strings.Split(list, ",") {
		s = strings.ToUpper(strings.TrimSpace(s))
		if s == "" {
			continue
		}
		sev := model.Severity(s)
		switch sev {
		case model.SeverityUnknown, model.SeverityLow, model.SeverityMedium, model.SeverityHigh, model.SeverityCritical:
		default:
			return nil, fmt.Errorf("severity %q: want UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL", s)
		}
		if !seen[sev] {
			seen[sev] = true
			out = append(out, sev)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("severity list %q names no severity", list)
	}
	sort.Slice(out, func(i, j int) bool { return model.SeverityRank(out[i]) < model.SeverityRank(out[j]) })
	return out, nil
}
