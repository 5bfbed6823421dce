package source

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/hullscan/hullscan/internal/testimage"
)

func collect(t *testing.T, tarball []byte, want ...string) (*WalkResult, map[string]string) {
	t.Helper()
	got := map[string]string{}
	wanted := map[string]bool{}
	for _, w := range want {
		wanted[w] = true
	}
	res, err := WalkLayer(bytes.NewReader(tarball), WalkOptions{
		Name: "layer 0",
		Want: func(p string) (int64, bool) { return 10, wanted[p] },
	}, func(p string, r io.Reader, size int64) error {
		b, err := io.ReadAll(r)
		if int64(len(b)) != size {
			t.Errorf("%s: read %d bytes, size %d", p, len(b), size)
		}
		got[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res, got
}

func TestWalkLayerEntriesAndWhiteouts(t *testing.T) {
	tb := testimage.Tar(
		testimage.File{Name: "./etc/", Type: tar.TypeDir},
		testimage.File{Name: "./etc/os-release", Body: "ID=debian\n"},
		testimage.File{Name: "etc/big", Body: "0123456789abc"},
		testimage.File{Name: "etc/.wh.gone"},
		testimage.File{Name: "var/lib/.wh..wh..opq"},
		testimage.File{Name: "etc/link", Type: tar.TypeSymlink, Linkname: "../usr/lib/os-release"},
		testimage.File{Name: "etc/hard", Type: tar.TypeLink, Linkname: "./etc/os-release"},
		testimage.File{Name: "etc/hard2", Type: tar.TypeLink, Linkname: "etc/unwanted"},
	)
	res, got := collect(t, tb, "/etc/os-release", "/etc/big", "/etc/hard", "/etc/hard2")
	if got["/etc/os-release"] != "ID=debian\n" || got["/etc/hard"] != "ID=debian\n" {
		t.Errorf("content: %q", got)
	}
	if _, ok := got["/etc/big"]; ok {
		t.Error("file over its cap was read")
	}
	if !containsSub(res.Warnings, "/etc/big is 13 bytes, over the 10-byte cap") {
		t.Errorf("no cap warning: %q", res.Warnings)
	}
	if res.PendingLinks["/etc/hard2"] != "/etc/unwanted" {
		t.Errorf("pending links: %v", res.PendingLinks)
	}
	if strings.Join(res.Index.Whiteouts, ",") != "/etc/gone" || strings.Join(res.Index.Opaque, ",") != "/var/lib" {
		t.Errorf("whiteouts %v opaque %v", res.Index.Whiteouts, res.Index.Opaque)
	}
	if e := res.Index.Entries["/etc/link"]; e.Type != TypeSymlink || e.Link != "../usr/lib/os-release" {
		t.Errorf("symlink entry %+v", e)
	}
	if _, ok := res.Index.Entries["/etc/.wh.gone"]; ok {
		t.Error("whiteout marker indexed as a file")
	}
}

func TestWalkLayerHostileNames(t *testing.T) {
	tb := testimage.Tar(
		testimage.File{Name: "../../etc/passwd", Body: "root"},
		testimage.File{Name: "a/../../b", Body: "x"},
		testimage.File{Name: "/etc/abs", Body: "abs"},
		testimage.File{Name: "etc/h", Type: tar.TypeLink, Linkname: "../../../etc/shadow"},
	)
	res, got := collect(t, tb, "/etc/passwd", "/b", "/etc/abs", "/etc/h")
	if _, ok := got["/etc/passwd"]; ok {
		t.Error("an entry escaping the root was read")
	}
	if _, ok := got["/b"]; ok {
		t.Error("a/../../b was read as /b")
	}
	if got["/etc/abs"] != "abs" {
		t.Error("absolute name not read relative to the root")
	}
	if len(res.Index.Entries) != 1 {
		t.Errorf("entries: %v", res.Index.Entries)
	}
	for _, w := range []string{`"../../etc/passwd" escapes the image root`, `"a/../../b" escapes`, `"/etc/abs" has an absolute name`, `hard link "etc/h" points outside`} {
		if !containsSub(res.Warnings, w) {
			t.Errorf("missing warning %q in %q", w, res.Warnings)
		}
	}
}

func TestWalkLayerCorrupt(t *testing.T) {
	full := testimage.Tar(testimage.File{Name: "etc/os-release", Body: strings.Repeat("x", 5000)})
	cases := map[string][]byte{
		"truncated":  full[:1500],
		"not a tar":  []byte(strings.Repeat("garbage!", 200)),
		"bad header": append(bytes.Repeat([]byte{0xff}, 512), make([]byte, 1024)...),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := WalkLayer(bytes.NewReader(b), WalkOptions{Name: "layer 3"}, nil)
			if err == nil || !IsInputError(err) || !strings.HasPrefix(err.Error(), "layer 3: ") {
				t.Fatalf("want an input error naming the layer, got %v", err)
			}
		})
	}
}

func TestCleanEntryName(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok, abs  bool
	}{
		{"./a/b", "/a/b", true, false},
		{"a//b/./c/", "/a/b/c", true, false},
		{"/a", "/a", true, true},
		{"a/../b", "/b", true, false},
		{"..", "", false, false},
		{"a/../../b", "", false, false},
		{"./", "/", true, false},
	} {
		got, ok, abs := cleanEntryName(c.in)
		if got != c.want || ok != c.ok || abs != c.abs {
			t.Errorf("cleanEntryName(%q) = %q %v %v, want %q %v %v", c.in, got, ok, abs, c.want, c.ok, c.abs)
		}
	}
}

