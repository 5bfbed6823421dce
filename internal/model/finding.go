package model

import "time"

// Severity is a finding's qualitative severity. The order of SeverityRank is the order the gate and reports use.
type Severity string

const (
	SeverityUnknown  Severity = "UNKNOWN"
	SeverityLow      Severity = "LOW"
	SeverityMedium   Severity = "MEDIUM"
	SeverityHigh     Severity = "HIGH"
	SeverityCritical Severity = "CRITICAL"
)

// SeverityRank orders severities: UNKNOWN 0 < LOW 1 < MEDIUM 2 < HIGH 3 < CRITICAL 4.
func SeverityRank(s Severity) int {
	switch s {
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return 0
}

// Rating is one source's view of a vulnerability's severity: a CVSS vector with the base score computed from it,
// or a qualitative rating (a distribution's urgency, GHSA's severity) without a vector.
type Rating struct {
	// Source says who gave the rating: "nvd", "ghsa", "debian", "alpine", "osv:<advisory id>" ...
	Source   string   `json:"source"`
	Severity Severity `json:"severity"`
	// Method is "CVSSv2", "CVSSv3" (3.0 and 3.1), "CVSSv4" or "other" (qualitative).
	Method string  `json:"method,omitempty"`
	Score  float64 `json:"score,omitempty"`
	Vector string  `json:"vector,omitempty"`
}

// FixStatus says whether an installed package can be upgraded out of a vulnerability.
type FixStatus string

const (
	StatusFixed    FixStatus = "fixed"     // a fixed version exists (FixedVersion)
	StatusNotFixed FixStatus = "not-fixed" // affected, and no fix published yet
	StatusWontFix  FixStatus = "wont-fix"  // the distribution decided not to fix (no-dsa, ignored, end of life)
)

// KEV is a CISA Known Exploited Vulnerabilities catalogue entry.
type KEV struct {
	DateAdded          string `json:"date_added"` // YYYY-MM-DD as the catalogue gives it
	DueDate            string `json:"due_date,omitempty"`
	KnownRansomwareUse bool   `json:"known_ransomware_use"`
}

// EPSS is a FIRST EPSS score: the probability of exploitation activity in the next 30 days, and its percentile.
type EPSS struct {
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
	Date       string  `json:"date,omitempty"` // the score date of the feed
}

// Finding is one vulnerability in one package. A vulnerability known under several ids (CVE, GHSA, distribution
// advisories) yields one finding per package, under its CVE id where it has one, with the others as Aliases.
type Finding struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	// Advisories are the records the match came from (the ids in the database whose ranges matched).
	Advisories []string `json:"advisories"`

	PackageID string    `json:"package_id"`
	Package   string    `json:"package"`
	Ecosystem Ecosystem `json:"ecosystem"`
	Installed string    `json:"installed_version"`
	PURL      string    `json:"purl,omitempty"`
	Location  string    `json:"location,omitempty"`
	Layer     *LayerRef `json:"layer,omitempty"`
	// MatchedAs says what was looked up when it is not the package itself: the source package of a binary
	// package ("source openssl 3.0.11-1~deb12u2 in Debian:12"), or the OS package that owns a language package.
	MatchedAs string `json:"matched_as,omitempty"`

	Status       FixStatus `json:"status"`
	FixedVersion string    `json:"fixed_version,omitempty"`
	// UpgradeTo is the version to upgrade the package to for every fixable finding it has: the highest of their
	// fixed versions in the ecosystem's own ordering. It is on each fixed finding of the package, so a report can
	// say "lodash 4.17.15 → 4.17.21 fixes A, B" without knowing how versions compare.
	UpgradeTo string `json:"upgrade_to,omitempty"`

	Severity       Severity `json:"severity"`
	SeveritySource string   `json:"severity_source,omitempty"`
	CVSSScore      float64  `json:"cvss_score,omitempty"`
	CVSSVector     string   `json:"cvss_vector,omitempty"`
	Ratings        []Rating `json:"ratings,omitempty"`

	EPSS *EPSS `json:"epss,omitempty"`
	KEV  *KEV  `json:"kev,omitempty"`

	Title      string     `json:"title,omitempty"`
	Published  *time.Time `json:"published,omitempty"`
	References []string   `json:"references,omitempty"`

	// Suppressed is set when an exception or a VEX statement covers the finding: it is still reported, but it
	// no longer counts against the gate.
	Suppressed *Suppression `json:"suppressed,omitempty"`
	// FailedRule describes the gate rule the finding fails ("severity CRITICAL, fixable"); empty when it fails
	// none, or is suppressed.
	FailedRule string `json:"failed_rule,omitempty"`
}

