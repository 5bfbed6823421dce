// Package scan turns a target into an inventory: it opens the source, reads every layer once (in parallel, or
// from the per-layer cache), runs the inventory parsers on the files they asked for, merges the layers and
// attributes each package to the layer that introduced it.
package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/hullscan/hullscan/internal/inventory"
	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/source"
)

// Options for one scan.
type Options struct {
	Open source.OpenOptions
	// CacheDir holds per-layer analysis results (and, under it, remote blobs). Empty disables caching.
	CacheDir string
	// MaxLayerBytes caps the uncompressed size of one layer (0 = DefaultMaxLayerBytes).
	MaxLayerBytes int64
	// MaxFileSize, when set, lowers every parser's file-size cap.
	MaxFileSize int64
	// Parallel is how many layers are read at once (0 = GOMAXPROCS).
	Parallel int
	// Progress, when set, receives one short line per step of long work.
	Progress func(msg string)
}

// DefaultMaxLayerBytes is the default cap on one layer's uncompressed size: far above real layers, low enough that
// a decompression bomb stops long before it fills memory or time.
const DefaultMaxLayerBytes = 32 << 30

// maxOSFileSize caps the small text files OS detection reads.
const maxOSFileSize = 64 << 10

// Run scans a target.
func Run(ctx context.Context, t source.Target, opts Options) (*model.Inventory, error) {
	if opts.Open.BlobCacheDir == "" && opts.CacheDir != "" {
		opts.Open.BlobCacheDir = opts.CacheDir + "/blobs"
	}
	s := &scanner{opts: opts, parsers: inventory.Parsers()}
	if t.ImageKind() {
		img, err := source.OpenImage(ctx, t, opts.Open)
		if err != nil {
			return nil, err
		}
		defer img.Close()
		return s.image(ctx, img)
	}
	return s.dir(t)
}

type scanner struct {
	opts    Options
	parsers []inventory.Parser
}

// fileResult is what the parsers made of one file.
type fileResult struct {
	Packages []model.Package
}

// layerResult is everything a scan needs from one layer; it is what the layer cache stores.
type layerResult struct {
	Digest  string
	Index   *source.LayerIndex
	Files   map[string]fileResult
	OSFiles map[string][]byte
	// Licenses holds what Debian copyright files (/usr/share/doc/<pkg>/copyright) name, by path.
	Licenses map[string][]string
	// Lists holds the paths each dpkg file list (/var/lib/dpkg/info/<pkg>.list) names, by path.
	Lists    map[string][]string
	Warnings []string
}

// Handlers for wanted files besides the parsers (whose handler is their index in s.parsers).
const (
	handleOSFile = -1 - iota
	handleDebCopyright
	handleDpkgList
	handleNone
)

// choose says what handles the file at p, and its size cap.
func (s *scanner) choose(p string, e source.Entry) (handler int, max int64) {
	if inventory.IsOSFile(p) {
		return handleOSFile, maxOSFileSize
	}
	if _, ok := inventory.IsDebCopyright(p); ok {
		return handleDebCopyright, inventory.DebCopyrightMaxSize()
	}
	if _, ok := inventory.IsDpkgList(p); ok {
		return handleDpkgList, inventory.DpkgListMaxSize()
	}
	for i, ps := range s.parsers {
		ok := false
		if em, isEM := ps.(inventory.EntryMatcher); isEM {
			ok = em.MatchEntry(p, e.Mode, e.Size)
		} else {
			ok = ps.Match(p)
		}
		if ok {
			max := ps.MaxSize()
			if s.opts.MaxFileSize > 0 && s.opts.MaxFileSize < max {
				max = s.opts.MaxFileSize
			}
			return i, max
		}
	}
	return handleNone, 0
}

// layerWalk carries one walk's state: the handler chosen for each file about to be delivered. A directory walk
// calls want and onFile from several goroutines, so the maps are guarded by mu; parsing runs outside it.
type layerWalk struct {
	s      *scanner
	res    *layerResult
	mu     sync.Mutex
	chosen map[string]int
}

