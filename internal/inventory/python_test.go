package inventory

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/package-url/packageurl-go"

	"github.com/hullscan/hullscan/internal/model"
)

// pprCheck asserts what the Python, Ruby and PHP parsers promise for any input: an error names the file (a
// Partial may come with packages, any other error comes alone); every package has the ecosystem, a token name and
// version, Location == path, no purl or id yet; and Finalize gives a purl that parses back to the same version
// (conda packages have no purl type in languagePURL: their purl stays empty).
func pprCheck(t testing.TB, eco model.Ecosystem, path string, pkgs []model.Package, err error) {
	t.Helper()
	if err != nil {
		var partial *Partial
		if !errors.As(err, &partial) && pkgs != nil {
			t.Fatalf("error %v returned with %d packages", err, len(pkgs))
		}
		if !strings.Contains(err.Error(), path) {
			t.Fatalf("error %q does not name %s", err, path)
		}
	}
	for _, p := range pkgs {
		if p.Ecosystem != eco || !isToken(p.Name) || !isToken(p.Version) || p.Location != path || p.PURL != "" ||
			p.ID != "" || (p.Dependency != "" && p.Dependency != model.DependencyDirect && p.Dependency != model.DependencyTransitive) {
			t.Fatalf("bad package %+v", p)
		}
	}
	fin := append([]model.Package(nil), pkgs...)
	Finalize(nil, fin)
	for _, p := range fin {
		if eco == CondaEcosystem {
			if p.PURL != "" {
				t.Fatalf("conda purl %q", p.PURL)
			}
			continue
		}
		u, err := packageurl.FromString(p.PURL)
		if err != nil {
			t.Fatalf("purl %q of %+v: %v", p.PURL, p, err)
		}
		if u.Type != string(eco) || u.Version != p.Version || len(p.ID) != 16 {
			t.Fatalf("purl %q (id %q) does not round-trip %+v", p.PURL, p.ID, p)
		}
	}
}

// pprParseFile runs parser ps on testdata file rel, as if found at "/"+rel, and checks the invariants.
func pprParseFile(t *testing.T, ps Parser, eco model.Ecosystem, rel string) ([]model.Package, error) {
	t.Helper()
	path := "/" + rel
	if !ps.Match(path) {
		t.Fatalf("%s does not match %s", ps.Name(), path)
	}
	data := readTestdata(t, rel)
	pkgs, err := parse(t, ps, path, data)
	pprCheck(t, eco, path, pkgs, err)
	return pkgs, err
}

