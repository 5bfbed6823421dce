package inventory

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	rpmdb "github.com/anchore/go-rpmdb/pkg"
	"github.com/anchore/go-rpmdb/pkg/bdb"
	"github.com/hullscan/hullscan/internal/model"

	// go-rpmdb opens rpmdb.sqlite through database/sql's "sqlite" driver but does not register one; this pure-Go
	// driver keeps the build cgo-free. Nothing else in hullscan may register another "sqlite" driver (that panics).
	_ "modernc.org/sqlite"
)

const rpmMaxSize = 1 << 30

// RPMDB reads the rpm database of RHEL-family, Fedora, Amazon Linux, SUSE and Photon images in its three formats:
// Berkeley DB "Packages" (RHEL ≤ 8, CentOS, Amazon Linux 2), NDB "Packages.db" (SUSE) and "rpmdb.sqlite"
// (RHEL 9, Fedora ≥ 33, Amazon Linux 2023). Fedora and openSUSE moved the database to /usr/lib/sysimage/rpm.
type RPMDB struct{}

func (RPMDB) Name() string   { return "rpmdb" }
func (RPMDB) Version() int   { return 1 }
func (RPMDB) MaxSize() int64 { return rpmMaxSize }

func (RPMDB) Match(path string) bool {
	switch path {
	case "/var/lib/rpm/Packages", "/var/lib/rpm/Packages.db", "/var/lib/rpm/rpmdb.sqlite",
		"/usr/lib/sysimage/rpm/Packages", "/usr/lib/sysimage/rpm/Packages.db", "/usr/lib/sysimage/rpm/rpmdb.sqlite":
		return true
	}
	return false
}

// Parse copies the database to a private temporary file, because go-rpmdb opens a path (sqlite and the page
// walks need random access), then lists its packages.
func (RPMDB) Parse(path string, r io.Reader, _ int64) ([]model.Package, error) {
	return parseRPMDB(path, r, rpmMaxSize)
}

