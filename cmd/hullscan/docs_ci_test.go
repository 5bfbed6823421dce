package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hullscan/hullscan/internal/testimage"
)

// TestCIDocs runs the hullscan commands of docs/ci.md's GitHub Actions workflow and GitLab CI job, as written,
// against the built binary and a real image, so the page cannot drift from what hullscan does.
func TestCIDocs(t *testing.T) {
	image, db := appFixture(t)
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	var github, gitlab string
	for _, b := range blocks {
		switch {
		case strings.HasPrefix(b[1], "# .github/workflows/"):
			github = b[1]
		case strings.HasPrefix(b[1], "# .gitlab-ci.yml"):
			gitlab = b[1]
		}
	}
	if github == "" || gitlab == "" {
		t.Fatal("docs/ci.md lacks the GitHub Actions workflow or the GitLab CI job")
	}

	// The database the pipelines fetch: published to an in-process registry, as an organisation's mirror.
	ref := testimage.Registry(t) + "/security/hullscan-db:1"
	if r := hullscan(t, "", "db", "publish", "--db", db, ref, "-q"); r.code != 0 {
		t.Fatalf("db publish: exit %d\n%s", r.code, r.stderr)
	}

	t.Run("github", func(t *testing.T) {
		var wf struct {
			Permissions map[string]string
			Jobs        map[string]struct {
				Env   map[string]string
				Steps []struct {
					Name, Run, Uses, If string
					With                map[string]string
				}
			}
		}
		if err := yaml.Unmarshal([]byte(github), &wf); err != nil {
			t.Fatalf("workflow is not YAML: %v", err)
		}
		if wf.Permissions["security-events"] != "write" {
			t.Error("the workflow cannot upload SARIF without security-events: write")
		}
		job, ok := wf.Jobs["scan"]
		if !ok {
			t.Fatal("no scan job")
		}
		if job.Env["HULLSCAN_DB_REPOSITORY"] == "" {
			t.Error("the job does not say where the database comes from")
		}
		dir := pipelineDir(t, image)
		var scanned bool
		for _, s := range job.Steps {
			if s.Uses != "" && strings.HasPrefix(s.Uses, "github/codeql-action/upload-sarif") {
				if s.If != "always()" {
					t.Errorf("the SARIF upload must run if: always(), or a failed gate would hide its findings (got %q)", s.If)
				}
				checkReport(t, filepath.Join(dir, s.With["sarif_file"]), "sarif")
				continue
			}
			if s.Run == "" {
				t.Logf("not run here: %s (%s)", s.Name, s.Uses)
				continue
			}
			scanned = runStep(t, dir, ref, s.Run) || scanned
		}
		if !scanned {
			t.Error("no step scans the image")
		}
		checkReport(t, filepath.Join(dir, "hullscan.md"), "markdown")
	})

	t.Run("gitlab", func(t *testing.T) {
		var ci struct {
			Job *struct {
				Script    []string
				Variables map[string]string
				Artifacts struct {
					When    string
					Reports map[string]string
				}
			} `yaml:"container_scanning"`
		}
		if err := yaml.Unmarshal([]byte(gitlab), &ci); err != nil {
			t.Fatalf("job is not YAML: %v", err)
		}
		job := ci.Job
		if job == nil {
			t.Fatal("no container_scanning job")
		}
		if job.Variables["HULLSCAN_DB_REPOSITORY"] == "" {
			t.Error("the job does not say where the database comes from")
		}
		if job.Artifacts.When != "always" {
			t.Error("reports must be kept when: always, or a failed gate would drop them")
		}
		dir := pipelineDir(t, image)
		scanned := false
		for _, line := range job.Script {
			scanned = runStep(t, dir, ref, line) || scanned
		}
		if !scanned {
			t.Error("no step scans the image")
		}
		for kind, file := range job.Artifacts.Reports {
			checkReport(t, filepath.Join(dir, file), kind)
		}
	})
}

// pipelineDir is a job's working directory: the image archive the build step would have left.
func pipelineDir(t *testing.T, image string) string {
	dir := t.TempDir()
	if err := os.Symlink(image, filepath.Join(dir, "app.tar")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runStep runs each hullscan command of a step, with the registry mirror in HULLSCAN_DB_REPOSITORY. Other
// commands are logged as not run. It reports whether the step scanned an image, which must fail the default
// rule (exit 1): the image holds minimist 1.2.0, CRITICAL with a fix.
func runStep(t *testing.T, dir, dbRef, script string) bool {
	t.Helper()
	scanned := false
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "hullscan ") {
			t.Logf("not run here: %s", line)
			continue
		}
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir = dir
		home := filepath.Join(workDir, "home")
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"), "HULLSCAN_DB_REPOSITORY="+dbRef,
			"HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		want := 0
		if strings.HasPrefix(line, "hullscan image ") {
			scanned, want = true, 1
		}
		if code != want {
			t.Errorf("%s: exit %d, want %d\n%s", line, code, want, out)
		}
		if want == 1 && !strings.Contains(string(out), "gate failed") {
			t.Errorf("%s: no gate message\n%s", line, out)
		}
	}
	return scanned
}

// checkReport checks that a report a CI system would read exists and parses as its kind.
func checkReport(t *testing.T, path, kind string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%s report: %v", kind, err)
		return
	}
	switch kind {
	case "junit":
		var v struct{ XMLName xml.Name }
		if err := xml.Unmarshal(b, &v); err != nil || v.XMLName.Local != "testsuites" {
			t.Errorf("%s: not JUnit XML: %v", path, err)
		}
	case "markdown":
		if !strings.Contains(string(b), "CVE-2021-44906") {
			t.Errorf("%s lacks the failing finding", path)
		}
	default: // sarif, container_scanning
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("%s: not JSON: %v", path, err)
		}
		if kind == "sarif" && v["version"] != "2.1.0" {
			t.Errorf("%s: SARIF version %v", path, v["version"])
		}
		if kind == "container_scanning" && v["vulnerabilities"] == nil {
			t.Errorf("%s: no vulnerabilities", path)
		}
	}
}
