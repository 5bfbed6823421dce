package match

import (
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
)

// TestDebianOrderingMatchesDpkg compares hullscan's Debian version ordering (osv-scalibr's semantic package, used
// by every Debian match) with the real `dpkg --compare-versions` on a large generated set: epochs, tildes (which
// sort before everything, even the end of the string), plus signs, letters against digits, revisions, and the
// shapes Debian's security updates take (~deb12u1, +deb11u2, +b1).
func TestDebianOrderingMatchesDpkg(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg not installed: it is the reference")
	}
	rng := rand.New(rand.NewPCG(7, 11))
	pieces := []string{"0", "1", "2", "9", "10", "01", "a", "b", "z", "~", "~~", "~rc1", "+", ".", "+dfsg", "~deb12u1",
		"~deb12u2", "+deb11u1", "+b1", "really", "1.0", "2.36", "3.0.11"}
	gen := func() string {
		var b strings.Builder
		if rng.IntN(5) == 0 {
			b.WriteString([]string{"1:", "2:", "0:", "10:"}[rng.IntN(4)])
		}
		b.WriteString([]string{"0", "1", "2", "9", "10"}[rng.IntN(5)]) // upstream starts with a digit
		for n := rng.IntN(4); n > 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		if rng.IntN(3) > 0 {
			b.WriteString("-")
			b.WriteString([]string{"1", "2", "0", "10"}[rng.IntN(4)])
			for n := rng.IntN(3); n > 0; n-- {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
		}
		return b.String()
	}
	var versions []string
	for len(versions) < 400 {
		v := gen()
		// dpkg rejects some generated strings (a revision ending in "-"?); keep what dpkg accepts as valid.
		if exec.Command("dpkg", "--validate-version", v).Run() == nil {
			versions = append(versions, v)
		}
	}
	// Near neighbours matter most: compare each with a few others, both ways.
	pairs := 0
	for i, a := range versions {
		for k := 1; k <= 3; k++ {
			b := versions[(i*7+k*13)%len(versions)]
			got, err := compareIn("ECOSYSTEM", "Debian", a, b)
			if err != nil {
				t.Fatalf("compare %q %q: %v", a, b, err)
			}
			want := 0
			switch {
			case dpkgCmp(t, a, "lt", b):
				want = -1
			case dpkgCmp(t, a, "gt", b):
				want = 1
			}
			if sign(got) != want {
				t.Errorf("compare(%q, %q) = %d, dpkg says %d", a, b, got, want)
			}
			pairs++
		}
	}
	t.Logf("%d pairs of %d versions agree with dpkg", pairs, len(versions))
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
