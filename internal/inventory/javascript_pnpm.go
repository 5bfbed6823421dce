package inventory

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hullscan/hullscan/internal/model"
)

// PNPMLock reads pnpm-lock.yaml, lockfile versions 5.x (pnpm 6 and 7), 6.x (pnpm 8) and 9.x (pnpm 9 and 10).
//
// Package keys differ by version: "/name/1.0.0_peer@2.0.0" (5.x; "_" starts the peer suffix), "/name@1.0.0(peer@2.0.0)"
// (6.x) and "name@1.0.0(peer@2.0.0)" (9.x, in "packages" without the peer suffix and in "snapshots" with it);
// scoped names keep their "@scope/". Entries for packages not from the registry (git, tarballs, local folders)
// carry explicit name and version fields, used when present.
//
// Direct dependencies are the packages the importers (the root project, or each workspace in "importers")
// resolve their dependencies, devDependencies and optionalDependencies to; "link:" dependencies (workspaces) are
// the project's own and not reported. Dev: 5.x and 6.x mark dev-only packages with "dev: true" ("dev: false" is
// production only, no flag is both); 9.x dropped the flag, so a package is dev when it is reachable from some
// importer's devDependencies but not from any importer's dependencies or optionalDependencies through the
// "snapshots" dependency graph, the same rule pnpm applies for --prod.
type PNPMLock struct{}

func (PNPMLock) Name() string        { return "pnpm-lock" }
func (PNPMLock) Version() int        { return 1 }
func (PNPMLock) MaxSize() int64      { return jsLockMaxSize }
func (PNPMLock) Match(p string) bool { return jsMatchLock(p, "pnpm-lock.yaml") }

type pnpmLockFile struct {
	LockfileVersion      string                  `yaml:"lockfileVersion"`
	Importers            map[string]pnpmImporter `yaml:"importers"`
	Dependencies         map[string]yaml.Node    `yaml:"dependencies"`
	DevDependencies      map[string]yaml.Node    `yaml:"devDependencies"`
	OptionalDependencies map[string]yaml.Node    `yaml:"optionalDependencies"`
	Packages             map[string]yaml.Node    `yaml:"packages"`
	Snapshots            map[string]yaml.Node    `yaml:"snapshots"`
}

type pnpmImporter struct {
	Dependencies         map[string]yaml.Node `yaml:"dependencies"`
	DevDependencies      map[string]yaml.Node `yaml:"devDependencies"`
	OptionalDependencies map[string]yaml.Node `yaml:"optionalDependencies"`
}

type pnpmPackage struct {
	Name                 string            `yaml:"name"`
	Version              string            `yaml:"version"`
	Dev                  *bool             `yaml:"dev"`
	Dependencies         map[string]string `yaml:"dependencies"`
	OptionalDependencies map[string]string `yaml:"optionalDependencies"`
}

func (PNPMLock) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	data, err := readAllLimit(r, jsLockMaxSize)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	// pnpm 10 may put a small document (config dependencies) before the lockfile proper: read every document.
	var docs []pnpmLockFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	for {
		var lf pnpmLockFile
		err := yamlDecodeNext(dec, &lf)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
		docs = append(docs, lf)
	}
	b := newJSBuilder(p)
	seenVersion := false
	for i := range docs {
		if docs[i].LockfileVersion != "" {
			seenVersion = true
		}
		pnpmDoc(b, &docs[i])
	}
	if !seenVersion {
		return nil, fmt.Errorf("parse %s: not a pnpm lockfile (no lockfileVersion)", p)
	}
	return b.result(), nil
}

// yamlDecodeNext is Decoder.Decode with a decoder panic turned into an error.
func yamlDecodeNext(dec *yaml.Decoder, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return dec.Decode(v)
}

// pnpmMajor is the lockfile's major version ("5.4" -> 5, "'9.0'" -> 9); 0 when unreadable.
func pnpmMajor(v string) int {
	v, _, _ = strings.Cut(strings.Trim(v, `'" `), ".")
	n, _ := strconv.Atoi(v)
	return n
}

