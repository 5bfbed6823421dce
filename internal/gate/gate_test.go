package gate

import (
	"strings"
	"testing"
	"time"

	"github.com/hullscan/hullscan/internal/model"
)

func TestRuleMatches(t *testing.T) {
	crit := model.Finding{ID: "CVE-1", Severity: model.SeverityCritical, Status: model.StatusFixed, FixedVersion: "2"}
	critNoFix := model.Finding{ID: "CVE-2", Severity: model.SeverityCritical, Status: model.StatusNotFixed}
	highKEV := model.Finding{ID: "CVE-3", Severity: model.SeverityHigh, Status: model.StatusWontFix, KEV: &model.KEV{DateAdded: "2024-01-01"},
		EPSS: &model.EPSS{Score: 0.42}}
	low := model.Finding{ID: "CVE-4", Severity: model.SeverityLow, Status: model.StatusFixed, EPSS: &model.EPSS{Score: 0.05}}
	tests := []struct {
		name string
		rule Rule
		f    model.Finding
		want bool
	}{
		{"default: critical fixable", DefaultRule, crit, true},
		{"default: critical without a fix", DefaultRule, critNoFix, false},
		{"default: high", DefaultRule, highKEV, false},
		{"empty rule matches anything", Rule{}, low, true},
		{"severity list", Rule{Severities: []model.Severity{model.SeverityHigh, model.SeverityCritical}}, highKEV, true},
		{"severity list misses", Rule{Severities: []model.Severity{model.SeverityHigh, model.SeverityCritical}}, low, false},
		{"fixable: will not fix is no fix", Rule{Fixable: true}, highKEV, false},
		{"kev", Rule{KEV: true}, highKEV, true},
		{"kev misses", Rule{KEV: true}, crit, false},
		{"epss at the threshold", Rule{EPSS: 0.42}, highKEV, true},
		{"epss below", Rule{EPSS: 0.5}, highKEV, false},
		{"epss absent", Rule{EPSS: 0.01}, crit, false},
		{"conjunction", Rule{Severities: []model.Severity{model.SeverityHigh}, KEV: true, EPSS: 0.4}, highKEV, true},
		{"conjunction, one condition fails", Rule{Severities: []model.Severity{model.SeverityHigh}, KEV: true, Fixable: true}, highKEV, false},
	}
	for _, tt := range tests {
		if got := tt.rule.Matches(&tt.f, time.Now()); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseSeverities(t *testing.T) {
	got, err := ParseSeverities("critical, HIGH,high,")
	if err != nil || len(got) != 2 || got[0] != model.SeverityHigh || got[1] != model.SeverityCritical {
		t.Errorf("%v %v", got, err)
	}
	for _, bad := range []string{"", ",", "SEVERE", "HIGH,nope"} {
		if _, err := ParseSeverities(bad); err == nil {
			t.Errorf("ParseSeverities(%q): no error", bad)
		}
	}
	r := Rule{Severities: []model.Severity{model.SeverityHigh}, Fixable: true, KEV: true, EPSS: 0.1}
	if s := r.String(); !strings.Contains(s, "EPSS >= 0.1") {
		t.Error(s)
	}
}
