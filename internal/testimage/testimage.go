// Package testimage builds container images for tests: layers from file lists or from the difference of two real
// directory trees (with whiteouts and opaque directories), written as docker-archives, OCI layouts, or pushed to
// an in-process registry. Only tests import it; nothing here is part of hullscan's scan path.
package testimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// File is one tar entry of a synthetic layer.
type File struct {
	Name     string
	Body     string
	Type     byte // tar.TypeReg when zero
	Linkname string
	Mode     int64
}

// Epoch is the fixed mtime of synthetic entries, so the same files give the same layer digest.
var Epoch = time.Unix(1700000000, 0).UTC()

// Tar returns the bytes of an uncompressed tar holding files, in order.
func Tar(files ...File) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.Name, Typeflag: f.Type, Linkname: f.Linkname, Mode: f.Mode, ModTime: Epoch}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(f.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			panic(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(f.Body)); err != nil {
				panic(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Layer makes a gzip-compressed layer from files.
func Layer(files ...File) v1.Layer {
	return LayerFromTar(Tar(files...))
}

// LayerFromTar makes a gzip-compressed layer from an uncompressed tar.
func LayerFromTar(b []byte) v1.Layer {
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		panic(err)
	}
	return l
}

// Image stacks layers on an empty image, with one history entry per layer (createdBy[i], when given).
func Image(layers []v1.Layer, createdBy ...string) v1.Image {
	img := empty.Image
	var adds []mutate.Addendum
	for i, l := range layers {
		h := v1.History{Created: v1.Time{Time: Epoch}}
		if i < len(createdBy) {
			h.CreatedBy = createdBy[i]
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: h})
	}
	img, err := mutate.Append(img, adds...)
	if err != nil {
		panic(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		panic(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Created = v1.Time{Time: Epoch}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		panic(err)
	}
	return img
}

// WriteDockerArchive writes img as a docker-archive tagged tag.
func WriteDockerArchive(t testing.TB, path, tag string, img v1.Image) {
	t.Helper()
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(path, ref, img); err != nil {
		t.Fatal(err)
	}
}

// WriteMultiDockerArchive writes several tagged images into one docker-archive.
func WriteMultiDockerArchive(t testing.TB, path string, imgs map[string]v1.Image) {
	t.Helper()
	refs := map[name.Tag]v1.Image{}
	for tag, img := range imgs {
		ref, err := name.NewTag(tag)
		if err != nil {
			t.Fatal(err)
		}
		refs[ref] = img
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := tarball.MultiWrite(refs, f); err != nil {
		t.Fatal(err)
	}
}

// WriteOCILayout writes img into an OCI layout directory with the ref-name annotation tag ("" for none).
func WriteOCILayout(t testing.TB, dir, tag string, img v1.Image) {
	t.Helper()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	var opts []layout.Option
	if tag != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag}))
	}
	if err := p.AppendImage(img, opts...); err != nil {
		t.Fatal(err)
	}
}

