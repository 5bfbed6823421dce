package report

//go:generate go run gen_spdxids.go

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// license is one licence string of a package, as found, and what it means in SPDX terms.
type license struct {
	raw string
	// expr is the canonical SPDX licence expression (ids in their listed case, operators in upper case, single
	// spaces) when raw is a valid expression made of SPDX licence-list ids; "" when it is not.
	expr string
	// single is true when expr is one licence id, possibly with "+", and nothing else.
	single bool
}

// compound tells whether the expression needs parentheses to be combined with others.
func (l license) compound() bool { return l.expr != "" && !l.single }

// packageLicenses classifies the licence strings of a package: empty ones are dropped, duplicates (same raw
// text, or same canonical expression) are dropped, order is kept.
func packageLicenses(raws []string) []license {
	var out []license
	seen := map[string]bool{}
	for _, r := range raws {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		l := parseLicense(r)
		key := "raw:" + r
		if l.expr != "" {
			key = "expr:" + l.expr
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, l)
	}
	return out
}

// parseLicense classifies one licence string. Only expressions made of ids from the SPDX licence list (and
// exceptions from its exception list after WITH) count as valid: LicenseRef-/DocumentRef- references are
// treated as free text, because this document would not define them.
func parseLicense(raw string) license {
	l := license{raw: raw}
	toks := tokenizeLicense(raw)
	p := exprParser{toks: toks}
	if len(toks) == 0 || !p.parseOr() || p.pos != len(toks) {
		return l
	}
	var b strings.Builder
	for i, t := range p.out {
		if i > 0 && t != ")" && p.out[i-1] != "(" {
			b.WriteByte(' ')
		}
		b.WriteString(t)
	}
	l.expr = b.String()
	l.single = len(p.out) == 1
	return l
}

// tokenizeLicense splits on white space and around parentheses.
func tokenizeLicense(s string) []string {
	var toks []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '(' || r == ')':
			flush()
			toks = append(toks, string(r))
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

// exprParser is a recursive-descent parser of SPDX licence expressions (SPDX 2.3 Annex D):
//
//	or     = and { "OR" and }
//	and    = with { "AND" with }
//	with   = simple [ "WITH" exception ] | "(" or ")"
//	simple = license-id [ "+" ]
//
// Operators are all upper or all lower case. out collects the canonical tokens.
type exprParser struct {
	toks []string
	pos  int
	out  []string
}

func (p *exprParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *exprParser) op(name string) bool {
	t := p.peek()
	if t == name || t == strings.ToLower(name) {
		p.pos++
		p.out = append(p.out, name)
		return true
	}
	return false
}

func (p *exprParser) parseOr() bool {
	if !p.parseAnd() {
		return false
	}
	for p.op("OR") {
		if !p.parseAnd() {
			return false
		}
	}
	return true
}

func (p *exprParser) parseAnd() bool {
	if !p.parseWith() {
		return false
	}
	for p.op("AND") {
		if !p.parseWith() {
			return false
		}
	}
	return true
}

func (p *exprParser) parseWith() bool {
	if p.peek() == "(" {
		p.pos++
		p.out = append(p.out, "(")
		if !p.parseOr() || p.peek() != ")" {
			return false
		}
		p.pos++
		p.out = append(p.out, ")")
		return true
	}
	id, ok := canonicalLicenseID(p.peek())
	if !ok {
		return false
	}
	p.pos++
	p.out = append(p.out, id)
	if p.op("WITH") {
		exc, ok := spdxExceptionIDs[strings.ToLower(p.peek())]
		if !ok {
			return false
		}
		p.pos++
		p.out = append(p.out, exc)
	}
	return true
}

// canonicalLicenseID returns the listed spelling of a licence id (matching is case-insensitive, as the SPDX
// spec says), with a trailing "+" kept.
func canonicalLicenseID(tok string) (string, bool) {
	if tok == "" {
		return "", false
	}
	if id, ok := spdxLicenseIDs[strings.ToLower(tok)]; ok {
		return id, true
	}
	// "GPL-2.0+" is a deprecated list entry; cdxLicenseIDs knows it, the current list spells it "GPL-2.0" "+".
	if base, ok := strings.CutSuffix(tok, "+"); ok {
		if id, ok := spdxLicenseIDs[strings.ToLower(base)]; ok {
			return id + "+", true
		}
	}
	return "", false
}

// joinAnd combines expressions with AND, parenthesising compound ones when there is more than one.
func joinAnd(parts []string, compound []bool) string {
	if len(parts) == 1 {
		return parts[0]
	}
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString(" AND ")
		}
		if compound[i] {
			b.WriteString("(" + p + ")")
		} else {
			b.WriteString(p)
		}
	}
	return b.String()
}

// licenseRefs assigns a LicenseRef- id to each free-text licence string of a document. The id is the text
// (without a LicenseRef- prefix it may already have) reduced to the characters SPDX allows (letters, digits,
// ".", "-"). When two different texts reduce to the same id, ignoring case (tools may compare ids without
// case), both get a hash suffix, so the result never depends on the order in which texts were met.
func licenseRefs(raws []string) map[string]string {
	groups := map[string][]string{}
	for _, r := range raws {
		key := strings.ToLower(licenseRefBase(r))
		if !contains(groups[key], r) {
			groups[key] = append(groups[key], r)
		}
	}
	out := map[string]string{}
	for _, rs := range groups {
		for _, r := range rs {
			if len(rs) == 1 {
				out[r] = licenseRefBase(r)
			} else {
				h := sha256.Sum256([]byte(r))
				out[r] = licenseRefBase(r) + "-" + hex.EncodeToString(h[:4])
			}
		}
	}
	return out
}

func licenseRefBase(raw string) string {
	const prefix = "licenseref-"
	if len(raw) > len(prefix) && strings.EqualFold(raw[:len(prefix)], prefix) {
		raw = raw[len(prefix):]
	}
	return "LicenseRef-" + sanitizeIDString(raw)
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// sanitizeIDString keeps letters, digits, "." and "-", turns every other run of characters into one "-", and
// trims "-" at the ends; an empty result becomes "unknown".
func sanitizeIDString(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		return "unknown"
	}
	return out
}
