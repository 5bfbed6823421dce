package inventory

import (
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/hullscan/hullscan/internal/model"
)

// Finalize gives every package its purl and id, once the OS of the merged tree is known. distro may be nil.
func Finalize(distro *model.OS, pkgs []model.Package) {
	for i := range pkgs {
		pkgs[i].PURL = PackageURL(distro, &pkgs[i])
		pkgs[i].SetID()
	}
}

// rpmNamespace maps families to the purl namespace (vendor) of their rpm packages.
var rpmNamespace = map[string]string{
	"rhel":                "redhat",
	"centos":              "centos",
	"rocky":               "rocky",
	"almalinux":           "almalinux",
	"ol":                  "oracle",
	"fedora":              "fedora",
	"amzn":                "amazon",
	"sles":                "suse",
	"opensuse-leap":       "opensuse",
	"opensuse-tumbleweed": "opensuse",
	"photon":              "photon",
}

// PackageURL returns the purl of p as found on distro (nil when unknown), following the purl spec and the
// qualifiers Syft and Grype use:
//
//	pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&distro=debian-12&upstream=gcc-12
//	pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl
//	pkg:rpm/redhat/openssl-libs@1.1.1k-7.el8?arch=x86_64&distro=rhel-8.9&epoch=1&upstream=openssl-1.1.1k-7.el8.src.rpm
//
// The namespace is the distribution when distro is one that uses the package's ecosystem; otherwise it is the
// ecosystem's default (debian, alpine, none for rpm, whose namespace is a vendor that cannot be guessed) and the
// distro qualifier is left out rather than naming a distribution the package does not belong to. distro is
// "<family>-<version>", or "<family>-<codename>" when only a codename is known (Debian testing).
//
// upstream names the source package so that a purl alone (an SBOM re-scan) still reaches source-level
// advisories. deb: the source name, with "@version" when that differs from the binary's (Syft's form, e.g.
// binNMUs); apk: the origin when it differs; rpm: the SOURCERPM file name, always. Qualifiers come out sorted
// by key (the spec's canonical form; Syft puts distro last instead).
func PackageURL(distro *model.OS, p *model.Package) string {
	family := ""
	if distro != nil {
		family = distro.Family
	}
	q := map[string]string{"arch": p.Arch}
	var typ, ns, version string
	name := p.Name
	fromOS := false
	switch p.Ecosystem {
	case model.Deb:
		typ, ns, version = packageurl.TypeDebian, "debian", p.Version
		name = strings.ToLower(name) // the spec's canonical form for deb and apk names; Debian's are lower-case anyway
		if family == "debian" || family == "ubuntu" {
			ns, fromOS = family, true
		}
		if p.SourceName != "" {
			switch {
			case p.SourceVersion != "" && p.SourceVersion != p.Version:
				q["upstream"] = p.SourceName + "@" + p.SourceVersion
			case p.SourceName != p.Name:
				q["upstream"] = p.SourceName
			}
		}
	case model.APK:
		typ, ns, version = packageurl.TypeApk, "alpine", p.Version
		name = strings.ToLower(name)
		if family == "alpine" || family == "wolfi" || family == "chainguard" {
			ns, fromOS = family, true
		}
		if p.SourceName != "" && p.SourceName != p.Name {
			q["upstream"] = p.SourceName
		}
	case model.RPM:
		typ, version = packageurl.TypeRPM, p.Version
		if n, ok := rpmNamespace[family]; ok {
			ns, fromOS = n, true
		}
		if p.Epoch != nil {
			// The purl carries the epoch as a qualifier, not in the version.
			version = strings.TrimPrefix(version, strconv.Itoa(*p.Epoch)+":")
			q["epoch"] = strconv.Itoa(*p.Epoch)
		}
		if p.SourceName != "" && p.SourceVersion != "" {
			q["upstream"] = p.SourceName + "-" + stripEpoch(p.SourceVersion) + ".src.rpm"
		}
	default:
		return ""
	}
	if fromOS {
		switch {
		case distro.Version != "":
			q["distro"] = family + "-" + distro.Version
		case distro.Codename != "":
			q["distro"] = family + "-" + distro.Codename
		}
	}
	var quals packageurl.Qualifiers
	for k, v := range q {
		if v != "" {
			quals = append(quals, packageurl.Qualifier{Key: k, Value: v})
		}
	}
	// ToString sorts the qualifiers by key.
	return packageurl.NewPackageURL(typ, ns, name, version, quals, "").ToString()
}

// stripEpoch removes a leading "N:" from an rpm version; SRPM file names never carry one.
func stripEpoch(v string) string {
	if i := strings.IndexByte(v, ':'); i > 0 && isDigits(v[:i]) {
		return v[i+1:]
	}
	return v
}
