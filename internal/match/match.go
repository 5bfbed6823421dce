package match

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/vulndb"
)

// Options are the matching step's choices.
type Options struct {
	// IncludeDev keeps development- and test-only dependencies (excluded by default: they do not ship).
	IncludeDev bool
}

// Match looks every package of inv up in db.
func Match(db *vulndb.DB, inv *model.Inventory, opts Options) (*model.Matches, error) {
	meta := db.Meta()
	m := &matcher{db: db, res: &model.Matches{Findings: []model.Finding{},
		Database: model.DatabaseInfo{Path: db.Path(), Built: meta.Built, Schema: meta.SchemaVersion}}, unchecked: map[[2]string]int{}, advs: map[string]*vulndb.Advisory{}}
	for i := range inv.Packages {
		p := &inv.Packages[i]
		if p.Dev && !opts.IncludeDev {
			m.res.SkippedDev++
			continue
		}
		if p.OSPackage != "" {
			m.res.SkippedOSOwned++
			continue
		}
		q, reason := queryFor(p, inv.OS)
		if reason == "" && !db.HasEcosystem(q.base) && !(q.base == "Debian" && db.HasTracker()) {
			reason = fmt.Sprintf("the database has no %s advisories", q.base)
		}
		if reason != "" {
			m.unchecked[[2]string{string(p.Ecosystem), reason}]++
			continue
		}
		m.res.Checked++
		if err := m.pkg(p, q, inv.OS); err != nil {
			return nil, err
		}
	}
	coverOwned(m.res.Findings, inv.Packages)
	for k, n := range m.unchecked {
		m.res.Unchecked = append(m.res.Unchecked, model.Unchecked{Ecosystem: k[0], Reason: k[1], Packages: n})
	}
	sort.Slice(m.res.Unchecked, func(i, j int) bool {
		a, b := m.res.Unchecked[i], m.res.Unchecked[j]
		return a.Ecosystem+a.Reason < b.Ecosystem+b.Reason
	})
	sortFindings(m.res.Findings)
	return m.res, nil
}

// coverOwned says, on each finding of an OS package, which language packages that OS package installed: they are
// not matched against upstream advisories (the distribution backports fixes into them), so this finding is
// theirs too.
func coverOwned(fs []model.Finding, pkgs []model.Package) {
	owned := map[string][]string{}
	for _, p := range pkgs {
		if p.OSPackage != "" {
			owned[p.OSPackage] = append(owned[p.OSPackage], fmt.Sprintf("%s %s %s", p.Ecosystem, p.Name, p.Version))
		}
	}
	if len(owned) == 0 {
		return
	}
	for i := range fs {
		f := &fs[i]
		list := owned[string(f.Ecosystem)+":"+f.Package]
		if len(list) == 0 {
			continue
		}
		sort.Strings(list)
		note := "covers the language packages it installed: " + strings.Join(dedupeSorted(list), ", ")
		if f.MatchedAs != "" {
			f.MatchedAs += "; " + note
		} else {
			f.MatchedAs = note
		}
	}
}

// sortFindings puts what to fix first on top: severity, then KEV, then package and id.
func sortFindings(fs []model.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if ra, rb := model.SeverityRank(a.Severity), model.SeverityRank(b.Severity); ra != rb {
			return ra > rb
		}
		if (a.KEV != nil) != (b.KEV != nil) {
			return a.KEV != nil
		}
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		if a.Installed != b.Installed {
			return a.Installed < b.Installed
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Location < b.Location
	})
}

type matcher struct {
	db        *vulndb.DB
	res       *model.Matches
	unchecked map[[2]string]int
	advs      map[string]*vulndb.Advisory // cache: one image has many packages of one source
}

// hit is one matching advisory entry.
type hit struct {
	entry   vulndb.Affected
	verdict verdict
	adv     *vulndb.Advisory
}

func (m *matcher) advisory(id string) (*vulndb.Advisory, error) {
	if a, ok := m.advs[id]; ok {
		return a, nil
	}
	a, ok, err := m.db.Advisory(id)
	if err != nil {
		return nil, err
	}
	if !ok {
		a = vulndb.Advisory{ID: id}
	}
	m.advs[id] = &a
	return &a, nil
}

