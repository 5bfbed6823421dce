package match

import (
	"testing"

	"github.com/hullscan/hullscan/internal/vulndb"
)

func ev(kv ...string) []vulndb.Event {
	var out []vulndb.Event
	for i := 0; i+1 < len(kv); i += 2 {
		switch kv[i] {
		case "i":
			out = append(out, vulndb.Event{Introduced: kv[i+1]})
		case "f":
			out = append(out, vulndb.Event{Fixed: kv[i+1]})
		case "l":
			out = append(out, vulndb.Event{LastAffected: kv[i+1]})
		case "x":
			out = append(out, vulndb.Event{Limit: kv[i+1]})
		}
	}
	return out
}

func TestEvaluate(t *testing.T) {
	rng := func(typ string, kv ...string) vulndb.Range { return vulndb.Range{Type: typ, Events: ev(kv...)} }
	tests := []struct {
		name      string
		base      string
		installed string
		entry     vulndb.Affected
		affected  bool
		fixed     string
	}{
		{"below fix", "npm", "4.17.10", vulndb.Affected{Ranges: []vulndb.Range{rng("SEMVER", "i", "0", "f", "4.17.11")}}, true, "4.17.11"},
		{"at fix", "npm", "4.17.11", vulndb.Affected{Ranges: []vulndb.Range{rng("SEMVER", "i", "0", "f", "4.17.11")}}, false, ""},
		{"above fix", "npm", "4.17.21", vulndb.Affected{Ranges: []vulndb.Range{rng("SEMVER", "i", "0", "f", "4.17.11")}}, false, ""},
		{"below introduced", "npm", "1.0.0", vulndb.Affected{Ranges: []vulndb.Range{rng("SEMVER", "i", "2.0.0", "f", "2.1.0")}}, false, ""},
		{"at introduced", "npm", "2.0.0", vulndb.Affected{Ranges: []vulndb.Range{rng("SEMVER", "i", "2.0.0", "f", "2.1.0")}}, true, "2.1.0"},
		// Two introduced/fixed pairs in one range, written out of order: the events are sorted first.
		{"second window", "PyPI", "2.5", vulndb.Affected{Ranges: []vulndb.Range{rng("ECOSYSTEM", "i", "2.0", "f", "2.6", "i", "1.0", "f", "1.5")}}, true, "2.6"},
		{"between windows", "PyPI", "1.7", vulndb.Affected{Ranges: []vulndb.Range{rng("ECOSYSTEM", "i", "2.0", "f", "2.6", "i", "1.0", "f", "1.5")}}, false, ""},
		{"first window", "PyPI", "1.2", vulndb.Affected{Ranges: []vulndb.Range{rng("ECOSYSTEM", "i", "1.0", "f", "1.5", "i", "2.0", "f", "2.6")}}, true, "1.5"},
		{"last_affected: at it", "Go", "1.2.3", vulndb.Affected{Ranges: []vulndb.Range{rng("SEMVER", "i", "0", "l", "1.2.3")}}, true, ""},
		{"last_affected: above it", "Go", "1.2.4", vulndb.Affected{Ranges: []vulndb.Range{rng("SEMVER", "i", "0", "l", "1.2.3")}}, false, ""},
		{"open-ended", "crates.io", "9.9.9", vulndb.Affected{Ranges: []vulndb.Range{rng("SEMVER", "i", "1.0.0")}}, true, ""},
		{"limit ends the range", "npm", "3.0.0", vulndb.Affected{Ranges: []vulndb.Range{rng("SEMVER", "i", "1.0.0", "x", "3.0.0")}}, false, ""},
		{"below limit", "npm", "2.9.0", vulndb.Affected{Ranges: []vulndb.Range{rng("SEMVER", "i", "1.0.0", "x", "3.0.0")}}, true, ""},
		{"versions list", "PyPI", "1.0.1", vulndb.Affected{Versions: []string{"1.0.0", "1.0.1"}}, true, ""},
		{"versions list, PEP 440 equal spelling", "PyPI", "1.0.1.0", vulndb.Affected{Versions: []string{"1.0.1"}}, true, ""},
		{"versions list, absent", "PyPI", "1.0.2", vulndb.Affected{Versions: []string{"1.0.0", "1.0.1"}}, false, ""},
		// Several ranges: an open-ended one outweighs a fixed one.
		{"two ranges, one open", "npm", "1.5.0", vulndb.Affected{Ranges: []vulndb.Range{rng("SEMVER", "i", "0", "f", "2.0.0"), rng("SEMVER", "i", "1.0.0")}}, true, ""},
		{"two ranges, highest fix", "npm", "1.5.0", vulndb.Affected{Ranges: []vulndb.Range{rng("SEMVER", "i", "0", "f", "2.0.0"), rng("SEMVER", "i", "1.0.0", "f", "1.6.0")}}, true, "2.0.0"},
		// Ecosystem orderings.
		{"Debian epoch", "Debian", "1:1.0-1", vulndb.Affected{Ranges: []vulndb.Range{rng("ECOSYSTEM", "i", "0", "f", "2.0-1")}}, false, ""},
		{"Debian tilde", "Debian", "3.0.11-1~deb12u1", vulndb.Affected{Ranges: []vulndb.Range{rng("ECOSYSTEM", "i", "0", "f", "3.0.11-1~deb12u2")}}, true, "3.0.11-1~deb12u2"},
		{"Debian tilde below release", "Debian", "3.0.11-1~deb12u2", vulndb.Affected{Ranges: []vulndb.Range{rng("ECOSYSTEM", "i", "0", "f", "3.0.11-1")}}, true, "3.0.11-1"},
		{"PyPI pre-release", "PyPI", "2.0.0rc1", vulndb.Affected{Ranges: []vulndb.Range{rng("ECOSYSTEM", "i", "0", "f", "2.0.0")}}, true, "2.0.0"},
		{"PyPI post-release", "PyPI", "2.0.0.post1", vulndb.Affected{Ranges: []vulndb.Range{rng("ECOSYSTEM", "i", "0", "f", "2.0.0")}}, false, ""},
		{"Maven qualifiers", "Maven", "2.14.0-rc1", vulndb.Affected{Ranges: []vulndb.Range{rng("ECOSYSTEM", "i", "0", "f", "2.14.0")}}, true, "2.14.0"},
		{"Maven numeric, not lexical", "Maven", "2.9.10", vulndb.Affected{Ranges: []vulndb.Range{rng("ECOSYSTEM", "i", "2.9.0", "f", "2.9.10.8")}}, true, "2.9.10.8"},
		{"Go pseudo-version", "Go", "1.0.4-0.20180101000000-abcdefabcdef", vulndb.Affected{Ranges: []vulndb.Range{rng("SEMVER", "i", "0", "f", "1.0.4-0.20180125103619-43913f2f4fbd")}}, true, "1.0.4-0.20180125103619-43913f2f4fbd"},
		{"Go +incompatible", "Go", "2.0.0+incompatible", vulndb.Affected{Ranges: []vulndb.Range{rng("SEMVER", "i", "0", "f", "2.0.1")}}, true, "2.0.1"},
		{"RubyGems prerelease", "RubyGems", "5.0.0.beta1", vulndb.Affected{Ranges: []vulndb.Range{rng("ECOSYSTEM", "i", "0", "f", "5.0.0")}}, true, "5.0.0"},
		{"Alpine revision", "Alpine", "1.2.3-r4", vulndb.Affected{Ranges: []vulndb.Range{rng("ECOSYSTEM", "i", "0", "f", "1.2.3-r10")}}, true, "1.2.3-r10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := evaluate(tt.base, tt.installed, tt.entry)
			if err != nil {
				t.Fatal(err)
			}
			if got.affected != tt.affected || got.fixed != tt.fixed {
				t.Errorf("evaluate(%s %s) = %+v, want affected=%v fixed=%q", tt.base, tt.installed, got, tt.affected, tt.fixed)
			}
		})
	}
}

