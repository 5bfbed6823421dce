package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/hullscan/hullscan/internal/testimage"
)

// End-to-end tests of the hullscan binary: built once, run as CI runs it (no terminal on any stream), judged by
// exit code, stdout, stderr and the files it writes.

var (
	bin     string // the hullscan binary under test
	workDir string // scratch space shared by the tests: fixtures, HOME, caches
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hullscan-cli-")
	if err != nil {
		log.Fatal(err)
	}
	workDir = dir
	bin = filepath.Join(dir, "hullscan")
	build := exec.Command("go", "build", "-buildvcs=false", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		log.Fatalf("go build: %v\n%s", err, out)
	}
	code := m.Run()
	if reg != nil {
		reg.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// The packages of the test image, as "name version" (what every target form must list).
var wantPackages = []string{"base-files 12.4", "curl 7.88.1-10", "libc6 2.36-9", "zlib1g 1:1.2.13-1"}

const osRelease = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n"

func dpkgStatus(pkgs ...string) string {
	var b strings.Builder
	for _, p := range pkgs {
		name, version, _ := strings.Cut(p, " ")
		fmt.Fprintf(&b, "Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: %s\nDescription: test\n\n", name, version)
	}
	return b.String()
}

// fixture holds every target the tests scan, built once.
type fixture struct {
	archive, archiveGz, layout, multiLayout, rootfs, warnArchive, bombArchive, truncated, notImage string
	registryRef                                                                                    string
}

var (
	fixOnce sync.Once
	fix     *fixture
	reg     *httptest.Server
)

func getFixture(t *testing.T) *fixture {
	t.Helper()
	fixOnce.Do(func() { fix = buildFixture(t) })
	if fix == nil {
		t.Fatal("building the fixture failed (see the first test that ran)")
	}
	return fix
}

func buildFixture(t *testing.T) *fixture {
	dir := filepath.Join(workDir, "fixture")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		archive:     filepath.Join(dir, "app.tar"),
		archiveGz:   filepath.Join(dir, "app.tar.gz"),
		layout:      filepath.Join(dir, "layout"),
		multiLayout: filepath.Join(dir, "multi"),
		rootfs:      filepath.Join(dir, "rootfs"),
		warnArchive: filepath.Join(dir, "warn.tar"),
		bombArchive: filepath.Join(dir, "bomb.tar"),
		truncated:   filepath.Join(dir, "truncated.tar"),
		notImage:    filepath.Join(dir, "notimage.tar"),
	}
	first := dpkgStatus(wantPackages[0], wantPackages[2], wantPackages[3])
	final := dpkgStatus(wantPackages...)
	img := testimage.Image([]v1.Layer{
		testimage.Layer(
			testimage.File{Name: "usr/lib/os-release", Body: osRelease},
			testimage.File{Name: "etc/os-release", Type: tar.TypeSymlink, Linkname: "../usr/lib/os-release"},
			testimage.File{Name: "var/lib/dpkg/status", Body: first},
		),
		testimage.Layer(testimage.File{Name: "var/lib/dpkg/status", Body: final}),
	}, "debootstrap bookworm", "RUN apt-get install -y curl")
	testimage.WriteDockerArchive(t, f.archive, "example.com/app:1", img)
	raw, err := os.ReadFile(f.archive)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, f.archiveGz, gzipBytes(t, raw))
	writeFile(t, f.truncated, raw[:len(raw)/2])
	writeFile(t, f.notImage, testimage.Tar(testimage.File{Name: "hello.txt", Body: "hi"}))
	testimage.WriteOCILayout(t, f.layout, "1.0", img)
	// The same packages for linux/amd64 and linux/arm64/v8.
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.Variant = "arm64", "v8"
	arm, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}})
	if _, err := layout.Write(f.multiLayout, idx); err != nil {
		t.Fatal(err)
	}

	// The same final tree, unpacked.
	writeFile(t, filepath.Join(f.rootfs, "usr/lib/os-release"), []byte(osRelease))
	writeFile(t, filepath.Join(f.rootfs, "var/lib/dpkg/status"), []byte(final))
	if err := os.MkdirAll(filepath.Join(f.rootfs, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../usr/lib/os-release", filepath.Join(f.rootfs, "etc/os-release")); err != nil {
		t.Fatal(err)
	}

	// An image with an entry that escapes the root: scanned fine, with a warning.
	warn := testimage.Image([]v1.Layer{testimage.Layer(
		testimage.File{Name: "../../escape", Body: "x"},
		testimage.File{Name: "var/lib/dpkg/status", Body: final},
	)})
	testimage.WriteDockerArchive(t, f.warnArchive, "warn:1", warn)
	// 8 MiB of zeros: a bomb for --max-layer-size 1000000.
	bomb := testimage.Image([]v1.Layer{testimage.Layer(testimage.File{Name: "zeros", Body: strings.Repeat("\x00", 8<<20)})})
	testimage.WriteDockerArchive(t, f.bombArchive, "bomb:1", bomb)

	reg = httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	u, err := url.Parse(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	f.registryRef = u.Host + "/app:1"
	testimage.Push(t, f.registryRef, img)
	return f
}

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type result struct {
	code           int
	stdout, stderr string
}

// hullscan runs the binary in dir (a fresh one when ""), with no terminal, a private HOME and cache, and no
// docker credentials. Every run is checked for what must hold whatever the outcome: no ANSI escape on stderr
// when it is not a terminal, and no Go panic.
func hullscan(t *testing.T, dir string, args ...string) result {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	home := filepath.Join(workDir, "home")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"DOCKER_CONFIG="+filepath.Join(home, ".docker"), "NO_COLOR=", "TERM=xterm-256color")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		t.Fatalf("hullscan %v: %v\nstderr: %s", args, err, r.stderr)
	}
	if strings.Contains(r.stderr, "\x1b[") || strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("hullscan %v: ANSI escape in output with no terminal:\nstdout %q\nstderr %q", args, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "internal error") {
		t.Errorf("hullscan %v: crashed:\n%s", args, r.stderr)
	}
	return r
}

