package inventory

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
)

// dirTree is a Tree over a directory, for tests. It fails the test when DetectOS reads a file IsOSFile does not
// name, since the source will only have kept those.
type dirTree struct {
	t    *testing.T
	root string
}

func (d dirTree) ReadFile(path string) ([]byte, bool) {
	if !IsOSFile(path) {
		d.t.Errorf("DetectOS read %s, which IsOSFile does not name", path)
	}
	b, err := os.ReadFile(filepath.Join(d.root, filepath.FromSlash(path)))
	return b, err == nil
}

func (d dirTree) Exists(path string) bool {
	_, err := os.Stat(filepath.Join(d.root, filepath.FromSlash(path)))
	return err == nil
}

// mapTree is a Tree over in-memory files, for fuzzing.
type mapTree map[string][]byte

func (m mapTree) ReadFile(path string) ([]byte, bool) { b, ok := m[path]; return b, ok }
func (m mapTree) Exists(path string) bool             { _, ok := m[path]; return ok }

// TestDetectOS runs on small trees under testdata/os, with the distributions' real os-release files. The
// "*-only" cases are the same distributions' legacy release files with os-release removed, as on images too old
// to have one (CentOS/RHEL/Oracle 6, Debian 6, SLES 11) or stripped of it.
func TestDetectOS(t *testing.T) {
	tests := []struct {
		tree string
		want *model.OS
	}{
		// os-release in /usr/lib only (on Debian /etc/os-release is a link to it); point release into Name.
		{"debian12", &model.OS{Family: "debian", Version: "12", Codename: "bookworm", Name: "Debian GNU/Linux 12.5 (bookworm)"}},
		{"debian12-distroless", &model.OS{Family: "debian", Version: "12", Codename: "bookworm", Name: "Debian GNU/Linux 12.5 (bookworm)", Distroless: true}},
		{"debian-trixie-sid", &model.OS{Family: "debian", Codename: "trixie", Name: "Debian GNU/Linux trixie/sid"}},
		{"debian6", &model.OS{Family: "debian", Version: "6", Name: "Debian GNU/Linux 6.0.10"}},
		{"ubuntu2204", &model.OS{Family: "ubuntu", Version: "22.04", Codename: "jammy", Name: "Ubuntu 22.04.4 LTS"}},
		{"ubuntu1404", &model.OS{Family: "ubuntu", Version: "14.04", Name: "Ubuntu 14.04.6 LTS"}},
		{"ubuntu-lsb-only", &model.OS{Family: "ubuntu", Version: "22.04", Codename: "jammy", Name: "Ubuntu 22.04.4 LTS"}},
		{"alpine3191", &model.OS{Family: "alpine", Version: "3.19.1", Name: "Alpine Linux v3.19"}},
		{"alpine-edge", &model.OS{Family: "alpine", Version: "3.20.0_alpha20240315", Name: "Alpine Linux edge"}},
		{"alpine-release-only", &model.OS{Family: "alpine", Version: "3.19.1", Name: "Alpine Linux 3.19.1"}},
		{"wolfi", &model.OS{Family: "wolfi", Version: "20230201", Name: "Wolfi"}},
		{"chainguard", &model.OS{Family: "chainguard", Version: "20230214", Name: "Chainguard"}},
		{"ubi8", &model.OS{Family: "rhel", Version: "8.9", Name: "Red Hat Enterprise Linux 8.9 (Ootpa)"}},
		{"centos7", &model.OS{Family: "centos", Version: "7", Name: "CentOS Linux 7 (Core)"}},
		{"centos-stream9", &model.OS{Family: "centos", Version: "9", Name: "CentOS Stream 9"}},
		{"rocky93", &model.OS{Family: "rocky", Version: "9.3", Name: "Rocky Linux 9.3 (Blue Onyx)"}},
		{"almalinux93", &model.OS{Family: "almalinux", Version: "9.3", Name: "AlmaLinux 9.3 (Shamrock Pampas Cat)"}},
		{"oraclelinux93", &model.OS{Family: "ol", Version: "9.3", Name: "Oracle Linux Server 9.3"}},
		{"fedora39", &model.OS{Family: "fedora", Version: "39", Name: "Fedora Linux 39 (Container Image)"}},
		{"amzn2", &model.OS{Family: "amzn", Version: "2", Name: "Amazon Linux 2"}},
		{"amzn2023", &model.OS{Family: "amzn", Version: "2023", Name: "Amazon Linux 2023.3.20240219"}},
		{"sles155", &model.OS{Family: "sles", Version: "15.5", Name: "SUSE Linux Enterprise Server 15 SP5"}},
		{"opensuse-leap155", &model.OS{Family: "opensuse-leap", Version: "15.5", Name: "openSUSE Leap 15.5"}},
		// The commented-out VERSION line must not count.
		{"opensuse-tumbleweed", &model.OS{Family: "opensuse-tumbleweed", Version: "20240311", Name: "openSUSE Tumbleweed"}},
		{"opensuse-leap423", &model.OS{Family: "opensuse-leap", Version: "42.3", Name: "openSUSE Leap 42.3"}},
		{"photon50", &model.OS{Family: "photon", Version: "5.0", Name: "VMware Photon OS/Linux"}},
		{"photon-release-only", &model.OS{Family: "photon", Version: "4.0", Name: "VMware Photon OS 4.0"}},
		{"centos6", &model.OS{Family: "centos", Version: "6.10", Name: "CentOS release 6.10 (Final)"}},
		{"rhel6", &model.OS{Family: "rhel", Version: "6.10", Name: "Red Hat Enterprise Linux Server release 6.10 (Santiago)"}},
		// Oracle Linux 6 ships a redhat-release that says Red Hat; oracle-release must win.
		{"oraclelinux6", &model.OS{Family: "ol", Version: "6.10", Name: "Oracle Linux Server release 6.10"}},
		{"amzn-system-release-only", &model.OS{Family: "amzn", Version: "2018.03", Name: "Amazon Linux AMI release 2018.03"}},
		{"sles11", &model.OS{Family: "sles", Version: "11.4", Name: "SUSE Linux Enterprise Server 11"}},
		{"opensuse132-suse-release-only", &model.OS{Family: "opensuse-leap", Version: "13.2", Codename: "Harlequin", Name: "openSUSE 13.2"}},
		{"quoting", &model.OS{Family: "debian", Version: "12", Codename: "bookworm", Name: `Debian "GNU"/Linux 12 $HOME \ (bookworm)`}},
		// Unsupported distributions are unknown, even when they derive from a supported one.
		{"arch", nil},
		{"kali", nil},
		{"kali-debian-version-only", nil},
		{"empty", nil},
	}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			root := filepath.Join("testdata", "os", tt.tree)
			if _, err := os.Stat(root); err != nil {
				t.Fatal(err)
			}
			got := DetectOS(dirTree{t: t, root: root})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DetectOS = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestIsOSFile(t *testing.T) {
	for path, want := range map[string]bool{
		"/etc/os-release":           true,
		"/usr/lib/os-release":       true,
		"/etc/debian_version":       true,
		"/etc/alpine-release":       true,
		"/etc/redhat-release":       true,
		"/etc/SuSE-release":         true,
		"/etc/suse-release":         false,
		"/etc/os-release.d":         false,
		"/var/lib/dpkg/status":      false,
		"etc/os-release":            false,
		"/etc/wolfi-release":        false,
		"/usr/lib/os-release/":      false,
		"/etc/amazon-linux-release": true,
	} {
		if got := IsOSFile(path); got != want {
			t.Errorf("IsOSFile(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestParseOSRelease(t *testing.T) {
	got := parseOSRelease(readTestdata(t, "os/quoting/etc/os-release"))
	want := map[string]string{
		"ID":               "debian",
		"VERSION_ID":       "12",
		"VERSION_CODENAME": "bookworm",
		"PRETTY_NAME":      `Debian "GNU"/Linux 12 $HOME \ (bookworm)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func FuzzOSRelease(f *testing.F) {
	for _, name := range []string{"ubuntu2204/etc/os-release", "opensuse-tumbleweed/usr/lib/os-release",
		"quoting/etc/os-release", "sles11/etc/SuSE-release", "centos6/etc/centos-release"} {
		f.Add(readTestdata(f, "os/"+name), readTestdata(f, "os/"+name))
	}
	f.Add([]byte("ID=debian\nVERSION_ID=\"12\n"), []byte("12.5\n"))
	f.Fuzz(func(t *testing.T, osRelease, other []byte) {
		kv := parseOSRelease(osRelease)
		for k := range kv {
			if !validOSReleaseKey(k) {
				t.Fatalf("invalid key %q", k)
			}
		}
		// The second input plays every fallback file, so each parser sees arbitrary bytes.
		for _, tree := range []mapTree{
			{"/etc/os-release": osRelease, "/etc/debian_version": other},
			{"/etc/alpine-release": other}, {"/etc/lsb-release": other}, {"/etc/debian_version": other},
			{"/etc/redhat-release": other}, {"/etc/SuSE-release": other}, {"/etc/photon-release": other},
		} {
			o := DetectOS(tree)
			if o == nil {
				continue
			}
			known := false
			for _, fam := range familyByID {
				known = known || fam == o.Family
			}
			if !known {
				t.Fatalf("family %q not a known family (%+v)", o.Family, o)
			}
		}
	})
}
