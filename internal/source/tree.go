package source

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Tree is the merged (squashed) view of an image: layers applied in order with whiteouts and opaque directories,
// each path knowing the layer that last wrote it. It holds metadata only; content stays with whoever captured it.
type Tree struct {
	nodes map[string]*node
}

type node struct {
	Entry
	layer int
	kids  map[string]struct{} // child base names, for directories
}

// NewTree returns an empty tree holding only the root directory.
func NewTree() *Tree {
	return &Tree{nodes: map[string]*node{"/": {Entry: Entry{Type: TypeDir}, layer: -1, kids: map[string]struct{}{}}}}
}

// Apply lays one layer on top of the tree: its deletions hide lower content first, then its entries are added.
func (t *Tree) Apply(layer int, idx *LayerIndex) {
	for _, d := range idx.Opaque {
		if n, ok := t.nodes[d]; ok && n.Type == TypeDir {
			for k := range n.kids {
				t.remove(path.Join(d, k))
			}
		}
	}
	for _, w := range idx.Whiteouts {
		t.remove(w)
	}
	// In path order, not map order: a hostile layer can hold both "/a" as a file or symlink and "/a/b", and the
	// tree (so the scan's result) must not depend on which of the two Go's map iteration hands out first.
	paths := make([]string, 0, len(idx.Entries))
	for p := range idx.Entries {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		t.add(p, idx.Entries[p], layer)
	}
}

func (t *Tree) add(p string, e Entry, layer int) {
	if old, ok := t.nodes[p]; ok {
		if old.Type == TypeDir && e.Type == TypeDir {
			// A directory entry in an upper layer changes metadata, not content.
			old.Entry, old.layer = e, layer
			return
		}
		t.remove(p)
	}
	parent := t.ensureDir(path.Dir(p), layer)
	parent.kids[path.Base(p)] = struct{}{}
	n := &node{Entry: e, layer: layer}
	if e.Type == TypeDir {
		n.kids = map[string]struct{}{}
	}
	t.nodes[p] = n
}

// ensureDir returns the directory at p, creating implicit parents (tars need not list them) and replacing a
// non-directory that stood in the way.
func (t *Tree) ensureDir(p string, layer int) *node {
	if n, ok := t.nodes[p]; ok && n.Type == TypeDir {
		return n
	}
	if _, ok := t.nodes[p]; ok {
		t.remove(p)
	}
	parent := t.ensureDir(path.Dir(p), layer)
	parent.kids[path.Base(p)] = struct{}{}
	n := &node{Entry: Entry{Type: TypeDir}, layer: layer, kids: map[string]struct{}{}}
	t.nodes[p] = n
	return n
}

func (t *Tree) remove(p string) {
	n, ok := t.nodes[p]
	if !ok || p == "/" {
		return
	}
	for k := range n.kids {
		t.remove(path.Join(p, k))
	}
	delete(t.nodes, p)
	if parent, ok := t.nodes[path.Dir(p)]; ok {
		delete(parent.kids, path.Base(p))
	}
}

// Lookup returns the entry at p itself (no symlink resolution) and the layer that wrote it.
func (t *Tree) Lookup(p string) (Entry, int, bool) {
	n, ok := t.nodes[p]
	if !ok {
		return Entry{}, 0, false
	}
	return n.Entry, n.layer, true
}

// Len is the number of entries in the tree, the root included.
func (t *Tree) Len() int { return len(t.nodes) }

const maxSymlinkHops = 40 // as Linux's MAXSYMLINKS

// Resolve follows symlinks in p, component by component, the way a process chrooted into the image would: ".."
// and absolute targets never leave the image root. It returns the real path (which may not exist). Loops and
// over-long chains are errors.
func (t *Tree) Resolve(p string) (string, error) {
	rest := splitPath(p)
	cur := "/"
	hops := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		if c == ".." {
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		n, ok := t.nodes[next]
		if !ok || n.Type != TypeSymlink {
			cur = next
			continue
		}
		hops++
		if hops > maxSymlinkHops {
			return "", fmt.Errorf("resolve %s: too many levels of symbolic links (a loop?)", p)
		}
		target := splitPath(n.Link)
		if strings.HasPrefix(n.Link, "/") {
			cur = "/"
		}
		rest = append(target, rest...)
	}
	return cur, nil
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

// Stat resolves p and returns the entry it leads to.
func (t *Tree) Stat(p string) (real string, e Entry, layer int, ok bool) {
	real, err := t.Resolve(p)
	if err != nil {
		return "", Entry{}, 0, false
	}
	n, found := t.nodes[real]
	if !found {
		return real, Entry{}, 0, false
	}
	return real, n.Entry, n.layer, true
}
