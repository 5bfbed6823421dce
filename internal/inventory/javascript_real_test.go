package inventory

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/testimage"
)

// The tests in this file read the projects scripts/fixtures/node.sh installs with the real npm, yarn 1, yarn 4 and
// pnpm 7/8/9, and compare what the parsers read with what the tools themselves say is installed: installed.txt
// (Node's resolution walk over node_modules, list-installed.js), `npm query` (arborist's dev flags and direct
// dependencies) and `pnpm ls --prod`.

// jsRealProject is one fixture project: the lockfile parsed, and which name@version the lockfile lists that the
// installed tree cannot have.
type jsRealProject struct {
	dir, lockfile string
	parser        Parser
	// notInstalled names the packages the lockfile lists that are not in node_modules: fsevents, a
	// darwin-only optional package (jest and mocha's chokidar want it; Linux skips it), and file: dependencies,
	// which node_modules holds as symlinks to folders of the project.
	notInstalled []string
	// berry: yarn 4 gives packages with install scripts an implicit node-gyp@latest dependency; fsevents has
	// one, so node-gyp and its dependencies are locked but, like fsevents, not installed on Linux. Their set
	// follows node-gyp's latest release, so instead of names the test checks each is a locked resolution.
	berryNodeGyp bool
}

var jsRealProjects = []jsRealProject{
	{"npm-v3", "package-lock.json", NPMLock{}, []string{"fsevents"}, false},
	{"npm-v2", "package-lock.json", NPMLock{}, []string{"fsevents"}, false},
	{"npm-v1", "package-lock.json", NPMLock{}, []string{"fsevents"}, false},
	{"npm-shrinkwrap", "npm-shrinkwrap.json", NPMLock{}, []string{"fsevents"}, false},
	{"npm-ws", "package-lock.json", NPMLock{}, []string{"fsevents", "local-util"}, false},
	{"yarn1", "yarn.lock", YarnLock{}, []string{"fsevents"}, false},
	{"berry", "yarn.lock", YarnLock{}, []string{"fsevents", "node-gyp"}, true},
	{"berry-ws", "yarn.lock", YarnLock{}, []string{"fsevents", "node-gyp"}, true},
	{"pnpm9", "pnpm-lock.yaml", PNPMLock{}, []string{"fsevents"}, false},
	{"pnpm9-ws", "pnpm-lock.yaml", PNPMLock{}, []string{"fsevents"}, false},
	{"pnpm8", "pnpm-lock.yaml", PNPMLock{}, []string{"fsevents"}, false},
	{"pnpm7", "pnpm-lock.yaml", PNPMLock{}, []string{"fsevents"}, false},
}

func jsParseFile(t *testing.T, p Parser, file, inTree string) []model.Package {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := parse(t, p, inTree, data)
	jsCheck(t, inTree, pkgs, err)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return pkgs
}

func jsSet(pkgs []model.Package) map[string]bool {
	s := map[string]bool{}
	for _, p := range pkgs {
		s[p.Name+"@"+p.Version] = true
	}
	return s
}

func jsReadLines(t *testing.T, file string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		s[l] = true
	}
	return s
}

