package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
)

// phpParsers lists this ecosystem's parsers.
func phpParsers() []Parser { return []Parser{ComposerLock{}, ComposerInstalled{}} }

const composerMaxSize = 64 << 20

// composerPackage is the part of a package entry that composer.lock and installed.json share.
type composerPackage struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	License json.RawMessage `json:"license"`
}

// composerNameRE is Composer's package name, "vendor/package", loosened to the upper case old packages used
// (Composer itself lower-cases them). Anything else, such as "psr/log/", names no package and has no purl.
var composerNameRE = regexp.MustCompile(`^[A-Za-z0-9]([_.-]?[A-Za-z0-9]+)*/[A-Za-z0-9](([_.]|-{1,2})?[A-Za-z0-9]+)*$`)

func (cp composerPackage) pkg(p string, dev bool) (model.Package, bool) {
	if !composerNameRE.MatchString(cp.Name) || !isToken(cp.Version) {
		return model.Package{}, false
	}
	// The version as Composer writes it ("v6.4.3", "1.2.0", "dev-main"): the purl and the advisories
	// (FriendsOfPHP, GitHub) use it unnormalised.
	pkg := model.Package{Ecosystem: model.Composer, Name: cp.Name, Version: cp.Version, Location: p, Dev: dev}
	pkg.Licenses = composerLicenses(cp.License)
	return pkg, true
}

// composerLicenses reads "license", an array of SPDX identifiers by the schema, a plain string in old packages.
func composerLicenses(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		var one string
		if json.Unmarshal(raw, &one) != nil {
			return nil
		}
		list = []string{one}
	}
	var out []string
	for _, l := range list {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// ComposerLock reads composer.lock: "packages" are installed by `composer install`, "packages-dev" only without
// --no-dev (Dev). The lock does not say which packages composer.json requires directly, so Dependency stays empty.
// Platform requirements (php, ext-*) are in "platform", not packages, and so never appear.
type ComposerLock struct{}

func (ComposerLock) Name() string   { return "composer-lock" }
func (ComposerLock) Version() int   { return 1 }
func (ComposerLock) MaxSize() int64 { return composerMaxSize }
func (ComposerLock) Match(p string) bool {
	// A composer.lock inside vendor/ belongs to a dependency's own development setup, not to what is installed.
	return path.Base(p) == "composer.lock" && !strings.Contains(p, "/vendor/")
}
func (ComposerLock) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	b, err := readLangFile(p, r, composerMaxSize)
	if err != nil {
		return nil, err
	}
	var lock struct {
		Packages    []composerPackage `json:"packages"`
		PackagesDev []composerPackage `json:"packages-dev"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	var pkgs []model.Package
	seen := map[string]bool{}
	for _, sec := range []struct {
		list []composerPackage
		dev  bool
	}{{lock.Packages, false}, {lock.PackagesDev, true}} {
		for _, cp := range sec.list {
			if pkg, ok := cp.pkg(p, sec.dev); ok && !seen[pkg.Name+"\x00"+pkg.Version] {
				seen[pkg.Name+"\x00"+pkg.Version] = true
				pkgs = append(pkgs, pkg)
			}
		}
	}
	return pkgs, nil
}

// ComposerInstalled reads vendor/composer/installed.json, what Composer actually installed into vendor/: in
// Composer 1 a JSON array of packages, in Composer 2 {"packages": [...], "dev": bool, "dev-package-names": [...]},
// where the dev packages are those named in dev-package-names (Composer 1 does not tell, so none is Dev). It is
// the better record in an image: a lock may list dev packages that `composer install --no-dev` never installed.
type ComposerInstalled struct{}

func (ComposerInstalled) Name() string   { return "composer-installed" }
func (ComposerInstalled) Version() int   { return 1 }
func (ComposerInstalled) MaxSize() int64 { return composerMaxSize }

// Match takes installed.json in any directory named composer: the vendor directory itself can be renamed
// (composer.json's config.vendor-dir), the composer/ inside it cannot.
func (ComposerInstalled) Match(p string) bool {
	return path.Base(p) == "installed.json" && path.Base(path.Dir(p)) == "composer"
}

func (ComposerInstalled) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	b, err := readLangFile(p, r, composerMaxSize)
	if err != nil {
		return nil, err
	}
	var list []composerPackage
	devNames := map[string]bool{}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
	} else {
		var v2 struct {
			Packages        []composerPackage `json:"packages"`
			DevPackageNames []string          `json:"dev-package-names"`
		}
		if err := json.Unmarshal(b, &v2); err != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
		list = v2.Packages
		for _, n := range v2.DevPackageNames {
			devNames[n] = true
		}
	}
	var pkgs []model.Package
	seen := map[string]bool{}
	for _, cp := range list {
		if pkg, ok := cp.pkg(p, devNames[cp.Name]); ok && !seen[pkg.Name+"\x00"+pkg.Version] {
			seen[pkg.Name+"\x00"+pkg.Version] = true
			pkgs = append(pkgs, pkg)
		}
	}
	return pkgs, nil
}
