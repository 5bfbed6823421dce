package source

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/hullscan/hullscan/internal/model"
)

const (
	maxManifestSize = 8 << 20  // manifests, indexes and configs are kilobytes; anything past this is hostile
	maxConfigSize   = 32 << 20 // configs with long histories can reach a few MiB
)

// OpenOptions are the choices made when opening an image.
type OpenOptions struct {
	// Platform picks a manifest out of a multi-platform index: "os/arch[/variant]". Empty = linux/amd64 for
	// registries (go-containerregistry's default) and "the only one, or an error listing the choices" for layouts.
	Platform string
	// TempDir receives temporary files (a gzip-compressed archive is decompressed once into it). Empty = os.TempDir().
	TempDir string
	// MaxArchiveBytes caps the decompressed size of a gzip-compressed docker-archive (0 = 64 GiB).
	MaxArchiveBytes int64
	// Registry options.
	Insecure bool
	// BlobCacheDir keeps downloaded layer blobs by digest, so a second scan downloads nothing. Empty = no cache.
	BlobCacheDir string
}

// openDockerArchive opens a `docker save` archive (gzip-compressed or not). tag picks one image of a multi-image
// archive. An archive that holds an OCI layout instead of a manifest.json is read as one.
func openDockerArchive(archive, tag string, opts OpenOptions) (*Image, error) {
	file, cleanup, err := plainTar(archive, opts)
	if err != nil {
		return nil, err
	}
	tf, err := openTarFile(file)
	if err != nil {
		cleanup()
		return nil, err
	}
	closeAll := func() error { err := tf.Close(); cleanup(); return err }
	var img *Image
	switch {
	case tf.Has("manifest.json"):
		img, err = readDockerManifest(tf, archive, tag)
	case tf.Has("index.json"):
		img, err = readLayout(tf, archive, "oci-layout", refSelector{tag: tag}, opts)
	default:
		err = inputErrorf("%s: not an image archive (no manifest.json or index.json inside)", archive)
	}
	if err != nil {
		closeAll()
		return nil, err
	}
	img.close = closeAll
	return img, nil
}

// plainTar returns the path of an uncompressed tar holding the archive: the archive itself, or a temp copy
// decompressed once when it is gzip-compressed (tar members need random access, and rescanning a gzip stream per
// layer would cost far more than one pass to disk).
func plainTar(archive string, opts OpenOptions) (string, func(), error) {
	f, err := os.Open(archive)
	if err != nil {
		return "", nil, inputErrorf("open %s: %w", archive, err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(4)
	if !bytes.HasPrefix(head, gzipMagic) && !bytes.HasPrefix(head, zstdMagic) {
		return archive, func() {}, nil
	}
	zr, err := decompress(br)
	if err != nil {
		return "", nil, inputErrorf("%s: %w", archive, err)
	}
	defer zr.Close()
	tmp, err := os.CreateTemp(opts.TempDir, "hullscan-archive-*.tar")
	if err != nil {
		return "", nil, fmt.Errorf("temp file for %s: %w", archive, err)
	}
	cleanup := func() { tmp.Close(); os.Remove(tmp.Name()) }
	max := opts.MaxArchiveBytes
	if max == 0 {
		max = 64 << 30
	}
	if _, err := io.Copy(tmp, &capReader{r: zr, max: max}); err != nil {
		cleanup()
		return "", nil, inputErrorf("%s: decompress: %w", archive, err)
	}
	return tmp.Name(), cleanup, nil
}

var blobPathDigest = regexp.MustCompile(`^/?blobs/(sha256)/([a-f0-9]{64})$`)

func readDockerManifest(tf *tarFile, archive, tag string) (*Image, error) {
	raw, err := tf.ReadFile("manifest.json", maxManifestSize)
	if err != nil {
		return nil, err
	}
	var m tarball.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, inputErrorf("%s: manifest.json: %w", archive, err)
	}
	if len(m) == 0 {
		return nil, inputErrorf("%s: manifest.json lists no image", archive)
	}
	d, err := pickArchiveImage(m, archive, tag)
	if err != nil {
		return nil, err
	}
	cfgRaw, err := tf.ReadFile(d.Config, maxConfigSize)
	if err != nil {
		return nil, err
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(cfgRaw))
	if err != nil {
		return nil, inputErrorf("%s: config %s: %w", archive, d.Config, err)
	}
	sum := sha256.Sum256(cfgRaw)
	src := model.Source{Kind: "docker-archive", Name: archive, ImageID: "sha256:" + hex.EncodeToString(sum[:]), RepoTags: d.RepoTags}
	digests := make([]string, len(d.Layers))
	for i, l := range d.Layers {
		if !tf.Has(l) {
			return nil, inputErrorf("%s: manifest names layer %s, which is missing from the archive", archive, l)
		}
		// Blobs stored by digest (docker save since v25) are checked against it; others get it computed on read.
		if m := blobPathDigest.FindStringSubmatch(l); m != nil {
			digests[i] = m[1] + ":" + m[2]
		}
	}
	return newImage(src, cfg, digests, func(i int) (io.ReadCloser, error) { return tf.Open(d.Layers[i]) })
}

func pickArchiveImage(m tarball.Manifest, archive, tag string) (tarball.Descriptor, error) {
	if tag == "" {
		if len(m) == 1 {
			return m[0], nil
		}
		return tarball.Descriptor{}, inputErrorf("%s holds %d images; pick one with %s:<tag> (tags: %s)", archive, len(m), archive, strings.Join(allTags(m), ", "))
	}
	want := normalizeTag(tag)
	for _, d := range m {
		for _, t := range d.RepoTags {
			if t == tag || normalizeTag(t) == want {
				return d, nil
			}
		}
	}
	return tarball.Descriptor{}, inputErrorf("%s has no image tagged %q (tags: %s)", archive, tag, strings.Join(allTags(m), ", "))
}

func allTags(m tarball.Manifest) []string {
	var tags []string
	for _, d := range m {
		tags = append(tags, d.RepoTags...)
	}
	if len(tags) == 0 {
		return []string{"none"}
	}
	return tags
}

// normalizeTag makes "app:1" and "docker.io/library/app:1" compare equal.
func normalizeTag(t string) string {
	ref, err := name.NewTag(t)
	if err != nil {
		return t
	}
	return ref.Name()
}
