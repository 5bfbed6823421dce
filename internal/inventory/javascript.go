package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hullscan/hullscan/internal/model"
)

// JavaScript (npm ecosystem) parsers. Four sources of truth, one parser each:
//
//   - package-lock.json / npm-shrinkwrap.json (npm lockfile v1, v2, v3)      NPMLock
//   - yarn.lock (yarn 1's own format, and yarn 2+ "Berry" YAML)             YarnLock
//   - pnpm-lock.yaml (lockfile 5.x, 6.x, 9.x)                               PNPMLock
//   - node_modules/<name>/package.json (the installed tree)                 NPMInstalled
//
// Lockfiles inside node_modules are not read: packages sometimes publish their own lockfile, which describes the
// package's development checkout, not anything installed here (npm ignores a published package-lock.json; a
// published npm-shrinkwrap.json is honoured, but what it installed is then in node_modules and read from there).
// Hidden lockfiles (node_modules/.package-lock.json, node_modules/.pnpm/lock.yaml, node_modules/.yarn-state.yml)
// duplicate the installed tree and are not read either.
//
// A lockfile and the tree it installed describe the same packages twice; DedupeLockfileAndInstalled, run on the
// merged scan result, keeps the lockfile's record (it knows dev/direct) and drops the installed copy it covers.

// javascriptParsers lists this ecosystem's parsers.
func javascriptParsers() []Parser {
	return []Parser{NPMLock{}, YarnLock{}, PNPMLock{}, NPMInstalled{}}
}

const (
	jsLockMaxSize        = 64 << 20
	jsPackageJSONMaxSize = 1 << 20
)

// jsLockfileNames are the lockfiles that DedupeLockfileAndInstalled trusts to describe a node_modules tree.
var jsLockfileNames = map[string]bool{
	"package-lock.json":   true,
	"npm-shrinkwrap.json": true,
	"yarn.lock":           true,
	"pnpm-lock.yaml":      true,
}

// jsMatchLock matches a lockfile named base that is not inside a node_modules tree.
func jsMatchLock(p string, bases ...string) bool {
	b := path.Base(p)
	for _, want := range bases {
		if b == want {
			return !strings.Contains(p, "/node_modules/")
		}
	}
	return false
}

// jsBuilder collects a file's packages, merging repeats of one name@version (a package installed at several
// places of a tree, or locked under several ranges) into one record: it is dev only when every copy is, and
// direct when any copy is.
type jsBuilder struct {
	path  string
	index map[string]int
	pkgs  []model.Package
}

func newJSBuilder(p string) *jsBuilder { return &jsBuilder{path: p, index: map[string]int{}} }

// add records name@version; empty or blank values are dropped (a record the format could not identify).
func (b *jsBuilder) add(name, version, dependency string, dev bool, licenses []string) {
	name, version = strings.TrimSpace(name), strings.TrimSpace(version)
	if !jsValidName(name) || version == "" || strings.ContainsFunc(version, jsBadRune) {
		return
	}
	k := name + "\x00" + version
	if i, ok := b.index[k]; ok {
		p := &b.pkgs[i]
		p.Dev = p.Dev && dev
		switch {
		case p.Dependency == model.DependencyDirect || dependency == model.DependencyDirect:
			p.Dependency = model.DependencyDirect
		case p.Dependency == "" || dependency == "":
			p.Dependency = "" // unknown for one copy: unknown for the package
		}
		if len(p.Licenses) == 0 {
			p.Licenses = licenses
		}
		return
	}
	b.index[k] = len(b.pkgs)
	b.pkgs = append(b.pkgs, model.Package{
		Ecosystem: model.NPM, Name: name, Version: version, Location: b.path,
		Dependency: dependency, Dev: dev, Licenses: licenses,
	})
}

// jsValidName accepts what can be an npm package name: "name" or "@scope/name", both parts non-empty, without
// spaces or control characters. (npm's rules are stricter for new packages; old ones have upper case and more.)
func jsValidName(name string) bool {
	if name == "" || strings.ContainsFunc(name, jsBadRune) {
		return false
	}
	if rest, ok := strings.CutPrefix(name, "@"); ok {
		scope, pkg, ok := strings.Cut(rest, "/")
		return ok && scope != "" && pkg != "" && !strings.Contains(pkg, "/")
	}
	return !strings.Contains(name, "/")
}

