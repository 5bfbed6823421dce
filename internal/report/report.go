// Package report writes an inventory in the formats hullscan offers: a human table, hullscan's own JSON,
// CycloneDX 1.6 JSON and SPDX 2.3 JSON, and the vulnerability reports for CI systems: SARIF 2.1.0 (GitHub code
// scanning), GitLab's container scanning report, JUnit XML, Markdown (a pull-request comment) and a Go
// text/template of the user's (docs/reports.md).
//
// Every writer is deterministic: for the same inventory and the same Options (a fixed Now and Serial) it writes
// the same bytes. Packages are written in one order (ecosystem, name, version, arch, location, then the
// remaining fields as tie-breakers) whatever order the inventory holds them in, and nothing depends on map
// iteration order.
package report

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hullscan/hullscan/internal/model"
)

// Options tune the writers.
type Options struct {
	// ToolVersion is the hullscan version written in the tool metadata.
	ToolVersion string
	// Now gives the document timestamps; nil means time.Now. Tests pass a fixed clock.
	Now func() time.Time
	// Color enables ANSI colour in the table format (the caller decides: only on a terminal).
	Color bool
	// Serial is the UUID (lower-case 8-4-4-4-12 hex, without "urn:uuid:") that identifies the document: the
	// CycloneDX serialNumber and the tail of the SPDX documentNamespace. Empty means a random version 4 UUID;
	// tests fix it to get reproducible documents.
	Serial string
	// Matches, when set, are the vulnerability findings of a scan: the table lists them instead of the packages,
	// the JSON adds a "vulnerabilities" section and CycloneDX a "vulnerabilities" array. The vulnerability
	// formats (sarif, gitlab, junit, markdown, template) report them; without them, those formats write a valid
	// document with no findings that says nothing was matched.
	Matches *model.Matches
	// Template is the text of the Go text/template the "template" format executes (see TemplateData).
	Template string
	// ShowSuppressed lists suppressed findings, with their reasons, in the human formats (markdown); they are
	// always counted.
	ShowSuppressed bool
}

// Format names accepted by Write.
const (
	FormatTable     = "table"
	FormatJSON      = "json"
	FormatCycloneDX = "cyclonedx"
	FormatSPDX      = "spdx"
	FormatSARIF     = "sarif"
	FormatGitLab    = "gitlab"
	FormatJUnit     = "junit"
	FormatMarkdown  = "markdown"
	FormatTemplate  = "template"
	FormatOpenVEX   = "openvex"
)

// Formats lists the names accepted by Write, in help order.
func Formats() []string {
	return []string{FormatTable, FormatJSON, FormatCycloneDX, FormatSPDX, FormatSARIF, FormatGitLab, FormatJUnit, FormatMarkdown, FormatOpenVEX, FormatTemplate}
}

// InventoryFormats lists the formats that describe packages; the others report findings.
func InventoryFormats() []string {
	return []string{FormatTable, FormatJSON, FormatCycloneDX, FormatSPDX}
}