func containsSub(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Wanted files are kept for later hard links only within a budget; a link to one that was not kept is pending.
func TestWalkLayerRetainBudget(t *testing.T) {
	defer func(b, m int64) { retainBudget, retainMaxFile = b, m }(retainBudget, retainMaxFile)
	retainBudget, retainMaxFile = 8, 6
	tb := testimage.Tar(
		testimage.File{Name: "a", Body: "12345"},     // kept (5 of 8)
		testimage.File{Name: "big", Body: "1234567"}, // over the per-file bound: fed, not kept
		testimage.File{Name: "b", Body: "1234"},      // over what is left of the budget: fed, not kept
		testimage.File{Name: "c", Body: "123"},       // kept (8 of 8)
		testimage.File{Name: "la", Type: tar.TypeLink, Linkname: "a"},
		testimage.File{Name: "lbig", Type: tar.TypeLink, Linkname: "big"},
		testimage.File{Name: "lb", Type: tar.TypeLink, Linkname: "b"},
		testimage.File{Name: "lc", Type: tar.TypeLink, Linkname: "c"},
	)
	res, got := collect(t, tb, "/a", "/big", "/b", "/c", "/la", "/lbig", "/lb", "/lc")
	for _, p := range []string{"/a", "/big", "/b", "/c"} {
		if _, ok := got[p]; !ok {
			t.Errorf("%s not fed", p)
		}
	}
	if got["/la"] != "12345" || got["/lc"] != "123" {
		t.Errorf("links to kept files: %q", got)
	}
	want := map[string]string{"/lbig": "/big", "/lb": "/b"}
	if fmt.Sprint(res.PendingLinks) != fmt.Sprint(want) {
		t.Errorf("pending links %v, want %v", res.PendingLinks, want)
	}
}

// TestWalkLayerPAXGlobalHeader: a layer made with `git archive` starts with a pax global header; it is archive
// metadata, not a file named pax_global_header.
func TestWalkLayerPAXGlobalHeader(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header",
		PAXRecords: map[string]string{"comment": "0123456789abcdef0123456789abcdef01234567"}}); err != nil {
		t.Fatal(err)
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "etc/os-release", Size: 10, Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte("ID=debian\n")); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	res, got := collect(t, buf.Bytes(), "/etc/os-release")
	if got["/etc/os-release"] != "ID=debian\n" {
		t.Errorf("content %q", got)
	}
	for p := range res.Index.Entries {
		if strings.Contains(p, "pax_global_header") {
			t.Errorf("indexed %s", p)
		}
	}
	if len(res.Index.Entries) != 1 {
		t.Errorf("entries %v", res.Index.Entries)
	}
}
