// Package match finds the vulnerabilities of an inventory's packages in a vulndb database: each package becomes
// a query (OSV ecosystem, name, version — for distribution packages the source package and the release), each
// advisory entry for that name is evaluated with the ecosystem's own version ordering, and the matches become one
// finding per vulnerability and package.
package match

import (
	"fmt"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
)

// query is what one package is looked up as.
type query struct {
	base string // OSV ecosystem base name: "Debian", "npm"
	// eco is the OSV ecosystem an advisory entry must name to apply: "Debian:12", "Alpine:v3.11"; for language
	// ecosystems it is the base name, and any release suffix an entry carries is accepted.
	eco     string
	name    string
	version string
	// matchedAs describes the lookup when it is not the package itself (a binary package's source).
	matchedAs string
}

// languageEcosystems maps our ecosystems (purl types) to OSV's.
var languageEcosystems = map[model.Ecosystem]string{
	model.NPM:      "npm",
	model.PyPI:     "PyPI",
	model.Golang:   "Go",
	model.Maven:    "Maven",
	model.Gem:      "RubyGems",
	model.Cargo:    "crates.io",
	model.Composer: "Packagist",
	model.NuGet:    "NuGet",
	model.Pub:      "Pub",
	model.Hex:      "Hex",
	model.Swift:    "SwiftURL",
}

// debianCodenames names Debian releases as the security tracker does.
var debianCodenames = map[string]string{
	"7": "wheezy", "8": "jessie", "9": "stretch", "10": "buster", "11": "bullseye", "12": "bookworm", "13": "trixie", "14": "forky",
}

// queryFor derives the lookup for one package. A non-empty reason says why the package cannot be checked (no
// advisory source for its distribution, say); the caller reports such packages, never drops them silently.
func queryFor(p *model.Package, os *model.OS) (query, string) {
	if eco, ok := languageEcosystems[p.Ecosystem]; ok {
		v := p.Version
		if p.Ecosystem == model.Golang {
			// Go module versions carry a "v" (and the standard library "v1.22.1" here); OSV's Go ranges do not.
			v = strings.TrimPrefix(v, "v")
		}
		return query{base: eco, eco: eco, name: p.Name, version: v}, ""
	}
	if !p.Ecosystem.IsOS() {
		return query{}, fmt.Sprintf("no advisory source for %s packages", p.Ecosystem)
	}
	if os == nil {
		return query{}, "operating system not detected"
	}
	src, srcVer := p.SourceName, p.SourceVersion
	if src == "" {
		src = p.Name
	}
	if srcVer == "" {
		srcVer = p.Version
	}
	q := query{name: src, version: srcVer}
	switch os.Family {
	case "debian":
		if debianCodenames[majorVersion(os.Version)] == "" {
			return query{}, fmt.Sprintf("Debian release %q unknown (testing or sid have no advisories by release)", os.Version)
		}
		q.base, q.eco = "Debian", "Debian:"+majorVersion(os.Version)
	case "ubuntu":
		q.base, q.eco = "Ubuntu", "Ubuntu:"+os.Version
	case "alpine":
		mm := majorMinor(os.Version)
		if mm == "" {
			return query{}, fmt.Sprintf("Alpine release %q not understood", os.Version)
		}
		q.base, q.eco = "Alpine", "Alpine:v"+mm
	case "wolfi":
		q.base, q.eco = "Wolfi", "Wolfi"
	case "chainguard":
		q.base, q.eco = "Chainguard", "Chainguard"
	case "rocky":
		q.base, q.eco = "Rocky Linux", "Rocky Linux:"+majorVersion(os.Version)
	case "almalinux":
		q.base, q.eco = "AlmaLinux", "AlmaLinux:"+majorVersion(os.Version)
	default:
		return query{}, fmt.Sprintf("no advisory source for %s yet", os.Family)
	}
	if q.name != p.Name || q.version != p.Version {
		q.matchedAs = fmt.Sprintf("source package %s %s in %s", q.name, q.version, q.eco)
	}
	return q, ""
}

// accepts reports whether an advisory entry's ecosystem applies to the query's.
func (q query) accepts(entryEco string) bool {
	if q.eco == q.base {
		return entryEco == q.base || strings.HasPrefix(entryEco, q.base+":")
	}
	return entryEco == q.eco || strings.HasPrefix(entryEco, q.eco+":") // "Ubuntu:22.04:LTS"
}

func majorVersion(v string) string {
	if i := strings.IndexByte(v, '.'); i >= 0 {
		return v[:i]
	}
	return v
}

func majorMinor(v string) string {
	parts := strings.Split(v, ".")
	if len(parts) < 2 {
		return ""
	}
	return parts[0] + "." + parts[1]
}
