package inventory

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
)

func TestDpkgList(t *testing.T) {
	for _, c := range []struct {
		in, pkg string
		ok      bool
	}{
		{"/var/lib/dpkg/info/python3-six.list", "python3-six", true},
		{"/var/lib/dpkg/info/libc6:amd64.list", "libc6", true},
		{"/var/lib/dpkg/info/libc6:amd64.md5sums", "", false},
		{"/var/lib/dpkg/info/sub/x.list", "", false},
		{"/var/lib/dpkg/info/.list", "", false},
	} {
		if pkg, ok := IsDpkgList(c.in); pkg != c.pkg || ok != c.ok {
			t.Errorf("IsDpkgList(%q) = %q %v", c.in, pkg, ok)
		}
	}
	got := ParseDpkgList(strings.NewReader("/.\n/usr\n/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA\n\nrelative\n/usr/lib/python3/dist-packages/six.py\n"))
	want := []string{"/usr", "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA", "/usr/lib/python3/dist-packages/six.py"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseDpkgList = %q", got)
	}
}

func TestLinkOwners(t *testing.T) {
	owners := map[string]string{
		"/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA": "deb:python3-six",
		"/usr/local/lib/python3.11/dist-packages":                      "deb:libpython3.11-stdlib",
		"/usr/share/java/commons-io.jar":                               "deb:libcommons-io-java",
	}
	pkgs := []model.Package{
		{Ecosystem: model.PyPI, Name: "six", Location: "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"},
		// pip's own install under a directory a Debian package created: not Debian's.
		{Ecosystem: model.PyPI, Name: "requests", Location: "/usr/local/lib/python3.11/dist-packages/requests-2.31.0.dist-info/METADATA"},
		{Ecosystem: model.Maven, Name: "commons-io:commons-io", Location: "/usr/share/java/commons-io.jar!/META-INF/maven/commons-io/commons-io/pom.properties"},
		{Ecosystem: model.Deb, Name: "python3-six", Location: "/var/lib/dpkg/status"},
	}
	LinkOwners(pkgs, owners)
	want := []string{"deb:python3-six", "", "deb:libcommons-io-java", ""}
	for i, p := range pkgs {
		if p.OSPackage != want[i] {
			t.Errorf("%s: OSPackage %q, want %q", p.Name, p.OSPackage, want[i])
		}
	}
}
