package match

import (
	"sort"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/vulndb"
)

// applyTracker refines a Debian package's findings with the Debian security tracker, which knows what the OSV
// export does not: vulnerabilities with no fix yet, those the security team will not fix (no-dsa, ignored,
// end-of-life), and source packages a CVE does not affect in a release (fixed version "0").
func (m *matcher) applyTracker(p *model.Package, q query, os *model.OS, findings []model.Finding) ([]model.Finding, error) {
	codename := os.Codename
	if codename == "" {
		codename = debianCodenames[majorVersion(os.Version)]
	}
	sts, err := m.db.Tracker(codename, q.name)
	if err != nil || len(sts) == 0 {
		return findings, err
	}
	byID := map[string]int{}
	for i, f := range findings {
		byID[f.ID] = i
	}
	drop := map[string]bool{}
	for _, st := range sts {
		i, have := byID[st.CVE]
		switch st.Status {
		case "resolved":
			if st.FixedVersion == "0" {
				drop[st.CVE] = true // <not-affected> in this release
				continue
			}
			c, err := compareIn("ECOSYSTEM", "Debian", q.version, st.FixedVersion)
			if err != nil {
				m.res.Warnings = append(m.res.Warnings, "tracker "+st.CVE+" "+q.name+": "+err.Error())
				continue
			}
			if c >= 0 {
				drop[st.CVE] = true // the installed version has the fix
				continue
			}
			if !have {
				f, err := m.finding(p, q, st.CVE, nil)
				if err != nil {
					return nil, err
				}
				findings = append(findings, f)
				i = len(findings) - 1
				byID[st.CVE] = i
			}
			findings[i].Status, findings[i].FixedVersion = model.StatusFixed, st.FixedVersion
		case "open", "undetermined":
			if !have {
				f, err := m.finding(p, q, st.CVE, nil)
				if err != nil {
					return nil, err
				}
				findings = append(findings, f)
				i = len(findings) - 1
				byID[st.CVE] = i
			}
			findings[i].FixedVersion = ""
			findings[i].Status = model.StatusNotFixed
			if st.NoDSA == "ignored" || st.Urgency == "end-of-life" || st.Urgency == "unimportant" {
				findings[i].Status = model.StatusWontFix
			}
		default:
			continue
		}
		f := &findings[i]
		if !containsStr(f.Advisories, "debian-tracker") {
			f.Advisories = append(f.Advisories, "debian-tracker")
		}
		if r, ok := urgencyRating(st.Urgency); ok {
			f.Ratings = dedupeRatings(append([]model.Rating{r}, f.Ratings...))
			if pr, ok := vulndb.PrimaryRating(f.Ratings); ok {
				f.Severity, f.SeveritySource = pr.Severity, pr.Source
			}
		}
	}
	out := findings[:0]
	for _, f := range findings {
		if !drop[f.ID] {
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// urgencyRating reads the tracker's urgency as a rating; "not yet assigned" and "end-of-life" say nothing about
// severity.
func urgencyRating(u string) (model.Rating, bool) {
	var s model.Severity
	switch strings.TrimRight(u, "*") { // the tracker marks unconfirmed urgencies "low*" or "low**"
	case "unimportant", "low":
		s = model.SeverityLow
	case "medium":
		s = model.SeverityMedium
	case "high":
		s = model.SeverityHigh
	default:
		return model.Rating{}, false
	}
	return model.Rating{Source: "debian", Severity: s, Method: "other"}, true
}
