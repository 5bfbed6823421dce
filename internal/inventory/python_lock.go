package inventory

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/hullscan/hullscan/internal/model"
)

// PoetryLock reads poetry.lock. Every [[package]] is installed by `poetry install`; which are dev-only is in
// "category" (lock files of Poetry < 1.5: "main" or "dev") or "groups" (Poetry 2: ["main"], ["dev", "test"] ...,
// where "main" is the runtime group and extras belong to it). The lock does not say which packages pyproject.toml
// names directly, so Dependency stays empty.
type PoetryLock struct{}

func (PoetryLock) Name() string        { return "poetry-lock" }
func (PoetryLock) Version() int        { return 1 }
func (PoetryLock) MaxSize() int64      { return pyLockMaxSize }
func (PoetryLock) Match(p string) bool { return pyProjectFile(p, "poetry.lock") }
func (PoetryLock) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	var lock struct {
		Package []struct {
			Name     string   `toml:"name"`
			Version  string   `toml:"version"`
			Category string   `toml:"category"`
			Groups   []string `toml:"groups"`
		} `toml:"package"`
	}
	if err := decodeLangTOML(p, r, &lock); err != nil {
		return nil, err
	}
	var pkgs []model.Package
	for _, lp := range lock.Package {
		if !isPyName(lp.Name) || !isToken(lp.Version) {
			continue
		}
		pkg := pyPackage(p, lp.Name, lp.Version)
		switch {
		case lp.Category != "":
			pkg.Dev = lp.Category == "dev"
		case len(lp.Groups) > 0:
			pkg.Dev = !containsString(lp.Groups, "main")
		}
		pkgs = append(pkgs, pkg)
	}
	if len(pkgs) == 0 && len(lock.Package) > 0 {
		return nil, fmt.Errorf("parse %s: %d [[package]] entries and none with a name and version", p, len(lock.Package))
	}
	return pyDedup(pkgs), nil
}

// pyProjectFile matches a project's lockfile by name, except inside site-packages or dist-packages, where a
// lockfile shipped in an installed distribution describes its author's development environment, not this one.
func pyProjectFile(p, base string) bool {
	return path.Base(p) == base && !pyInSitePackages(p)
}

