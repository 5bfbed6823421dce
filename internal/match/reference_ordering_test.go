package match

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	xsemver "golang.org/x/mod/semver"

	"github.com/hullscan/hullscan/internal/testimage"
)

// The version orderings hullscan uses (osv-scalibr's semantic package) checked against each ecosystem's own
// implementation, on generated versions, one process per ecosystem: PEP 440 with pip's vendored `packaging`, Maven
// with maven-artifact's ComparableVersion (Maven's own class), RubyGems with Ruby's Gem::Version, npm with
// node-semver. A reference that is not installed skips its ecosystem with a message (Debian's dpkg has its own
// test, ordering_test.go).

// genVersions builds n versions from pieces, each starting with a number.
func genVersions(seed uint64, n int, pieces []string) []string {
	rng := rand.New(rand.NewPCG(seed, 99))
	var out []string
	for len(out) < n {
		var b strings.Builder
		fmt.Fprintf(&b, "%d", rng.IntN(3))
		for k := rng.IntN(4); k > 0; k-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		out = append(out, b.String())
	}
	return out
}

// pairsOf pairs each version with a few others.
func pairsOf(vs []string) [][2]string {
	var out [][2]string
	for i, a := range vs {
		for k := 1; k <= 3; k++ {
			out = append(out, [2]string{a, vs[(i*7+k*13)%len(vs)]})
		}
	}
	return out
}

// compareWithReference checks compareIn against the reference's verdicts ("-1", "0", "1", or "x" for a pair the
// reference rejects, which is skipped).
func compareWithReference(t *testing.T, base string, pairs [][2]string, verdicts []string) {
	t.Helper()
	if len(verdicts) != len(pairs) {
		t.Fatalf("%s reference gave %d verdicts for %d pairs", base, len(verdicts), len(pairs))
	}
	checked := 0
	for i, p := range pairs {
		if verdicts[i] == "x" {
			continue
		}
		got, err := compareIn("ECOSYSTEM", base, p[0], p[1])
		if err != nil {
			t.Fatalf("compare %q %q: %v", p[0], p[1], err)
		}
		if want := verdicts[i]; fmt.Sprint(sign(got)) != want {
			t.Errorf("%s: compare(%q, %q) = %d, the reference says %s", base, p[0], p[1], sign(got), want)
		}
		checked++
	}
	if checked < len(pairs)/2 {
		t.Fatalf("%s: the reference accepted only %d of %d pairs", base, checked, len(pairs))
	}
	t.Logf("%s: %d pairs agree with the reference", base, checked)
}

// runReference runs a reference program with the pairs on standard input ("a b" per line) and returns its lines.
func runReference(t *testing.T, pairs [][2]string, name string, args ...string) []string {
	t.Helper()
	var in strings.Builder
	for _, p := range pairs {
		fmt.Fprintf(&in, "%s %s\n", p[0], p[1])
	}
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return strings.Fields(string(out))
}

func TestPyPIOrderingMatchesPackaging(t *testing.T) {
	if exec.Command("python3", "-c", "from pip._vendor.packaging.version import Version").Run() != nil {
		t.Skip("python3 with pip (its vendored packaging library) is the reference and is not installed")
	}
	vs := genVersions(1, 400, []string{".0", ".1", ".2", ".10", "a1", "b2", "rc1", ".post1", ".dev0", "+local", ".post0.dev1", "!1", "rc"})
	pairs := pairsOf(vs)
	script := `
import sys
from pip._vendor.packaging.version import Version, InvalidVersion
for line in sys.stdin:
    a, b = line.split()
    try:
        x, y = Version(a), Version(b)
        print((x > y) - (x < y))
    except InvalidVersion:
        print("x")
`
	compareWithReference(t, "PyPI", pairs, runReference(t, pairs, "python3", "-c", script))
}

func TestRubyGemsOrderingMatchesGemVersion(t *testing.T) {
	if _, err := exec.LookPath("ruby"); err != nil {
		t.Skip("ruby (Gem::Version) is the reference and is not installed")
	}
	vs := genVersions(2, 400, []string{".0", ".1", ".2", ".10", ".a", ".beta1", ".rc2", ".pre", "-1", ".0.0"})
	pairs := pairsOf(vs)
	script := `STDIN.each_line { |l| a, b = l.split; begin; puts(Gem::Version.new(a) <=> Gem::Version.new(b)); rescue ArgumentError; puts "x"; end }`
	compareWithReference(t, "RubyGems", pairs, runReference(t, pairs, "ruby", "-e", script))
}

