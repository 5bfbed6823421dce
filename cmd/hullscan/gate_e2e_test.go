package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hullscan/hullscan/internal/testimage"
)

// End-to-end tests of the gate on a real image: the Debian 12 fixture (debootstrap) with a real npm project in a
// fourth layer, matched against the database built from ../shared/vulndata. What fails, what an exception or a
// VEX statement lets through, and the exit codes CI sees.

var (
	appOnce sync.Once
	appTar  string
	appDB   string
)

// appFixture writes the application image as a docker-archive and builds the full database, once.
func appFixture(t *testing.T) (image, db string) {
	t.Helper()
	data := testimage.VulnData(t)
	img := testimage.AppImage(t)
	appOnce.Do(func() {
		dir := filepath.Join(workDir, "app")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		tarPath := filepath.Join(dir, "app.tar")
		testimage.WriteDockerArchive(t, tarPath, "registry.example.com/shop/app:1.4", img)
		dbPath := filepath.Join(dir, "full.db")
		r := hullscan(t, "", "db", "build", "--from", filepath.Join(data, "osv"), "--from", filepath.Join(data, "kev"), "--output", dbPath, "-q")
		if r.code != 0 {
			t.Fatalf("db build: exit %d\n%s", r.code, r.stderr)
		}
		appTar, appDB = tarPath, dbPath
	})
	if appTar == "" {
		t.Fatal("building the application fixture failed (see the first test that ran)")
	}
	return appTar, appDB
}

func inDays(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }

func TestGateOnRealImage(t *testing.T) {
	image, db := appFixture(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, []byte(body))
		return p
	}
	exception := func(id string, expires string, extra ...string) string {
		s := "exceptions:\n  - id: " + id + "\n    classification: accepted-risk\n    owner: team-payments\n    reason: arguments come from our own scripts\n    expires: " + expires + "\n"
		for _, e := range extra {
			s += "    " + e + "\n"
		}
		return s
	}
	vexDoc := func(id, status, extra string) string {
		return `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1", "author": "team-payments",
  "timestamp": "2026-11-01T00:00:00Z", "version": 1,
  "statements": [{"vulnerability": {"name": "` + id + `"}, "products": [{"@id": "pkg:npm/minimist@1.2.0"}], "status": "` + status + `"` + extra + `}]}`
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings of stdout
		stderr []string
	}{
		{name: "default rule: minimist is CRITICAL with a fix", code: 1,
			stdout: []string{"Fix first", "minimist 1.2.0 → 1.2.6", "CVE-2021-44906", "gate: FAILED"},
			stderr: []string{"gate failed: 1 finding(s)", "CRITICAL CVE-2021-44906 minimist 1.2.0 (fixed in 1.2.6)"}},
		{name: "exception by the GHSA alias lets it through", code: 0,
			args:   []string{"--exceptions", write("alias.yaml", exception("GHSA-xvch-5gv4-984h", inDays(30)))},
			stdout: []string{"1 suppressed", "gate: passed"}},
		{name: "exception scoped to this repository", code: 0,
			args: []string{"--exceptions", write("scoped.yaml", exception("CVE-2021-44906", inDays(30), `scope: ["registry.example.com/shop/*"]`))}},
		{name: "exception scoped elsewhere", code: 1,
			args: []string{"--exceptions", write("elsewhere.yaml", exception("CVE-2021-44906", inDays(30), `scope: ["registry.example.com/billing/*"]`))}},
		{name: "exception expiring today still holds", code: 0,
			args: []string{"--exceptions", write("today.yaml", exception("CVE-2021-44906", inDays(0)))}},
		{name: "expired exception: fails, and says so", code: 1,
			args:   []string{"--exceptions", write("expired.yaml", exception("CVE-2021-44906", inDays(-1)))},
			stderr: []string{"exception for CVE-2021-44906", "expired on " + inDays(-1), "no longer suppresses 1 finding(s)"}},
		{name: "show-suppressed lists the reason", code: 0,
			args:   []string{"--exceptions", write("show.yaml", exception("CVE-2021-44906", inDays(30))), "--show-suppressed"},
			stdout: []string{"arguments come from our own scripts", "team-payments"}},
		{name: "VEX not_affected", code: 0,
			args:   []string{"--vex", write("a.openvex.json", vexDoc("CVE-2021-44906", "not_affected", `, "justification": "vulnerable_code_not_in_execute_path"`)), "--show-suppressed"},
			stdout: []string{"vulnerable_code_not_in_execute_path"}},
		{name: "VEX affected does not suppress", code: 1,
			args: []string{"--vex", write("b.openvex.json", vexDoc("CVE-2021-44906", "affected", `, "action_statement": "upgrade"`))}},
		{name: "flags replace the rule: HIGH and fixable", code: 1,
			args: []string{"--severity", "HIGH", "--fixable"}, stderr: []string{"gate failed: 8 finding(s)"}},
		{name: "exit code 0 never fails", code: 0, args: []string{"--exit-code", "0"}},
		{name: "custom exit code", code: 7, args: []string{"--exit-code", "7"}},
		{name: "policy: a package rule", code: 1,
			args:   []string{"--policy", write("lodash.yaml", "fail:\n  - name: no lodash below 4.17.21\n    package: [\"pkg:npm/lodash\"]\n")},
			stderr: []string{`rule "no lodash below 4.17.21"`}},
		{name: "policy: ecosystem rule that matches nothing", code: 0,
			args: []string{"--policy", write("pypi.yaml", "fail:\n  - ecosystem: [pypi]\n")}},
		{name: "policy: advisory age", code: 1,
			args: []string{"--policy", write("age.yaml", "fail:\n  - severity: [HIGH]\n    min_age: 365d\n")}},
		{name: "malformed exceptions file: usage error with the line", code: 2,
			args:   []string{"--exceptions", write("bad.yaml", "exceptions:\n  - id: CVE-2021-44906\n    classification: accepted-risk\n    reason: r\n    expires: "+inDays(10)+"\n")},
			stderr: []string{"bad.yaml:2: entry 1 (CVE-2021-44906): owner is required"}},
		{name: "exception beyond its lifetime", code: 2,
			args:   []string{"--exceptions", write("long.yaml", exception("CVE-2021-44906", inDays(200)))},
			stderr: []string{"a accepted-risk exception may last at most 90 days"}},
		{name: "missing policy file", code: 2, args: []string{"--policy", filepath.Join(dir, "nope.yaml")}, stderr: []string{"--policy"}},
		{name: "malformed VEX", code: 2, args: []string{"--vex", write("bad.json", `{"statements": 3}`)}, stderr: []string{"bad.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := hullscan(t, "", append([]string{"image", image, "--db", db, "-q"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			for _, w := range tt.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}

// TestPolicyFromWorkingDirectory: ./hullscan.yaml and ./.hullscan/exceptions.yaml are found without flags, as a
// CI job running in the repository would have them.
func TestPolicyFromWorkingDirectory(t *testing.T) {
	image, db := appFixture(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "hullscan.yaml"), []byte("fail:\n  - kev: true\n  - severity: [CRITICAL]\n    fixable: true\n"))
	writeFile(t, filepath.Join(dir, ".hullscan", "exceptions.yaml"), []byte("exceptions:\n  - id: CVE-2021-44906\n    classification: fix-scheduled\n    owner: team-payments\n    reason: upgrade in sprint 48\n    expires: "+inDays(7)+"\n"))
	r := hullscan(t, dir, "image", image, "--db", db, "-q", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var doc struct {
		Vulnerabilities struct {
			Gate struct {
				Passed     bool
				Rules      []string
				Suppressed int
			}
		}
	}
	mustJSON(t, []byte(r.stdout), &doc)
	g := doc.Vulnerabilities.Gate
	if !g.Passed || g.Suppressed != 1 || strings.Join(g.Rules, ";") != "in KEV;severity CRITICAL, fixable" {
		t.Errorf("gate %+v", g)
	}
}

// TestSeveralReports: one run writes the table to stdout and every machine report to its file; the gate decides
// after all of them are written.
func TestSeveralReports(t *testing.T) {
	image, db := appFixture(t)
	dir := t.TempDir()
	args := []string{"image", image, "--db", db, "-q", "--format", "table"}
	for _, f := range []string{"json", "sarif", "cyclonedx", "junit", "gitlab", "markdown"} {
		args = append(args, "--format", f+"="+filepath.Join(dir, "out."+f))
	}
	r := hullscan(t, dir, args...)
	if r.code != 1 || !strings.Contains(r.stdout, "Fix first") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, f := range []string{"json", "sarif", "cyclonedx", "gitlab"} {
		var v map[string]any
		b, err := os.ReadFile(filepath.Join(dir, "out."+f))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "out.junit"))
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(b, &suites); err != nil || suites.Failures != 1 {
		t.Errorf("junit: %v, %d failures (want 1)", err, suites.Failures)
	}
	md, err := os.ReadFile(filepath.Join(dir, "out.markdown"))
	if err != nil || !strings.Contains(string(md), "CVE-2021-44906") {
		t.Errorf("markdown: %v\n%s", err, md)
	}

	for _, bad := range [][]string{
		{"--format", "table", "--format", "json"},               // two reports to stdout
		{"--format", "json=x.json", "--format", "sarif=x.json"}, // one file twice
		{"--format", "sarif="},                                  // no file name
		{"--format", "pdf"},                                     // unknown
		{"--format", "template"},                                // no --template
	} {
		r := hullscan(t, dir, append([]string{"image", image, "--db", db, "-q"}, bad...)...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", bad, r.code, r.stderr)
		}
	}
}

// TestExceptionsCommands: add writes entries lint and the gate accept; list shows them soonest first; lint
// reports every error with its line.
func TestExceptionsCommands(t *testing.T) {
	dir := t.TempDir()
	r := hullscan(t, dir, "exceptions", "add", "--id", "CVE-2021-44906", "--package", "minimist", "--classification", "accepted-risk",
		"--owner", "team-payments", "--reason", "input: trusted, see #123", "--expires", "60d")
	if r.code != 0 || !strings.Contains(r.stdout, ".hullscan/exceptions.yaml:3: added CVE-2021-44906") {
		t.Fatalf("add: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = hullscan(t, dir, "exceptions", "add", "--id", "GHSA-35jh-r3h4-6jhm", "--classification", "fix-scheduled",
		"--owner", "team-web", "--reason", "upgrade lodash", "--expires", inDays(10), "--scope", "registry.example.com/**")
	if r.code != 0 {
		t.Fatalf("add: exit %d\n%s", r.code, r.stderr)
	}
	// Beyond the lifetime: refused, and the file is unchanged.
	before, _ := os.ReadFile(filepath.Join(dir, ".hullscan", "exceptions.yaml"))
	r = hullscan(t, dir, "exceptions", "add", "--id", "CVE-1", "--classification", "fix-scheduled", "--owner", "o", "--reason", "r", "--expires", "45d")
	after, _ := os.ReadFile(filepath.Join(dir, ".hullscan", "exceptions.yaml"))
	if r.code != 2 || !strings.Contains(r.stderr, "at most 30 days") || string(before) != string(after) {
		t.Errorf("add beyond lifetime: exit %d\n%s", r.code, r.stderr)
	}
	r = hullscan(t, dir, "exceptions", "list")
	if r.code != 0 || !containsLine(r.stdout, "GHSA-35jh-r3h4-6jhm") || strings.Index(r.stdout, "GHSA-35jh") > strings.Index(r.stdout, "CVE-2021-44906") ||
		!strings.Contains(r.stdout, "10 days left") {
		t.Errorf("list: exit %d\n%s", r.code, r.stdout)
	}
	r = hullscan(t, dir, "exceptions", "list", "--format", "json")
	var list struct{ Exceptions []struct{ ID, Reason string } }
	mustJSON(t, []byte(r.stdout), &list)
	if len(list.Exceptions) != 2 || list.Exceptions[1].Reason != "input: trusted, see #123" {
		t.Errorf("list json: %+v", list)
	}
	r = hullscan(t, dir, "exceptions", "lint", "--warn-days", "14")
	if r.code != 0 || !strings.Contains(r.stdout, "2 exception(s), 0 expired, 1 expiring within 14 days") {
		t.Errorf("lint: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	writeFile(t, filepath.Join(dir, "bad.yaml"), []byte("exceptions:\n  - id: CVE-1\n    owner: o\n  - id: CVE-2\n    classification: accepted-risk\n    owner: o\n    reason: r\n    expires: 2027-13-01\n"))
	r = hullscan(t, dir, "exceptions", "lint", "--file", "bad.yaml")
	for _, w := range []string{"bad.yaml:2: entry 1 (CVE-1): reason is required", "bad.yaml:8: entry 2: expires"} {
		if r.code != 2 || !strings.Contains(r.stderr, w) {
			t.Errorf("lint bad file: exit %d, stderr lacks %q:\n%s", r.code, w, r.stderr)
		}
	}
}

// TestOpenVEXOutput: the suppressions of one run, written as OpenVEX, suppress the same findings in the next run
// when given as --vex; a run without suppressions writes no (invalid, empty) document and says so.
func TestOpenVEXOutput(t *testing.T) {
	image, db := appFixture(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.openvex.json")
	writeFile(t, in, []byte(`{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1", "author": "team-payments",
  "timestamp": "2026-11-01T00:00:00Z", "version": 1,
  "statements": [{"vulnerability": {"name": "GHSA-xvch-5gv4-984h"}, "products": [{"@id": "pkg:npm/minimist"}],
    "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}`))
	out := filepath.Join(dir, "out.openvex.json")
	r := hullscan(t, dir, "image", image, "--db", db, "-q", "--vex", in, "--format", "table", "--format", "openvex="+out)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	r = hullscan(t, dir, "image", image, "--db", db, "-q", "--vex", out, "--format", "json")
	var doc struct {
		Vulnerabilities struct {
			Gate struct {
				Passed     bool
				Suppressed int
			}
		}
	}
	mustJSON(t, []byte(r.stdout), &doc)
	if r.code != 0 || !doc.Vulnerabilities.Gate.Passed || doc.Vulnerabilities.Gate.Suppressed != 1 {
		t.Errorf("rescan with the written VEX: exit %d, gate %+v\n%s", r.code, doc.Vulnerabilities.Gate, r.stderr)
	}

	none := filepath.Join(dir, "none.openvex.json")
	r = hullscan(t, dir, "image", image, "--db", db, "-q", "--format", "openvex="+none)
	if _, err := os.Stat(none); r.code != 1 || !os.IsNotExist(err) || !strings.Contains(r.stderr, "not written: report: openvex: nothing to write") {
		t.Errorf("no suppressions: exit %d, file %v\n%s", r.code, err, r.stderr)
	}
}

// TestOutputToDevicesAndLinks: a report written to a named pipe (as to /dev/null or /dev/stdout) goes through it
// and leaves it a pipe — renaming a temporary file over it would replace a device with a file — and a report
// written through a symlink lands in the file the link points at, the link kept.
func TestOutputToDevicesAndLinks(t *testing.T) {
	fx := getFixture(t)
	db := buildTestDB(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := os.ReadFile(fifo) // blocks until hullscan opens the pipe, then reads to its end
		got <- b
	}()
	// (Not /dev/null itself: a regression would replace the machine's /dev/null.)
	r := hullscan(t, dir, "image", fx.archive, "--db", db, "-q", "--format", "json="+fifo)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if info, err := os.Lstat(fifo); err != nil || info.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the pipe was replaced by a file: %v %v", info.Mode(), err)
	}
	select {
	case b := <-got:
		if !strings.Contains(string(b), `"schema_version"`) {
			t.Errorf("the pipe did not carry the report: %.200s", b)
		}
	case <-time.After(10 * time.Second):
		t.Error("nothing was written to the pipe")
	}

	target := filepath.Join(dir, "reports", "out.json")
	writeFile(t, target, []byte("old"))
	link := filepath.Join(dir, "latest.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	r = hullscan(t, dir, "image", fx.archive, "--db", db, "-q", "--format", "json", "-o", link)
	b, _ := os.ReadFile(target)
	if info, err := os.Lstat(link); r.code != 0 || err != nil || info.Mode()&os.ModeSymlink == 0 || !strings.Contains(string(b), `"schema_version"`) {
		t.Errorf("symlink output: exit %d, link %v %v, target %.100q", r.code, info.Mode(), err, b)
	}
}

// TestExceptionsLintUnused: given the JSON reports of scans, lint notes the exceptions that match no finding in
// any of them, whether the gate suppressed it or not.
func TestExceptionsLintUnused(t *testing.T) {
	image, db := appFixture(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".hullscan", "exceptions.yaml"), []byte("exceptions:\n"+
		"  - id: GHSA-xvch-5gv4-984h\n    classification: accepted-risk\n    owner: team-payments\n    reason: r\n    expires: "+inDays(30)+"\n"+
		"  - id: CVE-2019-10744\n    package: lodash\n    classification: fix-scheduled\n    owner: team-web\n    reason: gone since 4.17.12\n    expires: "+inDays(20)+"\n"+
		"  - id: CVE-2021-44906\n    scope: [\"registry.example.com/billing/*\"]\n    classification: accepted-risk\n    owner: team-billing\n    reason: r\n    expires: "+inDays(30)+"\n"))
	if r := hullscan(t, dir, "image", image, "--db", db, "-q", "--format", "json=app.json"); r.code != 0 {
		t.Fatalf("scan: exit %d\n%s", r.code, r.stderr)
	}
	r := hullscan(t, dir, "exceptions", "lint", "--report", "app.json")
	if r.code != 0 {
		t.Fatalf("lint: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		".hullscan/exceptions.yaml:7: note: CVE-2019-10744 (owner team-web) matches no finding in the 1 report(s) given",
		".hullscan/exceptions.yaml:13: note: CVE-2021-44906 (owner team-billing) matches no finding", // scoped to another repository
		"3 exception(s), 0 expired, 0 expiring within 14 days, 2 matching no finding in 1 report(s)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("lint output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "yaml:2: note") {
		t.Errorf("the exception in use is noted as unused:\n%s", r.stdout)
	}
	for _, bad := range [][]string{{"--report", "nope.json"}, {"--report", ".hullscan/exceptions.yaml"}} {
		if r := hullscan(t, dir, append([]string{"exceptions", "lint"}, bad...)...); r.code != 2 {
			t.Errorf("%v: exit %d\n%s", bad, r.code, r.stderr)
		}
	}
}
