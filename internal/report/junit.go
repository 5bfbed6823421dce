package report

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
)

// The junit format: JUnit XML as CI systems (GitLab, Jenkins, Azure Pipelines, GitHub test reporters) read it
// (docs/reports.md). One testsuite per package database (location and layer), one testcase per finding:
//
//   - a finding that fails a gate rule is a <failure>, its message the rule and its type the severity;
//   - a suppressed finding is <skipped>, its message the suppression;
//   - any other finding passes (the gate does not fail on it), with its severity and fix in <system-out>.
//
// Packages that could not be checked are skipped testcases of a last testsuite, "not checked", so that a CI
// dashboard never shows them as passed silently.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitFailure `xml:"failure"`
	Skipped   *junitSkipped `xml:"skipped"`
	SystemOut *junitText    `xml:"system-out"`
}

// junitText is written as CDATA, so that multi-line details stay readable (the text never holds "]]>" unsplit:
// encoding/xml splits it, and plain has removed the characters XML forbids).
type junitText struct {
	Text string `xml:",cdata"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func writeJUnit(w io.Writer, inv *model.Inventory, opts Options) error {
	m := opts.Matches
	ts := opts.now().Format("2006-01-02T15:04:05")

	type group struct {
		location string
		layer    *model.LayerRef
		cases    []junitCase
		failures int
		skipped  int
	}
	groups := map[string]*group{}
	for _, f := range sortedFindings(m) {
		key := f.Location + "\x00" + layerKey(f.Layer)
		g := groups[key]
		if g == nil {
			g = &group{location: f.Location, layer: f.Layer}
			groups[key] = g
		}
		c := junitCase{
			ClassName: cmp.Or(plain(f.Location), "unknown"),
			Name:      plain(f.ID + " " + f.Package + " " + f.Installed),
		}
		switch {
		case f.Suppressed != nil:
			c.Skipped = &junitSkipped{Message: "suppressed: " + plain(suppressionText(f.Suppressed))}
			g.skipped++
		case f.FailedRule != "":
			c.Failure = &junitFailure{Message: plain(f.FailedRule), Type: string(normSeverity(f.Severity)), Text: junitDetails(f)}
			g.failures++
		default:
			c.SystemOut = &junitText{Text: junitDetails(f)}
		}
		g.cases = append(g.cases, c)
	}
	sorted := make([]*group, 0, len(groups))
	for _, g := range groups {
		sorted = append(sorted, g)
	}
	slices.SortFunc(sorted, func(a, b *group) int {
		return cmp.Or(strings.Compare(a.location, b.location), strings.Compare(layerKey(a.layer), layerKey(b.layer)))
	})

	doc := junitSuites{Name: "hullscan"}
	add := func(s junitSuite) {
		s.Tests = len(s.Cases)
		doc.Suites = append(doc.Suites, s)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Skipped += s.Skipped
	}
	for _, g := range sorted {
		name := cmp.Or(plain(g.location), "unknown")
		if l := g.layer; l != nil {
			name += fmt.Sprintf(" (layer %d", l.Index)
			if c := plain(shortCreatedBy(l.CreatedBy)); c != "" {
				name += ": " + c
			}
			name += ")"
		}
		add(junitSuite{Name: name, Failures: g.failures, Skipped: g.skipped, Timestamp: ts, Cases: g.cases})
	}
	if m != nil && len(m.Unchecked) > 0 {
		s := junitSuite{Name: "not checked", Timestamp: ts}
		for _, u := range m.Unchecked {
			s.Cases = append(s.Cases, junitCase{
				ClassName: "not checked",
				Name:      plain(fmt.Sprintf("%s (%d packages)", u.Ecosystem, u.Packages)),
				Skipped:   &junitSkipped{Message: plain(uncheckedText(u))},
			})
			s.Skipped++
		}
		add(s)
	}

	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitDetails is the text CI systems show under a testcase: what is affected, how to fix it, where it came
// from.
func junitDetails(f *model.Finding) string {
	lines := []string{
		plain(findingSentence(f)),
		"Severity: " + string(normSeverity(f.Severity)) + junitScore(f),
	}
	if f.FailedRule != "" {
		lines = append(lines, "Fails the gate rule: "+plain(f.FailedRule))
	}
	if f.KEV != nil {
		lines = append(lines, "Known exploited (CISA KEV, added "+plain(f.KEV.DateAdded)+")")
	}
	if t := plain(f.Title); t != "" {
		lines = append(lines, "Title: "+t)
	}
	if u := firstURL(f); u != "" {
		lines = append(lines, "More: "+u)
	}
	return strings.Join(lines, "\n")
}

func junitScore(f *model.Finding) string {
	if f.CVSSScore <= 0 {
		return ""
	}
	return fmt.Sprintf(" (CVSS %.1f)", f.CVSSScore)
}
