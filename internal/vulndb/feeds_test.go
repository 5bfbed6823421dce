package vulndb

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/testimage"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCVSSRating(t *testing.T) {
	tests := []struct {
		vector string
		method string
		score  float64
		sev    model.Severity
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSSv3", 9.8, model.SeverityCritical},
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:H/A:H", "CVSSv3", 7.7, model.SeverityHigh}, // GHSA-4jrv-ppp4-jm57 (gson)
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "CVSSv3", 7.5, model.SeverityHigh},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", "CVSSv3", 6.5, model.SeverityMedium},
		{"CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", "CVSSv3", 1.8, model.SeverityLow},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", "CVSSv3", 0, model.SeverityUnknown},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "CVSSv4", 9.3, model.SeverityCritical},
		{"AV:N/AC:L/Au:N/C:P/I:P/A:P", "CVSSv2", 7.5, model.SeverityHigh},
		{"(AV:N/AC:L/Au:N/C:C/I:C/A:C)", "CVSSv2", 10, model.SeverityHigh}, // v2 has no CRITICAL
		{"AV:N/AC:M/Au:N/C:N/I:P/A:N", "CVSSv2", 4.3, model.SeverityMedium},
	}
	for _, tt := range tests {
		r, ok := cvssRating("nvd", tt.vector)
		if !ok || r.Method != tt.method || r.Score != tt.score || r.Severity != tt.sev || r.Source != "nvd" {
			t.Errorf("cvssRating(%q) = %+v, %v; want %s %.1f %s", tt.vector, r, ok, tt.method, tt.score, tt.sev)
		}
	}
	for _, bad := range []string{"", "CVSS:3.1/AV:N", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:9.9/AV:N", "hello", "CVSS:4.0/"} {
		if r, ok := cvssRating("nvd", bad); ok {
			t.Errorf("cvssRating(%q) = %+v, want not ok", bad, r)
		}
	}
	// The qualitative boundaries.
	for score, want := range map[float64]model.Severity{3.9: model.SeverityLow, 4.0: model.SeverityMedium, 6.9: model.SeverityMedium,
		7.0: model.SeverityHigh, 8.9: model.SeverityHigh, 9.0: model.SeverityCritical, 10: model.SeverityCritical} {
		if got := scoreSeverity("CVSSv3", score); got != want {
			t.Errorf("scoreSeverity(%.1f) = %s, want %s", score, got, want)
		}
	}
}

func FuzzCVSSRating(f *testing.F) {
	for _, s := range []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV:N/AC:L/Au:N/C:P/I:P/A:P",
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H/E:H"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r, ok := cvssRating("x", v)
		if ok && (r.Score < 0 || r.Score > 10 || r.Severity == "") {
			t.Fatalf("%q: %+v", v, r)
		}
	})
}

