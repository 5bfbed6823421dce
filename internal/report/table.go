package report

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hullscan/hullscan/internal/model"
)

// packageColumns are the columns of the package table.
var packageColumns = []column{
	{header: "NAME", max: tableMaxCell},
	{header: "VERSION", max: tableMaxCell},
	{header: "TYPE"},
	{header: "SOURCE", optional: true, max: tableMaxCell},
	{header: "LAYER", optional: true, fill: true},
}

// Table layout limits, in characters (runes).
const (
	tableMaxLine  = 149 // a row is kept under 150 characters when the LAYER column can shrink enough
	tableMaxCell  = 40  // NAME, VERSION and SOURCE cells are cut beyond this
	tableMinLayer = 16  // the LAYER column never gets narrower than this
	tableGap      = "  "
	ellipsis      = "…"
)

const (
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiReset  = "\x1b[0m"
)

// writeTable writes the human table:
//
//	Source: debian:12 (registry)  Digest: sha256:…  OS: Debian GNU/Linux 12 (bookworm)
//
//	NAME     VERSION  TYPE  SOURCE  LAYER
//	adduser  3.134    deb           0 ADD file:… in /
//
//	1 package (deb: 1)
//	warning: …
//
// SOURCE shows the source package when it differs from the binary one; LAYER shows the layer index and the
// instruction that created it. Cells too long for the line are cut and end in "…", and a note says so (the JSON
// format has the full text). SOURCE and LAYER are left out when no package has one. Control characters in the
// data are replaced, so the table never carries escape sequences of its own; ANSI colour is used only with
// Options.Color.
func writeTable(w io.Writer, inv *model.Inventory, opts Options) error {
	if opts.Matches != nil {
		return writeVulnTable(w, inv, opts)
	}
	t := tableWriter{w: w, color: opts.Color}
	t.line(tableHeader(inv))

	entries := sortedPackages(inv)
	truncated := false
	if len(entries) > 0 {
		rows := make([][]string, len(entries))
		for i, e := range entries {
			rows[i] = []string{
				clean(e.Name),
				clean(e.Version),
				clean(string(e.Ecosystem)),
				clean(sourcePackage(e.Package)),
				clean(layerCell(e.Layer)),
			}
		}
		l := fitColumns(packageColumns, rows, 0)
		truncated = l.cut

		t.line("")
		t.row("", l.header(), l, ansiBold, nil)
		cellStyles := []string{4: ansiDim}
		for _, r := range rows {
			t.row("", r, l, "", cellStyles)
		}
	}

	t.line("")
	t.line(tableFooter(entries))
	if truncated {
		t.line("note: cells ending in " + ellipsis + " are cut to fit the line; the json format has the full text")
	}
	for _, warning := range sortedWarnings(inv) {
		t.styled("warning: "+clean(collapseSpace(warning)), ansiYellow)
	}
	return t.err
}

// tableWriter writes lines and remembers the first error.
type tableWriter struct {
	w     io.Writer
	color bool
	err   error
}

func (t *tableWriter) line(s string) {
	if t.err == nil {
		_, t.err = io.WriteString(t.w, s+"\n")
	}
}

func (t *tableWriter) styled(s, style string) {
	if t.color && style != "" {
		s = style + s + ansiReset
	}
	t.line(s)
}

// column describes a table column for fitColumns.
type column struct {
	header string
	// optional columns are left out when no row has anything in them.
	optional bool
	// max cuts cells beyond this many characters; 0 leaves them whole (short fixed vocabularies, or the fill
	// column).
	max int
	// fill marks the one column that takes what the others leave of tableMaxLine, but never less than
	// tableMinLayer: the long free text (a layer's instruction) gives way so the short columns stay whole.
	fill bool
}

// tableLayout is where fitColumns put the columns.
type tableLayout struct {
	spec   []column
	cols   []int // the columns shown, in order
	widths []int // by column index; 0 for columns left out
	cut    bool  // a cell was cut to fit
}

