package inventory

import (
	"testing"

	"github.com/hullscan/hullscan/internal/model"
)

func TestPackageURL(t *testing.T) {
	one, zero := 1, 0
	debian12 := &model.OS{Family: "debian", Version: "12", Codename: "bookworm"}
	debPkg := func(name, version, srcName, srcVersion string) *model.Package {
		return &model.Package{Ecosystem: model.Deb, Name: name, Version: version, Arch: "amd64",
			SourceName: srcName, SourceVersion: srcVersion}
	}
	apkPkg := func(name, version, origin string) *model.Package {
		return &model.Package{Ecosystem: model.APK, Name: name, Version: version, Arch: "x86_64",
			SourceName: origin, SourceVersion: version}
	}
	opensslLibs := &model.Package{Ecosystem: model.RPM, Name: "openssl-libs", Version: "1:1.1.1k-7.el8_6", Epoch: &one,
		Arch: "x86_64", SourceName: "openssl", SourceVersion: "1:1.1.1k-7.el8_6"}
	rpmOn := func(family, version string) *model.OS { return &model.OS{Family: family, Version: version} }

	tests := []struct {
		name string
		os   *model.OS
		pkg  *model.Package
		want string
	}{
		{"deb same source", debian12, debPkg("base-files", "12.4+deb12u5", "base-files", "12.4+deb12u5"),
			"pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12"},
		{"deb other source", debian12, debPkg("libgcc-s1", "12.2.0-14", "gcc-12", "12.2.0-14"),
			"pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&distro=debian-12&upstream=gcc-12"},
		{"deb binNMU", debian12, debPkg("bash", "5.2.15-2+b2", "bash", "5.2.15-2"),
			"pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2"},
		// The epoch stays in a deb purl's version (':' needs no escaping).
		{"deb epoch", debian12, debPkg("bsdutils", "1:2.38.1-5+b1", "util-linux", "2.38.1-5"),
			"pkg:deb/debian/bsdutils@1:2.38.1-5%2Bb1?arch=amd64&distro=debian-12&upstream=util-linux%402.38.1-5"},
		{"deb ubuntu", &model.OS{Family: "ubuntu", Version: "22.04", Codename: "jammy"},
			debPkg("libssl3", "3.0.2-0ubuntu1.15", "openssl", "3.0.2-0ubuntu1.15"),
			"pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?arch=amd64&distro=ubuntu-22.04&upstream=openssl"},
		{"deb distroless", &model.OS{Family: "debian", Version: "12", Distroless: true},
			debPkg("libc6", "2.36-9+deb12u4", "glibc", "2.36-9+deb12u4"),
			"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"},
		{"deb testing has only a codename", &model.OS{Family: "debian", Codename: "trixie"},
			debPkg("libc6", "2.37-15", "glibc", "2.37-15"),
			"pkg:deb/debian/libc6@2.37-15?arch=amd64&distro=debian-trixie&upstream=glibc"},
		{"deb unknown os", nil, debPkg("libc6", "2.36-9", "glibc", "2.36-9"),
			"pkg:deb/debian/libc6@2.36-9?arch=amd64&upstream=glibc"},
		{"deb on a non-deb os", &model.OS{Family: "alpine", Version: "3.19.1"}, debPkg("libc6", "2.36-9", "glibc", "2.36-9"),
			"pkg:deb/debian/libc6@2.36-9?arch=amd64&upstream=glibc"},
		{"deb no arch no source", nil, &model.Package{Ecosystem: model.Deb, Name: "x", Version: "1"},
			"pkg:deb/debian/x@1"},

		{"apk origin", &model.OS{Family: "alpine", Version: "3.19.1"}, apkPkg("libcrypto3", "3.1.4-r5", "openssl"),
			"pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl"},
		{"apk same origin", &model.OS{Family: "alpine", Version: "3.19.1"}, apkPkg("musl", "1.2.4_git20230717-r4", "musl"),
			"pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1"},
		{"apk wolfi", &model.OS{Family: "wolfi", Version: "20230201"}, apkPkg("libcrypto3", "3.3.0-r2", "openssl"),
			"pkg:apk/wolfi/libcrypto3@3.3.0-r2?arch=x86_64&distro=wolfi-20230201&upstream=openssl"},
		{"apk chainguard", &model.OS{Family: "chainguard", Version: "20230214"}, apkPkg("glibc", "2.39-r1", "glibc"),
			"pkg:apk/chainguard/glibc@2.39-r1?arch=x86_64&distro=chainguard-20230214"},
		{"apk unknown os", nil, apkPkg("busybox-binsh", "1.36.1-r15", "busybox"),
			"pkg:apk/alpine/busybox-binsh@1.36.1-r15?arch=x86_64&upstream=busybox"},

		{"rpm rhel epoch", rpmOn("rhel", "8.9"), opensslLibs,
			"pkg:rpm/redhat/openssl-libs@1.1.1k-7.el8_6?arch=x86_64&distro=rhel-8.9&epoch=1&upstream=openssl-1.1.1k-7.el8_6.src.rpm"},
		{"rpm no epoch", rpmOn("centos", "7"), &model.Package{Ecosystem: model.RPM, Name: "bash", Version: "4.2.46-34.el7",
			Arch: "x86_64", SourceName: "bash", SourceVersion: "4.2.46-34.el7"},
			"pkg:rpm/centos/bash@4.2.46-34.el7?arch=x86_64&distro=centos-7&upstream=bash-4.2.46-34.el7.src.rpm"},
		// A recorded epoch of 0 is still recorded.
		{"rpm epoch 0", rpmOn("fedora", "39"), &model.Package{Ecosystem: model.RPM, Name: "x", Version: "0:1.0-1.fc39",
			Epoch: &zero, Arch: "noarch", SourceName: "x", SourceVersion: "0:1.0-1.fc39"},
			"pkg:rpm/fedora/x@1.0-1.fc39?arch=noarch&distro=fedora-39&epoch=0&upstream=x-1.0-1.fc39.src.rpm"},
		{"rpm rocky", rpmOn("rocky", "9.3"), opensslLibs,
			"pkg:rpm/rocky/openssl-libs@1.1.1k-7.el8_6?arch=x86_64&distro=rocky-9.3&epoch=1&upstream=openssl-1.1.1k-7.el8_6.src.rpm"},
		{"rpm almalinux", rpmOn("almalinux", "9.3"), opensslLibs,
			"pkg:rpm/almalinux/openssl-libs@1.1.1k-7.el8_6?arch=x86_64&distro=almalinux-9.3&epoch=1&upstream=openssl-1.1.1k-7.el8_6.src.rpm"},
		{"rpm oracle", rpmOn("ol", "9.3"), opensslLibs,
			"pkg:rpm/oracle/openssl-libs@1.1.1k-7.el8_6?arch=x86_64&distro=ol-9.3&epoch=1&upstream=openssl-1.1.1k-7.el8_6.src.rpm"},
		{"rpm amazon", rpmOn("amzn", "2023"), opensslLibs,
			"pkg:rpm/amazon/openssl-libs@1.1.1k-7.el8_6?arch=x86_64&distro=amzn-2023&epoch=1&upstream=openssl-1.1.1k-7.el8_6.src.rpm"},
		{"rpm sles", rpmOn("sles", "15.5"), opensslLibs,
			"pkg:rpm/suse/openssl-libs@1.1.1k-7.el8_6?arch=x86_64&distro=sles-15.5&epoch=1&upstream=openssl-1.1.1k-7.el8_6.src.rpm"},
		{"rpm leap", rpmOn("opensuse-leap", "15.5"), opensslLibs,
			"pkg:rpm/opensuse/openssl-libs@1.1.1k-7.el8_6?arch=x86_64&distro=opensuse-leap-15.5&epoch=1&upstream=openssl-1.1.1k-7.el8_6.src.rpm"},
		{"rpm tumbleweed", rpmOn("opensuse-tumbleweed", "20240311"), opensslLibs,
			"pkg:rpm/opensuse/openssl-libs@1.1.1k-7.el8_6?arch=x86_64&distro=opensuse-tumbleweed-20240311&epoch=1&upstream=openssl-1.1.1k-7.el8_6.src.rpm"},
		{"rpm photon", rpmOn("photon", "5.0"), opensslLibs,
			"pkg:rpm/photon/openssl-libs@1.1.1k-7.el8_6?arch=x86_64&distro=photon-5.0&epoch=1&upstream=openssl-1.1.1k-7.el8_6.src.rpm"},
		// Without an OS the vendor namespace is unknown and left out.
		{"rpm unknown os", nil, opensslLibs,
			"pkg:rpm/openssl-libs@1.1.1k-7.el8_6?arch=x86_64&epoch=1&upstream=openssl-1.1.1k-7.el8_6.src.rpm"},
		{"rpm on a deb os", debian12, opensslLibs,
			"pkg:rpm/openssl-libs@1.1.1k-7.el8_6?arch=x86_64&epoch=1&upstream=openssl-1.1.1k-7.el8_6.src.rpm"},

		{"unknown ecosystem", debian12, &model.Package{Ecosystem: "conan", Name: "zlib", Version: "1.3"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PackageURL(tt.os, tt.pkg); got != tt.want {
				t.Errorf("PackageURL =\n %s\nwant\n %s", got, tt.want)
			}
		})
	}
}