func parseRPMDB(path string, r io.Reader, maxSize int64) ([]model.Package, error) {
	dir, err := os.MkdirTemp("", "hullscan-rpmdb-")
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "rpmdb")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	n, err := io.Copy(f, io.LimitReader(r, maxSize+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("parse %s: copy to temporary file: %w", path, err)
	}
	if n > maxSize {
		return nil, fmt.Errorf("parse %s: larger than %d bytes", path, maxSize)
	}
	infos, err := listRPMPackages(tmp, n)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}

	var (
		pkgs []model.Package
		bad  int
	)
	for _, pi := range infos {
		if pi == nil || pi.Name == "gpg-pubkey" {
			continue // imported signing keys are stored as pseudo-packages
		}
		p, ok := rpmPackage(pi, path)
		if !ok {
			bad++
			continue
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 && bad > 0 {
		return nil, fmt.Errorf("parse %s: %d malformed header(s) and no package", path, bad)
	}
	return pkgs, nil
}

func rpmPackage(pi *rpmdb.PackageInfo, path string) (model.Package, bool) {
	evr := pi.Version
	if pi.Release != "" {
		evr += "-" + pi.Release
	}
	if !isToken(pi.Name) || !isToken(evr) {
		return model.Package{}, false
	}
	p := model.Package{
		Ecosystem:  model.RPM,
		Name:       pi.Name,
		Version:    evr,
		Arch:       pi.Arch,
		Maintainer: pi.Vendor,
		Location:   path,
	}
	if p.Maintainer == "" {
		p.Maintainer = pi.Packager
	}
	if pi.Epoch != nil {
		e := *pi.Epoch
		p.Epoch = &e
		p.Version = strconv.Itoa(e) + ":" + evr
	}
	if pi.License != "" {
		p.Licenses = []string{pi.License} // "OpenSSL and ASL 2.0" is one (Fedora-style) expression
	}
	p.SourceName, p.SourceVersion = parseSourceRPM(pi.SourceRpm)
	switch {
	case p.SourceName == "":
		p.SourceName, p.SourceVersion = p.Name, p.Version
	case p.Epoch != nil:
		// The SRPM file name never carries the epoch, but the source package has it: Epoch is set in the spec
		// preamble that all subpackages share, and advisories (RHSA, OVAL, SUSE) state fixed versions of the
		// source as epoch:version-release. Without it a comparison would see 1.1.1k-7 < 1:1.1.1k-8 as fixed.
		p.SourceVersion = strconv.Itoa(*p.Epoch) + ":" + p.SourceVersion
	}
	return p, true
}

// parseSourceRPM splits a SOURCERPM value, "openssl-1.1.1k-7.el8.src.rpm" → ("openssl", "1.1.1k-7.el8"). Name
// may contain dashes; version and release may not, so the last two dashes separate them.
func parseSourceRPM(s string) (name, version string) {
	s, ok := strings.CutSuffix(s, ".rpm")
	if !ok {
		return "", ""
	}
	if t, ok := strings.CutSuffix(s, ".src"); ok {
		s = t
	} else if t, ok := strings.CutSuffix(s, ".nosrc"); ok {
		s = t
	} else {
		return "", ""
	}
	i := strings.LastIndexByte(s, '-')
	if i <= 0 {
		return "", ""
	}
	j := strings.LastIndexByte(s[:i], '-')
	if j <= 0 {
		return "", ""
	}
	name, ver, rel := s[:j], s[j+1:i], s[i+1:]
	if !isToken(name) || !isToken(ver) || !isToken(rel) {
		return "", ""
	}
	return name, ver + "-" + rel
}

// listRPMPackages checks the file against the failure modes of go-rpmdb v0.2.2 that a hostile or corrupt
// database would otherwise turn into a crash, a hang or a leak, then lets the library read it. The library reads
// in a goroutine of its own, so a panic there cannot be recovered here: it has to be prevented.
func listRPMPackages(file string, size int64) (infos []*rpmdb.PackageInfo, err error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 32)
	_, rerr := io.ReadFull(f, head)
	if rerr == nil {
		// Same order as rpmdb.Open: sqlite, then NDB, then Berkeley DB.
		switch {
		case bytes.HasPrefix(head, []byte("SQLite format 3\x00")):
			err = checkSQLite(file)
		case isNDB(head):
			err = checkNDB(f, size)
		default:
			err = checkBDB(f, size)
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if rerr != nil {
		return nil, errors.New("too short to be an rpm database")
	}
	if err != nil {
		return nil, err
	}

	// Header parsing runs in this goroutine; it is not known to panic but the parser must never do so.
	defer func() {
		if v := recover(); v != nil {
			infos, err = nil, fmt.Errorf("rpm header parser panicked: %v", v)
		}
	}()
	db, err := rpmdb.Open(file)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// A header that fails to parse ends the listing with an error. Upstream then leaves its reader goroutine
	// blocked on a channel send (a small leak per corrupt database); the checks above keep that to headers.
	return db.ListPackages()
}

// checkSQLite reads every blob once through the same driver and DSN as go-rpmdb. The library ignores rows.Err()
// (a corrupt table would silently yield a partial list) and leaks its reader on query and scan errors.
func checkSQLite(file string) error {
	db, err := sql.Open("sqlite", fmt.Sprintf("file:%s?mode=ro&immutable=1", file))
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT blob FROM Packages")
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var blob string // as upstream scans it: a NULL fails there, and upstream goes on after the error
		if err := rows.Scan(&blob); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

const (
	ndbHeaderMagic = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	ndbSlotMagic   = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	ndbBlobMagic   = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
	ndbSlotsPage   = 4096 / 16
)

// isNDB mirrors ndb.Open's acceptance test; anything else falls through to Berkeley DB in rpmdb.Open.
func isNDB(head []byte) bool {
	le := binary.LittleEndian
	return le.Uint32(head[0:]) == ndbHeaderMagic && le.Uint32(head[4:]) == 0 && le.Uint32(head[12:]) != 0
}

// checkNDB walks the slots as ndb.Read does. Upstream allocates BlobLen bytes unchecked (up to 4 GiB), prints
// bad slots to stdout and, on a bad blob header, keeps going after reporting the error, which blocks its
// goroutine forever.
func checkNDB(f *os.File, size int64) error {
	le := binary.LittleEndian
	var hdr [32]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return fmt.Errorf("ndb: %w", err)
	}
	pages := le.Uint32(hdr[12:])
	if pages > 2048 {
		return nil // ndb.Open refuses it cleanly
	}
	n := int64(pages)*ndbSlotsPage - 2
	if 32+n*16 > size {
		return nil // ndb.Open fails cleanly on the short read
	}
	slots := make([]byte, n*16)
	if _, err := f.ReadAt(slots, 32); err != nil {
		return fmt.Errorf("ndb: %w", err)
	}
	for i := int64(0); i < n; i++ {
		s := slots[i*16 : i*16+16]
		if le.Uint32(s[0:]) != ndbSlotMagic {
			// Upstream would stop cleanly, but only after printing to stdout, where our report may be going.
			return fmt.Errorf("ndb: bad magic in slot %d", i)
		}
		pkgIndex, blk := le.Uint32(s[4:]), le.Uint32(s[8:])
		if pkgIndex == 0 {
			continue
		}
		off := int64(blk) * 16
		var bh [16]byte
		if off+16 > size {
			return nil // upstream's read fails and it stops
		}
		if _, err := f.ReadAt(bh[:], off); err != nil {
			return fmt.Errorf("ndb: %w", err)
		}
		if le.Uint32(bh[0:]) != ndbBlobMagic || le.Uint32(bh[4:]) != pkgIndex {
			return fmt.Errorf("ndb: bad blob header for package %d", pkgIndex)
		}
		if int64(le.Uint32(bh[12:])) > size-off-16 {
			return fmt.Errorf("ndb: blob of package %d runs past the end of the file", pkgIndex)
		}
	}
	return nil
}

// checkBDB replays bdb.Read's page walk with bounds checks. Upstream indexes pages with offsets read from the
// file (an out-of-range one panics in its goroutine), loops forever on an overflow chain that reaches a
// non-overflow page, and follows cyclic chains until memory runs out. Where upstream would stop with an error
// on its own, the walk stops and accepts, since nothing after that point is read.
func checkBDB(f *os.File, size int64) error {
	meta := make([]byte, 512)
	if _, err := f.ReadAt(meta, 0); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("berkeley db: %w", err)
	}
	hm, err := bdb.ParseHashMetadataPage(meta)
	if err != nil {
		return fmt.Errorf("not an rpm database: %w", err) // bdb.Open fails the same way
	}
	ps := hm.PageSize
	switch ps {
	case 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536:
	default:
		return fmt.Errorf("not an rpm database: unexpected page size %d", ps)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if hm.Swapped {
		order = binary.BigEndian
	}
	// In a sound database every overflow page belongs to one value, so the chains together are no longer than
	// the file has pages; more means a cycle or shared chains (quadratic work).
	budget := size / int64(ps)
	page := make([]byte, ps)
	chain := make([]byte, ps)
	readPage := func(buf []byte, off int64) bool {
		if off < 0 || off+int64(ps) > size {
			return false
		}
		_, err := f.ReadAt(buf, off)
		return err == nil
	}
	for pageNum := uint32(0); pageNum <= hm.LastPageNo; pageNum++ {
		if !readPage(page, int64(pageNum)*int64(ps)) {
			return nil
		}
		hp, err := bdb.ParseHashPage(page, hm.Swapped)
		if err != nil {
			return nil
		}
		if hp.PageType != bdb.HashUnsortedPageType && hp.PageType != bdb.HashPageType {
			continue
		}
		if hp.NumEntries%2 != 0 {
			return nil
		}
		// uint16 arithmetic on purpose: it is what upstream computes, wrap-around included.
		end := uint16(bdb.PageHeaderSize) + hp.NumEntries*bdb.HashIndexEntrySize
		if end < bdb.PageHeaderSize || int(end) > len(page) {
			return fmt.Errorf("berkeley db: page %d: hash index out of bounds", pageNum)
		}
		index := page[bdb.PageHeaderSize:end]
		for i := 2; i+2 <= len(index); i += 4 { // the value half of each key/value pair
			v := order.Uint16(index[i:])
			if int(v) >= len(page) {
				return fmt.Errorf("berkeley db: page %d: entry offset out of bounds", pageNum)
			}
			if page[v] != bdb.HashOffIndexPageType {
				continue
			}
			e := v + bdb.HashOffPageSize // uint16, as upstream slices it
			if e < v || int(e) > len(page) {
				return fmt.Errorf("berkeley db: page %d: entry out of bounds", pageNum)
			}
			entry, err := bdb.ParseHashOffPageEntry(page[v:e], hm.Swapped)
			if err != nil {
				return fmt.Errorf("berkeley db: page %d: %w", pageNum, err)
			}
			for cur := entry.PageNo; cur != 0; {
				if budget--; budget < 0 {
					return errors.New("berkeley db: overflow chains loop or overlap")
				}
				if !readPage(chain, int64(ps*cur)) { // uint32 product as upstream computes it
					return nil
				}
				cp, err := bdb.ParseHashPage(chain, hm.Swapped)
				if err != nil {
					return nil
				}
				if cp.PageType != bdb.OverflowPageType {
					return fmt.Errorf("berkeley db: overflow chain reaches page %d of type %d", cur, cp.PageType)
				}
				if cp.NextPageNo == 0 {
					if e := uint16(bdb.PageHeaderSize) + cp.FreeAreaOffset; e < bdb.PageHeaderSize || int(e) > len(chain) {
						return fmt.Errorf("berkeley db: overflow page %d: length out of bounds", cur)
					}
				}
				cur = cp.NextPageNo
			}
		}
	}
	return nil
}