// jsonPackages extracts "name version" from hullscan's JSON format, sorted.
func jsonPackages(t *testing.T, doc []byte) []string {
	t.Helper()
	var d struct {
		Source   struct{ Kind string }
		Packages []struct{ Name, Version string }
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("output is not JSON: %v\n%.500s", err, doc)
	}
	var out []string
	for _, p := range d.Packages {
		out = append(out, p.Name+" "+p.Version)
	}
	sort.Strings(out)
	return out
}

func TestSBOMFormats(t *testing.T) {
	f := getFixture(t)
	for _, c := range []struct {
		name  string
		args  []string
		check func(t *testing.T, out []byte)
	}{
		{"table", []string{"sbom", f.archive}, func(t *testing.T, out []byte) {
			s := string(out)
			for _, p := range wantPackages {
				name, version, _ := strings.Cut(p, " ")
				if !containsLine(s, name, version, "deb") {
					t.Errorf("no table row for %s %s:\n%s", name, version, s)
				}
			}
			if !strings.Contains(s, "Debian GNU/Linux 12") || !strings.Contains(s, "4 packages") {
				t.Errorf("table header or summary missing:\n%s", s)
			}
		}},
		{"cyclonedx", []string{"sbom", f.archive, "--format", "cyclonedx", "-o", "out.json"}, func(t *testing.T, out []byte) {
			var d struct {
				BOMFormat   string `json:"bomFormat"`
				SpecVersion string `json:"specVersion"`
				Components  []struct{ Type, Name, Version, Purl string }
			}
			mustJSON(t, out, &d)
			if d.BOMFormat != "CycloneDX" || d.SpecVersion != "1.6" {
				t.Errorf("bomFormat %q specVersion %q", d.BOMFormat, d.SpecVersion)
			}
			var got []string
			for _, c := range d.Components {
				if c.Type == "library" {
					got = append(got, c.Name+" "+c.Version)
					if !strings.HasPrefix(c.Purl, "pkg:deb/debian/"+c.Name+"@") {
						t.Errorf("%s: purl %q", c.Name, c.Purl)
					}
				}
			}
			sortedEqual(t, got, wantPackages)
		}},
		{"spdx", []string{"sbom", f.archive, "--format", "spdx", "-o", "out.json"}, func(t *testing.T, out []byte) {
			var d struct {
				SPDXVersion string `json:"spdxVersion"`
				Packages    []struct {
					Name        string `json:"name"`
					VersionInfo string `json:"versionInfo"`
					Purpose     string `json:"primaryPackagePurpose"`
				} `json:"packages"`
			}
			mustJSON(t, out, &d)
			if d.SPDXVersion != "SPDX-2.3" {
				t.Errorf("spdxVersion %q", d.SPDXVersion)
			}
			var got []string
			for _, p := range d.Packages {
				if p.Purpose == "LIBRARY" || p.Purpose == "" {
					got = append(got, p.Name+" "+p.VersionInfo)
				}
			}
			sortedEqual(t, got, wantPackages)
		}},
		{"json", []string{"sbom", f.archive, "-f", "json", "-o", "out.json"}, func(t *testing.T, out []byte) {
			sortedEqual(t, jsonPackages(t, out), wantPackages)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			r := hullscan(t, dir, c.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			out := []byte(r.stdout)
			if strings.Contains(strings.Join(c.args, " "), "-o out.json") {
				if r.stdout != "" {
					t.Errorf("stdout not empty with -o: %.200q", r.stdout)
				}
				var err error
				if out, err = os.ReadFile(filepath.Join(dir, "out.json")); err != nil {
					t.Fatal(err)
				}
				checkOnlyFiles(t, dir, "out.json")
				if st, err := os.Stat(filepath.Join(dir, "out.json")); err != nil || st.Mode().Perm() != 0o644 {
					t.Errorf("out.json mode: %v %v", st.Mode(), err)
				}
			}
			c.check(t, out)
		})
	}
}

// containsLine reports whether some line of s has all the fields, in order.
func containsLine(s string, fields ...string) bool {
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(fields) && reflect.DeepEqual(f[:len(fields)], fields) {
			return true
		}
	}
	return false
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("not JSON: %v\n%.500s", err, b)
	}
}

