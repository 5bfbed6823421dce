package vex

import (
	"net/url"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/package-url/packageurl-go"
)

// Match returns the statement that decides a finding, or nil when none covers it. ids are the finding's id and
// aliases (compared case-insensitively); pkgPURL is the package's purl (may be empty); targets are the identities
// of the scanned artefact: the reference as given ("registry.example.com/app:1.4"), its digest ("sha256:…"), an
// oci purl ("pkg:oci/app@sha256:…"), a directory path.
//
// A product covers the package when it is a purl of the same type, namespace and name whose version (when it
// gives one) is the package's and whose qualifiers (those it gives) the package's purl has with the same values.
// A product that identifies the target covers every package in it, or, with subcomponents, those packages only.
// When several statements cover the finding, the latest timestamp wins (later statements supersede earlier ones),
// and of equal timestamps the last in the document. The caller decides what the status means (see Suppresses).
func (d *Document) Match(ids []string, pkgPURL string, targets []string) *Statement {
	return d.MatchPackage(ids, "", pkgPURL, targets)
}

// MatchPackage is Match with the package's hullscan id as well: a CycloneDX affects ref that is no purl may be a
// bom-ref of a BOM hullscan wrote, and those are package ids.
func (d *Document) MatchPackage(ids []string, pkgID, pkgPURL string, targets []string) *Statement {
	if d == nil {
		return nil
	}
	pkg := pkgIdentity{id: pkgID}
	if u, ok := parsePURL(pkgPURL); ok {
		pkg.purl = &u
	}
	var best *Statement
	for i := range d.Statements {
		st := &d.Statements[i]
		if !st.names(ids) {
			continue
		}
		covered := false
		for _, p := range st.Products {
			if covers(p, pkg, targets) {
				covered = true
				break
			}
		}
		if covered && (best == nil || !st.Timestamp.Before(best.Timestamp)) {
			best = st
		}
	}
	return best
}

// names reports whether the statement is about one of the ids.
func (st *Statement) names(ids []string) bool {
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if strings.EqualFold(id, st.Vulnerability) {
			return true
		}
		for _, a := range st.Aliases {
			if strings.EqualFold(id, a) {
				return true
			}
		}
	}
	return false
}

type pkgIdentity struct {
	id   string
	purl *packageurl.PackageURL
}

func covers(p Product, pkg pkgIdentity, targets []string) bool {
	isTarget := identifiesTarget(p, targets)
	if len(p.Subcomponents) == 0 {
		return isTarget || isPackage(p, pkg)
	}
	// Subcomponents narrow a product to the packages they name, and only inside that product: without a
	// dependency graph here, a package product with subcomponents counts only when it is the target itself.
	if !isTarget {
		return false
	}
	for _, sc := range p.Subcomponents {
		if isPackage(sc, pkg) {
			return true
		}
	}
	return false
}

// isPackage reports whether the component names the finding's package.
func isPackage(p Product, pkg pkgIdentity) bool {
	for _, s := range []string{p.PURL, p.ID} {
		if s == "" {
			continue
		}
		if pkg.id != "" && s == pkg.id {
			return true
		}
		if pkg.purl != nil {
			if u, ok := parsePURL(s); ok && PURLCovers(u, *pkg.purl) {
				return true
			}
		}
	}
	return false
}

// PURLCovers reports whether purl a (a product's, or an exception's) names package b: same type, namespace and
// name, and what a gives of version, qualifiers and subpath equal in b. The gate's exceptions and rules match
// packages by the same rule as VEX products, so one statement and one exception about a purl cover the same
// packages.
func PURLCovers(a, b packageurl.PackageURL) bool {
	if a.Type != b.Type || a.Namespace != b.Namespace || a.Name != b.Name {
		return false
	}
	if a.Version != "" && a.Version != b.Version {
		return false
	}
	if a.Subpath != "" && a.Subpath != b.Subpath {
		return false
	}
	bq := b.Qualifiers.Map()
	for k, v := range a.Qualifiers.Map() {
		if w, ok := bq[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func parsePURL(s string) (packageurl.PackageURL, bool) {
	if !isPURL(s) {
		return packageurl.PackageURL{}, false
	}
	u, err := packageurl.FromString(s)
	return u, err == nil
}

// identifiesTarget reports whether the product is the scanned artefact.
func identifiesTarget(p Product, targets []string) bool {
	for _, s := range []string{p.PURL, p.ID} {
		if s == "" {
			continue
		}
		for _, t := range targets {
			if t != "" && sameArtefact(s, t) {
				return true
			}
		}
	}
	return false
}

// sameArtefact compares two identities of an artefact: equal strings, equal digests (when both carry one), the
// same normalised image reference, the same path, or a purl naming the other.
func sameArtefact(a, b string) bool {
	if a == b {
		return true
	}
	if da, db := digestOf(a), digestOf(b); da != "" && db != "" {
		return da == db
	}
	if ra, rb := refOf(a), refOf(b); ra != "" && ra == rb {
		return true
	}
	if pa, pb := pathOf(a), pathOf(b); pa != "" && pa == pb {
		return true
	}
	ua, oka := parsePURL(a)
	ub, okb := parsePURL(b)
	return oka && okb && PURLCovers(ua, ub)
}

// digestOf finds the content digest an identity names: "sha256:…" itself, an image reference "…@sha256:…",
// or an oci purl's version.
func digestOf(s string) string {
	if u, ok := parsePURL(s); ok {
		if u.Type == "oci" && isDigest(u.Version) {
			return strings.ToLower(u.Version)
		}
		return ""
	}
	if isDigest(s) {
		return strings.ToLower(s)
	}
	if i := strings.LastIndex(s, "@"); i >= 0 && isDigest(s[i+1:]) {
		return strings.ToLower(s[i+1:])
	}
	return ""
}

func isDigest(s string) bool {
	alg, hex, ok := strings.Cut(s, ":")
	if !ok || (alg != "sha256" && alg != "sha512") || len(hex) < 32 {
		return false
	}
	for _, c := range strings.ToLower(hex) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// refOf normalises an image reference ("alpine:3.19" is "index.docker.io/library/alpine:3.19"); an oci purl
// gives one through its repository_url and tag qualifiers. Empty for anything else.
func refOf(s string) string {
	if u, ok := parsePURL(s); ok {
		q := u.Qualifiers.Map()
		if u.Type != "oci" || q["repository_url"] == "" {
			return ""
		}
		s = q["repository_url"]
		if tag := q["tag"]; tag != "" {
			s += ":" + tag
		}
	}
	if strings.HasPrefix(s, "file:") || strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") {
		return ""
	}
	ref, err := name.ParseReference(s)
	if err != nil {
		return ""
	}
	return ref.Name()
}

// pathOf reads a directory identity: a path, or a file: URI of one.
func pathOf(s string) string {
	if strings.HasPrefix(s, "file:") {
		u, err := url.Parse(s)
		if err != nil {
			return ""
		}
		s = u.Path
		if s == "" {
			if s, err = url.PathUnescape(u.Opaque); err != nil {
				return ""
			}
		}
	} else if strings.Contains(s, ":") {
		return "" // a reference or an IRI, not a path
	}
	if s == "" {
		return ""
	}
	return filepath.Clean(filepath.FromSlash(s))
}
