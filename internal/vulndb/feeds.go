package vulndb

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hullscan/hullscan/internal/model"
)

// The optional feeds: CISA's KEV catalogue, FIRST's EPSS scores and the Debian security tracker. Each parser keeps
// what is well-formed and counts the rest, so that one bad line never costs a whole feed.

var cveID = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

// parseKEV reads the CISA Known Exploited Vulnerabilities catalogue (known_exploited_vulnerabilities.json).
func parseKEV(r io.Reader) (map[string]model.KEV, time.Time, int, error) {
	var doc struct {
		CatalogVersion  string `json:"catalogVersion"`
		DateReleased    string `json:"dateReleased"`
		Vulnerabilities []struct {
			CVEID           string `json:"cveID"`
			DateAdded       string `json:"dateAdded"`
			DueDate         string `json:"dueDate"`
			KnownRansomware string `json:"knownRansomwareCampaignUse"`
		} `json:"vulnerabilities"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, time.Time{}, 0, fmt.Errorf("KEV catalogue: %w", err)
	}
	if doc.Vulnerabilities == nil {
		return nil, time.Time{}, 0, errors.New("KEV catalogue: no vulnerabilities list")
	}
	released, _ := time.Parse(time.RFC3339Nano, doc.DateReleased)
	out := make(map[string]model.KEV, len(doc.Vulnerabilities))
	skipped := 0
	for _, v := range doc.Vulnerabilities {
		id := strings.TrimSpace(v.CVEID)
		if !cveID.MatchString(id) {
			skipped++
			continue
		}
		if _, err := time.Parse("2006-01-02", v.DateAdded); err != nil {
			skipped++
			continue
		}
		out[id] = model.KEV{DateAdded: v.DateAdded, DueDate: v.DueDate, KnownRansomwareUse: strings.EqualFold(v.KnownRansomware, "Known")}
	}
	return out, released.UTC(), skipped, nil
}

// parseEPSS reads FIRST's EPSS scores CSV (epss_scores-YYYY-MM-DD.csv, already decompressed): an optional first
// line "#model_version:v2025.03.14,score_date:2025-08-25T00:00:00Z" (older files lack it), a header
// "cve,epss,percentile", then one row per CVE.
func parseEPSS(r io.Reader) (map[string]model.EPSS, time.Time, int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var date time.Time
	if b, _ := br.Peek(1); len(b) == 1 && b[0] == '#' {
		line, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, date, 0, fmt.Errorf("EPSS: %w", err)
		}
		for _, kv := range strings.Split(strings.TrimSpace(strings.TrimPrefix(line, "#")), ",") {
			k, v, _ := strings.Cut(kv, ":")
			if k == "score_date" {
				// "…Z", "…+0000" (many published files) or a bare date.
				for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05-0700", "2006-01-02"} {
					if t, err := time.Parse(layout, v); err == nil {
						date = t.UTC()
						break
					}
				}
			}
		}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, date, 0, fmt.Errorf("EPSS: no header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.ToLower(h))] = i
	}
	ci, ok1 := col["cve"]
	ei, ok2 := col["epss"]
	pi, ok3 := col["percentile"]
	if !ok1 || !ok2 || !ok3 {
		return nil, date, 0, fmt.Errorf("EPSS: header %q lacks cve, epss and percentile", strings.Join(header, ","))
	}
	out := map[string]model.EPSS{}
	skipped := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				skipped++
				continue
			}
			return nil, date, skipped, fmt.Errorf("EPSS: %w", err)
		}
		if len(rec) <= max(ci, ei, pi) {
			skipped++
			continue
		}
		id := strings.TrimSpace(rec[ci])
		score, err1 := strconv.ParseFloat(strings.TrimSpace(rec[ei]), 64)
		pct, err2 := strconv.ParseFloat(strings.TrimSpace(rec[pi]), 64)
		if !cveID.MatchString(id) || err1 != nil || err2 != nil || score < 0 || score > 1 || pct < 0 || pct > 1 {
			skipped++
			continue
		}
		out[id] = model.EPSS{Score: score, Percentile: pct}
	}
	if len(out) == 0 {
		return nil, date, skipped, errors.New("EPSS: no scores")
	}
	return out, date, skipped, nil
}

// parseDebianTracker reads the Debian security tracker's JSON (security-tracker.debian.org/tracker/data/json):
// {source package: {CVE id: {"releases": {codename: {"status", "fixed_version", "urgency", "nodsa",
// "nodsa_reason", ...}}}}}. The real file is tens of megabytes, so it is decoded one package at a time. The map is
// keyed "<codename>\x00<source package>", as the database's tracker bucket.
func parseDebianTracker(r io.Reader) (map[string][]TrackerStatus, int, error) {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, 0, errors.New("debian tracker: not a JSON object")
	}
	out := map[string][]TrackerStatus{}
	skipped := 0
	type release struct {
		Status       string `json:"status"`
		FixedVersion string `json:"fixed_version"`
		Urgency      string `json:"urgency"`
		NoDSA        string `json:"nodsa"`
		NoDSAReason  string `json:"nodsa_reason"`
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, skipped, fmt.Errorf("debian tracker: %w", err)
		}
		pkg, _ := t.(string)
		var issues map[string]struct {
			Releases map[string]release `json:"releases"`
		}
		if err := dec.Decode(&issues); err != nil {
			var ute *json.UnmarshalTypeError
			if errors.As(err, &ute) {
				skipped++ // one malformed package: the decoder has consumed its value, go on with the next
				continue
			}
			return nil, skipped, fmt.Errorf("debian tracker: %w", err)
		}
		for id, issue := range issues {
			if !cveID.MatchString(id) {
				continue // TEMP- ids name no CVE yet; nothing can alias them
			}
			for codename, rel := range issue.Releases {
				switch rel.Status {
				case "resolved", "open", "undetermined":
				default:
					skipped++
					continue
				}
				if rel.Status == "resolved" && rel.FixedVersion == "" {
					skipped++
					continue
				}
				// nodsa_reason says "ignored" or "postponed"; a no-dsa without a reason is plain "no-dsa" (the
				// nodsa field itself is a free-text note).
				nodsa := rel.NoDSAReason
				if nodsa == "" && rel.NoDSA != "" {
					nodsa = "no-dsa"
				}
				k := codename + "\x00" + pkg
				out[k] = append(out[k], TrackerStatus{
					CVE: id, Status: rel.Status, FixedVersion: rel.FixedVersion,
					Urgency: strings.TrimRight(rel.Urgency, "*"), NoDSA: nodsa,
				})
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, skipped, fmt.Errorf("debian tracker: %w", err)
	}
	for _, sts := range out {
		sort.Slice(sts, func(i, j int) bool { return sts[i].CVE < sts[j].CVE })
	}
	return out, skipped, nil
}
