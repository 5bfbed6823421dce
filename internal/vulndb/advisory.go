// Package vulndb builds, distributes and reads hullscan's vulnerability database: OSV advisories indexed by
// (ecosystem, package name), with severities computed at build time, aliases, the CISA KEV catalogue, EPSS scores
// and the Debian security tracker's states.
//
// The database format is ours (see db.go): a scanner's speed and its offline story live in it, and no Go library
// offers an OSV store with per-package lookups, alias joins and feed metadata in one read-only file.
package vulndb

import (
	"time"

	"github.com/hullscan/hullscan/internal/model"
)

// Advisory is the part of an OSV record that findings show, as stored in the database. The affected ranges are
// stored apart, under each package they name (see Affected), so that matching reads only the packages it looks up.
type Advisory struct {
	ID        string         `json:"id"`
	Aliases   []string       `json:"aliases,omitempty"`
	Summary   string         `json:"summary,omitempty"`
	Published time.Time      `json:"published,omitzero"`
	Modified  time.Time      `json:"modified,omitzero"`
	Ratings   []model.Rating `json:"ratings,omitempty"`
	// References are the record's reference URLs, all of them, advisory and fix links first.
	References []string `json:"references,omitempty"`
}

// Affected is one OSV "affected" entry, stored under its package: the versions of Package in Ecosystem that
// advisory ID affects.
type Affected struct {
	ID string `json:"id"`
	// Ecosystem is the OSV ecosystem as written, with its release: "Debian:12", "Alpine:v3.11", "PyPI".
	Ecosystem string   `json:"eco"`
	Package   string   `json:"pkg"` // as written in the advisory
	Ranges    []Range  `json:"ranges,omitempty"`
	Versions  []string `json:"versions,omitempty"`
	// Ratings an ecosystem gives this package in particular (OSV affected[].severity, or a distribution's
	// urgency in ecosystem_specific), preferred over the advisory's own.
	Ratings []model.Rating `json:"ratings,omitempty"`
}

// Range is an OSV range: a type (SEMVER, ECOSYSTEM, GIT) and its events in the order written.
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// TrackerStatus is the Debian security tracker's state for one (CVE, source package, release).
type TrackerStatus struct {
	CVE string `json:"cve"`
	// Status is the tracker's: "resolved" (FixedVersion set; "0" means never affected), "open" (no fix yet),
	// "undetermined".
	Status       string `json:"status"`
	FixedVersion string `json:"fixed,omitempty"`
	// Urgency is the tracker's: "unimportant", "low", "medium", "high", "not yet assigned", "end-of-life", …
	Urgency string `json:"urgency,omitempty"`
	// NoDSA is the tracker's "no-dsa"/"ignored"/"postponed" nodsa value where it has one: the security team will
	// not issue an advisory (a fix may still come through a point release).
	NoDSA string `json:"nodsa,omitempty"`
}

// FeedMeta describes one input feed of a built database.
type FeedMeta struct {
	Name string `json:"name"` // "osv:Debian", "kev", "epss", "debian-tracker"
	// Source is what it was read from (a path or URL).
	Source string `json:"source"`
	// Records is the number of records kept (advisories, catalogue entries, scores, tracker states).
	Records int `json:"records"`
	// Newest is the newest modification date among its records, or the feed's own date (KEV's release date,
	// EPSS's score date).
	Newest time.Time `json:"newest,omitzero"`
	// Skipped counts records left out, by reason ("withdrawn", "malformed", "unknown ecosystem Foo").
	Skipped map[string]int `json:"skipped,omitempty"`
}

// Meta is a database's metadata: what `hullscan db status` prints and scans check the age of.
type Meta struct {
	SchemaVersion int        `json:"schema_version"`
	Built         time.Time  `json:"built"`
	Feeds         []FeedMeta `json:"feeds"`
	// Ecosystems lists the OSV ecosystem base names ("Debian", "npm") that have advisories in the database, so
	// that a scan can say which of its packages could not be checked at all.
	Ecosystems []string `json:"ecosystems"`
}
