package source

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hullscan/hullscan/internal/testimage"
)

// platformImage is a one-layer image whose config says os/arch/variant and whose /arch file says arch.
func platformImage(t *testing.T, os, arch, variant string) v1.Image {
	t.Helper()
	img := testimage.Image([]v1.Layer{testimage.Layer(testimage.File{Name: "arch", Body: arch})})
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = os, arch, variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// multiPlatformIndex is what `docker buildx build --platform linux/amd64,linux/arm64` pushes: one image per
// platform and, for each, an attestation manifest with platform unknown/unknown.
func multiPlatformIndex(t *testing.T) v1.ImageIndex {
	t.Helper()
	amd := platformImage(t, "linux", "amd64", "")
	arm := platformImage(t, "linux", "arm64", "v8")
	att := testimage.Image([]v1.Layer{testimage.Layer(testimage.File{Name: "sbom.spdx.json", Body: "{}"})})
	amdDigest, err := amd.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{
				"vnd.docker.reference.type":   "attestation-manifest",
				"vnd.docker.reference.digest": amdDigest.String(),
			},
		}},
	)
}

// archOf reads the /arch file of an opened image, so a test knows which image it got, not only what the
// descriptor claimed.
func archOf(t *testing.T, img *Image) string {
	t.Helper()
	return readAll(t, img)["/arch"]
}

func TestMultiPlatformLayout(t *testing.T) {
	idx := multiPlatformIndex(t)
	dir := t.TempDir()
	// The index as index.json itself (layout.Write), and nested under a tagged entry of index.json, as buildx's
	// OCI exporter and skopeo write it.
	flat := filepath.Join(dir, "flat")
	if _, err := layout.Write(flat, idx); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(dir, "nested")
	p, err := layout.Write(nested, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "1.0"})); err != nil {
		t.Fatal(err)
	}
	for _, lay := range []string{flat, nested} {
		for _, c := range []struct {
			platform string
			arch     string   // the image expected, or
			errWant  []string // an input error naming all of these
		}{
			{platform: "", errWant: []string{"2 images match", "--platform", "linux/amd64", "linux/arm64/v8"}},
			{platform: "linux/amd64", arch: "amd64"},
			{platform: "linux/arm64", arch: "arm64"},
			{platform: "linux/arm64/v8", arch: "arm64"},
			{platform: "windows/amd64", errWant: []string{"no image for platform windows/amd64", "linux/amd64", "linux/arm64/v8"}},
			{platform: "linux/arm/v7", errWant: []string{"no image for platform linux/arm/v7", "linux/amd64", "linux/arm64/v8"}},
			{platform: "a/b/c/d", errWant: []string{"too many slashes"}},
		} {
			t.Run(filepath.Base(lay)+"/"+c.platform, func(t *testing.T) {
				img, err := openLayout(lay, refSelector{}, OpenOptions{Platform: c.platform})
				if c.errWant != nil {
					if err == nil {
						img.Close()
						t.Fatalf("opened %s, want an error", img.Source.Platform)
					}
					if !IsInputError(err) {
						t.Errorf("not an input error: %v", err)
					}
					for _, w := range c.errWant {
						if !strings.Contains(err.Error(), w) {
							t.Errorf("error %q does not say %q", err, w)
						}
					}
					// The attestation manifest is not an image to choose.
					if strings.Contains(err.Error(), "unknown") {
						t.Errorf("error offers the attestation manifest: %q", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				defer img.Close()
				if got := archOf(t, img); got != c.arch {
					t.Errorf("got the %s image, want %s", got, c.arch)
				}
				if img.Config.Architecture != c.arch || !strings.HasPrefix(img.Source.Platform, "linux/"+c.arch) {
					t.Errorf("config arch %s, source platform %s", img.Config.Architecture, img.Source.Platform)
				}
			})
		}
	}
}

func TestMultiPlatformRegistry(t *testing.T) {
	host := testimage.Registry(t)
	ref, err := name.ParseReference(host+"/multi:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, multiPlatformIndex(t)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		platform, arch, errWant string
	}{
		{platform: "", arch: "amd64"}, // go-containerregistry's default, documented in OpenOptions
		{platform: "linux/amd64", arch: "amd64"},
		{platform: "linux/arm64", arch: "arm64"},
		{platform: "linux/arm64/v8", arch: "arm64"},
		{platform: "windows/amd64", errWant: "no image for platform windows/amd64 (available: linux/amd64, linux/arm64/v8)"},
		{platform: "a/b/c/d", errWant: "too many slashes"},
	} {
		t.Run(c.platform, func(t *testing.T) {
			img, err := OpenImage(context.Background(), Target{Kind: Registry, Ref: host + "/multi:1", Arg: host + "/multi:1"},
				OpenOptions{Platform: c.platform, Insecure: true})
			if c.errWant != "" {
				if err == nil {
					img.Close()
					t.Fatalf("opened %s, want an error", img.Source.Platform)
				}
				if !IsInputError(err) || !strings.Contains(err.Error(), c.errWant) || strings.Contains(err.Error(), "\n") {
					t.Errorf("want a one-line input error naming %q, got %v", c.errWant, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			if got := archOf(t, img); got != c.arch {
				t.Errorf("got the %s image, want %s", got, c.arch)
			}
			if img.Config.Architecture != c.arch {
				t.Errorf("config arch %s", img.Config.Architecture)
			}
		})
	}
}

func TestPlatformMismatchIsAnError(t *testing.T) {
	dir := t.TempDir()
	arch := filepath.Join(dir, "app.tar")
	testimage.WriteDockerArchive(t, arch, "app:1", sampleImage()) // linux/amd64
	tg, err := ParseTarget(arch)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		platform string
		ok       bool
	}{{"linux/amd64", true}, {"linux/s390x", false}, {"windows/amd64", false}} {
		img, err := OpenImage(context.Background(), tg, OpenOptions{Platform: c.platform})
		if c.ok {
			if err != nil {
				t.Errorf("%s: %v", c.platform, err)
				continue
			}
			img.Close()
		} else if err == nil || !IsInputError(err) || !strings.Contains(err.Error(), "is a linux/amd64 image, not "+c.platform) {
			t.Errorf("%s: want a mismatch error, got %v", c.platform, err)
		}
	}
}