func (s *scanner) newWalk(res *layerResult) *layerWalk {
	return &layerWalk{s: s, res: res, chosen: map[string]int{}}
}

func (w *layerWalk) want(p string, e source.Entry) (int64, bool) {
	h, max := w.s.choose(p, e)
	if h == handleNone {
		return 0, false
	}
	w.mu.Lock()
	w.chosen[p] = h
	w.mu.Unlock()
	return max, true
}

// onFile runs OS capture, licence capture or the chosen parser on one wanted file.
func (w *layerWalk) onFile(p string, r io.Reader, size int64) error {
	w.mu.Lock()
	h, ok := w.chosen[p]
	delete(w.chosen, p)
	w.mu.Unlock()
	if !ok {
		h, _ = w.s.choose(p, source.Entry{Type: source.TypeFile, Size: size})
	}
	res := w.res
	switch {
	case h == handleOSFile:
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		w.mu.Lock()
		res.OSFiles[p] = b
		w.mu.Unlock()
	case h == handleDebCopyright:
		if l := inventory.ParseDebCopyright(r); l != nil {
			w.mu.Lock()
			res.Licenses[p] = l
			w.mu.Unlock()
		}
	case h == handleDpkgList:
		l := inventory.ParseDpkgList(r)
		w.mu.Lock()
		res.Lists[p] = l
		w.mu.Unlock()
	case h >= 0:
		ps := w.s.parsers[h]
		pkgs, err := safeParse(ps, p, r, size)
		var partial *inventory.Partial
		w.mu.Lock()
		defer w.mu.Unlock()
		if err != nil && !errors.As(err, &partial) {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %v", p, err))
			return nil
		}
		if partial != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %v", p, partial.Err))
		}
		res.Files[p] = fileResult{Packages: pkgs}
	}
	return nil
}

// safeParse keeps a parser bug from killing the scan: a panic becomes a warning naming the file. Parsers are
// fuzzed so this should never fire; if it does, the user still gets the rest of the inventory.
func safeParse(ps inventory.Parser, p string, r io.Reader, size int64) (pkgs []model.Package, err error) {
	defer func() {
		if v := recover(); v != nil {
			pkgs, err = nil, fmt.Errorf("%s parser failed: %v", ps.Name(), v)
		}
	}()
	return ps.Parse(p, r, size)
}

func newLayerResult() *layerResult {
	return &layerResult{Files: map[string]fileResult{}, OSFiles: map[string][]byte{}, Licenses: map[string][]string{}, Lists: map[string][]string{}}
}

func (s *scanner) progress(format string, args ...any) {
	if s.opts.Progress != nil {
		s.opts.Progress(fmt.Sprintf(format, args...))
	}
}

