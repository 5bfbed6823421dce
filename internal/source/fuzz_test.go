package source

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/testimage"
)

// The fuzz targets of this file take hostile bytes where an image or a layer is expected. Each checks, beyond "no
// panic", the properties the rest of hullscan relies on: paths are clean and inside the root, caps hold, content
// handed out is exactly as long as announced, and every failure is an InputError (the CLI's exit 2, not 4).

// maxFuzzInput bounds the inputs the targets look at: the interesting structure of a tar header or a JSON document
// fits in far less, and bigger inputs only slow the fuzzer down.
const maxFuzzInput = 1 << 20

// checkPath fails unless p is what every path handed out by the walker must be: absolute, clean, with no ".."
// component, so it cannot name anything outside the image root.
func checkPath(t *testing.T, what, p string) {
	t.Helper()
	if !strings.HasPrefix(p, "/") || path.Clean(p) != p {
		t.Fatalf("%s %q is not a clean absolute path", what, p)
	}
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			t.Fatalf("%s %q has a .. component", what, p)
		}
	}
}

// fuzzCap is the per-path size cap the fuzz walks use: it depends on the path, so a hard link whose target was
// captured under a larger cap than the link's own is a case the fuzzer can reach.
func fuzzCap(p string) (int64, bool) {
	if strings.Contains(p, "skip") {
		return 0, false
	}
	return int64(len(p)) * 8, true
}

// walkLayerSeeds are realistic layers: what docker, buildkit and the test image builder write, and the hostile
// shapes the walker must survive. They are kept small (few entries, no end-of-archive blocks, which the reader does
// not need) because the fuzzer spends its time minimizing new inputs in proportion to their size.
func walkLayerSeeds() [][]byte {
	trim := func(b []byte) []byte { return b[:len(b)-1024] } // drop the two zero end blocks
	var pax, gnu bytes.Buffer
	tw := tar.NewWriter(&pax)
	// A pax global header (git archive writes one) and a long name in a pax record.
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "x"}})
	tw.WriteHeader(&tar.Header{Name: strings.Repeat("d/", 60) + "status", Size: 3, Mode: 0o644, Format: tar.FormatPAX})
	tw.Write([]byte("abc"))
	tw.Close()
	tw = tar.NewWriter(&gnu)
	tw.WriteHeader(&tar.Header{Name: "gnu/" + strings.Repeat("n", 120), Size: 2, Mode: 0o644, Format: tar.FormatGNU})
	tw.Write([]byte("hi"))
	tw.Close()
	full := testimage.Tar(testimage.File{Name: "./etc/os-release", Body: "ID=debian\nVERSION_ID=12\n"})
	return [][]byte{
		full,
		full[:700],
		trim(pax.Bytes()),
		trim(gnu.Bytes()),
		append(trim(full), "trailing bytes after the last entry"...),
		trim(testimage.Tar(testimage.File{Name: "etc/", Type: tar.TypeDir}, testimage.File{Name: "etc/.wh.gone"})),
		trim(testimage.Tar(testimage.File{Name: "var/lib/.wh..wh..opq"}, testimage.File{Name: "dev/null", Type: tar.TypeChar})),
		trim(testimage.Tar(testimage.File{Name: "etc/link", Type: tar.TypeSymlink, Linkname: "../usr/lib/os-release"})),
		trim(testimage.Tar(testimage.File{Name: "etc/a", Body: "x"}, testimage.File{Name: "etc/hard", Type: tar.TypeLink, Linkname: "./etc/a"})),
		trim(testimage.Tar(testimage.File{Name: "a/hard", Type: tar.TypeLink, Linkname: "etc/skipped"})),
		trim(testimage.Tar(testimage.File{Name: "../../etc/passwd", Body: "root"}, testimage.File{Name: "/etc/abs", Body: "abs"})),
		trim(testimage.Tar(testimage.File{Name: "etc/h", Type: tar.TypeLink, Linkname: "../../../etc/shadow"}, testimage.File{Name: "x/.wh.."})),
		// A hard link whose target was captured under a bigger cap than the link's own (see fuzzCap).
		trim(testimage.Tar(
			testimage.File{Name: "a/long/path/to/a/file", Body: strings.Repeat("x", 100)},
			testimage.File{Name: "s", Type: tar.TypeLink, Linkname: "a/long/path/to/a/file"},
		)),
		{},
		[]byte(strings.Repeat("garbage!", 20)),
	}
}

