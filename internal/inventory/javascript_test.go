package inventory

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/package-url/packageurl-go"

	"github.com/hullscan/hullscan/internal/model"
)

// jsCheck asserts what every JavaScript parser promises for any input (the fuzz targets use it too): an error
// names the file and comes without packages; every package is npm, named, versioned, located at path, has no
// purl or id yet, is unique by name and version, and survives Finalize into a purl that parses back to it.
func jsCheck(t *testing.T, path string, pkgs []model.Package, err error) {
	t.Helper()
	if err != nil {
		if pkgs != nil {
			t.Fatalf("error %v returned with %d packages", err, len(pkgs))
		}
		if !strings.Contains(err.Error(), path) {
			t.Fatalf("error %q does not name %s", err, path)
		}
		return
	}
	seen := map[string]bool{}
	for _, p := range pkgs {
		if p.Ecosystem != model.NPM || strings.TrimSpace(p.Name) == "" || strings.TrimSpace(p.Version) == "" ||
			p.Location != path || p.PURL != "" || p.ID != "" {
			t.Fatalf("bad package %+v", p)
		}
		switch p.Dependency {
		case "", model.DependencyDirect, model.DependencyTransitive:
		default:
			t.Fatalf("bad dependency kind %+v", p)
		}
		k := p.Name + "\x00" + p.Version
		if seen[k] {
			t.Fatalf("%s@%s reported twice", p.Name, p.Version)
		}
		seen[k] = true
	}
	fin := append([]model.Package(nil), pkgs...)
	Finalize(nil, fin)
	for _, p := range fin {
		u, err := packageurl.FromString(p.PURL)
		if err != nil {
			t.Fatalf("purl %q of %+v: %v", p.PURL, p, err)
		}
		name := u.Name
		if u.Namespace != "" {
			name = u.Namespace + "/" + u.Name
		}
		if u.Type != "npm" || name != p.Name || u.Version != p.Version || len(p.ID) != 16 {
			t.Fatalf("purl %q (id %q) does not round-trip %+v", p.PURL, p.ID, p)
		}
	}
}

// jsLine renders a package for comparison: "name@version[ dev][ direct|transitive]".
func jsLine(p model.Package) string {
	s := p.Name + "@" + p.Version
	if p.Dev {
		s += " dev"
	}
	if p.Dependency != "" {
		s += " " + p.Dependency
	}
	return s
}

func jsLines(pkgs []model.Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, jsLine(p))
	}
	return out
}

func jsParseString(t *testing.T, p Parser, path, data string) []model.Package {
	t.Helper()
	pkgs, err := parse(t, p, path, []byte(data))
	jsCheck(t, path, pkgs, err)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pkgs
}

func jsDiff(t *testing.T, got []model.Package, want []string) {
	t.Helper()
	g := jsLines(got)
	if strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n\t%s\nwant:\n\t%s", strings.Join(g, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestJavaScriptMatch(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{"/app/package-lock.json", "npm-lockfile"},
		{"/app/npm-shrinkwrap.json", "npm-lockfile"},
		{"/package-lock.json", "npm-lockfile"},
		{"/app/yarn.lock", "yarn-lock"},
		{"/app/pnpm-lock.yaml", "pnpm-lock"},
		{"/app/node_modules/lodash/package.json", "npm-installed"},
		{"/app/node_modules/@babel/core/package.json", "npm-installed"},
		{"/app/node_modules/a/node_modules/b/package.json", "npm-installed"},
		{"/app/node_modules/a/node_modules/@s/b/package.json", "npm-installed"},
		{"/app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/package.json", "npm-installed"},
		{"/app/node_modules/.pnpm/@babel+core@7.0.0/node_modules/@babel/core/package.json", "npm-installed"},
		{"/usr/lib/node_modules/npm/package.json", "npm-installed"},
		{"/usr/lib/node_modules/npm/node_modules/semver/package.json", "npm-installed"},
		// not packages: the project itself, files inside a package, scope folders, hidden folders
		{"/app/package.json", ""},
		{"/app/node_modules/package.json", ""},
		{"/app/node_modules/@babel/package.json", ""},
		{"/app/node_modules/@babel/runtime/helpers/esm/package.json", ""},
		{"/app/node_modules/resolve/test/resolver/baz/package.json", ""},
		{"/app/node_modules/.cache/x/package.json", ""},
		{"/app/node_modules/.pnpm/package.json", ""},
		{"/app/node_modules/lodash/package.json.bak", ""},
		{"/app/node_modules/lodash/xpackage.json", ""},
		// lockfiles shipped inside installed packages, and the tools' hidden lockfiles, are not read
		{"/app/node_modules/some-pkg/package-lock.json", ""},
		{"/app/node_modules/some-pkg/yarn.lock", ""},
		{"/app/node_modules/some-pkg/pnpm-lock.yaml", ""},
		{"/app/node_modules/some-pkg/npm-shrinkwrap.json", ""},
		{"/app/node_modules/.package-lock.json", ""},
		{"/app/node_modules/.pnpm/lock.yaml", ""},
		{"/app/node_modules/.yarn-state.yml", ""},
		{"/app/package-lock.json.orig", ""},
		{"/app/yarn.lock.bak", ""},
		{"/app/pnpm-lock.yml", ""},
		{"/app/bun.lockb", ""},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range Parsers() {
			if p.Match(tt.path) {
				got = append(got, p.Name())
			}
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("Match(%q) claimed by %v, want %q", tt.path, got, tt.want)
		}
	}
}