func jsBadRune(r rune) bool { return r <= ' ' || r == 0x7f || r == utf8.RuneError }

// result returns the packages sorted by name and version, so output does not depend on map order.
func (b *jsBuilder) result() []model.Package {
	sort.Slice(b.pkgs, func(i, j int) bool {
		if b.pkgs[i].Name != b.pkgs[j].Name {
			return b.pkgs[i].Name < b.pkgs[j].Name
		}
		return b.pkgs[i].Version < b.pkgs[j].Version
	})
	return b.pkgs
}

// readAllLimit reads the whole file; size is only a hint.
func readAllLimit(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return data, nil
}

// jsLicenses reads package.json's "license" (a string, or the old {"type": ...} object, or wrongly an array) and
// the older "licenses" (an array of {"type"} objects or strings, or a string). Unreadable values are ignored.
func jsLicenses(license, licenses json.RawMessage) []string {
	var out []string
	seen := map[string]bool{}
	addOne := func(raw json.RawMessage) {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			var o struct {
				Type string `json:"type"`
			}
			if json.Unmarshal(raw, &o) != nil {
				return
			}
			s = o.Type
		}
		if s = strings.TrimSpace(s); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, raw := range []json.RawMessage{license, licenses} {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		if raw[0] == '[' {
			var list []json.RawMessage
			if json.Unmarshal(raw, &list) == nil {
				for _, e := range list {
					addOne(e)
				}
			}
			continue
		}
		addOne(raw)
	}
	return out
}

// jsString decodes a JSON value that should be a string; anything else gives "".
func jsString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// ---- package-lock.json / npm-shrinkwrap.json ----

// NPMLock reads npm's package-lock.json and npm-shrinkwrap.json, lockfile versions 1, 2 and 3.
//
// v2 and v3 list every installed package in "packages", keyed by its folder ("node_modules/a/node_modules/b");
// the "" entry is the project itself and is not reported, nor are its workspaces (the folders the root's
// "workspaces" globs match): they are the code being scanned, have no registry identity, and yarn 4 and pnpm
// lockfiles do not even record their versions. A file: dependency outside the workspaces is an entry keyed by its
// folder that a "link": true entry points at: the folder is reported once, the link never.
//
// Dev is the "dev" flag. "devOptional" packages are not dev: an optional dependency of the production tree needs
// them too, so a production install (--omit=dev) still installs them. Direct dependencies are the packages that
// the root's or a workspace's declared dependencies (all four kinds) resolve to, by Node's resolution from that
// folder (a file: folder so declared is direct); every other package is transitive.
//
// v1 has only the nested "dependencies" tree. It does not record the root's declared dependencies, so a top-level
// package is direct only when no locked package requires it (then nothing but the root can have put it there),
// unknown ("") when some package requires it too or when it is a peer (peer edges are not in "requires"); nested
// packages are transitive. Versions that are not a registry version (file:, git and tarball URLs) do not identify
// a package and are skipped; npm: aliases report the real package.
type NPMLock struct{}

func (NPMLock) Name() string   { return "npm-lockfile" }
func (NPMLock) Version() int   { return 1 }
func (NPMLock) MaxSize() int64 { return jsLockMaxSize }
func (NPMLock) Match(p string) bool {
	return jsMatchLock(p, "package-lock.json", "npm-shrinkwrap.json")
}

type npmLockFile struct {
	LockfileVersion json.RawMessage            `json:"lockfileVersion"`
	Packages        map[string]json.RawMessage `json:"packages"`
	Dependencies    map[string]json.RawMessage `json:"dependencies"`
}

