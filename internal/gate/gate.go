// Package gate decides whether a scan fails: a list of rules, each a conjunction of conditions on a finding; the
// gate fails when any rule matches a finding that no exception or VEX statement covers. It only decides the exit
// code and marks the findings — reports always show every finding.
package gate

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/vex"
)

// Rule is a conjunction: a finding matches when every condition that is set holds.
type Rule struct {
	// Name labels the rule in messages (policy files may name their rules); empty uses the conditions.
	Name string
	// Severities the finding's severity must be one of (empty: any).
	Severities []model.Severity
	// Fixable requires a fixed version to upgrade to.
	Fixable bool
	// KEV requires the vulnerability to be in CISA's Known Exploited Vulnerabilities catalogue.
	KEV bool
	// EPSS, when above 0, requires an EPSS score at least this high.
	EPSS float64
	// MinAgeDays, when above 0, requires the advisory to have been published at least this many days ago: a
	// team gets that long to react before the gate fails. A finding without a publication date does not meet it.
	MinAgeDays int
	// Ecosystems the package must belong to (purl types: npm, deb, pypi...; empty: any).
	Ecosystems []string
	// Packages the package must be one of: name globs ("openssl*") or purls without a version ("pkg:npm/lodash").
	Packages []string

	pkgGlobs []glob
	pkgPURLs []*packageurl.PackageURL
}

// DefaultRule is the rule a scan gates on when none is given: CRITICAL with a fix available, the findings a team
// can and must act on now.
var DefaultRule = Rule{Severities: []model.Severity{model.SeverityCritical}, Fixable: true}

// compile checks and compiles the package patterns.
func (r *Rule) compile() error {
	r.pkgGlobs, r.pkgPURLs = nil, nil
	for _, p := range r.Packages {
		if strings.HasPrefix(p, "pkg:") {
			u, err := packageurl.FromString(p)
			if err != nil {
				return fmt.Errorf("package %q: %w", p, err)
			}
			r.pkgPURLs = append(r.pkgPURLs, &u)
			continue
		}
		g, err := compileGlob(p)
		if err != nil {
			return fmt.Errorf("package: %w", err)
		}
		r.pkgGlobs = append(r.pkgGlobs, g)
	}
	for i, e := range r.Ecosystems {
		r.Ecosystems[i] = strings.ToLower(strings.TrimSpace(e))
	}
	return nil
}

