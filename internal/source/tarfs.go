package source

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
)

// tarFile indexes an uncompressed tar file once (names to offsets) so that its members can be read many times,
// in any order and in parallel, without rescanning: docker-archives put manifest.json last, and layers are read
// concurrently.
type tarFile struct {
	f       *os.File
	name    string
	members map[string]tarMember
}

type tarMember struct {
	off, size int64
	link      string // symlink target (docker save links duplicate layers)
	typ       byte
}

// posReader tracks the position in the file, so the data offset of each entry is known when tar.Reader hands us
// its header. It keeps Seek so that tar.Reader skips entry bodies instead of reading them.
type posReader struct {
	f   *os.File
	pos int64
}

func (p *posReader) Read(b []byte) (int, error) {
	n, err := p.f.Read(b)
	p.pos += int64(n)
	return n, err
}

func (p *posReader) Seek(off int64, whence int) (int64, error) {
	n, err := p.f.Seek(off, whence)
	if err == nil {
		p.pos = n
	}
	return n, err
}

func openTarFile(name string) (*tarFile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, inputErrorf("open %s: %w", name, err)
	}
	t := &tarFile{f: f, name: name, members: map[string]tarMember{}}
	pr := &posReader{f: f}
	tr := tar.NewReader(pr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.Close()
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, inputErrorf("%s: truncated tar archive", name)
			}
			return nil, inputErrorf("%s: not a tar archive: %w", name, err)
		}
		p, ok, _ := cleanEntryName(hdr.Name)
		if !ok {
			continue // a member outside the archive root can't be referenced by a sane manifest
		}
		t.members[p] = tarMember{off: pr.pos, size: hdr.Size, link: hdr.Linkname, typ: hdr.Typeflag}
	}
	return t, nil
}

// Open opens a member by its path inside the archive, following symlinks (within the archive).
func (t *tarFile) Open(name string) (io.ReadCloser, error) {
	m, err := t.lookup(name)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(io.NewSectionReader(t.f, m.off, m.size)), nil
}

// ReadFile reads a small member whole.
func (t *tarFile) ReadFile(name string, max int64) ([]byte, error) {
	m, err := t.lookup(name)
	if err != nil {
		return nil, err
	}
	if m.size > max {
		return nil, inputErrorf("%s: %s is %d bytes, more than the %d allowed", t.name, name, m.size, max)
	}
	b := make([]byte, m.size)
	if _, err := t.f.ReadAt(b, m.off); err != nil {
		return nil, inputErrorf("%s: read %s: %w", t.name, name, err)
	}
	return b, nil
}

func (t *tarFile) Has(name string) bool {
	_, err := t.lookup(name)
	return err == nil
}

func (t *tarFile) lookup(name string) (tarMember, error) {
	p, ok, _ := cleanEntryName(name)
	for hops := 0; ok && hops < 16; hops++ {
		m, found := t.members[p]
		if !found {
			break
		}
		switch m.typ {
		case tar.TypeSymlink:
			p, ok, _ = cleanEntryName(path.Join(path.Dir(p), m.link))
			continue
		case tar.TypeLink:
			p, ok, _ = cleanEntryName(m.link)
			continue
		case tar.TypeReg:
			return m, nil
		}
		break
	}
	return tarMember{}, inputErrorf("%s: %s is missing from the archive", t.name, name)
}

func (t *tarFile) Close() error { return t.f.Close() }

// fileReader is what archive readers need from a docker-archive or OCI layout, whether it is a directory or a tar.
type fileReader interface {
	Open(name string) (io.ReadCloser, error)
	ReadFile(name string, max int64) ([]byte, error)
	Has(name string) bool
}

// dirReader reads members of a directory. Names are joined under the root after cleaning, so a manifest cannot
// name a file outside it.
type dirReader struct{ root string }

func (d dirReader) path(name string) (string, error) {
	p, ok, _ := cleanEntryName(name)
	if !ok {
		return "", inputErrorf("%s: %q points outside the layout", d.root, name)
	}
	return d.root + p, nil
}

func (d dirReader) Open(name string) (io.ReadCloser, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, inputErrorf("%s: %s is missing", d.root, name)
		}
		return nil, fmt.Errorf("open %s: %w", p, err)
	}
	// A directory opens fine and fails on read with an error that looks like an environment failure.
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		f.Close()
		return nil, inputErrorf("%s: %s is not a regular file", d.root, name)
	}
	return f, nil
}

func (d dirReader) ReadFile(name string, max int64) ([]byte, error) {
	rc, err := d.Open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(b)) > max {
		return nil, inputErrorf("%s: %s is more than the %d bytes allowed", d.root, name, max)
	}
	return b, nil
}

func (d dirReader) Has(name string) bool {
	p, err := d.path(name)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}
