package vulndb_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"

	"github.com/hullscan/hullscan/internal/testimage"
	"github.com/hullscan/hullscan/internal/vulndb"
	"github.com/hullscan/hullscan/internal/vulndb/vulndbtest"
)

// testOpts are the options of every remote call here: plain HTTP to the in-process registry, and no docker
// credentials from the environment (an empty multi-keychain resolves to anonymous).
var testOpts = vulndb.RemoteOptions{Insecure: true, Keychain: authn.NewMultiKeychain()}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dbA and dbB are two different small databases.
func dbA(t *testing.T) *vulndb.DB {
	return vulndbtest.Build(t, []any{
		vulndbtest.Record("GHSA-aaaa-aaaa-aaaa", []string{"CVE-2024-0001"}, "npm", "lodash", "introduced", "0", "fixed", "4.17.12"),
		vulndbtest.Record("DSA-0001-1", []string{"CVE-2024-0002"}, "Debian:12", "curl", "introduced", "0", "fixed", "7.88.1-10+deb12u1"),
	}, nil)
}

func dbB(t *testing.T) *vulndb.DB {
	return vulndbtest.Build(t, []any{
		vulndbtest.Record("PYSEC-2024-1", []string{"CVE-2024-0003"}, "PyPI", "requests", "introduced", "0", "fixed", "2.32.0"),
	}, nil)
}