// Suppression kinds.
const (
	SuppressedByException = "exception"
	SuppressedByVEX       = "vex"
)

// Suppression says why a finding does not count against the gate, and who said so.
type Suppression struct {
	// Kind is "exception" (an entry of an exceptions file) or "vex" (a statement of a VEX document).
	Kind string `json:"kind"`
	// Classification is, for an exception, accepted-risk, false-positive or fix-scheduled; for VEX, the
	// statement's status: not_affected or fixed.
	Classification string `json:"classification"`
	// Justification is the VEX justification (vulnerable_code_not_in_execute_path, ...), when given.
	Justification string `json:"justification,omitempty"`
	// Reason is the exception's reason, or the VEX impact statement.
	Reason  string `json:"reason,omitempty"`
	Owner   string `json:"owner,omitempty"`
	Expires string `json:"expires,omitempty"` // YYYY-MM-DD, the last day the exception holds
	// Source is where the suppression was written: "file:line" for an exception, the document (and statement)
	// for VEX.
	Source string `json:"source"`
}

// Verdict is the gate's decision on a scan, for reports to show beside the findings.
type Verdict struct {
	Passed bool `json:"passed"`
	// Rules describe the fail rules applied, in order.
	Rules []string `json:"rules"`
	// Failing counts findings that fail a rule; Suppressed counts findings an exception or VEX covers.
	Failing    int `json:"failing"`
	Suppressed int `json:"suppressed"`
	// Expired are exceptions past their date: they no longer suppress anything, and someone must renew or
	// remove them.
	Expired []ExpiredException `json:"expired_exceptions,omitempty"`
}

// ExpiredException is an exception that has run out.
type ExpiredException struct {
	ID      string `json:"id"`
	Package string `json:"package,omitempty"`
	Owner   string `json:"owner"`
	Expires string `json:"expires"`
	Source  string `json:"source"`
	// Matches counts the findings it would still cover.
	Matches int `json:"matches"`
}

// Unchecked counts packages that could not be checked for vulnerabilities, by ecosystem and reason, so that a
// report never passes them off as "no vulnerabilities".
type Unchecked struct {
	Ecosystem string `json:"ecosystem"`
	Reason    string `json:"reason"`
	Packages  int    `json:"packages"`
}

// DatabaseInfo names the vulnerability database a scan used.
type DatabaseInfo struct {
	Path  string    `json:"path"`
	Built time.Time `json:"built"`
	// Schema is the database's schema version.
	Schema int `json:"schema_version"`
}

// Matches is the outcome of matching one inventory against a vulnerability database.
type Matches struct {
	Findings []Finding    `json:"findings"`
	Database DatabaseInfo `json:"database"`
	// Checked is the number of packages looked up.
	Checked   int         `json:"checked"`
	Unchecked []Unchecked `json:"unchecked,omitempty"`
	// SkippedDev counts development-only dependencies left out (without --include-dev); SkippedOSOwned counts
	// language packages an OS package installed, matched through that OS package (the distribution backports
	// fixes into them, so upstream advisories would be false positives).
	SkippedDev     int      `json:"skipped_dev,omitempty"`
	SkippedOSOwned int      `json:"skipped_os_owned,omitempty"`
	Warnings       []string `json:"warnings,omitempty"`
	// Verdict is the gate's decision, once the gate has run.
	Verdict *Verdict `json:"gate,omitempty"`
}