func sortedEqual(t *testing.T, got, want []string) {
	t.Helper()
	got, want = append([]string(nil), got...), append([]string(nil), want...)
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("packages %q, want %q", got, want)
	}
}

// checkOnlyFiles fails unless dir holds exactly names (no temp file left behind).
func checkOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if !reflect.DeepEqual(got, names) && !(len(got) == 0 && len(names) == 0) {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

// TestSBOMTargets: every way to name the image (and its unpacked tree) lists the same packages.
func TestSBOMTargets(t *testing.T) {
	f := getFixture(t)
	for _, c := range []struct {
		name, kind string
		args       []string
	}{
		{"docker-archive", "docker-archive", []string{f.archive}},
		{"docker-archive with tag", "docker-archive", []string{f.archive + ":example.com/app:1"}},
		{"docker-archive: prefix", "docker-archive", []string{"docker-archive:" + f.archive}},
		{"gzip docker-archive", "docker-archive", []string{f.archiveGz}},
		{"oci layout", "oci-layout", []string{"oci:" + f.layout}},
		{"oci layout with tag", "oci-layout", []string{"oci:" + f.layout + ":1.0"}},
		{"multi-platform oci layout", "oci-layout", []string{"oci:" + f.multiLayout, "--platform", "linux/arm64"}},
		{"rootfs", "rootfs", []string{"rootfs:" + f.rootfs}},
		{"directory", "directory", []string{f.rootfs}},
		{"registry", "registry", []string{f.registryRef, "--insecure"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := hullscan(t, "", append([]string{"sbom", "-f", "json"}, c.args...)...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			var d struct{ Source struct{ Kind, Name string } }
			mustJSON(t, []byte(r.stdout), &d)
			if d.Source.Kind != c.kind || d.Source.Name != c.args[0] {
				t.Errorf("source %+v, want kind %s named %s", d.Source, c.kind, c.args[0])
			}
			sortedEqual(t, jsonPackages(t, []byte(r.stdout)), wantPackages)
		})
	}
}

// TestSBOMInputErrors: what the user got wrong exits 2 with one line on stderr that starts "hullscan: " and names
// the problem, and nothing on stdout.
func TestSBOMInputErrors(t *testing.T) {
	f := getFixture(t)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"truncated archive", []string{"sbom", f.truncated}, "truncated"},
		{"not an image", []string{"sbom", f.notImage}, "not an image archive"},
		{"missing file", []string{"sbom", "./nope.tar"}, "./nope.tar: no such file or directory"},
		{"missing oci dir", []string{"sbom", "oci:./no-such-layout"}, "OCI layout ./no-such-layout does not exist"},
		{"oci dir is no layout", []string{"sbom", "oci:" + f.rootfs}, "not an OCI layout"},
		{"rootfs is a file", []string{"sbom", "rootfs:" + f.archive}, "is not a directory"},
		{"unreachable registry", []string{"sbom", "127.0.0.1:1/x:1"}, "unreachable"},
		{"no such tag in archive", []string{"sbom", f.archive + ":other:2"}, `no image tagged "other:2"`},
		{"platform not chosen", []string{"sbom", "oci:" + f.multiLayout}, "2 images match; choose with --platform"},
		{"no such platform", []string{"sbom", "oci:" + f.multiLayout, "--platform", "linux/s390x"}, "no image for platform linux/s390x (available: linux/amd64"},
		{"bad format", []string{"sbom", f.archive, "--format", "xml"}, `--format "xml": want one of`},
		{"unknown flag", []string{"sbom", f.archive, "--bogus"}, "unknown flag: --bogus"},
		{"bad flag value", []string{"sbom", f.archive, "--max-layer-size", "lots"}, "--max-layer-size"},
		{"missing argument", []string{"sbom"}, "accepts 1 arg(s), received 0"},
		{"two arguments", []string{"sbom", f.archive, f.archive}, "accepts 1 arg(s), received 2"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"decompression bomb", []string{"sbom", f.bombArchive, "--max-layer-size", "1000000"}, "exceeds the cap"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := hullscan(t, "", c.args...)
			if r.code != exitInput {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, exitInput, r.stderr)
			}
			msg := strings.TrimSuffix(r.stderr, "\n")
			if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "hullscan: ") || !strings.Contains(msg, c.want) {
				t.Errorf("stderr %q: want one line starting \"hullscan: \" and naming %q", r.stderr, c.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %.200q, want nothing", r.stdout)
			}
		})
	}
}

