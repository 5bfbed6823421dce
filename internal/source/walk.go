package source

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// EntryType is the kind of a file-system entry.
type EntryType uint8

const (
	TypeFile EntryType = iota + 1
	TypeDir
	TypeSymlink
	TypeHardlink
	TypeOther // devices, fifos: indexed so they shadow lower layers, never read
)

// Entry is the metadata of one file-system entry of a layer (or of a directory tree).
type Entry struct {
	Type EntryType `json:"t"`
	Size int64     `json:"s,omitempty"`
	Mode int64     `json:"m,omitempty"`
	// Link is the symlink target as written, or the hard link's target path (clean, absolute).
	Link string `json:"l,omitempty"`
}

// LayerIndex is what one layer (or one directory tree, seen as a single layer) contains: every entry's metadata,
// and the deletions it makes in the layers below it.
type LayerIndex struct {
	Entries map[string]Entry `json:"entries"`
	// Whiteouts are paths this layer deletes from lower layers (".wh.<name>" entries).
	Whiteouts []string `json:"whiteouts,omitempty"`
	// Opaque are directories whose lower-layer content this layer hides (".wh..wh..opq" entries).
	Opaque []string `json:"opaque,omitempty"`
}

// FileFunc receives one wanted file's content. size is the entry size; r yields exactly that many bytes.
type FileFunc func(path string, r io.Reader, size int64) error

// WalkOptions says which files a walk hands to its FileFunc.
type WalkOptions struct {
	// Want reports whether the file at path (clean, absolute) is wanted, and the largest size accepted for it.
	Want func(path string) (maxSize int64, ok bool)
	// WantEntry, when set, is asked instead of Want and also sees the entry's metadata (mode, size), for files
	// chosen by more than their name (executables).
	WantEntry func(path string, e Entry) (maxSize int64, ok bool)
	// Name names the layer in warnings and errors ("layer 2 (sha256:ab12…)").
	Name string
}

func (o WalkOptions) want(p string, e Entry) (int64, bool) {
	switch {
	case o.WantEntry != nil:
		return o.WantEntry(p, e)
	case o.Want != nil:
		return o.Want(p)
	}
	return 0, false
}

// WalkResult is the outcome of walking one layer.
type WalkResult struct {
	Index    *LayerIndex
	Warnings []string
	// PendingLinks are hard links to wanted paths whose target's content was not captured (its name did not match
	// Want, or it was too large to keep); the caller reads the layer a second time to fetch those targets. Rare.
	PendingLinks map[string]string // link path → target path
}

// cleanEntryName turns a tar entry name into a clean absolute path inside the root. ok=false means the name
// escapes the root ("../../etc/passwd"): such an entry is never used. abs reports a name that was absolute,
// which some tools write and which we read as relative to the root.
func cleanEntryName(name string) (p string, ok, abs bool) {
	abs = strings.HasPrefix(name, "/")
	rel := strings.TrimLeft(name, "/")
	// Walk the components ourselves: path.Clean would silently turn "a/../../x" into "/x".
	depth := 0
	for _, c := range strings.Split(rel, "/") {
		switch c {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return "", false, abs
			}
		default:
			depth++
		}
	}
	return path.Clean("/" + rel), true, abs
}

// Bounds on the content WalkLayer keeps for hard links (see captured in WalkLayer). Variables for tests.
// Small: a hard link to a large wanted file is rare (a few distributions hard-link binaries), and costs one more
// read of the layer, while keeping large files costs memory on every image with many executables.
var (
	retainBudget  int64 = 8 << 20
	retainMaxFile int64 = 256 << 10
)

