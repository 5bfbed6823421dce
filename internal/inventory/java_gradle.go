package inventory

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
)

const gradleLockMaxSize = 16 << 20

// GradleLockfile reads Gradle's dependency lock state: gradle.lockfile and buildscript-gradle.lockfile (Gradle
// 6+: "group:artifact:version=conf1,conf2" lines, "empty=conf,..." naming configurations that resolved to
// nothing), and the older one-file-per-configuration form gradle/dependency-locks/<conf>.lockfile
// ("group:artifact:version" lines). A lockfile holds every resolved module, direct or not, without telling
// which, so Dependency stays empty. A package is Dev when every configuration that resolves it is a test one:
// "test..." (testCompileClasspath, testFixturesRuntimeClasspath) or "...Test<Upper>..." (integrationTestRuntimeClasspath,
// debugUnitTestCompileClasspath). Buildscript dependencies (the "classpath" configuration: Gradle plugins) are
// not marked Dev.
type GradleLockfile struct{}

func (GradleLockfile) Name() string   { return "gradle-lockfile" }
func (GradleLockfile) Version() int   { return 1 }
func (GradleLockfile) MaxSize() int64 { return gradleLockMaxSize }

func (GradleLockfile) Match(p string) bool {
	switch path.Base(p) {
	case "gradle.lockfile", "buildscript-gradle.lockfile":
		return true
	}
	return strings.HasSuffix(p, ".lockfile") && strings.Contains(p, "/gradle/dependency-locks/")
}

// isTestConfiguration reports whether a Gradle configuration name is a test one (see GradleLockfile).
func isTestConfiguration(c string) bool {
	if strings.HasPrefix(c, "test") {
		return true
	}
	for i := strings.Index(c, "Test"); i > 0; {
		rest := c[i+4:]
		if rest == "" || (rest[0] >= 'A' && rest[0] <= 'Z') {
			return true
		}
		j := strings.Index(rest, "Test")
		if j < 0 {
			break
		}
		i += 4 + j
	}
	return false
}

func (GradleLockfile) Parse(p string, r io.Reader, size int64) ([]model.Package, error) {
	b, err := javaReadAll(r, size, gradleLockMaxSize)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	// The older form names the configuration in the file name.
	var fileConf string
	if base := path.Base(p); base != "gradle.lockfile" && base != "buildscript-gradle.lockfile" {
		fileConf = strings.TrimSuffix(base, ".lockfile")
	}
	var (
		pkgs []model.Package
		bad  int
	)
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		coords, confs, hasConfs := strings.Cut(line, "=")
		if coords == "empty" && hasConfs {
			continue
		}
		if !hasConfs {
			confs = fileConf
		}
		parts := strings.Split(coords, ":")
		if len(parts) != 3 || !isMavenID(parts[0]) || !isMavenID(parts[1]) || !isMavenToken(parts[2]) {
			bad++
			continue
		}
		dev := confs != ""
		for _, c := range strings.Split(confs, ",") {
			if c = strings.TrimSpace(c); c != "" && !isTestConfiguration(c) {
				dev = false
			}
		}
		key := coords
		if seen[key] {
			continue
		}
		seen[key] = true
		pkgs = append(pkgs, model.Package{
			Ecosystem: model.Maven,
			Name:      parts[0] + ":" + parts[1],
			Version:   parts[2],
			Location:  p,
			Dev:       dev,
		})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	if bad > 0 {
		if len(pkgs) == 0 {
			return nil, fmt.Errorf("parse %s: no group:artifact:version line (%d malformed)", p, bad)
		}
		return pkgs, &Partial{Err: fmt.Errorf("parse %s: %d malformed lines skipped", p, bad)}
	}
	return pkgs, nil
}