// The mini project's packages as npm 11 locks and installs them (npm query agrees on every flag): iconv-lite is
// devOptional (a devDependency also needed by the optional encoding) and so not dev; react is an auto-installed
// peer of react-dom, transitive; string-width is the alias string-width-cjs; fsevents is locked though Linux skips it.
var jsMiniNPM = []string{
	"ansi-regex@5.0.1 transitive",
	"debug@4.3.1 direct",
	"emoji-regex@8.0.0 transitive",
	"encoding@0.1.13 direct",
	"fsevents@2.3.3 direct",
	"function-bind@1.1.2 dev transitive",
	"hasown@2.0.4 dev transitive",
	"iconv-lite@0.6.3 direct",
	"is-core-module@2.18.0 dev transitive",
	"is-fullwidth-code-point@3.0.0 transitive",
	"js-tokens@4.0.0 transitive",
	"lodash@4.17.15 direct",
	"loose-envify@1.4.0 transitive",
	"ms@2.1.2 transitive",
	"path-parse@1.0.7 dev transitive",
	"react@18.3.1 transitive",
	"react-dom@18.2.0 direct",
	"resolve@1.22.8 dev direct",
	"safer-buffer@2.1.2 transitive",
	"scheduler@0.23.2 transitive",
	"string-width@4.2.3 direct",
	"strip-ansi@6.0.1 transitive",
	"supports-preserve-symlinks-flag@1.0.0 dev transitive",
}

// jsWithout returns list without the entries whose name@version is in drop, and with flags rewritten by f.
func jsWithout(list []string, drop []string, f func(string) string) []string {
	var out []string
next:
	for _, l := range list {
		for _, d := range drop {
			if strings.HasPrefix(l, d+" ") || l == d {
				continue next
			}
		}
		out = append(out, f(l))
	}
	return out
}

func jsNoFlags(l string) string { nv, _, _ := strings.Cut(l, " "); return nv }

func TestJavaScriptLockfiles(t *testing.T) {
	same := func(l string) string { return l }
	tests := []struct {
		file   string
		parser Parser
		want   []string
	}{
		{"npm-v3.package-lock.json", NPMLock{}, jsMiniNPM},
		{"npm-v2.package-lock.json", NPMLock{}, jsMiniNPM},
		// v1 does not record the root's dependencies: top-level packages that something requires, and peers,
		// are of unknown kind; the others can only be there for the root.
		{"npm-v1.package-lock.json", NPMLock{}, jsWithout(jsMiniNPM, nil, func(l string) string {
			switch {
			case strings.HasSuffix(l, " transitive"):
				return strings.TrimSuffix(l, " transitive")
			case strings.HasPrefix(l, "iconv-lite@"): // required by encoding
				return "iconv-lite@0.6.3"
			}
			return l
		})},
		// yarn.lock records neither dev nor direct; yarn 1 does not install peers (no react).
		{"yarn-v1.yarn.lock", YarnLock{}, jsWithout(jsMiniNPM, []string{"react@18.3.1"}, jsNoFlags)},
		// yarn 4: no peers either; fsevents' implicit node-gyp@latest brings node-gyp and its dependencies; the
		// patch: entry of resolve is reported once.
		{"berry.yarn.lock", YarnLock{}, jsSorted(append(jsWithout(jsMiniNPM, []string{"react@18.3.1"}, jsNoFlags),
			"@isaacs/fs-minipass@4.0.1", "abbrev@5.0.0", "chownr@3.0.0", "env-paths@2.2.1", "exponential-backoff@3.1.3",
			"fdir@6.5.0", "graceful-fs@4.2.12", "isexe@4.0.0", "minipass@7.1.3", "minizlib@3.1.0", "node-gyp@13.1.0",
			"nopt@10.0.1", "picomatch@4.0.7", "proc-log@7.0.0", "semver@7.8.6", "tar@7.5.23", "tinyglobby@0.2.17",
			"undici@8.13.1", "which@7.0.0", "yallist@5.0.0"))},
		// pnpm 7 (lockfile 5.4) does not install peers by default.
		{"pnpm7.pnpm-lock.yaml", PNPMLock{}, jsWithout(jsMiniNPM, []string{"react@18.3.1"}, same)},
		{"pnpm8.pnpm-lock.yaml", PNPMLock{}, jsMiniNPM},
		{"pnpm9.pnpm-lock.yaml", PNPMLock{}, jsMiniNPM},
		// npm workspaces: the workspaces (@fx/app, @fx/lib) are the project, not reported; the file: folder is
		// reported once (not its link); the workspaces' own dependencies are direct; what the file: folder needs
		// (ms 2.1.2) is transitive.
		{"npm-workspaces.package-lock.json", NPMLock{}, []string{
			"debug@4.3.1 direct",
			"is-number@7.0.0 dev direct",
			"local-util@0.0.1 direct",
			"lodash@4.17.15 direct",
			"lodash@4.17.21 direct",
			"ms@2.1.2 transitive",
			"ms@2.1.3 direct",
		}},
		// Nor do yarn 4 and pnpm report workspaces (they do not even record a workspace's version).
		{"berry-workspaces.yarn.lock", YarnLock{}, []string{
			"debug@4.3.1", "is-number@7.0.0", "lodash@4.17.15", "lodash@4.17.21", "ms@2.1.2", "ms@2.1.3",
		}},
		{"pnpm9-workspaces.pnpm-lock.yaml", PNPMLock{}, []string{
			"debug@4.3.1 direct",
			"is-number@7.0.0 dev direct",
			"lodash@4.17.15 direct",
			"lodash@4.17.21 direct",
			"ms@2.1.2 transitive",
			"ms@2.1.3 direct",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := "/srv/app/" + tt.file[strings.IndexByte(tt.file, '.')+1:]
			jsDiff(t, jsParseString(t, tt.parser, path, string(readTestdata(t, "javascript/"+tt.file))), tt.want)
		})
	}
}

