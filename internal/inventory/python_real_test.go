package inventory

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/testimage"
)

// The tests in this file read the real artefacts scripts/fixtures/debian-lang.sh makes: Debian 12's packages
// unpacked into one tree, and lockfiles written offline by Debian's bundler, composer, poetry, pipenv and pdm.
// The truth files beside them are what Python, RubyGems, Bundler, Composer and the Python lockers themselves
// read from those files.

// pprTSV reads a tab-separated truth file, skipping blank lines.
func pprTSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			rows = append(rows, strings.Split(l, "\t"))
		}
	}
	if len(rows) == 0 {
		t.Fatalf("%s is empty", path)
	}
	return rows
}

// pprWalk runs parser ps on every file under root that it matches (paths as seen inside root, "/usr/..."), and
// returns the packages by that path.
func pprWalk(t *testing.T, root string, ps Parser, eco model.Ecosystem) map[string][]model.Package {
	t.Helper()
	out := map[string][]model.Package{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel := "/" + filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator)))
		if !ps.Match(rel) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		pkgs, perr := ps.Parse(rel, bytes.NewReader(b), int64(len(b)))
		pprCheck(t, eco, rel, pkgs, perr)
		if perr != nil {
			t.Errorf("%s: %v", rel, perr)
		}
		out[rel] = pkgs
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// pprParseReal parses one real file with ps, as if found at /app/<base name's dir>.
func pprParseReal(t *testing.T, ps Parser, eco model.Ecosystem, file string) []model.Package {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	path := "/app/" + filepath.Base(file)
	if strings.HasSuffix(file, "vendor/composer/installed.json") {
		path = "/app/vendor/composer/installed.json"
	}
	if !ps.Match(path) {
		t.Fatalf("%s does not match %s", ps.Name(), path)
	}
	pkgs, err := ps.Parse(path, bytes.NewReader(b), int64(len(b)))
	pprCheck(t, eco, path, pkgs, err)
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// debUpstream is the upstream part of a Debian version: no epoch, no revision, no repack suffix
// ("2.28.1+dfsg-1" → "2.28.1", "1:3.1" → "3.1").
func debUpstream(v string) string {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		v = v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		v = v[:i]
	}
	for _, sfx := range []string{"+dfsg", "+ds", "+really"} {
		if i := strings.Index(v, sfx); i >= 0 {
			v = v[:i]
		}
	}
	return v
}

// TestPythonInstalledDebian compares every dist-info and egg-info of Debian 12's python3-* packages with what
// importlib.metadata reads from the same tree: the same distributions, names, versions and (where the metadata
// has one) License-Expression or License.
func TestPythonInstalledDebian(t *testing.T) {
	dir := testimage.RequireFixtureDir(t, "debian-lang")
	root := filepath.Join(dir, "root")
	found := pprWalk(t, root, PythonInstalled{}, model.PyPI)

	var got, want []string
	byDir := map[string]model.Package{}
	for path, pkgs := range found {
		d := path
		if strings.HasSuffix(path, "/METADATA") || strings.HasSuffix(path, "/PKG-INFO") {
			d = filepath.ToSlash(filepath.Dir(path))
		}
		for _, p := range pkgs {
			got = append(got, d+" "+p.Name+" "+p.Version)
			byDir[d] = p
		}
	}
	for _, r := range pprTSV(t, filepath.Join(dir, "truth", "python.tsv")) {
		want = append(want, r[0]+" "+r[1]+" "+r[2])
		// A one-line licence name is what hullscan reports too; UNKNOWN and long texts it leaves for the classifiers.
		if len(r) > 3 && r[3] != "" && r[3] != "UNKNOWN" && len(r[3]) <= 100 {
			if p := byDir[r[0]]; len(p.Licenses) == 0 || p.Licenses[0] != r[3] {
				t.Errorf("%s: licences %q, importlib.metadata says %q", r[0], p.Licenses, r[3])
			}
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	pprDiff(t, "dist-packages vs importlib.metadata", got, want)
	if len(got) < 15 {
		t.Errorf("only %d distributions", len(got))
	}

	// A second truth: each python3-* package's metadata carries the Debian package's upstream version.
	for _, r := range pprTSV(t, filepath.Join(dir, "packages.tsv")) {
		if r[0] != "python" {
			continue
		}
		for _, f := range pprTSV(t, filepath.Join(dir, "control", r[1]+".files")) {
			for _, p := range found[f[0]] {
				if p.Version != debUpstream(r[2]) {
					t.Errorf("%s %s ships %s %s", r[1], r[2], p.Name, p.Version)
				}
			}
		}
	}
}

// TestPythonPipVenv reads the virtualenv `pipenv sync --dev` filled: dist-info directories written by pip itself.
func TestPythonPipVenv(t *testing.T) {
	dir := testimage.RequireFixtureDir(t, "debian-lang")
	found := pprWalk(t, filepath.Join(dir, "lock", "pipenv", ".venv"), PythonInstalled{}, model.PyPI)
	var got, want []string
	for path, pkgs := range found {
		for _, p := range pkgs {
			got = append(got, filepath.ToSlash(filepath.Dir(path))+" "+p.Name+" "+p.Version)
		}
	}
	for _, r := range pprTSV(t, filepath.Join(dir, "truth", "pipenv-venv.tsv")) {
		want = append(want, r[0]+" "+r[1]+" "+r[2])
	}
	sort.Strings(got)
	sort.Strings(want)
	pprDiff(t, "pipenv .venv vs importlib.metadata", got, want)
}

// TestPythonLockfilesReal compares poetry.lock, Pipfile.lock and pdm.lock written by Debian's poetry 1.3, pipenv
// 2022.12 and pdm 2.2 with what each tool reads back (poetry show, pipenv requirements, pdm export).
func TestPythonLockfilesReal(t *testing.T) {
	dir := testimage.RequireFixtureDir(t, "debian-lang")
	lock := filepath.Join(dir, "lock")
	truth := func(name string, dev func(group string) bool) []string {
		var out []string
		seen := map[string]int{}
		for _, r := range pprTSV(t, filepath.Join(dir, "truth", name)) {
			k := pep503(r[0]) + " " + r[1]
			isDev := len(r) > 2 && dev(r[2])
			if i, ok := seen[k]; ok {
				if !isDev { // listed as runtime and dev: runtime
					out[i] = k
				}
				continue
			}
			seen[k] = len(out)
			if isDev {
				out = append(out, k+" dev")
			} else {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	norm := func(pkgs []model.Package) []string {
		for i := range pkgs {
			pkgs[i].Name = pep503(pkgs[i].Name)
		}
		return pprSummary(pkgs)
	}
	pprDiff(t, "poetry.lock", norm(pprParseReal(t, PoetryLock{}, model.PyPI, filepath.Join(lock, "poetry", "poetry.lock"))),
		truth("poetry.tsv", func(g string) bool { return g == "dev" }))
	pprDiff(t, "Pipfile.lock", norm(pprParseReal(t, PipfileLock{}, model.PyPI, filepath.Join(lock, "pipenv", "Pipfile.lock"))),
		truth("pipenv.tsv", func(g string) bool { return g == "develop" }))
	// pdm 2.2's lock (lock_version 4.1) has no per-package groups: nothing can be told dev.
	pprDiff(t, "pdm.lock", norm(pprParseReal(t, PDMLock{}, model.PyPI, filepath.Join(lock, "pdm", "pdm.lock"))),
		truth("pdm.tsv", func(string) bool { return false }))
}