func (m *matcher) pkg(p *model.Package, q query, os *model.OS) error {
	entries, err := m.db.Affected(q.base, q.name)
	if err != nil {
		return err
	}
	var hits []hit
	for _, e := range entries {
		if !q.accepts(e.Ecosystem) {
			continue
		}
		v, err := evaluate(q.base, q.version, e)
		if err != nil {
			m.res.Warnings = append(m.res.Warnings, fmt.Sprintf("%s %s (%s): advisory %s not evaluated: %v", p.Name, p.Version, p.Location, e.ID, err))
			continue
		}
		if !v.affected {
			continue
		}
		adv, err := m.advisory(e.ID)
		if err != nil {
			return err
		}
		hits = append(hits, hit{entry: e, verdict: v, adv: adv})
	}
	findings, err := m.group(p, q, hits)
	if err != nil {
		return err
	}
	if q.base == "Debian" && m.db.HasTracker() {
		findings, err = m.applyTracker(p, q, os, findings)
		if err != nil {
			return err
		}
	}
	m.upgradeTo(p, q, findings)
	m.res.Findings = append(m.res.Findings, findings...)
	return nil
}

// upgradeTo sets, on each fixed finding of one package, the highest of their fixed versions under the
// ecosystem's ordering: the one upgrade that leaves every fixable finding. Versions that do not compare leave it
// unset, rather than guessed.
func (m *matcher) upgradeTo(p *model.Package, q query, fs []model.Finding) {
	best := ""
	for i := range fs {
		f := &fs[i]
		if f.Status != model.StatusFixed || f.FixedVersion == "" {
			continue
		}
		if best == "" {
			best = f.FixedVersion
			continue
		}
		c, err := compareIn("ECOSYSTEM", q.base, f.FixedVersion, best)
		if err != nil {
			m.res.Warnings = append(m.res.Warnings, fmt.Sprintf("%s %s (%s): fixed versions %s and %s do not compare: %v", p.Name, p.Version, p.Location, f.FixedVersion, best, err))
			return
		}
		if c > 0 {
			best = f.FixedVersion
		}
	}
	for i := range fs {
		if fs[i].Status == model.StatusFixed && fs[i].FixedVersion != "" {
			fs[i].UpgradeTo = best
		}
	}
}

