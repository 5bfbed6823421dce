package vex

import (
	"testing"
	"time"
)

const (
	digest   = "sha256:4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c"
	other    = "sha256:0000000000000000000000000000000000000000000000000000000000000001"
	openssl  = "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
	libc     = "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12"
	minimist = "pkg:npm/minimist@1.2.5"
)

func TestMatch(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 3, d, 0, 0, 0, 0, time.UTC) }
	doc := &Document{Name: "test", Format: FormatOpenVEX, Statements: []Statement{
		{Index: 0, Vulnerability: "CVE-2023-5678", Aliases: []string{"DSA-5532-1"}, Status: StatusNotAffected, Timestamp: day(1),
			Products: []Product{{PURL: "pkg:oci/app@" + digest, Subcomponents: []Product{{PURL: "pkg:deb/debian/openssl"}}}}},
		{Index: 1, Vulnerability: "CVE-2021-44228", Status: StatusNotAffected, Timestamp: day(1),
			Products: []Product{{PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}}},
		{Index: 2, Vulnerability: "CVE-2023-12345", Status: StatusFixed, Timestamp: day(1),
			Products: []Product{{PURL: "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7"}}},
		// Superseding: the later statement is first in the document; its timestamp still wins.
		{Index: 3, Vulnerability: "CVE-2022-0001", Status: StatusAffected, Timestamp: day(9),
			Products: []Product{{PURL: "pkg:npm/minimist"}}},
		{Index: 4, Vulnerability: "CVE-2022-0001", Status: StatusNotAffected, Timestamp: day(2),
			Products: []Product{{PURL: "pkg:npm/minimist@1.2.5"}}},
		// Equal timestamps: the last in the document wins.
		{Index: 5, Vulnerability: "CVE-2022-0002", Status: StatusUnderInvestigation, Timestamp: day(3),
			Products: []Product{{PURL: "pkg:npm/minimist"}}},
		{Index: 6, Vulnerability: "CVE-2022-0002", Status: StatusFixed, Timestamp: day(3),
			Products: []Product{{PURL: "pkg:npm/minimist"}}},
		// The whole image, by reference as given.
		{Index: 7, Vulnerability: "CVE-2022-0003", Status: StatusNotAffected, Timestamp: day(1),
			Products: []Product{{ID: "alpine:3.19"}}},
		// The whole image, by digest.
		{Index: 8, Vulnerability: "CVE-2022-0004", Status: StatusFixed, Timestamp: day(1),
			Products: []Product{{ID: digest}}},
		// A CycloneDX bom-ref that is a hullscan package id.
		{Index: 9, Vulnerability: "CVE-2021-44906", Status: StatusNotAffected, Timestamp: day(1),
			Products: []Product{{ID: "npm:minimist@1.2.5"}}},
		{Index: 10, Vulnerability: "CVE-2022-0005", Status: StatusNotAffected, Timestamp: day(1),
			Products: []Product{{ID: "file:./project"}}},
		{Index: 11, Vulnerability: "CVE-2022-0006", Status: StatusNotAffected, Timestamp: day(1),
			Products: []Product{{PURL: "pkg:oci/app?repository_url=registry.example.com/team/app&tag=1.4"}}},
		{Index: 12, Vulnerability: "CVE-2022-0007", Status: StatusNotAffected, Timestamp: day(1)}, // no products
	}}
	image := []string{"registry.example.com/app:1.4", digest, "pkg:oci/app@" + digest}
	for _, tc := range []struct {
		name    string
		ids     []string
		pkgID   string
		purl    string
		targets []string
		want    int // statement index, -1 for none
	}{
		{"alias names the vulnerability", []string{"CVE-0000-0000", "DSA-5532-1"}, "", openssl, image, 0},
		{"id compared case-insensitively", []string{"cve-2021-44228"}, "", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", nil, 1},
		{"other vulnerability", []string{"CVE-2021-45046"}, "", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", nil, -1},
		{"purl with the same version", []string{"CVE-2021-44228"}, "", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar", nil, 1},
		{"purl with another version", []string{"CVE-2021-44228"}, "", "pkg:maven/org.apache.logging.log4j/log4j-core@2.15.0", nil, -1},
		{"purl of another namespace", []string{"CVE-2021-44228"}, "", "pkg:maven/org.example/log4j-core@2.14.1", nil, -1},
		{"product qualifier present with the same value", []string{"CVE-2023-12345"}, "", "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7&distro=wolfi-20230201", nil, 2},
		{"product qualifier with another value", []string{"CVE-2023-12345"}, "", "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64", nil, -1},
		{"product qualifier absent from the package", []string{"CVE-2023-12345"}, "", "pkg:apk/wolfi/git@2.39.0-r1", nil, -1},
		{"purl normalised (apk names are lower case)", []string{"CVE-2023-12345"}, "", "pkg:apk/Wolfi/Git@2.39.0-r1?arch=armv7", nil, 2},
		{"later timestamp supersedes, wherever it is", []string{"CVE-2022-0001"}, "", minimist, nil, 3},
		{"equal timestamps: last in the document", []string{"CVE-2022-0002"}, "", minimist, nil, 6},
		{"subcomponent of the target", []string{"CVE-2023-5678"}, "", openssl, image, 0},
		{"subcomponent of the target, target by digest only", []string{"CVE-2023-5678"}, "", openssl, []string{digest}, 0},
		{"package not among the subcomponents", []string{"CVE-2023-5678"}, "", libc, image, -1},
		{"subcomponent, but another target", []string{"CVE-2023-5678"}, "", openssl, []string{"registry.example.com/app:1.5", other}, -1},
		{"subcomponent, no target given", []string{"CVE-2023-5678"}, "", openssl, nil, -1},
		{"whole image by normalised reference", []string{"CVE-2022-0003"}, "", libc, []string{"docker.io/library/alpine:3.19"}, 7},
		{"whole image, another tag", []string{"CVE-2022-0003"}, "", libc, []string{"alpine:3.20"}, -1},
		{"whole image by digest in an oci purl", []string{"CVE-2022-0004"}, "", libc, []string{"pkg:oci/app@sha256%3A" + digest[7:] + "?repository_url=registry.example.com/app"}, 8},
		{"whole image by digest in a reference", []string{"CVE-2022-0004"}, "", "", []string{"registry.example.com/app@" + digest}, 8},
		{"whole image, another digest", []string{"CVE-2022-0004"}, "", libc, []string{other, "registry.example.com/app@" + other}, -1},
		{"package without purl, not the target", []string{"CVE-2021-44228"}, "", "", image, -1},
		{"bom-ref as package id", []string{"CVE-2021-44906"}, "npm:minimist@1.2.5", "", nil, 9},
		{"bom-ref, another package id", []string{"CVE-2021-44906"}, "npm:minimist@1.2.6", minimist, nil, -1},
		{"directory target", []string{"CVE-2022-0005"}, "", minimist, []string{"project"}, 10},
		{"oci purl with repository and tag names the reference", []string{"CVE-2022-0006"}, "", libc, []string{"registry.example.com/team/app:1.4"}, 11},
		{"statement without products", []string{"CVE-2022-0007"}, "", libc, image, -1},
		{"no ids", nil, "", openssl, image, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := doc.MatchPackage(tc.ids, tc.pkgID, tc.purl, tc.targets)
			switch {
			case tc.want < 0 && got != nil:
				t.Errorf("matched statement %d, want none", got.Index)
			case tc.want >= 0 && got == nil:
				t.Errorf("no match, want statement %d", tc.want)
			case tc.want >= 0 && got.Index != tc.want:
				t.Errorf("matched statement %d, want %d", got.Index, tc.want)
			}
			if tc.pkgID == "" {
				if m := doc.Match(tc.ids, tc.purl, tc.targets); m != got {
					t.Errorf("Match and MatchPackage disagree")
				}
			}
		})
	}
	var none *Document
	if none.Match([]string{"CVE-1"}, minimist, nil) != nil {
		t.Error("a nil document matched")
	}
}

// TestMatchFiles matches against the spec's own examples.
func TestMatchFiles(t *testing.T) {
	for _, tc := range []struct {
		file, id, purl, wantStatus string
	}{
		// The spec's inheritance example: under_investigation, then fixed with the (later) document timestamp.
		{"openvex-inheritance.json", "CVE-2023-12345", "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7", StatusFixed},
		{"openvex-v0.0.1.json", "CVE-2023-12345", "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64", StatusFixed},
		{"openvex-spring.json", "GHSA-jfh8-c2jp-5v3q", "pkg:maven/org.springframework.boot/spring-boot@2.6.0-M3", StatusNotAffected},
		{"openvex-spring.json", "CVE-2021-44228", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", ""},
		{"cyclonedx-vex.json", "GHSA-288c-cq4h-88gq", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar", StatusNotAffected},
		{"cyclonedx-vex.json", "CVE-2021-44228", "pkg:maven/org.springframework.boot/spring-boot@2.6.0", StatusNotAffected},
		{"cyclonedx-vex.json", "CVE-2023-0002", "pkg:npm/lodash@4.17.21", StatusNotAffected},
		{"cyclonedx-bom-examples-vex.json", "CVE-2020-25649", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar", StatusNotAffected},
	} {
		doc := readFile(t, tc.file)
		st := doc.Match([]string{tc.id}, tc.purl, nil)
		got := ""
		if st != nil {
			got = st.Status
		}
		if got != tc.wantStatus {
			t.Errorf("%s %s %s: status %q, want %q", tc.file, tc.id, tc.purl, got, tc.wantStatus)
		}
	}
}

func TestSuppresses(t *testing.T) {
	for status, want := range map[string]bool{StatusNotAffected: true, StatusFixed: true, StatusAffected: false,
		StatusUnderInvestigation: false, "": false} {
		if Suppresses(status) != want {
			t.Errorf("Suppresses(%q) = %v", status, !want)
		}
	}
}
