package report

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hullscan/hullscan/internal/model"
)

// Helpers shared by the vulnerability report formats (sarif, gitlab, junit, markdown, template). They read
// only opts.Matches and never change it.

// severityOrder lists the severities most severe first.
var severityOrder = []model.Severity{
	model.SeverityCritical, model.SeverityHigh, model.SeverityMedium, model.SeverityLow, model.SeverityUnknown,
}

// sortedFindings returns pointers to the findings in report order (compareFindings): failing the gate first, then
// most severe, known exploited, highest EPSS and fixable first, then by package, installed version, id and
// location, so that the output does not depend on the order the matcher produced them in. It is nil when there
// are no matches.
func sortedFindings(m *model.Matches) []*model.Finding {
	if m == nil {
		return nil
	}
	out := make([]*model.Finding, len(m.Findings))
	for i := range m.Findings {
		out[i] = &m.Findings[i]
	}
	slices.SortStableFunc(out, compareFindings)
	return out
}

// compareFindings is the order of every report: the table's urgency (compareUrgency), then the remaining fields,
// so that the order never depends on the input's.
func compareFindings(a, b *model.Finding) int {
	if c := compareUrgency(a, b); c != 0 {
		return c
	}
	for _, f := range [][2]string{{string(a.Ecosystem), string(b.Ecosystem)}, {a.PURL, b.PURL}, {string(a.Severity), string(b.Severity)}} {
		if c := strings.Compare(f[0], f[1]); c != 0 {
			return c
		}
	}
	return 0
}

// normSeverity maps anything outside the five known severities to UNKNOWN, so that a report never shows a
// severity its consumers do not know.
func normSeverity(s model.Severity) model.Severity {
	if slices.Contains(severityOrder, s) {
		return s
	}
	return model.SeverityUnknown
}

// fixSentence says in a sentence whether and where the finding is fixed.
func fixSentence(f *model.Finding) string {
	switch {
	case f.Status == model.StatusFixed && f.FixedVersion != "":
		return "Fixed in " + f.FixedVersion + "."
	case f.Status == model.StatusWontFix:
		return "The distribution will not fix it."
	}
	return "No fix is published yet."
}

// fixCellText is the short form of fixSentence, for table cells.
func fixCellText(f *model.Finding) string {
	switch {
	case f.Status == model.StatusFixed && f.FixedVersion != "":
		return f.FixedVersion
	case f.Status == model.StatusWontFix:
		return "(will not fix)"
	}
	return "(no fix yet)"
}

func fixable(f *model.Finding) bool {
	return f.Status == model.StatusFixed && f.FixedVersion != ""
}

// layerSentence is "Layer 3 (COPY app /app)": the layer that brought the package in, by index and instruction.
func layerSentence(l *model.LayerRef) string {
	if l == nil {
		return ""
	}
	s := fmt.Sprintf("Layer %d", l.Index)
	if c := shortCreatedBy(l.CreatedBy); c != "" {
		s += " (" + c + ")"
	}
	return s
}

// suppressionText says why a finding is suppressed and who said so:
// "accepted-risk: input is trusted (owner team-payments, expires 2027-01-31, .hullscan/exceptions.yaml:3)".
func suppressionText(s *model.Suppression) string {
	if s == nil {
		return ""
	}
	head := cmp.Or(s.Classification, s.Kind, "suppressed")
	if s.Justification != "" {
		head += " (" + s.Justification + ")"
	}
	var who []string
	if s.Owner != "" {
		who = append(who, "owner "+s.Owner)
	}
	if s.Expires != "" {
		who = append(who, "expires "+s.Expires)
	}
	if s.Source != "" {
		who = append(who, s.Source)
	}
	text := head
	if s.Reason != "" {
		text += ": " + s.Reason
	}
	if len(who) > 0 {
		text += " (" + strings.Join(who, ", ") + ")"
	}
	return text
}

// findingSentence is the one-line description of a finding the report formats share:
// "Package minimist 1.2.0 (npm, /app/package-lock.json) is affected by CVE-2021-44906. Fixed in 1.2.6. Layer 3
// (COPY app /app)."
func findingSentence(f *model.Finding) string {
	where := string(f.Ecosystem)
	if f.Location != "" {
		where = strings.TrimPrefix(where+", "+f.Location, ", ")
	}
	s := "Package " + f.Package + " " + f.Installed
	if where != "" {
		s += " (" + where + ")"
	}
	s += " is affected by " + f.ID + ". " + fixSentence(f)
	if l := layerSentence(f.Layer); l != "" {
		s += " " + l + "."
	}
	return s
}

// webURL returns s when it is an absolute http(s) URL that schemas with a "uri" format accept, else "": references
// come from advisory feeds and are not trusted to be well formed.
func webURL(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || r > unicode.MaxASCII }) {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return s
}

// firstURL is the finding's first usable reference, or "".
func firstURL(f *model.Finding) string {
	for _, r := range f.References {
		if u := webURL(r); u != "" {
			return u
		}
	}
	return ""
}

// plain makes text safe for reports that humans read in a browser or a CI log, and for XML: white space control
// characters become spaces, other control and format characters (ANSI escapes, bidi overrides) become U+FFFD,
// and invalid UTF-8 becomes U+FFFD. Runs of white space are collapsed.
func plain(s string) string {
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
			return ' '
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' || r == 0xFFFE || r == 0xFFFF:
			// XML 1.0 forbids U+FFFE and U+FFFF; the line and paragraph separators break lines in some viewers.
			return utf8.RuneError
		}
		return r
	}, s)
	return collapseSpace(s)
}

// osName is "debian:12" (family and version), the form GitLab shows; "" when unknown.
func osName(inv *model.Inventory) string {
	if inv.OS == nil || inv.OS.Family == "" {
		return ""
	}
	if inv.OS.Version == "" {
		return inv.OS.Family
	}
	return inv.OS.Family + ":" + inv.OS.Version
}

// allWarnings are the inventory's warnings, sorted, then the matcher's, in their order.
func allWarnings(inv *model.Inventory, m *model.Matches) []string {
	w := sortedWarnings(inv)
	if m != nil {
		w = append(w, m.Warnings...)
	}
	return w
}

// uncheckedText is "3 Maven package(s) not checked: no Maven advisories in the database".
func uncheckedText(u model.Unchecked) string {
	return fmt.Sprintf("%d %s package(s) not checked: %s", u.Packages, u.Ecosystem, u.Reason)
}