// FuzzWalkLayer walks arbitrary bytes as an uncompressed layer: it fails with an input error naming the layer,
// or indexes only clean absolute paths, hands out each wanted file within its cap and exactly as long as
// announced, and reads the stream to its end.
func FuzzWalkLayer(f *testing.F) {
	for _, s := range walkLayerSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzInput {
			return
		}
		r := bytes.NewReader(b)
		handed := map[string]int{}
		res, err := WalkLayer(r, WalkOptions{Name: "layer 1", Want: fuzzCap}, func(p string, r io.Reader, size int64) error {
			checkPath(t, "FileFunc path", p)
			handed[p]++
			max, ok := fuzzCap(p)
			if !ok {
				t.Fatalf("%s handed to the FileFunc but not wanted", p)
			}
			if size < 0 || size > max {
				t.Fatalf("%s handed with size %d, cap %d", p, size, max)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("%s: reading the handed content: %v", p, err)
			}
			if int64(len(got)) != size {
				t.Fatalf("%s: handed %d bytes, announced %d", p, len(got), size)
			}
			return nil
		})
		if err != nil {
			if res != nil {
				t.Fatalf("both a result and an error: %v", err)
			}
			if !IsInputError(err) {
				t.Fatalf("error is not an InputError: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "layer 1: ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error does not name the layer on one line: %q", err)
			}
			return
		}
		if res == nil || res.Index == nil || res.Index.Entries == nil {
			t.Fatalf("nil result without an error: %+v", res)
		}
		if r.Len() != 0 {
			t.Fatalf("walk succeeded with %d bytes of the stream unread: a verifying reader below would not see EOF", r.Len())
		}
		for p, e := range res.Index.Entries {
			checkPath(t, "indexed path", p)
			if p == "/" {
				t.Fatal("the root is indexed as an entry")
			}
			if strings.HasPrefix(path.Base(p), ".wh.") {
				t.Fatalf("whiteout marker %s indexed as an entry", p)
			}
			switch e.Type {
			case TypeFile, TypeDir, TypeSymlink, TypeOther:
			case TypeHardlink:
				checkPath(t, "hard link target", e.Link)
			default:
				t.Fatalf("%s: entry type %d", p, e.Type)
			}
		}
		for _, w := range res.Index.Whiteouts {
			checkPath(t, "whiteout", w)
		}
		for _, d := range res.Index.Opaque {
			checkPath(t, "opaque directory", d)
		}
		for link, target := range res.PendingLinks {
			checkPath(t, "pending link", link)
			checkPath(t, "pending link target", target)
		}
		for p := range handed {
			// A later entry of the same name may have replaced the file, but the path cannot be missing.
			if _, ok := res.Index.Entries[p]; !ok {
				t.Fatalf("%s handed to the FileFunc but not in the index", p)
			}
		}
		for _, w := range res.Warnings {
			if strings.Contains(w, "\n") || !strings.HasPrefix(w, "layer 1: ") {
				t.Fatalf("warning not one line naming the layer: %q", w)
			}
		}
	})
}

// decodeTreeInput turns fuzz bytes into layers of a tree: lines "path" (a file), "path/" (a directory),
// "path -> target" (a symlink), "!path" (a whiteout), "path/.wh..wh..opq" (an opaque marker), and "--" to start
// the next layer. Paths go through cleanEntryName, as the walker's do, so the tree only ever sees what a layer can
// give it.
func decodeTreeInput(s string) []*LayerIndex {
	cur := &LayerIndex{Entries: map[string]Entry{}}
	layers := []*LayerIndex{cur}
	for _, line := range strings.Split(s, "\n") {
		if line == "--" {
			cur = &LayerIndex{Entries: map[string]Entry{}}
			layers = append(layers, cur)
			continue
		}
		if rest, ok := strings.CutPrefix(line, "!"); ok {
			if p, ok, _ := cleanEntryName(rest); ok && p != "/" {
				cur.Whiteouts = append(cur.Whiteouts, p)
			}
			continue
		}
		name, target, isLink := strings.Cut(line, " -> ")
		p, ok, _ := cleanEntryName(name)
		if !ok || p == "/" {
			continue
		}
		switch {
		case path.Base(p) == ".wh..wh..opq":
			cur.Opaque = append(cur.Opaque, path.Dir(p))
		case isLink:
			cur.Entries[p] = Entry{Type: TypeSymlink, Link: target}
		case strings.HasSuffix(name, "/"):
			cur.Entries[p] = Entry{Type: TypeDir}
		default:
			cur.Entries[p] = Entry{Type: TypeFile}
		}
	}
	return layers
}

