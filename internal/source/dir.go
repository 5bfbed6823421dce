package source

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
)

// WalkDir indexes a directory tree (a root filesystem or a project) as if it were a single layer, handing wanted
// regular files to fn. Symlinks are recorded, never followed, so nothing outside root is read; the Tree resolves
// them inside root afterwards. Unreadable entries become warnings naming the path.
//
// Directories are read by several goroutines at once (a tree walk is mostly lstat and open system calls, which
// overlap well even on two cores), so opts.Want/WantEntry and fn must be safe for concurrent use. Warnings come
// sorted, so that the result does not depend on the order the goroutines ran in.
func WalkDir(root string, skip func(p string) bool, opts WalkOptions, fn FileFunc) (*WalkResult, error) {
	root = filepath.Clean(root)
	if fi, err := os.Stat(root); err != nil {
		return nil, fmt.Errorf("walk %s: %w", root, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("walk %s: not a directory", root)
	}
	w := &dirWalker{
		root: root, skip: skip, opts: opts, fn: fn,
		res:  &WalkResult{Index: &LayerIndex{Entries: map[string]Entry{}}},
		slot: make(chan struct{}, max(4, 2*runtime.GOMAXPROCS(0))-1),
	}
	w.wg.Add(1)
	w.dir("/")
	w.wg.Wait()
	if w.err != nil {
		return nil, fmt.Errorf("walk %s: %w", root, w.err)
	}
	sort.Strings(w.res.Warnings)
	return w.res, nil
}

// dirWalker is one WalkDir: a directory is read by a new goroutine while a slot is free, else by the goroutine
// that found it; each directory's entries are merged into the index under mu in one go.
type dirWalker struct {
	root string
	skip func(string) bool
	opts WalkOptions
	fn   FileFunc
	slot chan struct{}
	wg   sync.WaitGroup

	mu     sync.Mutex
	res    *WalkResult
	err    error
	failed atomic.Bool
}

func (w *dirWalker) warn(format string, args ...any) {
	w.mu.Lock()
	w.res.Warnings = append(w.res.Warnings, fmt.Sprintf(format, args...))
	w.mu.Unlock()
}

func (w *dirWalker) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	w.failed.Store(true)
}

// dir reads directory p (clean, absolute inside the root), indexes its entries, hands wanted files to fn and
// walks its subdirectories.
func (w *dirWalker) dir(p string) {
	defer w.wg.Done()
	if w.failed.Load() {
		return
	}
	full := filepath.Join(w.root, filepath.FromSlash(p))
	des, err := os.ReadDir(full)
	if err != nil {
		w.warn("%s: %v", full, err)
		if len(des) == 0 {
			return
		}
	}
	type wanted struct {
		p    string
		size int64
	}
	entries := make(map[string]Entry, len(des))
	var subdirs []string
	var files []wanted
	for _, d := range des {
		cp := path.Join(p, d.Name())
		if w.skip != nil && w.skip(cp) {
			continue
		}
		cfull := filepath.Join(full, d.Name())
		var e Entry
		// The directory listing gives each entry's type; only regular files need an lstat (for their size and
		// mode), which halves the system calls of a node_modules walk.
		switch t := d.Type(); {
		case t.IsDir():
			e.Type = TypeDir
			subdirs = append(subdirs, cp)
		case t&fs.ModeSymlink != 0:
			link, err := os.Readlink(cfull)
			if err != nil {
				w.warn("%s: %v", cfull, err)
				continue
			}
			e.Type, e.Link = TypeSymlink, link
		case t.IsRegular():
			info, err := d.Info() // lstat: never follows a symlink
			if err != nil {
				w.warn("%s: %v", cfull, err)
				continue
			}
			if !info.Mode().IsRegular() { // replaced since the listing
				continue
			}
			e.Type, e.Size, e.Mode = TypeFile, info.Size(), int64(info.Mode().Perm())
		default:
			e.Type = TypeOther
		}
		entries[cp] = e
		if e.Type != TypeFile {
			continue
		}
		max, ok := w.opts.want(cp, e)
		if !ok {
			continue
		}
		if e.Size > max {
			w.warn("%s is %d bytes, over the %d-byte cap for it; skipped", cfull, e.Size, max)
			continue
		}
		files = append(files, wanted{cp, e.Size})
	}
	w.mu.Lock()
	maps.Copy(w.res.Index.Entries, entries)
	w.mu.Unlock()
	for _, sd := range subdirs {
		w.wg.Add(1)
		select {
		case w.slot <- struct{}{}:
			go func() {
				defer func() { <-w.slot }()
				w.dir(sd)
			}()
		default:
			w.dir(sd)
		}
	}
	for _, f := range files {
		if w.failed.Load() {
			return
		}
		if err := w.readOne(filepath.Join(w.root, filepath.FromSlash(f.p)), f.p, f.size); err != nil {
			w.fail(err)
			return
		}
	}
}

func (w *dirWalker) readOne(full, p string, size int64) error {
	// O_NOFOLLOW semantics: the walk gave us a regular file from Lstat; a race that swaps it for a symlink would
	// only let us read inside what the user asked us to scan, so a plain Open is enough here.
	f, err := os.Open(full)
	if err != nil {
		w.warn("%s: %v", full, err)
		return nil
	}
	defer f.Close()
	err = w.fn(p, io.LimitReader(f, size), size)
	if errors.Is(err, fs.ErrPermission) {
		w.warn("%s: %v", full, err)
		return nil
	}
	return err
}
