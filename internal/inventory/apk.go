package inventory

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
)

const apkMaxSize = 256 << 20

// APKInstalled reads apk's installed database (Alpine, Wolfi, Chainguard): records of "X:value" lines separated by
// blank lines. Only the package fields are kept; the file-list lines (F:, R:, a:, M:, Z:) that make up most of the
// file are skipped.
type APKInstalled struct{}

func (APKInstalled) Name() string   { return "apk-installed" }
func (APKInstalled) Version() int   { return 1 }
func (APKInstalled) MaxSize() int64 { return apkMaxSize }

// Match covers /lib/apk/db/installed and /usr/lib/apk/db/installed (apk-tools 3 and merged-/usr Wolfi layouts).
func (APKInstalled) Match(path string) bool {
	return path == "/lib/apk/db/installed" || path == "/usr/lib/apk/db/installed"
}

type apkRecord struct {
	name, version, arch, origin, license, maintainer string
	lines                                            int
}

func (APKInstalled) Parse(path string, r io.Reader, _ int64) ([]model.Package, error) {
	return parseAPKInstalled(path, r, apkMaxSize)
}

func parseAPKInstalled(path string, r io.Reader, maxSize int64) ([]model.Package, error) {
	var (
		pkgs []model.Package
		bad  int
		cur  apkRecord
	)
	flush := func() {
		rec := cur
		cur = apkRecord{}
		if rec.lines == 0 {
			return
		}
		if !isToken(rec.name) || !isToken(rec.version) {
			bad++
			return
		}
		src := rec.origin
		if !isToken(src) {
			src = rec.name
		}
		p := model.Package{
			Ecosystem: model.APK,
			Name:      rec.name,
			Version:   rec.version,
			Arch:      rec.arch,
			// Alpine's secdb is keyed by origin (the aport), and an aport has one version for all its subpackages.
			SourceName:    src,
			SourceVersion: rec.version,
			Maintainer:    rec.maintainer,
			Location:      path,
		}
		if rec.license != "" {
			// Kept whole: "MIT AND BSD-2-Clause" is one expression, and older aports' space-separated lists
			// ("GPL-2.0-or-later LGPL-2.1-or-later") cannot be split back into an expression safely.
			p.Licenses = []string{rec.license}
		}
		pkgs = append(pkgs, p)
	}

	lr := &io.LimitedReader{R: r, N: maxSize + 1}
	br := bufio.NewReaderSize(lr, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("parse %s: %w", path, err)
		}
		if lr.N <= 0 {
			return nil, fmt.Errorf("parse %s: larger than %d bytes", path, maxSize)
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case len(line) >= 2 && line[1] == ':':
			cur.lines++
			v := strings.TrimSpace(line[2:])
			switch line[0] {
			case 'P':
				cur.name = v
			case 'V':
				cur.version = v
			case 'A':
				cur.arch = v
			case 'o':
				cur.origin = v
			case 'L':
				cur.license = v
			case 'm':
				cur.maintainer = v
			}
		default:
			// Not "X:value": count it so that a record made only of garbage is reported, not silently dropped.
			cur.lines++
		}
		if err != nil { // io.EOF
			break
		}
	}
	flush()
	if len(pkgs) == 0 && bad > 0 {
		return nil, fmt.Errorf("parse %s: %d malformed record(s) and no package", path, bad)
	}
	return pkgs, nil
}
