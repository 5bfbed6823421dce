package vex

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// CycloneDX impact-analysis justifications (CycloneDX 1.4–1.6), kept as given.
var cdxJustifications = []string{
	"code_not_present", "code_not_reachable", "requires_configuration", "requires_dependency",
	"requires_environment", "protected_by_compiler", "protected_at_runtime", "protected_at_perimeter",
	"protected_by_mitigating_control",
}

// The CycloneDX shapes read, written by hand rather than with cyclonedx-go: VEX documents in the wild carry
// values its strict types reject (a single "response" string, as in CycloneDX's own VEX example), and a VEX
// reader needs only these fields.
type cdxBOM struct {
	Metadata struct {
		Timestamp string        `json:"timestamp"`
		Component *cdxComponent `json:"component"`
	} `json:"metadata"`
	Components      []cdxComponent     `json:"components"`
	Vulnerabilities []cdxVulnerability `json:"vulnerabilities"`
}

type cdxComponent struct {
	BOMRef     string         `json:"bom-ref"`
	PURL       string         `json:"purl"`
	Components []cdxComponent `json:"components"`
}

type cdxVulnerability struct {
	ID         string `json:"id"`
	References []struct {
		ID string `json:"id"`
	} `json:"references"`
	Recommendation string `json:"recommendation"`
	Created        string `json:"created"`
	Published      string `json:"published"`
	Updated        string `json:"updated"`
	Analysis       *struct {
		State         string          `json:"state"`
		Justification string          `json:"justification"`
		Response      json.RawMessage `json:"response"`
		Detail        string          `json:"detail"`
		FirstIssued   string          `json:"firstIssued"`
		LastUpdated   string          `json:"lastUpdated"`
	} `json:"analysis"`
	Affects []struct {
		Ref string `json:"ref"`
	} `json:"affects"`
}

// cdxStates maps CycloneDX analysis states onto VEX statuses.
var cdxStates = map[string]string{
	"resolved":               StatusFixed,
	"resolved_with_pedigree": StatusFixed,
	"not_affected":           StatusNotAffected,
	"false_positive":         StatusNotAffected,
	"exploitable":            StatusAffected,
	"in_triage":              StatusUnderInvestigation,
}

func readCycloneDX(b []byte) (*Document, error) {
	var bom cdxBOM
	if err := json.Unmarshal(b, &bom); err != nil {
		return nil, jsonError(b, err)
	}
	docTime, err := parseTime(bom.Metadata.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	refs := map[string]*cdxComponent{}
	var walk func(cs []cdxComponent)
	walk = func(cs []cdxComponent) {
		for i := range cs {
			if r := cs[i].BOMRef; r != "" {
				if _, dup := refs[r]; !dup {
					refs[r] = &cs[i]
				}
			}
			walk(cs[i].Components)
		}
	}
	if c := bom.Metadata.Component; c != nil {
		walk([]cdxComponent{*c})
	}
	walk(bom.Components)

	doc := &Document{Format: FormatCycloneDX, Statements: []Statement{}}
	for i := range bom.Vulnerabilities {
		v := &bom.Vulnerabilities[i]
		if v.Analysis == nil || v.Analysis.State == "" {
			// A vulnerability without an analysis is a scanner's finding, not a VEX statement.
			continue
		}
		st, err := cdxStatement(i, v, refs, docTime)
		if err != nil {
			return nil, fmt.Errorf("vulnerabilities[%d] (%s): %w", i, v.ID, err)
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, nil
}

func cdxStatement(i int, v *cdxVulnerability, refs map[string]*cdxComponent, docTime time.Time) (Statement, error) {
	a := v.Analysis
	st := Statement{Index: i, Vulnerability: strings.TrimSpace(v.ID), Impact: a.Detail, Timestamp: docTime}
	if st.Vulnerability == "" {
		return st, fmt.Errorf("no id")
	}
	for _, r := range v.References {
		if id := strings.TrimSpace(r.ID); id != "" {
			st.Aliases = append(st.Aliases, id)
		}
	}
	status, ok := cdxStates[a.State]
	if !ok {
		return st, fmt.Errorf("analysis.state %q: want resolved, resolved_with_pedigree, not_affected, false_positive, exploitable or in_triage", a.State)
	}
	st.Status = status
	if a.Justification != "" && !isCDXJustification(a.Justification) {
		return st, fmt.Errorf("unknown analysis.justification %q", a.Justification)
	}
	st.Justification = a.Justification
	if a.State == "false_positive" {
		// Keep the distinction visible: "not affected" because the finding is wrong, not because of the product.
		st.Justification = "false_positive"
		if a.Justification != "" {
			st.Justification += " (" + a.Justification + ")"
		}
	}
	known := func(j string) bool { return j == st.Justification } // validated above
	if err := checkStatus(&st, "analysis.state", known); err != nil {
		return st, err
	}
	var actions []string
	if len(a.Response) > 0 {
		// CycloneDX says an array; its own VEX example writes a single string.
		var one string
		if json.Unmarshal(a.Response, &one) == nil {
			actions = append(actions, one)
		} else if err := json.Unmarshal(a.Response, &actions); err != nil {
			return st, fmt.Errorf("analysis.response: want an array of strings")
		}
	}
	if r := strings.TrimSpace(v.Recommendation); r != "" {
		actions = append(actions, r)
	}
	st.Action = strings.Join(actions, "; ")
	for _, ts := range []string{a.LastUpdated, a.FirstIssued, v.Updated, v.Published} {
		if ts == "" {
			continue
		}
		t, err := parseTime(ts)
		if err != nil {
			return st, err
		}
		st.Timestamp = t
		break
	}
	for _, af := range v.Affects {
		p := cdxProduct(strings.TrimSpace(af.Ref), refs)
		if p.PURL == "" && p.ID == "" {
			return st, fmt.Errorf("affects: empty ref")
		}
		st.Products = append(st.Products, p)
	}
	return st, nil
}

// cdxProduct resolves an affects ref: a bom-ref of this document, a BOM-Link to one (urn:cdx:serial/version#ref;
// resolved here when this document has the ref, else kept), or a purl.
func cdxProduct(ref string, refs map[string]*cdxComponent) Product {
	if strings.HasPrefix(ref, "urn:cdx:") {
		if _, frag, ok := strings.Cut(ref, "#"); ok && frag != "" {
			ref = frag
		}
	}
	if c := refs[ref]; c != nil {
		// The bom-ref stays as ID: hullscan's own BOMs use package ids as bom-refs.
		return Product{PURL: strings.TrimSpace(c.PURL), ID: ref}
	}
	if isPURL(ref) {
		return Product{PURL: ref}
	}
	return Product{ID: ref}
}

func isCDXJustification(s string) bool {
	for _, j := range cdxJustifications {
		if s == j {
			return true
		}
	}
	return false
}
