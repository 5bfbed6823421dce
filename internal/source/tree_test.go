package source

import (
	"strings"
	"testing"
)

func idx(entries map[string]Entry, whiteouts, opaque []string) *LayerIndex {
	return &LayerIndex{Entries: entries, Whiteouts: whiteouts, Opaque: opaque}
}

var file = Entry{Type: TypeFile}
var dir = Entry{Type: TypeDir}

func sym(target string) Entry { return Entry{Type: TypeSymlink, Link: target} }

func TestTreeLayering(t *testing.T) {
	tr := NewTree()
	tr.Apply(0, idx(map[string]Entry{
		"/etc": dir, "/etc/a": file, "/etc/b": file, "/var/lib/dpkg/status": file, "/var/lib/dpkg/info/x.list": file,
		"/opt/d/one": file, "/opt/d/two": file, "/swap": dir, "/swap/kid": file,
	}, nil, nil))
	tr.Apply(1, idx(map[string]Entry{
		"/etc/b": file, "/opt/d": dir, "/opt/d/three": file, "/swap": file, "/etc": dir,
	}, []string{"/etc/a", "/var/lib/dpkg/info"}, []string{"/opt/d"}))
	for _, c := range []struct {
		p     string
		layer int
		ok    bool
	}{
		{"/etc/a", 0, false},              // whiteout
		{"/etc/b", 1, true},               // rewritten
		{"/var/lib/dpkg/status", 0, true}, // untouched
		{"/var/lib/dpkg/info/x.list", 0, false},
		{"/var/lib/dpkg/info", 0, false}, // whiteout of a directory removes it whole
		{"/opt/d/one", 0, false},         // hidden by the opaque marker
		{"/opt/d/three", 1, true},
		{"/swap/kid", 0, false}, // a file replaced the directory
		{"/swap", 1, true},
		{"/etc", 1, true}, // directory metadata updated, children kept
	} {
		_, layer, ok := tr.Lookup(c.p)
		if ok != c.ok || (ok && layer != c.layer) {
			t.Errorf("%s: got layer %d ok %v, want layer %d ok %v", c.p, layer, ok, c.layer, c.ok)
		}
	}
	// Re-adding a deleted path in a later layer brings it back from that layer.
	tr.Apply(2, idx(map[string]Entry{"/etc/a": file}, nil, nil))
	if _, layer, ok := tr.Lookup("/etc/a"); !ok || layer != 2 {
		t.Errorf("/etc/a re-added: layer %d ok %v", layer, ok)
	}
}

func TestTreeResolveStaysInRoot(t *testing.T) {
	tr := NewTree()
	tr.Apply(0, idx(map[string]Entry{
		"/usr/lib/os-release": file,
		"/etc/os-release":     sym("../usr/lib/os-release"),
		"/lib":                sym("usr/lib"),
		"/abs":                sym("/usr/lib/os-release"),
		"/escape":             sym("../../../../../etc/shadow"),
		"/etc/shadow":         file,
		"/loop1":              sym("loop2"),
		"/loop2":              sym("/loop1"),
		"/self":               sym("self/x"),
		"/dotdot/x":           sym("../../usr/lib/os-release"),
	}, nil, nil))
	for _, c := range []struct{ in, want, err string }{
		{"/etc/os-release", "/usr/lib/os-release", ""},
		{"/lib/os-release", "/usr/lib/os-release", ""},
		{"/abs", "/usr/lib/os-release", ""},
		{"/escape", "/etc/shadow", ""}, // "../" past the root stays at the root, as in a chroot
		{"/dotdot/x", "/usr/lib/os-release", ""},
		{"/loop1", "", "too many levels"},
		{"/self", "", "too many levels"},
		{"/missing/file", "/missing/file", ""},
	} {
		got, err := tr.Resolve(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Resolve(%s) = %q, %v; want error %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Resolve(%s) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