func TestEvaluateUnknownEcosystem(t *testing.T) {
	// semantic orders any string in the known ecosystems (PEP 440's legacy versions sort before all others, as pip
	// did), so only an ecosystem without an ordering is an error.
	e := vulndb.Affected{Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", "0", "f", "2.0")}}}
	if _, err := evaluate("Nope", "1.0", e); err == nil {
		t.Error("an unknown ecosystem gave no error")
	}
}

func FuzzEvaluate(f *testing.F) {
	f.Add("npm", "1.2.3", "0", "1.2.4", "")
	f.Add("Debian", "1:2.3-4", "1.0", "2:0", "3.0")
	f.Add("PyPI", "1.0rc1", "0", "1.0", "")
	f.Add("Maven", "1.0-SNAPSHOT", "0.9", "1.0", "")
	f.Fuzz(func(t *testing.T, base, installed, intro, fixed, last string) {
		e := vulndb.Affected{Ranges: []vulndb.Range{{Type: "ECOSYSTEM", Events: ev("i", intro, "f", fixed, "l", last)}},
			Versions: []string{fixed}}
		v, err := evaluate(base, installed, e)
		if err == nil && !v.affected && v.fixed != "" {
			t.Fatalf("unaffected with a fix %q", v.fixed)
		}
	})
}
