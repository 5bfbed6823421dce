package vulndb

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"

	"github.com/hullscan/hullscan/internal/model"
)

// Limits on inputs: a record or feed larger than these is malformed or hostile, and is refused with a message
// naming it rather than read into memory.
const (
	maxRecordSize = 16 << 20  // one OSV JSON record
	maxFeedSize   = 512 << 20 // a KEV, EPSS or tracker file, uncompressed
)

// Builder collects feeds in memory and writes a database file. Records are kept by id: an advisory that two
// inputs carry (an OSV export and a folder of updates) is kept in its most recently modified form.
type Builder struct {
	// Progress, when set, receives one line per input read.
	Progress func(string)

	advisories map[string]*builtAdvisory
	kev        map[string]model.KEV
	epss       map[string]model.EPSS
	tracker    map[string][]TrackerStatus
	feeds      map[string]*FeedMeta
}

type builtAdvisory struct {
	adv      Advisory
	affected []Affected
	feed     string
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	return &Builder{
		advisories: map[string]*builtAdvisory{},
		kev:        map[string]model.KEV{},
		epss:       map[string]model.EPSS{},
		tracker:    map[string][]TrackerStatus{},
		feeds:      map[string]*FeedMeta{},
	}
}

func (b *Builder) progress(format string, args ...any) {
	if b.Progress != nil {
		b.Progress(fmt.Sprintf(format, args...))
	}
}

func (b *Builder) feed(name, source string) *FeedMeta {
	f, ok := b.feeds[name]
	if !ok {
		f = &FeedMeta{Name: name, Source: source, Skipped: map[string]int{}}
		b.feeds[name] = f
	} else if !strings.Contains(f.Source, source) {
		f.Source += ", " + source
	}
	return f
}

