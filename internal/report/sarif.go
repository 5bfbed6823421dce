package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
)

// The SARIF format: SARIF 2.1.0 as GitHub code scanning reads it (docs/reports.md). One run; one rule per
// vulnerability id; one result per finding.
//
// Result levels: "error" for a finding that fails a gate rule, whatever its severity (it is what breaks the
// build, so it must stand out); otherwise CRITICAL and HIGH are "error", MEDIUM "warning", LOW and UNKNOWN
// "note". Rules carry GitHub's properties.security-severity, which GitHub turns into its own levels (over 9.0
// critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low): the CVSS score where it falls in the band of the
// finding's severity, else a value inside that band, so that GitHub never shows another severity than hullscan.
// UNKNOWN gets no security-severity (GitHub reads 0.0 as none).

const (
	sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	hullscanURI    = "https://github.com/hullscan/hullscan"
	// sarifFingerprintKey names hullscan's partial fingerprint; the "/v1" changes if its inputs ever do.
	sarifFingerprintKey = "hullscanFinding/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifMultiformat struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string              `json:"id"`
	Name                 string              `json:"name,omitempty"`
	ShortDescription     sarifMessage        `json:"shortDescription"`
	FullDescription      sarifMessage        `json:"fullDescription"`
	HelpURI              string              `json:"helpUri,omitempty"`
	Help                 sarifMultiformat    `json:"help"`
	DefaultConfiguration sarifConfiguration  `json:"defaultConfiguration"`
	Properties           sarifRuleProperties `json:"properties"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProperties struct {
	SecuritySeverity string   `json:"security-severity,omitempty"`
	Tags             []string `json:"tags"`
	Precision        string   `json:"precision"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Suppressions        []sarifSuppress   `json:"suppressions,omitempty"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifSuppress struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string       `json:"level"`
	Message sarifMessage `json:"message"`
}

func writeSARIF(w io.Writer, inv *model.Inventory, opts Options) error {
	m := opts.Matches
	findings := sortedFindings(m)
	target := plain(inv.Source.Name)

	var rules []sarifRule
	ruleIndex := map[string]int{}
	byRule := map[string][]*model.Finding{}
	for _, f := range findings {
		id := plain(f.ID) // the rule id as written
		if _, ok := ruleIndex[id]; !ok {
			ruleIndex[id] = len(ruleIndex)
		}
		byRule[id] = append(byRule[id], f)
	}
	rules = make([]sarifRule, len(ruleIndex))
	for id, i := range ruleIndex {
		rules[i] = sarifRuleFor(byRule[id])
	}

	results := make([]sarifResult, 0, len(findings))
	for _, f := range findings {
		results = append(results, sarifResultFor(f, ruleIndex[plain(f.ID)], target))
	}

	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "hullscan",
			Version:        opts.ToolVersion,
			InformationURI: hullscanURI,
			Rules:          rules,
		}},
		Results:    results,
		Properties: sarifRunProperties(inv, m),
	}
	var notes []sarifNotification
	if m != nil {
		for _, u := range m.Unchecked {
			notes = append(notes, sarifNotification{Level: "warning", Message: sarifMessage{Text: plain(uncheckedText(u))}})
		}
	}
	for _, warning := range allWarnings(inv, m) {
		notes = append(notes, sarifNotification{Level: "warning", Message: sarifMessage{Text: plain(warning)}})
	}
	if len(notes) > 0 {
		run.Invocations = []sarifInvocation{{ExecutionSuccessful: true, Notifications: notes}}
	}

	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: sarifSchemaURI, Version: "2.1.0", Runs: []sarifRun{run}})
}

// sarifRunProperties carries what SARIF has no field for: the target, the database and the gate's verdict.
func sarifRunProperties(inv *model.Inventory, m *model.Matches) map[string]any {
	p := map[string]any{"target": plain(inv.Source.Name)}
	if inv.Source.Digest != "" {
		p["digest"] = plain(inv.Source.Digest)
	}
	if m == nil {
		// Without matches this is a package listing, not a clean bill of health: say so.
		p["vulnerabilitiesMatched"] = false
		return p
	}
	p["vulnerabilitiesMatched"] = true
	p["packagesChecked"] = m.Checked
	if m.Database.Path != "" || !m.Database.Built.IsZero() {
		p["database"] = map[string]any{"built": m.Database.Built.UTC().Format("2006-01-02T15:04:05Z"), "schemaVersion": m.Database.Schema}
	}
	if v := m.Verdict; v != nil {
		p["verdict"] = plainVerdict(v)
	}
	return p
}

func sarifRuleFor(fs []*model.Finding) sarifRule {
	// The findings of one id share their advisory; the most severe (first, in report order) speaks for it.
	f := fs[0]
	sev := normSeverity(f.Severity)
	title := plain(f.Title)
	short := title
	if short == "" {
		short = plain(f.ID)
	}
	full := []string{short + "."}
	if len(f.Aliases) > 0 {
		full = append(full, "Also known as "+plain(strings.Join(f.Aliases, ", "))+".")
	}
	sevText := "Severity " + string(sev)
	if f.CVSSScore > 0 {
		sevText += fmt.Sprintf(" (CVSS %.1f", f.CVSSScore)
		if f.CVSSVector != "" {
			sevText += " " + plain(f.CVSSVector)
		}
		sevText += ")"
	}
	full = append(full, sevText+".")
	if f.KEV != nil {
		full = append(full, "Listed in CISA's Known Exploited Vulnerabilities catalogue since "+plain(f.KEV.DateAdded)+".")
	}

	var text, md strings.Builder
	text.WriteString(strings.Join(full, " ") + "\n\nAffected packages:\n")
	md.WriteString(mdEscapeText(strings.Join(full, " ")) + "\n\n| Package | Installed | Fixed in | Location |\n|---|---|---|---|\n")
	ecosystems := map[string]bool{}
	var tags []string
	for _, g := range fs {
		fmt.Fprintf(&text, "- %s %s: %s (%s)\n", plain(g.Package), plain(g.Installed), plain(fixCellText(g)), plain(g.Location))
		fmt.Fprintf(&md, "| %s | %s | %s | %s |\n", mdCell(g.Package), mdCell(g.Installed), mdCell(fixCellText(g)), mdCell(g.Location))
		if e := plain(string(g.Ecosystem)); e != "" && !ecosystems[e] {
			ecosystems[e] = true
			tags = append(tags, e)
		}
	}
	help := firstURL(f)
	if help != "" {
		fmt.Fprintf(&text, "\nMore: %s\n", help)
		fmt.Fprintf(&md, "\nMore: <%s>\n", help)
	}
	return sarifRule{
		ID:                   plain(f.ID),
		ShortDescription:     sarifMessage{Text: short},
		FullDescription:      sarifMessage{Text: strings.Join(full, " ")},
		HelpURI:              help,
		Help:                 sarifMultiformat{Text: text.String(), Markdown: md.String()},
		DefaultConfiguration: sarifConfiguration{Level: sarifSeverityLevel(sev)},
		Properties: sarifRuleProperties{
			SecuritySeverity: securitySeverity(sev, f.CVSSScore),
			Tags:             append([]string{"security", "vulnerability"}, tags...),
			Precision:        "very-high",
		},
	}
}

func sarifResultFor(f *model.Finding, ruleIndex int, target string) sarifResult {
	level := sarifSeverityLevel(normSeverity(f.Severity))
	msg := plain(findingSentence(f))
	if f.FailedRule != "" {
		level = "error"
		msg += " Fails the gate rule: " + plain(f.FailedRule) + "."
	}
	// Properties are for machines, but viewers show them too: no control characters either.
	props := map[string]any{
		"severity":  string(normSeverity(f.Severity)),
		"package":   plain(f.Package),
		"installed": plain(f.Installed),
		"status":    plain(string(f.Status)),
	}
	if f.PURL != "" {
		props["purl"] = plain(f.PURL)
	}
	if f.FixedVersion != "" {
		props["fixedVersion"] = plain(f.FixedVersion)
	}
	if l := f.Layer; l != nil {
		props["layer"] = model.LayerRef{Index: l.Index, Digest: plain(l.Digest), DiffID: plain(l.DiffID), CreatedBy: plain(l.CreatedBy)}
	}
	if f.FailedRule != "" {
		props["failedRule"] = plain(f.FailedRule)
	}
	if f.KEV != nil {
		props["kev"] = model.KEV{DateAdded: plain(f.KEV.DateAdded), DueDate: plain(f.KEV.DueDate), KnownRansomwareUse: f.KEV.KnownRansomwareUse}
	}
	if f.EPSS != nil {
		props["epss"] = model.EPSS{Score: f.EPSS.Score, Percentile: f.EPSS.Percentile, Date: plain(f.EPSS.Date)}
	}
	r := sarifResult{
		RuleID:    plain(f.ID),
		RuleIndex: ruleIndex,
		Level:     level,
		Message:   sarifMessage{Text: msg},
		Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
			ArtifactLocation: sarifArtifact{URI: sarifURI(f.Location, target)},
			Region:           sarifRegion{StartLine: 1},
		}}},
		PartialFingerprints: map[string]string{sarifFingerprintKey: findingHash(f)},
		Properties:          props,
	}
	if s := f.Suppressed; s != nil {
		r.Suppressions = []sarifSuppress{{Kind: "external", Status: "accepted", Justification: plain(suppressionText(s))}}
	}
	return r
}

// sarifURI turns the package database path into the repository-relative URI GitHub needs: the leading "/" goes
// (GitHub resolves URIs against the repository root), and the path is percent-encoded. With no location the
// scan target stands in.
func sarifURI(location, target string) string {
	p := strings.TrimLeft(location, "/")
	if p == "" {
		p = strings.TrimLeft(target, "/")
	}
	if p == "" {
		p = "unknown"
	}
	// url.URL protects a first segment with a colon ("c:/x" would read as a scheme) by prefixing "./".
	return (&url.URL{Path: p}).String()
}

// findingHash identifies a finding across scans: the same vulnerability in the same package version at the same
// place hashes the same, so GitHub keeps one alert for it.
func findingHash(f *model.Finding) string {
	h := sha256.Sum256([]byte(strings.Join([]string{f.ID, string(f.Ecosystem), f.Package, f.Installed, f.Location}, "\x00")))
	return hex.EncodeToString(h[:])
}

func sarifSeverityLevel(s model.Severity) string {
	switch s {
	case model.SeverityCritical, model.SeverityHigh:
		return "error"
	case model.SeverityMedium:
		return "warning"
	}
	return "note"
}

// securityBands are GitHub's security-severity bands by hullscan severity: the lowest and highest score GitHub
// maps to the same level, and the value used when the CVSS score is missing or disagrees.
var securityBands = map[model.Severity]struct{ lo, hi, rep float64 }{
	model.SeverityCritical: {9.05, 10.0, 9.5}, // GitHub says "over 9.0"
	model.SeverityHigh:     {7.0, 8.9, 8.0},
	model.SeverityMedium:   {4.0, 6.9, 5.5},
	model.SeverityLow:      {0.1, 3.9, 2.0},
}

func securitySeverity(s model.Severity, cvss float64) string {
	b, ok := securityBands[s]
	if !ok {
		return ""
	}
	v := b.rep
	if cvss >= b.lo && cvss <= b.hi {
		v = cvss
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// plainVerdict is a copy of v with its texts made plain.
func plainVerdict(v *model.Verdict) model.Verdict {
	c := *v
	c.Rules = make([]string, len(v.Rules))
	for i, r := range v.Rules {
		c.Rules[i] = plain(r)
	}
	c.Expired = make([]model.ExpiredException, len(v.Expired))
	for i, e := range v.Expired {
		c.Expired[i] = model.ExpiredException{ID: plain(e.ID), Package: plain(e.Package), Owner: plain(e.Owner), Expires: plain(e.Expires), Source: plain(e.Source), Matches: e.Matches}
	}
	if len(c.Expired) == 0 {
		c.Expired = nil
	}
	return c
}
