package scan

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hullscan/hullscan/internal/source"
	"github.com/hullscan/hullscan/internal/testimage"
)

// TestRegistrySecondScanDownloadsNothing: the first scan of a registry image downloads its layer blobs; a second
// one — with the layer cache, or with only the blob cache (a parser changed, say) — downloads none.
func TestRegistrySecondScanDownloadsNothing(t *testing.T) {
	var blobGets atomic.Int64
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			blobGets.Add(1)
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	ref := u.Host + "/app:1"
	img := testimage.Image([]v1.Layer{
		testimage.Layer(testimage.File{Name: "var/lib/dpkg/status", Body: dpkgStatus("a 1")}),
		testimage.Layer(testimage.File{Name: "var/lib/dpkg/status", Body: dpkgStatus("a 1", "b 2")}),
	})
	testimage.Push(t, ref, img)
	tg, err := source.ParseTarget(ref)
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	scan := func(opts Options) int64 {
		t.Helper()
		before := blobGets.Load()
		inv, err := Run(context.Background(), tg, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(inv.Packages) != 2 {
			t.Fatalf("packages: %v", pkgLayers(inv))
		}
		return blobGets.Load() - before
	}
	open := source.OpenOptions{Insecure: true}
	if n := scan(Options{Open: open, CacheDir: cache}); n < 2 {
		t.Fatalf("cold scan fetched %d blobs, want at least the 2 layers (and the config)", n)
	}
	if n := scan(Options{Open: open, CacheDir: cache}); n > 1 {
		t.Errorf("warm scan fetched %d blobs; only the config may be fetched", n)
	}
	// Only the blob cache: every layer is read again, from disk.
	blobsOnly := open
	blobsOnly.BlobCacheDir = cache + "/blobs"
	if n := scan(Options{Open: blobsOnly}); n > 1 {
		t.Errorf("scan with the blob cache fetched %d blobs; only the config may be fetched", n)
	}
}
