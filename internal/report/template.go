package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/template"
	"time"

	"github.com/hullscan/hullscan/internal/model"
)

// The template format executes the user's Go text/template (Options.Template) on a TemplateData
// (docs/reports.md has the fields, the functions and an example).

// TemplateData is what a template sees as ".". It is a copy: a template cannot change the scan.
type TemplateData struct {
	// Source is what was scanned (kind, name, digest, layers...).
	Source model.Source
	// OS is the operating system found, or nil.
	OS *model.OS
	// Packages are the inventory's packages, sorted by ecosystem, name, version, arch and location.
	Packages []model.Package
	// Findings are the vulnerability findings, suppressed ones included (their Suppressed is set), most severe
	// first. It is nil when the packages were not matched (see Matched).
	Findings []model.Finding
	// Matched tells whether the packages were matched against the vulnerability database at all: without it,
	// no findings means nothing.
	Matched bool
	// Verdict is the gate's decision, or nil when the gate did not run.
	Verdict *model.Verdict
	// Database names the vulnerability database used, or nil.
	Database *model.DatabaseInfo
	// Unchecked counts the packages that could not be checked, by ecosystem.
	Unchecked []model.Unchecked
	// Warnings are the inventory's warnings (sorted), then the matcher's.
	Warnings []string
	// ToolVersion is hullscan's version.
	ToolVersion string
}

// templateName is the name parse and execution errors give the template ("template:3: ...").
const templateName = "template"

func writeTemplate(w io.Writer, inv *model.Inventory, opts Options) error {
	if strings.TrimSpace(opts.Template) == "" {
		return errors.New("no template text given")
	}
	t, err := template.New(templateName).Funcs(templateFuncs(opts)).Option("missingkey=error").Parse(opts.Template)
	if err != nil {
		return fmt.Errorf("parsing the template: %w", err)
	}
	if err := t.Execute(w, templateData(inv, opts)); err != nil {
		return fmt.Errorf("executing the template: %w", err)
	}
	return nil
}

func templateData(inv *model.Inventory, opts Options) TemplateData {
	d := TemplateData{
		Source:      inv.Source,
		OS:          inv.OS,
		ToolVersion: opts.ToolVersion,
		Warnings:    allWarnings(inv, opts.Matches),
	}
	for _, e := range sortedPackages(inv) {
		d.Packages = append(d.Packages, *e.Package)
	}
	if m := opts.Matches; m != nil {
		d.Matched = true
		d.Findings = []model.Finding{}
		for _, f := range sortedFindings(m) {
			d.Findings = append(d.Findings, *f)
		}
		d.Verdict = m.Verdict
		db := m.Database
		d.Database = &db
		d.Unchecked = m.Unchecked
	}
	return d
}

// templateFuncs are the functions a template may call besides text/template's own (and, or, index, len,
// printf, html, js, urlquery...).
func templateFuncs(opts Options) template.FuncMap {
	return template.FuncMap{
		// join joins strings with a separator: {{ join ", " .Aliases }} or {{ .Aliases | join ", " }}.
		"join":  func(sep string, s []string) string { return strings.Join(s, sep) },
		"upper": func(s any) string { return strings.ToUpper(fmt.Sprint(s)) },
		"lower": func(s any) string { return strings.ToLower(fmt.Sprint(s)) },
		// escapeXML escapes text for XML content and attribute values.
		"escapeXML": func(s any) (string, error) {
			var b bytes.Buffer
			err := xml.EscapeText(&b, []byte(fmt.Sprint(s)))
			return b.String(), err
		},
		// escapeCSV quotes one CSV field (RFC 4180) and defuses spreadsheet formulas (see csvField).
		"escapeCSV": func(s any) string { return csvField(fmt.Sprint(s)) },
		// toJSON encodes any value as compact JSON.
		"toJSON": func(v any) (string, error) {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				return "", err
			}
			return strings.TrimSuffix(b.String(), "\n"), nil
		},
		// severityRank orders severities: UNKNOWN 0, LOW 1, MEDIUM 2, HIGH 3, CRITICAL 4.
		"severityRank": func(s any) int { return model.SeverityRank(model.Severity(strings.ToUpper(fmt.Sprint(s)))) },
		// now is the report time (Options.Now), in UTC.
		"now": func() time.Time { return opts.now() },
	}
}

// csvField quotes a CSV field when it holds a comma, quote or line break, doubling quotes. A field that a
// spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return) gets a leading "'", as
// OWASP recommends: report data comes from package metadata anyone can write. Invalid UTF-8 becomes U+FFFD.
func csvField(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		s = "'" + s
	}
	if strings.ContainsAny(s, ",\"\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
