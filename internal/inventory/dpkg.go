package inventory

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
)

const (
	dpkgStatusPath = "/var/lib/dpkg/status"
	dpkgStatusDDir = "/var/lib/dpkg/status.d/"
	dpkgMaxSize    = 256 << 20
)

// DpkgStatus reads /var/lib/dpkg/status, the installed-package database of Debian and its derivatives.
//
// Licences are left empty: the status file carries none. Reading /usr/share/doc/<pkg>/copyright (DEP-5) is
// future work and needs a second file per package, which this one-file parser shape does not give.
type DpkgStatus struct{}

func (DpkgStatus) Name() string           { return "dpkg-status" }
func (DpkgStatus) Version() int           { return 2 }
func (DpkgStatus) Match(path string) bool { return path == dpkgStatusPath }
func (DpkgStatus) MaxSize() int64         { return dpkgMaxSize }

func (DpkgStatus) Parse(path string, r io.Reader, _ int64) ([]model.Package, error) {
	// dpkg writes Status on every record of this file, so a record without one is malformed.
	return parseDeb822Packages(path, r, false, dpkgMaxSize)
}

// DpkgStatusD reads the per-package files of distroless Debian images, /var/lib/dpkg/status.d/<name>. They are
// the packages' control files copied in at image build time (no dpkg ran), so they usually have no Status field;
// the .md5sums files beside them are file lists, not package records.
type DpkgStatusD struct{}

func (DpkgStatusD) Name() string   { return "dpkg-status-d" }
func (DpkgStatusD) Version() int   { return 2 }
func (DpkgStatusD) MaxSize() int64 { return dpkgMaxSize }

func (DpkgStatusD) Match(path string) bool {
	if !strings.HasPrefix(path, dpkgStatusDDir) {
		return false
	}
	name := path[len(dpkgStatusDDir):]
	return name != "" && !strings.Contains(name, "/") && !strings.HasSuffix(name, ".md5sums")
}

func (DpkgStatusD) Parse(path string, r io.Reader, _ int64) ([]model.Package, error) {
	return parseDeb822Packages(path, r, true, dpkgMaxSize)
}

// debParagraph keeps only the fields inventory needs; everything else (Description, Conffiles, Depends…) is
// skipped while reading so a large status file costs little memory.
type debParagraph struct {
	pkg, version, arch, source, maintainer, status string
	hasStatus                                      bool
	fields                                         int // well-formed "Key: value" lines
	junk                                           int // lines that are neither a field nor a continuation
}

// parseDeb822Packages reads dpkg's RFC822-like format: "Key: value" fields, continuation lines starting with a
// space or tab, paragraphs separated by blank lines. A malformed paragraph is skipped; the file is an error only
// when it had malformed paragraphs and nothing parseable, so one bad record does not hide a whole image.
func parseDeb822Packages(path string, r io.Reader, missingStatusInstalled bool, maxSize int64) ([]model.Package, error) {
	var (
		pkgs []model.Package
		bad  int
		cur  debParagraph
	)
	flush := func() {
		p := cur
		cur = debParagraph{}
		if p.fields == 0 && p.junk == 0 {
			return
		}
		if p.hasStatus {
			if !dpkgInstalled(p.status) {
				return // config-files, half-installed, not-installed: not (all) of it is on disk
			}
		} else if !missingStatusInstalled {
			bad++
			return
		}
		if !isToken(p.pkg) || !isToken(p.version) {
			bad++
			return
		}
		srcName, srcVersion := parseDebSource(p.source)
		if srcName == "" {
			srcName = p.pkg
		}
		if srcVersion == "" {
			// dpkg omits the source version when it equals the binary version.
			srcVersion = p.version
		}
		pkgs = append(pkgs, model.Package{
			Ecosystem:     model.Deb,
			Name:          p.pkg,
			Version:       p.version,
			Arch:          p.arch,
			SourceName:    srcName,
			SourceVersion: srcVersion,
			Maintainer:    p.maintainer,
			Location:      path,
		})
	}

	lr := &io.LimitedReader{R: r, N: maxSize + 1}
	br := bufio.NewReaderSize(lr, 64<<10)
	inField := false // a continuation line is valid only after a field
	for {
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("parse %s: %w", path, err)
		}
		if lr.N <= 0 {
			return nil, fmt.Errorf("parse %s: larger than %d bytes", path, maxSize)
		}
		if line != "" {
			line = strings.TrimRight(line, "\r\n")
			switch {
			case strings.TrimSpace(line) == "":
				flush()
				inField = false
			case line[0] == ' ' || line[0] == '\t':
				if !inField {
					cur.junk++
				}
			case line[0] == '#':
				// deb822 comment; dpkg never writes one but tolerating it costs nothing
			default:
				key, value, ok := strings.Cut(line, ":")
				if !ok || key == "" || strings.ContainsAny(key, " \t") {
					cur.junk++
					inField = false
					break
				}
				inField = true
				cur.fields++
				cur.set(key, strings.TrimSpace(value))
			}
		}
		if err != nil { // io.EOF
			break
		}
	}
	flush()
	if len(pkgs) == 0 && bad > 0 {
		return nil, fmt.Errorf("parse %s: %d malformed paragraph(s) and no package", path, bad)
	}
	return pkgs, nil
}

func (p *debParagraph) set(key, value string) {
	// Field names are case-insensitive in deb822.
	switch {
	case strings.EqualFold(key, "Package"):
		p.pkg = value
	case strings.EqualFold(key, "Version"):
		p.version = value
	case strings.EqualFold(key, "Architecture"):
		p.arch = value
	case strings.EqualFold(key, "Source"):
		p.source = value
	case strings.EqualFold(key, "Maintainer"):
		p.maintainer = value
	case strings.EqualFold(key, "Status"):
		p.status, p.hasStatus = value, true
	}
}

// dpkgInstalled reports whether a Status value ("want flag state") says the package's files are on disk: the
// states installed, unpacked, half-configured, triggers-awaited and triggers-pending. A package caught mid-upgrade
// (unpacked, triggers-pending) still ships its code, so leaving it out would hide its vulnerabilities.
// half-installed, config-files and not-installed are left out: their files are partly or wholly gone.
func dpkgInstalled(status string) bool {
	f := strings.Fields(status)
	if len(f) != 3 {
		return false
	}
	switch f[2] {
	case "installed", "unpacked", "half-configured", "triggers-awaited", "triggers-pending":
		return true
	}
	return false
}

// parseDebSource splits a Source field, "name" or "name (version)" (the version appears when it differs from the
// binary's, e.g. binNMUs "bash (5.2.15-2)" for bash 5.2.15-2+b13).
func parseDebSource(s string) (name, version string) {
	name, rest, hasVersion := strings.Cut(s, "(")
	name = strings.TrimSpace(name)
	if hasVersion {
		version, _, _ = strings.Cut(rest, ")")
		version = strings.TrimSpace(version)
	}
	if !isToken(name) {
		name = ""
	}
	if !isToken(version) {
		version = ""
	}
	return name, version
}

// isToken reports whether s is non-empty and free of spaces and control bytes, as package names and versions of
// every ecosystem here are. It keeps garbage from becoming a package.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}
