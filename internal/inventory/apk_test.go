package inventory

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
)

func apk(name, version, origin, license, maintainer, location string) model.Package {
	p := model.Package{Ecosystem: model.APK, Name: name, Version: version, Arch: "x86_64", SourceName: origin,
		SourceVersion: version, Maintainer: maintainer, Location: location}
	if license != "" {
		p.Licenses = []string{license}
	}
	return p
}

func TestAPKInstalled(t *testing.T) {
	const (
		natanael = "Natanael Copa <ncopa@alpinelinux.org>"
		timo     = "Timo Teräs <timo.teras@iki.fi>"
		soeren   = "Sören Tempel <soeren+alpine@soeren-tempel.net>"
	)
	tests := []struct {
		file, loc string
		want      []model.Package
	}{
		// An Alpine 3.19.1 x86_64 installed database, cut to nine packages and shortened file lists.
		{"installed", "/lib/apk/db/installed", []model.Package{
			apk("alpine-baselayout-data", "3.4.3-r2", "alpine-baselayout", "GPL-2.0-only", natanael, "/lib/apk/db/installed"),
			apk("musl", "1.2.4_git20230717-r4", "musl", "MIT", timo, "/lib/apk/db/installed"),
			apk("busybox", "1.36.1-r15", "busybox", "GPL-2.0-only", soeren, "/lib/apk/db/installed"),
			apk("busybox-binsh", "1.36.1-r15", "busybox", "GPL-2.0-only", soeren, "/lib/apk/db/installed"),
			apk("ca-certificates-bundle", "20230506-r0", "ca-certificates", "MPL-2.0 AND MIT", natanael, "/lib/apk/db/installed"),
			apk("libcrypto3", "3.1.4-r5", "openssl", "Apache-2.0", "Ariadne Conill <ariadne@dereferenced.org>", "/lib/apk/db/installed"),
			apk("ssl_client", "1.36.1-r15", "busybox", "GPL-2.0-only", soeren, "/lib/apk/db/installed"),
			apk("zlib", "1.3.1-r0", "zlib", "Zlib", natanael, "/lib/apk/db/installed"),
			apk("musl-utils", "1.2.4_git20230717-r4", "musl", "MIT AND BSD-2-Clause AND GPL-2.0-or-later", timo, "/lib/apk/db/installed"),
		}},
		{"wolfi-installed", "/usr/lib/apk/db/installed", []model.Package{
			apk("glibc", "2.39-r1", "glibc", "LGPL-2.1-or-later", "Wolfi", "/usr/lib/apk/db/installed"),
			apk("libcrypto3", "3.3.0-r2", "openssl", "Apache-2.0", "Wolfi", "/usr/lib/apk/db/installed"),
		}},
		// A record without origin falls back to its own name; bad records are skipped, not fatal.
		{"partly-malformed", "/lib/apk/db/installed", []model.Package{{
			Ecosystem: model.APK, Name: "good", Version: "1.0-r0", SourceName: "good", SourceVersion: "1.0-r0",
			Location: "/lib/apk/db/installed",
		}}},
		{"empty", "/lib/apk/db/installed", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var data []byte
			if tt.file != "empty" {
				data = readTestdata(t, "apk/"+tt.file)
			}
			got, err := parse(t, APKInstalled{}, tt.loc, data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
			checkParsed(t, model.APK, tt.loc, &model.OS{Family: "alpine", Version: "3.19.1"}, got, err)
		})
	}
}

func TestAPKMalformed(t *testing.T) {
	got, err := parse(t, APKInstalled{}, "/lib/apk/db/installed", readTestdata(t, "apk/malformed"))
	if err == nil {
		t.Fatalf("no error, packages %+v", got)
	}
	checkParsed(t, model.APK, "/lib/apk/db/installed", nil, got, err)
}

func TestAPKMaxSize(t *testing.T) {
	data := readTestdata(t, "apk/installed")
	if _, err := parseAPKInstalled("/i", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("file of exactly the limit: %v", err)
	}
	if _, err := parseAPKInstalled("/i", bytes.NewReader(data), int64(len(data)-1)); err == nil {
		t.Fatal("file over the limit accepted")
	}
}

func FuzzAPKInstalled(f *testing.F) {
	for _, name := range []string{"installed", "wolfi-installed", "partly-malformed", "malformed"} {
		f.Add(readTestdata(f, "apk/"+name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const loc = "/lib/apk/db/installed"
		pkgs, err := parse(t, APKInstalled{}, loc, data)
		checkParsed(t, model.APK, loc, &model.OS{Family: "wolfi", Version: "20230201"}, pkgs, err)
	})
}