func jsSorted(l []string) []string {
	out := append([]string(nil), l...)
	sort.Strings(out)
	return out
}

// Hand-written inputs below follow the formats as npm, yarn and pnpm write them, for cases the fixture projects
// cannot produce offline (git and tarball dependencies, custom registries, links outside the project, bad entries).

func TestNPMLockEdgeCases(t *testing.T) {
	const v3 = `{
  "name": "edge", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": {"name": "edge", "version": "1.0.0",
         "dependencies": {"a": "^1", "linked": "file:../linked", "gitdep": "github:u/gitdep"},
         "peerDependencies": {"p": "*"}},
    "node_modules/a": {"version": "1.0.0", "license": "MIT", "dependencies": {"b": "^2"}},
    "node_modules/a/node_modules/b": {"version": "2.0.0", "dev": true, "license": {"type": "ISC"}},
    "node_modules/b": {"version": "2.0.0", "devOptional": true},
    "node_modules/@s/c": {"version": "3.0.0", "inBundle": true},
    "node_modules/linked": {"resolved": "../linked", "link": true},
    "../linked": {"name": "linked", "version": "0.1.0"},
    "node_modules/gitdep": {"version": "1.2.3", "resolved": "git+ssh://git@github.com/u/gitdep.git#0123abc"},
    "node_modules/p": {"version": "4.0.0", "peer": true},
    "node_modules/noversion": {"resolved": "https://registry.npmjs.org/noversion/-/noversion-1.0.0.tgz"},
    "node_modules/bad": "not an object",
    "node_modules/badflag": {"version": "1.0.0", "dev": "yes"},
    "node_modules/alias": {"name": "@real/pkg", "version": "5.0.0"}
  }
}`
	pkgs := jsParseString(t, NPMLock{}, "/app/package-lock.json", v3)
	// b@2.0.0 is installed twice: dev-only nested under a, devOptional at the top: one record, not dev.
	jsDiff(t, pkgs, []string{
		"@real/pkg@5.0.0 transitive",
		"@s/c@3.0.0 transitive",
		"a@1.0.0 direct",
		"b@2.0.0 transitive",
		"gitdep@1.2.3 direct",
		"linked@0.1.0 direct",
		"p@4.0.0 direct",
	})
	lic := map[string]string{}
	for _, p := range pkgs {
		lic[p.Name] = strings.Join(p.Licenses, ",")
	}
	if lic["a"] != "MIT" || lic["b"] != "ISC" || lic["@s/c"] != "" {
		t.Errorf("licences %v", lic)
	}

	const v1 = `{"name": "edge", "lockfileVersion": 1, "requires": true, "dependencies": {
    "a": {"version": "1.0.0", "requires": {"b": "^2"}, "dependencies": {"b": {"version": "2.0.0", "dev": true}}},
    "b": {"version": "1.0.0"},
    "c": {"version": "1.0.0", "requires": {"b": "^1"}},
    "al": {"version": "npm:@real/pkg@5.0.0"},
    "loc": {"version": "file:../loc"},
    "g": {"version": "git+https://github.com/u/g.git#0123abc"},
    "gh": {"version": "github:u/gh#0123abc"},
    "bad": 5
  }}`
	jsDiff(t, jsParseString(t, NPMLock{}, "/app/npm-shrinkwrap.json", v1), []string{
		"@real/pkg@5.0.0 direct",
		"a@1.0.0 direct",
		"b@1.0.0",
		"b@2.0.0 dev transitive",
		"c@1.0.0 direct",
	})

	// lockfileVersion alone (an empty project) is a valid, empty lockfile
	if pkgs := jsParseString(t, NPMLock{}, "/app/package-lock.json", `{"lockfileVersion": 3, "packages": {"": {}}}`); len(pkgs) != 0 {
		t.Errorf("empty project: %v", jsLines(pkgs))
	}
	for _, bad := range []string{"", "not json", "{}", "[]", `{"packages": []}`, `{"lockfileVersion": 3, "packages": {"node_modules/a": {"version": "1"}}`} {
		pkgs, err := parse(t, NPMLock{}, "/app/package-lock.json", []byte(bad))
		jsCheck(t, "/app/package-lock.json", pkgs, err)
		if err == nil {
			t.Errorf("%q: no error, %v", bad, jsLines(pkgs))
		}
	}
}

