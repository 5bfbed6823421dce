package inventory

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
)

// dotnetParsers lists this ecosystem's parsers.
func dotnetParsers() []Parser {
	return []Parser{NuGetLock{}, DotnetDeps{}, PackagesConfig{}}
}

// dotnetMaxSize caps the .NET files: a large solution's lock file or a self-contained app's deps.json (which lists
// every runtime assembly) is a few hundred kilobytes.
const dotnetMaxSize = 32 << 20

// NuGetLock reads NuGet lock files (packages.lock.json, written by `dotnet restore` with
// RestorePackagesWithLockFile): for every target framework (and runtime identifier) the resolved packages, typed
// "Direct", "Transitive", "CentralTransitive" (central package management) or "Project" (a project reference, not
// a package, not reported). A package appearing for several targets is reported once, direct if it is direct for
// any of them.
type NuGetLock struct{}

func (NuGetLock) Name() string        { return "nuget-lock" }
func (NuGetLock) Version() int        { return 1 }
func (NuGetLock) MaxSize() int64      { return dotnetMaxSize }
func (NuGetLock) Match(p string) bool { return path.Base(p) == "packages.lock.json" }

// nugetLockFile is packages.lock.json: target → package id → entry.
type nugetLockFile struct {
	Version      int `json:"version"`
	Dependencies map[string]map[string]struct {
		Type     string `json:"type"`
		Resolved string `json:"resolved"`
	} `json:"dependencies"`
}

func (NuGetLock) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	var lock nugetLockFile
	if err := json.NewDecoder(r).Decode(&lock); err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	if lock.Dependencies == nil {
		return nil, fmt.Errorf("parse %s: no \"dependencies\" object: not a NuGet lock file", p)
	}
	set := newNugetSet()
	for _, target := range dotnetSortedKeys(lock.Dependencies) {
		deps := lock.Dependencies[target]
		for _, name := range dotnetSortedKeys(deps) {
			d := deps[name]
			var dep string
			switch d.Type {
			case "Direct":
				dep = model.DependencyDirect
			case "Transitive", "CentralTransitive":
				dep = model.DependencyTransitive
			default:
				continue // "Project", or a type newer than this parser
			}
			if !isToken(name) || !isToken(d.Resolved) {
				continue
			}
			set.add(model.Package{Ecosystem: model.NuGet, Name: name, Version: d.Resolved, Location: p,
				Dependency: dep, Evidence: "packages.lock.json"})
		}
	}
	return set.pkgs, nil
}

// DotnetDeps reads the *.deps.json file the .NET SDK writes beside a built or published application: the packages
// the host loads at run time. Libraries of type "package" are reported, as is the .NET runtime bundled into a
// self-contained application (type "runtimepack", named "runtimepack.Microsoft.NETCore.App.Runtime.<rid>": reported
// without the "runtimepack." prefix, the name advisories for the .NET runtime use); "project" (the application
// and its project references) and "reference" libraries are not packages.
//
// A package that the runtime target lists without runtime, runtimeTargets, native or resources assets puts no file
// in the application (a meta-package, an analyzer, a package whose assemblies the framework already provides): it is
// not reported (as Trivy does, which also leaves out resource-only packages; those ship satellite assemblies and are
// reported here). Valid JSON that is not an object, or has no "libraries", is some other tool's *.deps.json: nothing,
// quietly. Packages the application's projects depend on are "direct", the others "transitive".
type DotnetDeps struct{}

func (DotnetDeps) Name() string        { return "dotnet-deps" }
func (DotnetDeps) Version() int        { return 1 }
func (DotnetDeps) MaxSize() int64      { return dotnetMaxSize }
func (DotnetDeps) Match(p string) bool { return strings.HasSuffix(p, ".deps.json") }

type dotnetTargetLib struct {
	Dependencies   map[string]string `json:"dependencies"`
	Runtime        json.RawMessage   `json:"runtime"`
	RuntimeTargets json.RawMessage   `json:"runtimeTargets"`
	Native         json.RawMessage   `json:"native"`
	Resources      json.RawMessage   `json:"resources"`
}

// hasAssets reports whether the target entry names any file the application ships: assemblies, native libraries,
// satellite (localised resource) assemblies.
func (l dotnetTargetLib) hasAssets() bool {
	for _, m := range []json.RawMessage{l.Runtime, l.RuntimeTargets, l.Native, l.Resources} {
		var files map[string]json.RawMessage
		if json.Unmarshal(m, &files) == nil && len(files) > 0 {
			return true
		}
	}
	return false
}

const dotnetRuntimePackPrefix = "runtimepack."

