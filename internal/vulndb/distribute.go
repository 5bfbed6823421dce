package vulndb

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"
)

// Distribution of a built database. Two forms carry the same bytes, the database file compressed with zstd:
//
//   - an OCI artifact (OCI 1.1 image manifest with artifactType ArtifactType, as `oras push` makes): the config
//     blob is the database's Meta as JSON, the single layer is the compressed file. Registries already serve
//     air-gapped mirrors, so that is the main form.
//   - a plain file on an HTTPS server, with a sha256sum-style "<file>.sha256" beside it.
//
// Update verifies the compressed bytes against their digest (the manifest's descriptor, or the .sha256 file)
// before the database is opened, and installs it with a rename: a failed or interrupted update leaves the old
// database as it was.
const (
	// ArtifactType is the artifactType of a published database's manifest.
	ArtifactType = "application/vnd.hullscan.db.v1"
	// LayerMediaType is the media type of its one layer: the bbolt file, zstd-compressed.
	LayerMediaType = "application/vnd.hullscan.db.layer.v1+zstd"
	// ConfigMediaType is the media type of its config blob: the database's Meta as JSON.
	ConfigMediaType = "application/vnd.hullscan.db.config.v1+json"
	// AnnotationSchema is the manifest annotation holding the schema version, so that Update can refuse a
	// database it cannot read before downloading it.
	AnnotationSchema = "io.hullscan.db.schema"
	// DefaultMaxSize caps the size of a downloaded database, uncompressed.
	DefaultMaxSize int64 = 4 << 30

	annotationCreated = "org.opencontainers.image.created"
	annotationTitle   = "org.opencontainers.image.title"
	layerTitle        = "hullscan.db.zst"
	// maxDecoderWindow bounds the memory a hostile stream can make the decoder allocate before its digest is
	// checked; zstd's own CLI needs 128 MiB at most (--long=27), ours writes 8 MiB windows.
	maxDecoderWindow = 128 << 20
	maxSumFileSize   = 4 << 10
)

// RemoteOptions configure Publish and Update.
type RemoteOptions struct {
	// Insecure allows plain HTTP and unverified TLS (registries and URLs). The digest is still checked.
	Insecure bool
	// Keychain supplies registry credentials; nil means docker's config.json and credential helpers
	// (authn.DefaultKeychain).
	Keychain authn.Keychain
	// Progress, when set, receives one line per step.
	Progress func(string)
	// MaxSize caps the uncompressed size of a downloaded database; 0 means DefaultMaxSize.
	MaxSize int64
}

func (o RemoteOptions) progress(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(fmt.Sprintf(format, args...))
	}
}

func (o RemoteOptions) maxSize() int64 {
	if o.MaxSize > 0 {
		return o.MaxSize
	}
	return DefaultMaxSize
}

// maxCompressed bounds the compressed stream: zstd never expands data by more than a small fraction, and without
// a bound a stream of skippable frames would be read forever without producing a byte.
func (o RemoteOptions) maxCompressed() int64 {
	m := o.maxSize()
	return m + m/64 + 1<<20
}

func (o RemoteOptions) transport() http.RoundTripper {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if o.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for with --insecure
	}
	return tr
}

func (o RemoteOptions) reference(ref string) (name.Reference, error) {
	var nopts []name.Option
	if o.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	return name.ParseReference(ref, nopts...)
}

func (o RemoteOptions) remote(ctx context.Context) []remote.Option {
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	return []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithTransport(o.transport())}
}

