package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hullscan/hullscan/internal/model"
)

func TestTableNoANSIWithoutColor(t *testing.T) {
	inv := loadInventory(t, "rich")
	// Hostile data must not reach the terminal as escape sequences either.
	inv.Packages = append(inv.Packages, model.Package{
		Ecosystem: model.Deb, Name: "evil\x1b[31mred", Version: "1\u202e0", Location: "/var/lib/dpkg/status",
		Layer: &model.LayerRef{Index: 9, CreatedBy: "RUN echo \x1b]0;title\x07 \x9b31m"},
	})
	inv.Warnings = append(inv.Warnings, "bad\x1b[2Jwarning")
	out := render(t, FormatTable, inv, testOptions())
	if bytes.ContainsAny(out, "\x1b\x07\u009b\u202e") {
		t.Fatalf("table without colour carries control characters:\n%q", out)
	}
	if !strings.Contains(string(out), "evil\uFFFD[31mred") {
		t.Errorf("control character not replaced visibly:\n%s", out)
	}

	opts := testOptions()
	opts.Color = true
	colored := render(t, FormatTable, inv, opts)
	if !bytes.Contains(colored, []byte(ansiBold)) || !bytes.Contains(colored, []byte(ansiYellow+"warning: ")) {
		t.Errorf("table with colour has no ANSI codes:\n%q", colored)
	}
	// Colour changes nothing but the escape codes.
	stripped := colored
	for _, code := range []string{ansiBold, ansiDim, ansiYellow, ansiReset} {
		stripped = bytes.ReplaceAll(stripped, []byte(code), nil)
	}
	if !bytes.Equal(stripped, out) {
		t.Errorf("coloured table differs from the plain one beyond escape codes:\n%s", firstDiff(stripped, out))
	}
}

func TestTableTruncation(t *testing.T) {
	inv := loadInventory(t, "rich")
	out := string(render(t, FormatTable, inv, testOptions()))
	lines := strings.Split(out, "\n")
	cut := 0
	for i, l := range lines {
		if i == 0 || strings.HasPrefix(l, "warning: ") {
			continue // the header and warnings are not table rows
		}
		if n := utf8.RuneCountInString(l); n >= 150 {
			t.Errorf("line %d has %d characters: %s", i+1, n, l)
		}
		if strings.Contains(l, ellipsis) {
			cut++
		}
	}
	if cut == 0 {
		t.Fatalf("no cell of the rich fixture was cut:\n%s", out)
	}
	if !strings.Contains(out, "note: cells ending in "+ellipsis+" are cut") {
		t.Errorf("truncation is not announced:\n%s", out)
	}
	// The long name is cut to 40 characters, its end marked.
	if !strings.Contains(out, "fonts-hullscan-fixture-with-a-rather-lo"+ellipsis+" ") {
		t.Errorf("long name not cut to 40 characters:\n%s", out)
	}

	// Nothing is cut, and nothing announced, when everything fits.
	small := loadInventory(t, "rich")
	small.Packages = small.Packages[:1]
	small.Packages[0].Layer = &model.LayerRef{Index: 0, CreatedBy: "/bin/sh -c #(nop) ADD file:x in /"}
	if s := string(render(t, FormatTable, small, testOptions())); strings.Contains(s, ellipsis) || strings.Contains(s, "note:") {
		t.Errorf("short table cut or annotated:\n%s", s)
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		want  string
		cut   bool
	}{
		{"abc", 3, "abc", false},
		{"abcd", 3, "ab…", true},
		{"äöüß", 3, "äö…", true},
		{"abc", 0, "", true},
		{"", 0, "", false},
	} {
		got, cut := truncate(tc.in, tc.width)
		if got != tc.want || cut != tc.cut {
			t.Errorf("truncate(%q, %d) = %q %v, want %q %v", tc.in, tc.width, got, cut, tc.want, tc.cut)
		}
	}
}

func TestTableFooterAndColumns(t *testing.T) {
	inv := &model.Inventory{
		Source: model.Source{Kind: "directory", Name: "/srv/root"},
		Packages: []model.Package{
			{Ecosystem: model.APK, Name: "musl", Version: "1.2.4-r4", Location: "/lib/apk/db/installed"},
			{Ecosystem: model.Deb, Name: "libc6", Version: "2.36-9", SourceName: "glibc", Location: "/var/lib/dpkg/status"},
			{Ecosystem: model.APK, Name: "zlib", Version: "1.3.1-r0", Location: "/lib/apk/db/installed"},
		},
	}
	out := string(render(t, FormatTable, inv, testOptions()))
	want := "Source: /srv/root (directory)  OS: unknown\n" +
		"\n" +
		"NAME   VERSION   TYPE  SOURCE\n" +
		"musl   1.2.4-r4  apk\n" +
		"zlib   1.3.1-r0  apk\n" +
		"libc6  2.36-9    deb   glibc\n" +
		"\n" +
		"3 packages (apk: 2, deb: 1)\n"
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}
