package source

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hullscan/hullscan/internal/model"
)

// refSelector picks a manifest out of an OCI layout: by its ref-name annotation (tag) or by digest.
type refSelector struct {
	tag, digest string
}

// openLayout opens an OCI image layout, a directory or a tar of one.
func openLayout(p string, sel refSelector, opts OpenOptions) (*Image, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, inputErrorf("open %s: %w", p, err)
	}
	if st.IsDir() {
		if _, err := os.Stat(p + "/index.json"); err != nil {
			return nil, inputErrorf("%s: not an OCI layout (no index.json)", p)
		}
		return readLayout(dirReader{root: strings.TrimRight(p, "/")}, p, "oci-layout", sel, opts)
	}
	file, cleanup, err := plainTar(p, opts)
	if err != nil {
		return nil, err
	}
	tf, err := openTarFile(file)
	if err != nil {
		cleanup()
		return nil, err
	}
	if !tf.Has("index.json") {
		tf.Close()
		cleanup()
		return nil, inputErrorf("%s: not an OCI layout (no index.json inside)", p)
	}
	img, err := readLayout(tf, p, "oci-layout", sel, opts)
	if err != nil {
		tf.Close()
		cleanup()
		return nil, err
	}
	img.close = func() error { err := tf.Close(); cleanup(); return err }
	return img, nil
}

func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// readBlob reads a small blob (index, manifest, config) and checks it against its digest.
func readBlob(fr fileReader, where string, d v1.Descriptor, max int64) ([]byte, error) {
	if d.Digest.Algorithm != "sha256" {
		return nil, inputErrorf("%s: unsupported digest algorithm %q", where, d.Digest.Algorithm)
	}
	b, err := fr.ReadFile(blobPath(d.Digest), max)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != d.Digest.Hex {
		return nil, inputErrorf("%s: blob %s does not match its digest (got sha256:%s)", where, d.Digest, got)
	}
	return b, nil
}

type layoutCandidate struct {
	desc v1.Descriptor
	ref  string // ref name annotation of the top-level entry it came from
}

func readLayout(fr fileReader, where, kind string, sel refSelector, opts OpenOptions) (*Image, error) {
	raw, err := fr.ReadFile("index.json", maxManifestSize)
	if err != nil {
		return nil, err
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, inputErrorf("%s: index.json: %w", where, err)
	}
	var cands []layoutCandidate
	budget := &indexBudget{}
	for _, d := range idx.Manifests {
		ref := d.Annotations["org.opencontainers.image.ref.name"]
		if ref == "" {
			ref = d.Annotations["io.containerd.image.name"]
		}
		switch {
		case sel.digest != "":
			if d.Digest.String() != sel.digest {
				// The digest may name a platform manifest inside a nested index.
				if d.MediaType.IsIndex() {
					kids, err := expandIndex(fr, where, d, ref, 0, budget)
					if err != nil {
						return nil, err
					}
					for _, k := range kids {
						if k.desc.Digest.String() == sel.digest {
							cands = append(cands, k)
						}
					}
				}
				continue
			}
		case sel.tag != "":
			if ref != sel.tag && !strings.HasSuffix(ref, ":"+sel.tag) {
				continue
			}
		}
		cands = append(cands, layoutCandidate{desc: d, ref: ref})
	}
	if len(cands) == 0 {
		switch {
		case sel.digest != "":
			return nil, inputErrorf("%s: no manifest with digest %s", where, sel.digest)
		case sel.tag != "":
			return nil, inputErrorf("%s: no manifest tagged %q (tags: %s)", where, sel.tag, layoutRefs(idx))
		default:
			return nil, inputErrorf("%s: index.json lists no manifest", where)
		}
	}
	// Expand indexes down to image manifests.
	var images []layoutCandidate
	for _, c := range cands {
		if c.desc.MediaType.IsIndex() {
			kids, err := expandIndex(fr, where, c.desc, c.ref, 0, budget)
			if err != nil {
				return nil, err
			}
			images = append(images, kids...)
			continue
		}
		// An index written as index.json itself lists its attestation manifests at the top: skip them as
		// expandIndex does, unless the user named one by digest.
		if sel.digest == "" && isAttestation(c.desc) {
			continue
		}
		images = append(images, c)
	}
	images, err = pickPlatform(images, opts.Platform, where)
	if err != nil {
		return nil, err
	}
	return readLayoutImage(fr, where, kind, images[0])
}

// Limits on what the nested indexes of one layout may list. Real layouts hold a few multi-platform images of a
// few dozen manifests each; without a bound, a few kilobytes of indexes listing each other many times over
// expand into millions of manifests (and as many blob reads).
const (
	maxNestedIndexes = 256
	maxIndexEntries  = 4096
)

// indexBudget counts the nested indexes read and the entries they listed, across one layout.
type indexBudget struct{ indexes, entries int }

