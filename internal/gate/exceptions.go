package gate

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"
	"gopkg.in/yaml.v3"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/vex"
)

// DefaultExceptionsFile is where a project keeps its exceptions when no --exceptions flag or policy names one.
const DefaultExceptionsFile = ".hullscan/exceptions.yaml"

// Classifications of an exception: why a finding may be let through.
const (
	AcceptedRisk  = "accepted-risk"  // real, and someone accepts the risk until a date
	FalsePositive = "false-positive" // the finding does not apply (wrong package, code not present...)
	FixScheduled  = "fix-scheduled"  // real, and a fix is planned by a date
)

// Classifications lists the valid classifications, in documentation order.
func Classifications() []string { return []string{AcceptedRisk, FalsePositive, FixScheduled} }

// Lifetimes caps how far ahead an exception of each classification may expire, in days. An accepted risk must be
// looked at again within a quarter; a scheduled fix should land within a month; a false positive stays false
// until the package changes, so it may last a year.
type Lifetimes map[string]int

// DefaultLifetimes are used when the policy sets none.
var DefaultLifetimes = Lifetimes{AcceptedRisk: 90, FalsePositive: 365, FixScheduled: 30}

// Exception is one entry of an exceptions file.
type Exception struct {
	ID             string    // a vulnerability id; any alias of a finding matches
	Package        string    // optional: a package name or glob
	PURL           string    // optional: a package URL; without a version it covers every version
	Scope          []string  // optional: globs over the target (image reference, digest, path) or the finding's location
	Classification string    // AcceptedRisk, FalsePositive or FixScheduled
	Owner          string    // who answers for it
	Reason         string    // why
	Expires        time.Time // the last day it holds (UTC)
	Created        time.Time // optional: the day it was written; zero when not given
	File           string
	Line           int

	scope []glob
	pkg   *glob
	purl  *packageurl.PackageURL
}

// Where names the entry for messages: "file:line".
func (x *Exception) Where() string { return fmt.Sprintf("%s:%d", x.File, x.Line) }

// ExpiresText is the expiry date as written.
func (x *Exception) ExpiresText() string { return x.Expires.Format(time.DateOnly) }

// Expired tells whether the exception has run out on the given day: it holds through its expiry date.
func (x *Exception) Expired(now time.Time) bool { return day(now).After(x.Expires) }

// Exceptions is a parsed exceptions file.
type Exceptions struct {
	File    string
	Entries []Exception
}

// LoadExceptions reads and checks an exceptions file.
func LoadExceptions(path string, lim Lifetimes, now time.Time) (*Exceptions, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read exceptions: %w", err)
	}
	return ParseExceptions(data, path, lim, now)
}