// Add reads one input, recognised by its content: a folder (OSV export layout `<Ecosystem>/all.zip`, or OSV JSON
// files at any depth), an OSV zip, a single OSV JSON record, the CISA KEV catalogue (JSON), FIRST EPSS scores
// (CSV, gzip or not), or the Debian security tracker's JSON.
func (b *Builder) Add(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if fi.IsDir() {
		return b.addDir(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return b.addZip(path, fi.Size())
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		defer zr.Close()
		return b.addStream(path, bufio.NewReaderSize(io.LimitReader(zr, maxFeedSize+1), 64<<10))
	}
	return b.addStream(path, br)
}

// addStream recognises a plain (uncompressed) feed by its first bytes.
func (b *Builder) addStream(path string, br *bufio.Reader) error {
	head, _ := br.Peek(512)
	trim := bytes.TrimLeft(head, " \t\r\n\ufeff")
	switch {
	case bytes.HasPrefix(trim, []byte("#model_version")) || bytes.HasPrefix(trim, []byte("cve,epss")):
		return b.addEPSS(path, br)
	case bytes.HasPrefix(trim, []byte("{")):
		data, err := readCapped(br, maxFeedSize)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		return b.addJSON(path, data)
	}
	return fmt.Errorf("read %s: not a feed hullscan reads (an OSV folder or zip, OSV JSON, KEV JSON, EPSS CSV or the Debian tracker's JSON)", path)
}

func readCapped(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return data, nil
}

// addJSON tells apart the JSON feeds by their top-level keys.
func (b *Builder) addJSON(path string, data []byte) error {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	switch {
	case probe["catalogVersion"] != nil || (probe["vulnerabilities"] != nil && probe["dateReleased"] != nil):
		entries, released, skipped, err := parseKEV(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		for id, k := range entries {
			b.kev[id] = k
		}
		b.noteFeed(FeedKEV, path, len(b.kev), released, skipped)
		b.progress("%s: %d KEV entries", path, len(entries))
		return nil
	case probe["id"] != nil && (probe["affected"] != nil || probe["modified"] != nil):
		return b.addRecord(path, "", data)
	}
	// The tracker's JSON is an object of source packages, each an object of CVE ids.
	tr, skipped, err := parseDebianTracker(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("read %s: not a feed hullscan recognises (%w)", path, err)
	}
	if len(tr) == 0 {
		return fmt.Errorf("read %s: a JSON object that is neither an OSV record, the KEV catalogue nor the Debian tracker's JSON", path)
	}
	n := 0
	for k, sts := range tr {
		b.tracker[k] = sts
		n += len(sts)
	}
	total := 0 // over every tracker file read: a later one replaces the states it repeats
	for _, sts := range b.tracker {
		total += len(sts)
	}
	b.noteFeed(FeedDebianTracker, path, total, time.Time{}, skipped)
	b.progress("%s: %d tracker states", path, n)
	return nil
}

// noteFeed records what one read of a KEV, EPSS or tracker file left: the feed's record count now, its newest
// date, and the malformed records it skipped.
func (b *Builder) noteFeed(name, path string, records int, newest time.Time, skipped int) {
	f := b.feed(name, path)
	f.Records = records
	if newest.After(f.Newest) {
		f.Newest = newest
	}
	if skipped > 0 {
		f.Skipped["malformed"] += skipped
	}
}

func (b *Builder) addEPSS(path string, r io.Reader) error {
	scores, date, skipped, err := parseEPSS(r)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	for id, s := range scores {
		b.epss[id] = s
	}
	b.noteFeed(FeedEPSS, path, len(b.epss), date, skipped)
	b.progress("%s: %d EPSS scores", path, len(scores))
	return nil
}

// addDir reads an OSV export folder: every all.zip (or other .zip) and .json file below it, in a stable order.
// Other files (a README, a MANIFEST) are ignored; KEV, EPSS and tracker files are given to Add by name.
func (b *Builder) addDir(root string) error {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && (strings.HasSuffix(p, ".zip") || strings.HasSuffix(p, ".json")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", root, err)
	}
	if len(files) == 0 {
		return fmt.Errorf("read %s: no OSV zip or JSON files in it", root)
	}
	sort.Strings(files)
	for _, p := range files {
		if strings.HasSuffix(p, ".zip") {
			fi, err := os.Stat(p)
			if err != nil {
				return fmt.Errorf("read %s: %w", p, err)
			}
			if err := b.addZip(p, fi.Size()); err != nil {
				return err
			}
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		if err := b.addJSON(p, data); err != nil {
			return err
		}
	}
	return nil
}

// addZip reads an OSV zip (osv.dev's `<Ecosystem>/all.zip`): one JSON record per entry.
func (b *Builder) addZip(path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	n := 0
	feedName := "osv:" + ecosystemFromZipPath(path)
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() || !strings.HasSuffix(zf.Name, ".json") {
			continue
		}
		name := path + "!/" + zf.Name
		if zf.UncompressedSize64 > maxRecordSize {
			b.skip(feedName, path, "malformed", fmt.Sprintf("%s: %d bytes, over the %d-byte limit for a record", name, zf.UncompressedSize64, maxRecordSize))
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		data, err := readCapped(rc, maxRecordSize)
		rc.Close()
		if err != nil {
			// A corrupt entry in an otherwise readable zip (a bad checksum) is that record's problem.
			b.skip(feedName, path, "malformed", fmt.Sprintf("%s: %v", name, err))
			continue
		}
		if err := b.addRecord(name, ecosystemFromZipPath(path), data); err != nil {
			return err
		}
		n++
	}
	b.progress("%s: %d records", path, n)
	return nil
}

// ecosystemFromZipPath names the feed of an OSV export zip after its folder ("…/PyPI/all.zip" → "PyPI").
func ecosystemFromZipPath(p string) string {
	if filepath.Base(p) == "all.zip" {
		return filepath.Base(filepath.Dir(p))
	}
	return ""
}

// skip counts a record left out under its feed (and reports a malformed one through Progress, by name).
func (b *Builder) skip(feed, source, reason, detail string) {
	b.feed(feed, source).Skipped[reason]++
	if detail != "" {
		b.progress("skipped %s", detail)
	}
}

// knownEcosystems are the OSV ecosystems hullscan's inventory produces packages for; advisories for others are
// counted as skipped rather than stored, so that the file holds only what a scan can use.
var knownEcosystems = map[string]bool{
	"Debian": true, "Ubuntu": true, "Alpine": true, "Wolfi": true, "Chainguard": true,
	"Red Hat": true, "Rocky Linux": true, "AlmaLinux": true, "SUSE": true, "openSUSE": true, "Photon OS": true,
	"Amazon Linux": true, "Oracle Linux": true, "Fedora": true, "CentOS": true,
	"npm": true, "PyPI": true, "Go": true, "Maven": true, "RubyGems": true, "crates.io": true, "Packagist": true,
	"NuGet": true, "Pub": true, "Hex": true, "SwiftURL": true, "CocoaPods": true,
}

// addRecord parses one OSV record and keeps it (or counts why not). zipEco is the export folder's ecosystem, used
// to name the feed; a record's own affected ecosystems decide where it is indexed.
func (b *Builder) addRecord(name, zipEco string, data []byte) error {
	var rec osvRecord
	feedName := "osv:" + zipEco
	if err := json.Unmarshal(data, &rec); err != nil {
		b.skip(feedName, sourceOfName(name), "malformed", fmt.Sprintf("%s: %v", name, err))
		return nil
	}
	if zipEco == "" && len(rec.Affected) > 0 {
		feedName = "osv:" + EcosystemBase(rec.Affected[0].Package.Ecosystem)
	}
	f := b.feed(feedName, sourceOfName(name))
	if rec.ID == "" {
		f.Skipped["malformed"]++
		b.progress("skipped %s: no id", name)
		return nil
	}
	if rec.Withdrawn != nil {
		f.Skipped["withdrawn"]++
		return nil
	}
	var affected []Affected
	for i := range rec.Affected {
		a := &rec.Affected[i]
		eco := a.Package.Ecosystem
		base := EcosystemBase(eco)
		if a.Package.Name == "" || eco == "" {
			f.Skipped["malformed affected entry"]++
			continue
		}
		if !knownEcosystems[base] {
			f.Skipped["unknown ecosystem "+base]++
			continue
		}
		e := Affected{ID: rec.ID, Ecosystem: eco, Package: a.Package.Name, Versions: a.Versions, Ratings: affectedRatings(&rec, a)}
		for _, r := range a.Ranges {
			if r.Type != "SEMVER" && r.Type != "ECOSYSTEM" {
				continue // GIT ranges name commits, which no installed package carries
			}
			rg := Range{Type: r.Type}
			for _, ev := range r.Events {
				rg.Events = append(rg.Events, Event{Introduced: ev.Introduced, Fixed: ev.Fixed, LastAffected: ev.LastAffected, Limit: ev.Limit})
			}
			if len(rg.Events) > 0 {
				e.Ranges = append(e.Ranges, rg)
			}
		}
		if len(e.Ranges) == 0 && len(e.Versions) == 0 {
			f.Skipped["affected entry without versions"]++
			continue
		}
		affected = append(affected, e)
	}
	if len(affected) == 0 {
		if len(rec.Affected) == 0 {
			f.Skipped["no affected packages"]++
		}
		return nil
	}
	if old, ok := b.advisories[rec.ID]; ok {
		if !rec.Modified.After(old.adv.Modified) {
			return nil
		}
		b.feeds[old.feed].Records--
	}
	adv := Advisory{
		ID:         rec.ID,
		Aliases:    dedupe(append(append([]string(nil), rec.Aliases...), rec.Upstream...), rec.ID),
		Summary:    rec.Summary,
		Published:  rec.Published,
		Modified:   rec.Modified,
		Ratings:    advisoryRatings(&rec),
		References: references(rec.References),
	}
	if adv.Summary == "" {
		adv.Summary = firstLine(rec.Details)
	}
	b.advisories[rec.ID] = &builtAdvisory{adv: adv, affected: affected, feed: feedName}
	f.Records++
	if rec.Modified.After(f.Newest) {
		f.Newest = rec.Modified
	}
	return nil
}

func sourceOfName(name string) string {
	if i := strings.Index(name, "!/"); i >= 0 {
		return name[:i]
	}
	return name
}

func dedupe(ids []string, self string) []string {
	seen := map[string]bool{self: true}
	var out []string
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// references keeps every URL, advisories and fixes first (what a person acts on), in the record's order otherwise.
func references(refs []osvReference) []string {
	rank := func(t string) int {
		switch t {
		case "ADVISORY":
			return 0
		case "FIX":
			return 1
		case "WEB", "ARTICLE", "REPORT":
			return 2
		}
		return 3
	}
	sorted := append([]osvReference(nil), refs...)
	sort.SliceStable(sorted, func(i, j int) bool { return rank(sorted[i].Type) < rank(sorted[j].Type) })
	var out []string
	seen := map[string]bool{}
	for _, r := range sorted {
		if r.URL != "" && !seen[r.URL] {
			seen[r.URL] = true
			out = append(out, r.URL)
		}
	}
	return out
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Write writes the database to path atomically: into a temporary file beside it, synced, then renamed over it,
// so that a failed or interrupted build leaves an existing database as it was.
func (b *Builder) Write(path string, built time.Time) (Meta, error) {
	meta := Meta{SchemaVersion: SchemaVersion, Built: built.UTC()}
	if len(b.advisories) == 0 {
		return meta, errors.New("no advisories read: refusing to write an empty database (a scan with it would report nothing)")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return meta, fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return meta, fmt.Errorf("write %s: %w", path, err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmpName)
		}
	}()
	db, err := bolt.Open(tmpName, 0o644, &bolt.Options{NoSync: true, NoFreelistSync: true})
	if err != nil {
		return meta, fmt.Errorf("write %s: %w", path, err)
	}
	// bbolt grows a file 16 MiB at a time by default; a file written once and then only read grows by less, so
	// that it ends close to the size of its pages.
	db.AllocSize = 1 << 20
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBetterCompression))
	if err != nil {
		db.Close()
		return meta, err
	}
	defer enc.Close()

	// Index the affected entries by package, and list the ecosystems present.
	byPkg := map[string][]Affected{}
	ecos := map[string]bool{}
	ids := make([]string, 0, len(b.advisories))
	for id, ba := range b.advisories {
		ids = append(ids, id)
		for _, a := range ba.affected {
			base := EcosystemBase(a.Ecosystem)
			ecos[base] = true
			k := string(affectedKey(base, a.Package))
			byPkg[k] = append(byPkg[k], a)
		}
	}
	sort.Strings(ids)
	for e := range ecos {
		meta.Ecosystems = append(meta.Ecosystems, e)
	}
	sort.Strings(meta.Ecosystems)
	for _, name := range sortedKeys(b.feeds) {
		f := *b.feeds[name]
		if len(f.Skipped) == 0 {
			f.Skipped = nil
		}
		meta.Feeds = append(meta.Feeds, f)
	}

	err = db.Update(func(tx *bolt.Tx) error {
		// Keys go in sorted, and pages are filled completely: the file is written once and only read after.
		put := func(bucket []byte, keys []string, val func(k string) ([]byte, error)) error {
			bk, err := tx.CreateBucket(bucket)
			if err != nil {
				return err
			}
			bk.FillPercent = 1.0
			for _, k := range keys {
				v, err := val(k)
				if err != nil {
					return err
				}
				if err := bk.Put([]byte(k), v); err != nil {
					return err
				}
			}
			return nil
		}
		if err := put(bucketAffected, sortedKeys(byPkg), func(k string) ([]byte, error) {
			es := byPkg[k]
			sort.SliceStable(es, func(i, j int) bool { return es[i].ID < es[j].ID })
			js, err := json.Marshal(es)
			if err != nil {
				return nil, err
			}
			return enc.EncodeAll(js, nil), nil
		}); err != nil {
			return err
		}
		if err := put(bucketAdvisory, ids, func(k string) ([]byte, error) {
			js, err := json.Marshal(b.advisories[k].adv)
			if err != nil {
				return nil, err
			}
			return enc.EncodeAll(js, nil), nil
		}); err != nil {
			return err
		}
		aliases := map[string][]string{}
		for _, id := range ids {
			for _, a := range append([]string{id}, b.advisories[id].adv.Aliases...) {
				aliases[a] = append(aliases[a], id)
			}
		}
		if err := put(bucketAlias, sortedKeys(aliases), func(k string) ([]byte, error) { return json.Marshal(aliases[k]) }); err != nil {
			return err
		}
		if err := put(bucketKEV, sortedKeys(b.kev), func(k string) ([]byte, error) { return json.Marshal(b.kev[k]) }); err != nil {
			return err
		}
		if err := put(bucketEPSS, sortedKeys(b.epss), func(k string) ([]byte, error) { return encodeEPSS(b.epss[k]), nil }); err != nil {
			return err
		}
		if err := put(bucketTracker, sortedKeys(b.tracker), func(k string) ([]byte, error) { return json.Marshal(b.tracker[k]) }); err != nil {
			return err
		}
		mj, err := json.Marshal(meta)
		if err != nil {
			return err
		}
		return put(bucketMeta, []string{string(keyMeta)}, func(string) ([]byte, error) { return mj, nil })
	})
	if err == nil {
		err = db.Sync()
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return meta, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return meta, fmt.Errorf("write %s: %w", path, err)
	}
	ok = true
	return meta, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
