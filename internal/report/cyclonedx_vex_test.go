package report

import (
	"encoding/json"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
)

// TestCycloneDXAnalysis: suppressed findings are stated as CycloneDX impact analyses (the VEX part of the BOM),
// apart from the packages the same vulnerability still affects, and the BOM stays valid CycloneDX 1.6.
func TestCycloneDXAnalysis(t *testing.T) {
	m := readMatches(t, "rich")
	// The same vulnerability in a second package, not suppressed there: it must stay "affected" for that one.
	var axios model.Finding
	for _, f := range m.Findings {
		if f.ID == "CVE-2021-3749" {
			axios = f
		}
	}
	other := axios
	other.Suppressed, other.PackageID, other.Installed = nil, "other-axios", "0.20.0"
	m.Findings = append(m.Findings, other)

	opts := testOptions()
	opts.Matches = m
	out := render(t, FormatCycloneDX, loadInventory(t, "rich"), opts)
	validate(t, cycloneDXSchema(t), out)

	var bom struct {
		Vulnerabilities []struct {
			BOMRef   string `json:"bom-ref"`
			ID       string
			Analysis *struct {
				State, Justification, Detail string
				Response                     []string
			}
			Affects []struct {
				Ref   string
				Range []struct{ Version, Status string } `json:"versions"`
			}
		}
	}
	if err := json.Unmarshal(out, &bom); err != nil {
		t.Fatal(err)
	}
	refs := map[string]bool{}
	type got struct{ state, justification, response, status string }
	byKey := map[string]got{}
	for _, v := range bom.Vulnerabilities {
		if refs[v.BOMRef] {
			t.Errorf("bom-ref %s twice", v.BOMRef)
		}
		refs[v.BOMRef] = true
		g := got{}
		if v.Analysis != nil {
			g.state, g.justification = v.Analysis.State, v.Analysis.Justification
			if len(v.Analysis.Response) > 0 {
				g.response = v.Analysis.Response[0]
			}
			if v.Analysis.Detail == "" {
				t.Errorf("%s: analysis without detail", v.ID)
			}
		}
		for _, a := range v.Affects {
			for _, r := range a.Range {
				k := v.ID + " " + r.Version
				g.status = r.Status
				byKey[k] = g
			}
		}
	}
	for k, want := range map[string]got{
		"CVE-2021-3749 0.21.0":  {"exploitable", "", "will_not_fix", "affected"},          // accepted risk
		"CVE-2021-3749 0.20.0":  {"", "", "", "affected"},                                 // same id, not suppressed
		"CVE-2020-8203 4.17.15": {"not_affected", "code_not_reachable", "", "unaffected"}, // VEX
		"CVE-2021-44906 1.2.0":  {"", "", "", "affected"},                                 // failing
	} {
		if byKey[k] != want {
			t.Errorf("%s: got %+v, want %+v", k, byKey[k], want)
		}
	}
}

func TestCDXAnalysisStates(t *testing.T) {
	for _, tc := range []struct {
		s                    model.Suppression
		state, justification string
	}{
		{model.Suppression{Kind: "vex", Classification: "fixed"}, "resolved", ""},
		{model.Suppression{Kind: "vex", Classification: "not_affected", Justification: "component_not_present"}, "not_affected", "code_not_present"},
		{model.Suppression{Kind: "vex", Classification: "not_affected", Justification: "protected_at_runtime"}, "not_affected", "protected_at_runtime"},
		{model.Suppression{Kind: "vex", Classification: "not_affected", Justification: "made up"}, "not_affected", ""},
		{model.Suppression{Kind: "exception", Classification: "false-positive"}, "false_positive", ""},
		{model.Suppression{Kind: "exception", Classification: "fix-scheduled"}, "exploitable", ""},
	} {
		a := cdxAnalysis(&tc.s)
		if string(a.State) != tc.state || string(a.Justification) != tc.justification {
			t.Errorf("%+v: %+v", tc.s, a)
		}
	}
}