// Write writes inv in the named format. Nothing is written when it fails.
func Write(w io.Writer, format string, inv *model.Inventory, opts Options) error {
	if inv == nil {
		return errors.New("report: nil inventory")
	}
	var write func(io.Writer, *model.Inventory, Options) error
	switch format {
	case FormatTable:
		write = writeTable
	case FormatJSON:
		write = writeJSON
	case FormatCycloneDX:
		write = writeCycloneDX
	case FormatSPDX:
		write = writeSPDX
	case FormatSARIF:
		write = writeSARIF
	case FormatGitLab:
		write = writeGitLab
	case FormatJUnit:
		write = writeJUnit
	case FormatMarkdown:
		write = writeMarkdown
	case FormatTemplate:
		write = writeTemplate
	case FormatOpenVEX:
		write = writeOpenVEX
	default:
		return fmt.Errorf("report: unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
	}
	var buf bytes.Buffer
	if err := write(&buf, inv, opts); err != nil {
		return fmt.Errorf("report: %s: %w", format, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// now returns the document time in UTC, to the second.
func (o Options) now() time.Time {
	f := o.Now
	if f == nil {
		f = time.Now
	}
	return f().UTC().Truncate(time.Second)
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// serial returns Options.Serial, checked, or a new random version 4 UUID.
func (o Options) serial() (string, error) {
	if o.Serial != "" {
		if !uuidRE.MatchString(o.Serial) {
			return "", fmt.Errorf("serial %q is not a lower-case UUID", o.Serial)
		}
		return o.Serial, nil
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// entry is a package in output order with the reference the SBOMs use for it.
type entry struct {
	*model.Package
	// ref is the package id, made unique within the document: a package without an id gets the one
	// model.Package.SetID computes, and a repeated id gets "-2", "-3"... in output order.
	ref string
}

// sortedPackages returns the inventory's packages in output order; inv is not changed.
func sortedPackages(inv *model.Inventory) []entry {
	pkgs := make([]*model.Package, len(inv.Packages))
	for i := range inv.Packages {
		pkgs[i] = &inv.Packages[i]
	}
	slices.SortStableFunc(pkgs, comparePackages)
	out := make([]entry, len(pkgs))
	used := map[string]bool{}
	for i, p := range pkgs {
		id := p.ID
		if id == "" {
			c := *p
			c.SetID()
			id = c.ID
		}
		out[i] = entry{Package: p, ref: unique(used, id)}
	}
	return out
}

// unique returns s, or s-2, s-3... whichever is not yet in used, and marks it used.
func unique(used map[string]bool, s string) string {
	u := s
	for n := 2; used[u]; n++ {
		u = fmt.Sprintf("%s-%d", s, n)
	}
	used[u] = true
	return u
}

func comparePackages(a, b *model.Package) int {
	if c := cmp.Compare(a.Ecosystem, b.Ecosystem); c != 0 {
		return c
	}
	for _, f := range [][2]string{
		{a.Name, b.Name}, {a.Version, b.Version}, {a.Arch, b.Arch}, {a.Location, b.Location},
		{a.ID, b.ID}, {a.PURL, b.PURL}, {a.SourceName, b.SourceName}, {a.SourceVersion, b.SourceVersion},
		{a.Maintainer, b.Maintainer}, {strings.Join(a.Licenses, "\x00"), strings.Join(b.Licenses, "\x00")},
	} {
		if c := strings.Compare(f[0], f[1]); c != 0 {
			return c
		}
	}
	la, lb := layerKey(a.Layer), layerKey(b.Layer)
	return strings.Compare(la, lb)
}

func layerKey(l *model.LayerRef) string {
	if l == nil {
		return ""
	}
	return fmt.Sprintf("%09d\x00%s\x00%s\x00%s", l.Index, l.DiffID, l.Digest, l.CreatedBy)
}

// sortedWarnings returns a sorted copy of the warnings.
func sortedWarnings(inv *model.Inventory) []string {
	w := slices.Clone(inv.Warnings)
	slices.Sort(w)
	return w
}

// isImage tells whether the source kind is a container image (as opposed to a directory or a root file
// system).
func isImage(s model.Source) bool {
	switch s.Kind {
	case "docker-archive", "oci-layout", "registry":
		return true
	}
	return s.Kind != "rootfs" && s.Kind != "directory" && s.Digest != ""
}

// shortCreatedBy turns an image history created_by into its instruction: it drops the "/bin/sh -c" and
// "#(nop)" wrapping and BuildKit's "# buildkit" marker, and collapses white space.
func shortCreatedBy(s string) string {
	s = collapseSpace(s)
	s = strings.TrimSpace(strings.TrimSuffix(s, "# buildkit"))
	if rest, ok := strings.CutPrefix(s, "/bin/sh -c #(nop) "); ok {
		return strings.TrimSpace(rest)
	}
	if i := strings.Index(s, "/bin/sh -c "); i >= 0 {
		head := s[:i]
		// "RUN /bin/sh -c ...", "/bin/sh -c ..." or "|2 A=b C=d /bin/sh -c ..." (build args) are all RUN.
		if head == "" || head == "RUN " || strings.HasPrefix(head, "|") || strings.HasPrefix(head, "RUN |") {
			return "RUN " + strings.TrimSpace(s[i+len("/bin/sh -c "):])
		}
	}
	return s
}

// collapseSpace replaces each run of white space by one space and trims the ends.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// layerText describes a layer for humans: "layer 2 sha256:... (RUN apt-get install ...)". It names the
// diff_id when known (it is the same whichever way the image was read), else the blob digest.
func layerText(l *model.LayerRef) string {
	if l == nil {
		return ""
	}
	s := fmt.Sprintf("layer %d", l.Index)
	if d := cmp.Or(l.DiffID, l.Digest); d != "" {
		s += " " + d
	}
	if c := shortCreatedBy(l.CreatedBy); c != "" {
		s += " (" + c + ")"
	}
	return s
}

// splitMaintainer splits "Name <email>" into its parts; anything else is all name.
func splitMaintainer(m string) (name, email string) {
	m = collapseSpace(m)
	if i := strings.LastIndex(m, "<"); i >= 0 && strings.HasSuffix(m, ">") {
		return strings.TrimSpace(m[:i]), strings.TrimSpace(m[i+1 : len(m)-1])
	}
	return m, ""
}

// sameVersion compares versions ignoring an epoch ("1:") on either side: rpm source versions carry none.
func sameVersion(a, b string) bool {
	return stripEpoch(a) == stripEpoch(b)
}

func stripEpoch(v string) string {
	if i := strings.IndexByte(v, ':'); i > 0 && strings.Trim(v[:i], "0123456789") == "" {
		return v[i+1:]
	}
	return v
}

// sourcePackage names the source package a package was built from, when it differs from the package itself:
// its name, and its version when that differs too. It is "" when they are the same.
func sourcePackage(p *model.Package) string {
	var parts []string
	if p.SourceName != "" && p.SourceName != p.Name {
		parts = append(parts, p.SourceName)
	}
	if p.SourceVersion != "" && !sameVersion(p.SourceVersion, p.Version) {
		if len(parts) == 0 {
			parts = append(parts, p.Name)
		}
		parts = append(parts, p.SourceVersion)
	}
	return strings.Join(parts, " ")
}