// dotnetDepsFile is the part of a *.deps.json read here.
type dotnetDepsFile struct {
	RuntimeTarget json.RawMessage                       `json:"runtimeTarget"`
	Targets       map[string]map[string]dotnetTargetLib `json:"targets"`
	Libraries     map[string]struct {
		Type string `json:"type"`
	} `json:"libraries"`
}

func (DotnetDeps) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	var deps dotnetDepsFile
	if err := json.NewDecoder(r).Decode(&deps); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return nil, nil // JSON that is no object: another tool's *.deps.json (WordPress writes lists of scripts)
		}
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	if deps.Libraries == nil {
		return nil, nil // no library list, nothing to report (the .NET SDK always writes one)
	}
	var rt struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(deps.RuntimeTarget, &rt) // absent in some hand-written files: then every library counts
	target, haveTarget := deps.Targets[rt.Name]
	// Direct dependencies: what the project libraries (the application and its project references) depend on.
	direct := map[string]bool{}
	for key, lib := range deps.Libraries {
		if !strings.EqualFold(lib.Type, "project") {
			continue
		}
		for name, version := range target[key].Dependencies {
			direct[strings.ToLower(strings.TrimPrefix(name, dotnetRuntimePackPrefix))+"/"+version] = true
		}
	}
	set := newNugetSet()
	for _, key := range dotnetSortedKeys(deps.Libraries) {
		typ := strings.ToLower(deps.Libraries[key].Type)
		if typ != "package" && typ != "runtimepack" {
			continue
		}
		name, version, ok := dotnetCutLast(key, "/")
		if !ok || !isToken(name) || !isToken(version) {
			continue
		}
		if haveTarget {
			if lib, ok := target[key]; ok && !lib.hasAssets() {
				continue
			}
		}
		name = strings.TrimPrefix(name, dotnetRuntimePackPrefix)
		pkg := model.Package{Ecosystem: model.NuGet, Name: name, Version: version, Location: p, Evidence: "deps.json"}
		if len(direct) > 0 {
			pkg.Dependency = model.DependencyTransitive
			if direct[strings.ToLower(name)+"/"+version] {
				pkg.Dependency = model.DependencyDirect
			}
		}
		set.add(pkg)
	}
	return set.pkgs, nil
}

// PackagesConfig reads packages.config, the package list of .NET Framework projects using NuGet's older
// packages.config mode: every installed package (direct or not: the file does not tell), with
// developmentDependency="true" marking development-only ones.
type PackagesConfig struct{}

func (PackagesConfig) Name() string        { return "nuget-packages-config" }
func (PackagesConfig) Version() int        { return 1 }
func (PackagesConfig) MaxSize() int64      { return dotnetMaxSize }
func (PackagesConfig) Match(p string) bool { return path.Base(p) == "packages.config" }

func (PackagesConfig) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	var cfg struct {
		XMLName  xml.Name `xml:"packages"`
		Packages []struct {
			ID                    string `xml:"id,attr"`
			Version               string `xml:"version,attr"`
			DevelopmentDependency string `xml:"developmentDependency,attr"`
		} `xml:"package"`
	}
	if err := xml.NewDecoder(r).Decode(&cfg); err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	set := newNugetSet()
	for _, pk := range cfg.Packages {
		id, version := strings.TrimSpace(pk.ID), strings.TrimSpace(pk.Version)
		if !isToken(id) || !isToken(version) {
			continue
		}
		set.add(model.Package{Ecosystem: model.NuGet, Name: id, Version: version, Location: p,
			Dev: strings.EqualFold(strings.TrimSpace(pk.DevelopmentDependency), "true"), Evidence: "packages.config"})
	}
	return set.pkgs, nil
}

// nugetSet collects packages once per name (case-insensitively, as NuGet compares ids) and version: a direct
// occurrence wins over a transitive one, a non-development one over a development one.
type nugetSet struct {
	pkgs []model.Package
	at   map[string]int
}

func newNugetSet() *nugetSet { return &nugetSet{at: map[string]int{}} }

func (s *nugetSet) add(p model.Package) {
	k := strings.ToLower(p.Name) + "\x00" + p.Version
	i, ok := s.at[k]
	if !ok {
		s.at[k] = len(s.pkgs)
		s.pkgs = append(s.pkgs, p)
		return
	}
	q := &s.pkgs[i]
	if p.Dependency == model.DependencyDirect || q.Dependency == "" {
		q.Dependency = p.Dependency
	}
	q.Dev = q.Dev && p.Dev
}

func dotnetSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// dotnetCutLast splits s around the last sep.
func dotnetCutLast(s, sep string) (before, after string, ok bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