func TestNPMWorkspaceGlobs(t *testing.T) {
	tests := []struct {
		glob, dir string
		want      bool
	}{
		{"packages/*", "packages/lib", true},
		{"./packages/*", "packages/lib", true},
		{"packages/*/", "packages/lib", true},
		{"packages/*", "packages/lib/sub", false},
		{"packages/*", "other/lib", false},
		{"packages/**", "packages/a/b", true},
		{"**/pkg-*", "x/y/pkg-a", true},
		{"apps/web", "apps/web", true},
		{"apps/web", "apps/webx", false},
		{"[", "[", false},
		{"**/**/**/x", "a/b/c/d/x", false}, // more than two "**" is refused, not backtracked
	}
	for _, tt := range tests {
		if got := npmGlobMatch(tt.glob, tt.dir); got != tt.want {
			t.Errorf("npmGlobMatch(%q, %q) = %v", tt.glob, tt.dir, got)
		}
	}
}

const yarnV1Edge = `# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.12.13":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz#dcfc826beef65e75c50e21d3837d7d95798dd658"
  integrity sha512-HV1Cm0Q3ZrpCR93tkWOYiuYIgLxZXZFVG2VgK+MBWjUqZTundupbfx2aXarXuw5Ko5aMcjtJgbSs4vUGBS5v6g==
  dependencies:
    "@babel/highlight" "^7.12.13"

lodash@4.17.15, lodash@^4.17.0:
  version "4.17.15"
  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.15.tgz#b447f6670a0455bbfeedd11392eff330ea097548"

"string-width-cjs@npm:string-width@^4.2.0":
  version "4.2.3"

string-width@^4.2.0:
  version "4.2.3"

"mypkg@git+https://github.com/u/mypkg.git#0123abc":
  version "0.3.0"
  resolved "git+https://github.com/u/mypkg.git#0123abc"

"local@file:./local":
  version "0.0.1"

novers@^1.0.0:
  resolved "https://registry.yarnpkg.com/novers/-/novers-1.0.0.tgz"
`

func TestYarnLockEdgeCases(t *testing.T) {
	want := []string{"@babel/code-frame@7.12.13", "local@0.0.1", "lodash@4.17.15", "mypkg@0.3.0", "string-width@4.2.3"}
	jsDiff(t, jsParseString(t, YarnLock{}, "/app/yarn.lock", yarnV1Edge), want)
	crlf := strings.ReplaceAll(yarnV1Edge, "\n", "\r\n")
	jsDiff(t, jsParseString(t, YarnLock{}, "/app/yarn.lock", crlf), want)

	// Berry: yarn 3's form of a built-in patch, a custom registry's archive URL, a git dependency, links,
	// portals and workspaces, an alias, an entry without resolution, a user patch whose original is not locked.
	const berry = `# This file is generated by running "yarn install" inside your project.

__metadata:
  version: 6
  cacheKey: 8

"root@workspace:.":
  version: 0.0.0-use.local
  resolution: "root@workspace:."
  languageName: unknown
  linkType: soft

"lodash@npm:^4.17.21":
  version: 4.17.21
  resolution: "lodash@npm:4.17.21"
  languageName: node
  linkType: hard

"resolve@npm:^1.20.0":
  version: 1.22.1
  resolution: "resolve@npm:1.22.1"

"resolve@patch:resolve@^1.20.0#~builtin<compat/resolve>":
  version: 1.22.1
  resolution: "resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1&hash=07638b"

"mypkg@https://github.com/u/mypkg.git#commit=0123abc":
  version: 0.3.0
  resolution: "mypkg@https://github.com/u/mypkg.git#commit=0123abc"

"tool@link:./tools/tool::locator=root%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "tool@link:./tools/tool::locator=root%40workspace%3A."

"por@portal:../por::locator=root%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "por@portal:../por::locator=root%40workspace%3A."

"priv@npm:^1.0.0":
  version: 1.0.0
  resolution: "priv@npm:1.0.0::__archiveUrl=https%3A%2F%2Fnpm.example.com%2Fpriv-1.0.0.tgz"

"alias@npm:real@^2":
  version: 2.0.0
  resolution: "real@npm:2.0.0"

"nores@npm:^1":
  version: 1.5.0

"@scope/patched@patch:@scope/patched@npm%3A1.0.0#./.yarn/patches/x.patch::locator=root%40workspace%3A.":
  version: 1.0.0
  resolution: "@scope/patched@patch:@scope/patched@npm%3A1.0.0#./.yarn/patches/x.patch::version=1.0.0&hash=abc&locator=root%40workspace%3A."

broken:
  - 1
  - 2
`
	jsDiff(t, jsParseString(t, YarnLock{}, "/app/yarn.lock", berry), []string{
		"@scope/patched@1.0.0", "lodash@4.17.21", "mypkg@0.3.0", "nores@1.5.0", "priv@1.0.0", "real@2.0.0", "resolve@1.22.1",
	})

	for _, bad := range []string{"", "hello\nworld\n", "__metadata:\n  version: [\n", "__metadata: x\n- list\n"} {
		pkgs, err := parse(t, YarnLock{}, "/app/yarn.lock", []byte(bad))
		jsCheck(t, "/app/yarn.lock", pkgs, err)
		if err == nil {
			t.Errorf("%q: no error, %v", bad, jsLines(pkgs))
		}
	}
}

