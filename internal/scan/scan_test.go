package scan

import (
	"archive/tar"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/source"
	"github.com/hullscan/hullscan/internal/testimage"
)

func dpkgStatus(pkgs ...string) string {
	var b strings.Builder
	for _, p := range pkgs {
		f := strings.Fields(p) // name version [source]
		fmt.Fprintf(&b, "Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: %s\n", f[0], f[1])
		if len(f) > 2 {
			fmt.Fprintf(&b, "Source: %s\n", f[2])
		}
		b.WriteString("Description: test\n\n")
	}
	return b.String()
}

const osRelease = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n"

func scanImage(t *testing.T, img v1.Image, opts Options) *model.Inventory {
	t.Helper()
	dir := t.TempDir()
	testimage.WriteOCILayout(t, dir, "", img)
	inv, err := Run(context.Background(), source.Target{Kind: source.OCILayout, Path: dir, Arg: "oci:" + dir}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// pkgLayers renders "name version layer" per package, the shape the attribution tests compare.
func pkgLayers(inv *model.Inventory) []string {
	var out []string
	for _, p := range inv.Packages {
		l := -1
		if p.Layer != nil {
			l = p.Layer.Index
		}
		out = append(out, fmt.Sprintf("%s %s %d", p.Name, p.Version, l))
	}
	return out
}

func TestAttributionAndDeletion(t *testing.T) {
	img := testimage.Image([]v1.Layer{
		testimage.Layer(
			testimage.File{Name: "usr/lib/os-release", Body: osRelease},
			testimage.File{Name: "etc/os-release", Type: tar.TypeSymlink, Linkname: "../usr/lib/os-release"},
			testimage.File{Name: "var/lib/dpkg/status", Body: dpkgStatus("base 1.0", "libfoo 1.0 foo", "old 0.1")},
		),
		// apt-get install bar && apt-get upgrade libfoo
		testimage.Layer(testimage.File{Name: "var/lib/dpkg/status", Body: dpkgStatus("base 1.0", "libfoo 1.1 foo", "old 0.1", "bar 2.0")}),
		// apt-get purge old (status rewritten), plus an unrelated file
		testimage.Layer(testimage.File{Name: "var/lib/dpkg/status", Body: dpkgStatus("base 1.0", "libfoo 1.1 foo", "bar 2.0")},
			testimage.File{Name: "etc/motd", Body: "hi"}),
	}, "debootstrap", "RUN apt-get install bar", "RUN apt-get purge old")
	inv := scanImage(t, img, Options{})
	want := []string{"bar 2.0 1", "base 1.0 0", "libfoo 1.1 1"}
	if got := pkgLayers(inv); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("packages %v, want %v", got, want)
	}
	if inv.OS == nil || inv.OS.Family != "debian" || inv.OS.Version != "12" {
		t.Errorf("OS through the /etc/os-release symlink: %+v", inv.OS)
	}
	for _, p := range inv.Packages {
		if p.Name == "libfoo" && (p.SourceName != "foo" || !strings.Contains(p.PURL, "distro=debian-12")) {
			t.Errorf("libfoo: %+v", p)
		}
		if p.Layer != nil && p.Layer.Index == 1 && p.Layer.CreatedBy != "RUN apt-get install bar" {
			t.Errorf("created_by: %+v", p.Layer)
		}
		if p.ID == "" || p.Location != "/var/lib/dpkg/status" {
			t.Errorf("id/location: %+v", p)
		}
	}
}

func TestWhiteoutsRemovePackages(t *testing.T) {
	base := testimage.Layer(
		testimage.File{Name: "var/lib/dpkg/status.d/zlib", Body: "Package: zlib\nVersion: 1.2\nArchitecture: amd64\n"},
		testimage.File{Name: "var/lib/dpkg/status.d/gone", Body: "Package: gone\nVersion: 1\nArchitecture: amd64\n"},
		testimage.File{Name: "var/lib/dpkg/status.d/opq", Body: "Package: opq\nVersion: 1\nArchitecture: amd64\n"},
		testimage.File{Name: "lib/apk/db/installed", Body: "P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\n"},
	)
	for _, c := range []struct {
		name  string
		upper v1.Layer
		want  []string
	}{
		{"file whiteout", testimage.Layer(testimage.File{Name: "var/lib/dpkg/status.d/.wh.gone"}), []string{"musl 1.2.4-r2 0", "opq 1 0", "zlib 1.2 0"}},
		{"dir whiteout", testimage.Layer(testimage.File{Name: "var/lib/dpkg/.wh.status.d"}), []string{"musl 1.2.4-r2 0"}},
		{"opaque dir", testimage.Layer(
			testimage.File{Name: "var/lib/dpkg/status.d/.wh..wh..opq"},
			testimage.File{Name: "var/lib/dpkg/status.d/new", Body: "Package: new\nVersion: 3\nArchitecture: amd64\n"}), []string{"musl 1.2.4-r2 0", "new 3 1"}},
		{"replaced by a symlink", testimage.Layer(testimage.File{Name: "lib/apk/db/installed", Type: tar.TypeSymlink, Linkname: "/dev/null"}), []string{"gone 1 0", "opq 1 0", "zlib 1.2 0"}},
		{"parent replaced by a file", testimage.Layer(testimage.File{Name: "lib/apk", Body: "x"}), []string{"gone 1 0", "opq 1 0", "zlib 1.2 0"}},
		{"same file rewritten, same package", testimage.Layer(testimage.File{Name: "lib/apk/db/installed", Body: "P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\n"}), []string{"musl 1.2.4-r2 0", "gone 1 0", "opq 1 0", "zlib 1.2 0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			inv := scanImage(t, testimage.Image([]v1.Layer{base, c.upper}), Options{})
			if got := pkgLayers(inv); strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestHardLinkToUnwantedTarget(t *testing.T) {
	// The status file is a hard link to a file whose own name no parser wants: a second read fetches it.
	img := testimage.Image([]v1.Layer{testimage.Layer(
		testimage.File{Name: "var/backups/dpkg.status.0", Body: dpkgStatus("linked 1.0")},
		testimage.File{Name: "var/lib/dpkg/status", Type: tar.TypeLink, Linkname: "var/backups/dpkg.status.0"},
	)})
	inv := scanImage(t, img, Options{})
	if got := pkgLayers(inv); strings.Join(got, ",") != "linked 1.0 0" {
		t.Errorf("got %v", got)
	}
}

func TestMalformedAndOversizedFilesWarn(t *testing.T) {
	img := testimage.Image([]v1.Layer{testimage.Layer(
		testimage.File{Name: "var/lib/dpkg/status", Body: dpkgStatus("ok 1.0") + strings.Repeat("x", 200)},
		testimage.File{Name: "var/lib/rpm/rpmdb.sqlite", Body: "this is not sqlite"},
	)})
	inv := scanImage(t, img, Options{MaxFileSize: 100})
	joined := strings.Join(inv.Warnings, "\n")
	if !strings.Contains(joined, "/var/lib/dpkg/status is") || !strings.Contains(joined, "cap") {
		t.Errorf("no size warning naming the file: %q", inv.Warnings)
	}
	inv = scanImage(t, img, Options{})
	if !strings.Contains(strings.Join(inv.Warnings, "\n"), "/var/lib/rpm/rpmdb.sqlite") {
		t.Errorf("no warning naming the bad rpm database: %q", inv.Warnings)
	}
}

func TestLayerCache(t *testing.T) {
	cache := t.TempDir()
	img := testimage.Image([]v1.Layer{
		testimage.Layer(testimage.File{Name: "var/lib/dpkg/status", Body: dpkgStatus("a 1")}),
		testimage.Layer(testimage.File{Name: "var/lib/dpkg/status", Body: dpkgStatus("a 1", "b 2")}),
	})
	var msgs []string
	opts := Options{CacheDir: cache, Progress: func(m string) { msgs = append(msgs, m) }}
	cold := scanImage(t, img, opts)
	if strings.Contains(strings.Join(msgs, "\n"), "cached") {
		t.Fatalf("cold scan hit the cache: %q", msgs)
	}
	msgs = nil
	warm := scanImage(t, img, opts)
	if n := strings.Count(strings.Join(msgs, "\n"), "cached"); n != 2 {
		t.Errorf("warm scan: %d cached layers, want 2 (%q)", n, msgs)
	}
	if strings.Join(pkgLayers(cold), ",") != strings.Join(pkgLayers(warm), ",") || cold.Source.Layers[1].Digest != warm.Source.Layers[1].Digest {
		t.Errorf("warm %v differs from cold %v", pkgLayers(warm), pkgLayers(cold))
	}
	// A corrupt cache entry is a miss, not a failure.
	entries, _ := filepath.Glob(filepath.Join(cache, "layers", "*", "*"))
	for _, e := range entries {
		os.WriteFile(e, []byte("garbage"), 0o600)
	}
	msgs = nil
	again := scanImage(t, img, opts)
	if strings.Contains(strings.Join(msgs, "\n"), "cached") || len(again.Packages) != 2 {
		t.Errorf("corrupt cache: %q %v", msgs, pkgLayers(again))
	}
}

func TestRootFS(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "var/lib/dpkg"), 0o755)
	os.MkdirAll(filepath.Join(root, "usr/lib"), 0o755)
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), []byte(dpkgStatus("a 1")), 0o644)
	os.WriteFile(filepath.Join(root, "usr/lib/os-release"), []byte(osRelease), 0o644)
	os.Symlink("../usr/lib/os-release", filepath.Join(root, "etc/os-release"))
	// A symlink out of the root must not be followed to the host's file.
	os.Symlink("/etc/passwd", filepath.Join(root, "etc/alpine-release"))
	inv, err := Run(context.Background(), source.Target{Kind: source.RootFS, Path: root, Arg: "rootfs:" + root}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := pkgLayers(inv); strings.Join(got, ",") != "a 1 -1" {
		t.Errorf("got %v", got)
	}
	if inv.OS == nil || inv.OS.Family != "debian" {
		t.Errorf("OS %+v", inv.OS)
	}
}

func TestDebLicencesFromCopyright(t *testing.T) {
	img := testimage.Image([]v1.Layer{
		testimage.Layer(
			testimage.File{Name: "var/lib/dpkg/status", Body: dpkgStatus("zlib1g 1.2", "libfoo 1", "nodoc 1")},
			testimage.File{Name: "usr/share/doc/zlib1g/copyright", Body: "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: Zlib\n"},
			testimage.File{Name: "usr/share/doc/libfoo-common/copyright", Body: "See /usr/share/common-licenses/GPL-2.\n"},
			// Debian links a library's doc directory to its -common package's.
			testimage.File{Name: "usr/share/doc/libfoo", Type: tar.TypeSymlink, Linkname: "libfoo-common"},
		),
	})
	inv := scanImage(t, img, Options{})
	got := map[string]string{}
	for _, p := range inv.Packages {
		got[p.Name] = strings.Join(p.Licenses, "|")
	}
	want := map[string]string{"zlib1g": "Zlib", "libfoo": "GPL-2", "nodoc": ""}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s licences %q, want %q", k, got[k], v)
		}
	}
}

func TestLanguagePackageOwnedByOSPackage(t *testing.T) {
	const meta = "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"
	img := testimage.Image([]v1.Layer{
		testimage.Layer(
			testimage.File{Name: "var/lib/dpkg/status", Body: dpkgStatus("python3-six 1.16.0-4 six")},
			testimage.File{Name: "var/lib/dpkg/info/python3-six.list", Body: "/.\n/usr\n/usr/lib/python3/dist-packages\n" + meta + "\n"},
			testimage.File{Name: strings.TrimPrefix(meta, "/"), Body: "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n"},
		),
		// pip installs its own package later, into a directory no Debian package lists the files of.
		testimage.Layer(testimage.File{Name: "usr/local/lib/python3.11/dist-packages/requests-2.31.0.dist-info/METADATA",
			Body: "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n"}),
	})
	inv := scanImage(t, img, Options{})
	owner := map[string]string{}
	for _, p := range inv.Packages {
		owner[string(p.Ecosystem)+":"+p.Name] = p.OSPackage
	}
	if len(owner) != 3 || owner["pypi:six"] != "deb:python3-six" || owner["pypi:requests"] != "" {
		t.Errorf("owners: %v", owner)
	}
}
