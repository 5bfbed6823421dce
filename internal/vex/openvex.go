package vex

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// OpenVEX justification labels (from the VEX working group's status justifications).
var openVEXJustifications = []string{
	"component_not_present",
	"vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist",
}

func isOpenVEXJustification(s string) bool {
	for _, j := range openVEXJustifications {
		if s == j {
			return true
		}
	}
	return false
}

// The OpenVEX shapes read. Fields that changed shape between v0.0.x and v0.2.0 (vulnerability, products,
// subcomponents: strings then, objects now) are kept raw and decoded by shape.
type ovDocument struct {
	Timestamp  string        `json:"timestamp"`
	Statements []ovStatement `json:"statements"`
}

type ovStatement struct {
	Vulnerability   json.RawMessage   `json:"vulnerability"`
	Products        []json.RawMessage `json:"products"`
	Subcomponents   []json.RawMessage `json:"subcomponents"` // v0.0.x: beside the products, for all of them
	Status          string            `json:"status"`
	Justification   string            `json:"justification"`
	ImpactStatement string            `json:"impact_statement"`
	ActionStatement string            `json:"action_statement"`
	Timestamp       string            `json:"timestamp"`
}

type ovVulnerability struct {
	ID      string   `json:"@id"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
}

type ovComponent struct {
	ID          string `json:"@id"`
	Identifiers struct {
		PURL  string `json:"purl"`
		CPE23 string `json:"cpe23"`
		CPE22 string `json:"cpe22"`
	} `json:"identifiers"`
	Hashes        map[string]string `json:"hashes"`
	Subcomponents []json.RawMessage `json:"subcomponents"`
}

func readOpenVEX(b []byte) (*Document, error) {
	var raw ovDocument
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, jsonError(b, err)
	}
	docTime, err := parseTime(raw.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	doc := &Document{Format: FormatOpenVEX, Statements: make([]Statement, 0, len(raw.Statements))}
	for i, rs := range raw.Statements {
		st, err := openVEXStatement(i, &rs, docTime)
		if err != nil {
			return nil, fmt.Errorf("statements[%d]: %w", i, err)
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, nil
}

func openVEXStatement(i int, rs *ovStatement, docTime time.Time) (Statement, error) {
	st := Statement{Index: i, Status: rs.Status, Justification: rs.Justification, Impact: rs.ImpactStatement,
		Action: rs.ActionStatement, Timestamp: docTime}
	var name string
	if json.Unmarshal(rs.Vulnerability, &name) == nil {
		st.Vulnerability = name // v0.0.x: the id as a plain string
	} else {
		var v ovVulnerability
		if err := json.Unmarshal(rs.Vulnerability, &v); err != nil {
			return st, fmt.Errorf("vulnerability: want a string or an object with a name: %w", err)
		}
		st.Vulnerability = v.Name
		for _, a := range append(v.Aliases, v.ID) {
			if a = strings.TrimSpace(a); a != "" {
				st.Aliases = append(st.Aliases, a)
			}
		}
	}
	st.Vulnerability = strings.TrimSpace(st.Vulnerability)
	if st.Vulnerability == "" {
		return st, fmt.Errorf("the vulnerability has no name")
	}
	if err := checkStatus(&st, "status", isOpenVEXJustification); err != nil {
		return st, err
	}
	if rs.Timestamp != "" {
		t, err := parseTime(rs.Timestamp)
		if err != nil {
			return st, err
		}
		st.Timestamp = t
	}
	var shared []Product // v0.0.x statement-level subcomponents
	for j, rc := range rs.Subcomponents {
		p, err := openVEXComponent(rc, false)
		if err != nil {
			return st, fmt.Errorf("subcomponents[%d]: %w", j, err)
		}
		shared = append(shared, p)
	}
	for j, rc := range rs.Products {
		p, err := openVEXComponent(rc, true)
		if err != nil {
			return st, fmt.Errorf("products[%d]: %w", j, err)
		}
		p.Subcomponents = append(p.Subcomponents, shared...)
		st.Products = append(st.Products, p)
	}
	return st, nil
}

// checkStatus enforces what a statement must carry: a known status, and for not_affected a reason (OpenVEX
// requires a justification or an impact statement; a suppression without any reason is not reviewable).
func checkStatus(st *Statement, field string, knownJustification func(string) bool) error {
	if !validStatus(st.Status) {
		return fmt.Errorf("%s %q: want not_affected, affected, fixed or under_investigation", field, st.Status)
	}
	if st.Justification != "" && !knownJustification(st.Justification) {
		return fmt.Errorf("unknown justification %q", st.Justification)
	}
	if st.Status == StatusNotAffected && st.Justification == "" && strings.TrimSpace(st.Impact) == "" {
		return fmt.Errorf("not_affected without a justification or an impact statement")
	}
	return nil
}

// openVEXComponent reads a product or subcomponent: a plain string (v0.0.x) or a component object.
func openVEXComponent(raw json.RawMessage, product bool) (Product, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		p := identity(s, "")
		if p.PURL == "" && p.ID == "" {
			return p, fmt.Errorf("empty identifier")
		}
		return p, nil
	}
	var c ovComponent
	if err := json.Unmarshal(raw, &c); err != nil {
		return Product{}, fmt.Errorf("want a string or a component object: %w", err)
	}
	p := identity(c.ID, c.Identifiers.PURL)
	for _, alt := range []string{c.Identifiers.CPE23, c.Identifiers.CPE22} {
		if p.ID == "" {
			p.ID = strings.TrimSpace(alt)
		}
	}
	if h := strings.TrimSpace(c.Hashes["sha-256"]); p.PURL == "" && p.ID == "" && h != "" {
		// An image identified only by its hash: its digest is what the scan knows it by.
		p.ID = "sha256:" + strings.ToLower(h)
	}
	if p.PURL == "" && p.ID == "" {
		return p, fmt.Errorf("no @id, identifiers or sha-256 hash")
	}
	if !product && len(c.Subcomponents) > 0 {
		return p, fmt.Errorf("a subcomponent cannot have subcomponents")
	}
	for j, rc := range c.Subcomponents {
		sc, err := openVEXComponent(rc, false)
		if err != nil {
			return p, fmt.Errorf("subcomponents[%d]: %w", j, err)
		}
		p.Subcomponents = append(p.Subcomponents, sc)
	}
	return p, nil
}

// identity sorts an @id and a purl identifier into a Product: a purl @id is the PURL, any other IRI the ID.
func identity(id, purl string) Product {
	id, purl = strings.TrimSpace(id), strings.TrimSpace(purl)
	var p Product
	if isPURL(id) {
		p.PURL = id
		if purl != "" && purl != id {
			p.ID = purl // two purls: keep both, matching tries each
		}
		return p
	}
	p.PURL, p.ID = purl, id
	return p
}

func isPURL(s string) bool {
	return len(s) > 4 && strings.EqualFold(s[:4], "pkg:")
}
