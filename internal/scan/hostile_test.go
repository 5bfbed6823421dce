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

// hostAnchors are host files a scan that followed a symlink out of the image would read instead of the image's
// own: the test machine's os-release and dpkg database. Tests that rely on them skip when the host lacks them.
func hostAnchors(t *testing.T) {
	t.Helper()
	for _, p := range []string{"/etc/os-release", "/var/lib/dpkg/status"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("host has no %s: the escape tests need something outside the image to (not) find", p)
		}
	}
}

func link(name, target string) testimage.File {
	return testimage.File{Name: name, Type: tar.TypeSymlink, Linkname: target}
}

// TestSymlinksInsideImages: loops, chains past the hop limit and links that climb out of the root never fail a
// scan, and never lead OS detection or the parsers to a file of the host.
func TestSymlinksInsideImages(t *testing.T) {
	hostAnchors(t)
	status := testimage.File{Name: "var/lib/dpkg/status", Body: dpkgStatus("inimage 1.0")}
	alpine := testimage.File{Name: "usr/lib/os-release", Body: "ID=alpine\nVERSION_ID=3.19.1\n"}
	chain := []testimage.File{alpine}
	for i := 0; i < 45; i++ { // one more hop than Linux's 40 allows
		chain = append(chain, link(fmt.Sprintf("c/%d", i), fmt.Sprintf("%d", i+1)))
	}
	chain = append(chain, link("c/45", "/usr/lib/os-release"), link("etc/os-release", "/c/0"))
	for _, c := range []struct {
		name   string
		files  []testimage.File
		family string   // "" = no OS
		pkgs   []string // "name version layer"
	}{
		{"os-release climbs out to the host's path", []testimage.File{link("etc/os-release", "../../../../../../../etc/os-release"), status}, "", []string{"inimage 1.0 0"}},
		{"os-release is an absolute link to a missing file", []testimage.File{link("etc/os-release", "/host/etc/os-release")}, "", nil},
		{"climbing is clamped at the image root", []testimage.File{link("etc/os-release", "../../../../usr/lib/os-release"), alpine}, "alpine", nil},
		{"loop", []testimage.File{link("etc/os-release", "a"), link("etc/a", "b"), link("etc/b", "/etc/a"), status}, "", []string{"inimage 1.0 0"}},
		{"loop falls back to /usr/lib/os-release", []testimage.File{link("etc/os-release", "os-release"), alpine}, "alpine", nil},
		// /etc/os-release does not resolve (41 hops); /usr/lib/os-release, read directly, does.
		{"chain past the hop limit", chain, "alpine", nil},
		{"directory loops", []testimage.File{link("a/b", ".."), link("lib", "lib/lib"), link("etc", "/etc"), alpine}, "alpine", nil},
		// The dpkg database is a link to the host's: the parsers read tar entries, never link targets.
		{"dpkg directory links to the host's", []testimage.File{link("var/lib/dpkg", "/../../var/lib/dpkg"), link("etc/os-release", "/etc/os-release")}, "", nil},
		{"dpkg status links to the host's", []testimage.File{link("var/lib/dpkg/status", "../../../../../var/lib/dpkg/status")}, "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			inv := scanImage(t, testimage.Image([]v1.Layer{testimage.Layer(c.files...)}), Options{})
			checkInventory(t, inv, c.family, c.pkgs)
		})
	}
}

func checkInventory(t *testing.T, inv *model.Inventory, family string, pkgs []string) {
	t.Helper()
	got := ""
	if inv.OS != nil {
		got = inv.OS.Family
	}
	if got != family {
		t.Errorf("OS %+v, want family %q", inv.OS, family)
	}
	if g := pkgLayers(inv); strings.Join(g, ",") != strings.Join(pkgs, ",") {
		n := len(g)
		if n > 5 {
			g = g[:5]
		}
		t.Errorf("%d packages %v…, want %v", n, g, pkgs)
	}
}

// TestSymlinksInRootFS: a root file system (an unpacked image on disk) whose links point at the host's files and
// directories, or loop, scans to what it holds itself.
func TestSymlinksInRootFS(t *testing.T) {
	hostAnchors(t)
	for _, c := range []struct {
		name   string
		links  map[string]string
		files  map[string]string
		family string
		pkgs   []string
	}{
		{"dpkg directory and os-release link to the host's", map[string]string{
			"var/lib/dpkg":       "/var/lib/dpkg",
			"etc/os-release":     "/etc/os-release",
			"usr/lib":            "/usr/lib",
			"etc/debian_version": "../../../../../../etc/debian_version",
		}, nil, "", nil},
		{"loops", map[string]string{
			"loop":           ".",
			"up":             "../../../../../..",
			"etc/os-release": "os-release",
		}, map[string]string{"var/lib/dpkg/status": dpkgStatus("own 1")}, "", []string{"own 1 -1"}},
		{"links inside the root are followed", map[string]string{
			"etc/os-release": "../usr/lib/os-release",
		}, map[string]string{"usr/lib/os-release": osRelease}, "debian", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for p, body := range c.files {
				full := filepath.Join(root, p)
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for p, target := range c.links {
				full := filepath.Join(root, p)
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, full); err != nil {
					t.Fatal(err)
				}
			}
			inv, err := Run(context.Background(), source.Target{Kind: source.RootFS, Path: root, Arg: "rootfs:" + root}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkInventory(t, inv, c.family, c.pkgs)
		})
	}
}
