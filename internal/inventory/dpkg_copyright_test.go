package inventory

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hullscan/hullscan/internal/testimage"
)

func TestIsDebCopyright(t *testing.T) {
	for _, c := range []struct {
		in  string
		pkg string
		ok  bool
	}{
		{"/usr/share/doc/curl/copyright", "curl", true},
		{"/usr/share/doc/libc6/copyright", "libc6", true},
		{"/usr/share/doc/curl/changelog.gz", "", false},
		{"/usr/share/doc/curl/sub/copyright", "", false},
		{"/usr/share/doc//copyright", "", false},
		{"/usr/share/doc/copyright", "", false},
	} {
		pkg, ok := IsDebCopyright(c.in)
		if pkg != c.pkg || ok != c.ok {
			t.Errorf("IsDebCopyright(%q) = %q %v", c.in, pkg, ok)
		}
	}
}

func TestParseDebCopyright(t *testing.T) {
	for _, c := range []struct {
		file string
		want []string
	}{
		// DEP-5, excerpts of Debian 12's real files.
		{"dep5-zlib", []string{"Zlib"}},
		{"dep5-curl", []string{"BSD-3-clause", "BSD-4-Clause-UC", "FSFULLR", "GPL-2+ with Autoconf-data exception",
			"GPL-2+ with Libtool exception", "GPL-3+ with Autoconf-data exception", "ISC", "OLDAP-2.8", "X11", "curl"}},
		// Free text pointing at the common licences (as base-files and older packages do).
		{"freetext-base-files", []string{"GPL"}},
		{"empty", nil},
	} {
		t.Run(c.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "dpkg", "copyright", c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := ParseDebCopyright(f); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestParseDebCopyrightRealTree checks every copyright file of the real Debian fixture tree parses and that most
// packages get a licence (the few without are free-text files naming none; they are counted, not guessed).
func TestParseDebCopyrightRealTree(t *testing.T) {
	dir := filepath.Join(testimage.RequireFixture(t), "b", "usr", "share", "doc")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var with, without int
	var none []string
	for _, e := range ents {
		f, err := os.Open(filepath.Join(dir, e.Name(), "copyright"))
		if err != nil {
			continue
		}
		if ParseDebCopyright(f) != nil {
			with++
		} else {
			without++
			none = append(none, e.Name())
		}
		f.Close()
	}
	if with == 0 || without*10 > with {
		t.Errorf("%d copyright files with a licence, %d without: %s", with, without, strings.Join(none, " "))
	}
}

func FuzzDebCopyright(f *testing.F) {
	f.Add([]byte("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-2+\n"))
	f.Add([]byte("see /usr/share/common-licenses/GPL-2.\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, l := range ParseDebCopyright(strings.NewReader(string(b))) {
			if l == "" || strings.TrimSpace(l) != l {
				t.Fatalf("bad licence %q", l)
			}
		}
	})
}
