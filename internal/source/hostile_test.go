package source

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hullscan/hullscan/internal/testimage"
)

// Regression tests for what the fuzz targets of fuzz_test.go found, and for hostile images that need more
// structure than a fuzzer builds by chance.

// A hard link is handed to the FileFunc under the link's cap, not the cap its target was captured under.
func TestWalkLayerHardLinkHonoursItsOwnCap(t *testing.T) {
	tb := testimage.Tar(
		testimage.File{Name: "big/target", Body: strings.Repeat("x", 100)},
		testimage.File{Name: "small", Type: tar.TypeLink, Linkname: "big/target"},
	)
	caps := map[string]int64{"/big/target": 1000, "/small": 10}
	got := map[string]int{}
	res, err := WalkLayer(bytes.NewReader(tb), WalkOptions{Name: "layer 0", Want: func(p string) (int64, bool) {
		c, ok := caps[p]
		return c, ok
	}}, func(p string, r io.Reader, size int64) error {
		b, err := io.ReadAll(r)
		got[p] = len(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got["/big/target"] != 100 {
		t.Errorf("target not read: %v", got)
	}
	if _, ok := got["/small"]; ok {
		t.Errorf("hard link handed 100 bytes over its 10-byte cap")
	}
	if !containsSub(res.Warnings, "/small is 100 bytes, over the 10-byte cap") {
		t.Errorf("no cap warning naming the link: %q", res.Warnings)
	}
}

// The merged tree does not depend on map iteration order when one layer holds both "/a" as a non-directory and
// "/a/b" (Go randomises map order on every range, so 50 rounds of the old code failed almost surely).
func TestTreeApplyIsDeterministic(t *testing.T) {
	layer := idx(map[string]Entry{
		"/etc":            sym("/"),
		"/etc/os-release": file,
		"/lib":            file,
		"/lib/x/y":        file,
		"/var":            dir,
		"/var/run":        sym("../run"),
		"/var/run/pid":    file,
	}, nil, nil)
	var first string
	for i := 0; i < 50; i++ {
		tr := NewTree()
		tr.Apply(0, layer)
		if d := treeDump(tr); i == 0 {
			first = d
		} else if d != first {
			t.Fatalf("round %d gave another tree:\n%s\n---\n%s", i, d, first)
		}
	}
	// Parents sort before their children, so the directory a child needs replaces the non-directory.
	tr := NewTree()
	tr.Apply(0, layer)
	for _, p := range []string{"/etc/os-release", "/lib/x/y", "/var/run/pid"} {
		if _, _, ok := tr.Lookup(p); !ok {
			t.Errorf("%s missing", p)
		}
	}
}

// writeBlob stores b in an OCI layout's blob store and returns its descriptor.
func writeBlob(t *testing.T, dir, mediaType string, b []byte, platform *v1.Platform) v1.Descriptor {
	t.Helper()
	sum := sha256.Sum256(b)
	h := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", h.Hex), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return v1.Descriptor{MediaType: types.MediaType(mediaType), Digest: h, Size: int64(len(b)), Platform: platform}
}

func indexJSON(t *testing.T, ds ...v1.Descriptor) []byte {
	t.Helper()
	b, err := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: "application/vnd.oci.image.index.v1+json", Manifests: ds})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const ociIndexType = "application/vnd.oci.image.index.v1+json"

func TestLayoutHostileIndexes(t *testing.T) {
	img := sampleImage()
	base := t.TempDir()
	testimage.WriteOCILayout(t, base, "", img)
	realIdx, err := os.ReadFile(filepath.Join(base, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var im v1.IndexManifest
	if err := json.Unmarshal(realIdx, &im); err != nil {
		t.Fatal(err)
	}
	imageDesc := im.Manifests[0]
	attestation := imageDesc
	attestation.Platform = &v1.Platform{OS: "unknown", Architecture: "unknown"}

	// layoutWith returns a copy of the real layout whose index.json lists one nested index built by build.
	layoutWith := func(name string, build func(dir string) v1.Descriptor) string {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.CopyFS(dir, os.DirFS(base)); err != nil {
			t.Fatal(err)
		}
		top := build(dir)
		if err := os.WriteFile(filepath.Join(dir, "index.json"), indexJSON(t, top), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	cases := []struct {
		name  string
		build func(dir string) v1.Descriptor
		want  string
	}{
		{"empty nested index", func(dir string) v1.Descriptor {
			return writeBlob(t, dir, ociIndexType, indexJSON(t), nil)
		}, "lists no image manifest"},
		{"only attestations", func(dir string) v1.Descriptor {
			return writeBlob(t, dir, ociIndexType, indexJSON(t, attestation), nil)
		}, "lists no image manifest"},
		// 16 copies of an index of 16 copies of ... five levels deep: a million image manifests from 70 kB of
		// blobs, unless the walk is bounded.
		{"fan-out", func(dir string) v1.Descriptor {
			d := imageDesc
			d.Platform = &v1.Platform{OS: "linux", Architecture: "amd64"}
			for level := 0; level < 5; level++ {
				kids := make([]v1.Descriptor, 16)
				for i := range kids {
					kids[i] = d
				}
				d = writeBlob(t, dir, ociIndexType, indexJSON(t, kids...), nil)
			}
			return d
		}, "too many"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := layoutWith(strings.ReplaceAll(c.name, " ", "-"), c.build)
			img, err := openLayout(dir, refSelector{}, OpenOptions{})
			if err == nil {
				img.Close()
				t.Fatal("opened, want an input error")
			}
			if !IsInputError(err) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an input error saying %q, got %.300s", c.want, err)
			}
			if len(err.Error()) > 2000 {
				t.Errorf("error message is %d bytes long", len(err.Error()))
			}
		})
	}
}

// A layout whose blob path is a directory (a broken copy) is an input error, not an internal one.
func TestLayoutBlobIsADirectory(t *testing.T) {
	img := sampleImage()
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	layer, err := ls[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]v1.Hash{"config": cfg, "layer": layer} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			testimage.WriteOCILayout(t, dir, "", img)
			blob := filepath.Join(dir, "blobs", "sha256", h.Hex)
			if err := os.Remove(blob); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(blob, 0o755); err != nil {
				t.Fatal(err)
			}
			err := openAndRead("oci:"+dir, OpenOptions{})
			if err == nil || !IsInputError(err) || !strings.Contains(err.Error(), h.Hex) {
				t.Fatalf("want an input error naming the blob, got %v", err)
			}
		})
	}
}

// rewriteTarMember returns the tar in b with member name's content replaced.
func rewriteTarMember(t *testing.T, b []byte, name string, content []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	tr := tar.NewReader(bytes.NewReader(b))
	found := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == name {
			body, h.Size, found = content, int64(len(content)), true
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("no member %s", name)
	}
	return out.Bytes()
}

// A docker-archive names its layers by file, not digest: the config's diff_id is the only check, and a layer file
// swapped for other valid gzip content must fail it.
func TestDockerArchiveLayerDoesNotMatchDiffID(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tar")
	testimage.WriteDockerArchive(t, good, "app:1", sampleImage())
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := openTarFile(good)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := tf.ReadFile("manifest.json", maxManifestSize)
	tf.Close()
	if err != nil {
		t.Fatal(err)
	}
	var m tarball.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	other, err := testimage.Layer(testimage.File{Name: "etc/os-release", Body: "ID=evil\n"}).Compressed()
	if err != nil {
		t.Fatal(err)
	}
	ob, err := io.ReadAll(other)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range m[0].Layers {
		t.Run(fmt.Sprintf("layer %d", i), func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad.tar")
			if err := os.WriteFile(bad, rewriteTarMember(t, raw, l, ob), 0o644); err != nil {
				t.Fatal(err)
			}
			// Opening reads no layer; reading the swapped one to its end must fail, naming the layer.
			err := openAndRead(bad, OpenOptions{})
			want := fmt.Sprintf("layer %d (", i)
			if err == nil || !IsInputError(err) || !strings.Contains(err.Error(), "does not match its diff_id") || !strings.Contains(err.Error(), want) {
				t.Fatalf("want an input error naming %q and the diff_id, got %v", want, err)
			}
		})
	}
}