// fitColumns chooses the columns to show, their widths, and cuts the cells of rows (in place) to those widths.
// indent is the number of characters written before each row.
func fitColumns(spec []column, rows [][]string, indent int) tableLayout {
	l := tableLayout{spec: spec, widths: make([]int, len(spec))}
	for c, col := range spec {
		shown := !col.optional
		for _, r := range rows {
			shown = shown || r[c] != ""
		}
		if shown {
			l.cols = append(l.cols, c)
		}
	}
	fill := -1
	for _, c := range l.cols {
		l.widths[c] = utf8.RuneCountInString(spec[c].header)
		for _, r := range rows {
			l.widths[c] = max(l.widths[c], utf8.RuneCountInString(r[c]))
		}
		if spec[c].max > 0 {
			l.widths[c] = min(l.widths[c], spec[c].max)
		}
		if spec[c].fill {
			fill = c
		}
	}
	if fill >= 0 {
		used := indent
		for _, c := range l.cols {
			if c != fill {
				used += l.widths[c] + len(tableGap)
			}
		}
		l.widths[fill] = max(min(l.widths[fill], tableMaxLine-used), tableMinLayer)
	}
	for _, r := range rows {
		for _, c := range l.cols {
			var cut bool
			r[c], cut = truncate(r[c], l.widths[c])
			l.cut = l.cut || cut
		}
	}
	return l
}

// header returns the column headers as a row.
func (l tableLayout) header() []string {
	h := make([]string, len(l.spec))
	for c, col := range l.spec {
		h[c] = col.header
	}
	return h
}

// row writes indent and the shown columns of cells, padded to their widths (the last one unpadded). style
// applies to the whole row; cellStyles, by column index, to single non-empty cells.
func (t *tableWriter) row(indent string, cells []string, l tableLayout, style string, cellStyles []string) {
	var b strings.Builder
	b.WriteString(indent)
	for i, c := range l.cols {
		cell := cells[c]
		if t.color && c < len(cellStyles) && cellStyles[c] != "" && cell != "" {
			cell = cellStyles[c] + cell + ansiReset
		}
		b.WriteString(cell)
		if i < len(l.cols)-1 {
			b.WriteString(strings.Repeat(" ", l.widths[c]-utf8.RuneCountInString(cells[c])))
			b.WriteString(tableGap)
		}
	}
	t.styled(strings.TrimRight(b.String(), " "), style)
}

func tableHeader(inv *model.Inventory) string {
	s := inv.Source
	parts := []string{"Source: " + clean(cmp.Or(s.Name, "unknown"))}
	if s.Kind != "" {
		parts[0] += " (" + clean(s.Kind) + ")"
	}
	switch {
	case s.Digest != "":
		parts = append(parts, "Digest: "+clean(s.Digest))
	case s.ImageID != "":
		parts = append(parts, "Image ID: "+clean(s.ImageID))
	}
	os := "unknown"
	if inv.OS != nil {
		os = cmp.Or(inv.OS.Name, strings.TrimSpace(inv.OS.Family+" "+inv.OS.Version), "unknown")
		if inv.OS.Distroless {
			os += " (distroless)"
		}
	}
	parts = append(parts, "OS: "+clean(os))
	return strings.Join(parts, "  ")
}

func tableFooter(entries []entry) string {
	counts := map[model.Ecosystem]int{}
	var order []model.Ecosystem // entries are sorted by ecosystem first
	for _, e := range entries {
		if counts[e.Ecosystem] == 0 {
			order = append(order, e.Ecosystem)
		}
		counts[e.Ecosystem]++
	}
	s := fmt.Sprintf("%d packages", len(entries))
	if len(entries) == 1 {
		s = "1 package"
	}
	if len(order) > 0 {
		per := make([]string, len(order))
		for i, eco := range order {
			per[i] = fmt.Sprintf("%s: %d", cmp.Or(string(eco), "unknown"), counts[eco])
		}
		s += " (" + strings.Join(per, ", ") + ")"
	}
	return clean(s)
}

func layerCell(l *model.LayerRef) string {
	if l == nil {
		return ""
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", l.Index, shortCreatedBy(l.CreatedBy)))
}

// clean makes data safe to print on a terminal: white space control characters become spaces, other control
// and format characters (escape sequences, bidi overrides) become U+FFFD.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r):
			return utf8.RuneError
		}
		return r
	}, s)
}

// truncate cuts s to at most width runes, the last being "…" when it was cut.
func truncate(s string, width int) (string, bool) {
	if utf8.RuneCountInString(s) <= width {
		return s, false
	}
	if width < 1 {
		return "", true
	}
	r := []rune(s)
	return string(r[:width-1]) + ellipsis, true
}
