package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/hullscan/hullscan/internal/model"
)

// writeVulnTable lists the findings of a scan, most severe first: what to fix, to which version, and the layer
// that brought the package in. A summary counts findings by severity with how many have a fix and how many are
// known exploited; packages that could not be checked are listed after it, never hidden.
func writeVulnTable(w io.Writer, inv *model.Inventory, opts Options) error {
	m := opts.Matches
	t := tableWriter{w: w, color: opts.Color}
	t.line(tableHeader(inv))
	t.line(fmt.Sprintf("database: %s (built %s)", m.Database.Path, m.Database.Built.UTC().Format("2006-01-02 15:04 UTC")))

	truncated := false
	if len(m.Findings) > 0 {
		header := []string{"SEVERITY", "ID", "PACKAGE", "INSTALLED", "FIXED IN", "EXPLOIT", "LAYER"}
		rows := make([][]string, len(m.Findings))
		for i := range m.Findings {
			f := &m.Findings[i]
			rows[i] = []string{
				string(f.Severity),
				clean(f.ID),
				clean(f.Package),
				clean(f.Installed),
				clean(fixCell(f)),
				exploitCell(f),
				clean(layerCell(f.Layer)),
			}
		}
		cols := []int{0, 1, 2, 3, 4}
		for _, c := range []int{5, 6} {
			for _, r := range rows {
				if r[c] != "" {
					cols = append(cols, c)
					break
				}
			}
		}
		widths := make([]int, len(header))
		for _, c := range cols {
			widths[c] = utf8.RuneCountInString(header[c])
			for _, r := range rows {
				widths[c] = max(widths[c], utf8.RuneCountInString(r[c]))
			}
			if c != 0 && c != 6 {
				widths[c] = min(widths[c], tableMaxCell)
			}
		}
		if widths[6] > 0 {
			used := 0
			for _, c := range cols[:len(cols)-1] {
				used += widths[c] + len(tableGap)
			}
			widths[6] = max(min(widths[6], tableMaxLine-used), tableMinLayer)
		}
		for _, r := range rows {
			for _, c := range cols {
				var cut bool
				r[c], cut = truncate(r[c], widths[c])
				truncated = truncated || cut
			}
		}
		t.line("")
		t.row(header, cols, widths, ansiBold, "")
		for i, r := range rows {
			t.row(r, cols, widths, severityStyle(m.Findings[i].Severity), ansiDim)
		}
	}
	t.line("")
	t.line(vulnSummary(m))
	for _, u := range m.Unchecked {
		t.styled(fmt.Sprintf("not checked: %d %s package(s): %s", u.Packages, u.Ecosystem, u.Reason), ansiYellow)
	}
	if m.SkippedDev > 0 {
		t.line(fmt.Sprintf("note: %d development-only dependencies not matched (--include-dev to match them)", m.SkippedDev))
	}
	if m.SkippedOSOwned > 0 {
		t.line(fmt.Sprintf("note: %d language packages installed by OS packages are covered by their OS package's advisories", m.SkippedOSOwned))
	}
	if truncated {
		t.line("note: cells ending in " + ellipsis + " are cut to fit the line; the json format has the full text")
	}
	for _, warning := range sortedWarnings(inv) {
		t.styled("warning: "+clean(collapseSpace(warning)), ansiYellow)
	}
	for _, warning := range m.Warnings {
		t.styled("warning: "+clean(collapseSpace(warning)), ansiYellow)
	}
	return t.err
}

func fixCell(f *model.Finding) string {
	switch f.Status {
	case model.StatusFixed:
		return f.FixedVersion
	case model.StatusWontFix:
		return "(will not fix)"
	}
	return "(no fix yet)"
}

func exploitCell(f *model.Finding) string {
	var parts []string
	if f.KEV != nil {
		k := "KEV"
		if f.KEV.KnownRansomwareUse {
			k += "+ransomware"
		}
		parts = append(parts, k)
	}
	if f.EPSS != nil && f.EPSS.Score >= 0.01 {
		parts = append(parts, fmt.Sprintf("EPSS %.0f%%", f.EPSS.Score*100))
	}
	return strings.Join(parts, " ")
}

func severityStyle(s model.Severity) string {
	switch s {
	case model.SeverityCritical:
		return ansiRed
	case model.SeverityHigh:
		return ansiYellow
	}
	return ""
}

// vulnSummary is "12 vulnerabilities in 98 packages checked: 1 CRITICAL (1 fixable, 1 KEV), ...".
func vulnSummary(m *model.Matches) string {
	type count struct{ all, fixable, kev int }
	by := map[model.Severity]*count{}
	for _, f := range m.Findings {
		c := by[f.Severity]
		if c == nil {
			c = &count{}
			by[f.Severity] = c
		}
		c.all++
		if f.Status == model.StatusFixed {
			c.fixable++
		}
		if f.KEV != nil {
			c.kev++
		}
	}
	var parts []string
	for _, s := range []model.Severity{model.SeverityCritical, model.SeverityHigh, model.SeverityMedium, model.SeverityLow, model.SeverityUnknown} {
		c := by[s]
		if c == nil {
			continue
		}
		p := fmt.Sprintf("%d %s (%d fixable", c.all, s, c.fixable)
		if c.kev > 0 {
			p += fmt.Sprintf(", %d KEV", c.kev)
		}
		parts = append(parts, p+")")
	}
	head := fmt.Sprintf("%d vulnerabilities in %d packages checked", len(m.Findings), m.Checked)
	if len(parts) == 0 {
		return head
	}
	return head + ": " + strings.Join(parts, ", ")
}