func TestRatingsAndPrimary(t *testing.T) {
	var rec osvRecord
	if err := json.Unmarshal([]byte(`{"id":"GHSA-4jrv-ppp4-jm57",
	  "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:H/A:H"}],
	  "database_specific":{"severity":"MODERATE"},
	  "affected":[{"package":{"ecosystem":"Debian:12","name":"x"},"ecosystem_specific":{"urgency":"low*"}},
	              {"package":{"ecosystem":"Alpine:v3.10","name":"x"},"ecosystem_specific":{"severity":"high"}}]}`), &rec); err != nil {
		t.Fatal(err)
	}
	adv := advisoryRatings(&rec)
	if len(adv) != 2 || adv[0].Source != "ghsa" || adv[0].Severity != model.SeverityMedium || adv[1].Method != "CVSSv3" || adv[1].Score != 7.7 {
		t.Fatalf("advisory ratings %+v", adv)
	}
	deb := affectedRatings(&rec, &rec.Affected[0])
	alp := affectedRatings(&rec, &rec.Affected[1])
	if len(deb) != 1 || deb[0] != (model.Rating{Source: "debian", Severity: model.SeverityLow, Method: "other"}) ||
		len(alp) != 1 || alp[0].Source != "alpine" || alp[0].Severity != model.SeverityHigh {
		t.Fatalf("affected ratings %+v %+v", deb, alp)
	}
	// The distribution's own rating wins over GHSA's and the CVSS score; without either, the newest CVSS.
	if r, _ := PrimaryRating(append(deb, adv...)); r.Source != "debian" {
		t.Errorf("primary %+v", r)
	}
	if r, _ := PrimaryRating(adv); r.Source != "ghsa" {
		t.Errorf("primary %+v", r)
	}
	v2, _ := cvssRating("nvd", "AV:N/AC:L/Au:N/C:P/I:P/A:P")
	v4, _ := cvssRating("nvd", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
	v3 := adv[1]
	v3.Source = "nvd"
	if r, _ := PrimaryRating([]model.Rating{v2, v3, v4}); r.Method != "CVSSv4" {
		t.Errorf("primary %+v", r)
	}
	if r, _ := BestCVSS([]model.Rating{v2, v4, adv[1]}); r.Method != "CVSSv3" {
		t.Errorf("best CVSS %+v", r)
	}
	if _, ok := PrimaryRating(nil); ok {
		t.Error("a rating from nothing")
	}
	// RubyGems records carry scores without vectors.
	var rb osvRecord
	_ = json.Unmarshal([]byte(`{"id":"CVE-2007-0469","database_specific":{"cvss_scores":{"cvss_v2":9.3}}}`), &rb)
	if r := advisoryRatings(&rb); len(r) != 1 || r[0].Method != "CVSSv2" || r[0].Score != 9.3 || r[0].Severity != model.SeverityHigh {
		t.Errorf("rubygems ratings %+v", r)
	}
}

func TestParseKEV(t *testing.T) {
	entries, released, skipped, err := parseKEV(bytes.NewReader(readTestdata(t, "kev.json")))
	if err != nil {
		t.Fatal(err)
	}
	if skipped != 1 || len(entries) != 4 || released.Format("2006-01-02") != "2025-08-25" {
		t.Errorf("%d entries, %d skipped, released %s", len(entries), skipped, released)
	}
	if k := entries["CVE-2021-44228"]; k.DateAdded != "2021-12-10" || k.DueDate != "2021-12-24" || !k.KnownRansomwareUse {
		t.Errorf("log4shell %+v", k)
	}
	if k := entries["CVE-2025-48384"]; k.KnownRansomwareUse {
		t.Errorf("unknown ransomware use read as known: %+v", k)
	}
	for _, bad := range []string{"", "[]", `{"vulnerabilities": 5}`, `{"title": "x"}`} {
		if _, _, _, err := parseKEV(strings.NewReader(bad)); err == nil {
			t.Errorf("parseKEV(%q): no error", bad)
		}
	}
}

func TestParseKEVReal(t *testing.T) {
	data := testimage.VulnData(t)
	f, err := os.Open(filepath.Join(data, "kev", "known_exploited_vulnerabilities.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, _, skipped, err := parseKEV(f)
	if err != nil || skipped != 0 || len(entries) != 1404 {
		t.Errorf("%d entries, %d skipped, %v", len(entries), skipped, err)
	}
}

func TestParseEPSS(t *testing.T) {
	plain := readTestdata(t, "epss.csv")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	// Both forms through the builder, as `db build` reads them (recognised by content, gzip or not).
	for name, content := range map[string][]byte{"epss.csv": plain, "epss.csv.gz": gz.Bytes()} {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		b := NewBuilder()
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
		f := b.feeds[FeedEPSS]
		if f == nil || f.Records != 3 || f.Skipped["malformed"] != 3 || f.Newest.Format(time.RFC3339) != "2025-08-25T12:55:00Z" {
			t.Errorf("%s: feed %+v", name, f)
		}
		if e := b.epss["CVE-2021-44228"]; e.Score != 0.94358 || e.Percentile != 0.99957 {
			t.Errorf("%s: %+v", name, e)
		}
	}
	scores, date, _, err := parseEPSS(bytes.NewReader(readTestdata(t, "epss-old.csv")))
	if err != nil || !date.IsZero() || scores["CVE-2021-44228"].Score != 0.97565 {
		t.Errorf("old format: %v %v %v", scores, date, err)
	}
	// Many published files write the offset as "+0000".
	_, date, _, err = parseEPSS(strings.NewReader("#model_version:v2023.03.01,score_date:2025-02-09T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,0.9,0.9\n"))
	if err != nil || date.Format(time.RFC3339) != "2025-02-09T00:00:00Z" {
		t.Errorf("+0000 score date: %v %v", date, err)
	}
	for _, bad := range []string{"", "a,b,c\n1,2,3\n", "cve,epss,percentile\n"} {
		if _, _, _, err := parseEPSS(strings.NewReader(bad)); err == nil {
			t.Errorf("parseEPSS(%q): no error", bad)
		}
	}
}

func FuzzParseEPSS(f *testing.F) {
	f.Add(readTestdata(f, "epss.csv"))
	f.Add(readTestdata(f, "epss-old.csv"))
	f.Fuzz(func(t *testing.T, b []byte) {
		scores, _, _, err := parseEPSS(bytes.NewReader(b))
		if err == nil && len(scores) == 0 {
			t.Fatal("no error and no scores")
		}
		for id, s := range scores {
			if !cveID.MatchString(id) || s.Score < 0 || s.Score > 1 {
				t.Fatalf("%s %+v", id, s)
			}
		}
	})
}

func FuzzParseKEV(f *testing.F) {
	f.Add(readTestdata(f, "kev.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, _, _, err := parseKEV(bytes.NewReader(b))
		if err != nil && entries != nil {
			t.Fatal("entries with an error")
		}
	})
}

func TestParseDebianTracker(t *testing.T) {
	tr, skipped, err := parseDebianTracker(bytes.NewReader(readTestdata(t, "debian-tracker.json")))
	if err != nil || skipped != 0 {
		t.Fatal(err, skipped)
	}
	curl := tr["bookworm\x00curl"]
	want := []TrackerStatus{
		{CVE: "CVE-2023-46218", Status: "resolved", FixedVersion: "7.88.1-10+deb12u5", Urgency: "not yet assigned"},
		{CVE: "CVE-2024-2379", Status: "resolved", FixedVersion: "0", Urgency: "unimportant"},
		{CVE: "CVE-2024-2398", Status: "open", Urgency: "low", NoDSA: "postponed"},
	}
	if len(curl) != len(want) {
		t.Fatalf("curl: %+v", curl)
	}
	for i := range want {
		if curl[i] != want[i] {
			t.Errorf("curl[%d] = %+v, want %+v", i, curl[i], want[i])
		}
	}
	if z := tr["bookworm\x00zlib"]; len(z) != 1 || z[0].NoDSA != "ignored" {
		t.Errorf("zlib: %+v", z)
	}
	if len(tr) != 4 {
		t.Errorf("keys: %d", len(tr))
	}
	for _, bad := range []string{"", "[]", `{"curl": {`} {
		if _, _, err := parseDebianTracker(strings.NewReader(bad)); err == nil {
			t.Errorf("parseDebianTracker(%q): no error", bad)
		}
	}
	// A malformed package is counted and skipped; the others are kept.
	tr, skipped, err = parseDebianTracker(strings.NewReader(`{"curl": 5, "zlib": {"CVE-2023-45853": {"releases":
	  {"bookworm": {"status": "open", "urgency": "low**", "nodsa": "Minor issue"}}}}}`))
	if err != nil || skipped != 1 || len(tr) != 1 || tr["bookworm\x00zlib"][0].Urgency != "low" || tr["bookworm\x00zlib"][0].NoDSA != "no-dsa" {
		t.Errorf("partly malformed tracker: %+v, %d skipped, %v", tr, skipped, err)
	}
}

func FuzzParseDebianTracker(f *testing.F) {
	f.Add(readTestdata(f, "debian-tracker.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, _, err := parseDebianTracker(bytes.NewReader(b))
		if err != nil && tr != nil {
			t.Fatal("states with an error")
		}
		for k, sts := range tr {
			if !strings.Contains(k, "\x00") {
				t.Fatalf("key %q", k)
			}
			for _, s := range sts {
				if !cveID.MatchString(s.CVE) {
					t.Fatalf("%+v", s)
				}
			}
		}
	})
}

// Reading the same tracker file twice replaces its states; the feed's count does not double.
func TestBuilderTrackerTwice(t *testing.T) {
	tr, _, err := parseDebianTracker(bytes.NewReader(readTestdata(t, "debian-tracker.json")))
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, sts := range tr {
		want += len(sts)
	}
	b := NewBuilder()
	for i := 0; i < 2; i++ {
		if err := b.Add(filepath.Join("testdata", "debian-tracker.json")); err != nil {
			t.Fatal(err)
		}
	}
	if got := b.feeds[FeedDebianTracker].Records; got != want {
		t.Errorf("tracker records %d, want %d", got, want)
	}
}
