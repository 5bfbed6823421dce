package vulndb

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hullscan/hullscan/internal/testimage"
)

func writeZip(t *testing.T, path string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

const (
	recGHSA = `{"id":"GHSA-jf85-cpcp-j695","modified":"2024-01-02T00:00:00Z","published":"2019-07-10T00:00:00Z",
	  "aliases":["CVE-2019-10744"],"summary":"Prototype Pollution in lodash",
	  "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H"}],
	  "affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"4.17.12"}]}]}],
	  "references":[{"type":"WEB","url":"https://example.org/web"},{"type":"ADVISORY","url":"https://nvd.nist.gov/vuln/detail/CVE-2019-10744"}],
	  "database_specific":{"severity":"CRITICAL"}}`
	recOlder = `{"id":"GHSA-jf85-cpcp-j695","modified":"2020-01-01T00:00:00Z","summary":"an older revision",
	  "affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"4.17.11"}]}]}]}`
	recWithdrawn = `{"id":"GHSA-27h2-hvpr-p74q","modified":"2024-01-01T00:00:00Z","withdrawn":"2023-01-01T00:00:00Z",
	  "affected":[{"package":{"ecosystem":"npm","name":"jsonwebtoken"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`
	recUnknownEco = `{"id":"HEX-1","modified":"2024-01-01T00:00:00Z",
	  "affected":[{"package":{"ecosystem":"Nonesuch","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`
	recPyPI = `{"id":"PYSEC-2021-1","modified":"2021-01-01T00:00:00Z","aliases":["CVE-2021-1"],
	  "affected":[{"package":{"ecosystem":"PyPI","name":"Zope.Interface"},"versions":["1.0"]}]}`
)

func TestBuilder(t *testing.T) {
	dir := t.TempDir()
	writeZip(t, filepath.Join(dir, "osv", "npm", "all.zip"), map[string]string{
		"GHSA-jf85-cpcp-j695.json": recGHSA, "GHSA-27h2-hvpr-p74q.json": recWithdrawn, "bad.json": `{"id": 12`,
	})
	writeZip(t, filepath.Join(dir, "osv", "Nonesuch", "all.zip"), map[string]string{"HEX-1.json": recUnknownEco})
	if err := os.MkdirAll(filepath.Join(dir, "extra"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"older.json": recOlder, "pysec.json": recPyPI} {
		if err := os.WriteFile(filepath.Join(dir, "extra", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := NewBuilder()
	for _, p := range []string{filepath.Join(dir, "osv"), filepath.Join(dir, "extra")} {
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "db", "hullscan.db")
	built := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	meta, err := b.Write(out, built)
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(out + ".tmp-*"); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	db, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !db.Meta().Built.Equal(built) || db.Meta().SchemaVersion != SchemaVersion || strings.Join(meta.Ecosystems, ",") != "PyPI,npm" {
		t.Errorf("meta %+v", db.Meta())
	}
	feeds := map[string]FeedMeta{}
	for _, f := range db.Meta().Feeds {
		feeds[f.Name] = f
	}
	if f := feeds["osv:npm"]; f.Records != 1 || f.Skipped["withdrawn"] != 1 || f.Skipped["malformed"] != 1 {
		t.Errorf("npm feed %+v", f)
	}
	if f := feeds["osv:Nonesuch"]; f.Records != 0 || f.Skipped["unknown ecosystem Nonesuch"] != 1 {
		t.Errorf("unknown ecosystem feed %+v", f)
	}

	// The newer revision of a record wins over an older one read later.
	es, err := db.Affected("npm", "lodash")
	if err != nil || len(es) != 1 || es[0].Ranges[0].Events[1].Fixed != "4.17.12" {
		t.Fatalf("lodash entries %+v, %v", es, err)
	}
	adv, ok, err := db.Advisory("GHSA-jf85-cpcp-j695")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if adv.Summary != "Prototype Pollution in lodash" || strings.Join(adv.Aliases, ",") != "CVE-2019-10744" ||
		adv.References[0] != "https://nvd.nist.gov/vuln/detail/CVE-2019-10744" || len(adv.Ratings) == 0 {
		t.Errorf("advisory %+v", adv)
	}
	if ids, err := db.AdvisoriesFor("CVE-2019-10744"); err != nil || strings.Join(ids, ",") != "GHSA-jf85-cpcp-j695" {
		t.Errorf("alias index: %v %v", ids, err)
	}
	// PyPI names are looked up normalised (PEP 503), however either side spells them.
	if es, err := db.Affected("PyPI", "zope-interface"); err != nil || len(es) != 1 {
		t.Errorf("PyPI lookup: %+v %v", es, err)
	}
	if _, ok, _ := db.Advisory("GHSA-27h2-hvpr-p74q"); ok {
		t.Error("withdrawn advisory stored")
	}
}

func TestBuilderRefusesNothing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "hullscan.db")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewBuilder().Write(out, time.Now()); err == nil || !strings.Contains(err.Error(), "no advisories") {
		t.Errorf("empty build: %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Error("a failed build replaced the existing file")
	}
	for name, body := range map[string]string{"x.txt": "hello", "x.json": "[1,2]", "y.json": `{"a": 1}`} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := NewBuilder().Add(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "none.db")); err == nil || !strings.Contains(err.Error(), "no vulnerability database") {
		t.Errorf("missing: %v", err)
	}
	bad := filepath.Join(dir, "bad.db")
	if err := os.WriteFile(bad, []byte(strings.Repeat("x", 8192)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("not a database: %v", err)
	}
}

// TestBuildRealData builds the shared advisory data, as `make bench` does, and checks what the issue asks of it:
// every feed read, and a file smaller than the input zips.
func TestBuildRealData(t *testing.T) {
	data := testimage.VulnData(t)
	start := time.Now()
	b := NewBuilder()
	for _, p := range []string{filepath.Join(data, "osv"), filepath.Join(data, "kev", "known_exploited_vulnerabilities.json")} {
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "hullscan.db")
	meta, err := b.Write(out, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	zips, _ := filepath.Glob(filepath.Join(data, "osv", "*", "all.zip"))
	var in int64
	for _, z := range zips {
		st, err := os.Stat(z)
		if err != nil {
			t.Fatal(err)
		}
		in += st.Size()
	}
	t.Logf("built %d bytes from %d bytes of zips in %s", fi.Size(), in, elapsed)
	if fi.Size() >= in {
		t.Errorf("database %d bytes, not smaller than the input zips (%d bytes)", fi.Size(), in)
	}
	want := map[string]int{"osv:Go": 4000, "osv:PyPI": 2500, "osv:Debian": 9000, "osv:Alpine": 2400, "osv:npm": 30,
		"osv:Maven": 25, "osv:RubyGems": 1100, "osv:crates.io": 1100, "kev": 1400}
	for _, f := range meta.Feeds {
		if min, ok := want[f.Name]; ok {
			if f.Records < min {
				t.Errorf("%s: %d records, want at least %d", f.Name, f.Records, min)
			}
			delete(want, f.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("feeds missing: %v", want)
	}
}
