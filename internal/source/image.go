package source

import (
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hullscan/hullscan/internal/model"
)

// Image is an opened container image: its description and its layers, bottom first.
type Image struct {
	Source model.Source
	Config *v1.ConfigFile
	Layers []*Layer
	close  func() error
}

// Close releases what opening the image took (temp files of a decompressed archive).
func (img *Image) Close() error {
	if img.close == nil {
		return nil
	}
	return img.close()
}

// Layer is one image layer. Ref.Digest may be empty until the blob was read once (docker-archives do not name
// their blobs by digest); Ref.DiffID always comes from the image config and is what the content is checked
// against.
type Layer struct {
	Ref  model.LayerRef
	open func() (io.ReadCloser, error) // the blob as stored
}

// Uncompressed opens the layer's tar stream. The stream fails (instead of ending) when the content does not match
// the config's diff_id or expands past maxBytes (0 = no cap); reading it to EOF is what verifies it. BlobDigest,
// called after EOF, gives the stored blob's digest.
func (l *Layer) Uncompressed(maxBytes int64) (*LayerStream, error) {
	name := l.Name()
	raw, err := l.open()
	if err != nil {
		return nil, err
	}
	blob := newDigestReader(raw, l.Ref.Digest, "digest")
	zr, err := decompress(blob)
	if err != nil {
		raw.Close()
		return nil, inputErrorf("%s: %w", name, err)
	}
	diff := newDigestReader(&capReader{r: zr, max: maxBytes}, l.Ref.DiffID, "diff_id")
	return &LayerStream{Reader: diff, blob: blob, closers: []io.Closer{zr, raw}}, nil
}

// Name is how warnings and errors name the layer.
func (l *Layer) Name() string {
	d := l.Ref.DiffID
	if l.Ref.Digest != "" {
		d = l.Ref.Digest
	}
	return fmt.Sprintf("layer %d (%s)", l.Ref.Index, shortDigest(d))
}

// LayerStream is an open, verifying, uncompressed layer.
type LayerStream struct {
	io.Reader
	blob    *digestReader
	closers []io.Closer
}

// BlobDigest is the digest of the blob as stored, known after the stream was read to EOF.
func (s *LayerStream) BlobDigest() string { return s.blob.Digest() }

func (s *LayerStream) Close() error {
	var first error
	for _, c := range s.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func shortDigest(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}

// layerRefs pairs a config's diff_ids with its history: created_by of the n-th non-empty history entry belongs to
// the n-th layer.
func layerRefs(cfg *v1.ConfigFile, digests []string) ([]model.LayerRef, error) {
	diffIDs := cfg.RootFS.DiffIDs
	if len(digests) != len(diffIDs) {
		return nil, inputErrorf("manifest lists %d layers but the config has %d diff_ids", len(digests), len(diffIDs))
	}
	var createdBy []string
	for _, h := range cfg.History {
		if !h.EmptyLayer {
			createdBy = append(createdBy, h.CreatedBy)
		}
	}
	refs := make([]model.LayerRef, len(diffIDs))
	for i, d := range diffIDs {
		refs[i] = model.LayerRef{Index: i, Digest: digests[i], DiffID: d.String()}
		// History is optional and sometimes inconsistent; only trust it when it lines up with the layers.
		if len(createdBy) == len(diffIDs) {
			refs[i].CreatedBy = createdBy[i]
		}
	}
	return refs, nil
}

// newImage assembles an Image from a parsed config, the manifest's layer digests ("" where unknown) and blob openers.
func newImage(src model.Source, cfg *v1.ConfigFile, digests []string, open func(i int) (io.ReadCloser, error)) (*Image, error) {
	refs, err := layerRefs(cfg, digests)
	if err != nil {
		return nil, err
	}
	img := &Image{Source: src, Config: cfg}
	for i := range refs {
		i := i
		img.Layers = append(img.Layers, &Layer{Ref: refs[i], open: func() (io.ReadCloser, error) { return open(i) }})
	}
	img.Source.Layers = refs
	if img.Source.Platform == "" && cfg.OS != "" {
		img.Source.Platform = platformString(cfg.OS, cfg.Architecture, cfg.Variant)
	}
	return img, nil
}

func platformString(os, arch, variant string) string {
	s := os + "/" + arch
	if variant != "" {
		s += "/" + variant
	}
	return s
}
