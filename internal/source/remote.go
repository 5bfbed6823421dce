package source

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/hullscan/hullscan/internal/model"
)

// openRemote resolves an image in a registry. Authentication uses docker's config.json and its credential
// helpers (go-containerregistry's default keychain). Only the manifest and config are fetched here; layer blobs
// are fetched when read, through the blob cache when one is configured.
func openRemote(ctx context.Context, ref string, opts OpenOptions) (*Image, error) {
	var nameOpts []name.Option
	if opts.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nameOpts...)
	if err != nil {
		return nil, inputErrorf("%q is neither a file, a directory nor an image reference: %w", ref, err)
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	if opts.Insecure {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for it with --insecure
		ropts = append(ropts, remote.WithTransport(tr))
	}
	if opts.Platform != "" {
		p, err := v1.ParsePlatform(opts.Platform)
		if err != nil {
			return nil, &InputError{Err: fmt.Errorf("--platform %q: %w", opts.Platform, err)}
		}
		ropts = append(ropts, remote.WithPlatform(*p))
	}
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, registryError(r, err)
	}
	img, err := desc.Image()
	if err != nil {
		if avail := indexPlatforms(desc); avail != "" {
			// go-containerregistry says only that no child matched; the user needs the choices.
			return nil, inputErrorf("%s: no image for platform %s (available: %s)", r, cmp.Or(opts.Platform, "linux/amd64"), avail)
		}
		return nil, registryError(r, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, registryError(r, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, registryError(r, err)
	}
	digests, err := checkLayerDescriptors(m, ref)
	if err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, registryError(r, err)
	}
	imgDigest, err := img.Digest()
	if err != nil {
		return nil, registryError(r, err)
	}
	src := model.Source{Kind: "registry", Name: ref, Digest: imgDigest.String(), ImageID: m.Config.Digest.String()}
	if _, ok := r.(name.Tag); ok {
		src.RepoTags = []string{r.Name()}
	}
	cache := blobCache{dir: opts.BlobCacheDir}
	return newImage(src, cfg, digests, func(i int) (io.ReadCloser, error) {
		return cache.open(digests[i], func() (io.ReadCloser, error) {
			rc, err := layers[i].Compressed()
			if err != nil {
				return nil, registryError(r, err)
			}
			return rc, nil
		})
	})
}

// registryError turns transport failures into one-line input errors that say what to do.
func registryError(r name.Reference, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return inputErrorf("%s: access denied by the registry (HTTP %d): check your credentials (docker login %s)", r, terr.StatusCode, r.Context().RegistryStr())
		case http.StatusNotFound:
			return inputErrorf("%s: not found in the registry", r)
		}
		return inputErrorf("%s: registry error: %v", r, terr)
	}
	var nerr net.Error
	var oerr *net.OpError
	if errors.As(err, &oerr) || errors.As(err, &nerr) {
		return inputErrorf("%s: registry %s unreachable: %v", r, r.Context().RegistryStr(), err)
	}
	return inputErrorf("%s: %w", r, err)
}

// blobCache keeps layer blobs on disk by digest. Hand-written rather than go-containerregistry's cache package
// because that one writes in place (an interrupted download leaves a truncated blob that is served next time) and
// does not check what it serves: here a blob enters the cache only after it was read whole and matched its
// digest, by rename, and the scan's digest check covers what it reads back.
type blobCache struct{ dir string }

func (c blobCache) open(digest string, fetch func() (io.ReadCloser, error)) (io.ReadCloser, error) {
	if c.dir == "" || digest == "" {
		return fetch()
	}
	final := filepath.Join(c.dir, filepath.FromSlash(digestPath(digest)))
	if f, err := os.Open(final); err == nil {
		return f, nil
	}
	rc, err := fetch()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return rc, nil // caching is best effort; the scan goes on
	}
	tmp, err := os.CreateTemp(filepath.Dir(final), ".partial-*")
	if err != nil {
		return rc, nil
	}
	return &cachingReader{rc: rc, tmp: tmp, final: final, d: newDigestReader(io.TeeReader(rc, tmp), digest, "digest")}, nil
}

func digestPath(d string) string {
	for i := 0; i < len(d); i++ {
		if d[i] == ':' {
			return d[:i] + "/" + d[i+1:]
		}
	}
	return d
}

type cachingReader struct {
	rc    io.ReadCloser
	tmp   *os.File
	final string
	d     *digestReader
	done  bool
}

func (c *cachingReader) Read(p []byte) (int, error) {
	n, err := c.d.Read(p)
	if err == io.EOF {
		c.done = true
	}
	return n, err
}

func (c *cachingReader) Close() error {
	err := c.rc.Close()
	c.tmp.Close()
	if c.done {
		if rerr := os.Rename(c.tmp.Name(), c.final); rerr == nil {
			return err
		}
	}
	os.Remove(c.tmp.Name())
	return err
}

// indexPlatforms lists the platforms of an image index, "" when desc is no index or names none.
func indexPlatforms(desc *remote.Descriptor) string {
	if !desc.MediaType.IsIndex() {
		return ""
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return ""
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return ""
	}
	var ps []string
	for _, d := range m.Manifests {
		// unknown/unknown entries are buildx's attestation manifests, not images to choose.
		if d.Platform != nil && d.Platform.OS != "unknown" {
			ps = append(ps, d.Platform.String())
		}
	}
	sort.Strings(ps)
	return strings.Join(ps, ", ")
}
