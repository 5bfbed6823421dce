package inventory

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hullscan/hullscan/internal/model"
)

// YarnLock reads yarn.lock in both of its formats:
//
//   - yarn 1 ("# yarn lockfile v1"): its own indentation format, entries keyed by the ranges they satisfy
//     (`"@babel/core@^7.0.0", "@babel/core@^7.12.3":`) with a `version` line;
//   - yarn 2+ ("Berry"): YAML with a __metadata entry; each entry's `resolution` names the locked package
//     ("lodash@npm:4.17.21").
//
// Neither format records which packages are direct or dev-only (that is in package.json, which a parser of one
// file does not see), so Dependency is empty and Dev false. npm: aliases report the real package. Berry entries
// for the project's own workspaces ("workspace:" resolutions, version 0.0.0-use.local) and for local link:/
// portal: folders are not packages and are skipped; a "patch:" entry (yarn's built-in compat patches of resolve,
// typescript, fsevents, or a user's patch) is the same package and version as the npm: entry it patches and is
// reported once.
type YarnLock struct{}

func (YarnLock) Name() string        { return "yarn-lock" }
func (YarnLock) Version() int        { return 1 }
func (YarnLock) MaxSize() int64      { return jsLockMaxSize }
func (YarnLock) Match(p string) bool { return jsMatchLock(p, "yarn.lock") }

func (YarnLock) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	data, err := readAllLimit(r, jsLockMaxSize)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	b := newJSBuilder(p)
	if yarnIsBerry(data) {
		if err := yarnBerry(b, data); err != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
	} else if err := yarnV1(b, data); err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	return b.result(), nil
}

// yarnIsBerry reports whether a yarn.lock is Berry's YAML: it has a top-level __metadata key (quoted or not).
func yarnIsBerry(data []byte) bool {
	for _, line := range bytes.Split(data, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("__metadata:")) || bytes.HasPrefix(line, []byte(`"__metadata":`)) {
			return true
		}
	}
	return false
}

// yarnDescriptorName returns the package name of a descriptor "name@range"; an npm: alias range
// ("alias@npm:real@^1.0.0") names the real package.
func yarnDescriptorName(d string) string {
	i := strings.IndexByte(d[min(1, len(d)):], '@')
	if i < 0 {
		return d
	}
	name, rng := d[:i+1], d[i+2:]
	if real, ok := strings.CutPrefix(rng, "npm:"); ok && real != "" {
		if j := strings.IndexByte(real[1:], '@'); j >= 0 {
			return real[:j+1]
		}
		if !strings.ContainsAny(real[:1], "0123456789^~<>=*") { // "npm:real" without a range
			return real
		}
	}
	return name
}

// yarnUnquote removes yarn 1's quoting from a key or value.
func yarnUnquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
		return s[1 : len(s)-1]
	}
	return s
}

// yarnV1 reads yarn 1's format: an unindented "descriptors:" line opens an entry, its two-space-indented
// "version x" line gives the version; deeper lines (dependencies) are not needed.
func yarnV1(b *jsBuilder, data []byte) error {
	name, entries := "", 0
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(strings.TrimLeft(line, " "), "#") {
			continue
		}
		if line[0] != ' ' {
			name = ""
			key, ok := strings.CutSuffix(line, ":")
			if !ok {
				continue // not an entry header: ignore rather than guess
			}
			first, _, _ := strings.Cut(key, ",")
			if first = yarnUnquote(first); first != "" {
				name = yarnDescriptorName(first)
				entries++
			}
			continue
		}
		if name == "" || !strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "   ") {
			continue
		}
		field, value, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok && field == "version" {
			b.add(name, yarnUnquote(value), "", false, nil)
			name = ""
		}
	}
	if entries == 0 && !bytes.Contains(data, []byte("yarn lockfile v1")) {
		return fmt.Errorf("not a yarn.lock: no entries")
	}
	return nil
}

type yarnBerryEntry struct {
	Version    string `yaml:"version"`
	Resolution string `yaml:"resolution"`
}

// yarnBerry reads Berry's YAML. An entry that does not decode is skipped.
func yarnBerry(b *jsBuilder, data []byte) error {
	var doc map[string]yaml.Node
	if err := yamlUnmarshal(data, &doc); err != nil {
		return err
	}
	for key, node := range doc {
		if key == "__metadata" {
			continue
		}
		var e yarnBerryEntry
		if yamlDecode(&node, &e) != nil {
			continue
		}
		first, _, _ := strings.Cut(key, ",")
		name, version := yarnBerryIdentity(strings.TrimSpace(first), e)
		if version == "" || version == "0.0.0-use.local" {
			continue
		}
		b.add(name, version, "", false, nil)
	}
	return nil
}

// yarnBerryIdentity returns the name and version an entry locks, or "" for a version when the entry is not a
// package (a workspace or a local folder). key is the entry's first descriptor, used when there is no resolution.
func yarnBerryIdentity(key string, e yarnBerryEntry) (string, string) {
	res := e.Resolution
	if res == "" {
		return yarnDescriptorName(key), e.Version
	}
	i := strings.IndexByte(res[min(1, len(res)):], '@')
	if i < 0 {
		return "", ""
	}
	name, ref := res[:i+1], res[i+2:]
	proto, rest, _ := strings.Cut(ref, ":")
	switch proto {
	case "workspace", "link", "portal":
		return "", ""
	case "patch":
		// patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d: the patched
		// package is the URL-encoded locator before "#".
		inner, _, _ := strings.Cut(rest, "#")
		inner, _, _ = strings.Cut(inner, "::")
		if dec, err := url.PathUnescape(inner); err == nil {
			inner = dec
		}
		if strings.Contains(inner, "@") && !strings.HasPrefix(inner, "patch:") {
			n, v := yarnBerryIdentity("", yarnBerryEntry{Version: e.Version, Resolution: inner})
			if n != "" {
				return n, v
			}
		}
		return name, e.Version
	case "npm":
		v, _, _ := strings.Cut(rest, "::") // "1.0.0::__archiveUrl=..." for registries with custom tarball URLs
		if e.Version != "" {
			v = e.Version
		}
		return name, v
	}
	// git, http(s) tarballs, file: tarballs, exec: the entry's version is the package.json version.
	return name, e.Version
}

// yamlUnmarshal decodes YAML, turning a panic of the decoder on hostile input into an error.
func yamlUnmarshal(data []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return yaml.Unmarshal(data, v)
}

// yamlDecode is yaml.Node.Decode, with a panic turned into an error like yamlUnmarshal.
func yamlDecode(n *yaml.Node, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return n.Decode(v)
}
