package gate

import (
	"strings"
	"testing"
	"time"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/vex"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func datePtr(s string) *time.Time { t := date(s); return &t }

// Findings as the matcher gives them, with facts from the real advisories (GHSA-xvch-5gv4-984h is
// CVE-2021-44906's GHSA; DSA-5417-1 named CVE-2023-0464 for openssl in Debian 11).
var (
	minimist = model.Finding{
		ID: "CVE-2021-44906", Aliases: []string{"GHSA-xvch-5gv4-984h"}, Advisories: []string{"GHSA-xvch-5gv4-984h"},
		Package: "minimist", Ecosystem: model.NPM, Installed: "1.2.0", PURL: "pkg:npm/minimist@1.2.0",
		Location: "/app/package-lock.json", Status: model.StatusFixed, FixedVersion: "1.2.6",
		Severity: model.SeverityCritical, Published: datePtr("2022-03-17"),
	}
	libssl = model.Finding{
		ID: "CVE-2023-0464", Aliases: []string{"DSA-5417-1"}, Advisories: []string{"DSA-5417-1"},
		Package: "libssl1.1", Ecosystem: model.Deb, Installed: "1.1.1n-0+deb11u4",
		PURL:     "pkg:deb/debian/libssl1.1@1.1.1n-0+deb11u4?arch=amd64&distro=debian-11",
		Location: "/var/lib/dpkg/status", Status: model.StatusFixed, FixedVersion: "1.1.1n-0+deb11u5",
		Severity: model.SeverityHigh, KEV: &model.KEV{DateAdded: "2024-01-01"}, EPSS: &model.EPSS{Score: 0.61},
		Published: datePtr("2026-11-20"),
	}
	zlib = model.Finding{
		ID: "CVE-2023-45853", Package: "zlib1g", Ecosystem: model.Deb, Installed: "1:1.2.13.dfsg-1",
		PURL: "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64", Location: "/var/lib/dpkg/status",
		Status: model.StatusWontFix, Severity: model.SeverityCritical,
	}
	lodash = model.Finding{
		ID: "CVE-2021-23337", Aliases: []string{"GHSA-35jh-r3h4-6jhm"}, Package: "lodash", Ecosystem: model.NPM,
		Installed: "4.17.15", PURL: "pkg:npm/lodash@4.17.15", Location: "/app/package-lock.json",
		Status: model.StatusFixed, FixedVersion: "4.17.21", Severity: model.SeverityHigh, Published: datePtr("2021-02-15"),
	}
)

var appImage = model.Source{
	Kind: "registry", Name: "registry.example.com/app/web:1.4",
	Digest: "sha256:1111111111111111111111111111111111111111111111111111111111111111",
}

const exAccepted = `exceptions:
  - id: %s
    classification: accepted-risk
    owner: team-payments
    reason: input is trusted
    expires: 2027-01-31
`

func exc(id string, extra ...string) string {
	s := strings.Replace(exAccepted, "%s", id, 1)
	for _, e := range extra {
		s += "    " + e + "\n"
	}
	return s
}

const openVEXTemplate = `{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/app-1",
  "author": "team-payments",
  "timestamp": "2026-11-01T00:00:00Z",
  "version": 1,
  "statements": [%s]
}`

func openVEX(stmts ...string) string {
	return strings.Replace(openVEXTemplate, "%s", strings.Join(stmts, ","), 1)
}

func TestApply(t *testing.T) {
	tests := []struct {
		name       string
		policy     string // empty: the default rule
		exceptions string
		vex        []string
		target     model.Source
		now        string // default 2026-11-27
		f          model.Finding
		want       string // "fail", "pass", "exception", "vex"
		expired    int    // expired entries reported
	}{
		// The default rule.
		{name: "default: critical with a fix fails", f: minimist, want: "fail"},
		{name: "default: critical without a fix passes", f: zlib, want: "pass"},
		{name: "default: high passes", f: lodash, want: "pass"},

		// Each rule field.
		{name: "severity list", policy: "fail: [{severity: [HIGH, CRITICAL]}]", f: lodash, want: "fail"},
		{name: "severity as one value", policy: "fail: [{severity: high}]", f: lodash, want: "fail"},
		{name: "severity misses", policy: "fail: [{severity: [LOW]}]", f: lodash, want: "pass"},
		{name: "fixable: will-not-fix is no fix", policy: "fail: [{fixable: true}]", f: zlib, want: "pass"},
		{name: "kev", policy: "fail: [{kev: true}]", f: libssl, want: "fail"},
		{name: "kev misses", policy: "fail: [{kev: true}]", f: minimist, want: "pass"},
		{name: "epss at threshold", policy: "fail: [{epss: 0.61}]", f: libssl, want: "fail"},
		{name: "epss above score", policy: "fail: [{epss: 0.7}]", f: libssl, want: "pass"},
		{name: "min_age: old advisory", policy: "fail: [{severity: [HIGH], min_age: 30d}]", f: lodash, want: "fail"},
		{name: "min_age: advisory a week old", policy: "fail: [{severity: [HIGH], min_age: 30d}]", f: libssl, want: "pass"},
		{name: "min_age: in weeks, on the day", policy: "fail: [{min_age: 1w}]", f: libssl, want: "fail"},
		{name: "min_age: no publication date", policy: "fail: [{min_age: 1d}]", f: zlib, want: "pass"},
		{name: "ecosystem", policy: "fail: [{ecosystem: [npm]}]", f: lodash, want: "fail"},
		{name: "ecosystem misses", policy: "fail: [{ecosystem: [deb, PyPI]}]", f: lodash, want: "pass"},
		{name: "package glob", policy: `fail: [{package: ["libssl*"]}]`, f: libssl, want: "fail"},
		{name: "package purl without version", policy: `fail: [{package: ["pkg:npm/lodash"]}]`, f: lodash, want: "fail"},
		{name: "package misses", policy: `fail: [{package: ["pkg:npm/lodash", "openssl"]}]`, f: minimist, want: "pass"},
		{name: "any of several rules", policy: "fail: [{kev: true}, {severity: [HIGH], ecosystem: [npm]}]", f: lodash, want: "fail"},
		{name: "conjunction: one condition fails", policy: "fail: [{severity: [HIGH], kev: true, ecosystem: [npm]}]", f: libssl, want: "pass"},

		// Exceptions: ids and aliases.
		{name: "exception by CVE", exceptions: exc("CVE-2021-44906"), f: minimist, want: "exception"},
		{name: "exception by GHSA alias", exceptions: exc("GHSA-xvch-5gv4-984h"), f: minimist, want: "exception"},
		{name: "exception id is case-insensitive", exceptions: exc("ghsa-XVCH-5gv4-984h"), f: minimist, want: "exception"},
		{name: "exception by distribution advisory", exceptions: exc("DSA-5417-1"), policy: "fail: [{kev: true}]", f: libssl, want: "exception"},
		{name: "exception for another id", exceptions: exc("CVE-2020-7598"), f: minimist, want: "fail"},
		{name: "exception package matches", exceptions: exc("CVE-2021-44906", "package: minimist"), f: minimist, want: "exception"},
		{name: "exception package differs", exceptions: exc("CVE-2021-44906", "package: mini"), f: minimist, want: "fail"},
		{name: "exception purl without version", exceptions: exc("CVE-2021-44906", "purl: pkg:npm/minimist"), f: minimist, want: "exception"},
		{name: "exception purl other version", exceptions: exc("CVE-2021-44906", "purl: pkg:npm/minimist@1.2.5"), f: minimist, want: "fail"},
		{name: "exception purl with qualifier", exceptions: exc("CVE-2023-0464", "purl: pkg:deb/debian/libssl1.1?arch=amd64"), policy: "fail: [{kev: true}]", f: libssl, want: "exception"},

		// Expiry: an exception holds through its expiry date.
		{name: "expiry: the day itself", exceptions: exc("CVE-2021-44906"), now: "2027-01-31", f: minimist, want: "exception"},
		{name: "expiry: the day after", exceptions: exc("CVE-2021-44906"), now: "2027-02-01", f: minimist, want: "fail", expired: 1},

		// Scope.
		{name: "scope: repository glob", exceptions: exc("CVE-2021-44906", `scope: ["registry.example.com/app/*"]`), target: appImage, f: minimist, want: "exception"},
		{name: "scope: other repository", exceptions: exc("CVE-2021-44906", `scope: ["registry.example.com/billing/*"]`), target: appImage, f: minimist, want: "fail"},
		{name: "scope: * stops at /", exceptions: exc("CVE-2021-44906", `scope: ["registry.example.com/*"]`), target: appImage, f: minimist, want: "fail"},
		{name: "scope: ** crosses /", exceptions: exc("CVE-2021-44906", `scope: ["registry.example.com/**"]`), target: appImage, f: minimist, want: "exception"},
		{name: "scope: digest", exceptions: exc("CVE-2021-44906", "scope: [\""+appImage.Digest+"\"]"), target: appImage, f: minimist, want: "exception"},
		{name: "scope: lockfile path", exceptions: exc("CVE-2021-44906", `scope: ["app/package-lock.json"]`), target: appImage, f: minimist, want: "exception"},
		{name: "scope: directory path", exceptions: exc("CVE-2021-44906", `scope: ["/srv/*/app"]`), target: model.Source{Kind: "directory", Name: "/srv/checkout/app"}, f: minimist, want: "exception"},

		// VEX.
		{name: "vex: not_affected by CVE", vex: []string{openVEX(`{"vulnerability": {"name": "CVE-2021-44906"}, "products": [{"@id": "pkg:npm/minimist@1.2.0"}], "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}`)}, f: minimist, want: "vex"},
		{name: "vex: by GHSA alias, product without version", vex: []string{openVEX(`{"vulnerability": {"name": "GHSA-xvch-5gv4-984h"}, "products": [{"@id": "pkg:npm/minimist"}], "status": "fixed"}`)}, f: minimist, want: "vex"},
		{name: "vex: affected does not suppress", vex: []string{openVEX(`{"vulnerability": {"name": "CVE-2021-44906"}, "products": [{"@id": "pkg:npm/minimist"}], "status": "affected", "action_statement": "upgrade"}`)}, f: minimist, want: "fail"},
		{name: "vex: under_investigation does not suppress", vex: []string{openVEX(`{"vulnerability": {"name": "CVE-2021-44906"}, "products": [{"@id": "pkg:npm/minimist"}], "status": "under_investigation"}`)}, f: minimist, want: "fail"},
		{name: "vex: a later affected statement overrides", vex: []string{openVEX(
			`{"vulnerability": {"name": "CVE-2021-44906"}, "products": [{"@id": "pkg:npm/minimist"}], "status": "not_affected", "justification": "vulnerable_code_not_present", "timestamp": "2026-11-02T00:00:00Z"}`,
			`{"vulnerability": {"name": "CVE-2021-44906"}, "products": [{"@id": "pkg:npm/minimist"}], "status": "affected", "action_statement": "upgrade", "timestamp": "2026-11-03T00:00:00Z"}`)},
			f: minimist, want: "fail"},
		{name: "vex: other package", vex: []string{openVEX(`{"vulnerability": {"name": "CVE-2021-44906"}, "products": [{"@id": "pkg:npm/lodash"}], "status": "not_affected", "justification": "component_not_present"}`)}, f: minimist, want: "fail"},
		{name: "vex: the image as product covers its packages", target: appImage, vex: []string{openVEX(`{"vulnerability": {"name": "CVE-2021-44906"}, "products": [{"@id": "pkg:oci/web@` + strings.Replace(appImage.Digest, ":", "%3A", 1) + `"}], "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}`)}, f: minimist, want: "vex"},
		{name: "vex: CycloneDX not_affected", vex: []string{`{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
			"components": [{"type": "library", "bom-ref": "m", "name": "minimist", "version": "1.2.0", "purl": "pkg:npm/minimist@1.2.0"}],
			"vulnerabilities": [{"id": "CVE-2021-44906", "analysis": {"state": "not_affected", "justification": "code_not_reachable"}, "affects": [{"ref": "m"}]}]}`}, f: minimist, want: "vex"},
		{name: "vex wins over an exception", exceptions: exc("CVE-2021-44906"), vex: []string{openVEX(`{"vulnerability": {"name": "CVE-2021-44906"}, "products": [{"@id": "pkg:npm/minimist"}], "status": "fixed"}`)}, f: minimist, want: "vex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Target: tt.target, Now: date("2026-11-27")}
			if tt.now != "" {
				in.Now = date(tt.now).Add(23 * time.Hour) // late in the day: expiry is by date, not hour
			}
			if tt.policy != "" {
				p, err := ParsePolicy([]byte(tt.policy), "hullscan.yaml")
				if err != nil {
					t.Fatal(err)
				}
				in.Rules = p.Rules
			}
			if tt.exceptions != "" {
				x, err := ParseExceptions([]byte(tt.exceptions), "exceptions.yaml", nil, date("2026-11-27"))
				if err != nil {
					t.Fatal(err)
				}
				in.Exceptions = x
			}
			for i, doc := range tt.vex {
				d, err := vex.Read(strings.NewReader(doc), "doc"+string(rune('0'+i)))
				if err != nil {
					t.Fatal(err)
				}
				in.VEX = append(in.VEX, d)
			}
			m := &model.Matches{Findings: []model.Finding{tt.f}}
			v := Apply(in, m)
			f := m.Findings[0]
			got := "pass"
			switch {
			case f.Suppressed != nil:
				got = f.Suppressed.Kind
				if f.FailedRule != "" {
					t.Errorf("suppressed finding also fails %q", f.FailedRule)
				}
			case f.FailedRule != "":
				got = "fail"
			}
			if got != tt.want {
				t.Errorf("got %s, want %s (suppressed %+v, rule %q)", got, tt.want, f.Suppressed, f.FailedRule)
			}
			if v.Passed != (got != "fail") || v.Failing != btoi(got == "fail") || v.Suppressed != btoi(f.Suppressed != nil) {
				t.Errorf("verdict %+v disagrees with the finding", v)
			}
			if len(v.Expired) != tt.expired {
				t.Errorf("expired %+v, want %d", v.Expired, tt.expired)
			}
			if m.Verdict != v {
				t.Error("verdict not stored in the matches")
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestApplyReport checks what reports rely on: the suppression says who and why, expired exceptions are listed
// with the findings they would still cover, and applying twice gives the same result.
func TestApplyReport(t *testing.T) {
	x, err := ParseExceptions([]byte(`exceptions:
  - id: CVE-2021-44906
    package: minimist
    classification: fix-scheduled
    owner: team-payments
    reason: upgrade lands in sprint 48
    expires: 2026-12-15
  - id: CVE-2021-23337
    classification: accepted-risk
    owner: team-web
    reason: template input is trusted
    expires: 2026-11-26
`), ".hullscan/exceptions.yaml", nil, date("2026-11-20"))
	if err != nil {
		t.Fatal(err)
	}
	m := &model.Matches{Findings: []model.Finding{minimist, lodash, libssl}}
	in := Input{Rules: []Rule{{Severities: []model.Severity{model.SeverityHigh, model.SeverityCritical}}}, Exceptions: x, Now: date("2026-11-27")}
	for range 2 {
		v := Apply(in, m)
		s := m.Findings[0].Suppressed
		if s == nil || s.Kind != "exception" || s.Classification != FixScheduled || s.Owner != "team-payments" ||
			s.Expires != "2026-12-15" || s.Source != ".hullscan/exceptions.yaml:2" || s.Reason != "upgrade lands in sprint 48" {
			t.Fatalf("suppression %+v", s)
		}
		if m.Findings[1].Suppressed != nil || m.Findings[1].FailedRule != "severity HIGH|CRITICAL" || m.Findings[2].FailedRule == "" {
			t.Errorf("findings %+v", m.Findings[1:])
		}
		want := model.ExpiredException{ID: "CVE-2021-23337", Owner: "team-web", Expires: "2026-11-26", Source: ".hullscan/exceptions.yaml:8", Matches: 1}
		if v.Passed || v.Failing != 2 || v.Suppressed != 1 || len(v.Expired) != 1 || v.Expired[0] != want {
			t.Errorf("verdict %+v", v)
		}
	}
}
