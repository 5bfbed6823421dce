package vulndb

import (
	"archive/zip"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/testimage"
)

// Vectors as published, with the base scores their publishers show. TestCVSSRating (feeds_test.go) has the
// textbook ones.
func TestCVSSRatingPublished(t *testing.T) {
	tests := []struct {
		name   string
		vector string
		method string
		score  float64
		sev    model.Severity
		stored string // the vector kept, where it differs from the input
	}{
		{"GHSA-qwcr-r2fm-qrc7 (body-parser) v4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N", "CVSSv4", 8.7, model.SeverityHigh, ""},
		{"GHSA-qwcr-r2fm-qrc7 (body-parser) v3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "CVSSv3", 7.5, model.SeverityHigh, ""},
		{"GHSA-cm22-4g7w-348p (serve-static) v4", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:L", "CVSSv4", 2.3, model.SeverityLow, ""},
		{"PYSEC-2017-105 v3.0", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "CVSSv3", 7.5, model.SeverityHigh, ""},
		{"CVE-2024-6387 (regreSSHion) NVD v3.1", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSSv3", 8.1, model.SeverityHigh, ""},
		// v4 threat metrics do not change the base score (go-cvss alone gives 5.5 and 1.7).
		{"RUSTSEC-2025-0138 v4 with E:P", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N/E:P", "CVSSv4", 6.9, model.SeverityMedium, ""},
		{"RUSTSEC-2026-0066 v4 with E:U", "CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N/E:U", "CVSSv4", 6.3, model.SeverityMedium, ""},
		{"v4 environmental metrics", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U/CR:L/MAV:L", "CVSSv4", 9.3, model.SeverityCritical, ""},
		{"v4 no impact", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", "CVSSv4", 0, model.SeverityUnknown, ""},
		{"v3.1 temporal metrics", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U", "CVSSv3", 9.8, model.SeverityCritical, ""},
		{"v2 with temporal metrics", "AV:N/AC:L/Au:N/C:P/I:P/A:P/E:U/RL:OF/RC:C", "CVSSv2", 7.5, model.SeverityHigh, ""},
		{"v2 in parentheses", "(AV:N/AC:L/Au:N/C:P/I:P/A:P)", "CVSSv2", 7.5, model.SeverityHigh, "AV:N/AC:L/Au:N/C:P/I:P/A:P"},
		{"v2 with a CVSS:2.0 prefix", "CVSS:2.0/AV:N/AC:M/Au:N/C:N/I:P/A:N", "CVSSv2", 4.3, model.SeverityMedium, "AV:N/AC:M/Au:N/C:N/I:P/A:N"},
		{"v2 surrounding space", " AV:L/AC:L/Au:N/C:P/I:N/A:N\n", "CVSSv2", 2.1, model.SeverityLow, "AV:L/AC:L/Au:N/C:P/I:N/A:N"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := cvssRating("src", tt.vector)
			want := tt.stored
			if want == "" {
				want = tt.vector
			}
			if !ok || r.Method != tt.method || r.Score != tt.score || r.Severity != tt.sev || r.Source != "src" || r.Vector != want {
				t.Errorf("cvssRating(%q) = %+v, %v; want %s %.1f %s %q", tt.vector, r, ok, tt.method, tt.score, tt.sev, want)
			}
		})
	}
}

// Malformed vectors are no rating. (v3.x metrics in another order are valid: the specification allows any order.)
func TestCVSSRatingMalformed(t *testing.T) {
	for _, v := range []string{
		"",
		"()",
		"CVSS:3.1/",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",                   // a base metric missing
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:H",           // repeated
		"cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",               // the prefix is case-sensitive
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",              // trailing slash
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N", // SA missing
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:Z",
		"CVSS:3.1/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", // v4 metrics under a v3.1 prefix
		"AV:N/AC:L/Au:N/C:P/I:P",
		"AV:N/AC:L/Au:X/C:P/I:P/A:P",
		"CVSS:2.0/",
		"7.5",
		"HIGH",
	} {
		if r, ok := cvssRating("src", v); ok {
			t.Errorf("cvssRating(%q) = %+v, want not ok", v, r)
		}
	}
}

// The qualitative scales: v3.x and v4.0 define LOW 0.1-3.9, MEDIUM 4.0-6.9, HIGH 7.0-8.9, CRITICAL 9.0-10.0; v2
// has none, and NVD's (no CRITICAL) is the one in use.
func TestScoreSeverityScale(t *testing.T) {
	tests := []struct {
		score      float64
		v2, v3, v4 model.Severity
	}{
		{0, model.SeverityUnknown, model.SeverityUnknown, model.SeverityUnknown},
		{0.1, model.SeverityLow, model.SeverityLow, model.SeverityLow},
		{3.9, model.SeverityLow, model.SeverityLow, model.SeverityLow},
		{4.0, model.SeverityMedium, model.SeverityMedium, model.SeverityMedium},
		{6.9, model.SeverityMedium, model.SeverityMedium, model.SeverityMedium},
		{7.0, model.SeverityHigh, model.SeverityHigh, model.SeverityHigh},
		{8.9, model.SeverityHigh, model.SeverityHigh, model.SeverityHigh},
		{9.0, model.SeverityHigh, model.SeverityCritical, model.SeverityCritical},
		{10, model.SeverityHigh, model.SeverityCritical, model.SeverityCritical},
	}
	for _, tt := range tests {
		for method, want := range map[string]model.Severity{"CVSSv2": tt.v2, "CVSSv3": tt.v3, "CVSSv4": tt.v4} {
			if got := scoreSeverity(method, tt.score); got != want {
				t.Errorf("scoreSeverity(%s, %.1f) = %s, want %s", method, tt.score, got, want)
			}
		}
	}
}

func TestSourceOf(t *testing.T) {
	for id, want := range map[string]string{
		"GHSA-qwcr-r2fm-qrc7":         "ghsa",
		"PYSEC-2017-105":              "pypa",
		"GO-2024-2687":                "go",
		"RUSTSEC-2025-0138":           "rustsec",
		"DSA-5417-1":                  "debian",
		"DLA-3449-1":                  "debian",
		"DTSA-100-1":                  "debian",
		"x_DEBIAN12-CL-CVE-2024-2398": "debian",
		"DEBIAN-CVE-2024-2398":        "debian",
		"ALPINE-CVE-2019-14697":       "alpine",
		"USN-6859-1":                  "ubuntu",
		"UBUNTU-CVE-2024-6387":        "ubuntu",
		"RHSA-2024:4312":              "redhat",
		"SUSE-SU-2024:2226-1":         "suse",
		"openSUSE-SU-2024:14114-1":    "suse",
		"CVE-2009-2422":               "cve",
		"x_OSVDB-101157":              "x_osvdb",
		"BIT-jenkins-2024-23897":      "bit",
		"MAL-2024-1":                  "mal",
		"OSV-2020-111":                "osv",
		"noprefix":                    "noprefix",
		"":                            "",
	} {
		if got := sourceOf(id); got != want {
			t.Errorf("sourceOf(%q) = %q, want %q", id, got, want)
		}
	}
}

func decodeRecord(t *testing.T, s string) *osvRecord {
	t.Helper()
	var rec osvRecord
	if err := json.Unmarshal([]byte(s), &rec); err != nil {
		t.Fatal(err)
	}
	return &rec
}

func TestAdvisoryRatings(t *testing.T) {
	tests := []struct {
		name   string
		record string
		want   []model.Rating
	}{
		{
			// Ubuntu's records list NVD's vector before Ubuntu's priority; the priority is Ubuntu's own and comes first.
			name: "Ubuntu priority before the copied vector",
			record: `{"id":"UBUNTU-CVE-2024-6387","upstream":["CVE-2024-6387"],"related":["USN-6859-1"],
				"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"},{"type":"Ubuntu","score":"high"}]}`,
			want: []model.Rating{
				{Source: "ubuntu", Severity: model.SeverityHigh, Method: "other"},
				{Source: "ubuntu", Severity: model.SeverityHigh, Method: "CVSSv3", Score: 8.1, Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"},
			},
		},
		{
			name:   "Ubuntu negligible and untriaged",
			record: `{"id":"UBUNTU-CVE-2016-2781","severity":[{"type":"Ubuntu","score":"negligible"},{"type":"Ubuntu","score":"untriaged"}]}`,
			want:   []model.Rating{{Source: "ubuntu", Severity: model.SeverityLow, Method: "other"}},
		},
		{
			name: "GHSA severity, then v3 and v4",
			record: `{"id":"GHSA-qwcr-r2fm-qrc7","aliases":["CVE-2024-45590"],
				"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},
				            {"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N"}],
				"database_specific":{"cwe_ids":["CWE-405"],"severity":"HIGH","github_reviewed":true,"github_reviewed_at":"2024-09-10T15:52:39Z","nvd_published_at":null}}`,
			want: []model.Rating{
				{Source: "ghsa", Severity: model.SeverityHigh, Method: "other"},
				{Source: "ghsa", Severity: model.SeverityHigh, Method: "CVSSv3", Score: 7.5, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},
				{Source: "ghsa", Severity: model.SeverityHigh, Method: "CVSSv4", Score: 8.7, Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N"},
			},
		},
		{
			name:   "GHSA MODERATE",
			record: `{"id":"GHSA-cm22-4g7w-348p","database_specific":{"severity":"MODERATE"}}`,
			want:   []model.Rating{{Source: "ghsa", Severity: model.SeverityMedium, Method: "other"}},
		},
		{
			// Only GHSA's records have a database_specific.severity worth reading as GHSA's.
			name:   "database_specific.severity outside GHSA",
			record: `{"id":"PYSEC-2017-105","severity":[{"type":"CVSS_V3","score":"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],"database_specific":{"severity":"LOW"}}`,
			want:   []model.Rating{{Source: "pypa", Severity: model.SeverityHigh, Method: "CVSSv3", Score: 7.5, Vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}},
		},
		{
			name:   "RubyGems scores without vectors",
			record: `{"id":"CVE-2009-2422","database_specific":{"cvss_scores":{"cvss_v2":7.5,"cvss_v3":9.8}}}`,
			want: []model.Rating{
				{Source: "cve", Severity: model.SeverityCritical, Method: "CVSSv3", Score: 9.8},
				{Source: "cve", Severity: model.SeverityHigh, Method: "CVSSv2", Score: 7.5},
			},
		},
		{
			// 173 of the converted RubyGems records carry a v4 score, 88 of them nothing else.
			name:   "RubyGems v4 score only",
			record: `{"id":"GHSA-29g5-m8v7-v564","database_specific":{"cvss_scores":{"cvss_v4":4.9}}}`,
			want:   []model.Rating{{Source: "ghsa", Severity: model.SeverityMedium, Method: "CVSSv4", Score: 4.9}},
		},
		{
			name:   "out-of-range and mistyped scores",
			record: `{"id":"CVE-2000-0001","database_specific":{"cvss_scores":{"cvss_v2":"9.3","cvss_v3":11,"cvss_v4":0}}}`,
		},
		{
			name:   "database_specific not an object",
			record: `{"id":"GHSA-xxxx-xxxx-xxxx","database_specific":["HIGH"]}`,
		},
		{
			name:   "unknown types and malformed vectors",
			record: `{"id":"GO-2024-0001","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N"},{"type":"CVSS_V5","score":"CVSS:5.0/X"},{"type":"CVSS_V2","score":"AV:N/AC:L/Au:N/C:P/I:P/A:P"}]}`,
			want:   []model.Rating{{Source: "go", Severity: model.SeverityHigh, Method: "CVSSv2", Score: 7.5, Vector: "AV:N/AC:L/Au:N/C:P/I:P/A:P"}},
		},
		{name: "no ratings", record: `{"id":"DSA-5417-1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := advisoryRatings(decodeRecord(t, tt.record))
			if !ratingsEqual(got, tt.want) {
				t.Errorf("advisoryRatings = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestAffectedRatings(t *testing.T) {
	tests := []struct {
		name     string
		affected string
		want     []model.Rating
	}{
		{"Debian urgency", `{"package":{"ecosystem":"Debian:12","name":"curl"},"ecosystem_specific":{"urgency":"medium"}}`,
			[]model.Rating{{Source: "debian", Severity: model.SeverityMedium, Method: "other"}}},
		{"Debian unconfirmed urgency", `{"package":{"ecosystem":"Debian:11","name":"curl"},"ecosystem_specific":{"urgency":"high*"}}`,
			[]model.Rating{{Source: "debian", Severity: model.SeverityHigh, Method: "other"}}},
		{"Debian doubly starred urgency", `{"package":{"ecosystem":"Debian:11","name":"curl"},"ecosystem_specific":{"urgency":"low**"}}`,
			[]model.Rating{{Source: "debian", Severity: model.SeverityLow, Method: "other"}}},
		{"Debian unimportant", `{"package":{"ecosystem":"Debian:12","name":"zlib"},"ecosystem_specific":{"urgency":"unimportant"}}`,
			[]model.Rating{{Source: "debian", Severity: model.SeverityLow, Method: "other"}}},
		{"Debian not yet assigned", `{"package":{"ecosystem":"Debian:12","name":"curl"},"ecosystem_specific":{"urgency":"not yet assigned"}}`, nil},
		{"Debian end-of-life", `{"package":{"ecosystem":"Debian:10","name":"curl"},"ecosystem_specific":{"urgency":"end-of-life"}}`, nil},
		{"Alpine severity", `{"package":{"ecosystem":"Alpine:v3.10","name":"musl"},"ecosystem_specific":{"severity":"critical"}}`,
			[]model.Rating{{Source: "alpine", Severity: model.SeverityCritical, Method: "other"}}},
		{"Ubuntu severity", `{"package":{"ecosystem":"Ubuntu:22.04:LTS","name":"openssh"},"ecosystem_specific":{"severity":"negligible"}}`,
			[]model.Rating{{Source: "ubuntu", Severity: model.SeverityLow, Method: "other"}}},
		{"Red Hat ecosystem", `{"package":{"ecosystem":"Red Hat:enterprise_linux:9::baseos","name":"openssh"},"ecosystem_specific":{"severity":"important"}}`,
			[]model.Rating{{Source: "redhat", Severity: model.SeverityHigh, Method: "other"}}},
		{"word before vectors", `{"package":{"ecosystem":"Debian:12","name":"curl"},"ecosystem_specific":{"urgency":"low"},
			"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}`,
			[]model.Rating{{Source: "debian", Severity: model.SeverityLow, Method: "other"},
				{Source: "debian", Severity: model.SeverityCritical, Method: "CVSSv3", Score: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}},
		{"language ecosystem vector", `{"package":{"ecosystem":"PyPI","name":"x"},"severity":[{"type":"CVSS_V3","score":"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}]}`,
			[]model.Rating{{Source: "pypi", Severity: model.SeverityHigh, Method: "CVSSv3", Score: 7.5, Vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}}},
		// crates.io's ecosystem_specific carries "affects", Go's "imports": no rating in either.
		{"crates.io ecosystem_specific", `{"package":{"ecosystem":"crates.io","name":"tar"},"ecosystem_specific":{"affects":{"os":[],"functions":[]}}}`, nil},
		{"ecosystem_specific not an object", `{"package":{"ecosystem":"Debian:12","name":"curl"},"ecosystem_specific":"high"}`, nil},
		{"urgency not a string", `{"package":{"ecosystem":"Debian:12","name":"curl"},"ecosystem_specific":{"urgency":3,"severity":"high"}}`,
			[]model.Rating{{Source: "debian", Severity: model.SeverityHigh, Method: "other"}}},
		{"no ecosystem", `{"package":{"name":"x"},"ecosystem_specific":{"severity":"high"}}`,
			[]model.Rating{{Source: "ghsa", Severity: model.SeverityHigh, Method: "other"}}},
	}
	rec := &osvRecord{ID: "GHSA-aaaa-bbbb-cccc"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a osvAffected
			if err := json.Unmarshal([]byte(tt.affected), &a); err != nil {
				t.Fatal(err)
			}
			if got := affectedRatings(rec, &a); !ratingsEqual(got, tt.want) {
				t.Errorf("affectedRatings = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestPrimaryRatingAndBestCVSS(t *testing.T) {
	deb := model.Rating{Source: "debian", Severity: model.SeverityLow, Method: "other"}
	ubu := model.Rating{Source: "ubuntu", Severity: model.SeverityMedium, Method: "other"}
	ghsa := model.Rating{Source: "ghsa", Severity: model.SeverityHigh, Method: "other"}
	v2 := model.Rating{Source: "nvd", Severity: model.SeverityHigh, Method: "CVSSv2", Score: 7.5}
	v3 := model.Rating{Source: "pypa", Severity: model.SeverityCritical, Method: "CVSSv3", Score: 9.8}
	v4 := model.Rating{Source: "rustsec", Severity: model.SeverityMedium, Method: "CVSSv4", Score: 6.9}
	v3zero := model.Rating{Source: "cve", Severity: model.SeverityUnknown, Method: "CVSSv3"}
	debUnknown := model.Rating{Source: "debian", Severity: model.SeverityUnknown, Method: "CVSSv3"}
	other := model.Rating{Source: "go", Severity: model.SeverityHigh, Method: "other"}
	tests := []struct {
		name          string
		in            []model.Rating
		primary, best *model.Rating
	}{
		{"nothing", nil, nil, nil},
		{"the entry's distribution rating first", []model.Rating{deb, ghsa, v3}, &deb, &v3},
		{"distribution or GHSA in the order given", []model.Rating{v3, ghsa, ubu}, &ghsa, &v3},
		{"newest CVSS version without a distribution", []model.Rating{v2, v3, v4}, &v4, &v3},
		{"v4 shown when there is no v3", []model.Rating{v2, v4}, &v4, &v4},
		{"v2 only", []model.Rating{v2}, &v2, &v2},
		{"zero scores and unknown severities are no rating", []model.Rating{debUnknown, v3zero, other}, nil, nil},
		{"a qualitative rating from elsewhere is not preferred", []model.Rating{other, v2}, &v2, &v2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := PrimaryRating(tt.in)
			if (tt.primary == nil) == ok || (ok && p != *tt.primary) {
				t.Errorf("PrimaryRating = %+v, %v; want %+v", p, ok, tt.primary)
			}
			b, ok := BestCVSS(tt.in)
			if (tt.best == nil) == ok || (ok && b != *tt.best) {
				t.Errorf("BestCVSS = %+v, %v; want %+v", b, ok, tt.best)
			}
		})
	}
}

// Every rating in the shared OSV data must come out: a vector go-cvss rejects is a rating lost.
func TestRatingsOfRealData(t *testing.T) {
	data := testimage.VulnData(t)
	zips, err := filepath.Glob(filepath.Join(data, "osv", "*", "all.zip"))
	if err != nil || len(zips) == 0 {
		t.Fatalf("no OSV zips under %s: %v", data, err)
	}
	vectors, rated := 0, 0
	for _, z := range zips {
		zr, err := zip.OpenReader(z)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			var rec osvRecord
			if err := json.Unmarshal(b, &rec); err != nil {
				t.Fatalf("%s %s: %v", z, f.Name, err)
			}
			for _, s := range rec.Severity {
				if s.Type == "CVSS_V2" || s.Type == "CVSS_V3" || s.Type == "CVSS_V4" {
					vectors++
					if _, ok := cvssRating("x", s.Score); !ok {
						t.Errorf("%s: %s %q does not parse", rec.ID, s.Type, s.Score)
					}
				}
			}
			rs := advisoryRatings(&rec)
			for i := range rec.Affected {
				rs = append(rs, affectedRatings(&rec, &rec.Affected[i])...)
			}
			if _, ok := PrimaryRating(rs); ok {
				rated++
			}
		}
		zr.Close()
	}
	t.Logf("%d CVSS vectors, %d records with a primary rating", vectors, rated)
	if vectors < 600 || rated < 1600 {
		t.Errorf("%d vectors, %d rated records: fewer than the data holds", vectors, rated)
	}
}

func ratingsEqual(a, b []model.Rating) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
