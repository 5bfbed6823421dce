package source

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/hullscan/hullscan/internal/testimage"
)

func sampleImage() v1.Image {
	return testimage.Image([]v1.Layer{
		testimage.Layer(testimage.File{Name: "etc/os-release", Body: "ID=alpine\n"}, testimage.File{Name: "a", Body: "one"}),
		testimage.Layer(testimage.File{Name: ".wh.a"}, testimage.File{Name: "b", Body: "two"}),
	}, "ADD rootfs /", "RUN rm a")
}

// readAll reads every layer of img to EOF through the verifying stream and returns the file contents seen.
func readAll(t *testing.T, img *Image) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, l := range img.Layers {
		st, err := l.Uncompressed(0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = WalkLayer(st, WalkOptions{Name: l.Name(), Want: func(string) (int64, bool) { return 1 << 20, true }},
			func(p string, r io.Reader, _ int64) error {
				b, err := io.ReadAll(r)
				got[p] = string(b)
				return err
			})
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if l.Ref.Digest != "" && st.BlobDigest() != l.Ref.Digest {
			t.Errorf("%s: blob digest %s", l.Name(), st.BlobDigest())
		}
	}
	return got
}

func TestOpenAllTransportsAgree(t *testing.T) {
	img := sampleImage()
	dir := t.TempDir()
	arch := filepath.Join(dir, "app.tar")
	testimage.WriteDockerArchive(t, arch, "example.com/app:1.0", img)
	gz := filepath.Join(dir, "app.tar.gz")
	gzipFile(t, arch, gz)
	lay := filepath.Join(dir, "layout")
	testimage.WriteOCILayout(t, lay, "1.0", img)
	layTar := filepath.Join(dir, "layout.tar")
	testimage.TarDir(t, lay, layTar)
	host := testimage.Registry(t)
	testimage.Push(t, host+"/app:1.0", img)

	wantDigest, _ := img.Digest()
	targets := []string{arch, gz, arch + ":example.com/app:1.0", "oci:" + lay, "oci:" + lay + ":1.0", "oci:" + layTar,
		"oci:" + lay + "@" + wantDigest.String(), host + "/app:1.0", host + "/app@" + wantDigest.String()}
	var first []string
	for _, arg := range targets {
		t.Run(arg, func(t *testing.T) {
			tg, err := ParseTarget(arg)
			if err != nil {
				t.Fatal(err)
			}
			im, err := OpenImage(context.Background(), tg, OpenOptions{Insecure: true, BlobCacheDir: filepath.Join(dir, "blobs")})
			if err != nil {
				t.Fatal(err)
			}
			defer im.Close()
			if len(im.Layers) != 2 || im.Layers[1].Ref.CreatedBy != "RUN rm a" {
				t.Fatalf("layers: %+v", im.Source.Layers)
			}
			got := readAll(t, im)
			if got["/etc/os-release"] != "ID=alpine\n" || got["/b"] != "two" {
				t.Errorf("content %v", got)
			}
			var ids []string
			for _, l := range im.Layers {
				ids = append(ids, l.Ref.DiffID)
			}
			if first == nil {
				first = ids
			} else if !reflect.DeepEqual(ids, first) {
				t.Errorf("diff ids %v, first target had %v", ids, first)
			}
		})
	}
	// The blob cache now holds both layers: a second registry read must not need the registry's blobs.
	ents, _ := filepath.Glob(filepath.Join(dir, "blobs", "sha256", "*"))
	if len(ents) != 2 {
		t.Errorf("blob cache holds %d blobs, want 2", len(ents))
	}
}

func gzipFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	if err := os.WriteFile(to, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMultiImageArchive(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "multi.tar")
	one := testimage.Image([]v1.Layer{testimage.Layer(testimage.File{Name: "one", Body: "1"})})
	two := testimage.Image([]v1.Layer{testimage.Layer(testimage.File{Name: "two", Body: "2"})})
	testimage.WriteMultiDockerArchive(t, p, map[string]v1.Image{"app:one": one, "app:two": two})
	if _, err := OpenImage(context.Background(), Target{Kind: DockerArchive, Path: p, Arg: p}, OpenOptions{}); err == nil ||
		!strings.Contains(err.Error(), "holds 2 images") {
		t.Fatalf("ambiguous archive: %v", err)
	}
	tg, err := ParseTarget(p + ":app:two")
	if err != nil {
		t.Fatal(err)
	}
	img, err := OpenImage(context.Background(), tg, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if got := readAll(t, img); got["/two"] != "2" || len(got) != 1 {
		t.Errorf("picked the wrong image: %v", got)
	}
}

// TestBadInput: every broken input gives one clear input error, never a panic.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	img := sampleImage()
	good := filepath.Join(dir, "good.tar")
	testimage.WriteDockerArchive(t, good, "app:1", img)
	raw, _ := os.ReadFile(good)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// An OCI layout whose first layer blob was swapped for other (valid gzip) content.
	swapped := filepath.Join(dir, "swapped")
	testimage.WriteOCILayout(t, swapped, "", img)
	ls, _ := img.Layers()
	d0, _ := ls[0].Digest()
	other, _ := testimage.Layer(testimage.File{Name: "x", Body: "evil"}).Compressed()
	ob, _ := io.ReadAll(other)
	os.WriteFile(filepath.Join(swapped, "blobs", "sha256", d0.Hex), ob, 0o644)
	// A layout missing a layer blob.
	missing := filepath.Join(dir, "missing")
	testimage.WriteOCILayout(t, missing, "", img)
	os.Remove(filepath.Join(missing, "blobs", "sha256", d0.Hex))
	// A layer with a media type nobody knows.
	odd, _ := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(testimage.Tar(testimage.File{Name: "a", Body: "a"}))), nil
	}, tarball.WithMediaType("application/vnd.example.encrypted+tar"))
	oddDir := filepath.Join(dir, "odd")
	testimage.WriteOCILayout(t, oddDir, "", testimage.Image([]v1.Layer{odd}))

	cases := []struct{ arg, want string }{
		{write("trunc.tar", raw[:len(raw)/2]), "truncated"},
		{write("junk.tar", bytes.Repeat([]byte("not an image at all "), 100)), "not a tar archive"},
		{write("empty.tar", testimage.Tar(testimage.File{Name: "hello.txt", Body: "hi"})), "not an image archive"},
		{"oci:" + swapped, "does not match its digest"},
		{"oci:" + missing, "missing"},
		{"oci:" + oddDir, `unknown media type "application/vnd.example.encrypted+tar"`},
		{"oci:" + dir, "not an OCI layout"},
		{"127.0.0.1:1/app:1", "unreachable"},
		{"./nope.tar", "no such file"},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.arg), func(t *testing.T) {
			err := openAndRead(c.arg, OpenOptions{})
			if err == nil || !IsInputError(err) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want input error containing %q, got %v", c.want, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func openAndRead(arg string, opts OpenOptions) error {
	tg, err := ParseTarget(arg)
	if err != nil {
		return err
	}
	img, err := OpenImage(context.Background(), tg, opts)
	if err != nil {
		return err
	}
	defer img.Close()
	for _, l := range img.Layers {
		st, err := l.Uncompressed(1 << 20)
		if err != nil {
			return err
		}
		_, err = WalkLayer(st, WalkOptions{Name: l.Name()}, nil)
		st.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func TestDecompressionBombCapped(t *testing.T) {
	// 64 MiB of zeros compresses to ~64 KiB; the 1 MiB cap must stop it.
	bomb := testimage.Tar(testimage.File{Name: "zeros", Body: strings.Repeat("\x00", 64<<20)})
	img := testimage.Image([]v1.Layer{testimage.LayerFromTar(bomb)})
	dir := t.TempDir()
	testimage.WriteOCILayout(t, dir, "", img)
	err := openAndRead("oci:"+dir, OpenOptions{})
	if err == nil || !IsInputError(err) || !strings.Contains(err.Error(), "exceeds the cap") {
		t.Fatalf("bomb: %v", err)
	}
}

func TestRegistryBadCredentials(t *testing.T) {
	reg := registry.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "ci" || p != "secret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	cfgDir := t.TempDir()
	writeDockerConfig(t, cfgDir, u.Host, "ci", "wrong")
	t.Setenv("DOCKER_CONFIG", cfgDir)
	err := openAndRead(u.Host+"/app:1", OpenOptions{Insecure: true})
	if err == nil || !IsInputError(err) || !strings.Contains(err.Error(), "access denied") || !strings.Contains(err.Error(), "credentials") {
		t.Fatalf("bad credentials: %v", err)
	}
	// The right credentials from config.json get through (to a 404: nothing was pushed).
	writeDockerConfig(t, cfgDir, u.Host, "ci", "secret")
	err = openAndRead(u.Host+"/app:1", OpenOptions{Insecure: true})
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("good credentials: %v", err)
	}
}

func writeDockerConfig(t *testing.T, dir, host, user, pass string) {
	t.Helper()
	cfg := map[string]any{"auths": map[string]any{host: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))}}}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestParseTarget(t *testing.T) {
	dir := t.TempDir()
	arch := filepath.Join(dir, "app.tar")
	os.WriteFile(arch, nil, 0o644)
	for _, c := range []struct {
		arg  string
		want Target
	}{
		{arch, Target{Kind: DockerArchive, Path: arch}},
		{arch + ":repo/app:1", Target{Kind: DockerArchive, Path: arch, Tag: "repo/app:1"}},
		{"docker-archive:" + arch + ":v2", Target{Kind: DockerArchive, Path: arch, Tag: "v2"}},
		{"oci:" + dir, Target{Kind: OCILayout, Path: dir}},
		{"oci:" + dir + ":v1", Target{Kind: OCILayout, Path: dir, Tag: "v1"}},
		{"oci:" + dir + "@sha256:abc", Target{Kind: OCILayout, Path: dir, Digest: "sha256:abc"}},
		{"rootfs:" + dir, Target{Kind: RootFS, Path: dir}},
		{dir, Target{Kind: Directory, Path: dir}},
		{"registry.example.com/app:1.4", Target{Kind: Registry, Ref: "registry.example.com/app:1.4"}},
		{"alpine", Target{Kind: Registry, Ref: "alpine"}},
	} {
		got, err := ParseTarget(c.arg)
		c.want.Arg = c.arg
		if err != nil || got != c.want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", c.arg, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "rootfs:" + arch, "oci:/does/not/exist", "./missing.tar.gz"} {
		if _, err := ParseTarget(bad); err == nil || !IsInputError(err) {
			t.Errorf("ParseTarget(%q): want an input error, got %v", bad, err)
		}
	}
}
