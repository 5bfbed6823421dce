package inventory

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/hullscan/hullscan/internal/model"
)

// rustParsers lists this ecosystem's parsers. Rust binaries with cargo-auditable data are read by Executables
// (golang_binary.go, rust_binary.go), which serves Go and Rust executables in one pass.
func rustParsers() []Parser { return []Parser{CargoLock{}} }

// CargoLock reads Cargo.lock files of every format version: v1 (no version key, dependencies written
// "name version (source)", checksums in [metadata]), v2 (checksums inline, dependencies "name" or "name
// version" where ambiguous), v3 (`version = 3`) and v4 (`version = 4`, the default since Cargo 1.83).
//
// Packages without a source are the workspace's own crates (members and path dependencies): they are the project,
// not its dependencies, and are not reported. A package is "direct" when one of those depends on it, "transitive"
// otherwise. Cargo.lock does not say which dependencies are dev-dependencies. Cargo.lock files inside Cargo's
// source caches (~/.cargo/registry, ~/.cargo/git) belong to downloaded crates, not to a project, and are skipped.
type CargoLock struct{}

func (CargoLock) Name() string   { return "cargo-lock" }
func (CargoLock) Version() int   { return 1 }
func (CargoLock) MaxSize() int64 { return 16 << 20 }

func (CargoLock) Match(p string) bool {
	return path.Base(p) == "Cargo.lock" && !strings.Contains(p, "/.cargo/registry/") &&
		!strings.Contains(p, "/.cargo/git/")
}

type cargoLockPackage struct {
	Name         string   `toml:"name"`
	Version      string   `toml:"version"`
	Source       string   `toml:"source"`
	Dependencies []string `toml:"dependencies"`
}

type cargoLockFile struct {
	Package []cargoLockPackage `toml:"package"`
	// Root is the workspace's package in lock files written before Cargo 1.24 (2018): [root] beside [[package]].
	Root *cargoLockPackage `toml:"root"`
}

func (CargoLock) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	var lock cargoLockFile
	if _, err := toml.NewDecoder(r).Decode(&lock); err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	locals := lock.Package
	if lock.Root != nil {
		locals = append(locals, *lock.Root)
	}
	// byName resolves the dependency references of local packages: "name" (unique in the file), "name version",
	// or "name version (source)".
	byName := map[string][]int{}
	for i, pk := range lock.Package {
		byName[pk.Name] = append(byName[pk.Name], i)
	}
	direct := map[int]bool{}
	for _, pk := range locals {
		if pk.Source != "" {
			continue
		}
		for _, ref := range pk.Dependencies {
			f := strings.Fields(ref)
			if len(f) == 0 {
				continue
			}
			for _, i := range byName[f[0]] {
				c := lock.Package[i]
				if len(f) > 1 && c.Version != f[1] {
					continue
				}
				if len(f) > 2 && "("+c.Source+")" != strings.Join(f[2:], " ") {
					continue
				}
				direct[i] = true
			}
		}
	}
	var pkgs []model.Package
	seen := map[[2]string]int{}
	for i, pk := range lock.Package {
		if pk.Source == "" {
			continue
		}
		if !isToken(pk.Name) || !isToken(pk.Version) {
			continue // not a package cargo could have written; the rest of the file is still good
		}
		dep := model.DependencyTransitive
		if direct[i] {
			dep = model.DependencyDirect
		}
		// The same crate version from two sources (crates.io and a git fork) is one package here.
		k := [2]string{pk.Name, pk.Version}
		if j, ok := seen[k]; ok {
			if dep == model.DependencyDirect {
				pkgs[j].Dependency = dep
			}
			continue
		}
		seen[k] = len(pkgs)
		pkgs = append(pkgs, model.Package{Ecosystem: model.Cargo, Name: pk.Name, Version: pk.Version, Location: p,
			Dependency: dep, Evidence: "Cargo.lock"})
	}
	return pkgs, nil
}