// Publish pushes the database at dbPath to the registry reference ref (repository[:tag], default tag "latest") as
// an OCI artifact, and returns the manifest's digest.
func Publish(ctx context.Context, dbPath, ref string, opts RemoteOptions) (string, error) {
	r, err := opts.reference(ref)
	if err != nil {
		return "", fmt.Errorf("publish to %s: %w", ref, err)
	}
	f, meta, err := snapshotDB(dbPath)
	if err != nil {
		return "", fmt.Errorf("publish %s: %w", dbPath, err)
	}
	defer f.Close()
	// Compressed to a temporary file first: a push needs the layer's digest and size before its bytes.
	tmp, err := os.CreateTemp("", "hullscan-db-*.zst")
	if err != nil {
		return "", fmt.Errorf("publish %s: %w", dbPath, err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	opts.progress("compressing %s", dbPath)
	digest, size, err := compress(f, tmp)
	if err != nil {
		return "", fmt.Errorf("publish %s: compress: %w", dbPath, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("publish %s: %w", dbPath, err)
	}
	art, err := newArtifact(meta, &fileLayer{path: tmp.Name(), digest: digest, size: size})
	if err != nil {
		return "", fmt.Errorf("publish %s: %w", dbPath, err)
	}
	img, err := partial.CompressedToImage(art)
	if err != nil {
		return "", fmt.Errorf("publish %s: %w", dbPath, err)
	}
	opts.progress("pushing %d bytes to %s", size, r)
	if err := remote.Write(r, img, opts.remote(ctx)...); err != nil {
		return "", fmt.Errorf("publish %s to %s: %w", dbPath, r, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("publish %s: %w", dbPath, err)
	}
	return d.String(), nil
}

// PublishFile writes the database at dbPath zstd-compressed to out, and its sha256 to out + ".sha256" in
// sha256sum's format, for hosting on an HTTPS server (Update's URL form). It returns the hex digest. Both files
// are written atomically.
func PublishFile(dbPath, out string) (string, error) {
	f, _, err := snapshotDB(dbPath)
	if err != nil {
		return "", fmt.Errorf("publish %s: %w", dbPath, err)
	}
	defer f.Close()
	var digest v1.Hash
	err = writeAtomic(out, func(w io.Writer) error {
		var err error
		digest, _, err = compress(f, w)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("publish %s to %s: %w", dbPath, out, err)
	}
	sum := fmt.Sprintf("%s  %s\n", digest.Hex, filepath.Base(out))
	if err := writeAtomic(out+".sha256", func(w io.Writer) error {
		_, err := io.WriteString(w, sum)
		return err
	}); err != nil {
		return "", fmt.Errorf("publish %s: %w", dbPath, err)
	}
	return digest.Hex, nil
}

// snapshotDB opens the file to publish and checks that it is a database this hullscan reads. The returned file is
// the one checked, even if dbPath is replaced meanwhile (a concurrent build or update renames over it).
func snapshotDB(dbPath string) (*os.File, Meta, error) {
	f, err := os.Open(dbPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, Meta{}, fmt.Errorf("%w at %s", ErrNoDatabase, dbPath)
		}
		return nil, Meta{}, err
	}
	db, err := Open(dbPath)
	if err != nil {
		f.Close()
		return nil, Meta{}, err
	}
	meta := db.Meta()
	db.Close()
	fi1, err1 := f.Stat()
	fi2, err2 := os.Stat(dbPath)
	if err1 != nil || err2 != nil || !os.SameFile(fi1, fi2) {
		f.Close()
		return nil, Meta{}, errors.New("the file was replaced while being read; try again")
	}
	return f, meta, nil
}

// compress writes r zstd-compressed to w, returning the compressed bytes' digest and size.
func compress(r io.Reader, w io.Writer) (v1.Hash, int64, error) {
	h := sha256.New()
	cw := &countWriter{}
	enc, err := zstd.NewWriter(io.MultiWriter(w, h, cw), zstd.WithEncoderLevel(zstd.SpeedBetterCompression))
	if err != nil {
		return v1.Hash{}, 0, err
	}
	if _, err := io.Copy(enc, r); err != nil {
		enc.Close()
		return v1.Hash{}, 0, err
	}
	if err := enc.Close(); err != nil {
		return v1.Hash{}, 0, err
	}
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}, cw.n, nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// artifact is the pushed manifest, its config and its layer. go-containerregistry's mutate package cannot set a
// manifest's artifactType or a non-image config, so the manifest is written here and partial fills in the rest
// of v1.Image for remote.Write.
type artifact struct {
	manifest []byte
	config   []byte
	layer    *fileLayer
}

func newArtifact(meta Meta, layer *fileLayer) (*artifact, error) {
	config, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	cd, _, err := v1.SHA256(bytes.NewReader(config))
	if err != nil {
		return nil, err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  ArtifactType,
		Config:        v1.Descriptor{MediaType: ConfigMediaType, Size: int64(len(config)), Digest: cd},
		Layers: []v1.Descriptor{{
			MediaType:   LayerMediaType,
			Size:        layer.size,
			Digest:      layer.digest,
			Annotations: map[string]string{annotationTitle: layerTitle},
		}},
		Annotations: map[string]string{
			annotationCreated: meta.Built.UTC().Format(time.RFC3339),
			AnnotationSchema:  strconv.Itoa(meta.SchemaVersion),
		},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return &artifact{manifest: raw, config: config, layer: layer}, nil
}

func (a *artifact) RawConfigFile() ([]byte, error)      { return a.config, nil }
func (a *artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (a *artifact) RawManifest() ([]byte, error)        { return a.manifest, nil }

func (a *artifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h != a.layer.digest {
		return nil, fmt.Errorf("no layer %s in the artifact", h)
	}
	return a.layer, nil
}

// fileLayer is the compressed database, read from its temporary file each time the pusher asks (a retry reads
// it again).
type fileLayer struct {
	path   string
	digest v1.Hash
	size   int64
}

func (l *fileLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *fileLayer) Compressed() (io.ReadCloser, error)  { return os.Open(l.path) }
func (l *fileLayer) Size() (int64, error)                { return l.size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error) { return LayerMediaType, nil }

// blob is a compressed database to download: where from, and the digest (and size, when known) it must have.
type blob struct {
	name   string
	digest v1.Hash
	size   int64 // -1 when unknown
	open   func() (io.ReadCloser, error)
}

// Update fetches a published database and installs it at dest, replacing the one there. src is an OCI reference
// (registry/repository[:tag|@digest], default tag "latest") or an https:// URL of the compressed file with its
// digest at URL + ".sha256" (http:// only with Insecure). Nothing is written at dest unless the download matches
// its digest and opens as a database of this hullscan's schema; a temporary file beside dest is used and removed
// on failure. A scan that has the old file open keeps reading it: the new one replaces it by rename.
func Update(ctx context.Context, src, dest string, opts RemoteOptions) (Meta, error) {
	var (
		b   blob
		err error
	)
	if strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://") {
		b, err = resolveURL(ctx, src, opts)
	} else {
		b, err = resolveOCI(ctx, src, opts)
	}
	if err != nil {
		return Meta{}, fmt.Errorf("update %s from %s: %w", dest, src, err)
	}
	meta, err := install(dest, b, opts)
	if err != nil {
		return Meta{}, fmt.Errorf("update %s from %s: %w", dest, src, err)
	}
	return meta, nil
}

// resolveOCI reads the artifact's manifest and checks that it is a hullscan database of the schema this hullscan
// reads, before anything large is downloaded.
func resolveOCI(ctx context.Context, src string, opts RemoteOptions) (blob, error) {
	r, err := opts.reference(src)
	if err != nil {
		return blob{}, err
	}
	ropts := opts.remote(ctx)
	opts.progress("fetching the manifest of %s", r)
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return blob{}, err
	}
	if desc.MediaType != types.OCIManifestSchema1 {
		return blob{}, fmt.Errorf("not a hullscan database: a %s, want an OCI image manifest with artifactType %s", desc.MediaType, ArtifactType)
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		return blob{}, fmt.Errorf("manifest: %w", err)
	}
	// Without artifactType, OCI 1.1 takes the config's media type as the artifact's type.
	if m.ArtifactType != ArtifactType && (m.ArtifactType != "" || m.Config.MediaType != ConfigMediaType) {
		at := m.ArtifactType
		if at == "" {
			at = string(m.Config.MediaType)
		}
		return blob{}, fmt.Errorf("not a hullscan database: artifact type %q, want %q", at, ArtifactType)
	}
	if s, ok := m.Annotations[AnnotationSchema]; ok {
		if n, err := strconv.Atoi(s); err == nil && n != SchemaVersion {
			return blob{}, schemaError(n)
		}
	}
	var layer *v1.Descriptor
	for i := range m.Layers {
		if m.Layers[i].MediaType == LayerMediaType {
			layer = &m.Layers[i]
			break
		}
	}
	if layer == nil {
		return blob{}, fmt.Errorf("not a hullscan database: no %s layer in the manifest", LayerMediaType)
	}
	if layer.Digest.Algorithm != "sha256" {
		return blob{}, fmt.Errorf("layer digest %s: only sha256 is supported", layer.Digest)
	}
	if layer.Size < 0 || layer.Size > opts.maxCompressed() {
		return blob{}, fmt.Errorf("layer of %d bytes: over the %d-byte limit", layer.Size, opts.maxCompressed())
	}
	ld := r.Context().Digest(layer.Digest.String())
	return blob{
		name:   ld.String(),
		digest: layer.Digest,
		size:   layer.Size,
		open: func() (io.ReadCloser, error) {
			l, err := remote.Layer(ld, ropts...)
			if err != nil {
				return nil, err
			}
			return l.Compressed()
		},
	}, nil
}

// resolveURL fetches the digest file; the database itself is fetched by install.
func resolveURL(ctx context.Context, src string, opts RemoteOptions) (blob, error) {
	u, err := url.Parse(src)
	if err != nil {
		return blob{}, err
	}
	if u.Scheme == "http" && !opts.Insecure {
		return blob{}, errors.New("a plain http:// URL needs --insecure (the download would be unauthenticated)")
	}
	client := &http.Client{
		Transport: opts.transport(),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme != "https" && !opts.Insecure {
				return fmt.Errorf("redirected to %s: not https", req.URL.Redacted())
			}
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		},
	}
	get := func(u *url.URL) (io.ReadCloser, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("GET %s: %s", u.Redacted(), resp.Status)
		}
		return resp.Body, nil
	}
	sumURL := *u
	sumURL.Path += ".sha256"
	if sumURL.RawPath != "" {
		sumURL.RawPath += ".sha256"
	}
	opts.progress("fetching %s", sumURL.Redacted())
	rc, err := get(&sumURL)
	if err != nil {
		return blob{}, fmt.Errorf("digest file: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(rc, maxSumFileSize))
	rc.Close()
	if err != nil {
		return blob{}, fmt.Errorf("digest file %s: %w", sumURL.Redacted(), err)
	}
	sum, err := parseSHA256File(raw)
	if err != nil {
		return blob{}, fmt.Errorf("digest file %s: %w", sumURL.Redacted(), err)
	}
	return blob{
		name:   u.Redacted(),
		digest: v1.Hash{Algorithm: "sha256", Hex: sum},
		size:   -1,
		open:   func() (io.ReadCloser, error) { return get(u) },
	}, nil
}

// parseSHA256File reads sha256sum's output ("HEX  name" or "HEX *name") or a bare hex digest, optionally prefixed
// "sha256:".
func parseSHA256File(raw []byte) (string, error) {
	line, _, _ := strings.Cut(string(raw), "\n")
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return "", errors.New("empty")
	}
	s := strings.ToLower(strings.TrimPrefix(fields[0], "sha256:"))
	if _, err := hex.DecodeString(s); err != nil || len(s) != 2*sha256.Size {
		return "", fmt.Errorf("%q is not a sha256 hex digest", fields[0])
	}
	return s, nil
}

// install downloads b into a temporary file beside dest, checks it, and renames it over dest.
func install(dest string, b blob, opts RemoteOptions) (meta Meta, err error) {
	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Meta{}, err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(dest)+".tmp-*")
	if err != nil {
		return Meta{}, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	opts.progress("downloading %s", b.name)
	if err := download(b, tmp, opts); err != nil {
		return Meta{}, err
	}
	// Synced before the rename, so that a crash cannot leave dest naming a file whose blocks never reached disk.
	if err := tmp.Sync(); err != nil {
		return Meta{}, err
	}
	if err := tmp.Close(); err != nil {
		return Meta{}, err
	}
	if meta, err = checkDownloaded(tmp.Name()); err != nil {
		return Meta{}, err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return Meta{}, err
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return Meta{}, err
	}
	syncDir(dir)
	return meta, nil
}

// download streams b through a sha256 hash into the zstd decoder and the decompressed bytes into w. The
// decompressed file is only ever opened after the whole compressed stream has matched its digest.
func download(b blob, w io.Writer, opts RemoteOptions) error {
	rc, err := b.open()
	if err != nil {
		return fmt.Errorf("download %s: %w", b.name, err)
	}
	defer rc.Close()
	limit := opts.maxCompressed()
	if b.size >= 0 {
		limit = b.size
	}
	h := sha256.New()
	src := &hashReader{r: io.LimitReader(rc, limit+1), h: h}
	// One decoder goroutine: the reads (and so the hash) happen on this one, in order.
	dec, err := zstd.NewReader(src, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxDecoderWindow))
	if err != nil {
		return err
	}
	n, decErr := io.Copy(w, io.LimitReader(dec, opts.maxSize()+1))
	dec.Close()
	if src.err != nil {
		switch {
		case b.size >= 0 && src.n < b.size:
			return fmt.Errorf("download %s: truncated: got %d of %d bytes: %w", b.name, src.n, b.size, src.err)
		case b.size >= 0 && src.n == b.size && digestOf(h) != b.digest.Hex:
			// go-containerregistry's own check failed at the end of the blob; say it as for any source.
			return digestMismatch(b, h)
		}
		return fmt.Errorf("download %s: %w", b.name, src.err)
	}
	if n > opts.maxSize() {
		return fmt.Errorf("%s: larger than %d bytes uncompressed", b.name, opts.maxSize())
	}
	// Whatever the decoder left unread still counts towards the digest.
	if _, err := io.Copy(io.Discard, src); err != nil {
		if b.size >= 0 && src.n < b.size {
			return fmt.Errorf("download %s: truncated: got %d of %d bytes: %w", b.name, src.n, b.size, err)
		}
		return fmt.Errorf("download %s: %w", b.name, err)
	}
	switch {
	case src.n > limit && b.size >= 0:
		return fmt.Errorf("%s: more than the %d bytes its descriptor gives", b.name, b.size)
	case src.n > limit:
		return fmt.Errorf("%s: larger than %d bytes compressed", b.name, limit)
	case b.size >= 0 && src.n != b.size:
		return fmt.Errorf("%s: got %d bytes, its descriptor gives %d (truncated?)", b.name, src.n, b.size)
	}
	if digestOf(h) != b.digest.Hex {
		return digestMismatch(b, h)
	}
	if decErr != nil {
		return fmt.Errorf("%s: not a zstd-compressed database: %w", b.name, decErr)
	}
	return nil
}

func digestOf(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

func digestMismatch(b blob, h hash.Hash) error {
	return fmt.Errorf("%s: digest mismatch: downloaded sha256:%s, expected %s", b.name, digestOf(h), b.digest)
}

// hashReader hashes and counts what is read through it, and keeps the underlying reader's first error apart from
// the decoder's own.
type hashReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func (r *hashReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// checkDownloaded reads the downloaded file's metadata first, to name a schema mismatch plainly, then opens it as
// any scan would.
func checkDownloaded(path string) (Meta, error) {
	b, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return Meta{}, fmt.Errorf("not a hullscan database: %w", err)
	}
	var meta Meta
	err = b.View(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketMeta)
		if mb == nil || mb.Get(keyMeta) == nil {
			return errors.New("not a hullscan database (no metadata)")
		}
		if err := json.Unmarshal(mb.Get(keyMeta), &meta); err != nil {
			return fmt.Errorf("not a hullscan database (metadata: %w)", err)
		}
		return nil
	})
	b.Close()
	if err != nil {
		return Meta{}, err
	}
	if meta.SchemaVersion != SchemaVersion {
		return Meta{}, schemaError(meta.SchemaVersion)
	}
	db, err := Open(path)
	if err != nil {
		return Meta{}, err
	}
	meta = db.Meta()
	return meta, db.Close()
}

func schemaError(n int) error {
	return fmt.Errorf("the published database has schema %d, this hullscan reads %d", n, SchemaVersion)
}

// writeAtomic writes path through a temporary file in its directory and a rename.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable. Best effort: not every platform can sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
