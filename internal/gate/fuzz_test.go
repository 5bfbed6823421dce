package gate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
)

// The policy and exceptions files are hand-edited input: whatever they hold, parsing returns an error or a
// usable value, never a panic, and a parsed file can be applied.

func FuzzParseExceptions(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", "exceptions.yaml")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(exc("CVE-1", "scope: [\"a/**\", \"b?\"]", "purl: pkg:npm/x?arch=y", "package: \"*\"")))
	f.Add([]byte("exceptions:\n  - id: CVE-1\n    id: CVE-2\n    expires: [1]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := ParseExceptions(data, "x.yaml", nil, date("2026-11-27"))
		if err != nil {
			return
		}
		m := &model.Matches{Findings: []model.Finding{minimist, libssl}}
		Apply(Input{Exceptions: x, Target: appImage, Now: date("2026-11-27")}, m)
	})
}

func FuzzParsePolicy(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", "hullscan.yaml")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("fail: [{severity: [HIGH], package: [\"pkg:npm/a\", \"b*\"], ecosystem: npm, min_age: 2w, epss: 0.1}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data, "hullscan.yaml")
		if err != nil {
			return
		}
		m := &model.Matches{Findings: []model.Finding{minimist, libssl, zlib}}
		Apply(Input{Rules: p.Rules, Now: date("2026-11-27")}, m)
	})
}
