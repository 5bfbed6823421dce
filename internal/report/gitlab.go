package report

import (
	"cmp"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hullscan/hullscan/internal/model"
)

// The gitlab format: GitLab's container scanning report (security report schema 15.2.4,
// container-scanning-report-format.json; docs/reports.md).
//
// Suppressed findings (an exception or a VEX statement) are left out: GitLab keeps its own record of dismissed
// vulnerabilities, and a finding it is never shown cannot be re-opened there by mistake. They stay in every other
// format.

// gitlabSchemaVersion is the version of the security report schema the report follows.
const gitlabSchemaVersion = "15.2.4"

// Field length limits of the schema, in characters.
const (
	gitlabMaxName        = 255
	gitlabMaxSolution    = 7000
	gitlabMaxDescription = 1 << 20
)

// gitlabNamespace is the UUID namespace of hullscan's GitLab vulnerability ids (a random UUID fixed once).
var gitlabNamespace = [16]byte{0x6b, 0x1e, 0x2f, 0x0c, 0x5a, 0x93, 0x4d, 0x2e, 0x8f, 0x41, 0x7c, 0x0b, 0x9d, 0x36, 0xe2, 0x58}

type gitlabReport struct {
	Version         string       `json:"version"`
	Scan            gitlabScan   `json:"scan"`
	Vulnerabilities []gitlabVuln `json:"vulnerabilities"`
}

type gitlabScan struct {
	Analyzer  gitlabTool      `json:"analyzer"`
	Scanner   gitlabTool      `json:"scanner"`
	Type      string          `json:"type"`
	StartTime string          `json:"start_time"`
	EndTime   string          `json:"end_time"`
	Status    string          `json:"status"`
	Messages  []gitlabMessage `json:"messages,omitempty"`
}

type gitlabTool struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	URL     string       `json:"url,omitempty"`
	Vendor  gitlabVendor `json:"vendor"`
	Version string       `json:"version"`
}

type gitlabVendor struct {
	Name string `json:"name"`
}

type gitlabMessage struct {
	Level string `json:"level"`
	Value string `json:"value"`
}

type gitlabVuln struct {
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Description string             `json:"description"`
	Severity    string             `json:"severity"`
	Solution    string             `json:"solution"`
	Identifiers []gitlabIdentifier `json:"identifiers"`
	Links       []gitlabLink       `json:"links,omitempty"`
	Location    gitlabLocation     `json:"location"`
}

type gitlabIdentifier struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

type gitlabLink struct {
	URL string `json:"url"`
}

type gitlabLocation struct {
	Dependency      gitlabDependency `json:"dependency"`
	OperatingSystem string           `json:"operating_system"`
	Image           string           `json:"image"`
}

type gitlabDependency struct {
	Package gitlabPackage `json:"package"`
	Version string        `json:"version"`
}

type gitlabPackage struct {
	Name string `json:"name"`
}