// decodeLangTOML decodes a whole TOML file into v, with the file named in any error.
func decodeLangTOML(p string, r io.Reader, v any) error {
	b, err := readLangFile(p, r, pyLockMaxSize)
	if err != nil {
		return err
	}
	if _, err := toml.Decode(string(b), v); err != nil {
		return fmt.Errorf("parse %s: %w", p, err)
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// PipfileLock reads Pipfile.lock (pipenv): JSON with "default" (runtime) and "develop" (dev) maps from name to
// {"version": "==1.2.3", ...}. Entries locked to a VCS ref or a local path have no version and are left out: the
// lock names no release for them. A package in both sections counts once, as runtime.
type PipfileLock struct{}

func (PipfileLock) Name() string        { return "pipfile-lock" }
func (PipfileLock) Version() int        { return 1 }
func (PipfileLock) MaxSize() int64      { return pyLockMaxSize }
func (PipfileLock) Match(p string) bool { return pyProjectFile(p, "Pipfile.lock") }
func (PipfileLock) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	b, err := readLangFile(p, r, pyLockMaxSize)
	if err != nil {
		return nil, err
	}
	var lock struct {
		Default map[string]struct {
			Version string `json:"version"`
		} `json:"default"`
		Develop map[string]struct {
			Version string `json:"version"`
		} `json:"develop"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	var pkgs []model.Package
	add := func(sec map[string]struct {
		Version string `json:"version"`
	}, dev bool) {
		// Map order is random; sort so the output is stable.
		names := make([]string, 0, len(sec))
		for n := range sec {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			v := strings.TrimSpace(sec[n].Version)
			if !strings.HasPrefix(v, "==") {
				continue
			}
			v = strings.TrimLeft(v, "=")
			if !isPyName(n) || !isToken(v) {
				continue
			}
			pkg := pyPackage(p, n, v)
			pkg.Dev = dev
			pkgs = append(pkgs, pkg)
		}
	}
	add(lock.Default, false)
	add(lock.Develop, true)
	return pyDedup(pkgs), nil
}

// UVLock reads uv.lock. The project itself (source { editable = "." } or { virtual = "." }) and the members of a
// uv workspace ([manifest] members) are first-party code, not dependencies, and are left out; their
// "dependencies" and "optional-dependencies" (extras) are the direct runtime dependencies, their
// "dev-dependencies" (PEP 735 groups, uv's dev group among them) the direct development ones. Dev marks what is
// reachable only through development groups. Without a root in the file, Dependency stays empty.
type UVLock struct{}

func (UVLock) Name() string        { return "uv-lock" }
func (UVLock) Version() int        { return 1 }
func (UVLock) MaxSize() int64      { return pyLockMaxSize }
func (UVLock) Match(p string) bool { return pyProjectFile(p, "uv.lock") }
func (UVLock) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	type dep struct {
		Name    string `toml:"name"`
		Version string `toml:"version"`
	}
	var lock struct {
		Manifest struct {
			Members []string `toml:"members"`
		} `toml:"manifest"`
		Package []struct {
			Name    string           `toml:"name"`
			Version string           `toml:"version"`
			Source  map[string]any   `toml:"source"`
			Deps    []dep            `toml:"dependencies"`
			Opt     map[string][]dep `toml:"optional-dependencies"`
			DevDeps map[string][]dep `toml:"dev-dependencies"`
		} `toml:"package"`
	}
	if err := decodeLangTOML(p, r, &lock); err != nil {
		return nil, err
	}
	members := map[string]bool{}
	for _, m := range lock.Manifest.Members {
		members[pep503(m)] = true
	}
	// Index entries by normalised name; a name has several entries when uv forked the resolution by markers,
	// and then every reference to it carries the version.
	byName := map[string][]int{}
	for i, lp := range lock.Package {
		n := pep503(lp.Name)
		byName[n] = append(byName[n], i)
	}
	resolve := func(d dep) []int {
		idx := byName[pep503(d.Name)]
		if d.Version == "" || len(idx) < 2 {
			return idx
		}
		for _, i := range idx {
			if lock.Package[i].Version == d.Version {
				return []int{i}
			}
		}
		return idx
	}
	isRoot := func(i int) bool {
		lp := lock.Package[i]
		if members[pep503(lp.Name)] {
			return true
		}
		for _, k := range []string{"editable", "virtual"} {
			if s, ok := lp.Source[k].(string); ok && s == "." {
				return true
			}
		}
		return false
	}
	n := len(lock.Package)
	root := make([]bool, n)
	hasRoot := false
	for i := range lock.Package {
		root[i] = isRoot(i)
		hasRoot = hasRoot || root[i]
	}
	direct := make([]bool, n)
	prod := make([]bool, n)
	dev := make([]bool, n)
	// walk marks everything reachable from the start references: runtime edges are dependencies and extras (an
	// extra pulled by a dependent is not visible per edge here, so all of a package's extras count: this errs
	// towards runtime, never towards hiding a package as dev-only).
	walk := func(mark []bool, start []dep) {
		var stack []int
		for _, d := range start {
			stack = append(stack, resolve(d)...)
		}
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if mark[i] || root[i] {
				continue
			}
			mark[i] = true
			lp := lock.Package[i]
			for _, d := range lp.Deps {
				stack = append(stack, resolve(d)...)
			}
			for _, ds := range lp.Opt {
				for _, d := range ds {
					stack = append(stack, resolve(d)...)
				}
			}
		}
	}
	var runtimeStart, devStart []dep
	for i, lp := range lock.Package {
		if !root[i] {
			continue
		}
		runtimeStart = append(runtimeStart, lp.Deps...)
		for _, ds := range lp.Opt {
			runtimeStart = append(runtimeStart, ds...)
		}
		for _, ds := range lp.DevDeps {
			devStart = append(devStart, ds...)
		}
	}
	for _, d := range append(append([]dep(nil), runtimeStart...), devStart...) {
		for _, i := range resolve(d) {
			direct[i] = true
		}
	}
	walk(prod, runtimeStart)
	walk(dev, devStart)

	var pkgs []model.Package
	for i, lp := range lock.Package {
		if root[i] || !isPyName(lp.Name) || !isToken(lp.Version) {
			continue
		}
		pkg := pyPackage(p, lp.Name, lp.Version)
		if hasRoot {
			pkg.Dependency = model.DependencyTransitive
			if direct[i] {
				pkg.Dependency = model.DependencyDirect
			}
			pkg.Dev = dev[i] && !prod[i]
		}
		pkgs = append(pkgs, pkg)
	}
	return pyDedup(pkgs), nil
}

// pdmDevGroups are the group names PDM projects conventionally give their development dependencies. pdm.lock
// names each package's groups but not whether a group is a dev-dependency group or an optional-dependency group
// (an extra, which is runtime): only packages whose every group is one of these count as dev, so that an extra is
// never hidden from vulnerability results.
var pdmDevGroups = map[string]bool{
	"dev": true, "test": true, "tests": true, "testing": true, "lint": true, "linting": true, "doc": true,
	"docs": true, "typing": true,
}

// PDMLock reads pdm.lock: [[package]] tables with name, version and (lock_version 4.3+) groups. "default" is the
// runtime group. The lock does not tell direct from transitive dependencies.
type PDMLock struct{}

func (PDMLock) Name() string        { return "pdm-lock" }
func (PDMLock) Version() int        { return 1 }
func (PDMLock) MaxSize() int64      { return pyLockMaxSize }
func (PDMLock) Match(p string) bool { return pyProjectFile(p, "pdm.lock") }
func (PDMLock) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	var lock struct {
		Package []struct {
			Name    string   `toml:"name"`
			Version string   `toml:"version"`
			Groups  []string `toml:"groups"`
		} `toml:"package"`
	}
	if err := decodeLangTOML(p, r, &lock); err != nil {
		return nil, err
	}
	var pkgs []model.Package
	for _, lp := range lock.Package {
		if !isPyName(lp.Name) || !isToken(lp.Version) {
			continue
		}
		pkg := pyPackage(p, lp.Name, lp.Version)
		if len(lp.Groups) > 0 {
			pkg.Dev = true
			for _, g := range lp.Groups {
				if !pdmDevGroups[strings.ToLower(g)] {
					pkg.Dev = false
				}
			}
		}
		pkgs = append(pkgs, pkg)
	}
	if len(pkgs) == 0 && len(lock.Package) > 0 {
		return nil, fmt.Errorf("parse %s: %d [[package]] entries and none with a name and version", p, len(lock.Package))
	}
	return pyDedup(pkgs), nil
}

// CondaEcosystem is the ecosystem of packages installed by conda (the purl type "conda"). conda packages are not
// PyPI packages: most are not Python at all (openssl, libffi, python itself), and the Python ones are built by
// conda-forge or Anaconda from their own recipes. Python packages conda installs also leave a *.dist-info in
// site-packages, which PythonInstalled reports as PyPI, so a conda environment's Python libraries appear once per
// ecosystem, each with its own identity.
const CondaEcosystem model.Ecosystem = "conda"

// CondaMeta reads conda's per-package records, <env>/conda-meta/<name>-<version>-<build>.json.
type CondaMeta struct{}

func (CondaMeta) Name() string   { return "conda-meta" }
func (CondaMeta) Version() int   { return 1 }
func (CondaMeta) MaxSize() int64 { return pyLockMaxSize } // the "files" and "paths_data" lists of big packages
func (CondaMeta) Match(p string) bool {
	return strings.HasSuffix(p, ".json") && path.Base(path.Dir(p)) == "conda-meta"
}
func (CondaMeta) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	b, err := readLangFile(p, r, pyLockMaxSize)
	if err != nil {
		return nil, err
	}
	var rec struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		License string `json:"license"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	if !isToken(rec.Name) || !isToken(rec.Version) {
		return nil, fmt.Errorf("parse %s: no name and version", p)
	}
	pkg := model.Package{Ecosystem: CondaEcosystem, Name: rec.Name, Version: rec.Version, Location: p}
	if l := strings.TrimSpace(rec.License); l != "" {
		pkg.Licenses = []string{l}
	}
	return []model.Package{pkg}, nil
}
