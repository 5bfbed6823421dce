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
		return languagePURL(p)
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

// languagePURL builds the purl of a language package. Names are stored as each ecosystem writes them ("@scope/x",
// "group:artifact", "vendor/name", a Go module path); the purl spec splits them into namespace and name:
//
//	pkg:npm/%40babel/core@7.24.0   pkg:pypi/python-dateutil@2.9.0   pkg:golang/golang.org/x/net@v0.23.0
//	pkg:maven/org.yaml/snakeyaml@2.2   pkg:gem/rack@3.0.9   pkg:cargo/serde@1.0.197
//	pkg:composer/symfony/http-kernel@v6.4.3   pkg:nuget/Newtonsoft.Json@13.0.3
func languagePURL(p *model.Package) string {
	name, ns := p.Name, ""
	splitLast := func(sep string) {
		if i := strings.LastIndex(name, sep); i > 0 {
			ns, name = name[:i], name[i+1:]
		}
	}
	var typ string
	switch p.Ecosystem {
	case model.NPM:
		typ = packageurl.TypeNPM
		if strings.HasPrefix(name, "@") {
			splitLast("/")
		}
	case model.PyPI:
		// PEP 503 normalisation, which the purl spec requires for pypi.
		typ, name = packageurl.TypePyPi, pep503(name)
	case model.Golang:
		typ = packageurl.TypeGolang
		splitLast("/")
	case model.Maven:
		typ = packageurl.TypeMaven
		splitLast(":")
	case model.Composer:
		typ = packageurl.TypeComposer
		splitLast("/")
	case model.Swift:
		typ = "swift"
		splitLast("/")
	case model.Gem, model.Cargo, model.NuGet, model.Pub, model.Hex, model.CocoaPods:
		typ = string(p.Ecosystem)
	default:
		return ""
	}
	return packageurl.NewPackageURL(typ, ns, name, p.Version, nil, "").ToString()
}

// pep503 normalises a Python distribution name: lower case, runs of "-", "_" and "." become one "-".
func pep503(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r == '-' || r == '_' || r == '.' {
			dash = true
			continue
		}
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteRune(r)
	}
	return b.String()
}
