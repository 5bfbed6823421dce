// Package model holds the types that cross hullscan's layers: what a source is, the OS found in it, and the
// packages inventoried from it. Every step (source → inventory → match → gate → report) speaks these types and
// nothing else, so this package imports nothing of ours.
package model

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Ecosystem names the packaging system a package belongs to. The values are the purl types, so that a purl and an
// ecosystem never disagree.
type Ecosystem string

const (
	Deb Ecosystem = "deb"
	APK Ecosystem = "apk"
	RPM Ecosystem = "rpm"

	NPM       Ecosystem = "npm"
	PyPI      Ecosystem = "pypi"
	Golang    Ecosystem = "golang"
	Maven     Ecosystem = "maven"
	Gem       Ecosystem = "gem"
	Cargo     Ecosystem = "cargo"
	Composer  Ecosystem = "composer"
	NuGet     Ecosystem = "nuget"
	Pub       Ecosystem = "pub"
	Swift     Ecosystem = "swift"
	Hex       Ecosystem = "hex"
	CocoaPods Ecosystem = "cocoapods"
)

// Ecosystems lists every ecosystem, for validating what users write (policy rules name them).
func Ecosystems() []Ecosystem {
	return []Ecosystem{Deb, APK, RPM, NPM, PyPI, Golang, Maven, Gem, Cargo, Composer, NuGet, Pub, Swift, Hex, CocoaPods}
}

// IsOS reports whether packages of e are installed by the operating system's package manager.
func (e Ecosystem) IsOS() bool { return e == Deb || e == APK || e == RPM }

// Dependency kinds, where a format tells.
const (
	DependencyDirect     = "direct"
	DependencyTransitive = "transitive"
)

// LayerRef says which image layer wrote a file or introduced a package. Index is zero-based in the image's layer
// order. Digest is the blob digest as stored in the source; DiffID is the digest of the uncompressed tar.
type LayerRef struct {
	Index     int    `json:"index"`
	Digest    string `json:"digest,omitempty"`
	DiffID    string `json:"diff_id,omitempty"`
	CreatedBy string `json:"created_by,omitempty"`
}

// OS is the operating system found in a scanned tree.
type OS struct {
	// Family is the distribution id used for matching and purl qualifiers: debian, ubuntu, alpine, wolfi,
	// chainguard, rhel, centos, rocky, almalinux, ol, fedora, amzn, sles, opensuse-leap, opensuse-tumbleweed,
	// photon.
	Family     string `json:"family"`
	Version    string `json:"version,omitempty"` // VERSION_ID or the distro file's version, e.g. "12", "3.19.1"
	Codename   string `json:"codename,omitempty"`
	Name       string `json:"name,omitempty"` // PRETTY_NAME
	Distroless bool   `json:"distroless,omitempty"`
	// EOL is not known here; matching decides support windows later.
}

// Package is one installed or declared package of any ecosystem.
type Package struct {
	ID        string    `json:"id"`
	Ecosystem Ecosystem `json:"ecosystem"`
	Name      string    `json:"name"`
	// Version is the full version as the ecosystem compares it: for deb "[epoch:]upstream[-revision]", for rpm
	// "[epoch:]version-release", for apk "version-rN".
	Version string `json:"version"`
	Arch    string `json:"arch,omitempty"`
	// Epoch is set for rpm packages that record one (it is also in Version); purls carry it as a qualifier.
	Epoch *int `json:"epoch,omitempty"`
	// SourceName and SourceVersion are the source package (deb Source, apk origin, rpm SOURCERPM); distribution
	// advisories are written against them. Empty means "same as the binary package".
	SourceName    string   `json:"source_name,omitempty"`
	SourceVersion string   `json:"source_version,omitempty"`
	Licenses      []string `json:"licenses,omitempty"`
	Maintainer    string   `json:"maintainer,omitempty"`
	// Location is the file the record came from, as an absolute path inside the scanned tree. For a package found
	// inside an archive (a jar in a jar), the path inside follows "!": "/app.jar!/BOOT-INF/lib/x.jar".
	Location string `json:"location"`
	// Dependency is "direct" or "transitive" where the format tells (lockfiles), else empty.
	Dependency string `json:"dependency,omitempty"`
	// Dev marks a development- or test-only dependency (excluded from vulnerability results by default).
	Dev bool `json:"dev,omitempty"`
	// Evidence says how a package's identity was found when there is more than one way (Java: "pom.properties",
	// "maven-repository", "manifest", "filename"; Go: "buildinfo", "go.mod").
	Evidence string `json:"evidence,omitempty"`
	// OSPackage names the OS package that installed this language package ("deb:python3-requests"): the
	// distribution backports fixes into it, so matching treats it as the distribution's.
	OSPackage string `json:"os_package,omitempty"`
	// Files lists the paths an OS package installed, where its database records them (apk, rpm; dpkg keeps them
	// in /var/lib/dpkg/info/*.list). Used to link language packages to their OS package; not reported.
	Files []string  `json:"-"`
	Layer *LayerRef `json:"layer,omitempty"`
	PURL  string    `json:"purl,omitempty"`
}

// Key identifies a package within one database file: the same key in two versions of that file is the same
// installed package (used to attribute a package to the layer that introduced it).
func (p *Package) Key() string {
	return string(p.Ecosystem) + "\x00" + p.Name + "\x00" + p.Version + "\x00" + p.Arch
}

// SetID computes the stable id: the same package found at the same place gets the same id in every scan of every
// form of the same image (archive, layout, registry), so SBOMs diff cleanly.
func (p *Package) SetID() {
	h := sha256.Sum256([]byte(strings.Join([]string{string(p.Ecosystem), p.Name, p.Version, p.Arch, p.Location}, "\x00")))
	p.ID = hex.EncodeToString(h[:8])
}

// Source describes what was scanned.
type Source struct {
	// Kind is docker-archive, oci-layout, registry, rootfs or directory.
	Kind string `json:"kind"`
	// Name is the target as the user gave it.
	Name string `json:"name"`
	// For images: the manifest digest, the config digest (image id), tags and platform.
	Digest   string     `json:"digest,omitempty"`
	ImageID  string     `json:"image_id,omitempty"`
	RepoTags []string   `json:"repo_tags,omitempty"`
	Platform string     `json:"platform,omitempty"`
	Layers   []LayerRef `json:"layers,omitempty"`
}

// Inventory is the result of inventorying one source.
type Inventory struct {
	Source   Source    `json:"source"`
	OS       *OS       `json:"os,omitempty"`
	Packages []Package `json:"packages"`
	// Warnings are problems that did not stop the scan (a file over the size cap, a malformed record); each names
	// the file.
	Warnings []string `json:"warnings,omitempty"`
}