// expandIndex lists the image manifests under an index, descending into nested indexes (depth-capped: a cycle of
// indexes is hostile input; budget-capped: so is a fan-out of them).
func expandIndex(fr fileReader, where string, d v1.Descriptor, ref string, depth int, budget *indexBudget) ([]layoutCandidate, error) {
	if depth > 4 {
		return nil, inputErrorf("%s: indexes nested too deep at %s", where, d.Digest)
	}
	if budget.indexes++; budget.indexes > maxNestedIndexes {
		return nil, inputErrorf("%s: too many nested indexes (more than %d)", where, maxNestedIndexes)
	}
	raw, err := readBlob(fr, where, d, maxManifestSize)
	if err != nil {
		return nil, err
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, inputErrorf("%s: index %s: %w", where, d.Digest, err)
	}
	var out []layoutCandidate
	if budget.entries += len(idx.Manifests); budget.entries > maxIndexEntries {
		return nil, inputErrorf("%s: nested indexes list too many manifests (more than %d)", where, maxIndexEntries)
	}
	for _, k := range idx.Manifests {
		if k.MediaType.IsIndex() {
			sub, err := expandIndex(fr, where, k, ref, depth+1, budget)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		if isAttestation(k) {
			continue
		}
		out = append(out, layoutCandidate{desc: k, ref: ref})
	}
	return out, nil
}

// isAttestation reports an attestation manifest (buildx): platform unknown/unknown, not an image to scan.
func isAttestation(d v1.Descriptor) bool {
	return d.Platform != nil && d.Platform.OS == "unknown"
}

func pickPlatform(images []layoutCandidate, want, where string) ([]layoutCandidate, error) {
	if len(images) == 0 {
		// An index that lists nothing, or only attestations.
		return nil, inputErrorf("%s: the index lists no image manifest", where)
	}
	if want != "" {
		wp, err := v1.ParsePlatform(want)
		if err != nil {
			return nil, &InputError{Err: err}
		}
		var keep []layoutCandidate
		for _, c := range images {
			if c.desc.Platform == nil || c.desc.Platform.Satisfies(*wp) {
				keep = append(keep, c)
			}
		}
		if len(keep) == 0 {
			return nil, inputErrorf("%s: no image for platform %s (available: %s)", where, want, describeCandidates(images))
		}
		images = keep
	}
	if len(images) > 1 {
		return nil, inputErrorf("%s: %d images match; choose with --platform or :tag/@digest (available: %s)", where, len(images), describeCandidates(images))
	}
	return images, nil
}

func describeCandidates(cs []layoutCandidate) string {
	var s []string
	for _, c := range cs {
		d := c.desc.Digest.String()
		if c.desc.Platform != nil {
			d = c.desc.Platform.String() + " " + d
		}
		if c.ref != "" {
			d = c.ref + " " + d
		}
		s = append(s, d)
	}
	sort.Strings(s)
	return strings.Join(s, "; ")
}

func layoutRefs(idx *v1.IndexManifest) string {
	var refs []string
	for _, d := range idx.Manifests {
		if r := d.Annotations["org.opencontainers.image.ref.name"]; r != "" {
			refs = append(refs, r)
		}
	}
	if len(refs) == 0 {
		return "none"
	}
	return strings.Join(refs, ", ")
}

func readLayoutImage(fr fileReader, where, kind string, c layoutCandidate) (*Image, error) {
	if !c.desc.MediaType.IsImage() {
		return nil, inputErrorf("%s: unknown manifest media type %q", where, c.desc.MediaType)
	}
	raw, err := readBlob(fr, where, c.desc, maxManifestSize)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, inputErrorf("%s: manifest %s: %w", where, c.desc.Digest, err)
	}
	cfgRaw, err := readBlob(fr, where, m.Config, maxConfigSize)
	if err != nil {
		return nil, err
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(cfgRaw))
	if err != nil {
		return nil, inputErrorf("%s: config %s: %w", where, m.Config.Digest, err)
	}
	digests, err := checkLayerDescriptors(m, where)
	if err != nil {
		return nil, err
	}
	for _, l := range m.Layers {
		if !fr.Has(blobPath(l.Digest)) {
			return nil, inputErrorf("%s: manifest names layer %s, which is missing", where, l.Digest)
		}
	}
	src := model.Source{Kind: kind, Name: where, Digest: c.desc.Digest.String(), ImageID: m.Config.Digest.String()}
	if c.ref != "" {
		src.RepoTags = []string{c.ref}
	}
	if c.desc.Platform != nil {
		src.Platform = c.desc.Platform.String()
	}
	return newImage(src, cfg, digests, func(i int) (io.ReadCloser, error) { return fr.Open(blobPath(m.Layers[i].Digest)) })
}

// checkLayerDescriptors refuses layers we cannot read (encrypted, unknown formats) with their media type named,
// rather than failing later with a confusing tar error.
func checkLayerDescriptors(m *v1.Manifest, where string) ([]string, error) {
	var digests []string
	for _, l := range m.Layers {
		if !knownLayerType(l.MediaType) {
			return nil, inputErrorf("%s: layer %s has unknown media type %q", where, l.Digest, l.MediaType)
		}
		if l.Digest.Algorithm != "sha256" {
			return nil, inputErrorf("%s: layer %s: unsupported digest algorithm", where, l.Digest)
		}
		digests = append(digests, l.Digest.String())
	}
	return digests, nil
}

func knownLayerType(mt types.MediaType) bool {
	switch mt {
	case types.OCILayer, types.OCILayerZStd, types.OCIUncompressedLayer, types.OCIRestrictedLayer,
		types.OCIUncompressedRestrictedLayer, types.DockerLayer, types.DockerForeignLayer, types.DockerUncompressedLayer:
		return true
	}
	return mt == "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
}