func (s *scanner) image(ctx context.Context, img *source.Image) (*model.Inventory, error) {
	n := len(img.Layers)
	results := make([]*layerResult, n)
	par := s.opts.Parallel
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	cache := layerCache{dir: s.opts.CacheDir, key: s.cacheVersion()}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(par)
	var mu sync.Mutex
	done := 0
	for i, l := range img.Layers {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			res, cached := cache.get(l.Ref.DiffID)
			if !cached {
				var err error
				if res, err = s.readLayer(l); err != nil {
					return err
				}
				cache.put(l.Ref.DiffID, res)
			}
			results[i] = res
			mu.Lock()
			done++
			how := "read"
			if cached {
				how = "cached"
			}
			s.progress("layers %d/%d (%s %s)", done, n, l.Name(), how)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, l := range img.Layers {
		if l.Ref.Digest == "" {
			l.Ref.Digest = results[i].Digest
		}
		img.Source.Layers[i] = l.Ref
	}
	inv := &model.Inventory{Source: img.Source}
	s.merge(inv, results, img.Source.Layers)
	return inv, nil
}

func (s *scanner) readLayer(l *source.Layer) (*layerResult, error) {
	max := s.opts.MaxLayerBytes
	if max == 0 {
		max = DefaultMaxLayerBytes
	}
	res := newLayerResult()
	st, err := l.Uncompressed(max)
	if err != nil {
		return nil, err
	}
	w := s.newWalk(res)
	wr, err := source.WalkLayer(st, source.WalkOptions{WantEntry: w.want, Name: l.Name()}, w.onFile)
	st.Close()
	if err != nil {
		return nil, err
	}
	res.Digest = st.BlobDigest()
	res.Index = wr.Index
	res.Warnings = append(res.Warnings, wr.Warnings...)
	if len(wr.PendingLinks) > 0 {
		if err := s.resolveLinks(l, max, wr.PendingLinks, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// resolveLinks reads a layer a second time for the rare hard link whose target was not itself wanted, and parses
// the target's content under the link's path.
func (s *scanner) resolveLinks(l *source.Layer, max int64, links map[string]string, res *layerResult) error {
	targets := map[string][]string{}
	for link, target := range links {
		targets[target] = append(targets[target], link)
	}
	st, err := l.Uncompressed(max)
	if err != nil {
		return err
	}
	defer st.Close()
	w := s.newWalk(res)
	want := func(p string, e source.Entry) (int64, bool) {
		if ls, ok := targets[p]; ok {
			_, max := s.choose(ls[0], e)
			return max, true
		}
		return 0, false
	}
	on := w.onFile
	_, err = source.WalkLayer(st, source.WalkOptions{WantEntry: want, Name: l.Name()}, func(p string, r io.Reader, size int64) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		for _, link := range targets[p] {
			if err := on(link, strings.NewReader(string(b)), size); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

func (s *scanner) dir(t source.Target) (*model.Inventory, error) {
	res := newLayerResult()
	var skip func(string) bool
	if t.Kind == source.RootFS {
		// Virtual file systems of a live root hold no packages and can be huge or endless.
		skip = func(p string) bool { return p == "/proc" || p == "/sys" || p == "/dev" }
	}
	s.progress("walking %s", t.Path)
	w := s.newWalk(res)
	wr, err := source.WalkDir(t.Path, skip, source.WalkOptions{WantEntry: w.want, Name: t.Path}, w.onFile)
	if err != nil {
		return nil, err
	}
	res.Index = wr.Index
	res.Warnings = append(res.Warnings, wr.Warnings...)
	sort.Strings(res.Warnings) // parsers ran concurrently
	inv := &model.Inventory{Source: model.Source{Kind: string(t.Kind), Name: t.Arg}}
	s.merge(inv, []*layerResult{res}, nil)
	return inv, nil
}

// merge squashes the layers, keeps the packages whose database file survives in the final tree, and attributes
// each to the layer that introduced it: the earliest layer since which the same package (name, version, arch)
// has been in that file without interruption. A package upgraded in a later layer is attributed to that layer.
func (s *scanner) merge(inv *model.Inventory, results []*layerResult, refs []model.LayerRef) {
	type current struct {
		layer int
		pkgs  []model.Package
		intro map[string]int // package key → introducing layer
	}
	tree := source.NewTree()
	cur := map[string]*current{}
	for i, lr := range results {
		tree.Apply(i, lr.Index)
		for p := range cur {
			if _, reparsed := lr.Files[p]; !reparsed && deletedBy(p, lr.Index) {
				delete(cur, p)
			}
		}
		for p, fr := range lr.Files {
			c := &current{layer: i, pkgs: fr.Packages, intro: map[string]int{}}
			prev := cur[p]
			for _, pkg := range fr.Packages {
				k := pkg.Key()
				c.intro[k] = i
				if prev != nil {
					if l, ok := prev.intro[k]; ok {
						c.intro[k] = l
					}
				}
			}
			cur[p] = c
		}
		inv.Warnings = append(inv.Warnings, lr.Warnings...)
	}
	paths := make([]string, 0, len(cur))
	for p := range cur {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		c := cur[p]
		e, layer, ok := tree.Lookup(p)
		if !ok || layer != c.layer || (e.Type != source.TypeFile && e.Type != source.TypeHardlink) {
			continue // deleted or replaced by something we could not parse
		}
		for _, pkg := range c.pkgs {
			if refs != nil {
				ref := refs[c.intro[pkg.Key()]]
				pkg.Layer = &ref
			}
			inv.Packages = append(inv.Packages, pkg)
		}
	}
	// A lockfile and the node_modules tree it produced describe the same packages once.
	inv.Packages = inventory.DedupeLockfileAndInstalled(inv.Packages)
	view := treeView{tree: tree, results: results}
	for i := range inv.Packages {
		if p := &inv.Packages[i]; p.Ecosystem == model.Deb && len(p.Licenses) == 0 {
			p.Licenses = view.licenses(inventory.DebCopyrightPath(p.Name))
		}
	}
	inventory.LinkOwners(inv.Packages, view.owners(inv.Packages))
	inv.OS = inventory.DetectOS(view)
	inventory.Finalize(inv.OS, inv.Packages)
	sort.SliceStable(inv.Packages, func(a, b int) bool {
		pa, pb := inv.Packages[a], inv.Packages[b]
		if pa.Ecosystem != pb.Ecosystem {
			return pa.Ecosystem < pb.Ecosystem
		}
		if pa.Name != pb.Name {
			return pa.Name < pb.Name
		}
		if pa.Version != pb.Version {
			return pa.Version < pb.Version
		}
		return pa.Location < pb.Location
	})
}

// deletedBy reports whether layer idx removes or replaces path p of a lower layer.
func deletedBy(p string, idx *source.LayerIndex) bool {
	if _, ok := idx.Entries[p]; ok {
		return true // rewritten into something we could not parse (too big, malformed, not a file)
	}
	for _, w := range idx.Whiteouts {
		if p == w || strings.HasPrefix(p, w+"/") {
			return true
		}
	}
	for _, d := range idx.Opaque {
		if strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// treeView lets OS detection read the merged tree: a path resolves through symlinks inside the root to the layer
// that last wrote it, and that layer's captured copy is read.
type treeView struct {
	tree    *source.Tree
	results []*layerResult
}

func (v treeView) ReadFile(p string) ([]byte, bool) {
	real, e, layer, ok := v.tree.Stat(p)
	if !ok || layer < 0 || (e.Type != source.TypeFile && e.Type != source.TypeHardlink) {
		return nil, false
	}
	b, ok := v.results[layer].OSFiles[real]
	return b, ok
}

// owners maps each file an OS package installed to "<ecosystem>:<name>". It is built only when there are language
// packages to link.
func (v treeView) owners(pkgs []model.Package) map[string]string {
	lang := false
	for i := range pkgs {
		if !pkgs[i].Ecosystem.IsOS() {
			lang = true
			break
		}
	}
	if !lang {
		return nil
	}
	owners := map[string]string{}
	for i := range pkgs {
		p := &pkgs[i]
		files := p.Files
		if p.Ecosystem == model.Deb {
			for _, lp := range inventory.DpkgListPaths(p) {
				real, e, layer, ok := v.tree.Stat(lp)
				if ok && layer >= 0 && e.Type != source.TypeDir {
					files = append(files, v.results[layer].Lists[real]...)
				}
			}
		}
		for _, f := range files {
			if _, taken := owners[f]; !taken {
				owners[f] = string(p.Ecosystem) + ":" + p.Name
			}
		}
	}
	return owners
}

// licenses returns what the copyright file at p (resolved in the merged tree) names.
func (v treeView) licenses(p string) []string {
	real, e, layer, ok := v.tree.Stat(p)
	if !ok || layer < 0 || (e.Type != source.TypeFile && e.Type != source.TypeHardlink) {
		return nil
	}
	return v.results[layer].Licenses[real]
}

func (v treeView) Exists(p string) bool {
	_, _, _, ok := v.tree.Stat(p)
	return ok
}
