package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/hullscan/hullscan/internal/model"
)

// findingColumns are the columns of the findings sections. GATE says "FAIL" for a finding that fails the gate:
// a word rather than a colour or a symbol, so that it survives pipes, CI logs, grep and colour blindness.
var findingColumns = []column{
	{header: "GATE", optional: true},
	{header: "SEVERITY"},
	{header: "ID", max: tableMaxCell},
	{header: "PACKAGE", max: tableMaxCell},
	{header: "INSTALLED", max: tableMaxCell},
	{header: "FIXED IN", max: tableMaxCell},
	{header: "EXPLOIT", optional: true},
}

const (
	failMark    = "FAIL"
	rowIndent   = "  "
	fixFirstMax = 10 // lines of the "Fix first" block
	fixFirstIDs = 5  // ids named on one "Fix first" line
	whereMax    = 40 // characters of a layer instruction named on a "Fix first" line
)

// findingStyles colour the GATE and SEVERITY cells (by column index); the rest of a row stays plain.
func findingStyles(f *model.Finding) []string {
	return []string{ansiBold + ansiRed, severityStyle(f.Severity)}
}

// writeVulnTable writes the findings of a scan as a list of what to do:
//
//   - a "Fix first" block: the upgrades that make the gate pass (or, when nothing fails, the fixable CRITICAL
//     and HIGH findings), one line per package upgrade, with the layer that brought the package in;
//   - one section per package database or lockfile (and, in an image, per layer), the section with the worst
//     finding first, its rows most severe first;
//   - a summary by severity, the suppressed findings counted, the gate's verdict, expired exceptions, and the
//     packages that could not be checked (never passed off as "no vulnerabilities").
//
// Suppressed findings (exceptions, VEX) are left out of the sections unless Options.ShowSuppressed; then they
// follow in a section of their own with the reason. Control characters in the data are replaced; ANSI colour
// only with Options.Color.
func writeVulnTable(w io.Writer, inv *model.Inventory, opts Options) error {
	m, showSuppressed := opts.Matches, opts.ShowSuppressed
	t := tableWriter{w: w, color: opts.Color}
	t.line(tableHeader(inv))
	t.line(fmt.Sprintf("database: %s (built %s)", clean(m.Database.Path), m.Database.Built.UTC().Format("2006-01-02 15:04 UTC")))

	var active, suppressed []*model.Finding
	for i := range m.Findings {
		if f := &m.Findings[i]; f.Suppressed != nil {
			suppressed = append(suppressed, f)
		} else {
			active = append(active, f)
		}
	}
	slices.SortStableFunc(active, compareUrgency)
	slices.SortStableFunc(suppressed, compareUrgency)
	listed := active
	if showSuppressed {
		listed = append(slices.Clone(active), suppressed...)
	}

	// One layout for all sections, so that the columns line up down the whole report.
	rows := make(map[*model.Finding][]string, len(listed))
	all := make([][]string, len(listed))
	for i, f := range listed {
		all[i] = findingRow(f)
		rows[f] = all[i]
	}
	l := fitColumns(findingColumns, all, len(rowIndent))
	truncated := l.cut
	image := isImage(inv.Source)

	// What to do first: the upgrades that clear the gate, then the fixable CRITICAL and HIGH findings that do not
	// fail it (the next thing a team should do), in one budget of fixFirstMax lines.
	failingPick, nextPick := fixFirstPicks(active)
	budget := fixFirstMax
	block := func(title string, pick []*model.Finding) {
		lines, more := fixFirst(pick, active, image, budget)
		if len(lines) == 0 {
			return
		}
		budget -= len(lines)
		t.line("")
		t.styled(title, ansiBold)
		for _, s := range lines {
			s, cut := truncate(s, tableMaxLine-len(rowIndent))
			truncated = truncated || cut
			t.line(rowIndent + s)
		}
		if more > 0 {
			t.line(fmt.Sprintf("%sand %d more %s below", rowIndent, more, plural(more, "package", "packages")))
		}
	}
	if len(failingPick) > 0 {
		block("Fix first: these fail the gate", failingPick)
		if budget > 0 {
			block("Then: fixable CRITICAL and HIGH findings", nextPick)
		}
	} else {
		block("Fix first: fixable CRITICAL and HIGH findings", nextPick)
	}

	for _, s := range groupSections(active) {
		heading, cut := s.heading(image)
		truncated = truncated || cut
		t.line("")
		t.styled(heading, ansiBold)
		t.row(rowIndent, l.header(), l, ansiDim, nil)
		for _, f := range s.findings {
			t.row(rowIndent, rows[f], l, "", findingStyles(f))
		}
	}
	if showSuppressed && len(suppressed) > 0 {
		t.line("")
		t.styled("Suppressed: reported, but not counted against the gate", ansiBold)
		t.row(rowIndent, l.header(), l, ansiDim, nil)
		for _, f := range suppressed {
			t.row(rowIndent, rows[f], l, "", findingStyles(f))
			// The reason is free text written by a person: it is kept whole, as warnings are.
			t.styled(rowIndent+rowIndent+suppressedWhy(f), ansiDim)
		}
	}

	t.line("")
	t.line(findingSummary(active, len(suppressed), m))
	if len(suppressed) > 0 {
		t.line(suppressedSummary(suppressed, showSuppressed))
	}
	for _, u := range m.Unchecked {
		t.styled(fmt.Sprintf("not checked: %d %s package(s): %s", u.Packages, clean(u.Ecosystem), clean(u.Reason)), ansiYellow)
	}
	if v := m.Verdict; v != nil {
		if v.Passed {
			t.styled(gateText(v, active), ansiGreen)
		} else {
			t.styled(gateText(v, active), ansiBold+ansiRed)
		}
		for _, e := range v.Expired {
			t.styled("warning: "+expiredText(e), ansiYellow)
		}
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

func findingRow(f *model.Finding) []string {
	gate := ""
	if f.FailedRule != "" {
		gate = failMark
	}
	return []string{
		gate,
		clean(cmp.Or(string(f.Severity), string(model.SeverityUnknown))),
		clean(f.ID),
		clean(f.Package),
		clean(f.Installed),
		clean(fixCellText(f)),
		clean(exploitCell(f)),
	}
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

// compareRisk orders findings by urgency: failing the gate first, then by severity, known exploitation, EPSS
// score, and a fix being available (what can be fixed now comes before what cannot).
func compareRisk(a, b *model.Finding) int {
	if c := trueFirst(a.FailedRule != "", b.FailedRule != ""); c != 0 {
		return c
	}
	if c := cmp.Compare(model.SeverityRank(b.Severity), model.SeverityRank(a.Severity)); c != 0 {
		return c
	}
	if c := trueFirst(a.KEV != nil, b.KEV != nil); c != 0 {
		return c
	}
	if c := cmp.Compare(epssScore(b), epssScore(a)); c != 0 {
		return c
	}
	return trueFirst(a.Status == model.StatusFixed, b.Status == model.StatusFixed)
}

// compareUrgency is compareRisk with tie-breakers, so that the order never depends on the input's.
func compareUrgency(a, b *model.Finding) int {
	if c := compareRisk(a, b); c != 0 {
		return c
	}
	for _, f := range [][2]string{
		{a.Package, b.Package}, {a.Installed, b.Installed}, {a.ID, b.ID}, {a.PackageID, b.PackageID},
		{a.Location, b.Location}, {layerKey(a.Layer), layerKey(b.Layer)}, {a.FixedVersion, b.FixedVersion},
	} {
		if c := strings.Compare(f[0], f[1]); c != 0 {
			return c
		}
	}
	return 0
}

func trueFirst(a, b bool) int {
	switch {
	case a && !b:
		return -1
	case b && !a:
		return 1
	}
	return 0
}

func epssScore(f *model.Finding) float64 {
	if f.EPSS == nil {
		return -1
	}
	return f.EPSS.Score
}

// findingSection is the findings of one package database or lockfile in one layer.
type findingSection struct {
	layer     *model.LayerRef
	location  string
	ecosystem model.Ecosystem
	findings  []*model.Finding // most urgent first
}

// groupSections groups sorted findings by layer, location and ecosystem; the section whose worst finding is the
// most urgent comes first.
func groupSections(sorted []*model.Finding) []*findingSection {
	byKey := map[string]*findingSection{}
	var out []*findingSection
	for _, f := range sorted {
		k := layerKey(f.Layer) + "\x00" + f.Location + "\x00" + string(f.Ecosystem)
		s := byKey[k]
		if s == nil {
			s = &findingSection{layer: f.Layer, location: f.Location, ecosystem: f.Ecosystem}
			byKey[k] = s
			out = append(out, s)
		}
		s.findings = append(s.findings, f)
	}
	slices.SortStableFunc(out, func(a, b *findingSection) int {
		if c := compareRisk(a.findings[0], b.findings[0]); c != 0 {
			return c
		}
		if c := strings.Compare(layerKey(a.layer), layerKey(b.layer)); c != 0 {
			return c
		}
		if c := strings.Compare(a.location, b.location); c != 0 {
			return c
		}
		return strings.Compare(string(a.ecosystem), string(b.ecosystem))
	})
	return out
}

// heading is "layer 1 sha256:fed9dc0c5901 RUN apt-get install … — /var/lib/dpkg/status (deb)"; without a layer
// (directories, root file systems) it is the location alone. The instruction is cut to keep the line short; cut
// says whether it was.
func (s *findingSection) heading(image bool) (heading string, cut bool) {
	where := cmp.Or(clean(s.location), "unknown location")
	if s.ecosystem != "" {
		where += " (" + clean(string(s.ecosystem)) + ")"
	}
	if s.layer == nil {
		if image {
			return "layer unknown — " + where, false
		}
		return where, false
	}
	head := fmt.Sprintf("layer %d", s.layer.Index)
	if d := shortDigest(cmp.Or(s.layer.DiffID, s.layer.Digest)); d != "" {
		head += " " + clean(d)
	}
	tail := " — " + where
	room := tableMaxLine - utf8.RuneCountInString(head) - 1 - utf8.RuneCountInString(tail)
	instr, cut := truncate(clean(shortCreatedBy(s.layer.CreatedBy)), max(room, tableMinLayer))
	if instr != "" {
		head += " " + instr
	}
	return head + tail, cut
}

// shortDigest shortens "sha256:<64 hex>" to its first 12 hex digits, as docker does: enough to tell layers
// apart on screen (the json format has the full digest).
func shortDigest(d string) string {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return algo + ":" + hex[:12]
}

// fixFirst returns the lines of a "Fix first" block: one per package upgrade of the picked findings (see
// fixFirstPicks), at most max lines, and how many more there are. pick must be sorted by compareUrgency: the
// lines come out most urgent first.
//
// An upgrade that fixes several findings is one line. Their fixed versions can differ; report has no version
// ordering (each ecosystem has its own rules, in the matcher), so it uses the matcher's UpgradeTo, the highest of
// them: "lodash 4.17.15 → 4.17.21 fixes CVE-2021-23337, CVE-2020-8203". Findings without it (from another
// matcher, or whose versions did not compare) name each distinct fixed version with the ids it fixes, the most
// urgent first, rather than guess a maximum with the wrong rules.
func fixFirst(pick, active []*model.Finding, image bool, max int) (lines []string, more int) {
	type target struct {
		f       *model.Finding // the most urgent finding with this fix
		version string         // the version to upgrade to
		ids     []string
	}
	type upgrade struct {
		f       *model.Finding // the most urgent finding of the package
		targets []*target
		byKey   map[string]*target
	}
	pkgKey := func(f *model.Finding) string {
		return strings.Join([]string{string(f.Ecosystem), f.Package, f.Installed, f.Location, layerKey(f.Layer)}, "\x00")
	}
	// The other findings the same upgrade fixes (lower in urgency, not picked) are counted, so the line does
	// not make a larger upgrade look arbitrary: "→ 1.6.0 fixes CVE-2021-3749 and 1 more finding".
	picked := map[*model.Finding]bool{}
	for _, f := range pick {
		picked[f] = true
	}
	alsoFixed := map[string]int{}
	for _, f := range active {
		if !picked[f] && f.Status == model.StatusFixed && f.UpgradeTo != "" {
			alsoFixed[pkgKey(f)+"\x00"+f.UpgradeTo]++
		}
	}
	byPkg := map[string]*upgrade{}
	var ups []*upgrade
	for _, f := range pick {
		k := pkgKey(f)
		u := byPkg[k]
		if u == nil {
			u = &upgrade{f: f, byKey: map[string]*target{}}
			byPkg[k] = u
			ups = append(ups, u)
		}
		// The matcher names the one upgrade that fixes every fixable finding of the package (UpgradeTo); without
		// it each fixed version stands alone.
		version := cmp.Or(f.UpgradeTo, f.FixedVersion)
		tk := string(f.Status) + "\x00" + version
		tg := u.byKey[tk]
		if tg == nil {
			tg = &target{f: f, version: version}
			u.byKey[tk] = tg
			u.targets = append(u.targets, tg)
		}
		if !slices.Contains(tg.ids, f.ID) {
			tg.ids = append(tg.ids, f.ID)
		}
	}
	if len(ups) > max {
		more = len(ups) - max
		ups = ups[:max]
	}
	for _, u := range ups {
		var parts []string
		for _, tg := range u.targets {
			ids := idList(tg.ids)
			switch tg.f.Status {
			case model.StatusFixed:
				part := "→ " + clean(tg.version) + " fixes " + ids
				if n := alsoFixed[pkgKey(tg.f)+"\x00"+tg.f.UpgradeTo]; tg.f.UpgradeTo != "" && n > 0 {
					part += fmt.Sprintf(" and %d more %s", n, plural(n, "finding", "findings"))
				}
				parts = append(parts, part)
			case model.StatusWontFix:
				parts = append(parts, "will not be fixed: "+ids)
			default:
				parts = append(parts, "no fix yet for "+ids)
			}
		}
		sep := " "
		if !strings.HasPrefix(parts[0], "→") {
			sep = ": "
		}
		s := clean(u.f.Package) + " " + clean(u.f.Installed) + sep + strings.Join(parts, "; ")
		lines = append(lines, s+" ("+fixWhere(u.f, image)+")")
	}
	return lines, more
}

// fixFirstPicks splits the unsuppressed findings into those that fail the gate and the fixable CRITICAL and HIGH
// ones that do not.
func fixFirstPicks(active []*model.Finding) (failing, next []*model.Finding) {
	for _, f := range active {
		switch {
		case f.FailedRule != "":
			failing = append(failing, f)
		case f.Status == model.StatusFixed && model.SeverityRank(f.Severity) >= model.SeverityRank(model.SeverityHigh):
			next = append(next, f)
		}
	}
	return failing, next
}

// idList names at most fixFirstIDs ids, and how many more.
func idList(ids []string) string {
	cleaned := make([]string, 0, min(len(ids), fixFirstIDs))
	for _, id := range ids[:min(len(ids), fixFirstIDs)] {
		cleaned = append(cleaned, clean(id))
	}
	s := strings.Join(cleaned, ", ")
	if n := len(ids) - fixFirstIDs; n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}

// fixWhere says where the package came from: "layer 3 COPY app /app, /app/package-lock.json".
func fixWhere(f *model.Finding, image bool) string {
	loc := cmp.Or(clean(f.Location), "unknown location")
	switch {
	case f.Layer != nil:
		instr, _ := truncate(clean(shortCreatedBy(f.Layer.CreatedBy)), whereMax)
		return strings.TrimSpace(fmt.Sprintf("layer %d %s", f.Layer.Index, instr)) + ", " + loc
	case image:
		return "layer unknown, " + loc
	}
	return loc
}

// suppressedWhy is "exception accepted-risk: reason (owner …, expires …, source)": who suppressed the finding, how,
// and why.
func suppressedWhy(f *model.Finding) string {
	kind := f.Suppressed.Kind
	if kind == model.SuppressedByVEX {
		kind = "VEX"
	}
	return clean(collapseSpace(cmp.Or(kind, "suppressed") + " " + suppressionText(f.Suppressed)))
}

// findingSummary is "10 vulnerabilities in 200 packages checked: 1 CRITICAL (1 fixable, 1 KEV), ...", counting
// the findings listed above (not the suppressed ones). With none, it never says "no vulnerabilities" alone when
// packages could not be checked or findings were suppressed.
func findingSummary(active []*model.Finding, suppressed int, m *model.Matches) string {
	if len(active) > 0 || suppressed > 0 {
		return severitySummary(active, m.Checked)
	}
	unchecked := 0
	for _, u := range m.Unchecked {
		unchecked += u.Packages
	}
	s := fmt.Sprintf("no vulnerabilities found in %d %s checked", m.Checked, plural(m.Checked, "package", "packages"))
	if m.Checked == 0 {
		s = "no packages were checked for vulnerabilities"
	}
	if unchecked > 0 {
		s += fmt.Sprintf(", but %d %s could not be checked:", unchecked, plural(unchecked, "package", "packages"))
	}
	return s
}

// severitySummary counts findings by severity, with how many have a fix and how many are known exploited.
func severitySummary(fs []*model.Finding, checked int) string {
	type count struct{ all, fixable, kev int }
	by := map[model.Severity]*count{}
	for _, f := range fs {
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
	head := fmt.Sprintf("%d %s in %d packages checked", len(fs), plural(len(fs), "vulnerability", "vulnerabilities"), checked)
	if len(parts) == 0 {
		return head
	}
	return head + ": " + strings.Join(parts, ", ")
}

// suppressedSummary is "2 suppressed, not counted above: 1 by exception, 1 by VEX — --show-suppressed lists them".
func suppressedSummary(suppressed []*model.Finding, shown bool) string {
	by := map[string]int{}
	var kinds []string
	for _, f := range suppressed {
		k := f.Suppressed.Kind
		if by[k] == 0 {
			kinds = append(kinds, k)
		}
		by[k]++
	}
	slices.Sort(kinds)
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		switch k {
		case model.SuppressedByException:
			parts[i] = fmt.Sprintf("%d by %s", by[k], plural(by[k], "exception", "exceptions"))
		case model.SuppressedByVEX:
			parts[i] = fmt.Sprintf("%d by VEX", by[k])
		default:
			parts[i] = fmt.Sprintf("%d by %s", by[k], clean(cmp.Or(k, "unknown")))
		}
	}
	s := fmt.Sprintf("%d suppressed, not counted above: %s", len(suppressed), strings.Join(parts, ", "))
	if shown {
		return s + " — listed under Suppressed"
	}
	return s + " — --show-suppressed lists them"
}

// gateText is the verdict: `gate: FAILED — 1 finding (marked FAIL) matches "severity CRITICAL, fixable"` or
// `gate: passed — no finding matches "severity CRITICAL, fixable"`.
func gateText(v *model.Verdict, active []*model.Finding) string {
	quoted := make([]string, len(v.Rules))
	for i, r := range v.Rules {
		quoted[i] = fmt.Sprintf("%q", clean(r))
	}
	rules := strings.Join(quoted, " or ")
	if v.Passed {
		if len(quoted) == 0 {
			return "gate: passed (no fail rules)"
		}
		return "gate: passed — no finding matches " + rules
	}
	// Count by the rule each marked finding fails; the verdict's own count stands in when none is marked.
	by := map[string]int{}
	var failed []string
	for _, f := range active {
		if f.FailedRule == "" {
			continue
		}
		if by[f.FailedRule] == 0 {
			failed = append(failed, f.FailedRule)
		}
		by[f.FailedRule]++
	}
	if len(failed) == 0 {
		return fmt.Sprintf("gate: FAILED — %d %s %s", v.Failing, plural(v.Failing, "finding matches", "findings match"), rules)
	}
	slices.Sort(failed)
	total := 0
	parts := make([]string, len(failed))
	for i, r := range failed {
		total += by[r]
		parts[i] = fmt.Sprintf("%q", clean(r))
		if len(failed) > 1 {
			parts[i] = fmt.Sprintf("%d %s", by[r], parts[i])
		}
	}
	return fmt.Sprintf("gate: FAILED — %d %s (marked %s) %s %s", total, plural(total, "finding", "findings"), failMark,
		plural(total, "matches", "match"), strings.Join(parts, ", "))
}

// expiredText describes an expired exception: "exception CVE-1 for qs (owner team-web, exceptions.yaml:10) expired
// 2026-10-31: 1 finding counts again — renew or remove it".
func expiredText(e model.ExpiredException) string {
	what := clean(e.ID)
	if e.Package != "" {
		what += " for " + clean(e.Package)
	}
	s := fmt.Sprintf("exception %s (owner %s, %s) expired %s", what, clean(cmp.Or(e.Owner, "unknown")),
		clean(cmp.Or(e.Source, "source unknown")), clean(e.Expires))
	if e.Matches > 0 {
		s += fmt.Sprintf(": %d %s again", e.Matches, plural(e.Matches, "finding counts", "findings count"))
	} else {
		s += " and matches nothing"
	}
	return s + " — renew or remove it"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// cdxVulnerabilities writes one CycloneDX vulnerability per id, affecting every package it was found in; the
// aliases are its references, the ratings every source's, the fix a recommendation. A CycloneDX analysis (the VEX
// part) belongs to the vulnerability as a whole, so packages whose finding is suppressed, each suppression kind
// apart, get a vulnerability entry of their own carrying it: the BOM says which packages are affected and which
// were declared not affected, by whom and why.
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
		key, vref := f.ID, "vuln:"+f.ID
		analysis := cdxAnalysis(f.Suppressed)
		if analysis != nil {
			key = f.ID + "\x00" + fmt.Sprint(*f.Suppressed)
			vref = fmt.Sprintf("vuln:%s:%s:%s", f.ID, f.Suppressed.Kind, f.Suppressed.Classification)
		}
		a, ok := byID[key]
		if !ok {
			a = &acc{ratings: map[string]bool{}}
			a.v = cdx.Vulnerability{
				BOMRef:      vref,
				Analysis:    analysis,
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
			byID[key] = a
			order = append(order, key)
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
		status := cdx.VulnerabilityStatusAffected
		if analysis != nil && (analysis.State == cdx.IASNotAffected || analysis.State == cdx.IASResolved || analysis.State == cdx.IASFalsePositive) {
			status = cdx.VulnerabilityStatusNotAffected
		}
		a.affects = append(a.affects, cdx.Affects{Ref: ref, Range: &[]cdx.AffectedVersions{{Version: f.Installed, Status: status}}})
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

// openVEXToCDX maps OpenVEX justifications to the nearest CycloneDX ones; the OpenVEX word stays in the detail.
var openVEXToCDX = map[string]cdx.ImpactAnalysisJustification{
	"component_not_present":                             cdx.IAJCodeNotPresent,
	"vulnerable_code_not_present":                       cdx.IAJCodeNotPresent,
	"vulnerable_code_not_in_execute_path":               cdx.IAJCodeNotReachable,
	"vulnerable_code_cannot_be_controlled_by_adversary": cdx.IAJProtectedByMitigatingControl,
	"inline_mitigations_already_exist":                  cdx.IAJProtectedByMitigatingControl,
}

var cdxJustifications = map[cdx.ImpactAnalysisJustification]bool{
	cdx.IAJCodeNotPresent: true, cdx.IAJCodeNotReachable: true, cdx.IAJRequiresConfiguration: true, cdx.IAJRequiresDependency: true,
	cdx.IAJRequiresEnvironment: true, cdx.IAJProtectedByCompiler: true, cdx.IAJProtectedAtRuntime: true,
	cdx.IAJProtectedAtPerimeter: true, cdx.IAJProtectedByMitigatingControl: true,
}

// cdxAnalysis states a suppression as a CycloneDX impact analysis: VEX not_affected and fixed as not_affected
// and resolved; a false-positive exception as false_positive; an accepted risk or a scheduled fix as exploitable
// with the response will_not_fix (for now) or update — they are real, someone answers for them.
func cdxAnalysis(s *model.Suppression) *cdx.VulnerabilityAnalysis {
	if s == nil {
		return nil
	}
	a := &cdx.VulnerabilityAnalysis{Detail: suppressionText(s)}
	switch s.Classification {
	case "not_affected":
		a.State = cdx.IASNotAffected
	case "fixed":
		a.State = cdx.IASResolved
	case "false-positive":
		a.State = cdx.IASFalsePositive
	case "accepted-risk":
		a.State, a.Response = cdx.IASExploitable, &[]cdx.ImpactAnalysisResponse{cdx.IARWillNotFix}
	case "fix-scheduled":
		a.State, a.Response = cdx.IASExploitable, &[]cdx.ImpactAnalysisResponse{cdx.IARUpdate}
	default:
		a.State = cdx.IASInTriage
	}
	if a.State == cdx.IASNotAffected {
		if j, ok := openVEXToCDX[s.Justification]; ok {
			a.Justification = j
		} else if cdxJustifications[cdx.ImpactAnalysisJustification(s.Justification)] {
			a.Justification = cdx.ImpactAnalysisJustification(s.Justification)
		}
	}
	return a
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
func sourceName(id string) string { return model.SourceOf(id).Name }