// TarDir writes the tree under dir into a tar file at path (used for OCI layouts as tars).
func TarDir(t testing.TB, dir, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		h, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = tw.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

// Registry starts an in-process registry on 127.0.0.1 and returns its host:port. It stops with the test.
func Registry(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(discardLogger())))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// Push writes img to ref (e.g. "127.0.0.1:port/app:1") over plain HTTP.
func Push(t testing.TB, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

// DiffTrees returns the uncompressed tar of a layer that turns tree lower into tree upper: entries new or changed
// in upper, ".wh." whiteouts for entries gone from upper, and an opaque marker for each directory of upper listed
// in opaque (whose lower content is then all hidden). lower == "" means an empty lower tree (a base layer).
func DiffTrees(lower, upper string, opaque []string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	opq := map[string]bool{}
	for _, d := range opaque {
		opq[filepath.Clean(d)] = true
	}
	var paths []string
	err := filepath.Walk(upper, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	inodes := map[uint64]string{}
	for _, p := range paths {
		rel, _ := filepath.Rel(upper, p)
		if rel == "." {
			continue
		}
		info, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		changed := lower == "" || opaqueParent(rel, opq)
		if !changed {
			li, err := os.Lstat(filepath.Join(lower, rel))
			changed = err != nil || differs(info, li, p, filepath.Join(lower, rel))
		}
		if !changed {
			continue
		}
		if err := writeEntry(tw, p, rel, info, inodes); err != nil {
			return nil, err
		}
		if info.IsDir() && opq[rel] {
			if err := tw.WriteHeader(&tar.Header{Name: rel + "/.wh..wh..opq", Typeflag: tar.TypeReg, ModTime: Epoch}); err != nil {
				return nil, err
			}
		}
	}
	if lower != "" {
		var gone []string
		err := filepath.Walk(lower, func(p string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(lower, p)
			if rel == "." {
				return nil
			}
			if _, err := os.Lstat(filepath.Join(upper, rel)); os.IsNotExist(err) {
				gone = append(gone, rel)
				if info.IsDir() {
					return filepath.SkipDir // one whiteout hides the whole directory
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, rel := range gone {
			if opaqueParent(rel, opq) {
				continue
			}
			wh := filepath.Join(filepath.Dir(rel), ".wh."+filepath.Base(rel))
			if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(wh), Typeflag: tar.TypeReg, ModTime: Epoch}); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func opaqueParent(rel string, opq map[string]bool) bool {
	for d := filepath.Dir(rel); d != "." && d != "/"; d = filepath.Dir(d) {
		if opq[d] {
			return true
		}
	}
	return false
}

func differs(a, b os.FileInfo, pa, pb string) bool {
	if a.Mode() != b.Mode() || a.Size() != b.Size() || !a.ModTime().Equal(b.ModTime()) {
		return true
	}
	if a.Mode()&os.ModeSymlink != 0 {
		la, _ := os.Readlink(pa)
		lb, _ := os.Readlink(pb)
		return la != lb
	}
	if a.Mode().IsRegular() && !a.ModTime().Equal(b.ModTime()) {
		return true
	}
	return false
}

func writeEntry(tw *tar.Writer, p, rel string, info os.FileInfo, inodes map[uint64]string) error {
	link := ""
	if info.Mode()&os.ModeSymlink != 0 {
		var err error
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	h, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	h.Name = filepath.ToSlash(rel)
	if info.IsDir() {
		h.Name += "/"
	}
	h.Uname, h.Gname = "", ""
	if ino, nlink := inode(info); info.Mode().IsRegular() && nlink > 1 {
		if first, ok := inodes[ino]; ok {
			h.Typeflag, h.Linkname, h.Size = tar.TypeLink, first, 0
			return tw.WriteHeader(h)
		}
		inodes[ino] = h.Name
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if info.Mode().IsRegular() {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	}
	return nil
}

// FixtureDir is where scripts/debian-fixture.sh keeps the real Debian trees.
func FixtureDir() string {
	if d := os.Getenv("HULLSCAN_FIXTURE_DIR"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "hullscan-fixtures", "debian12")
}

// RequireFixture skips the test when the Debian fixture is absent, except under CI, where it must exist (.ci/run
// builds it): a skipped integration test in CI would hide a regression.
func RequireFixture(t testing.TB) string {
	t.Helper()
	d := FixtureDir()
	if _, err := os.Stat(filepath.Join(d, "done")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Debian fixture missing at %s: .ci/run must build it (scripts/debian-fixture.sh)", d)
		}
		t.Skipf("Debian fixture missing at %s: run `sudo scripts/debian-fixture.sh` (needs debootstrap and Debian's mirror)", d)
	}
	return d
}

// DebianLayers returns the three Debian fixture layers as uncompressed tars: the debootstrap tree, the
// apt-installed packages, and the purge/removal layer (with whiteouts and an opaque /etc/ssl/certs).
func DebianLayers(t testing.TB) [][]byte {
	t.Helper()
	d := RequireFixture(t)
	a, err := DiffTrees("", filepath.Join(d, "a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := DiffTrees(filepath.Join(d, "a"), filepath.Join(d, "b"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := DiffTrees(filepath.Join(d, "b"), filepath.Join(d, "c"), []string{"etc/ssl/certs"})
	if err != nil {
		t.Fatal(err)
	}
	return [][]byte{a, b, c}
}

// DebianCreatedBy is the history of the Debian fixture image.
var DebianCreatedBy = []string{
	"debootstrap --variant=minbase bookworm",
	"RUN apt-get install -y --no-install-recommends curl ca-certificates libxml2 python3-minimal zlib1g-dev openssl",
	"RUN dpkg --purge libxml2 && rm -rf /usr/share/doc/* /usr/share/man && replace /etc/ssl/certs",
}

// ReadLines reads a file of lines (the fixture's dpkg-query outputs).
func ReadLines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// DebianLayout returns an OCI layout of the three-layer Debian fixture image, built once from the fixture trees
// and kept beside them (building it diffs ~200 MB of files and gzips them; tests share the result).
func DebianLayout(t testing.TB) string {
	t.Helper()
	d := RequireFixture(t)
	dir := filepath.Join(d, "oci")
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err == nil {
		return dir
	}
	var layers []v1.Layer
	for _, b := range DebianLayers(t) {
		layers = append(layers, LayerFromTar(b))
	}
	img := Image(layers, DebianCreatedBy...)
	tmp, err := os.MkdirTemp(d, "oci-tmp-")
	if err != nil {
		t.Fatal(err)
	}
	WriteOCILayout(t, tmp, "debian:fixture", img)
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if _, serr := os.Stat(filepath.Join(dir, "index.json")); serr != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// RequireFixtureDir returns ~/.cache/hullscan-fixtures/<name> (or $HULLSCAN_FIXTURES/<name>) when the script that
// builds it (scripts/fixtures/<name>.sh) has finished there (it writes a "done" file last). Like RequireFixture it
// skips outside CI and fails in CI, where .ci/run builds every fixture.
func RequireFixtureDir(t testing.TB, name string) string {
	t.Helper()
	root := os.Getenv("HULLSCAN_FIXTURES")
	if root == "" {
		home, _ := os.UserHomeDir()
		root = filepath.Join(home, ".cache", "hullscan-fixtures")
	}
	d := filepath.Join(root, name)
	if _, err := os.Stat(filepath.Join(d, "done")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("fixture %s missing at %s: .ci/run must build it (scripts/fixtures/%s.sh)", name, d, name)
		}
		t.Skipf("fixture %s missing at %s: run scripts/fixtures/%s.sh", name, d, name)
	}
	return d
}

// VulnData returns the shared advisory data (../shared/vulndata beside the repository, or $HULLSCAN_VULNDATA).
// Like RequireFixture it skips outside CI and fails in CI, which has the data.
func VulnData(t testing.TB) string {
	t.Helper()
	d := os.Getenv("HULLSCAN_VULNDATA")
	if d == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for dir := wd; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				d = filepath.Join(filepath.Dir(dir), "shared", "vulndata")
				break
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if _, err := os.Stat(filepath.Join(d, "osv")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("advisory data missing at %q: CI must provide ../shared/vulndata (or set HULLSCAN_VULNDATA)", d)
		}
		t.Skipf("advisory data missing at %q: put the shared vulndata beside the repository or set HULLSCAN_VULNDATA", d)
	}
	return d
}

// AppCreatedBy is the history entry of the application layer AppImage adds.
const AppCreatedBy = "COPY app /app # buildkit"

// AppImage returns the Debian fixture image with a fourth layer holding a real Node.js project at /app: the
// package.json and package-lock.json of the npm-v3 fixture (express, axios, lodash, minimist... at deliberately
// old, vulnerable versions). It is what a team ships: an OS with a few unpatched packages and an application
// with vulnerable dependencies, each brought by its own layer. Both fixtures are required (see RequireFixture).
func AppImage(t testing.TB) v1.Image {
	t.Helper()
	node := RequireFixtureDir(t, "node")
	idx, err := layout.ImageIndexFromPath(DebianLayout(t))
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) == 0 {
		t.Fatalf("Debian layout: %v", err)
	}
	base, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	var files []File
	for _, name := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(node, "npm-v3", name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, File{Name: "app/" + name, Body: string(b)})
	}
	img, err := mutate.Append(base, mutate.Addendum{Layer: Layer(files...), History: v1.History{Created: v1.Time{Time: Epoch}, CreatedBy: AppCreatedBy}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}