func TestNPMOrderingMatchesNodeSemver(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node (node-semver) is the reference and is not installed")
	}
	semver := filepath.Join(testimage.RequireFixtureDir(t, "node"), "npm-v3", "node_modules", "semver")
	if _, err := os.Stat(semver); err != nil {
		t.Skipf("node-semver not in the npm fixture: %v", err)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	var vs []string
	pre := []string{"", "", "-alpha", "-alpha.1", "-beta.2", "-rc.1", "-0", "-alpha.beta", "-1", "-x.7.z.92"}
	for len(vs) < 400 {
		v := fmt.Sprintf("%d.%d.%d%s", rng.IntN(3), rng.IntN(12), rng.IntN(12), pre[rng.IntN(len(pre))])
		if rng.IntN(5) == 0 {
			v += "+build.5"
		}
		vs = append(vs, v)
	}
	pairs := pairsOf(vs)
	script := `const semver = require(process.argv[1]);
const lines = require("fs").readFileSync(0, "utf8").trim().split("\n");
for (const l of lines) { const [a, b] = l.split(" "); console.log(semver.valid(a) && semver.valid(b) ? String(semver.compare(a, b)) : "x"); }`
	compareWithReference(t, "npm", pairs, runReference(t, pairs, "node", "-e", script, semver))
}

func TestMavenOrderingMatchesComparableVersion(t *testing.T) {
	jars, _ := filepath.Glob("/usr/share/maven/lib/maven-artifact*.jar")
	if _, err := exec.LookPath("java"); err != nil || len(jars) == 0 {
		t.Skip("java and Maven's maven-artifact jar (/usr/share/maven/lib) are the reference and are not installed")
	}
	// One known divergence is left out of the generated set: a number after a release qualifier ("1.RELEASE.10"),
	// which Maven orders above "1" and semantic below it (docs/vulndb.md). "5.3.1.RELEASE" and the like agree.
	vs := genVersions(4, 300, []string{".0", ".1", ".2", ".10", "-SNAPSHOT", "-rc1", "-alpha-1", ".Final", "-sp", "-1", "-b2", ".RELEASE", "-m3", "-cr1"})
	kept := vs[:0]
	for _, v := range vs {
		if i := strings.Index(v, ".RELEASE"); i < 0 || i+len(".RELEASE") == len(v) {
			kept = append(kept, v)
		}
	}
	vs = kept
	// ComparableVersion's main compares each argument with the next: pass the pairs as a chain a1 b1 a2 b2 ...
	// and keep the comparisons of (a_i, b_i).
	var args []string
	pairs := pairsOf(vs)
	for _, p := range pairs {
		args = append(args, p[0], p[1])
	}
	out, err := exec.Command("java", append([]string{"-cp", jars[0], "org.apache.maven.artifact.versioning.ComparableVersion"}, args...)...).Output()
	if err != nil {
		t.Fatalf("ComparableVersion: %v", err)
	}
	var verdicts []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	n := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		f := strings.Fields(line)
		if len(f) != 3 || !strings.HasPrefix(sc.Text(), "   ") {
			continue
		}
		if n%2 == 0 { // a_i vs b_i; odd comparisons are b_i vs a_(i+1)
			verdicts = append(verdicts, map[string]string{"<": "-1", "==": "0", ">": "1"}[f[1]])
		}
		n++
	}
	compareWithReference(t, "Maven", pairs, verdicts)
}

// Go module versions against golang.org/x/mod/semver, the go command's own ordering (pseudo-versions and
// +incompatible included; OSV's Go ranges are written without the "v" the go command needs).
func TestGoOrderingMatchesXModSemver(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	pre := []string{"", "", "", "-rc.1", "-beta", "-0.20180125103619-43913f2f4fbd", "-0.20230101000000-abcdefabcdef", "-pre.0.20200101000000-aaaaaaaaaaaa"}
	var vs []string
	for len(vs) < 400 {
		v := fmt.Sprintf("%d.%d.%d%s", rng.IntN(3), rng.IntN(12), rng.IntN(12), pre[rng.IntN(len(pre))])
		if rng.IntN(6) == 0 {
			v += "+incompatible"
		}
		vs = append(vs, v)
	}
	pairs := pairsOf(vs)
	var verdicts []string
	for _, p := range pairs {
		verdicts = append(verdicts, fmt.Sprint(xsemver.Compare("v"+p[0], "v"+p[1])))
	}
	compareWithReference(t, "Go", pairs, verdicts)
}
