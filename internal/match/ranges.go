package match

import (
	"fmt"
	"sort"

	"github.com/google/osv-scalibr/semantic"

	"github.com/hullscan/hullscan/internal/vulndb"
)

// verdict is what one advisory entry says about one installed version.
type verdict struct {
	affected bool
	// fixed is the lowest version that leaves the range the installed version is in; "" when none is published
	// (the range is open-ended, or ends at a last_affected version).
	fixed string
}

// versionOf parses a version under a range type: ECOSYSTEM ranges (and versions lists) use the ecosystem's own
// ordering, SEMVER ranges Semantic Versioning 2.0 whatever the ecosystem (as the OSV schema says).
func versionOf(rangeType, base, v string) (semantic.Version, error) {
	if rangeType == "SEMVER" {
		return semantic.ParseSemverVersion(v), nil
	}
	if base == "RubyGems" {
		return parseGemVersion(v), nil // see gemVersion
	}
	return semantic.Parse(v, base)
}

// evaluate applies one advisory entry to an installed version, exactly as the OSV schema's evaluation describes:
// the versions list is matched for equality; each range's events are sorted by version and walked, introduced
// turning "affected" on at or above it, fixed turning it off at or above it, last_affected off above it; a
// limit ends the range. Several ranges are alternatives: any one that says affected makes the entry affect it.
func evaluate(base, installed string, e vulndb.Affected) (verdict, error) {
	var out verdict
	if len(e.Versions) > 0 {
		iv, err := versionOf("ECOSYSTEM", base, installed)
		if err != nil {
			return verdict{}, err
		}
		for _, v := range e.Versions {
			if c, err := iv.CompareStr(v); err == nil && c == 0 {
				out.affected = true
				break
			}
		}
	}
	for _, r := range e.Ranges {
		rv, err := evaluateRange(base, installed, r)
		if err != nil {
			return verdict{}, err
		}
		if rv.affected {
			if !out.affected || (out.fixed != "" && rv.fixed == "") {
				// An open-ended range outweighs a fixed one: no single upgrade leaves both.
				out = rv
			} else if out.fixed != "" && rv.fixed != "" {
				if c, err := compareIn(r.Type, base, rv.fixed, out.fixed); err == nil && c > 0 {
					out.fixed = rv.fixed
				}
			}
			out.affected = true
		}
	}
	return out, nil
}

type event struct {
	kind string // "introduced", "fixed", "last_affected", "limit"
	raw  string
	v    semantic.Version
	zero bool // introduced "0": before every version
}

func evaluateRange(base, installed string, r vulndb.Range) (verdict, error) {
	iv, err := versionOf(r.Type, base, installed)
	if err != nil {
		return verdict{}, fmt.Errorf("version %q: %w", installed, err)
	}
	evs := make([]event, 0, len(r.Events))
	for _, e := range r.Events {
		ev := event{}
		switch {
		case e.Introduced != "":
			ev.kind, ev.raw = "introduced", e.Introduced
			ev.zero = e.Introduced == "0"
		case e.Fixed != "":
			ev.kind, ev.raw = "fixed", e.Fixed
		case e.LastAffected != "":
			ev.kind, ev.raw = "last_affected", e.LastAffected
		case e.Limit != "":
			ev.kind, ev.raw = "limit", e.Limit
		default:
			continue
		}
		if !ev.zero && !(ev.kind == "limit" && ev.raw == "*") {
			v, err := versionOf(r.Type, base, ev.raw)
			if err != nil {
				return verdict{}, fmt.Errorf("%s version %q: %w", ev.kind, ev.raw, err)
			}
			ev.v = v
		}
		evs = append(evs, ev)
	}
	var sortErr error
	less := func(a, b event) bool {
		switch {
		case a.zero || b.zero:
			return a.zero && !b.zero
		case a.v == nil || b.v == nil: // limit "*": after everything
			return b.v == nil && a.v != nil
		}
		c, err := a.v.Compare(b.v)
		if err != nil {
			sortErr = err
		}
		return c < 0
	}
	sort.SliceStable(evs, func(i, j int) bool { return less(evs[i], evs[j]) })
	if sortErr != nil {
		return verdict{}, sortErr
	}
	cmp := func(e event) int { // installed compared with the event's version
		if e.zero {
			return 1
		}
		if e.v == nil {
			return -1
		}
		c, err := iv.Compare(e.v)
		if err != nil {
			sortErr = err
		}
		return c
	}
	affected := false
	for _, e := range evs {
		switch e.kind {
		case "introduced":
			if cmp(e) >= 0 {
				affected = true
			}
		case "fixed":
			if cmp(e) >= 0 {
				affected = false
			}
		case "last_affected":
			if cmp(e) > 0 {
				affected = false
			}
		}
	}
	for _, e := range evs {
		if e.kind == "limit" && cmp(e) >= 0 {
			affected = false
		}
	}
	if sortErr != nil {
		return verdict{}, sortErr
	}
	if !affected {
		return verdict{}, nil
	}
	// The fix is the first fixed event above the installed version, unless a last_affected comes first (then the
	// range ends without a published fix).
	for _, e := range evs {
		if cmp(e) >= 0 && !(e.kind == "last_affected" && cmp(e) == 0) {
			continue
		}
		switch e.kind {
		case "fixed":
			return verdict{affected: true, fixed: e.raw}, nil
		case "last_affected", "limit":
			return verdict{affected: true}, nil
		}
	}
	return verdict{affected: true}, nil
}

// compareIn compares two versions of an ecosystem under a range type.
func compareIn(rangeType, base, a, b string) (int, error) {
	va, err := versionOf(rangeType, base, a)
	if err != nil {
		return 0, err
	}
	return va.CompareStr(b)
}