// pprSummary renders packages as sorted "name version [dev] [direct|transitive]" lines for comparisons.
func pprSummary(pkgs []model.Package) []string {
	var out []string
	for _, p := range pkgs {
		s := p.Name + " " + p.Version
		if p.Dev {
			s += " dev"
		}
		if p.Dependency != "" {
			s += " " + p.Dependency
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func pprDiff(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestPythonMatch(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{"/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO", "python-installed"},
		{"/usr/lib/python3/dist-packages/attrs-22.2.0.dist-info/METADATA", "python-installed"},
		{"/app/.venv/lib/python3.12/site-packages/flask-3.0.2.dist-info/METADATA", "python-installed"},
		{"/app/libs/flask-3.0.2.dist-info/METADATA", "python-installed"},
		{"/src/myproj.egg-info/PKG-INFO", "python-installed"},
		{"/usr/lib/python3/dist-packages/distro_info-1.5.egg-info", "python-installed"},
		{"/opt/x/distro_info-1.5.egg-info", ""},
		{"/usr/lib/python3/dist-packages/.egg-info", ""},
		{"/usr/lib/python3.12/site-packages/foo-1.0-py3.12.egg/EGG-INFO/PKG-INFO", "python-installed"},
		{"/usr/lib/python3/dist-packages/attrs-22.2.0.dist-info/RECORD", ""},
		{"/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/requires.txt", ""},
		{"/src/PKG-INFO", ""},
		{"/app/METADATA", ""},
		{"/app/requirements.txt", "python-requirements"},
		{"/app/requirements-dev.txt", "python-requirements"},
		{"/app/requirements_test.txt", "python-requirements"},
		{"/app/requirements/base.txt", "python-requirements"},
		{"/app/requirements.in", ""},
		{"/app/dev-requirements.txt", ""},
		{"/usr/lib/python3/dist-packages/foo/requirements.txt", ""},
		{"/app/.venv/lib/python3.12/site-packages/foo-1.0.dist-info/requirements.txt", ""},
		{"/usr/share/doc/python3-pip/requirements.txt", ""},
		{"/app/poetry.lock", "poetry-lock"},
		{"/usr/lib/python3/dist-packages/foo/poetry.lock", ""},
		{"/app/.venv/lib/python3.12/site-packages/bar/uv.lock", ""},
		{"/app/Pipfile.lock", "pipfile-lock"},
		{"/app/Pipfile", ""},
		{"/app/uv.lock", "uv-lock"},
		{"/app/pdm.lock", "pdm-lock"},
		{"/opt/conda/conda-meta/openssl-3.0.13-h7f8727e_2.json", "conda-meta"},
		{"/opt/conda/envs/app/conda-meta/python-3.11.8-h955ad1f_0.json", "conda-meta"},
		{"/opt/conda/conda-meta/history", ""},
		{"/opt/conda/conda-meta/x/openssl.json", ""},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range Parsers() {
			if p.Match(tt.path) {
				got = append(got, p.Name())
			}
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("Match(%q) claimed by %v, want %q", tt.path, got, tt.want)
		}
	}
}

func TestPythonInstalled(t *testing.T) {
	const sp = "python/installed/venv/lib/python3.12/site-packages/"
	tests := []struct {
		rel      string
		name     string
		version  string
		licenses string
	}{
		// Metadata 2.4: License-Expression wins over the classifier.
		{sp + "flask_sqlalchemy-3.1.1.dist-info/METADATA", "Flask-SQLAlchemy", "3.1.1", "BSD-3-Clause"},
		// A whole licence text in License (continuation lines): the classifier says it better.
		{sp + "pycparser-2.21.dist-info/METADATA", "pycparser", "2.21", "BSD License"},
		// CRLF line ends; "UNKNOWN" is setuptools' word for none.
		{sp + "legacy_tool-0.9.dist-info/METADATA", "legacy_tool", "0.9", ""},
		{sp + "example_egg-1.0-py3.12.egg/EGG-INFO/PKG-INFO", "example-egg", "1.0", "MIT"},
		// A single-file egg-info: the name comes from the header, not the file name.
		{sp + "distro_info-1.5.egg-info", "distro-info", "1.5", "ISC"},
		{"python/conda/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA", "requests", "2.31.0", "Apache 2.0"},
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			pkgs, err := pprParseFile(t, PythonInstalled{}, model.PyPI, tt.rel)
			if err != nil || len(pkgs) != 1 {
				t.Fatalf("got %v, %v", pkgs, err)
			}
			p := pkgs[0]
			if p.Name != tt.name || p.Version != tt.version || strings.Join(p.Licenses, "|") != tt.licenses {
				t.Errorf("got %s %s %q, want %s %s %q", p.Name, p.Version, p.Licenses, tt.name, tt.version, tt.licenses)
			}
		})
	}
	if _, err := pprParseFile(t, PythonInstalled{}, model.PyPI, "python/installed/bad/broken-1.0.dist-info/METADATA"); err == nil {
		t.Error("METADATA without Version: no error")
	}
}

func TestPyLicenses(t *testing.T) {
	tests := []struct {
		headers string
		want    string
	}{
		{"License-Expression: MIT OR Apache-2.0\nLicense: BSD\n", "MIT OR Apache-2.0"},
		{"License: BSD\nClassifier: License :: OSI Approved :: MIT License\n", "BSD"},
		{"License: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\n", "MIT License"},
		{"Classifier: License :: OSI Approved :: Apache Software License\nClassifier: License :: OSI Approved :: BSD License\n", "Apache Software License|BSD License"},
		{"Classifier: License :: OSI Approved\nClassifier: Programming Language :: Python\n", ""},
		{"License: " + strings.Repeat("x", 101) + "\n", ""},
		{"", ""},
	}
	for _, tt := range tests {
		h, err := readPyMetadataHeaders(strings.NewReader("Name: x\n"+tt.headers), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(pyLicenses(h), "|"); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.headers, got, tt.want)
		}
	}
}