// Matches reports whether the finding meets every condition of the rule on the given day.
func (r *Rule) Matches(f *model.Finding, now time.Time) bool {
	if len(r.Severities) > 0 && !slices.Contains(r.Severities, f.Severity) {
		return false
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
	if r.MinAgeDays > 0 && (f.Published == nil || now.Sub(*f.Published) < time.Duration(r.MinAgeDays)*24*time.Hour) {
		return false
	}
	if len(r.Ecosystems) > 0 && !slices.ContainsFunc(r.Ecosystems, func(e string) bool { return strings.EqualFold(e, string(f.Ecosystem)) }) {
		return false
	}
	if len(r.Packages) > 0 {
		c := *r
		if c.pkgGlobs == nil && c.pkgPURLs == nil {
			// A rule built in code rather than read from a policy: compile a copy, so rules stay safe to share.
			c.Ecosystems = nil
			_ = c.compile()
		}
		ok := false
		for _, g := range c.pkgGlobs {
			ok = ok || g.match(f.Package)
		}
		for _, u := range c.pkgPURLs {
			ok = ok || purlCovers(u, f.PURL)
		}
		if !ok {
			return false
		}
	}
	return true
}

// String describes the rule for messages: "severity CRITICAL, fixable".
func (r *Rule) String() string {
	if r.Name != "" {
		return r.Name
	}
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
	if r.MinAgeDays > 0 {
		parts = append(parts, fmt.Sprintf("published %d+ days ago", r.MinAgeDays))
	}
	if len(r.Ecosystems) > 0 {
		parts = append(parts, "ecosystem "+strings.Join(r.Ecosystems, "|"))
	}
	if len(r.Packages) > 0 {
		parts = append(parts, "package "+strings.Join(r.Packages, "|"))
	}
	if len(parts) == 0 {
		return "any finding"
	}
	return strings.Join(parts, ", ")
}

// Input is what the gate decides with, beside the findings.
type Input struct {
	// Rules fail the gate; none means DefaultRule.
	Rules []Rule
	// Exceptions may be nil.
	Exceptions *Exceptions
	// VEX documents; only not_affected and fixed statements suppress.
	VEX []*vex.Document
	// Target is the scanned artefact, for exception scopes and VEX products.
	Target model.Source
	// Now is the day exceptions are checked against and advisory ages measured from.
	Now time.Time
}

// Apply decides the gate: it marks each finding a VEX statement or a live exception covers as suppressed,
// marks each remaining finding that a rule matches as failing, and stores the verdict in m.Verdict. Findings are
// never removed: reports show them all and say why each is suppressed.
func Apply(in Input, m *model.Matches) *model.Verdict {
	rules := in.Rules
	if len(rules) == 0 {
		rules = []Rule{DefaultRule}
	}
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	targets := TargetNames(in.Target)
	v := &model.Verdict{}
	for i := range rules {
		v.Rules = append(v.Rules, rules[i].String())
	}
	var expiredHits map[*Exception]int
	for i := range m.Findings {
		f := &m.Findings[i]
		f.Suppressed, f.FailedRule = nil, ""
		if s := vexSuppression(in.VEX, f, targets); s != nil {
			f.Suppressed = s
		} else if in.Exceptions != nil {
			for j := range in.Exceptions.Entries {
				x := &in.Exceptions.Entries[j]
				if !x.Matches(f, targets) {
					continue
				}
				if x.Expired(now) {
					if expiredHits == nil {
						expiredHits = map[*Exception]int{}
					}
					expiredHits[x]++
					continue
				}
				f.Suppressed = &model.Suppression{
					Kind:           model.SuppressedByException,
					Classification: x.Classification,
					Reason:         x.Reason,
					Owner:          x.Owner,
					Expires:        x.ExpiresText(),
					Source:         x.Where(),
				}
				break
			}
		}
		if f.Suppressed != nil {
			v.Suppressed++
			continue
		}
		for j := range rules {
			if rules[j].Matches(f, now) {
				f.FailedRule = rules[j].String()
				v.Failing++
				break
			}
		}
	}
	if in.Exceptions != nil {
		for j := range in.Exceptions.Entries {
			x := &in.Exceptions.Entries[j]
			if x.Expired(now) {
				v.Expired = append(v.Expired, model.ExpiredException{
					ID: x.ID, Package: cmp.Or(x.Package, x.PURL), Owner: x.Owner, Expires: x.ExpiresText(),
					Source: x.Where(), Matches: expiredHits[x],
				})
			}
		}
	}
	v.Passed = v.Failing == 0
	m.Verdict = v
	return v
}

// vexSuppression returns the suppression of the newest VEX statement about the finding, when that statement says
// not_affected or fixed. A newer affected or under_investigation statement overrides an older not_affected one.
func vexSuppression(docs []*vex.Document, f *model.Finding, targets []string) *model.Suppression {
	ids := append([]string{f.ID}, f.Aliases...)
	ids = append(ids, f.Advisories...)
	var best *vex.Statement
	var bestDoc *vex.Document
	for _, d := range docs {
		st := d.MatchPackage(ids, f.PackageID, f.PURL, targets)
		if st == nil {
			continue
		}
		if best == nil || !st.Timestamp.Before(best.Timestamp) {
			best, bestDoc = st, d
		}
	}
	if best == nil || !vex.Suppresses(best.Status) {
		return nil
	}
	return &model.Suppression{
		Kind:           model.SuppressedByVEX,
		Classification: best.Status,
		Justification:  best.Justification,
		Reason:         cmp.Or(best.Impact, best.Action),
		Source:         fmt.Sprintf("%s#%d", bestDoc.Name, best.Index),
	}
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
