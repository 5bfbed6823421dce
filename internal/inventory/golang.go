package inventory

import (
	"fmt"
	"io"
	"path"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/hullscan/hullscan/internal/model"
)

// goParsers lists this ecosystem's parsers. Executables reads Go build information and cargo-auditable data in one
// pass: the scan hands a file to the first parser that claims it, so one executable parser must serve both.
func goParsers() []Parser { return []Parser{GoMod{}, Executables{}} }

// GoMod reads go.mod files: every required module, after the file's own replace and exclude directives, the way
// the go command builds the module graph of a main module (go.mod lists every module the build needs since Go
// 1.17, so no go.sum is read).
//
// A replacement by another module (`replace a => b v1.2.0`) reports b v1.2.0: that is the code compiled in, and
// the module advisories are written against. A replacement by a directory (`replace a => ../a`) is the project's
// own code with no version and is not reported. Excluded versions are dropped. The main module itself is the
// project, not one of its dependencies. go.mod files of the Go distribution (module std and cmd), of the module
// cache (…/pkg/mod/…), of vendor and testdata trees are not a project's requirements and are skipped.
type GoMod struct{}

func (GoMod) Name() string   { return "go-mod" }
func (GoMod) Version() int   { return 1 }
func (GoMod) MaxSize() int64 { return 8 << 20 }

func (GoMod) Match(p string) bool {
	return path.Base(p) == "go.mod" && !strings.Contains(p, "/pkg/mod/") && !strings.Contains(p, "/vendor/") &&
		!strings.Contains(p, "/testdata/")
}

func (GoMod) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	f, err := modfile.Parse(p, data, nil)
	var partial error
	if err != nil {
		// A directive newer than our parser knows makes the strict parse fail. The lax one (the go command's
		// reading of a dependency's go.mod) still gives the requirements, without replace and exclude: report
		// those with a warning rather than nothing.
		lax, laxErr := modfile.ParseLax(p, data, nil)
		if laxErr != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
		f, partial = lax, &Partial{Err: fmt.Errorf("%v; replace and exclude directives not applied", err)}
	}
	if f.Module != nil && (f.Module.Mod.Path == "std" || f.Module.Mod.Path == "cmd") {
		return nil, nil
	}
	excluded := map[module.Version]bool{}
	for _, x := range f.Exclude {
		excluded[x.Mod] = true
	}
	// A replacement naming the old version applies to that version only and wins over one naming none.
	exact := map[module.Version]module.Version{}
	allVersions := map[string]module.Version{}
	for _, x := range f.Replace {
		if x.Old.Version != "" {
			exact[x.Old] = x.New
		} else {
			allVersions[x.Old.Path] = x.New
		}
	}
	var pkgs []model.Package
	seen := map[module.Version]int{}
	for _, req := range f.Require {
		if excluded[req.Mod] {
			continue
		}
		mod := req.Mod
		if n, ok := exact[mod]; ok {
			mod = n
		} else if n, ok := allVersions[mod.Path]; ok {
			mod = n
		}
		if mod.Version == "" {
			continue // replaced by a directory
		}
		if !goModulePath(mod.Path) || module.CanonicalVersion(mod.Version) != mod.Version {
			continue // the go command would refuse the file; nothing a build could have used
		}
		dep := model.DependencyDirect
		if req.Indirect {
			dep = model.DependencyTransitive
		}
		if i, ok := seen[mod]; ok {
			// Two requirements replaced by the same module: direct wins.
			if dep == model.DependencyDirect {
				pkgs[i].Dependency = dep
			}
			continue
		}
		seen[mod] = len(pkgs)
		pkgs = append(pkgs, model.Package{Ecosystem: model.Golang, Name: mod.Path, Version: mod.Version,
			Location: p, Dependency: dep, Evidence: "go.mod"})
	}
	if partial != nil {
		return pkgs, partial
	}
	return pkgs, nil
}

// goModulePath reports whether p is a path the go command accepts for a module (also one that purls can carry:
// no empty elements).
func goModulePath(p string) bool {
	return module.CheckImportPath(p) == nil
}

// goToolchainSemver turns a Go toolchain version as runtime.Version and build information write it ("go1.22.1",
// "go1.21", "go1.22rc1", "go1.22.3 X:boringcrypto") into the semver form module versions use ("v1.22.1",
// "v1.21.0", "v1.22.0-rc.1"), which is also how golang.org/x/vuln compares the stdlib. OSV's Go records write the
// same versions without the "v" ("1.22.1", "1.22.0-0" as introduced), so matching strips it as for modules.
// Development toolchains ("devel go1.23-abc123") have no version: ok is false.
func goToolchainSemver(v string) (string, bool) {
	rest, ok := strings.CutPrefix(v, "go")
	if !ok {
		return "", false
	}
	num := func() (string, bool) {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || (i > 1 && rest[0] == '0') {
			return "", false
		}
		n := rest[:i]
		rest = rest[i:]
		return n, true
	}
	var parts []string
	for {
		n, ok := num()
		if !ok {
			return "", false
		}
		parts = append(parts, n)
		if len(parts) == 3 || !strings.HasPrefix(rest, ".") {
			break
		}
		rest = rest[1:]
	}
	if len(parts) < 2 {
		return "", false // "go1" was never a release name that build information records
	}
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	out := "v" + strings.Join(parts, ".")
	for _, pre := range []string{"rc", "beta", "alpha"} {
		if after, ok := strings.CutPrefix(rest, pre); ok {
			rest = after
			n, ok := num()
			if !ok {
				return "", false
			}
			out += "-" + pre + "." + n
			break
		}
	}
	// What may follow: " X:experiment", "-X:experiment", " (Red Hat 1.21.9-1.el9)", "+auto"... but not more digits
	// or letters of a version we do not understand.
	if rest != "" && rest[0] != ' ' && rest[0] != '-' && rest[0] != '+' {
		return "", false
	}
	return out, true
}
