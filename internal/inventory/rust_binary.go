package inventory

import (
	"compress/zlib"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/hullscan/hullscan/internal/model"
)

// cargoAuditableSection is the section cargo-auditable (github.com/rust-secure-code/cargo-auditable) adds to
// ELF, PE and Mach-O executables: the zlib-compressed JSON of auditable-serde's VersionInfo,
//
//	{"format":1,"packages":[{"name":"app","version":"0.1.0","source":"local","root":true,"dependencies":[1]},
//	                       {"name":"libc","version":"0.2.155","source":"crates.io","kind":"build"}]}
//
// where "source" is "crates.io", "git", "local", "registry" or another string, "kind" is "runtime" (the
// default, left out) or "build", and "dependencies" are indexes into packages.
const cargoAuditableSection = ".dep-v0"

// cargoAuditableMaxJSON caps the decompressed audit data: real ones are a few hundred kilobytes at most (the
// compressed section is "under 4 kB even for 400 dependencies"), a zlib bomb is not read past this.
const cargoAuditableMaxJSON = 32 << 20

type auditableInfo struct {
	Packages []auditablePackage `json:"packages"`
}

type auditablePackage struct {
	Name         string          `json:"name"`
	Version      string          `json:"version"`
	Source       json.RawMessage `json:"source"`
	Kind         string          `json:"kind"`
	Dependencies []int           `json:"dependencies"`
	Root         bool            `json:"root"`
}

// source is the package's source as a string; the schema also allows {"Other": "…"} for sources it has no name
// for.
func (a auditablePackage) source() string {
	var s string
	if json.Unmarshal(a.Source, &s) == nil {
		return s
	}
	var o struct{ Other string }
	if json.Unmarshal(a.Source, &o) == nil {
		return o.Other
	}
	return ""
}

// cargoAuditablePackages reports the crates cargo-auditable recorded in an executable, or nothing when it has no
// such section:
//
//   - the root package (the binary's own crate) with its version, like a Go main module;
//   - every other crate, with Dependency "direct" when the root depends on it and "transitive" otherwise;
//   - crates of kind "build" (build scripts, proc-macros and what only they use) run at compile time and are not
//     in the binary: not reported (as Syft and Trivy do). Format 0 records proc-macros as runtime crates; they are
//     reported then, there being no way to tell;
//   - non-root crates from a "local" source (path dependencies, workspace members) are the project's own code,
//     as in Cargo.lock, and are not reported.
//
// Only the section itself is read (ELF, PE, thin Mach-O); fat Mach-O files are not looked into.
func cargoAuditablePackages(p string, ra io.ReaderAt, format exeFormat) ([]model.Package, error) {
	sec, err := auditableSection(ra, format)
	if err != nil || sec == nil {
		return nil, nil // not an executable the standard library can open, or one without audit data
	}
	zr, err := zlib.NewReader(sec)
	if err != nil {
		return nil, fmt.Errorf("cargo-auditable data: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, cargoAuditableMaxJSON+1))
	if err != nil {
		return nil, fmt.Errorf("cargo-auditable data: %w", err)
	}
	if len(data) > cargoAuditableMaxJSON {
		return nil, fmt.Errorf("cargo-auditable data over %d bytes", cargoAuditableMaxJSON)
	}
	var info auditableInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("cargo-auditable data: %w", err)
	}
	direct := map[int]bool{}
	hasRoot := false
	for _, pk := range info.Packages {
		if pk.Root {
			hasRoot = true
			for _, d := range pk.Dependencies {
				direct[d] = true
			}
		}
	}
	var pkgs []model.Package
	seen := map[[2]string]bool{}
	for i, pk := range info.Packages {
		if !isToken(pk.Name) || !isToken(pk.Version) || pk.Kind == "build" || (!pk.Root && pk.source() == "local") {
			continue
		}
		k := [2]string{pk.Name, pk.Version}
		if seen[k] {
			continue
		}
		seen[k] = true
		pkg := model.Package{Ecosystem: model.Cargo, Name: pk.Name, Version: pk.Version, Location: p,
			Evidence: "cargo-auditable"}
		if hasRoot && !pk.Root {
			pkg.Dependency = model.DependencyTransitive
			if direct[i] {
				pkg.Dependency = model.DependencyDirect
			}
		}
		pkgs = append(pkgs, pkg)
	}
	return pkgs, nil
}

// auditableSection returns a reader of the raw (compressed) .dep-v0 section, or nil when there is none.
func auditableSection(ra io.ReaderAt, format exeFormat) (io.Reader, error) {
	switch format {
	case exeELF:
		f, err := elf.NewFile(ra)
		if err != nil {
			return nil, err
		}
		if s := f.Section(cargoAuditableSection); s != nil && s.Type != elf.SHT_NOBITS {
			return s.Open(), nil
		}
	case exePE:
		f, err := pe.NewFile(ra)
		if err != nil {
			return nil, err
		}
		if s := f.Section(cargoAuditableSection); s != nil {
			return s.Open(), nil
		}
	case exeMachO:
		f, err := macho.NewFile(ra)
		if err != nil {
			return nil, err
		}
		if s := f.Section(cargoAuditableSection); s != nil {
			return s.Open(), nil
		}
	case exeMachOFat, exeNone:
		return nil, nil
	default:
		return nil, errors.New("unknown executable format")
	}
	return nil, nil
}