func TestFinalize(t *testing.T) {
	pkgs, err := parse(t, DpkgStatus{}, "/var/lib/dpkg/status", readTestdata(t, "dpkg/status"))
	if err != nil {
		t.Fatal(err)
	}
	distro := &model.OS{Family: "debian", Version: "12"}
	Finalize(distro, pkgs)
	ids := map[string]bool{}
	for _, p := range pkgs {
		if p.PURL != PackageURL(distro, &p) || p.PURL == "" {
			t.Errorf("%s: purl %q", p.Name, p.PURL)
		}
		q := p
		q.SetID()
		if p.ID == "" || p.ID != q.ID || ids[p.ID] {
			t.Errorf("%s: id %q not set, unstable or duplicated", p.Name, p.ID)
		}
		ids[p.ID] = true
	}
	if got := pkgs[0].PURL; got != "pkg:deb/debian/adduser@3.134?arch=all&distro=debian-12" {
		t.Errorf("adduser purl %q", got)
	}
	Finalize(nil, nil) // nothing to do, must not panic
}

func TestLanguagePURL(t *testing.T) {
	for _, c := range []struct {
		eco           model.Ecosystem
		name, version string
		want          string
	}{
		{model.NPM, "@babel/core", "7.24.0", "pkg:npm/%40babel/core@7.24.0"},
		{model.NPM, "lodash", "4.17.21", "pkg:npm/lodash@4.17.21"},
		{model.PyPI, "Python_Dateutil", "2.9.0", "pkg:pypi/python-dateutil@2.9.0"},
		{model.PyPI, "zope.interface", "6.2", "pkg:pypi/zope-interface@6.2"},
		{model.Golang, "golang.org/x/net", "v0.23.0", "pkg:golang/golang.org/x/net@v0.23.0"},
		{model.Golang, "stdlib", "go1.22.1", "pkg:golang/stdlib@go1.22.1"},
		{model.Maven, "org.yaml:snakeyaml", "2.2", "pkg:maven/org.yaml/snakeyaml@2.2"},
		{model.Composer, "symfony/http-kernel", "v6.4.3", "pkg:composer/symfony/http-kernel@v6.4.3"},
		{model.Gem, "rack", "3.0.9", "pkg:gem/rack@3.0.9"},
		{model.Cargo, "serde", "1.0.197", "pkg:cargo/serde@1.0.197"},
		{model.NuGet, "Newtonsoft.Json", "13.0.3", "pkg:nuget/Newtonsoft.Json@13.0.3"},
	} {
		p := model.Package{Ecosystem: c.eco, Name: c.name, Version: c.version}
		if got := PackageURL(nil, &p); got != c.want {
			t.Errorf("%s %s: %s, want %s", c.eco, c.name, got, c.want)
		}
	}
}