func affected(t *testing.T, db *vulndb.DB, eco, pkg string) []vulndb.Affected {
	t.Helper()
	a, err := db.Affected(eco, pkg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func openDB(t *testing.T, path string) *vulndb.DB {
	t.Helper()
	db, err := vulndb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkOnly fails unless dir holds exactly the named files: no temporary file left behind.
func checkOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(names) || (len(names) > 0 && !reflect.DeepEqual(got, names)) {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

func TestPublishUpdateOCI(t *testing.T) {
	ctx := testContext(t)
	src := dbA(t)
	host := testimage.Registry(t)
	digest, err := vulndb.Publish(ctx, src.Path(), host+"/hullscan/db:1", testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(digest, "sha256:") {
		t.Errorf("digest %q", digest)
	}
	if _, err := vulndb.Publish(ctx, src.Path(), host+"/hullscan/db", testOpts); err != nil { // tag "latest"
		t.Fatal(err)
	}

	// The manifest is an OCI 1.1 artifact, as oras would push it.
	ref, err := name.ParseReference(host+"/hullscan/db:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest.String() != digest {
		t.Errorf("tag resolves to %s, Publish returned %s", desc.Digest, digest)
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	wantAnn := map[string]string{
		"org.opencontainers.image.created": vulndbtest.Built.Format(time.RFC3339),
		"io.hullscan.db.schema":            "1",
	}
	switch {
	case desc.MediaType != types.OCIManifestSchema1 || m.MediaType != types.OCIManifestSchema1:
		t.Errorf("media type %s / %s", desc.MediaType, m.MediaType)
	case m.ArtifactType != vulndb.ArtifactType:
		t.Errorf("artifactType %q", m.ArtifactType)
	case m.Config.MediaType != vulndb.ConfigMediaType:
		t.Errorf("config media type %q", m.Config.MediaType)
	case len(m.Layers) != 1 || m.Layers[0].MediaType != vulndb.LayerMediaType:
		t.Errorf("layers %+v", m.Layers)
	case !reflect.DeepEqual(m.Annotations, wantAnn):
		t.Errorf("annotations %v, want %v", m.Annotations, wantAnn)
	}
	cl, err := remote.Layer(ref.Context().Digest(m.Config.Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := cl.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	var cfgMeta vulndb.Meta
	if err := json.Unmarshal(cfg, &cfgMeta); err != nil || !reflect.DeepEqual(cfgMeta, src.Meta()) {
		t.Errorf("config %s (%v), want the database's Meta %+v", cfg, err, src.Meta())
	}

	for _, c := range []struct{ name, src string }{
		{"tag", host + "/hullscan/db:1"},
		{"default tag", host + "/hullscan/db"},
		{"digest", host + "/hullscan/db@" + digest},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "fresh", "cache")
			dest := filepath.Join(dir, "hullscan.db")
			var steps []string
			opts := testOpts
			opts.Progress = func(s string) { steps = append(steps, s) }
			meta, err := vulndb.Update(ctx, c.src, dest, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(meta, src.Meta()) {
				t.Errorf("Update returned %+v, want %+v", meta, src.Meta())
			}
			if len(steps) == 0 {
				t.Error("no progress reported")
			}
			got := openDB(t, dest)
			if !reflect.DeepEqual(got.Meta(), src.Meta()) {
				t.Errorf("meta %+v, want %+v", got.Meta(), src.Meta())
			}
			want := affected(t, src, "npm", "lodash")
			if len(want) == 0 {
				t.Fatal("the source database has no lodash entry")
			}
			if a := affected(t, got, "npm", "lodash"); !reflect.DeepEqual(a, want) {
				t.Errorf("Affected %+v, want %+v", a, want)
			}
			fi, err := os.Stat(dest)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o644 {
				t.Errorf("mode %v", fi.Mode())
			}
			checkOnly(t, dir, "hullscan.db")
		})
	}
}

// TestUpdateReplaces: an update replaces an existing database, also one a reader still has open.
func TestUpdateReplaces(t *testing.T) {
	ctx := testContext(t)
	a, b := dbA(t), dbB(t)
	host := testimage.Registry(t)
	if _, err := vulndb.Publish(ctx, b.Path(), host+"/hullscan/db:2", testOpts); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dest := filepath.Join(dir, "hullscan.db")
	copyFile(t, a.Path(), dest)
	old := openDB(t, dest)
	meta, err := vulndb.Update(ctx, host+"/hullscan/db:2", dest, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(meta, b.Meta()) {
		t.Errorf("meta %+v, want %+v", meta, b.Meta())
	}
	got := openDB(t, dest)
	if len(affected(t, got, "PyPI", "requests")) != 1 || len(affected(t, got, "npm", "lodash")) != 0 {
		t.Error("the new database does not hold B's records alone")
	}
	// The reader of the old file keeps reading it.
	if len(affected(t, old, "npm", "lodash")) != 1 {
		t.Error("the old database's reader lost its records")
	}
	checkOnly(t, dir, "hullscan.db")
}

func TestPublishFileUpdateURL(t *testing.T) {
	ctx := testContext(t)
	src := dbA(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "hullscan.db.zst")
	sum, err := vulndb.PublishFile(src.Path(), out)
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if h := sha256.Sum256(body); hex.EncodeToString(h[:]) != sum {
		t.Errorf("PublishFile returned %s, the file's digest is %x", sum, h)
	}
	sumFile, err := os.ReadFile(out + ".sha256")
	if err != nil {
		t.Fatal(err)
	}
	if string(sumFile) != sum+"  hullscan.db.zst\n" {
		t.Errorf(".sha256 holds %q", sumFile)
	}
	checkOnly(t, dir, "hullscan.db.zst", "hullscan.db.zst.sha256")

	// Every form of digest file sha256sum and people write.
	for _, c := range []struct{ name, sumFile string }{
		{"sha256sum", sum + "  hullscan.db.zst\n"},
		{"binary mode", sum + " *hullscan.db.zst\n"},
		{"bare", sum},
		{"prefixed upper case", "sha256:" + strings.ToUpper(sum) + "\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := serveFiles(t, false, map[string][]byte{"/db/hullscan.db.zst": body, "/db/hullscan.db.zst.sha256": []byte(c.sumFile)})
			dest := filepath.Join(t.TempDir(), "hullscan.db")
			meta, err := vulndb.Update(ctx, srv.URL+"/db/hullscan.db.zst", dest, testOpts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(meta, src.Meta()) {
				t.Errorf("meta %+v, want %+v", meta, src.Meta())
			}
			if a := affected(t, openDB(t, dest), "Debian", "curl"); !reflect.DeepEqual(a, affected(t, src, "Debian", "curl")) {
				t.Errorf("Affected %+v", a)
			}
		})
	}

	t.Run("https", func(t *testing.T) {
		srv := serveFiles(t, true, map[string][]byte{"/hullscan.db.zst": body, "/hullscan.db.zst.sha256": sumFile})
		dest := filepath.Join(t.TempDir(), "hullscan.db")
		// The test server's certificate is self-signed: refused unless insecure.
		if _, err := vulndb.Update(ctx, srv.URL+"/hullscan.db.zst", dest, vulndb.RemoteOptions{}); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("self-signed certificate accepted without Insecure: %v", err)
		}
		if _, err := vulndb.Update(ctx, srv.URL+"/hullscan.db.zst", dest, testOpts); err != nil {
			t.Fatal(err)
		}
	})
}

// serveFiles serves fixed files over HTTP (or HTTPS with a self-signed certificate).
func serveFiles(t *testing.T, tls bool, files map[string][]byte) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv
}

func zstdBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

// schema99 returns a file with the buckets of a database and metadata that says schema 99.
func schema99(t *testing.T) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "schema99.db")
	db, err := bolt.Open(p, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range []string{"meta", "affected", "advisory", "kev", "epss", "tracker", "alias"} {
			if _, err := tx.CreateBucket([]byte(b)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("meta"), []byte(`{"schema_version":99,"built":"2030-01-01T00:00:00Z","feeds":[],"ecosystems":[]}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

// pushArtifact pushes a hand-made artifact (what another tool, or a broken publisher, could push) and returns the
// layer's digest.
func pushArtifact(t *testing.T, ref, artifactType string, layer []byte, annotations map[string]string) v1.Hash {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	config := []byte(`{}`)
	cl := static.NewLayer(config, vulndb.ConfigMediaType)
	ll := static.NewLayer(layer, vulndb.LayerMediaType)
	for _, l := range []v1.Layer{cl, ll} {
		if err := remote.WriteLayer(r.Context(), l); err != nil {
			t.Fatal(err)
		}
	}
	desc := func(l v1.Layer, mt types.MediaType) v1.Descriptor {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		s, err := l.Size()
		if err != nil {
			t.Fatal(err)
		}
		return v1.Descriptor{MediaType: mt, Digest: d, Size: s}
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  artifactType,
		Config:        desc(cl, vulndb.ConfigMediaType),
		Layers:        []v1.Descriptor{desc(ll, vulndb.LayerMediaType)},
		Annotations:   annotations,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(r, rawManifest{raw, types.OCIManifestSchema1}); err != nil {
		t.Fatal(err)
	}
	return m.Layers[0].Digest
}

// faultyRegistry is an in-process registry whose blob downloads go through mangle (when it is set): a tampered or
// truncated blob, served as if nothing were wrong.
type faultyRegistry struct {
	host   string
	mu     sync.Mutex
	mangle func(digest string, body []byte) []byte
}

func newFaultyRegistry(t *testing.T) *faultyRegistry {
	fr := &faultyRegistry{}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fr.mu.Lock()
		mangle := fr.mangle
		fr.mu.Unlock()
		i := strings.LastIndex(r.URL.Path, "/blobs/")
		if mangle == nil || r.Method != http.MethodGet || i < 0 {
			reg.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, r)
		body := mangle(r.URL.Path[i+len("/blobs/"):], rec.Body.Bytes())
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	fr.host = strings.TrimPrefix(srv.URL, "http://")
	return fr
}

// layerDigest returns the digest of the database layer of a published artifact.
func layerDigest(t *testing.T, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil || len(m.Layers) != 1 {
		t.Fatalf("manifest %s: %v", desc.Manifest, err)
	}
	return m.Layers[0].Digest.String()
}

func (fr *faultyRegistry) set(f func(digest string, body []byte) []byte) {
	fr.mu.Lock()
	fr.mangle = f
	fr.mu.Unlock()
}

// TestUpdateFailuresKeepOldDatabase: whatever goes wrong, the database in place stays byte-identical and working,
// and no temporary file remains.
func TestUpdateFailuresKeepOldDatabase(t *testing.T) {
	ctx := testContext(t)
	a, b := dbA(t), dbB(t)
	bFile := filepath.Join(t.TempDir(), "b.db.zst")
	bSum, err := vulndb.PublishFile(b.Path(), bFile)
	if err != nil {
		t.Fatal(err)
	}
	bBody, err := os.ReadFile(bFile)
	if err != nil {
		t.Fatal(err)
	}
	s99 := zstdBytes(t, schema99(t))
	s99Sum := sha256.Sum256(s99)
	host := testimage.Registry(t)
	fr := newFaultyRegistry(t)
	bRef := fr.host + "/hullscan/db:1"
	if _, err := vulndb.Publish(ctx, b.Path(), bRef, testOpts); err != nil {
		t.Fatal(err)
	}
	bLayer := layerDigest(t, bRef)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedHost := closed.Addr().String()
	closed.Close()

	// Each case returns the source to update from (and may set options); the update must fail with wantErr.
	for _, c := range []struct {
		name    string
		setup   func(t *testing.T, opts *vulndb.RemoteOptions) string
		wantErr string
	}{
		{"tampered body", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			bad := bytes.Clone(bBody)
			bad[len(bad)/2] ^= 0xff
			return serveFiles(t, false, map[string][]byte{"/db.zst": bad, "/db.zst.sha256": []byte(bSum + "  db.zst\n")}).URL + "/db.zst"
		}, "digest mismatch: downloaded sha256:"},
		{"tampered digest file", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			other := strings.Repeat("ab", 32)
			return serveFiles(t, false, map[string][]byte{"/db.zst": bBody, "/db.zst.sha256": []byte(other + "  db.zst\n")}).URL + "/db.zst"
		}, "expected sha256:" + strings.Repeat("ab", 32)},
		{"missing digest file", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			return serveFiles(t, false, map[string][]byte{"/db.zst": bBody}).URL + "/db.zst"
		}, "404 Not Found"},
		{"malformed digest file", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			return serveFiles(t, false, map[string][]byte{"/db.zst": bBody, "/db.zst.sha256": []byte("12345  db.zst\n")}).URL + "/db.zst"
		}, "is not a sha256 hex digest"},
		{"plain http without insecure", func(t *testing.T, opts *vulndb.RemoteOptions) string {
			opts.Insecure = false
			return serveFiles(t, false, map[string][]byte{"/db.zst": bBody, "/db.zst.sha256": []byte(bSum)}).URL + "/db.zst"
		}, "needs --insecure"},
		{"schema 99 over https", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			return serveFiles(t, true, map[string][]byte{"/db.zst": s99, "/db.zst.sha256": []byte(hex.EncodeToString(s99Sum[:]))}).URL + "/db.zst"
		}, "the published database has schema 99, this hullscan reads 1"},
		{"foreign artifact type", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			pushArtifact(t, host+"/other/thing:1", "application/vnd.example.sbom.v1", bBody, nil)
			return host + "/other/thing:1"
		}, `artifact type "application/vnd.example.sbom.v1"`},
		{"container image", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			testimage.Push(t, host+"/app:1", testimage.Image(nil))
			return host + "/app:1"
		}, "not a hullscan database"},
		{"schema 99 by annotation", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			pushArtifact(t, host+"/hullscan/db:s99a", vulndb.ArtifactType, s99, map[string]string{vulndb.AnnotationSchema: "99"})
			return host + "/hullscan/db:s99a"
		}, "the published database has schema 99, this hullscan reads 1"},
		{"schema 99 in the file", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			pushArtifact(t, host+"/hullscan/db:s99", vulndb.ArtifactType, s99, nil)
			return host + "/hullscan/db:s99"
		}, "the published database has schema 99, this hullscan reads 1"},
		{"blob that is no database", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			pushArtifact(t, host+"/hullscan/db:text", vulndb.ArtifactType, zstdBytes(t, []byte("hello, not a database\n")), nil)
			return host + "/hullscan/db:text"
		}, "not a hullscan database"},
		{"blob that is no zstd", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			pushArtifact(t, host+"/hullscan/db:plain", vulndb.ArtifactType, []byte("hello, not zstd\n"), nil)
			return host + "/hullscan/db:plain"
		}, "not a zstd-compressed database"},
		{"truncated blob", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			fr.set(func(digest string, body []byte) []byte {
				if digest != bLayer {
					return body
				}
				return body[:len(body)/2]
			})
			t.Cleanup(func() { fr.set(nil) })
			return bRef
		}, "truncated: got"},
		{"tampered blob", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			fr.set(func(digest string, body []byte) []byte {
				if digest != bLayer {
					return body
				}
				body = bytes.Clone(body)
				body[len(body)/2] ^= 0xff
				return body
			})
			t.Cleanup(func() { fr.set(nil) })
			return bRef
		}, "digest mismatch: downloaded sha256:"},
		{"over the size limit", func(t *testing.T, opts *vulndb.RemoteOptions) string {
			opts.MaxSize = 4096
			return bRef
		}, "larger than 4096 bytes uncompressed"},
		{"no such tag", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			return host + "/hullscan/db:nonesuch"
		}, "MANIFEST_UNKNOWN"},
		{"unreachable registry", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			return closedHost + "/hullscan/db:1"
		}, "connection refused"},
		{"bad reference", func(t *testing.T, _ *vulndb.RemoteOptions) string {
			return "Not A//Reference"
		}, "could not parse reference: Not A//Reference"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			dest := filepath.Join(dir, "hullscan.db")
			copyFile(t, a.Path(), dest)
			before, err := os.ReadFile(dest)
			if err != nil {
				t.Fatal(err)
			}
			opts := testOpts
			src := c.setup(t, &opts)
			start := time.Now()
			_, err = vulndb.Update(ctx, src, dest, opts)
			t.Log(err)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("error %v, want one containing %q", err, c.wantErr)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %s", d)
			}
			after, err := os.ReadFile(dest)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("the old database changed")
			}
			db := openDB(t, dest)
			if !reflect.DeepEqual(db.Meta(), a.Meta()) || len(affected(t, db, "npm", "lodash")) != 1 {
				t.Error("the old database no longer reads as it did")
			}
			checkOnly(t, dir, "hullscan.db")
		})
	}
}

func TestPublishRefusesNonDatabase(t *testing.T) {
	ctx := testContext(t)
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	s99 := filepath.Join(dir, "s99.db")
	if err := os.WriteFile(s99, schema99(t), 0o644); err != nil {
		t.Fatal(err)
	}
	host := testimage.Registry(t)
	for _, c := range []struct{ name, path, wantErr string }{
		{"missing", filepath.Join(dir, "nonesuch.db"), "no vulnerability database"},
		{"not a database", notDB, "open database"},
		{"other schema", s99, "schema version 99"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := vulndb.Publish(ctx, c.path, host+"/hullscan/db:x", testOpts); err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Publish: %v, want an error containing %q", err, c.wantErr)
			}
			out := filepath.Join(t.TempDir(), "db.zst")
			if _, err := vulndb.PublishFile(c.path, out); err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("PublishFile: %v, want an error containing %q", err, c.wantErr)
			}
			checkOnly(t, filepath.Dir(out))
		})
	}
}