// ParseExceptions reads an exceptions file:
//
//	exceptions:
//	  - id: CVE-2021-44906
//	    package: minimist
//	    classification: accepted-risk
//	    owner: team-payments
//	    reason: not reachable, input is trusted
//	    expires: 2027-01-31
//
// Every problem is reported with its line; owner, reason and expires are required, and an entry may not reach
// further ahead than its classification's lifetime (from its created date when given, else from now). Expired
// entries are not errors: the gate reports them.
func ParseExceptions(data []byte, file string, lim Lifetimes, now time.Time) (*Exceptions, error) {
	if lim == nil {
		lim = DefaultLifetimes
	}
	top, err := parseYAML(data, file)
	if err != nil {
		return nil, err
	}
	e := &fileErrors{file: file}
	out := &Exceptions{File: file}
	mapping(e, top, "exceptions file", map[string]func(*yaml.Node){
		"version": func(v *yaml.Node) {
			if s, ok := scalar(e, v, "version"); ok && s != "1" {
				e.at(v, "version %q: this hullscan reads version 1", s)
			}
		},
		"exceptions": func(v *yaml.Node) {
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				return // "exceptions:" with nothing under it
			}
			if v.Kind != yaml.SequenceNode {
				e.at(v, "exceptions: want a list of entries")
				return
			}
			for i, n := range v.Content {
				if x, ok := parseException(e, n, i+1, file, lim, now); ok {
					out.Entries = append(out.Entries, x)
				}
			}
		},
	})
	if err := e.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func parseException(e *fileErrors, n *yaml.Node, idx int, file string, lim Lifetimes, now time.Time) (Exception, bool) {
	before := len(e.errs)
	x := Exception{File: file, Line: n.Line}
	what := func(k string) string { return fmt.Sprintf("entry %d: %s", idx, k) }
	var expiresNode, createdNode *yaml.Node
	mapping(e, n, fmt.Sprintf("entry %d", idx), map[string]func(*yaml.Node){
		"id": func(v *yaml.Node) { x.ID, _ = scalar(e, v, what("id")) },
		"package": func(v *yaml.Node) {
			x.Package, _ = scalar(e, v, what("package"))
		},
		"purl":           func(v *yaml.Node) { x.PURL, _ = scalar(e, v, what("purl")) },
		"scope":          func(v *yaml.Node) { x.Scope = list(e, v, what("scope")) },
		"classification": func(v *yaml.Node) { x.Classification, _ = scalar(e, v, what("classification")) },
		"owner":          func(v *yaml.Node) { x.Owner, _ = scalar(e, v, what("owner")) },
		"reason":         func(v *yaml.Node) { x.Reason, _ = scalar(e, v, what("reason")) },
		"expires":        func(v *yaml.Node) { expiresNode = v },
		"created":        func(v *yaml.Node) { createdNode = v },
	})
	if n.Kind != yaml.MappingNode {
		return x, false
	}
	x.ID = strings.TrimSpace(x.ID)
	if x.ID == "" {
		e.at(n, "entry %d: id is required (a CVE, GHSA or distribution advisory id)", idx)
	} else if strings.ContainsAny(x.ID, " \t*?") {
		e.at(n, "entry %d: id %q: one vulnerability id, no spaces or wildcards", idx, x.ID)
	}
	for _, req := range []struct{ name, val string }{{"owner", x.Owner}, {"reason", x.Reason}} {
		if strings.TrimSpace(req.val) == "" {
			e.at(n, "entry %d (%s): %s is required", idx, x.ID, req.name)
		}
	}
	switch x.Classification {
	case AcceptedRisk, FalsePositive, FixScheduled:
	case "":
		e.at(n, "entry %d (%s): classification is required (%s)", idx, x.ID, strings.Join(Classifications(), ", "))
	default:
		e.at(n, "entry %d (%s): classification %q: want %s", idx, x.ID, x.Classification, strings.Join(Classifications(), ", "))
	}
	if x.Package != "" {
		g, err := compileGlob(x.Package)
		if err != nil {
			e.at(n, "entry %d: package: %v", idx, err)
		}
		x.pkg = &g
	}
	if x.PURL != "" {
		p, err := packageurl.FromString(x.PURL)
		if err != nil {
			e.at(n, "entry %d: purl %q: %v", idx, x.PURL, err)
		} else {
			x.purl = &p
		}
	}
	for _, s := range x.Scope {
		g, err := compileGlob(s)
		if err != nil {
			e.at(n, "entry %d: scope: %v", idx, err)
			continue
		}
		x.scope = append(x.scope, g)
	}
	if createdNode != nil {
		if s, ok := scalar(e, createdNode, what("created")); ok {
			t, err := parseDate(s)
			if err != nil {
				e.at(createdNode, "entry %d: created: %v", idx, err)
			}
			x.Created = t
		}
	}
	if expiresNode == nil {
		e.at(n, "entry %d (%s): expires is required (YYYY-MM-DD, the last day the exception holds)", idx, x.ID)
	} else if s, ok := scalar(e, expiresNode, what("expires")); ok {
		t, err := parseDate(s)
		if err != nil {
			e.at(expiresNode, "entry %d: expires: %v", idx, err)
		}
		x.Expires = t
	}
	if len(e.errs) > before {
		return x, false
	}
	if max, ok := lim[x.Classification]; ok {
		from, fromWhat := day(now), "today"
		if !x.Created.IsZero() {
			from, fromWhat = x.Created, "its created date "+x.Created.Format(time.DateOnly)
			if x.Created.After(x.Expires) {
				e.at(expiresNode, "entry %d (%s): expires %s is before created %s", idx, x.ID, x.ExpiresText(), x.Created.Format(time.DateOnly))
				return x, false
			}
		}
		if days := int(x.Expires.Sub(from).Hours() / 24); days > max {
			e.at(expiresNode, "entry %d (%s): expires %s is %d days after %s; a %s exception may last at most %d days",
				idx, x.ID, x.ExpiresText(), days, fromWhat, x.Classification, max)
			return x, false
		}
	}
	return x, true
}

// Matches tells whether the exception covers the finding in the target named by targets (see TargetNames).
// Expiry is not considered here.
func (x *Exception) Matches(f *model.Finding, targets []string) bool {
	if !hasID(f, x.ID) {
		return false
	}
	if x.pkg != nil && !x.pkg.match(f.Package) && !x.pkg.match(strings.ToLower(f.Package)) {
		return false
	}
	if x.purl != nil && !purlCovers(x.purl, f.PURL) {
		return false
	}
	if len(x.scope) > 0 && !anyMatch(x.scope, scopeNames(f, targets)) {
		return false
	}
	return true
}

// hasID tells whether id names the finding: its id, an alias, or an advisory it was matched from.
func hasID(f *model.Finding, id string) bool {
	if strings.EqualFold(f.ID, id) {
		return true
	}
	for _, lists := range [][]string{f.Aliases, f.Advisories} {
		for _, a := range lists {
			if strings.EqualFold(a, id) {
				return true
			}
		}
	}
	return false
}

// purlCovers tells whether the pattern purl names the package purl, as vex.PURLCovers does.
func purlCovers(pattern *packageurl.PackageURL, purl string) bool {
	if purl == "" {
		return false
	}
	p, err := packageurl.FromString(purl)
	return err == nil && vex.PURLCovers(*pattern, p)
}

// scopeNames are what a scope glob is matched against: the target's names and the finding's location, with and
// without its leading slash.
func scopeNames(f *model.Finding, targets []string) []string {
	names := append([]string(nil), targets...)
	if f.Location != "" {
		names = append(names, f.Location, strings.TrimPrefix(f.Location, "/"))
	}
	return names
}

// TargetNames are the names a scanned target answers to, for scopes and VEX products: the name as given, the
// image reference without its tag or digest, its tags, its manifest digest and config digest, and name@digest.
func TargetNames(src model.Source) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	add(src.Name)
	add(stripTag(src.Name))
	for _, t := range src.RepoTags {
		add(t)
		add(stripTag(t))
	}
	add(src.Digest)
	add(src.ImageID)
	if src.Digest != "" {
		add(stripTag(src.Name) + "@" + src.Digest)
	}
	if len(out) > 1 {
		sort.Strings(out[1:]) // the name as given stays first; the rest in a stable order
	}
	return out
}

// stripTag removes ":tag" and "@digest" from an image reference; a port ("host:5000/app") stays.
func stripTag(ref string) string {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndexByte(ref, ':'); i >= 0 && !strings.Contains(ref[i:], "/") {
		ref = ref[:i]
	}
	return ref
}
