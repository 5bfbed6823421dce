package vex

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/package-url/packageurl-go"

	"github.com/hullscan/hullscan/internal/model"
)

// OpenVEXContext is the @context hullscan writes: the version whose JSON schema the output is checked against.
const OpenVEXContext = "https://openvex.dev/ns/v0.2.0"

// ErrNoStatements is returned by WriteOpenVEX when no finding is suppressed: an OpenVEX document must hold at
// least one statement, so there is nothing valid to write.
var ErrNoStatements = errors.New("no suppressed finding: an OpenVEX document needs at least one statement")

// WriteOptions are the document-level fields of WriteOpenVEX's output.
type WriteOptions struct {
	// Author is the document's author (default "hullscan").
	Author string
	// Now is the document's timestamp (default: the current time).
	Now time.Time
	// ID is the document's @id (default: derived from the content, so the same suppressions give the same id).
	ID string
	// Product is the scanned target's identity (an image reference, a digest, an oci purl, a directory). When
	// set, it is every statement's product, with the packages as subcomponents.
	Product string
}

// ovOut* are the shapes written, in the field order of the OpenVEX spec's examples.
type ovOutDocument struct {
	Context    string           `json:"@context"`
	ID         string           `json:"@id"`
	Author     string           `json:"author"`
	Timestamp  string           `json:"timestamp"`
	Version    int              `json:"version"`
	Tooling    string           `json:"tooling"`
	Statements []ovOutStatement `json:"statements"`
}

type ovOutStatement struct {
	Vulnerability   ovOutVulnerability `json:"vulnerability"`
	Products        []ovOutComponent   `json:"products"`
	Status          string             `json:"status"`
	StatusNotes     string             `json:"status_notes,omitempty"`
	Justification   string             `json:"justification,omitempty"`
	ImpactStatement string             `json:"impact_statement,omitempty"`
	ActionStatement string             `json:"action_statement,omitempty"`
}

type ovOutVulnerability struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
}

type ovOutComponent struct {
	ID            string           `json:"@id"`
	Subcomponents []ovOutComponent `json:"subcomponents,omitempty"`
}

// stmtKey groups findings into one statement: the same vulnerability and the same words about it.
type stmtKey struct {
	vuln, status, justification, impact, action, notes string
	whole                                              bool // the finding has no purl: the statement is about the whole target
}

// WriteOpenVEX writes one OpenVEX statement per vulnerability and suppression (findings with Suppressed set;
// the rest are left out), the packages of one vulnerability, status and wording together, in a deterministic
// order.
//
// Products: with o.Product set, the product is the target and the packages are its subcomponents. That is what
// the suppressions mean: the triage behind them (an exception, a VEX statement about this artefact) was about
// this artefact, and the same package in another image may well be reachable; it is also the shape grype and
// trivy match images by. Without o.Product, each package purl is a product of its own, which applies the
// statement to that package wherever it is found. A finding without a purl then has nothing to name it, and is
// an error.
func WriteOpenVEX(w io.Writer, findings []model.Finding, o WriteOptions) error {
	groups := map[stmtKey][]string{}
	aliases := map[string]map[string]bool{}
	for i := range findings {
		f := &findings[i]
		if f.Suppressed == nil {
			continue
		}
		k, err := statementFor(f)
		if err != nil {
			return fmt.Errorf("write OpenVEX: finding %s in %s: %w", f.ID, f.Package, err)
		}
		purl := strings.TrimSpace(f.PURL)
		if purl == "" {
			if o.Product == "" {
				return fmt.Errorf("write OpenVEX: finding %s in %s: the package has no purl and no target product is given", f.ID, f.Package)
			}
			k.whole = true
		}
		groups[k] = append(groups[k], purl)
		if aliases[k.vuln] == nil {
			aliases[k.vuln] = map[string]bool{}
		}
		for _, a := range f.Aliases {
			if a != "" && a != k.vuln {
				aliases[k.vuln][a] = true
			}
		}
	}
	if len(groups) == 0 {
		return ErrNoStatements
	}
	keys := make([]stmtKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		for _, c := range [][2]string{{a.vuln, b.vuln}, {a.status, b.status}, {a.justification, b.justification},
			{a.impact, b.impact}, {a.action, b.action}, {a.notes, b.notes}} {
			if c[0] != c[1] {
				return c[0] < c[1]
			}
		}
		return !a.whole && b.whole
	})
	target := ""
	if o.Product != "" {
		target = targetIRI(o.Product)
	}
	doc := ovOutDocument{Context: OpenVEXContext, Author: o.Author, Version: 1, Tooling: "hullscan"}
	if doc.Author == "" {
		doc.Author = "hullscan"
	}
	for _, k := range keys {
		st := ovOutStatement{
			Vulnerability: ovOutVulnerability{Name: k.vuln, Aliases: sortedSet(aliases[k.vuln])},
			Status:        k.status, StatusNotes: k.notes, Justification: k.justification,
			ImpactStatement: k.impact, ActionStatement: k.action,
		}
		purls := sortedSet(setOf(groups[k]))
		switch {
		case k.whole:
			st.Products = []ovOutComponent{{ID: target}}
		case target != "":
			p := ovOutComponent{ID: target}
			for _, u := range purls {
				p.Subcomponents = append(p.Subcomponents, ovOutComponent{ID: u})
			}
			st.Products = []ovOutComponent{p}
		default:
			for _, u := range purls {
				st.Products = append(st.Products, ovOutComponent{ID: u})
			}
		}
		doc.Statements = append(doc.Statements, st)
	}
	doc.ID = o.ID
	if doc.ID == "" {
		// Derived from what the document says (not when), so rewriting the same suppressions gives the same id.
		b, err := json.Marshal(struct {
			A string
			S []ovOutStatement
		}{doc.Author, doc.Statements})
		if err != nil {
			return fmt.Errorf("write OpenVEX: %w", err)
		}
		sum := sha256.Sum256(b)
		doc.ID = "https://openvex.dev/docs/public/vex-" + hex.EncodeToString(sum[:])
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	doc.Timestamp = now.UTC().Format(time.RFC3339)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write OpenVEX: %w", err)
	}
	return nil
}

