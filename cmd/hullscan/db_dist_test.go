package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/hullscan/hullscan/internal/testimage"
)

// dbStatusJSON returns `db status --json` of a database, parsed.
func dbStatusJSON(t *testing.T, db string) map[string]any {
	t.Helper()
	r := hullscan(t, "", "db", "status", "--db", db, "--json")
	if r.code != 0 {
		t.Fatalf("db status %s: exit %d\n%s", db, r.code, r.stderr)
	}
	first, doc, _ := strings.Cut(r.stdout, "\n")
	if first != "database "+db {
		t.Errorf("db status first line %q", first)
	}
	var m map[string]any
	mustJSON(t, []byte(doc), &m)
	return m
}

// TestDBPublishUpdate: a database built, published to a registry and fetched back by `db update` is the same
// database, and the same through an HTTPS server.
func TestDBPublishUpdate(t *testing.T) {
	t.Setenv(envDBRepository, "")
	orig := buildTestDB(t)
	want := dbStatusJSON(t, orig)
	host := testimage.Registry(t)
	ref := host + "/hullscan/db:1"
	r := hullscan(t, "", "db", "publish", "--db", orig, ref, "--insecure", "-q")
	if r.code != 0 || !strings.Contains(r.stdout, "pushed "+ref+" (sha256:") {
		t.Fatalf("db publish: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	www := t.TempDir()
	zst := filepath.Join(www, "hullscan.db.zst")
	r = hullscan(t, "", "db", "publish", "--db", orig, "--file", zst, "-q")
	if r.code != 0 || !strings.Contains(r.stdout, "wrote "+zst) {
		t.Fatalf("db publish --file: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	checkOnlyFiles(t, www, "hullscan.db.zst", "hullscan.db.zst.sha256")
	srv := httptest.NewServer(http.FileServer(http.Dir(www)))
	t.Cleanup(srv.Close)

	for _, c := range []struct {
		name string
		env  string
		args []string
	}{
		{"repository", "", []string{"--db-repository", ref, "--insecure"}},
		{"repository from the environment", ref, []string{"--insecure"}},
		{"url", "", []string{"--url", srv.URL + "/hullscan.db.zst", "--insecure"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(envDBRepository, c.env)
			dir := filepath.Join(t.TempDir(), "cache", "db")
			newDB := filepath.Join(dir, "hullscan.db")
			r := hullscan(t, "", append([]string{"db", "update", "--db", newDB, "-q"}, c.args...)...)
			if r.code != 0 {
				t.Fatalf("db update: exit %d\n%s", r.code, r.stderr)
			}
			for _, s := range []string{"updated " + newDB, "osv:Debian", "kev"} {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("db update output lacks %q:\n%s", s, r.stdout)
				}
			}
			if got := dbStatusJSON(t, newDB); !reflect.DeepEqual(got, want) {
				t.Errorf("updated database's metadata\n%v\nwant\n%v", got, want)
			}
			checkOnlyFiles(t, dir, "hullscan.db")
		})
	}
}

// TestDBUpdateFailures: a failed update exits 3 (2 for a usage mistake) and leaves the database in place
// byte-identical, with no temporary file beside it.
func TestDBUpdateFailures(t *testing.T) {
	t.Setenv(envDBRepository, "")
	orig := buildTestDB(t)
	host := testimage.Registry(t)
	testimage.Push(t, host+"/app:1", testimage.Image([]v1.Layer{testimage.Layer(testimage.File{Name: "etc/hostname", Body: "x"})}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	www := t.TempDir()
	zst := filepath.Join(www, "hullscan.db.zst")
	if r := hullscan(t, "", "db", "publish", "--db", orig, "--file", zst, "-q"); r.code != 0 {
		t.Fatalf("db publish --file: exit %d\n%s", r.code, r.stderr)
	}
	writeFile(t, filepath.Join(www, "bad.db.zst"), []byte("tampered"))
	writeFile(t, filepath.Join(www, "bad.db.zst.sha256"), []byte(strings.Repeat("0", 64)+"  bad.db.zst\n"))
	srv := httptest.NewServer(http.FileServer(http.Dir(www)))
	t.Cleanup(srv.Close)

	for _, c := range []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"no such repository", []string{"--db-repository", host + "/hullscan/nonesuch:1", "--insecure"}, 3, "NAME_UNKNOWN"},
		{"unreachable registry", []string{"--db-repository", closed + "/hullscan/db:1", "--insecure"}, 3, "connection refused"},
		{"a container image", []string{"--db-repository", host + "/app:1", "--insecure"}, 3, "not a hullscan database"},
		{"bad reference", []string{"--db-repository", "UPPER/Case::x"}, 3, "could not parse reference"},
		{"digest mismatch", []string{"--url", srv.URL + "/bad.db.zst", "--insecure"}, 3, "digest mismatch"},
		{"no digest file", []string{"--url", srv.URL + "/nonesuch.db.zst", "--insecure"}, 3, "404 Not Found"},
		{"plain http without --insecure", []string{"--url", srv.URL + "/hullscan.db.zst"}, 3, "needs --insecure"},
		{"no source", nil, 2, envDBRepository},
		{"two sources", []string{"--db-repository", host + "/hullscan/db:1", "--url", srv.URL + "/hullscan.db.zst"}, 2, "not both"},
		{"not a URL", []string{"--url", "ftp://example.com/db.zst"}, 2, "not an https:// URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			dest := filepath.Join(dir, "hullscan.db")
			before, err := os.ReadFile(orig)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, dest, before)
			r := hullscan(t, "", append([]string{"db", "update", "--db", dest, "-q"}, c.args...)...)
			if r.code != c.code || !strings.Contains(r.stderr, c.inStderr) {
				t.Errorf("exit %d, want %d; stderr (want %q):\n%s", r.code, c.code, c.inStderr, r.stderr)
			}
			after, err := os.ReadFile(dest)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("the database changed")
			}
			checkOnlyFiles(t, dir, "hullscan.db")
			if r := hullscan(t, "", "db", "status", "--db", dest); r.code != 0 {
				t.Errorf("db status after the failed update: exit %d\n%s", r.code, r.stderr)
			}
		})
	}
}

