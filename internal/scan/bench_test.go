package scan

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/hullscan/hullscan/internal/source"
	"github.com/hullscan/hullscan/internal/testimage"
)

func debianImage(tb testing.TB) v1.Image {
	tb.Helper()
	idx, err := layout.ImageIndexFromPath(testimage.DebianLayout(tb))
	if err != nil {
		tb.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		tb.Fatal(err)
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

func benchScan(b *testing.B, cacheDir string) {
	lay := testimage.DebianLayout(b)
	tg := source.Target{Kind: source.OCILayout, Path: lay, Arg: "oci:" + lay}
	opts := Options{CacheDir: cacheDir}
	if cacheDir != "" {
		if _, err := Run(context.Background(), tg, opts); err != nil { // warm it
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inv, err := Run(context.Background(), tg, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(inv.Packages) == 0 {
			b.Fatal("no packages")
		}
	}
}

// BenchmarkScanDebianCold scans the three-layer Debian fixture with no cache: every layer is decompressed and
// walked.
func BenchmarkScanDebianCold(b *testing.B) { benchScan(b, "") }

// BenchmarkScanDebianWarm scans it again with every layer's result cached.
func BenchmarkScanDebianWarm(b *testing.B) { benchScan(b, b.TempDir()) }

// TestWriteBenchImages writes the images scripts/bench.sh measures, when HULLSCAN_BENCH_OUT names a directory:
// debian.tar (the fixture image as a docker-archive) and filler.tar (the same plus a 1 GiB layer of 1024 files of
// poorly compressible data, to show memory stays flat as images grow). Not a test of anything: it is skipped
// unless asked for.
func TestWriteBenchImages(t *testing.T) {
	out := os.Getenv("HULLSCAN_BENCH_OUT")
	if out == "" {
		t.Skip("set HULLSCAN_BENCH_OUT to write the benchmark images")
	}
	img := debianImage(t)
	testimage.WriteDockerArchive(t, filepath.Join(out, "debian.tar"), "bench/debian:1", img)
	filler, err := tarball.LayerFromOpener(fillerTar, tarball.WithCompressionLevel(gzip.BestSpeed))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	big := testimage.Image(append(layers, filler), append(testimage.DebianCreatedBy, "COPY filler /opt/filler")...)
	testimage.WriteDockerArchive(t, filepath.Join(out, "filler.tar"), "bench/filler:1", big)
}

// fillerTar streams a tar of 1024 files of 1 MiB each, generated from a fixed seed (base64-like text of random
// bytes: compresses to about three quarters, like real binaries do roughly); a quarter of them executable.
func fillerTar() (io.ReadCloser, error) {
	pr, pw := io.Pipe()
	go func() {
		rng := rand.New(rand.NewPCG(1, 2))
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		bw := bufio.NewWriterSize(pw, 1<<20)
		tw := tar.NewWriter(bw)
		buf := make([]byte, 1<<20)
		for i := 0; i < 1024; i++ {
			for j := range buf {
				buf[j] = alphabet[rng.Uint32()&63]
			}
			mode := int64(0o644)
			if i%4 == 0 {
				// Every fourth file looks like a program (executable, ELF magic), as images ship hundreds of
				// them: every tool opens these, and memory must not grow with them.
				mode = 0o755
				copy(buf, "\x7fELF")
			}
			hdr := &tar.Header{Name: fmt.Sprintf("opt/filler/%04d.bin", i), Mode: mode, Size: int64(len(buf)), ModTime: testimage.Epoch}
			if err := tw.WriteHeader(hdr); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := tw.Write(buf); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		if err := tw.Close(); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(bw.Flush())
	}()
	return pr, nil
}
