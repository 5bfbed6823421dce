package report

import (
	"cmp"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/hullscan/hullscan/internal/model"
)

// The markdown format: a report for a pull- or merge-request comment (GitHub and GitLab flavoured Markdown;
// docs/reports.md). The gate's verdict comes first, then a summary by severity, then what to fix first, then
// every finding. Nothing is cut without saying so: a list that is capped ends with how many rows were left out.

const (
	// mdFixFirstRows caps the "Fix first" table; the full list follows it.
	mdFixFirstRows = 10
	// mdDetailsAbove folds the full list into a <details> block when it has more rows than this.
	mdDetailsAbove = 20
	// mdMaxRows caps the full list: GitHub refuses comments over 65536 characters.
	mdMaxRows = 200
	// mdMaxCell caps one cell, for the same reason.
	mdMaxCell = 200
)

func writeMarkdown(w io.Writer, inv *model.Inventory, opts Options) error {
	m := opts.Matches
	var b strings.Builder
	b.WriteString(mdHeading(m))

	target := mdCell(cmp.Or(inv.Source.Name, "unknown"))
	if inv.Source.Kind != "" {
		target += " (" + mdCell(inv.Source.Kind) + ")"
	}
	facts := []string{"**Target:** " + target}
	if os := cmp.Or(osPretty(inv), osName(inv)); os != "" {
		facts = append(facts, "**OS:** "+mdCell(os))
	}
	if m != nil {
		facts = append(facts, "**Database:** built "+m.Database.Built.UTC().Format("2006-01-02 15:04 UTC"))
		facts = append(facts, fmt.Sprintf("**Packages checked:** %d", m.Checked))
	}
	b.WriteString(strings.Join(facts, " · ") + "\n\n")

	if m == nil {
		b.WriteString("The packages were not matched against the vulnerability database: this report lists no vulnerabilities, and that says nothing about whether there are any.\n")
		mdNotes(&b, inv, nil)
		_, err := io.WriteString(w, b.String())
		return err
	}

	findings := sortedFindings(m)
	var active, suppressed []*model.Finding
	for _, f := range findings {
		if f.Suppressed != nil {
			suppressed = append(suppressed, f)
		} else {
			active = append(active, f)
		}
	}
	cut := false

	mdVerdict(&b, m, len(suppressed))
	if len(findings) == 0 {
		b.WriteString("No vulnerabilities found.\n")
	} else {
		mdSummary(&b, findings)
	}

	// Fix first: what fails the gate, then the other findings with a fix, most severe first.
	var first []*model.Finding
	for _, f := range active {
		if f.FailedRule != "" {
			first = append(first, f)
		}
	}
	for _, f := range active {
		if f.FailedRule == "" && fixable(f) {
			first = append(first, f)
		}
	}
	if len(first) > 0 {
		b.WriteString("\n### Fix first\n\n")
		cut = mdFindingTable(&b, first, mdFixFirstRows, "%d more finding(s) to fix are in the full list below.") || cut
	}

	if len(active) > 0 {
		title := fmt.Sprintf("All findings (%d)", len(active))
		if len(active) > mdDetailsAbove {
			b.WriteString("\n<details>\n<summary>" + title + "</summary>\n\n")
			cut = mdFindingTable(&b, active, mdMaxRows, "%d more finding(s) are not listed; the json format has them all.") || cut
			b.WriteString("\n</details>\n")
		} else {
			b.WriteString("\n### " + title + "\n\n")
			cut = mdFindingTable(&b, active, mdMaxRows, "%d more finding(s) are not listed; the json format has them all.") || cut
		}
	}

	if len(suppressed) > 0 {
		fmt.Fprintf(&b, "\n### Suppressed (%d)\n\n", len(suppressed))
		if !opts.ShowSuppressed {
			fmt.Fprintf(&b, "%d finding(s) covered by an exception or a VEX statement are not listed.\n", len(suppressed))
		} else {
			b.WriteString("| Severity | ID | Package | Installed | Reason |\n|---|---|---|---|---|\n")
			for i, f := range suppressed {
				if i == mdMaxRows {
					fmt.Fprintf(&b, "\n%d more suppressed finding(s) are not listed; the json format has them all.\n", len(suppressed)-mdMaxRows)
					break
				}
				c := []string{string(normSeverity(f.Severity)), mdIDCell(f), mdCell(f.Package), mdCell(f.Installed), mdCell(suppressionText(f.Suppressed))}
				cut = cut || mdCutAny(f.ID, f.Package, f.Installed, suppressionText(f.Suppressed))
				b.WriteString("| " + strings.Join(c, " | ") + " |\n")
			}
		}
	}

	mdNotes(&b, inv, m)
	if cut {
		fmt.Fprintf(&b, "\nCells longer than %d characters are cut (…); the json format has the full text.\n", mdMaxCell)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdHeading(m *model.Matches) string {
	switch {
	case m == nil:
		return "## hullscan: vulnerabilities not checked\n\n"
	case m.Verdict == nil:
		return "## hullscan: vulnerability report\n\n"
	case m.Verdict.Passed:
		return "## hullscan: gate passed\n\n"
	}
	return "## hullscan: gate failed\n\n"
}

func mdVerdict(b *strings.Builder, m *model.Matches, suppressed int) {
	v := m.Verdict
	if v == nil {
		if suppressed > 0 {
			fmt.Fprintf(b, "%d finding(s) suppressed by an exception or a VEX statement.\n\n", suppressed)
		}
		return
	}
	rules := make([]string, len(v.Rules))
	for i, r := range v.Rules {
		rules[i] = mdCell(r)
	}
	if len(rules) == 0 {
		rules = []string{"(none)"}
	}
	if v.Passed {
		fmt.Fprintf(b, "The gate **passed**: no finding fails its rules (%s).", strings.Join(rules, "; "))
	} else {
		fmt.Fprintf(b, "The gate **failed**: %d finding(s) fail its rules (%s).", v.Failing, strings.Join(rules, "; "))
	}
	fmt.Fprintf(b, " %d finding(s) suppressed by an exception or a VEX statement.\n\n", cmp.Or(v.Suppressed, suppressed))
	for _, e := range v.Expired {
		pkg := ""
		if e.Package != "" {
			pkg = " in " + mdCell(e.Package)
		}
		fmt.Fprintf(b, "- Expired exception: %s%s (owner %s, expired %s, %s) would cover %d finding(s): renew or remove it.\n",
			mdCell(e.ID), pkg, mdCell(e.Owner), mdCell(e.Expires), mdCell(e.Source), e.Matches)
	}
	if len(v.Expired) > 0 {
		b.WriteString("\n")
	}
}

// mdSummary counts findings by severity: all of them (suppressed included), and among them the fixable, the
// known exploited and the suppressed ones.
func mdSummary(b *strings.Builder, fs []*model.Finding) {
	type count struct{ all, fix, kev, sup int }
	by := map[model.Severity]*count{}
	var total count
	for _, f := range fs {
		s := normSeverity(f.Severity)
		c := by[s]
		if c == nil {
			c = &count{}
			by[s] = c
		}
		for _, c := range []*count{c, &total} {
			c.all++
			if fixable(f) {
				c.fix++
			}
			if f.KEV != nil {
				c.kev++
			}
			if f.Suppressed != nil {
				c.sup++
			}
		}
	}
	b.WriteString("| Severity | Findings | Fixable | Known exploited | Suppressed |\n|---|---:|---:|---:|---:|\n")
	for _, s := range severityOrder {
		if c := by[s]; c != nil {
			fmt.Fprintf(b, "| %s | %d | %d | %d | %d |\n", s, c.all, c.fix, c.kev, c.sup)
		}
	}
	fmt.Fprintf(b, "| **Total** | **%d** | **%d** | **%d** | **%d** |\n", total.all, total.fix, total.kev, total.sup)
}

// mdFindingTable writes up to max findings and says how many more there are; it reports whether a cell was cut.
func mdFindingTable(b *strings.Builder, fs []*model.Finding, max int, moreFormat string) bool {
	b.WriteString("| Severity | ID | Package | Installed | Fixed in | Layer |\n|---|---|---|---|---|---|\n")
	cut := false
	for i, f := range fs {
		if i == max {
			fmt.Fprintf(b, "\n"+moreFormat+"\n", len(fs)-max)
			break
		}
		sev := string(normSeverity(f.Severity))
		if f.FailedRule != "" {
			sev = "**" + sev + "** (fails gate)"
		}
		if f.KEV != nil {
			sev += " KEV"
		}
		layer := layerSentence(f.Layer)
		c := []string{sev, mdIDCell(f), mdCell(f.Package), mdCell(f.Installed), mdCell(fixCellText(f)), mdCell(layer)}
		cut = cut || mdCutAny(f.ID, f.Package, f.Installed, fixCellText(f), layer)
		b.WriteString("| " + strings.Join(c, " | ") + " |\n")
	}
	return cut
}

// mdIDCell is the id linked to its first reference when that is a usable http(s) URL.
func mdIDCell(f *model.Finding) string {
	id := mdCell(f.ID)
	if u := firstURL(f); u != "" {
		return "[" + id + "](" + mdURL(u) + ")"
	}
	return id
}

func mdNotes(b *strings.Builder, inv *model.Inventory, m *model.Matches) {
	var notes []string
	if m != nil {
		for _, u := range m.Unchecked {
			notes = append(notes, "**Not checked:** "+mdCell(uncheckedText(u)))
		}
		if m.SkippedDev > 0 {
			notes = append(notes, fmt.Sprintf("%d development-only dependencies were not matched.", m.SkippedDev))
		}
	}
	for _, warning := range allWarnings(inv, m) {
		notes = append(notes, "**Warning:** "+mdCell(warning))
	}
	if len(notes) == 0 {
		return
	}
	b.WriteString("\n")
	for _, n := range notes {
		b.WriteString("- " + n + "\n")
	}
}

// mdCutAny tells whether any of the texts is longer than a cell holds.
func mdCutAny(texts ...string) bool {
	for _, t := range texts {
		if utf8.RuneCountInString(plain(t)) > mdMaxCell {
			return true
		}
	}
	return false
}

var mdMentionRE = regexp.MustCompile(`@([A-Za-z0-9_])`)

// mdCell makes text safe for one table cell: no control characters or line breaks (they would end the row),
// "|" and "`" escaped, HTML special characters as entities (no tags or comments of the data's own), "@name"
// broken with a zero-width space so that package names like @types/node do not notify GitHub users, and at most
// mdMaxCell characters.
func mdCell(s string) string {
	return mdEscapeText(cutRunes(plain(s), mdMaxCell))
}

// mdEscapeText escapes plain text (see mdCell) without cutting it.
func mdEscapeText(s string) string {
	s = strings.NewReplacer(
		"&", "&amp;",
		"<", "&lt;",
		">", "&gt;",
		"|", `\|`,
		"`", "\\`",
		"\\", `\\`,
		"[", `\[`,
		"]", `\]`,
		"*", `\*`,
		"_", `\_`,
	).Replace(plain(s))
	return mdMentionRE.ReplaceAllString(s, "@&#8203;$1")
}

// mdURL escapes the characters that would end a Markdown link target early.
func mdURL(u string) string {
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E", "|", "%7C").Replace(u)
}

// osPretty is the OS's PRETTY_NAME, for humans; "" when unknown.
func osPretty(inv *model.Inventory) string {
	if inv.OS == nil {
		return ""
	}
	return inv.OS.Name
}