// Names that cannot be npm packages are dropped, whatever the format: fuzzing found "@0/" and "@/".
func TestJavaScriptInvalidNames(t *testing.T) {
	for _, name := range []string{"@0/", "@/", "@/x", "@s", "a/b", "@s/a/b", "a b", "a\x00", "\xff"} {
		q, _ := json.Marshal(name)
		lock := `{"lockfileVersion":3,"packages":{"node_modules/x":{"name":` + string(q) + `,"version":"1.0.0"}}}`
		if pkgs := jsParseString(t, NPMLock{}, "/app/package-lock.json", lock); len(pkgs) != 0 {
			t.Errorf("name %q accepted: %v", name, jsLines(pkgs))
		}
	}
	if pkgs := jsParseString(t, YarnLock{}, "/app/yarn.lock", "@/ :\n  version 0\n"); len(pkgs) != 0 {
		t.Errorf("yarn: %v", jsLines(pkgs))
	}
	lock := `{"lockfileVersion":3,"packages":{"node_modules/a":{"version":"1.0.0 beta"},"node_modules/@s/b":{"version":"2.0.0"}}}`
	jsDiff(t, jsParseString(t, NPMLock{}, "/app/package-lock.json", lock), []string{"@s/b@2.0.0 transitive"})
}

func TestYarnDescriptorName(t *testing.T) {
	for in, want := range map[string]string{
		"lodash@^4.17.0":                       "lodash",
		"@babel/core@^7.0.0":                   "@babel/core",
		"string-width-cjs@npm:string-width@^4": "string-width",
		"alias@npm:@scope/real@1.0.0":          "@scope/real",
		"alias@npm:real":                       "real",
		"alias@npm:^1.0.0":                     "alias",
		"@scope":                               "@scope",
		"@":                                    "@",
		"":                                     "",
	} {
		if got := yarnDescriptorName(in); got != want {
			t.Errorf("yarnDescriptorName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPNPMLockEdgeCases(t *testing.T) {
	// lockfile 5.3: "_" starts the peer suffix (names may contain "_"), a custom registry's key, a git tarball
	// with explicit name and version, a workspace link, and "dev" absent (dev and production).
	const v5 = `lockfileVersion: 5.3

specifiers:
  a: ^1.0.0

dependencies:
  '@s/b': 2.0.0_a@1.0.0
  a: 1.0.0
  string_decoder: 1.3.0
  ws: link:packages/ws

devDependencies:
  d: 3.0.0

packages:

  /a/1.0.0:
    resolution: {integrity: sha512-aaaa}
    dev: false

  /@s/b/2.0.0_a@1.0.0:
    resolution: {integrity: sha512-bbbb}
    peerDependencies:
      a: ^1
    dependencies:
      a: 1.0.0
    dev: false

  /string_decoder/1.3.0:
    resolution: {integrity: sha512-cccc}
    dev: false

  /d/3.0.0:
    resolution: {integrity: sha512-dddd}
    dev: true

  /both/1.0.0:
    resolution: {integrity: sha512-eeee}

  registry.example.com/priv/1.0.0:
    resolution: {integrity: sha512-ffff, registry: 'https://registry.example.com/'}
    name: priv
    version: 1.0.0
    dev: false

  registry.example.com/unnamed/1.0.0:
    resolution: {integrity: sha512-gggg}

  github.com/u/g/0123abc:
    resolution: {tarball: https://codeload.github.com/u/g/tar.gz/0123abc}
    name: g
    version: 0.3.0
    dev: false

  /broken/1.0.0: [1, 2]
`
	jsDiff(t, jsParseString(t, PNPMLock{}, "/app/pnpm-lock.yaml", v5), []string{
		"@s/b@2.0.0 direct",
		"a@1.0.0 direct",
		"both@1.0.0 transitive",
		"d@3.0.0 dev direct",
		"g@0.3.0 transitive",
		"priv@1.0.0 transitive",
		"string_decoder@1.3.0 direct",
	})

	// lockfile 9.0 as pnpm 10 writes it with config dependencies: two YAML documents. Dev comes from the graph:
	// x is needed by a (production) and d (dev): production; only d is dev.
	const v9 = `---
lockfileVersion: '9.0'

importers:

  .:
    configDependencies: {}

---
lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      a:
        specifier: ^1
        version: 1.0.0(p@2.0.0)
      g:
        specifier: github:u/g
        version: https://codeload.github.com/u/g/tar.gz/0123abc
      ws:
        specifier: workspace:*
        version: link:packages/ws
    devDependencies:
      d:
        specifier: ^3
        version: 3.0.0

  packages/ws:
    dependencies:
      al:
        specifier: npm:@real/pkg@^5
        version: '@real/pkg@5.0.0'

packages:

  '@real/pkg@5.0.0':
    resolution: {integrity: sha512-rrrr}

  a@1.0.0:
    resolution: {integrity: sha512-aaaa}
    peerDependencies:
      p: '*'

  d@3.0.0:
    resolution: {integrity: sha512-dddd}

  g@https://codeload.github.com/u/g/tar.gz/0123abc:
    resolution: {tarball: https://codeload.github.com/u/g/tar.gz/0123abc}
    version: 0.3.0

  p@2.0.0:
    resolution: {integrity: sha512-pppp}

  x@1.0.0:
    resolution: {integrity: sha512-xxxx}

  y@1.0.0:
    resolution: {integrity: sha512-yyyy}

snapshots:

  '@real/pkg@5.0.0': {}

  a@1.0.0(p@2.0.0):
    dependencies:
      p: 2.0.0
      x: 1.0.0

  d@3.0.0:
    dependencies:
      x: 1.0.0
      y: 1.0.0

  g@https://codeload.github.com/u/g/tar.gz/0123abc: {}

  p@2.0.0: {}

  x@1.0.0: {}

  y@1.0.0: {}
`
	jsDiff(t, jsParseString(t, PNPMLock{}, "/app/pnpm-lock.yaml", v9), []string{
		"@real/pkg@5.0.0 direct",
		"a@1.0.0 direct",
		"d@3.0.0 dev direct",
		"g@0.3.0 direct",
		"p@2.0.0 transitive",
		"x@1.0.0 transitive",
		"y@1.0.0 dev transitive",
	})

	for _, bad := range []string{"", "foo: bar\n", "lockfileVersion: [\n", "- 1\n- 2\n"} {
		pkgs, err := parse(t, PNPMLock{}, "/app/pnpm-lock.yaml", []byte(bad))
		jsCheck(t, "/app/pnpm-lock.yaml", pkgs, err)
		if err == nil {
			t.Errorf("%q: no error, %v", bad, jsLines(pkgs))
		}
	}
}

func TestPNPMKey(t *testing.T) {
	tests := []struct {
		major         int
		key           string
		name, version string
	}{
		{5, "/lodash/4.17.21", "lodash", "4.17.21"},
		{5, "/@babel/core/7.0.0_supports-color@8.0.0", "@babel/core", "7.0.0"},
		{5, "/string_decoder/1.3.0", "string_decoder", "1.3.0"},
		{5, "/@scope", "", ""},
		{6, "/lodash@4.17.21", "lodash", "4.17.21"},
		{6, "/@babel/core@7.0.0(supports-color@8.0.0)", "@babel/core", "7.0.0"},
		{9, "@babel/core@7.0.0(supports-color@8.0.0)(x@1.0.0)", "@babel/core", "7.0.0"},
		{9, "foo@https://codeload.github.com/u/foo/tar.gz/abc", "foo", "https://codeload.github.com/u/foo/tar.gz/abc"},
		{9, "noversion", "", ""},
		{9, "", "", ""},
	}
	for _, tt := range tests {
		if n, v := pnpmKey(tt.major, tt.key); n != tt.name || v != tt.version {
			t.Errorf("pnpmKey(%d, %q) = %q, %q, want %q, %q", tt.major, tt.key, n, v, tt.name, tt.version)
		}
	}
}

func TestNPMInstalled(t *testing.T) {
	tests := []struct {
		json string
		want string // "name@version licences" or "" for no package
	}{
		{`{"name": "a", "version": "1.0.0", "license": "MIT"}`, "a@1.0.0 MIT"},
		{`{"name": "@s/b", "version": "2.0.0", "license": {"type": "ISC", "url": "https://x"}}`, "@s/b@2.0.0 ISC"},
		{`{"name": "c", "version": "1.0.0", "licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}]}`, "c@1.0.0 MIT,Apache-2.0"},
		{`{"name": "d", "version": "1.0.0", "license": ["MIT", "BSD-3-Clause"]}`, "d@1.0.0 MIT,BSD-3-Clause"},
		{`{"name": "e", "version": "1.0.0", "licenses": "WTFPL", "license": "WTFPL"}`, "e@1.0.0 WTFPL"},
		{`{"name": "f", "version": "1.0.0", "license": "(MIT OR Apache-2.0)"}`, "f@1.0.0 (MIT OR Apache-2.0)"},
		{`{"name": "g", "version": "1.0.0", "license": 7}`, "g@1.0.0 "},
		{`{"name": " h ", "version": " 1.0.0 "}`, "h@1.0.0 "},
		{`{"name": "only-name"}`, ""},
		{`{"version": "1.0.0"}`, ""},
		{`{"name": 5, "version": "1.0.0"}`, ""},
		{`{"name": "x", "version": ""}`, ""},
		{`{"type": "module"}`, ""},
	}
	for _, tt := range tests {
		pkgs := jsParseString(t, NPMInstalled{}, "/app/node_modules/x/package.json", tt.json)
		got := ""
		if len(pkgs) == 1 {
			got = pkgs[0].Name + "@" + pkgs[0].Version + " " + strings.Join(pkgs[0].Licenses, ",")
		} else if len(pkgs) > 1 {
			got = strings.Join(jsLines(pkgs), ";")
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.json, got, tt.want)
		}
		if len(pkgs) == 1 && (pkgs[0].Dependency != "" || pkgs[0].Dev) {
			t.Errorf("%s: installed package claims %+v", tt.json, pkgs[0])
		}
	}
	for _, bad := range []string{"", "not json", "[1]", `{"name": "a"`} {
		pkgs, err := parse(t, NPMInstalled{}, "/app/node_modules/x/package.json", []byte(bad))
		jsCheck(t, "/app/node_modules/x/package.json", pkgs, err)
		if err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestDedupeLockfileAndInstalled(t *testing.T) {
	npm := func(name, version, loc string) model.Package {
		return model.Package{Ecosystem: model.NPM, Name: name, Version: version, Location: loc}
	}
	in := []model.Package{
		npm("a", "1.0.0", "/app/package-lock.json"),
		npm("b", "2.0.0", "/app/package-lock.json"),
		npm("a", "1.0.0", "/app/node_modules/a/package.json"),                            // locked: dropped
		npm("a", "1.1.0", "/app/node_modules/x/node_modules/a/package.json"),             // other version: kept
		npm("c", "3.0.0", "/app/node_modules/b/node_modules/c/package.json"),             // not locked: kept
		npm("b", "2.0.0", "/app/packages/lib/node_modules/b/package.json"),               // workspace, root lockfile: dropped
		npm("b", "2.0.0", "/app/node_modules/.pnpm/b@2.0.0/node_modules/b/package.json"), // dropped
		npm("a", "1.0.0", "/other/node_modules/a/package.json"),                          // no lockfile: kept
		npm("x", "1.0.0", "/app/sub/yarn.lock"),
		npm("a", "1.0.0", "/app/sub/node_modules/a/package.json"), // nearest lockfile (sub) lacks it: kept
		npm("x", "1.0.0", "/app/sub/node_modules/x/package.json"), // dropped
		npm("r", "1.0.0", "/pnpm-lock.yaml"),
		npm("r", "1.0.0", "/node_modules/r/package.json"), // lockfile at the root of the tree: dropped
		{Ecosystem: model.PyPI, Name: "a", Version: "1.0.0", Location: "/app/node_modules/a/package.json"},
	}
	got := DedupeLockfileAndInstalled(append([]model.Package(nil), in...))
	var locs []string
	for _, p := range got {
		locs = append(locs, string(p.Ecosystem)+":"+p.Name+"@"+p.Version+" "+p.Location)
	}
	want := []string{
		"npm:a@1.0.0 /app/package-lock.json",
		"npm:b@2.0.0 /app/package-lock.json",
		"npm:a@1.1.0 /app/node_modules/x/node_modules/a/package.json",
		"npm:c@3.0.0 /app/node_modules/b/node_modules/c/package.json",
		"npm:a@1.0.0 /other/node_modules/a/package.json",
		"npm:x@1.0.0 /app/sub/yarn.lock",
		"npm:a@1.0.0 /app/sub/node_modules/a/package.json",
		"npm:r@1.0.0 /pnpm-lock.yaml",
		"pypi:a@1.0.0 /app/node_modules/a/package.json",
	}
	if strings.Join(locs, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(locs, "\n\t"), strings.Join(want, "\n\t"))
	}
	// licences: a lockfile record without any takes the installed copy's; one with its own keeps them
	lic := func(p model.Package, l ...string) model.Package { p.Licenses = l; return p }
	in = []model.Package{
		npm("a", "1.0.0", "/app/yarn.lock"),
		lic(npm("b", "2.0.0", "/app/yarn.lock"), "ISC"),
		lic(npm("a", "1.0.0", "/app/node_modules/a/package.json"), "MIT"),
		lic(npm("a", "1.0.0", "/app/node_modules/x/node_modules/a/package.json"), "BSD"),
		lic(npm("b", "2.0.0", "/app/node_modules/b/package.json"), "MIT"),
	}
	got = DedupeLockfileAndInstalled(in)
	if len(got) != 2 || strings.Join(got[0].Licenses, ",") != "MIT" || strings.Join(got[1].Licenses, ",") != "ISC" {
		t.Errorf("licences: %+v", got)
	}
	if len(in[0].Licenses) != 0 {
		t.Errorf("input modified: %+v", in[0])
	}
	// without any lockfile the input comes back as it was
	inst := []model.Package{npm("a", "1.0.0", "/app/node_modules/a/package.json")}
	if got := DedupeLockfileAndInstalled(inst); len(got) != 1 {
		t.Errorf("no lockfile: %v", got)
	}
}

// Fuzz targets: any bytes, no panic, and the invariants of jsCheck. Seeds are small (a few hundred bytes, cut
// from the real files in testdata): the fuzzer minimizes every new interesting input for up to a minute, and on
// multi-kilobyte seeds that leaves a short run almost no time to fuzz.

func jsFuzz(f *testing.F, p Parser, path string, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parse(t, p, path, data)
		jsCheck(t, path, pkgs, err)
	})
}

func FuzzNPMLock(f *testing.F) {
	jsFuzz(f, NPMLock{}, "/app/package-lock.json",
		`{"lockfileVersion":3,"packages":{"":{"workspaces":["p/*"],"dependencies":{"a":"1"},"devDependencies":{"@s/b":"2"}},`+
			`"p/x":{"name":"x","version":"1.0.0","dependencies":{"a":"^1"}},"p/x/node_modules/a":{"version":"1.1.0","dev":true},`+
			`"node_modules/x":{"link":true,"resolved":"p/x"},"node_modules/a":{"version":"1.0.0","license":"MIT"},`+
			`"node_modules/@s/b":{"version":"2.0.0","devOptional":true,"license":{"type":"ISC"}},`+
			`"node_modules/@s/b/node_modules/c":{"name":"d","version":"3.0.0"}}}`,
		`{"lockfileVersion":1,"requires":true,"dependencies":{"a":{"version":"npm:b@1.0.0","requires":{"c":"^2"},`+
			`"dependencies":{"c":{"version":"2.0.0","dev":true}}},"c":{"version":"1.0.0","peer":true},"l":{"version":"file:l"}}}`)
}

func FuzzYarnLock(f *testing.F) {
	jsFuzz(f, YarnLock{}, "/app/yarn.lock",
		"# yarn lockfile v1\n\n\"@s/a@^1\", \"@s/a@^1.1\":\n  version \"1.1.0\"\n  dependencies:\n    b \"^2\"\n\n"+
			"b@^2, \"x@npm:b@^2\":\n  version \"2.0.0\"\n",
		"__metadata:\n  version: 8\n\n\"a@npm:^1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n\n"+
			"\"a@patch:a@npm%3A^1#~builtin<compat/a>\":\n  version: 1.0.0\n  resolution: \"a@patch:a@npm%3A1.0.0#~builtin<compat/a>::version=1.0.0\"\n\n"+
			"\"w@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"w@workspace:.\"\n")
}

func FuzzPNPMLock(f *testing.F) {
	jsFuzz(f, PNPMLock{}, "/app/pnpm-lock.yaml",
		"lockfileVersion: 5.4\ndependencies:\n  a: 1.0.0_b@2.0.0\ndevDependencies:\n  b: 2.0.0\npackages:\n"+
			"  /a/1.0.0_b@2.0.0:\n    dependencies:\n      b: 2.0.0\n    dev: false\n  /b/2.0.0:\n    dev: true\n",
		"lockfileVersion: '6.0'\ndependencies:\n  a:\n    specifier: ^1\n    version: /x@1.0.0\npackages:\n  /x@1.0.0(p@1.0.0):\n    dev: false\n",
		"lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a:\n        specifier: ^1\n        version: 1.0.0(p@2.0.0)\n"+
			"    devDependencies:\n      d:\n        specifier: ^3\n        version: 3.0.0\npackages:\n  a@1.0.0: {}\n  d@3.0.0: {}\n  p@2.0.0: {}\n"+
			"snapshots:\n  a@1.0.0(p@2.0.0):\n    dependencies:\n      p: 2.0.0\n  d@3.0.0:\n    dependencies:\n      p: 2.0.0\n  p@2.0.0: {}\n")
}

func FuzzNPMInstalled(f *testing.F) {
	jsFuzz(f, NPMInstalled{}, "/app/node_modules/a/package.json",
		`{"name":"a","version":"1.0.0","license":{"type":"MIT"},"licenses":[{"type":"ISC"},"BSD"]}`, `{"name":"@s/b","version":"2"}`)
}
