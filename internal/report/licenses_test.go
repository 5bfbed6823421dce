package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseLicense(t *testing.T) {
	for _, tc := range []struct {
		in, expr string
		single   bool
	}{
		{"MIT", "MIT", true},
		{"mit", "MIT", true},
		{"BSD-3-clause", "BSD-3-Clause", true},
		{"GPL-2.0+", "GPL-2.0+", true},
		{"GPL-2.0", "GPL-2.0", true}, // deprecated ids are still ids
		{"GPL-2.0-or-later AND MIT", "GPL-2.0-or-later AND MIT", false},
		{"mit or apache-2.0", "MIT OR Apache-2.0", false},
		{"( MIT OR  Apache-2.0 )  AND Zlib", "(MIT OR Apache-2.0) AND Zlib", false},
		{"((MIT))", "((MIT))", false},
		{"GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0", false},
		{"GPL-2.0-or-later with linux-syscall-note", "GPL-2.0-or-later WITH Linux-syscall-note", false},
		{"Boehm-GC", "Boehm-GC", true},
		// not valid SPDX expressions
		{"", "", false},
		{"GPL-2+", "", false},
		{"GPLv2+", "", false},
		{"Public Domain", "", false},
		{"ASL 2.0", "", false},
		{"MIT And Apache-2.0", "", false}, // mixed-case operator
		{"MIT AND", "", false},
		{"AND MIT", "", false},
		{"(MIT", "", false},
		{"MIT)", "", false},
		{"MIT WITH MIT", "", false},            // WITH needs an exception
		{"Classpath-exception-2.0", "", false}, // an exception is not a licence
		{"(MIT) WITH Classpath-exception-2.0", "", false},
		{"LicenseRef-Foo", "", false}, // would be undefined in our documents
		{"DocumentRef-x:LicenseRef-Foo", "", false},
		{"MIT +", "", false},
	} {
		l := parseLicense(tc.in)
		if l.expr != tc.expr || l.single != tc.single {
			t.Errorf("parseLicense(%q) = %q single=%v, want %q single=%v", tc.in, l.expr, l.single, tc.expr, tc.single)
		}
	}
}

func TestPackageLicenses(t *testing.T) {
	ls := packageLicenses([]string{" MIT ", "", "mit", "Foo Bar", "Foo Bar", "GPL-2.0-only"})
	var got []string
	for _, l := range ls {
		got = append(got, l.raw+"="+l.expr)
	}
	if want := "MIT=MIT,Foo Bar=,GPL-2.0-only=GPL-2.0-only"; strings.Join(got, ",") != want {
		t.Errorf("packageLicenses = %v, want %s", got, want)
	}
}

func TestLicenseRefs(t *testing.T) {
	refs := licenseRefs([]string{"GPL-2+", "GPL 2+", "public domain", "public domain", "©", "Public.Domain-1", "licenseref-Foo", "FOO-bar", "foo bar"})
	if refs["licenseref-Foo"] != "LicenseRef-Foo" {
		t.Errorf("LicenseRef- prefix not reused: %q", refs["licenseref-Foo"])
	}
	if refs["FOO-bar"] == refs["foo bar"] || !strings.HasPrefix(refs["FOO-bar"], "LicenseRef-FOO-bar-") || !strings.HasPrefix(refs["foo bar"], "LicenseRef-foo-bar-") {
		t.Errorf("ids differing only in case: %q %q", refs["FOO-bar"], refs["foo bar"])
	}
	if refs["GPL-2+"] == refs["GPL 2+"] || !strings.HasPrefix(refs["GPL-2+"], "LicenseRef-GPL-2-") || !strings.HasPrefix(refs["GPL 2+"], "LicenseRef-GPL-2-") {
		t.Errorf("colliding texts: %q %q", refs["GPL-2+"], refs["GPL 2+"])
	}
	if refs["public domain"] != "LicenseRef-public-domain" || refs["©"] != "LicenseRef-unknown" || refs["Public.Domain-1"] != "LicenseRef-Public.Domain-1" {
		t.Errorf("refs = %v", refs)
	}
	// The order texts are met in does not matter.
	again := licenseRefs([]string{"foo bar", "FOO-bar", "licenseref-Foo", "Public.Domain-1", "©", "public domain", "GPL 2+", "GPL-2+"})
	for k, v := range refs {
		if again[k] != v {
			t.Errorf("%q: %q then %q", k, v, again[k])
		}
	}
}

// TestSPDXIDsUpToDate fails when spdxids_gen.go does not match the lists in testdata (run go generate).
func TestSPDXIDsUpToDate(t *testing.T) {
	read := func(path string) []string {
		b, err := os.ReadFile(filepath.Join("testdata", path))
		if err != nil {
			t.Fatal(err)
		}
		var l []string
		if strings.HasSuffix(path, "spdx.schema.json") {
			var s struct {
				Enum []string `json:"enum"`
			}
			err = json.Unmarshal(b, &s)
			l = s.Enum
		} else {
			err = json.Unmarshal(b, &l)
		}
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	check := func(name string, m map[string]string, lists ...[]string) {
		want := map[string]string{}
		for _, l := range lists {
			for _, id := range l {
				want[strings.ToLower(id)] = id
			}
		}
		if len(want) != len(m) {
			t.Errorf("%s has %d ids, the lists %d: run go generate", name, len(m), len(want))
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s[%q] = %q, want %q: run go generate", name, k, m[k], v)
			}
		}
	}
	check("spdxLicenseIDs", spdxLicenseIDs, read("spdx-license-list/licenses.json"), read("spdx-license-list/licenses-deprecated.json"))
	check("spdxExceptionIDs", spdxExceptionIDs, read("spdx-license-list/exceptions.json"), read("spdx-license-list/exceptions-deprecated.json"))
	check("cdxLicenseIDs", cdxLicenseIDs, read("schema/spdx.schema.json"))
}