func writeGitLab(w io.Writer, inv *model.Inventory, opts Options) error {
	m := opts.Matches
	// hullscan does not time the scan itself; the report time stands for both ends.
	ts := opts.now().Format("2006-01-02T15:04:05")
	tool := gitlabTool{
		ID:      "hullscan",
		Name:    "hullscan",
		URL:     hullscanURI,
		Vendor:  gitlabVendor{Name: "hullscan"},
		Version: cmp.Or(opts.ToolVersion, "unknown"),
	}
	rep := gitlabReport{
		Version: gitlabSchemaVersion,
		Scan: gitlabScan{
			Analyzer:  tool,
			Scanner:   tool,
			Type:      "container_scanning",
			StartTime: ts,
			EndTime:   ts,
			Status:    "success",
		},
		Vulnerabilities: []gitlabVuln{},
	}
	if m == nil {
		rep.Scan.Messages = append(rep.Scan.Messages, gitlabMessage{Level: "info", Value: "packages were listed but not matched against the vulnerability database"})
	} else {
		for _, u := range m.Unchecked {
			rep.Scan.Messages = append(rep.Scan.Messages, gitlabMessage{Level: "warn", Value: plain(uncheckedText(u))})
		}
	}
	for _, warning := range allWarnings(inv, m) {
		if s := plain(warning); s != "" {
			rep.Scan.Messages = append(rep.Scan.Messages, gitlabMessage{Level: "warn", Value: s})
		}
	}

	image := cmp.Or(plain(inv.Source.Name), "unknown")
	system := cmp.Or(plain(osName(inv)), "Unknown")
	for _, f := range sortedFindings(m) {
		if f.Suppressed != nil {
			continue // GitLab's own dismissal workflow takes over; see the package comment above.
		}
		rep.Vulnerabilities = append(rep.Vulnerabilities, gitlabVulnFor(f, image, system))
	}

	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

func gitlabVulnFor(f *model.Finding, image, system string) gitlabVuln {
	name := f.ID
	if t := plain(f.Title); t != "" {
		name = t
	}
	desc := []string{plain(findingSentence(f))}
	if f.MatchedAs != "" {
		desc = append(desc, "Matched as "+plain(f.MatchedAs)+".")
	}
	if f.CVSSScore > 0 {
		desc = append(desc, fmt.Sprintf("CVSS %.1f %s.", f.CVSSScore, plain(f.CVSSVector)))
	}
	if f.KEV != nil {
		desc = append(desc, "Known exploited (CISA KEV, added "+plain(f.KEV.DateAdded)+").")
	}
	if f.EPSS != nil {
		desc = append(desc, fmt.Sprintf("EPSS %.1f%% (percentile %.0f).", f.EPSS.Score*100, f.EPSS.Percentile*100))
	}
	if f.FailedRule != "" {
		desc = append(desc, "Fails the gate rule: "+plain(f.FailedRule)+".")
	}

	var solution string
	switch {
	case fixable(f):
		solution = "Upgrade " + plain(f.Package) + " to " + plain(f.FixedVersion)
	case f.Status == model.StatusWontFix:
		solution = "The distribution will not fix this vulnerability in " + plain(f.Package) + "."
	default:
		solution = "No fix is published yet for " + plain(f.Package) + "."
	}

	var ids []gitlabIdentifier
	seen := map[string]bool{}
	for _, id := range append([]string{f.ID}, f.Aliases...) {
		id = plain(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, gitlabIdentifierFor(id))
	}
	if len(ids) == 0 {
		// The schema wants at least one identifier; a finding always has an id, but do not trust it.
		ids = []gitlabIdentifier{{Type: "hullscan", Name: "unknown", Value: "unknown"}}
	}
	var links []gitlabLink
	for _, r := range f.References {
		if u := webURL(r); u != "" {
			links = append(links, gitlabLink{URL: u})
		}
	}
	return gitlabVuln{
		ID:          gitlabUUID(f),
		Name:        cutRunes(name, gitlabMaxName),
		Description: cutRunes(strings.Join(desc, " "), gitlabMaxDescription),
		Severity:    gitlabSeverity(f.Severity),
		Solution:    cutRunes(solution, gitlabMaxSolution),
		Identifiers: ids,
		Links:       links,
		Location: gitlabLocation{
			Dependency:      gitlabDependency{Package: gitlabPackage{Name: plain(f.Package)}, Version: plain(f.Installed)},
			OperatingSystem: system,
			Image:           image,
		},
	}
}

// gitlabIdentifierFor types an id by its prefix ("cve", "ghsa", ...), with a link where the database is known.
func gitlabIdentifierFor(id string) gitlabIdentifier {
	ident := gitlabIdentifier{Name: id, Value: id}
	prefix, _, _ := strings.Cut(id, "-")
	switch strings.ToUpper(prefix) {
	case "CVE":
		ident.Type, ident.URL = "cve", "https://nvd.nist.gov/vuln/detail/"+id
	case "GHSA":
		ident.Type, ident.URL = "ghsa", "https://github.com/advisories/"+id
	default:
		ident.Type = strings.ToLower(prefix)
		if ident.Type == id || ident.Type == "" {
			ident.Type = "hullscan"
		}
	}
	if webURL(ident.URL) == "" {
		ident.URL = ""
	}
	return ident
}

func gitlabSeverity(s model.Severity) string {
	switch normSeverity(s) {
	case model.SeverityCritical:
		return "Critical"
	case model.SeverityHigh:
		return "High"
	case model.SeverityMedium:
		return "Medium"
	case model.SeverityLow:
		return "Low"
	}
	return "Unknown"
}

// gitlabUUID is a name-based (version 5) UUID of the finding: the same finding gets the same id in every scan,
// which GitLab uses to track it across pipelines.
func gitlabUUID(f *model.Finding) string {
	h := sha1.New()
	h.Write(gitlabNamespace[:])
	h.Write([]byte(strings.Join([]string{f.ID, string(f.Ecosystem), f.Package, f.Installed, f.Location}, "\x00")))
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50 // version 5
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// cutRunes cuts s to at most n characters, the last being "…" when it was cut.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