// cves lists the CVE ids among an advisory's id and aliases.
func cves(a *vulndb.Advisory) []string {
	var out []string
	for _, id := range append([]string{a.ID}, a.Aliases...) {
		if strings.HasPrefix(id, "CVE-") && !containsStr(out, id) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// group turns the matching advisories of one package into one finding per vulnerability. An advisory naming
// one CVE is that CVE's; an advisory naming several (a DSA fixing five CVEs) counts for each of them; advisories
// without a CVE are joined when they alias each other (a GHSA and a PYSEC record), under the first id.
func (m *matcher) group(p *model.Package, q query, hits []hit) ([]model.Finding, error) {
	type group struct {
		id   string
		hits []hit
	}
	groups := map[string]*group{}
	var order []string
	add := func(key string, h hit) {
		g, ok := groups[key]
		if !ok {
			g = &group{id: key}
			groups[key] = g
			order = append(order, key)
		}
		g.hits = append(g.hits, h)
	}
	var noCVE []hit
	for _, h := range hits {
		cs := cves(h.adv)
		if len(cs) == 0 {
			noCVE = append(noCVE, h)
			continue
		}
		for _, c := range cs {
			add(c, h)
		}
	}
	// Non-CVE advisories: join the group of any id they alias, else form groups among themselves.
	for _, h := range noCVE {
		key := ""
		for _, id := range append([]string{h.adv.ID}, h.adv.Aliases...) {
			if _, ok := groups[id]; ok {
				key = id
				break
			}
			for k, g := range groups {
				for _, gh := range g.hits {
					if gh.adv.ID == id || containsStr(gh.adv.Aliases, h.adv.ID) {
						key = k
					}
				}
			}
			if key != "" {
				break
			}
		}
		if key == "" {
			key = h.adv.ID
		}
		add(key, h)
	}
	sort.Strings(order)
	out := make([]model.Finding, 0, len(order))
	for _, key := range order {
		f, err := m.finding(p, q, key, groups[key].hits)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// finding builds the finding for vulnerability id in package p from the advisory entries that matched.
func (m *matcher) finding(p *model.Package, q query, id string, hits []hit) (model.Finding, error) {
	f := model.Finding{
		ID:        id,
		PackageID: p.ID,
		Package:   p.Name,
		Ecosystem: p.Ecosystem,
		Installed: p.Version,
		PURL:      p.PURL,
		Location:  p.Location,
		Layer:     p.Layer,
		MatchedAs: q.matchedAs,
		Status:    model.StatusFixed,
	}
	aliases := map[string]bool{}
	refs := map[string]bool{}
	var entryRatings, advRatings []model.Rating
	for _, h := range hits {
		f.Advisories = append(f.Advisories, h.adv.ID)
		aliases[h.adv.ID] = true
		if len(cves(h.adv)) <= 1 {
			// An advisory about this one vulnerability: its other ids are this vulnerability's too.
			for _, a := range h.adv.Aliases {
				aliases[a] = true
			}
			advRatings = append(advRatings, h.adv.Ratings...)
			if f.Title == "" {
				f.Title = h.adv.Summary
			}
		}
		entryRatings = append(entryRatings, h.entry.Ratings...)
		if !h.adv.Published.IsZero() && (f.Published == nil || h.adv.Published.Before(*f.Published)) {
			t := h.adv.Published
			f.Published = &t
		}
		for _, r := range h.adv.References {
			if !refs[r] {
				refs[r] = true
				f.References = append(f.References, r)
			}
		}
		switch {
		case h.verdict.fixed == "":
			f.Status = model.StatusNotFixed
		case f.FixedVersion == "":
			f.FixedVersion = h.verdict.fixed
		default:
			// Several advisories for one vulnerability: the upgrade must leave all of them.
			if c, err := compareIn("ECOSYSTEM", q.base, h.verdict.fixed, f.FixedVersion); err == nil && c > 0 {
				f.FixedVersion = h.verdict.fixed
			}
		}
	}
	if f.Status == model.StatusNotFixed {
		f.FixedVersion = ""
	}
	if f.Title == "" && len(hits) > 0 {
		f.Title = hits[0].adv.Summary
	}
	delete(aliases, id)
	for a := range aliases {
		f.Aliases = append(f.Aliases, a)
	}
	sort.Strings(f.Aliases)
	sort.Strings(f.Advisories)
	f.Advisories = dedupeSorted(f.Advisories)

	// Ratings: the ecosystem's own for this package first, then the matched advisories', then every other
	// advisory in the database that names this CVE (a DSA carries no score; the GHSA for the same CVE does).
	ratings := append(entryRatings, advRatings...)
	if strings.HasPrefix(id, "CVE-") {
		others, err := m.db.AdvisoriesFor(id)
		if err != nil {
			return f, err
		}
		for _, o := range others {
			if containsStr(f.Advisories, o) {
				continue
			}
			a, err := m.advisory(o)
			if err != nil {
				return f, err
			}
			if len(cves(a)) <= 1 {
				ratings = append(ratings, a.Ratings...)
			}
		}
		if f.KEV, err = m.db.KEV(id); err != nil {
			return f, err
		}
		if f.EPSS, err = m.db.EPSS(id); err != nil {
			return f, err
		}
	}
	f.Ratings = dedupeRatings(ratings)
	f.Severity = model.SeverityUnknown
	if r, ok := vulndb.PrimaryRating(f.Ratings); ok {
		f.Severity, f.SeveritySource = r.Severity, r.Source
	}
	if r, ok := vulndb.BestCVSS(f.Ratings); ok {
		f.CVSSScore, f.CVSSVector = r.Score, r.Vector
	}
	return f, nil
}

func dedupeSorted(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func dedupeRatings(rs []model.Rating) []model.Rating {
	seen := map[model.Rating]bool{}
	var out []model.Rating
	for _, r := range rs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}