// cdxVulnerabilities writes one CycloneDX vulnerability per id, affecting every package it was found in; the
// aliases are its references, the ratings every source's, the fix a recommendation.
func cdxVulnerabilities(m *model.Matches, refs map[string]string) []cdx.Vulnerability {
	type acc struct {
		v       cdx.Vulnerability
		affects []cdx.Affects
		ratings map[string]bool
		fixes   []string
	}
	byID := map[string]*acc{}
	var order []string
	for i := range m.Findings {
		f := &m.Findings[i]
		a, ok := byID[f.ID]
		if !ok {
			a = &acc{ratings: map[string]bool{}}
			a.v = cdx.Vulnerability{
				BOMRef:      "vuln:" + f.ID,
				ID:          f.ID,
				Source:      &cdx.Source{Name: sourceName(f.ID)},
				Description: f.Title,
			}
			if f.Published != nil {
				a.v.Published = f.Published.UTC().Format(time.RFC3339)
			}
			var vrefs []cdx.VulnerabilityReference
			for _, al := range f.Aliases {
				vrefs = append(vrefs, cdx.VulnerabilityReference{ID: al, Source: &cdx.Source{Name: sourceName(al)}})
			}
			if len(vrefs) > 0 {
				a.v.References = &vrefs
			}
			var advs []cdx.Advisory
			for _, u := range f.References {
				advs = append(advs, cdx.Advisory{URL: u})
			}
			if len(advs) > 0 {
				a.v.Advisories = &advs
			}
			byID[f.ID] = a
			order = append(order, f.ID)
		}
		for _, r := range f.Ratings {
			key := fmt.Sprint(r)
			if a.ratings[key] {
				continue
			}
			a.ratings[key] = true
			cr := cdx.VulnerabilityRating{Source: &cdx.Source{Name: r.Source}, Severity: cdx.Severity(strings.ToLower(string(r.Severity))), Vector: r.Vector}
			if r.Score > 0 {
				score := r.Score
				cr.Score = &score
			}
			switch {
			case r.Method == "CVSSv3" && strings.HasPrefix(r.Vector, "CVSS:3.1/"):
				cr.Method = cdx.ScoringMethodCVSSv31
			case r.Method == "CVSSv3":
				cr.Method = cdx.ScoringMethodCVSSv3
			case r.Method == "CVSSv2":
				cr.Method = cdx.ScoringMethodCVSSv2
			case r.Method == "CVSSv4":
				cr.Method = cdx.ScoringMethodCVSSv4
			default:
				cr.Method = cdx.ScoringMethodOther
			}
			if cr.Severity == "unknown" {
				cr.Severity = cdx.SeverityUnknown
			}
			if a.v.Ratings == nil {
				a.v.Ratings = &[]cdx.VulnerabilityRating{}
			}
			*a.v.Ratings = append(*a.v.Ratings, cr)
		}
		ref := refs[f.PackageID]
		if ref == "" {
			ref = f.PackageID
		}
		a.affects = append(a.affects, cdx.Affects{Ref: ref, Range: &[]cdx.AffectedVersions{{Version: f.Installed, Status: cdx.VulnerabilityStatusAffected}}})
		switch f.Status {
		case model.StatusFixed:
			a.fixes = append(a.fixes, fmt.Sprintf("upgrade %s %s to %s", f.Package, f.Installed, f.FixedVersion))
		case model.StatusWontFix:
			a.fixes = append(a.fixes, fmt.Sprintf("%s %s: the distribution will not fix it", f.Package, f.Installed))
		default:
			a.fixes = append(a.fixes, fmt.Sprintf("%s %s: no fix published yet", f.Package, f.Installed))
		}
	}
	out := make([]cdx.Vulnerability, 0, len(order))
	for _, id := range order {
		a := byID[id]
		sort.Strings(a.fixes)
		a.v.Recommendation = strings.Join(dedupeStrings(a.fixes), "; ")
		a.v.Affects = &a.affects
		out = append(out, a.v)
	}
	return out
}

func dedupeStrings(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// sourceName names the database an id comes from, by its prefix.
func sourceName(id string) string {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return "NVD"
	case strings.HasPrefix(id, "GHSA-"):
		return "GitHub"
	case strings.HasPrefix(id, "PYSEC-"):
		return "PyPA"
	case strings.HasPrefix(id, "GO-"):
		return "Go"
	case strings.HasPrefix(id, "RUSTSEC-"):
		return "RustSec"
	case strings.HasPrefix(id, "DSA-"), strings.HasPrefix(id, "DLA-"), strings.HasPrefix(id, "x_DEBIAN12-"):
		return "Debian"
	case strings.HasPrefix(id, "ALPINE-"):
		return "Alpine"
	}
	if i := strings.IndexByte(id, '-'); i > 0 {
		return id[:i]
	}
	return "OSV"
}
