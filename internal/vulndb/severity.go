package vulndb

import (
	"encoding/json"
	"strings"

	cvss20 "github.com/pandatix/go-cvss/20"
	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"
	cvss40 "github.com/pandatix/go-cvss/40"

	"github.com/hullscan/hullscan/internal/model"
)

// cvssRating parses a CVSS vector (v2, v3.0, v3.1 or v4.0) and computes its base score with go-cvss, a maintained
// implementation of the FIRST specifications. ok is false for a vector that does not parse.
func cvssRating(source, vector string) (r model.Rating, ok bool) {
	defer func() {
		// A library reading hostile vectors must not end a database build.
		if recover() != nil {
			r, ok = model.Rating{}, false
		}
	}()
	v := strings.TrimSpace(vector)
	r = model.Rating{Source: source, Vector: v}
	switch {
	case strings.HasPrefix(v, "CVSS:4.0/"):
		c, err := cvss40.ParseVector(v)
		if err != nil {
			return model.Rating{}, false
		}
		// go-cvss scores v4 vectors with every metric they carry (CVSS-BT, -BE, -BTE): a RustSec vector ending
		// "/E:U" scores 1.7 where its base score is 6.3. Threat and environmental metrics reset to X (not
		// defined) leave the base score, as v2's and v3's BaseScore give; the vector is kept as written.
		for _, m := range cvss40NonBase {
			if err := c.Set(m, "X"); err != nil {
				return model.Rating{}, false
			}
		}
		r.Method, r.Score = "CVSSv4", c.Score()
	case strings.HasPrefix(v, "CVSS:3.1/"):
		c, err := cvss31.ParseVector(v)
		if err != nil {
			return model.Rating{}, false
		}
		r.Method, r.Score = "CVSSv3", c.BaseScore()
	case strings.HasPrefix(v, "CVSS:3.0/"):
		c, err := cvss30.ParseVector(v)
		if err != nil {
			return model.Rating{}, false
		}
		r.Method, r.Score = "CVSSv3", c.BaseScore()
	default:
		// CVSS v2 vectors carry no prefix; some feeds wrap them in parentheses or write "CVSS:2.0/".
		v2 := strings.TrimPrefix(strings.Trim(v, "()"), "CVSS:2.0/")
		c, err := cvss20.ParseVector(v2)
		if err != nil {
			return model.Rating{}, false
		}
		r.Method, r.Score, r.Vector = "CVSSv2", c.BaseScore(), v2
	}
	r.Severity = scoreSeverity(r.Method, r.Score)
	return r, true
}

// cvss40NonBase are the CVSS v4.0 threat and environmental metrics, which change the score (the supplemental ones
// do not).
var cvss40NonBase = []string{"E", "CR", "IR", "AR", "MAV", "MAC", "MAT", "MPR", "MUI", "MVC", "MVI", "MVA", "MSC", "MSI", "MSA"}

// scoreSeverity maps a base score to the qualitative scale: CVSS v3 and v4 define NONE (0.0), LOW, MEDIUM, HIGH and
// CRITICAL; v2 defines no scale of its own, and NVD's (LOW < 4.0 ≤ MEDIUM < 7.0 ≤ HIGH) is the one in use. A 0.0
// score (no impact) is reported UNKNOWN rather than LOW: hullscan has no NONE, and LOW would claim an impact.
func scoreSeverity(method string, score float64) model.Severity {
	switch {
	case score <= 0:
		return model.SeverityUnknown
	case score < 4.0:
		return model.SeverityLow
	case score < 7.0:
		return model.SeverityMedium
	case method == "CVSSv2" || score < 9.0:
		return model.SeverityHigh
	}
	return model.SeverityCritical
}

// wordSeverity reads the qualitative words feeds use.
func wordSeverity(w string) (model.Severity, bool) {
	switch strings.ToLower(strings.TrimSpace(w)) {
	case "negligible", "unimportant", "low":
		return model.SeverityLow, true
	case "medium", "moderate":
		return model.SeverityMedium, true
	case "high", "important":
		return model.SeverityHigh, true
	case "critical":
		return model.SeverityCritical, true
	}
	return "", false
}

// sourceOf names who wrote an advisory, from its id's prefix. A CVE-id record is not NVD's: RubyGems' converted
// records and others use CVE ids, so "cve" says only that the id is a CVE.
func sourceOf(id string) string { return model.SourceOf(id).Key }

// ecosystemSource names the source of a rating an affected entry gives, from its ecosystem: "Debian:12" → "debian",
// "Red Hat:enterprise_linux:9" → "redhat", "openSUSE:Leap 15.5" → "suse".
func ecosystemSource(eco string) string {
	s := strings.ToLower(strings.ReplaceAll(EcosystemBase(eco), " ", ""))
	if s == "opensuse" {
		return "suse"
	}
	return s
}

// distributionSources are the sources whose own rating a finding prefers (with GHSA's), as the issue asks: they
// rate the vulnerability for the code they ship. Names are sourceOf's and ecosystemSource's.
var distributionSources = map[string]bool{
	"debian": true, "ubuntu": true, "alpine": true, "redhat": true, "suse": true, "wolfi": true, "chainguard": true,
	"rockylinux": true, "almalinux": true, "mageia": true, "photonos": true, "azurelinux": true, "openeuler": true,
	"ghsa": true,
}