// jsMinus lists a - b, sorted.
func jsMinus(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// jsNameOf is the name of "name@version" (scoped names start with "@").
func jsNameOf(nv string) string {
	return nv[:strings.LastIndexByte(nv, '@')]
}

// jsWalkInstalled runs NPMInstalled over every regular file of dir that it matches (symlinks are not followed,
// as in the scan), with paths as the scan gives them: "/" + the path relative to dir.
func jsWalkInstalled(t *testing.T, dir string) []model.Package {
	t.Helper()
	var all []model.Package
	err := filepath.WalkDir(dir, func(full string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(dir, full)
		inTree := "/" + filepath.ToSlash(rel)
		if !(NPMInstalled{}).Match(inTree) {
			return nil
		}
		all = append(all, jsParseFile(t, NPMInstalled{}, full, inTree)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestJavaScriptRealLockfilesMatchInstalledTree(t *testing.T) {
	root := testimage.RequireFixtureDir(t, "node")
	for _, pr := range jsRealProjects {
		t.Run(pr.dir, func(t *testing.T) {
			dir := filepath.Join(root, pr.dir)
			pkgs := jsParseFile(t, pr.parser, filepath.Join(dir, pr.lockfile), "/app/"+pr.lockfile)
			locked := jsSet(pkgs)
			installed := jsReadLines(t, filepath.Join(dir, "installed.txt"))
			if len(locked) != len(pkgs) {
				t.Errorf("%d packages but %d distinct name@version: duplicates", len(pkgs), len(locked))
			}
			if miss := jsMinus(installed, locked); len(miss) > 0 {
				t.Errorf("installed but not read from %s: %v", pr.lockfile, miss)
			}
			extra := jsMinus(locked, installed)
			var extraNames []string
			lockText, _ := os.ReadFile(filepath.Join(dir, pr.lockfile))
			for _, nv := range extra {
				n := jsNameOf(nv)
				if pr.berryNodeGyp && !slices.Contains(pr.notInstalled, n) {
					res := fmt.Sprintf("resolution: \"%s@npm:%s\"\n", n, nv[len(n)+1:])
					if !strings.Contains(string(lockText), res) {
						t.Errorf("%s read from yarn.lock, not installed, and not a locked resolution", nv)
					}
					continue
				}
				extraNames = append(extraNames, n)
			}
			if strings.Join(extraNames, ",") != strings.Join(pr.notInstalled, ",") {
				t.Errorf("read from %s but not installed: %v, want exactly the packages %v", pr.lockfile, extra, pr.notInstalled)
			}
			t.Logf("%s: %d packages, %d installed (%d dev, %d direct)", pr.lockfile, len(pkgs), len(installed),
				jsCount(pkgs, func(p model.Package) bool { return p.Dev }),
				jsCount(pkgs, func(p model.Package) bool { return p.Dependency == model.DependencyDirect }))

			// The installed-tree parser, on every package.json it matches, finds exactly the installed tree.
			inst := jsWalkInstalled(t, dir)
			if got := jsSet(inst); len(jsMinus(got, installed))+len(jsMinus(installed, got)) > 0 {
				t.Errorf("installed-tree parser: extra %v, missing %v", jsMinus(got, installed), jsMinus(installed, got))
			}
			// Lockfile plus installed tree, deduplicated, is the lockfile again: every installed package is locked.
			for i := range inst {
				inst[i].Location = "/app" + inst[i].Location
			}
			merged := DedupeLockfileAndInstalled(append(append([]model.Package(nil), pkgs...), inst...))
			if len(merged) != len(pkgs) {
				t.Errorf("dedupe of %d locked + %d installed kept %d, want %d", len(pkgs), len(inst), len(merged), len(pkgs))
			}
			// and every package whose installed package.json names a licence has one after the merge
			instLic := map[string]bool{}
			for _, p := range inst {
				if len(p.Licenses) > 0 {
					instLic[p.Name+"@"+p.Version] = true
				}
			}
			for _, p := range merged {
				if instLic[p.Name+"@"+p.Version] && len(p.Licenses) == 0 {
					t.Errorf("%s@%s lost its licence in the merge", p.Name, p.Version)
				}
			}
		})
	}
}

func jsCount(pkgs []model.Package, f func(model.Package) bool) int {
	n := 0
	for _, p := range pkgs {
		if f(p) {
			n++
		}
	}
	return n
}

// npm's own view: dev flag per node (a name@version is dev when every installed copy is), and the direct
// dependencies of the root and the workspaces.
func TestJavaScriptRealNPMDevAndDirect(t *testing.T) {
	root := testimage.RequireFixtureDir(t, "node")
	for _, pr := range jsRealProjects {
		if pr.parser.Name() != "npm-lockfile" {
			continue
		}
		t.Run(pr.dir, func(t *testing.T) {
			dir := filepath.Join(root, pr.dir)
			pkgs := jsParseFile(t, pr.parser, filepath.Join(dir, pr.lockfile), "/app/"+pr.lockfile)
			var query, directQ []struct {
				Name, Version string
				Dev           bool
			}
			jsReadJSON(t, filepath.Join(dir, "npm-query.json"), &query)
			jsReadJSON(t, filepath.Join(dir, "npm-direct.json"), &directQ)
			dev := map[string]bool{}
			for _, n := range query {
				k := n.Name + "@" + n.Version
				if d, ok := dev[k]; ok {
					dev[k] = d && n.Dev
				} else {
					dev[k] = n.Dev
				}
			}
			direct := map[string]bool{}
			for _, n := range directQ {
				direct[n.Name+"@"+n.Version] = true
			}
			v1 := strings.HasSuffix(pr.dir, "v1")
			var wrongDev, wrongDirect []string
			for _, p := range pkgs {
				k := p.Name + "@" + p.Version
				if d, ok := dev[k]; ok && d != p.Dev {
					wrongDev = append(wrongDev, k)
				}
				switch {
				case p.Dependency == model.DependencyDirect && !direct[k],
					p.Dependency == model.DependencyTransitive && direct[k],
					p.Dependency == "" && !v1:
					wrongDirect = append(wrongDirect, k+"="+p.Dependency)
				}
			}
			if len(wrongDev) > 0 {
				t.Errorf("dev flag differs from npm query for %v", wrongDev)
			}
			if len(wrongDirect) > 0 {
				t.Errorf("direct/transitive differs from npm query for %v", wrongDirect)
			}
			got := map[string]bool{}
			for _, p := range pkgs {
				if p.Dependency == model.DependencyDirect {
					got[p.Name+"@"+p.Version] = true
				}
			}
			// (npm query also lists the workspaces themselves, which are the project and not reported)
			reported := jsSet(pkgs)
			var missed []string
			for _, nv := range jsMinus(direct, got) {
				if reported[nv] {
					missed = append(missed, nv)
				}
			}
			if !v1 && len(missed) > 0 {
				t.Errorf("direct per npm query but not per lockfile: %v", missed)
			}
			if v1 && len(got) == 0 {
				t.Errorf("lockfile v1: no direct dependency found")
			}
		})
	}
}

func jsReadJSON(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// pnpm's own view of production packages (`pnpm ls --prod --depth Infinity`): exactly those not marked dev.
func TestJavaScriptRealPNPMProd(t *testing.T) {
	root := testimage.RequireFixtureDir(t, "node")
	for _, pr := range jsRealProjects {
		if pr.parser.Name() != "pnpm-lock" {
			continue
		}
		t.Run(pr.dir, func(t *testing.T) {
			dir := filepath.Join(root, pr.dir)
			pkgs := jsParseFile(t, pr.parser, filepath.Join(dir, pr.lockfile), "/app/"+pr.lockfile)
			var ls []pnpmLsNode
			jsReadJSON(t, filepath.Join(dir, "pnpm-prod.json"), &ls)
			prod := map[string]bool{}
			for _, n := range ls {
				n.collect(prod)
			}
			var notDev = map[string]bool{}
			for _, p := range pkgs {
				if !p.Dev {
					notDev[p.Name+"@"+p.Version] = true
				}
			}
			// fsevents is not installed: pnpm ls cannot list it.
			for nv := range notDev {
				if jsNameOf(nv) == "fsevents" {
					delete(notDev, nv)
				}
			}
			if a, b := jsMinus(prod, notDev), jsMinus(notDev, prod); len(a)+len(b) > 0 {
				t.Errorf("production per pnpm ls but dev here: %v; not dev here but not production per pnpm ls: %v", a, b)
			}
			t.Logf("%d production packages", len(prod))
		})
	}
}

type pnpmLsNode struct {
	From         string                `json:"from"`
	Version      string                `json:"version"`
	Path         string                `json:"path"`
	Dependencies map[string]pnpmLsNode `json:"dependencies"`
	Optional     map[string]pnpmLsNode `json:"optionalDependencies"`
}

func (n pnpmLsNode) collect(into map[string]bool) {
	for _, m := range []map[string]pnpmLsNode{n.Dependencies, n.Optional} {
		for _, c := range m {
			if !strings.HasPrefix(c.Version, "link:") {
				into[c.From+"@"+c.Version] = true
			}
			c.collect(into)
		}
	}
}