// checkTreeShape fails unless every node's parent is a directory that lists it, and every listed child exists.
func checkTreeShape(t *testing.T, tr *Tree) {
	t.Helper()
	root, ok := tr.nodes["/"]
	if !ok || root.Type != TypeDir {
		t.Fatalf("root is gone or not a directory: %+v", root)
	}
	for p, n := range tr.nodes {
		if p != "/" {
			checkPath(t, "tree path", p)
			parent, ok := tr.nodes[path.Dir(p)]
			if !ok || parent.Type != TypeDir {
				t.Fatalf("%s: parent %s missing or not a directory", p, path.Dir(p))
			}
			if _, ok := parent.kids[path.Base(p)]; !ok {
				t.Fatalf("%s: not listed in its parent", p)
			}
		}
		if (n.Type == TypeDir) != (n.kids != nil) {
			t.Fatalf("%s: type %d with kids %v", p, n.Type, n.kids)
		}
		for k := range n.kids {
			if _, ok := tr.nodes[path.Join(p, k)]; !ok {
				t.Fatalf("%s lists child %s, which does not exist", p, k)
			}
		}
	}
}

// treeDump is a tree's content, for comparing two trees.
func treeDump(tr *Tree) string {
	var lines []string
	for p, n := range tr.nodes {
		lines = append(lines, fmt.Sprintf("%s %d %q %d", p, n.Type, n.Link, n.layer))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// FuzzTreeResolve builds a merged tree from fuzzed layers (see decodeTreeInput) and resolves a fuzzed path in it:
// the tree stays well-formed and the same whatever the map order, and Resolve terminates with a clean absolute
// path that names no symlink (so resolving it again changes nothing), or an error.
func FuzzTreeResolve(f *testing.F) {
	f.Add("usr/lib/os-release\netc/os-release -> ../usr/lib/os-release\nlib -> usr/lib", "/etc/os-release")
	f.Add("lib -> usr/lib\nusr/lib/x", "/lib/../lib/./x")
	f.Add("escape -> ../../../../../etc/shadow\netc/shadow", "/escape")
	f.Add("loop1 -> loop2\nloop2 -> /loop1", "/loop1/x")
	f.Add("self -> self/x", "/self")
	f.Add("a/b -> ../../../c\n--\n!a\na -> /d\n--\nd/.wh..wh..opq\nd/e/", "/a/b/../b")
	f.Add("a -> .\nb -> a/a/a/a/a/a/a/a/a/a\nc -> b/b/b/b/b/b/b/b", "/c/c/../c")
	f.Add("x/\nx/y\n--\nx\n--\nx/y/z -> /", "x/y/z/x/y/z")
	f.Add("etc -> /\netc/os-release", "//etc/../etc//os-release/..")
	f.Fuzz(func(t *testing.T, entries, query string) {
		if len(entries) > 1<<14 || len(query) > 1<<12 {
			return
		}
		layers := decodeTreeInput(entries)
		tr, twin := NewTree(), NewTree()
		for i, l := range layers {
			tr.Apply(i, l)
			twin.Apply(i, l)
		}
		checkTreeShape(t, tr)
		// Applying the same layers must give the same tree: a scan of the same image must give the same result.
		if a, b := treeDump(tr), treeDump(twin); a != b {
			t.Fatalf("the same layers applied twice gave different trees:\n%s\n---\n%s", a, b)
		}

		type result struct {
			p   string
			err error
		}
		done := make(chan result, 1)
		go func() {
			p, err := tr.Resolve(query)
			done <- result{p, err}
		}()
		var got result
		select {
		case got = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Resolve(%q) did not terminate", query)
		}
		if got.err != nil {
			if got.p != "" {
				t.Fatalf("Resolve(%q) = %q and an error %v", query, got.p, got.err)
			}
			return
		}
		checkPath(t, "resolved path", got.p)
		// The result names no symlink on its way, so resolving it again changes nothing.
		if again, err := tr.Resolve(got.p); err != nil || again != got.p {
			t.Fatalf("Resolve(%q) = %q, but Resolve(%q) = %q, %v", query, got.p, got.p, again, err)
		}
		real, e, _, ok := tr.Stat(query)
		if real != got.p {
			t.Fatalf("Stat(%q) resolved to %q, Resolve to %q", query, real, got.p)
		}
		if ok && e.Type == TypeSymlink {
			t.Fatalf("Stat(%q) led to a symlink at %s", query, real)
		}
	})
}

// archiveParts is what the archive fuzz targets build their inputs from: a real image's config and layers.
type archiveParts struct {
	config     []byte
	configHex  string
	layers     [][]byte // compressed blobs
	layerHexes []string
	manifest   []byte // docker-archive manifest.json of the real image
	ociMan     []byte // OCI image manifest of the real image
}

func fuzzImage(t testing.TB) archiveParts {
	img := testimage.Image([]v1.Layer{
		testimage.Layer(testimage.File{Name: "etc/os-release", Body: "ID=alpine\n"}, testimage.File{Name: "a", Body: "one"}),
		testimage.Layer(testimage.File{Name: ".wh.a"}, testimage.File{Name: "b", Body: "two"}),
	}, "ADD rootfs /", "RUN rm a")
	var p archiveParts
	var err error
	if p.config, err = img.RawConfigFile(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(p.config)
	p.configHex = hex.EncodeToString(sum[:])
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		p.layers = append(p.layers, b)
		p.layerHexes = append(p.layerHexes, d.Hex)
		names = append(names, d.Hex+".tar.gz")
	}
	if p.manifest, err = json.Marshal(tarball.Manifest{{Config: p.configHex + ".json", RepoTags: []string{"app:1"}, Layers: names}}); err != nil {
		t.Fatal(err)
	}
	if p.ociMan, err = img.RawManifest(); err != nil {
		t.Fatal(err)
	}
	return p
}

// tarOf writes members (name → body, in sorted order, plus symlinks) as a tar.
func tarOf(t testing.TB, files map[string][]byte, links map[string]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h := &tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}
		if strings.HasSuffix(n, "/") {
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(files[n]); err != nil {
			t.Fatal(err)
		}
	}
	for n, target := range links {
		if err := tw.WriteHeader(&tar.Header{Name: n, Linkname: target, Typeflag: tar.TypeSymlink}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readImage reads every layer of img through the verifying stream with a small cap, as a scan would.
func readImage(img *Image) error {
	for _, l := range img.Layers {
		st, err := l.Uncompressed(1 << 20)
		if err != nil {
			return err
		}
		_, err = WalkLayer(st, WalkOptions{Name: l.Name(), Want: fuzzCap}, func(string, io.Reader, int64) error { return nil })
		st.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// checkOpenError fails unless err is an input error on one line.
func checkOpenError(t *testing.T, err error) {
	t.Helper()
	if !IsInputError(err) {
		t.Fatalf("error is not an InputError: %v (%T)", err, errors.Unwrap(err))
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error is not one line: %q", err)
	}
}

// FuzzOpenArchive fuzzes a docker-archive's manifest.json, in an archive that also holds a real image's config
// and layers (by file name and by digest), a symlink to a layer, a directory and symlink loops to point at.
func FuzzOpenArchive(f *testing.F) {
	p := fuzzImage(f)
	f.Add(p.manifest)
	two := strings.Replace(string(p.manifest), `"Layers":[`, `"Layers":["link.tar.gz",`, 1)
	f.Add([]byte(two))
	f.Add([]byte(`[{"Config":"` + p.configHex + `.json","RepoTags":["a:1"],"Layers":["blobs/sha256/` + p.layerHexes[0] + `","blobs/sha256/` + p.layerHexes[1] + `"]}]`))
	f.Add([]byte(`[{"Config":"../../../etc/passwd","Layers":[]}]`))
	f.Add([]byte(`[{"Config":"manifest.json","Layers":["manifest.json"]}]`))
	f.Add([]byte(`[{"Config":"` + p.configHex + `.json","Layers":["dir","loop"]}]`))
	f.Add([]byte(`[{"Config":"empty.json","Layers":[]},{"Config":"x","RepoTags":["b:2"]}]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{}`))
	files := map[string][]byte{
		p.configHex + ".json":         p.config,
		"empty.json":                  []byte("{}"),
		"dir/":                        nil,
		"blobs/sha256/" + p.configHex: p.config,
	}
	for i, l := range p.layers {
		files[p.layerHexes[i]+".tar.gz"] = l
		files["blobs/sha256/"+p.layerHexes[i]] = l
	}
	links := map[string]string{"link.tar.gz": p.layerHexes[0] + ".tar.gz", "loop": "loop2", "loop2": "loop", "up": "../../../etc/passwd"}
	// One archive path per fuzzing process, rewritten by each run (runs within a process are sequential).
	base := f.TempDir()
	archive := filepath.Join(base, "app.tar")
	f.Fuzz(func(t *testing.T, manifest []byte) {
		if len(manifest) > maxFuzzInput {
			return
		}
		all := map[string][]byte{"manifest.json": manifest}
		for n, b := range files {
			all[n] = b
		}
		if err := os.WriteFile(archive, tarOf(t, all, links), 0o644); err != nil {
			t.Fatal(err)
		}
		img, err := openDockerArchive(archive, "", OpenOptions{TempDir: base})
		if err != nil {
			if img != nil {
				t.Fatalf("both an image and an error: %v", err)
			}
			checkOpenError(t, err)
			return
		}
		defer img.Close()
		if len(img.Layers) != len(img.Config.RootFS.DiffIDs) || len(img.Source.Layers) != len(img.Layers) {
			t.Fatalf("%d layers, %d diff_ids, %d layer refs", len(img.Layers), len(img.Config.RootFS.DiffIDs), len(img.Source.Layers))
		}
		if err := readImage(img); err != nil {
			checkOpenError(t, err)
		}
	})
}

// FuzzOpenLayout fuzzes an OCI layout's index.json and an image manifest it may point to. "{{M}}" in the index
// stands for the digest of the fuzzed manifest, which is stored as a blob, so the fuzzer can reach the manifest
// parser through a digest that checks.
func FuzzOpenLayout(f *testing.F) {
	p := fuzzImage(f)
	realSum := sha256.Sum256(p.ociMan)
	realDigest := "sha256:" + hex.EncodeToString(realSum[:])
	desc := func(mt, digest string, size int, extra string) string {
		return fmt.Sprintf(`{"mediaType":%q,"digest":%q,"size":%d%s}`, mt, digest, size, extra)
	}
	index := func(ds ...string) []byte {
		return []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` + strings.Join(ds, ",") + `]}`)
	}
	const imgMT, idxMT = "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"
	f.Add(index(desc(imgMT, realDigest, len(p.ociMan), `,"annotations":{"org.opencontainers.image.ref.name":"1.0"}`)), p.ociMan)
	f.Add(index(desc(imgMT, "{{M}}", 0, "")), p.ociMan)
	f.Add(index(desc(imgMT, "{{M}}", 0, `,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}`),
		desc(imgMT, realDigest, 0, `,"platform":{"os":"linux","architecture":"amd64"}`),
		desc(imgMT, realDigest, 0, `,"platform":{"os":"unknown","architecture":"unknown"}`)), p.ociMan)
	// The fuzzed blob as a nested index that lists the real image.
	f.Add(index(desc(idxMT, "{{M}}", 0, "")), index(desc(imgMT, realDigest, 0, `,"platform":{"os":"linux","architecture":"amd64"}`)))
	f.Add(index(desc(idxMT, "{{M}}", 0, "")), index(desc(idxMT, "{{M}}", 0, "")))
	f.Add(index(desc(idxMT, "{{M}}", 0, "")), index()) // a nested index that lists nothing
	f.Add(index(desc(imgMT, "{{M}}", 0, "")), []byte(`{"schemaVersion":2,"config":{"digest":"sha256:`+p.configHex+`"},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:`+p.layerHexes[0]+`"}]}`))
	f.Add(index(desc(imgMT, "{{M}}", 0, "")), []byte(`{"config":{"digest":"sha256:`+p.layerHexes[0]+`"},"layers":[]}`))
	f.Add(index(desc(imgMT, "sha512:"+strings.Repeat("ab", 64), 0, "")), []byte("{}"))
	f.Add([]byte(`{"manifests":null}`), []byte(""))
	f.Add([]byte(`[]`), []byte("null"))
	// One layout per fuzzing process, holding the real image's blobs; each run writes its index.json and its
	// manifest blob, and removes the blob afterwards (runs within a process are sequential).
	dir := f.TempDir()
	blobDir := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobDir, 0o755); err != nil {
		f.Fatal(err)
	}
	blobs := map[string][]byte{p.configHex: p.config, hex.EncodeToString(realSum[:]): p.ociMan}
	for i, l := range p.layers {
		blobs[p.layerHexes[i]] = l
	}
	for h, b := range blobs {
		if err := os.WriteFile(filepath.Join(blobDir, h), b, 0o644); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, index, manifest []byte) {
		if len(index) > maxFuzzInput || len(manifest) > maxFuzzInput {
			return
		}
		sum := sha256.Sum256(manifest)
		mhex := hex.EncodeToString(sum[:])
		if _, real := blobs[mhex]; !real {
			mpath := filepath.Join(blobDir, mhex)
			if err := os.WriteFile(mpath, manifest, 0o644); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(mpath)
		}
		index = bytes.ReplaceAll(index, []byte("{{M}}"), []byte("sha256:"+mhex))
		if err := os.WriteFile(filepath.Join(dir, "index.json"), index, 0o644); err != nil {
			t.Fatal(err)
		}
		// As a scan opens it: plainly, for a platform, by tag and by the digest of the fuzzed manifest.
		for _, o := range []struct {
			sel      refSelector
			platform string
		}{{}, {platform: "linux/arm64"}, {sel: refSelector{tag: "1.0"}}, {sel: refSelector{digest: "sha256:" + mhex}}} {
			img, err := openLayout(dir, o.sel, OpenOptions{Platform: o.platform})
			if err != nil {
				if img != nil {
					t.Fatalf("both an image and an error: %v", err)
				}
				checkOpenError(t, err)
				continue
			}
			if len(img.Layers) != len(img.Config.RootFS.DiffIDs) {
				t.Fatalf("%d layers, %d diff_ids", len(img.Layers), len(img.Config.RootFS.DiffIDs))
			}
			if err := readImage(img); err != nil {
				checkOpenError(t, err)
			}
			img.Close()
		}
	})
}

// FuzzLayerStream feeds arbitrary bytes as a stored layer blob through decompression, the cap, the digest checks
// and the walker. mode picks what the image claims about the blob: nothing, or a diff_id or digest that cannot
// match — then the walk must fail, since reading to the end is what verifies a layer.
func FuzzLayerStream(f *testing.F) {
	plain := testimage.Tar(testimage.File{Name: "etc/os-release", Body: "ID=debian\n"}, testimage.File{Name: "b", Body: "two"})
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	bomb := testimage.Tar(testimage.File{Name: "zeros", Body: strings.Repeat("\x00", 1<<20)})
	zst := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x00, 0x01, 0x00, 0x00} // an empty zstd frame
	for _, s := range [][]byte{plain, gz(plain), gz(bomb), append(gz(plain), gz(plain)...), append(gz(plain), "trailing junk"...),
		gz(plain)[:40], zst, append(zst, plain...), {0x1f, 0x8b}, {}} {
		for mode := byte(0); mode < 3; mode++ {
			f.Add(s, mode)
		}
	}
	const wrong = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	f.Fuzz(func(t *testing.T, blob []byte, mode byte) {
		if len(blob) > maxFuzzInput {
			return
		}
		l := &Layer{Ref: testLayerRef(mode%3, wrong), open: func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(blob)), nil
		}}
		st, err := l.Uncompressed(256 << 10)
		if err != nil {
			checkOpenError(t, err)
			return
		}
		_, err = WalkLayer(st, WalkOptions{Name: l.Name(), Want: fuzzCap}, func(p string, r io.Reader, size int64) error {
			n, err := io.Copy(io.Discard, r)
			if err != nil || n != size {
				t.Fatalf("%s: read %d of %d bytes: %v", p, n, size, err)
			}
			return nil
		})
		st.Close()
		if err != nil {
			checkOpenError(t, err)
			return
		}
		if mode%3 != 0 {
			t.Fatalf("a layer whose %s cannot match was read without an error", map[byte]string{1: "diff_id", 2: "digest"}[mode%3])
		}
		sum := sha256.Sum256(blob)
		if want := "sha256:" + hex.EncodeToString(sum[:]); st.BlobDigest() != want {
			t.Fatalf("blob digest %q after a successful read, want %s: the stored blob was not read to its end", st.BlobDigest(), want)
		}
	})
}

func testLayerRef(mode byte, wrong string) (r model.LayerRef) {
	switch mode {
	case 1:
		r.DiffID = wrong
	case 2:
		r.Digest = wrong
	}
	return r
}
