package vulndb

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"

	"github.com/hullscan/hullscan/internal/model"
)

// SchemaVersion is the version of the file layout below. A reader refuses another version: the user rebuilds or
// updates the database rather than getting wrong answers from a misread one.
const SchemaVersion = 1

// The file is a bbolt database (a single memory-mapped B+tree file, opened read-only by scans, so that many scans
// can share one file and opening costs nothing). Buckets:
//
//	meta       "meta" → JSON Meta
//	affected   "<ecosystem base>\x00<normalised package name>" → zstd(JSON []Affected): every advisory's entries for it
//	advisory   "<id>" → zstd(JSON Advisory)
//	kev        "<CVE id>" → JSON model.KEV
//	epss       "<CVE id>" → 8 bytes: score and percentile as float32, big endian
//	tracker    "<release codename>\x00<source package>" → JSON []TrackerStatus
//	alias      "<id or alias>" → JSON []string: the advisories that carry it (as their id or an alias), so that a
//	           finding can take a CVE's ratings from every advisory that names it
var (
	bucketMeta     = []byte("meta")
	bucketAffected = []byte("affected")
	bucketAdvisory = []byte("advisory")
	bucketKEV      = []byte("kev")
	bucketEPSS     = []byte("epss")
	bucketTracker  = []byte("tracker")
	bucketAlias    = []byte("alias")
	keyMeta        = []byte("meta")
)

// ErrNoDatabase is returned by Open when the file does not exist.
var ErrNoDatabase = errors.New("no vulnerability database")

// DB is an open database, safe for concurrent use.
type DB struct {
	path string
	bolt *bolt.DB
	meta Meta
	eco  map[string]bool
	dec  *zstd.Decoder // DecodeAll is safe for concurrent use
}

// Open opens a database read-only. A missing file is ErrNoDatabase; another schema version or a file that is no
// hullscan database is an error saying so.
func Open(path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w at %s", ErrNoDatabase, path)
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	b, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db := &DB{path: path, bolt: b, eco: map[string]bool{}}
	if err := b.View(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketMeta)
		if mb == nil {
			return errors.New("not a hullscan database (no meta bucket)")
		}
		raw := mb.Get(keyMeta)
		if raw == nil {
			return errors.New("not a hullscan database (no metadata)")
		}
		if err := json.Unmarshal(raw, &db.meta); err != nil {
			return fmt.Errorf("metadata: %w", err)
		}
		if db.meta.SchemaVersion != SchemaVersion {
			return fmt.Errorf("schema version %d, this hullscan reads %d: rebuild or update the database", db.meta.SchemaVersion, SchemaVersion)
		}
		for _, name := range [][]byte{bucketAffected, bucketAdvisory, bucketKEV, bucketEPSS, bucketTracker, bucketAlias} {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("not a hullscan database (no %s bucket)", name)
			}
		}
		return nil
	}); err != nil {
		b.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	for _, e := range db.meta.Ecosystems {
		db.eco[e] = true
	}
	db.dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))
	if err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// Close releases the database.
func (db *DB) Close() error {
	db.dec.Close()
	return db.bolt.Close()
}

// Path is the file the database was opened from.
func (db *DB) Path() string { return db.path }

// Meta is the database's metadata.
func (db *DB) Meta() Meta { return db.meta }

// HasEcosystem reports whether the database holds advisories for an OSV ecosystem base name ("Debian", "npm").
func (db *DB) HasEcosystem(base string) bool { return db.eco[base] }

// Affected returns every advisory entry for a package of an OSV ecosystem (base name: "Debian", not "Debian:12").
func (db *DB) Affected(base, name string) ([]Affected, error) {
	var out []Affected
	err := db.bolt.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketAffected).Get(affectedKey(base, name))
		if raw == nil {
			return nil
		}
		js, err := db.dec.DecodeAll(raw, nil)
		if err != nil {
			return err
		}
		return json.Unmarshal(js, &out)
	})
	if err != nil {
		return nil, fmt.Errorf("read %s/%s from %s: %w", base, name, db.path, err)
	}
	return out, nil
}

// Advisory returns the stored advisory with this id; ok is false when there is none.
func (db *DB) Advisory(id string) (adv Advisory, ok bool, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketAdvisory).Get([]byte(id))
		if raw == nil {
			return nil
		}
		js, err := db.dec.DecodeAll(raw, nil)
		if err != nil {
			return err
		}
		ok = true
		return json.Unmarshal(js, &adv)
	})
	if err != nil {
		return Advisory{}, false, fmt.Errorf("read advisory %s from %s: %w", id, db.path, err)
	}
	return adv, ok, nil
}