func TestIsPyName(t *testing.T) {
	for name, want := range map[string]bool{
		"requests": true, "zope.interface": true, "typing_extensions": true, "A": true, "x-1": true,
		"_": false, "-x": false, "x.": false, "": false, "a b": false, "caf\u00e9": false,
	} {
		if got := isPyName(name); got != want {
			t.Errorf("isPyName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestPythonRequirementsBadName(t *testing.T) {
	// Found by fuzzing: "_" normalises (PEP 503) to an empty name, which has no purl.
	pkgs, err := PythonRequirements{}.Parse("/app/requirements.txt", strings.NewReader("_==5\nflask==3.0.2\n"), 0)
	pprCheck(t, model.PyPI, "/app/requirements.txt", pkgs, err)
	pprDiff(t, "packages", pprSummary(pkgs), []string{"flask 3.0.2"})
	var partial *Partial
	if !errors.As(err, &partial) || !strings.Contains(err.Error(), "_==5") {
		t.Fatalf("want a partial result naming _==5, got %v", err)
	}
}

func TestPythonRequirements(t *testing.T) {
	tests := []struct {
		rel      string
		want     []string
		unpinned []string
	}{
		{
			// pip-compile --generate-hashes output: continuations, hashes, "# via" comments, extras, markers, ===.
			rel:  "python/requirements/requirements.txt",
			want: []string{"PySocks 1.7.1", "certifi 2024.2.2", "charset-normalizer 3.3.2", "idna 3.6", "requests 2.31.0", "urllib3 2.2.1"},
		},
		{
			rel:  "python/requirements/requirements-dev.txt",
			want: []string{"coverage 7.4.4", "mypy 1.9.0", "types-requests 2.31.0.20240311"},
			unpinned: []string{"pytest>=8.0", "pytest-cov~=4.1", "ruff", "black==24.*",
				"-e git+https://git.example.com/acme/devtools.git@v1.2#egg=devtools", "-e .",
				"tox @ https://files.example.com/tox-4.14.1-py3-none-any.whl", "./vendor/local_pkg", "pre-commit>=3.6,==3.6.2"},
		},
		{rel: "python/requirements/requirements/base.txt", want: []string{"Django 5.0.3", "psycopg 3.1.18"}},
		{rel: "python/requirements/requirements-freeze-utf16.txt", want: []string{"Flask 3.0.2", "Werkzeug 3.0.1", "blinker 1.7.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			pkgs, err := pprParseFile(t, PythonRequirements{}, model.PyPI, tt.rel)
			pprDiff(t, "packages", pprSummary(pkgs), tt.want)
			var partial *Partial
			if len(tt.unpinned) == 0 {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
			} else if !errors.As(err, &partial) || !strings.Contains(err.Error(), "9 requirement(s)") {
				t.Fatalf("want a Partial naming 9 unpinned requirements, got %v", err)
			}
			pprDiff(t, "unpinned", requirementsUnpinned(readTestdata(t, tt.rel)), tt.unpinned)
		})
	}
}

func TestRequirementLine(t *testing.T) {
	tests := []struct {
		line, name, version string
		ok                  bool
	}{
		{"requests==2.31.0", "requests", "2.31.0", true},
		{"requests == 2.31.0", "requests", "2.31.0", true},
		{"requests[socks,use-chardet]==2.31.0 ; python_version>'3'", "requests", "2.31.0", true},
		{"zope.interface===6.2", "zope.interface", "6.2", true},
		{"foo (==1.0)", "foo", "1.0", true},
		{"foo==1.0 --hash=sha256:abc", "foo", "1.0", true},
		{"foo>=1.0", "foo", "", true},
		{"foo==1.*", "foo", "", true},
		{"foo!=1.0", "foo", "", true},
		{"foo", "foo", "", true},
		{"foo @ file:///tmp/foo.whl", "foo", "", true},
		{"https://example.com/foo-1.0.tar.gz", "https", "", true},
		{"--index-url https://pypi.org/simple", "", "", false},
		{"-r base.txt", "", "", false},
		{"--hash=sha256:abc", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		rq, ok := parseRequirementLine(tt.line)
		if ok != tt.ok || rq.version != tt.version || (rq.version != "" && rq.name != tt.name) {
			t.Errorf("%q: got %+v %v, want %s %s %v", tt.line, rq, ok, tt.name, tt.version, tt.ok)
		}
	}
	// A URL is never a name: the requirement is unresolved, not a package called "https".
	if rq := parseRequirements([]byte("https://example.com/foo-1.0.tar.gz\n")); len(rq) != 1 || rq[0].version != "" {
		t.Errorf("URL requirement: %+v", rq)
	}
	// A trailing backslash on the last line joins nothing.
	if rq := parseRequirements([]byte("foo==1.0 \\")); len(rq) != 1 || rq[0].version != "1.0" {
		t.Errorf("trailing backslash: %+v", rq)
	}
}

func TestPythonLockfiles(t *testing.T) {
	tests := []struct {
		ps   Parser
		rel  string
		want []string
	}{
		{PoetryLock{}, "python/poetry-1.4/poetry.lock", []string{
			"certifi 2023.5.7", "charset-normalizer 3.1.0", "colorama 0.4.6 dev", "idna 3.4", "iniconfig 2.0.0 dev",
			"packaging 23.1 dev", "pluggy 1.0.0 dev", "pytest 7.3.1 dev", "requests 2.31.0", "toolbox 0.3.0", "urllib3 2.0.2"}},
		{PoetryLock{}, "python/poetry-2/poetry.lock", []string{
			// idna is in main and docs: runtime. docs is a non-main group: dev-only.
			"anyio 4.8.0", "colorama 0.4.6 dev", "idna 3.10", "iniconfig 2.0.0 dev", "mkdocs-material-extensions 1.3.1 dev",
			"pytest 8.3.4 dev", "sniffio 1.3.1", "uvloop 0.21.0"}},
		{PipfileLock{}, "python/pipenv/Pipfile.lock", []string{
			// markupsafe is in both sections: runtime. toolbox is a git ref without a version: left out.
			"blinker 1.7.0", "click 8.1.7", "flask 3.0.2", "iniconfig 2.0.0 dev", "itsdangerous 2.1.2", "jinja2 3.1.3",
			"markupsafe 2.1.5", "packaging 23.2 dev", "pluggy 1.4.0 dev", "pytest 8.0.2 dev", "werkzeug 3.0.1"}},
		{UVLock{}, "python/uv/uv.lock", []string{
			// The editable root is the project. numpy is forked by marker: both versions. packaging is reached
			// from pytest (dev) and from toolbox (runtime): runtime. pysocks comes through requests' socks extra.
			"certifi 2024.8.30 transitive", "charset-normalizer 3.4.0 transitive", "colorama 0.4.6 dev transitive",
			"idna 3.10 transitive", "iniconfig 2.0.0 dev transitive", "numpy 1.26.4 direct", "numpy 2.1.3 direct",
			"packaging 24.2 transitive", "pluggy 1.5.0 dev transitive", "pysocks 1.7.1 transitive",
			"pytest 8.3.4 dev direct", "requests 2.32.3 direct", "toolbox 0.3.0 direct", "urllib3 2.2.3 transitive"}},
		{UVLock{}, "python/uv-workspace/uv.lock", []string{
			// Both workspace members are first-party; legacy-utils is a path dependency outside the workspace.
			"anyio 4.6.2.post1 direct", "colorama 0.4.6 transitive", "idna 3.10 transitive", "legacy-utils 2.0.0 direct",
			"ruff 0.7.4 dev direct", "sniffio 1.3.1 transitive", "tqdm 4.67.0 direct"}},
		{PDMLock{}, "python/pdm/pdm.lock", []string{
			// postgres is an optional-dependency group (an extra): runtime, not dev.
			"asgiref 3.8.1", "django 5.0.6", "iniconfig 2.0.0 dev", "packaging 24.0 dev", "pluggy 1.5.0 dev",
			"psycopg 3.1.19", "pytest 8.2.1 dev", "sqlparse 0.5.0", "typing-extensions 4.12.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			pkgs, err := pprParseFile(t, tt.ps, model.PyPI, tt.rel)
			if err != nil {
				t.Fatal(err)
			}
			pprDiff(t, tt.rel, pprSummary(pkgs), tt.want)
		})
	}
}

func TestPythonLockErrors(t *testing.T) {
	for _, tt := range []struct {
		ps   Parser
		path string
		data string
	}{
		{PoetryLock{}, "/poetry.lock", "[[package]\nname="},
		{PoetryLock{}, "/poetry.lock", "[[package]]\nname = \"x\"\n"},
		{PipfileLock{}, "/Pipfile.lock", "{\"default\": ["},
		{UVLock{}, "/uv.lock", "version = = 1"},
		{PDMLock{}, "/pdm.lock", "[[package]]\nname = 1\n"},
		{CondaMeta{}, "/conda-meta/x.json", "{}"},
		{CondaMeta{}, "/conda-meta/x.json", "not json"},
	} {
		pkgs, err := parse(t, tt.ps, tt.path, []byte(tt.data))
		if err == nil || pkgs != nil || !strings.Contains(err.Error(), tt.path) {
			t.Errorf("%s %q: got %v, %v; want an error naming the file", tt.ps.Name(), tt.data, pkgs, err)
		}
	}
	// An empty lock is not an error: a project without dependencies.
	for _, ps := range []Parser{PoetryLock{}, UVLock{}, PDMLock{}} {
		if pkgs, err := parse(t, ps, "/x.lock", nil); err != nil || len(pkgs) != 0 {
			t.Errorf("%s on empty input: %v, %v", ps.Name(), pkgs, err)
		}
	}
}

func TestCondaMeta(t *testing.T) {
	var got []string
	for _, rel := range []string{"python/conda/conda-meta/openssl-3.0.13-h7f8727e_2.json", "python/conda/conda-meta/requests-2.31.0-py311h06a4308_1.json"} {
		pkgs, err := pprParseFile(t, CondaMeta{}, CondaEcosystem, rel)
		if err != nil || len(pkgs) != 1 {
			t.Fatalf("%s: %v, %v", rel, pkgs, err)
		}
		got = append(got, pkgs[0].Name+" "+pkgs[0].Version+" "+strings.Join(pkgs[0].Licenses, "|"))
	}
	pprDiff(t, "conda", got, []string{"openssl 3.0.13 Apache-2.0", "requests 2.31.0 Apache-2.0"})
}

// pprSeeds adds every file under testdata/dir to a fuzz corpus.
func pprSeeds(f *testing.F, dir string, keep func(string) bool) {
	err := filepath.WalkDir(filepath.Join("testdata", dir), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !keep(p) {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
}

func pprFuzz(f *testing.F, ps Parser, eco model.Ecosystem, path string) {
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := ps.Parse(path, bytes.NewReader(data), int64(len(data)))
		pprCheck(t, eco, path, pkgs, err)
	})
}

func FuzzPythonInstalled(f *testing.F) {
	pprSeeds(f, "python", func(p string) bool {
		return strings.HasSuffix(p, "METADATA") || strings.HasSuffix(p, "PKG-INFO") || strings.HasSuffix(p, ".egg-info")
	})
	pprFuzz(f, PythonInstalled{}, model.PyPI, "/usr/lib/python3/dist-packages/x-1.dist-info/METADATA")
}

func FuzzPythonRequirements(f *testing.F) {
	pprSeeds(f, "python/requirements", func(string) bool { return true })
	pprFuzz(f, PythonRequirements{}, model.PyPI, "/app/requirements.txt")
}

func FuzzPoetryLock(f *testing.F) {
	pprSeeds(f, "python", func(p string) bool { return strings.HasSuffix(p, "poetry.lock") })
	pprFuzz(f, PoetryLock{}, model.PyPI, "/app/poetry.lock")
}

func FuzzPipfileLock(f *testing.F) {
	pprSeeds(f, "python", func(p string) bool { return strings.HasSuffix(p, "Pipfile.lock") })
	pprFuzz(f, PipfileLock{}, model.PyPI, "/app/Pipfile.lock")
}

func FuzzUVLock(f *testing.F) {
	pprSeeds(f, "python", func(p string) bool { return strings.HasSuffix(p, "uv.lock") })
	pprFuzz(f, UVLock{}, model.PyPI, "/app/uv.lock")
}

func FuzzPDMLock(f *testing.F) {
	pprSeeds(f, "python", func(p string) bool { return strings.HasSuffix(p, "pdm.lock") })
	pprFuzz(f, PDMLock{}, model.PyPI, "/app/pdm.lock")
}

func FuzzCondaMeta(f *testing.F) {
	pprSeeds(f, "python/conda/conda-meta", func(p string) bool { return strings.HasSuffix(p, ".json") })
	pprFuzz(f, CondaMeta{}, CondaEcosystem, "/opt/conda/conda-meta/x-1-0.json")
}