func TestSBOMWarningsAndQuiet(t *testing.T) {
	f := getFixture(t)
	r := hullscan(t, "", "sbom", f.warnArchive, "-f", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stderr, "warning: ") || !strings.Contains(r.stderr, `"../../escape" escapes the image root`) {
		t.Errorf("stderr %q: want the warning", r.stderr)
	}
	sortedEqual(t, jsonPackages(t, []byte(r.stdout)), wantPackages)
	for _, q := range []string{"--quiet", "-q"} {
		r = hullscan(t, "", "sbom", f.warnArchive, "-f", "json", q)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("%s: exit %d, stderr %q; want 0 and nothing", q, r.code, r.stderr)
		}
		// Quiet silences stderr, not the report: the warning is still in the JSON.
		if !strings.Contains(r.stdout, "escapes the image root") {
			t.Errorf("%s: the warning is gone from the JSON too", q)
		}
	}
}

func TestSBOMOutputFile(t *testing.T) {
	f := getFixture(t)
	t.Run("directory does not exist", func(t *testing.T) {
		dir := t.TempDir()
		r := hullscan(t, dir, "sbom", f.archive, "-o", "missing/dir/out.json")
		if r.code != exitInput || !strings.HasPrefix(r.stderr, "hullscan: --output missing/dir/out.json") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
		checkOnlyFiles(t, dir)
	})
	t.Run("failed scan keeps the old report", func(t *testing.T) {
		dir := t.TempDir()
		old := []byte("the previous report\n")
		writeFile(t, filepath.Join(dir, "out.json"), old)
		r := hullscan(t, dir, "sbom", f.truncated, "-f", "json", "-o", "out.json")
		if r.code != exitInput {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "out.json")); err != nil || !bytes.Equal(b, old) {
			t.Errorf("out.json now %q, %v", b, err)
		}
		checkOnlyFiles(t, dir, "out.json")
	})
	t.Run("success replaces the old report", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "out.json"), []byte("old"))
		r := hullscan(t, dir, "sbom", f.archive, "-f", "json", "-o", "out.json")
		if r.code != 0 {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
		b, err := os.ReadFile(filepath.Join(dir, "out.json"))
		if err != nil {
			t.Fatal(err)
		}
		sortedEqual(t, jsonPackages(t, b), wantPackages)
		checkOnlyFiles(t, dir, "out.json")
	})
}

// TestSBOMCacheIsTransparent: a second scan served from --cache-dir (layer results, and blobs for a registry)
// writes the same JSON, byte for byte, as the first.
func TestSBOMCacheIsTransparent(t *testing.T) {
	f := getFixture(t)
	for _, target := range []string{f.archive, f.registryRef} {
		t.Run(filepath.Base(target), func(t *testing.T) {
			cache := t.TempDir()
			args := []string{"sbom", target, "-f", "json", "--insecure", "--cache-dir", cache}
			cold := hullscan(t, "", args...)
			if cold.code != 0 {
				t.Fatalf("exit %d: %s", cold.code, cold.stderr)
			}
			entries, err := filepath.Glob(filepath.Join(cache, "layers", "*", "*.gob.zst"))
			if err != nil || len(entries) != 2 {
				t.Fatalf("cache holds %d layer results after the first scan, want 2 (%v)", len(entries), err)
			}
			warm := hullscan(t, "", args...)
			if warm.code != 0 {
				t.Fatalf("exit %d: %s", warm.code, warm.stderr)
			}
			if warm.stdout != cold.stdout {
				t.Errorf("cached scan differs:\n%s\n---\n%s", warm.stdout, cold.stdout)
			}
			sortedEqual(t, jsonPackages(t, []byte(warm.stdout)), wantPackages)
			// Without the cache, the same again: nothing in the document depends on the run.
			if fresh := hullscan(t, "", "sbom", target, "-f", "json", "--insecure", "--no-cache"); fresh.stdout != cold.stdout {
				t.Errorf("uncached scan differs:\n%s\n---\n%s", fresh.stdout, cold.stdout)
			}
		})
	}
}