// AdvisoriesFor returns the ids of the advisories that carry id, as their own id or as an alias.
func (db *DB) AdvisoriesFor(id string) ([]string, error) {
	var out []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketAlias).Get([]byte(id))
		if raw == nil {
			return nil
		}
		return json.Unmarshal(raw, &out)
	})
	if err != nil {
		return nil, fmt.Errorf("read alias %s from %s: %w", id, db.path, err)
	}
	return out, nil
}

// KEV returns the KEV catalogue entry for a CVE id, if any.
func (db *DB) KEV(cve string) (*model.KEV, error) {
	var k *model.KEV
	err := db.bolt.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketKEV).Get([]byte(cve))
		if raw == nil {
			return nil
		}
		k = new(model.KEV)
		return json.Unmarshal(raw, k)
	})
	if err != nil {
		return nil, fmt.Errorf("read KEV %s from %s: %w", cve, db.path, err)
	}
	return k, nil
}

// EPSS returns the EPSS score of a CVE id, if any; Date is the feed's score date.
func (db *DB) EPSS(cve string) (*model.EPSS, error) {
	var e *model.EPSS
	err := db.bolt.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketEPSS).Get([]byte(cve))
		if raw == nil {
			return nil
		}
		if len(raw) != 8 {
			return fmt.Errorf("EPSS record of %d bytes", len(raw))
		}
		e = &model.EPSS{
			Score:      float64(math.Float32frombits(binary.BigEndian.Uint32(raw[:4]))),
			Percentile: float64(math.Float32frombits(binary.BigEndian.Uint32(raw[4:]))),
			Date:       db.epssDate(),
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read EPSS %s from %s: %w", cve, db.path, err)
	}
	return e, nil
}

func (db *DB) epssDate() string {
	for _, f := range db.meta.Feeds {
		if f.Name == FeedEPSS && !f.Newest.IsZero() {
			return f.Newest.Format("2006-01-02")
		}
	}
	return ""
}

// Tracker returns the Debian security tracker's states for a source package in a release (by codename).
func (db *DB) Tracker(codename, srcPkg string) ([]TrackerStatus, error) {
	var out []TrackerStatus
	err := db.bolt.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketTracker).Get([]byte(codename + "\x00" + srcPkg))
		if raw == nil {
			return nil
		}
		return json.Unmarshal(raw, &out)
	})
	if err != nil {
		return nil, fmt.Errorf("read tracker %s/%s from %s: %w", codename, srcPkg, db.path, err)
	}
	return out, nil
}

// HasTracker reports whether the database holds the Debian security tracker feed.
func (db *DB) HasTracker() bool {
	for _, f := range db.meta.Feeds {
		if f.Name == FeedDebianTracker {
			return true
		}
	}
	return false
}

// Feed names in Meta.Feeds (OSV feeds are "osv:<Ecosystem>").
const (
	FeedKEV           = "kev"
	FeedEPSS          = "epss"
	FeedDebianTracker = "debian-tracker"
)

func affectedKey(base, name string) []byte {
	return []byte(base + "\x00" + NormalizeName(base, name))
}

// NormalizeName puts a package name in the form an ecosystem compares names in: PyPI per PEP 503 (case-folded,
// runs of "-", "_", "." as one "-"), NuGet and Packagist case-folded; others are case-sensitive and kept as they
// are. Advisories and packages go through the same function, so a lookup never depends on how either spelled it.
func NormalizeName(base, name string) string {
	switch base {
	case "PyPI":
		var b strings.Builder
		sep := false
		for _, r := range strings.ToLower(name) {
			if r == '-' || r == '_' || r == '.' {
				sep = true
				continue
			}
			if sep && b.Len() > 0 {
				b.WriteByte('-')
			}
			sep = false
			b.WriteRune(r)
		}
		return b.String()
	case "NuGet", "Packagist":
		return strings.ToLower(name)
	}
	return name
}

// EcosystemBase is an OSV ecosystem without its release suffix: "Debian:12" → "Debian", "Alpine:v3.11" → "Alpine".
func EcosystemBase(eco string) string {
	if i := strings.IndexByte(eco, ':'); i >= 0 {
		return eco[:i]
	}
	return eco
}

func encodeEPSS(e model.EPSS) []byte {
	var b [8]byte
	binary.BigEndian.PutUint32(b[:4], math.Float32bits(float32(e.Score)))
	binary.BigEndian.PutUint32(b[4:], math.Float32bits(float32(e.Percentile)))
	return b[:]
}