// WalkLayer reads one layer's uncompressed tar stream to its end, indexes every entry, records whiteouts, and hands
// each wanted regular file (and hard links to them) to fn. The stream is read exactly once; nothing is written to
// disk. Content is held in memory only for wanted files, each up to its size cap.
func WalkLayer(r io.Reader, opts WalkOptions, fn FileFunc) (*WalkResult, error) {
	res := &WalkResult{Index: &LayerIndex{Entries: map[string]Entry{}}}
	warn := func(format string, args ...any) {
		res.Warnings = append(res.Warnings, opts.Name+": "+fmt.Sprintf(format, args...))
	}
	// captured keeps wanted files' bytes for the rest of the walk, so a hard link later in the same layer can be
	// served without a second read; but only files up to retainMaxFile, retainBudget bytes in all, so that memory
	// stays flat however many wanted files a layer holds (executables are wanted by the hundred). A link to a file
	// fed but not retained becomes a pending link, which the caller serves with a second read of the layer.
	captured := map[string][]byte{}
	budget := int64(retainBudget)
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, layerReadError(opts.Name, err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue // pax_global_header (git archive writes one): metadata for the archive, not a file in it
		}
		p, ok, abs := cleanEntryName(hdr.Name)
		if !ok {
			warn("entry %q escapes the image root; ignored", hdr.Name)
			continue
		}
		if abs {
			warn("entry %q has an absolute name; read as %q", hdr.Name, p)
		}
		if p == "/" {
			continue
		}
		dir, base := path.Split(p)
		dir = path.Clean(dir)
		if strings.HasPrefix(base, ".wh.") {
			if base == ".wh..wh..opq" {
				res.Index.Opaque = append(res.Index.Opaque, dir)
			} else if target := base[len(".wh."):]; target != "" && !strings.HasPrefix(target, ".wh.") {
				res.Index.Whiteouts = append(res.Index.Whiteouts, path.Join(dir, target))
			}
			continue
		}
		e := Entry{Mode: hdr.Mode}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse: // the reader turns old TypeRegA into TypeReg
			e.Type, e.Size = TypeFile, hdr.Size
		case tar.TypeDir:
			e.Type = TypeDir
		case tar.TypeSymlink:
			e.Type, e.Link = TypeSymlink, hdr.Linkname
		case tar.TypeLink:
			lp, ok, _ := cleanEntryName(hdr.Linkname)
			if !ok {
				warn("hard link %q points outside the image root (%q); ignored", hdr.Name, hdr.Linkname)
				continue
			}
			e.Type, e.Link = TypeHardlink, lp
		default:
			e.Type = TypeOther
		}
		res.Index.Entries[p] = e

		if e.Type != TypeFile && e.Type != TypeHardlink {
			continue
		}
		max, want := opts.want(p, e)
		if !want {
			continue
		}
		if e.Type == TypeHardlink {
			data, ok := captured[e.Link]
			if !ok {
				if res.PendingLinks == nil {
					res.PendingLinks = map[string]string{}
				}
				res.PendingLinks[p] = e.Link
				continue
			}
			// The target was captured under its own cap; the link's may be lower.
			if int64(len(data)) > max {
				warn("%s is %d bytes, over the %d-byte cap for it; skipped", p, len(data), max)
				continue
			}
			if err := fn(p, bytes.NewReader(data), int64(len(data))); err != nil {
				return nil, err
			}
			continue
		}
		if e.Size > max {
			warn("%s is %d bytes, over the %d-byte cap for it; skipped", p, e.Size, max)
			continue
		}
		if e.Size > retainMaxFile {
			// Too large to keep for hard links anyway: stream it, so that the parser decides what to hold
			// (an executable that is no program is dropped after 4 bytes; a large one goes to a temporary file).
			if err := fn(p, &tarFileReader{tr: tr, name: opts.Name, path: p}, e.Size); err != nil {
				return nil, err
			}
			continue
		}
		// Grow with the data actually read, not the size the header claims: a hostile header must not make us
		// allocate its cap up front.
		var buf bytes.Buffer
		buf.Grow(int(min(e.Size, 1<<20)))
		if _, err := io.CopyN(&buf, tr, e.Size); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, layerReadError(opts.Name, fmt.Errorf("read %s: %w", p, err))
		}
		data := buf.Bytes()
		if int64(len(data)) <= min(budget, retainMaxFile) {
			captured[p] = data
			budget -= int64(len(data))
		}
		if err := fn(p, bytes.NewReader(data), e.Size); err != nil {
			return nil, err
		}
	}
	// Drain what follows the tar end marker so a verifying reader below sees the whole blob and checks its digest.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, layerReadError(opts.Name, err)
	}
	return res, nil
}

// tarFileReader streams one file's content from the tar reader; a failure to read it is the layer's, and says so.
type tarFileReader struct {
	tr         *tar.Reader
	name, path string
}

func (r *tarFileReader) Read(b []byte) (int, error) {
	n, err := r.tr.Read(b)
	if err != nil && err != io.EOF {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return n, layerReadError(r.name, fmt.Errorf("read %s: %w", r.path, err))
		}
		return n, layerReadError(r.name, err)
	}
	return n, err
}

// layerReadError classifies a failure while reading a layer: a cap or a digest mismatch keeps its message,
// anything else is a corrupt archive. All are input errors, and all name the layer.
func layerReadError(name string, err error) error {
	if IsInputError(err) {
		// A digest mismatch or a failed fetch from below does not know which layer it belongs to.
		if !strings.HasPrefix(err.Error(), name+": ") {
			return &InputError{Err: fmt.Errorf("%s: %w", name, err)}
		}
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return inputErrorf("%s: truncated tar stream: %w", name, err)
	}
	if errors.Is(err, ErrTooLarge) {
		return inputErrorf("%s: %w", name, err)
	}
	return inputErrorf("%s: corrupt tar stream: %w", name, err)
}
