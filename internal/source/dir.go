package source

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// WalkDir indexes a directory tree (a root filesystem or a project) as if it were a single layer, handing wanted
// regular files to fn. Symlinks are recorded, never followed, so nothing outside root is read; the Tree resolves
// them inside root afterwards. Unreadable entries become warnings naming the path.
func WalkDir(root string, skip func(p string) bool, opts WalkOptions, fn FileFunc) (*WalkResult, error) {
	res := &WalkResult{Index: &LayerIndex{Entries: map[string]Entry{}}}
	root = filepath.Clean(root)
	err := filepath.WalkDir(root, func(full string, d fs.DirEntry, err error) error {
		rel, rerr := filepath.Rel(root, full)
		if rerr != nil {
			return rerr
		}
		p := path.Clean("/" + filepath.ToSlash(rel))
		if err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %v", full, err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p == "/" {
			return nil
		}
		if skip != nil && skip(p) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %v", full, err))
			return nil
		}
		e := Entry{Mode: int64(info.Mode().Perm())}
		switch {
		case d.IsDir():
			e.Type = TypeDir
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(full)
			if err != nil {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %v", full, err))
				return nil
			}
			e.Type, e.Link = TypeSymlink, link
		case info.Mode().IsRegular():
			e.Type, e.Size = TypeFile, info.Size()
		default:
			e.Type = TypeOther
		}
		res.Index.Entries[p] = e
		if e.Type != TypeFile {
			return nil
		}
		max, ok := opts.want(p, e)
		if !ok {
			return nil
		}
		if e.Size > max {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s is %d bytes, over the %d-byte cap for it; skipped", full, e.Size, max))
			return nil
		}
		return readOne(full, p, e.Size, fn, res)
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", root, err)
	}
	return res, nil
}

func readOne(full, p string, size int64, fn FileFunc, res *WalkResult) error {
	// O_NOFOLLOW semantics: WalkDir gave us a regular file from Lstat; a race that swaps it for a symlink would
	// only let us read inside what the user asked us to scan, so a plain Open is enough here.
	f, err := os.Open(full)
	if err != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %v", full, err))
		return nil
	}
	defer f.Close()
	err = fn(p, io.LimitReader(f, size), size)
	if errors.Is(err, fs.ErrPermission) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %v", full, err))
		return nil
	}
	return err
}