type npmLockPackage struct {
	Name                 json.RawMessage   `json:"name"`
	Version              json.RawMessage   `json:"version"`
	Resolved             json.RawMessage   `json:"resolved"`
	Link                 bool              `json:"link"`
	Dev                  bool              `json:"dev"`
	License              json.RawMessage   `json:"license"`
	Licenses             json.RawMessage   `json:"licenses"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	Workspaces           json.RawMessage   `json:"workspaces"`
}

func (NPMLock) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	data, err := readAllLimit(r, jsLockMaxSize)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	var lf npmLockFile
	if err := json.Unmarshal(data, &lf); err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	b := newJSBuilder(p)
	switch {
	case lf.Packages != nil:
		npmLockPackages(b, lf.Packages)
	case lf.Dependencies != nil:
		npmLockV1(b, lf.Dependencies)
	default:
		if len(lf.LockfileVersion) == 0 {
			return nil, fmt.Errorf("parse %s: not an npm lockfile (no lockfileVersion, packages or dependencies)", p)
		}
	}
	return b.result(), nil
}

// npmLockPackages reads the v2/v3 "packages" map. Entries that do not decode are skipped, not fatal.
func npmLockPackages(b *jsBuilder, raw map[string]json.RawMessage) {
	entries := make(map[string]*npmLockPackage, len(raw))
	for k, v := range raw {
		var e npmLockPackage
		if json.Unmarshal(v, &e) == nil {
			entries[k] = &e
		}
	}
	// Direct dependencies: those the root and every workspace declare, each name resolved the way Node does,
	// walking up from the declaring folder. A file: folder that is not a workspace is a dependency like any other:
	// what it declares is transitive (npm query agrees).
	var workspaces []string
	if root := entries[""]; root != nil {
		workspaces = npmWorkspaceGlobs(root.Workspaces)
	}
	isWorkspace := func(k string) bool {
		for _, g := range workspaces {
			if npmGlobMatch(g, k) {
				return true
			}
		}
		return false
	}
	direct := map[string]bool{}
	for k, e := range entries {
		if e.Link || (k != "" && (strings.Contains("/"+k, "/node_modules/") || !isWorkspace(k))) {
			continue
		}
		for _, deps := range []map[string]string{e.Dependencies, e.DevDependencies, e.OptionalDependencies, e.PeerDependencies} {
			for name := range deps {
				if target, ok := npmResolve(entries, k, name); ok {
					direct[target] = true
				}
			}
		}
	}
	// A link target's entry names its package only when the folder's name differs; else the link's key does.
	linkName := map[string]string{}
	for k, e := range entries {
		if e.Link {
			if i := strings.LastIndex("/"+k, "/node_modules/"); i >= 0 {
				linkName[path.Clean(jsString(e.Resolved))] = ("/" + k)[i+len("/node_modules/"):]
			}
		}
	}
	for k, e := range entries {
		if k == "" || e.Link || (!strings.Contains("/"+k, "/node_modules/") && isWorkspace(k)) {
			continue // the project and its workspaces are the code being scanned, not dependencies
		}
		name := jsString(e.Name)
		slashed := "/" + k
		j := strings.LastIndex(slashed, "/node_modules/")
		inTree := j >= 0
		switch {
		case name != "":
		case inTree:
			name = slashed[j+len("/node_modules/"):]
		default:
			name = linkName[k]
		}
		dep := model.DependencyTransitive
		if direct[k] {
			dep = model.DependencyDirect
		}
		b.add(name, jsString(e.Version), dep, e.Dev, jsLicenses(e.License, e.Licenses))
	}
}

// npmResolve finds the entry that name resolves to from folder from ("" is the root, else a workspace folder):
// from/node_modules/name, then the same in each parent folder up to the root. A link resolves to the folder it
// points at ("resolved" of a link is relative to the project root).
func npmResolve(entries map[string]*npmLockPackage, from, name string) (string, bool) {
	for dir := from; ; {
		k := "node_modules/" + name
		if dir != "" {
			k = dir + "/" + k
		}
		if e, ok := entries[k]; ok {
			if !e.Link {
				return k, true
			}
			t := path.Clean(jsString(e.Resolved))
			_, ok := entries[t]
			return t, ok
		}
		if dir == "" {
			return "", false
		}
		if i := strings.LastIndexByte(dir, '/'); i >= 0 {
			dir = dir[:i]
		} else {
			dir = ""
		}
	}
}

// npmWorkspaceGlobs reads package.json's "workspaces": an array of folder globs, or yarn's {"packages": [...]}.
// At most maxWorkspaceGlobs are kept, so that a hostile file cannot make matching quadratic.
func npmWorkspaceGlobs(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		var obj struct {
			Packages []string `json:"packages"`
		}
		if json.Unmarshal(raw, &obj) != nil {
			return nil
		}
		list = obj.Packages
	}
	return list[:min(len(list), maxWorkspaceGlobs)]
}

const maxWorkspaceGlobs = 256

// npmGlobMatch matches a workspace folder against a workspaces glob: path.Match per segment, with "**" matching
// any number of folders (npm uses minimatch; workspaces globs are this simple in practice).
func npmGlobMatch(glob, dir string) bool {
	glob = strings.TrimSuffix(strings.TrimPrefix(path.Clean(glob), "./"), "/")
	dir = strings.TrimPrefix(path.Clean(dir), "./")
	if strings.Count(glob, "**") > 2 { // backtracking is polynomial in the number of "**": keep it small
		return false
	}
	return globSegments(strings.Split(glob, "/"), strings.Split(dir, "/"))
}

func globSegments(g, d []string) bool {
	for len(g) > 0 {
		if g[0] == "**" {
			for i := 0; i <= len(d); i++ {
				if globSegments(g[1:], d[i:]) {
					return true
				}
			}
			return false
		}
		if len(d) == 0 {
			return false
		}
		if ok, err := path.Match(g[0], d[0]); err != nil || !ok {
			return false
		}
		g, d = g[1:], d[1:]
	}
	return len(d) == 0
}

type npmLockV1Entry struct {
	Version      string                     `json:"version"`
	Dev          bool                       `json:"dev"`
	Peer         bool                       `json:"peer"`
	Requires     map[string]string          `json:"requires"`
	Dependencies map[string]json.RawMessage `json:"dependencies"`
}

// npmLockV1 reads the v1 nested "dependencies" tree.
func npmLockV1(b *jsBuilder, top map[string]json.RawMessage) {
	type node struct {
		key   string
		e     npmLockV1Entry
		depth int
	}
	var all []node
	required := map[string]bool{}
	var walk func(m map[string]json.RawMessage, depth int)
	walk = func(m map[string]json.RawMessage, depth int) {
		for k, raw := range m {
			var e npmLockV1Entry
			if json.Unmarshal(raw, &e) != nil {
				continue
			}
			for name := range e.Requires {
				required[name] = true
			}
			all = append(all, node{k, e, depth})
			walk(e.Dependencies, depth+1)
		}
	}
	walk(top, 0)
	for _, n := range all {
		name, version, ok := npmV1Identity(n.key, n.e.Version)
		if !ok {
			continue
		}
		dep := model.DependencyTransitive
		if n.depth == 0 {
			dep = ""
			if !required[n.key] && !n.e.Peer { // a peer is also required by a peerDependencies edge, not in "requires"
				dep = model.DependencyDirect
			}
		}
		b.add(name, version, dep, n.e.Dev, nil)
	}
}

// npmV1Identity turns a v1 entry (key, version) into the package's name and version: "npm:real@1.0.0" is an
// alias of real; URL-like versions (file:, git+..., github:, https:) do not name a registry version.
func npmV1Identity(key, version string) (string, string, bool) {
	if rest, ok := strings.CutPrefix(version, "npm:"); ok {
		if i := strings.LastIndex(rest, "@"); i > 0 {
			return rest[:i], rest[i+1:], true
		}
		return "", "", false
	}
	if strings.Contains(version, ":") || strings.Contains(version, "/") {
		return "", "", false
	}
	return key, version, true
}

// ---- node_modules/**/package.json ----

// NPMInstalled reads the package.json of each package installed in a node_modules folder: the files at
// node_modules/<name>/package.json and node_modules/@scope/<name>/package.json, at any depth (nested
// node_modules, pnpm's node_modules/.pnpm/<id>/node_modules/<name>). Other package.json files are not packages:
// the project's own (not under node_modules), and the ones deeper inside a package (test fixtures, "exports"
// stubs like @babel/runtime/helpers/esm/package.json). A file without a name or a version is not a package and
// yields nothing. The name is the package's own, which differs from the folder for npm: aliases.
type NPMInstalled struct{}

func (NPMInstalled) Name() string   { return "npm-installed" }
func (NPMInstalled) Version() int   { return 1 }
func (NPMInstalled) MaxSize() int64 { return jsPackageJSONMaxSize }

func (NPMInstalled) Match(p string) bool {
	dir, ok := strings.CutSuffix(p, "/package.json")
	if !ok {
		return false
	}
	i := strings.LastIndexByte(dir, '/')
	if i < 0 {
		return false
	}
	pkg, parent := dir[i+1:], dir[:i]
	if pkg == "" || pkg[0] == '.' {
		return false
	}
	if pkg[0] == '@' { // node_modules/@scope/package.json is a scope folder, not a package
		return false
	}
	if strings.HasSuffix(parent, "/node_modules") {
		return true
	}
	j := strings.LastIndexByte(parent, '/')
	return j >= 0 && len(parent) > j+1 && parent[j+1] == '@' && strings.HasSuffix(parent[:j], "/node_modules")
}

type npmPackageJSON struct {
	Name     json.RawMessage `json:"name"`
	Version  json.RawMessage `json:"version"`
	License  json.RawMessage `json:"license"`
	Licenses json.RawMessage `json:"licenses"`
}

func (NPMInstalled) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	data, err := readAllLimit(r, jsPackageJSONMaxSize)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	var pj npmPackageJSON
	if err := json.Unmarshal(data, &pj); err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	b := newJSBuilder(p)
	b.add(jsString(pj.Name), jsString(pj.Version), "", false, jsLicenses(pj.License, pj.Licenses))
	return b.result(), nil
}

// ---- lockfile and installed tree ----

// DedupeLockfileAndInstalled removes installed-tree packages (read from <dir>/node_modules/.../package.json)
// that a lockfile of the same project lists with the same name and version: the lockfile's record stays (it
// knows dev and direct), the installed copy would count the package twice. The project of an installed package is
// the nearest folder at or above the one holding its outermost node_modules that has a lockfile among pkgs
// (a workspace's node_modules belongs to the workspace root's lockfile). Installed packages the lockfile lacks are
// kept: they are there. A lockfile record without licences takes those of the installed copy it replaces (yarn
// and pnpm lockfiles record none, npm's only the modern "license" string). Other packages pass through, in order;
// pkgs itself is not modified.
func DedupeLockfileAndInstalled(pkgs []model.Package) []model.Package {
	locked := map[string]map[string]int{} // lockfile's folder -> name\x00version -> index in pkgs
	for i := range pkgs {
		p := &pkgs[i]
		if p.Ecosystem != model.NPM || !jsLockfileNames[path.Base(p.Location)] {
			continue
		}
		dir := path.Dir(p.Location)
		if locked[dir] == nil {
			locked[dir] = map[string]int{}
		}
		if _, ok := locked[dir][p.Name+"\x00"+p.Version]; !ok {
			locked[dir][p.Name+"\x00"+p.Version] = i
		}
	}
	if len(locked) == 0 {
		return pkgs
	}
	drop := map[int]bool{}
	licenses := map[int][]string{}
	for i := range pkgs {
		if j, ok := jsLockedBy(locked, &pkgs[i]); ok {
			drop[i] = true
			if len(pkgs[j].Licenses) == 0 && len(licenses[j]) == 0 && len(pkgs[i].Licenses) > 0 {
				licenses[j] = pkgs[i].Licenses
			}
		}
	}
	out := make([]model.Package, 0, len(pkgs)-len(drop))
	for i, p := range pkgs {
		if drop[i] {
			continue
		}
		if l, ok := licenses[i]; ok {
			p.Licenses = append([]string(nil), l...)
		}
		out = append(out, p)
	}
	return out
}

// jsLockedBy returns the index of the lockfile record that covers p, an installed-tree package: the nearest
// lockfile above p's outermost node_modules lists the same name and version.
func jsLockedBy(locked map[string]map[string]int, p *model.Package) (int, bool) {
	if p.Ecosystem != model.NPM || path.Base(p.Location) != "package.json" {
		return 0, false
	}
	i := strings.Index(p.Location, "/node_modules/")
	if i < 0 {
		return 0, false
	}
	for dir := p.Location[:i]; ; dir = path.Dir(dir) {
		if dir == "" {
			dir = "/"
		}
		if set, ok := locked[dir]; ok {
			j, ok := set[p.Name+"\x00"+p.Version]
			return j, ok
		}
		if dir == "/" || dir == "." {
			return 0, false
		}
	}
}