func pnpmDoc(b *jsBuilder, lf *pnpmLockFile) {
	major := pnpmMajor(lf.LockfileVersion)
	// 5.x and 6.x single projects keep the root's dependencies at the top level.
	importers := lf.Importers
	if len(lf.Dependencies)+len(lf.DevDependencies)+len(lf.OptionalDependencies) > 0 {
		if importers == nil {
			importers = map[string]pnpmImporter{}
		}
		importers["."] = pnpmImporter{lf.Dependencies, lf.DevDependencies, lf.OptionalDependencies}
	}
	// Graph nodes are package keys without the leading "/" of 5.x/6.x, peer suffix kept (it selects the
	// variant whose dependencies are meant).
	pkgs := map[string]*pnpmPackage{}
	for _, m := range []map[string]yaml.Node{lf.Packages, lf.Snapshots} {
		for k, n := range m {
			var e pnpmPackage
			if yamlDecode(&n, &e) != nil {
				continue
			}
			k = strings.TrimPrefix(k, "/")
			if old, ok := pkgs[k]; ok { // 9.x: the snapshot has the dependencies, the package the name/version
				if old.Name == "" {
					old.Name = e.Name
				}
				if old.Version == "" {
					old.Version = e.Version
				}
				if e.Dependencies != nil || e.OptionalDependencies != nil {
					old.Dependencies, old.OptionalDependencies = e.Dependencies, e.OptionalDependencies
				}
				continue
			}
			pkgs[k] = &e
		}
	}
	directKeys := map[string]bool{}
	var prodRoots, devRoots []string
	for _, imp := range importers {
		for i, deps := range []map[string]yaml.Node{imp.Dependencies, imp.OptionalDependencies, imp.DevDependencies} {
			for name, n := range deps {
				ref := pnpmImporterVersion(&n)
				k, ok := pnpmRef(major, name, ref)
				if !ok {
					continue
				}
				directKeys[k] = true
				if i < 2 {
					prodRoots = append(prodRoots, k)
				} else {
					devRoots = append(devRoots, k)
				}
			}
		}
	}
	// identity of every key: explicit name/version fields win (git, tarballs), else the key's own.
	type ident struct{ name, version string }
	ids := make(map[string]ident, len(pkgs))
	for k, e := range pkgs {
		name, version := pnpmKey(major, k)
		if e.Name != "" && e.Version != "" {
			name, version = e.Name, e.Version
		} else if !pnpmRegistryVersion(version) {
			version = e.Version // 9.x: "foo@https://codeload..." with the version in the entry
		}
		if name != "" && version != "" {
			ids[k] = ident{name, version}
		}
	}
	direct := map[string]bool{} // name\x00version
	for k := range directKeys {
		if id, ok := ids[k]; ok {
			direct[id.name+"\x00"+id.version] = true
		} else if n, v := pnpmKey(major, k); n != "" {
			direct[n+"\x00"+v] = true
		}
	}
	// 9.x dev: by name@version, since "packages" keys lack the peer suffix that "snapshots" keys and references
	// carry.
	var prodNV, devNV map[string]bool
	if major >= 9 {
		prodNV, devNV = map[string]bool{}, map[string]bool{}
		for k := range pnpmReach(major, pkgs, prodRoots) {
			if id, ok := ids[k]; ok {
				prodNV[id.name+"\x00"+id.version] = true
			}
		}
		for k := range pnpmReach(major, pkgs, devRoots) {
			if id, ok := ids[k]; ok {
				devNV[id.name+"\x00"+id.version] = true
			}
		}
	}
	for k, e := range pkgs {
		id, ok := ids[k]
		if !ok {
			continue
		}
		nv := id.name + "\x00" + id.version
		dev := e.Dev != nil && *e.Dev
		if major >= 9 {
			dev = devNV[nv] && !prodNV[nv]
		}
		dep := model.DependencyTransitive
		if direct[nv] {
			dep = model.DependencyDirect
		}
		b.add(id.name, id.version, dep, dev, nil)
	}
}

// pnpmImporterVersion reads an importer's dependency: a plain scalar (5.x) or {specifier, version} (6.x, 9.x).
func pnpmImporterVersion(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	var v struct {
		Version string `yaml:"version"`
	}
	if yamlDecode(n, &v) != nil {
		return ""
	}
	return v.Version
}

// pnpmRef turns a dependency reference (an importer's or a package's: name plus "1.0.0", "1.0.0(peer@1)",
// "1.0.0_peer@1", an alias "/real/1.0.0", "/real@1.0.0" or "real@1.0.0") into a package key as stored in pkgs
// (no leading "/"). Links and local folders give false.
func pnpmRef(major int, name, ref string) (string, bool) {
	if ref == "" || strings.HasPrefix(ref, "link:") || strings.HasPrefix(ref, "file:") {
		return "", false
	}
	if s, ok := strings.CutPrefix(ref, "/"); ok {
		return s, true
	}
	if major < 6 {
		// 5.x: a reference is a version, unless it is a full key of another registry ("registry/name/1.0.0").
		if strings.Contains(ref, "/") {
			return ref, true
		}
		return name + "/" + ref, true
	}
	base, _, _ := strings.Cut(ref, "(")
	if strings.IndexByte(base[min(1, len(base)):], '@') >= 0 { // 9.x alias: "real@1.0.0"
		return ref, true
	}
	return name + "@" + ref, true
}

// pnpmKey splits a package key (no leading "/") into name and version, peer suffix removed.
func pnpmKey(major int, k string) (string, string) {
	k = strings.TrimPrefix(k, "/")
	if major > 0 && major < 6 {
		// name/version[_peers], name being "@scope/name" or "name"
		parts := strings.SplitN(k, "/", 3)
		var name, rest string
		switch {
		case strings.HasPrefix(k, "@") && len(parts) == 3:
			name, rest = parts[0]+"/"+parts[1], parts[2]
		case !strings.HasPrefix(k, "@") && len(parts) >= 2:
			name, rest = parts[0], strings.Join(parts[1:], "/")
		default:
			return "", ""
		}
		v, _, _ := strings.Cut(rest, "_")
		return name, v
	}
	base, _, _ := strings.Cut(k, "(")
	i := strings.IndexByte(base[min(1, len(base)):], '@')
	if i < 0 {
		return "", ""
	}
	return base[:i+1], base[i+2:]
}

// pnpmRegistryVersion reports whether a version from a key is a plain version rather than a URL or path.
func pnpmRegistryVersion(v string) bool {
	return v != "" && !strings.ContainsAny(v, ":/")
}

// pnpmReach returns the package keys reachable from roots through dependencies and optionalDependencies.
func pnpmReach(major int, pkgs map[string]*pnpmPackage, roots []string) map[string]bool {
	seen := map[string]bool{}
	stack := append([]string(nil), roots...)
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[k] {
			continue
		}
		seen[k] = true
		e := pkgs[k]
		if e == nil {
			continue
		}
		for _, deps := range []map[string]string{e.Dependencies, e.OptionalDependencies} {
			for name, ref := range deps {
				if c, ok := pnpmRef(major, name, ref); ok && !seen[c] {
					stack = append(stack, c)
				}
			}
		}
	}
	return seen
}