// advisoryRatings lists every rating an OSV record gives at its top level, the record's own qualitative ratings
// first (GHSA's database_specific.severity, Ubuntu's priority), so that PrimaryRating finds a distribution's word
// before the CVSS vector the same record copied from NVD; then its CVSS vectors; then CVSS scores without vectors
// (the converted RubyGems data carries only base scores).
func advisoryRatings(rec *osvRecord) []model.Rating {
	src := sourceOf(rec.ID)
	var out []model.Rating
	var ds struct {
		Severity   any `json:"severity"`
		CVSSScores any `json:"cvss_scores"`
	}
	if len(rec.DatabaseSpecific) > 0 {
		_ = json.Unmarshal(rec.DatabaseSpecific, &ds) // not an object: no rating there
	}
	if w, ok := ds.Severity.(string); ok && src == "ghsa" {
		if s, ok := wordSeverity(w); ok {
			out = append(out, model.Rating{Source: "ghsa", Severity: s, Method: "other"})
		}
	}
	out = append(out, severityWords(rec.Severity)...)
	out = append(out, severityVectors(src, rec.Severity)...)
	scores, _ := ds.CVSSScores.(map[string]any)
	for _, k := range []struct{ key, method string }{{"cvss_v4", "CVSSv4"}, {"cvss_v3", "CVSSv3"}, {"cvss_v2", "CVSSv2"}} {
		if score, ok := scores[k.key].(float64); ok && score > 0 && score <= 10 {
			out = append(out, model.Rating{Source: src, Method: k.method, Score: score, Severity: scoreSeverity(k.method, score)})
		}
	}
	return out
}

// severityWords reads the qualitative OSV severity[] entries: Ubuntu's priority ("negligible" … "critical";
// "untriaged" says nothing).
func severityWords(sev []osvSeverity) []model.Rating {
	var out []model.Rating
	for _, s := range sev {
		if s.Type != "Ubuntu" {
			continue
		}
		if sv, ok := wordSeverity(s.Score); ok {
			out = append(out, model.Rating{Source: "ubuntu", Severity: sv, Method: "other"})
		}
	}
	return out
}

// severityVectors reads the CVSS OSV severity[] entries; a vector that does not parse is left out.
func severityVectors(src string, sev []osvSeverity) []model.Rating {
	var out []model.Rating
	for _, s := range sev {
		switch s.Type {
		case "CVSS_V2", "CVSS_V3", "CVSS_V4":
			if r, ok := cvssRating(src, s.Score); ok {
				out = append(out, r)
			}
		}
	}
	return out
}

// affectedRatings lists the ratings one affected entry carries for its package: a distribution's own word in
// ecosystem_specific first (Debian's urgency, Alpine's or Ubuntu's severity), then its severity[] entries.
func affectedRatings(rec *osvRecord, a *osvAffected) []model.Rating {
	src := ecosystemSource(a.Package.Ecosystem)
	if src == "" {
		src = sourceOf(rec.ID)
	}
	var out []model.Rating
	if len(a.EcosystemSpecific) > 0 {
		var es struct {
			Urgency  any `json:"urgency"`
			Severity any `json:"severity"`
		}
		_ = json.Unmarshal(a.EcosystemSpecific, &es) // not an object: no rating there
		// The Debian tracker marks urgencies it has not confirmed "low*" and "low**"; "not yet assigned" and
		// "end-of-life" are no rating.
		word, _ := es.Urgency.(string)
		word = strings.TrimRight(word, "*")
		if w, ok := es.Severity.(string); ok && word == "" {
			word = w
		}
		if s, ok := wordSeverity(word); ok {
			out = append(out, model.Rating{Source: src, Severity: s, Method: "other"})
		}
	}
	out = append(out, severityWords(a.Severity)...)
	return append(out, severityVectors(src, a.Severity)...)
}

// PrimaryRating picks the rating a finding shows: the first from a distribution or GHSA (the caller orders the
// matching entry's ratings before the advisories'), else the CVSS rating of the newest CVSS version, else none.
func PrimaryRating(ratings []model.Rating) (model.Rating, bool) {
	for _, r := range ratings {
		if distributionSources[r.Source] && r.Severity != "" && r.Severity != model.SeverityUnknown {
			return r, true
		}
	}
	best, ok := model.Rating{}, false
	for _, r := range ratings {
		if r.Score <= 0 {
			continue
		}
		if !ok || cvssRank(r.Method) > cvssRank(best.Method) {
			best, ok = r, true
		}
	}
	return best, ok
}

// BestCVSS picks the CVSS rating a finding shows as its score and vector: v3 first (what most tools and users
// compare), then v4, then v2.
func BestCVSS(ratings []model.Rating) (model.Rating, bool) {
	for _, m := range []string{"CVSSv3", "CVSSv4", "CVSSv2"} {
		for _, r := range ratings {
			if r.Method == m && r.Score > 0 {
				return r, true
			}
		}
	}
	return model.Rating{}, false
}

func cvssRank(method string) int {
	switch method {
	case "CVSSv4":
		return 3
	case "CVSSv3":
		return 2
	case "CVSSv2":
		return 1
	}
	return 0
}