func TestDBPublishErrors(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	writeFile(t, notDB, []byte("hello"))
	host := testimage.Registry(t)
	for _, c := range []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"not a database", []string{"--db", notDB, host + "/hullscan/db:1", "--insecure"}, 3, "open database"},
		{"missing database", []string{"--db", filepath.Join(dir, "nonesuch.db"), "--file", filepath.Join(dir, "out.zst")}, 3, "no vulnerability database"},
		{"neither reference nor file", []string{"--db", notDB}, 2, "one of them"},
		{"both reference and file", []string{"--db", notDB, host + "/hullscan/db:1", "--file", filepath.Join(dir, "out.zst")}, 2, "one of them"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := hullscan(t, "", append([]string{"db", "publish", "-q"}, c.args...)...)
			if r.code != c.code || !strings.Contains(r.stderr, c.inStderr) {
				t.Errorf("exit %d, want %d; stderr (want %q):\n%s", r.code, c.code, c.inStderr, r.stderr)
			}
		})
	}
	checkOnlyFiles(t, dir, "notes.txt")
}

func TestRegisterOfflineFlags(t *testing.T) {
	for _, c := range []struct {
		args          []string
		skip, offline bool
	}{
		{nil, false, false},
		{[]string{"--skip-db-update"}, true, false},
		{[]string{"--offline"}, false, true},
		{[]string{"--skip-db-update", "--offline"}, true, true},
	} {
		var skip, offline bool
		cmd := &cobra.Command{Use: "scan", RunE: func(*cobra.Command, []string) error { return nil }}
		registerOfflineFlags(cmd, &skip, &offline)
		cmd.SetArgs(c.args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if skip != c.skip || offline != c.offline {
			t.Errorf("%v: skip %v offline %v", c.args, skip, offline)
		}
	}
}
