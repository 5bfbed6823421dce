// Package vulndbtest builds small vulnerability databases for tests: OSV records written as JSON (or as Go
// values marshalled to JSON), built by the real builder into a temporary file, and opened.
package vulndbtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hullscan/hullscan/internal/vulndb"
)

// Built is the fixed build time of test databases, so that their metadata does not depend on the clock.
var Built = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Build builds a database from OSV records (each a JSON document, or any value that marshals to one) and extra
// feed files (name → content: a KEV JSON, an EPSS CSV, a tracker JSON), and opens it. The database is closed when
// the test ends.
func Build(t testing.TB, records []any, feeds map[string]string) *vulndb.DB {
	t.Helper()
	dir := t.TempDir()
	osvDir := filepath.Join(dir, "osv")
	if err := os.MkdirAll(osvDir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := vulndb.NewBuilder()
	for i, r := range records {
		var data []byte
		switch v := r.(type) {
		case string:
			data = []byte(v)
		case []byte:
			data = v
		default:
			var err error
			if data, err = json.Marshal(v); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(osvDir, fmt.Sprintf("%04d.json", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if len(records) > 0 {
		if err := b.Add(osvDir); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range feeds {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "test.db")
	if _, err := b.Write(path, Built); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Record returns a minimal OSV record: id, aliases, one affected package with one ECOSYSTEM range given as
// alternating event kinds and versions ("introduced", "0", "fixed", "1.2.3").
func Record(id string, aliases []string, ecosystem, name string, events ...string) map[string]any {
	var evs []map[string]string
	for i := 0; i+1 < len(events); i += 2 {
		evs = append(evs, map[string]string{events[i]: events[i+1]})
	}
	return map[string]any{
		"schema_version": "1.6.0",
		"id":             id,
		"modified":       "2024-01-01T00:00:00Z",
		"published":      "2023-06-01T00:00:00Z",
		"aliases":        aliases,
		"summary":        "summary of " + id,
		"affected": []any{map[string]any{
			"package": map[string]string{"ecosystem": ecosystem, "name": name},
			"ranges":  []any{map[string]any{"type": "ECOSYSTEM", "events": evs}},
		}},
	}
}

// BuildFrom builds a database from feed paths (as `hullscan db build --from` takes them) into a temporary file and
// opens it; it is closed when the test ends.
func BuildFrom(t testing.TB, paths ...string) *vulndb.DB {
	t.Helper()
	b := vulndb.NewBuilder()
	for _, p := range paths {
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "hullscan.db")
	if _, err := b.Write(path, Built); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