// statementFor says what a suppressed finding's statement says.
func statementFor(f *model.Finding) (stmtKey, error) {
	s := f.Suppressed
	k := stmtKey{vuln: f.ID}
	switch s.Kind {
	case model.SuppressedByVEX:
		if !validStatus(s.Classification) {
			return k, fmt.Errorf("VEX status %q", s.Classification)
		}
		k.status, k.impact = s.Classification, s.Reason
		if isOpenVEXJustification(s.Justification) {
			k.justification = s.Justification
		} else if s.Justification != "" {
			// A CycloneDX justification has no OpenVEX label; say it in words rather than guess a mapping.
			k.impact = joinNonEmpty(". ", "CycloneDX justification: "+s.Justification, k.impact)
		}
		if k.status == StatusNotAffected && k.justification == "" && k.impact == "" {
			k.impact = "not affected, as stated by " + s.Source
		}
		if k.status == StatusAffected {
			k.action = "see " + s.Source
		}
		k.notes = "suppressed by VEX: " + s.Source
	case model.SuppressedByException:
		switch s.Classification {
		case "false-positive":
			k.status = StatusNotAffected
			k.impact = joinNonEmpty(" ", orDefault(s.Reason, "false positive"),
				parenthesised(prefixed("owner ", s.Owner), prefixed("until ", s.Expires), s.Source))
		case "accepted-risk":
			k.status = StatusAffected
			k.action = "risk accepted" + prefixed(" by ", s.Owner) + prefixed(" until ", s.Expires) + prefixed(": ", s.Reason)
		case "fix-scheduled":
			k.status = StatusAffected
			k.action = "fix scheduled" + prefixed(" by ", s.Owner) + prefixed(" by ", s.Expires) + prefixed(": ", s.Reason)
		default:
			return k, fmt.Errorf("exception classification %q: want false-positive, accepted-risk or fix-scheduled", s.Classification)
		}
		k.notes = "suppressed by a hullscan exception: " + s.Source
	default:
		return k, fmt.Errorf("suppression kind %q", s.Kind)
	}
	return k, nil
}

// targetIRI writes a target identity as the IRI a product @id must be: purls and URIs as they are, digests as
// they are ("sha256:…" is an IRI), image references as oci purls, directories as file: URIs.
func targetIRI(s string) string {
	s = strings.TrimSpace(s)
	for _, scheme := range []string{"pkg:", "http://", "https://", "urn:", "file:"} {
		if strings.HasPrefix(strings.ToLower(s), scheme) {
			return s
		}
	}
	if isDigest(s) {
		return strings.ToLower(s)
	}
	if ref, err := name.ParseReference(s, name.StrictValidation); err == nil {
		repo := ref.Context()
		q := map[string]string{"repository_url": repo.RegistryStr() + "/" + repo.RepositoryStr()}
		version := ""
		switch r := ref.(type) {
		case name.Digest:
			version = r.DigestStr()
		case name.Tag:
			q["tag"] = r.TagStr()
		}
		n := repo.RepositoryStr()
		n = strings.ToLower(n[strings.LastIndex(n, "/")+1:])
		return packageurl.NewPackageURL("oci", "", n, version, packageurl.QualifiersFromMap(q), "").ToString()
	}
	// A directory, as given: made absolute it would name this machine's checkout, not the project.
	p := filepath.ToSlash(s)
	if strings.HasPrefix(p, "/") {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	// A relative path is an opaque file: URI ("file:./project"); "file://./project" would make "." a host.
	return "file:" + (&url.URL{Path: p}).EscapedPath()
}

func setOf(ss []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range ss {
		if s != "" {
			m[s] = true
		}
	}
	return m
}

func sortedSet(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func parenthesised(parts ...string) string {
	s := joinNonEmpty(", ", parts...)
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
