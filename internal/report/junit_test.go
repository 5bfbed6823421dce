package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/hullscan/hullscan/internal/model"
)

// junitRead is the JUnit document as a CI system reads it.
type junitRead struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			ClassName string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut *string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, out []byte) junitRead {
	t.Helper()
	var doc junitRead
	dec := xml.NewDecoder(strings.NewReader(string(out)))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("not well-formed XML: %v", err)
	}
	// Nothing may follow the root element but white space.
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if cd, ok := tok.(xml.CharData); !ok || strings.TrimSpace(string(cd)) != "" {
			t.Fatalf("content after the root element: %#v", tok)
		}
	}
	return doc
}

// checkJUnitCounts checks that every count attribute agrees with the testcases, and returns the counts.
func checkJUnitCounts(t *testing.T, doc junitRead) (tests, failures, skipped int) {
	t.Helper()
	for _, s := range doc.Suites {
		var f, sk int
		for _, c := range s.Cases {
			if c.Failure != nil {
				f++
			}
			if c.Skipped != nil {
				sk++
			}
			if c.Failure != nil && c.Skipped != nil {
				t.Errorf("%s: both failed and skipped", c.Name)
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Skipped != sk {
			t.Errorf("suite %q says %d/%d/%d, has %d/%d/%d", s.Name, s.Tests, s.Failures, s.Skipped, len(s.Cases), f, sk)
		}
		tests += len(s.Cases)
		failures += f
		skipped += sk
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Skipped != skipped || doc.Errors != 0 {
		t.Errorf("testsuites says %d/%d/%d/%d errors, has %d/%d/%d", doc.Tests, doc.Failures, doc.Skipped, doc.Errors, tests, failures, skipped)
	}
	return tests, failures, skipped
}

func TestJUnitRich(t *testing.T) {
	m := readMatches(t, "rich")
	opts := testOptions()
	opts.Matches = m
	doc := parseJUnit(t, render(t, FormatJUnit, loadInventory(t, "rich"), opts))
	tests, failures, skipped := checkJUnitCounts(t, doc)

	var wantFail, wantSup int
	names := map[string]bool{}
	for _, f := range m.Findings {
		switch {
		case f.Suppressed != nil:
			wantSup++
		case f.FailedRule != "":
			wantFail++
		}
		names[f.ID+" "+f.Package+" "+f.Installed] = true
	}
	if tests != len(m.Findings)+len(m.Unchecked) || failures != wantFail || skipped != wantSup+len(m.Unchecked) {
		t.Errorf("tests %d failures %d skipped %d; want %d, %d, %d", tests, failures, skipped,
			len(m.Findings)+len(m.Unchecked), wantFail, wantSup+len(m.Unchecked))
	}
	if doc.Name != "hullscan" {
		t.Errorf("testsuites name %q", doc.Name)
	}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if s.Name == "not checked" {
				continue
			}
			if !names[c.Name] {
				t.Errorf("testcase %q is no finding, or repeated", c.Name)
			}
			delete(names, c.Name)
			if !strings.HasPrefix(s.Name, c.ClassName) {
				t.Errorf("testcase %s (class %s) in suite %s", c.Name, c.ClassName, s.Name)
			}
			switch {
			case c.Failure != nil:
				if c.Failure.Message != "severity CRITICAL, fixable" || c.Failure.Type != "CRITICAL" || !strings.Contains(c.Failure.Text, "Fixed in 1.2.6") {
					t.Errorf("failure %+v", c.Failure)
				}
			case c.Skipped != nil:
				if !strings.HasPrefix(c.Skipped.Message, "suppressed: ") {
					t.Errorf("skipped message %q", c.Skipped.Message)
				}
			default:
				if c.SystemOut == nil || !strings.Contains(*c.SystemOut, "Severity: ") {
					t.Errorf("passing testcase %s without severity and fix", c.Name)
				}
			}
		}
	}
	if len(names) > 0 {
		t.Errorf("findings without a testcase: %v", names)
	}
}

func TestJUnitEmpty(t *testing.T) {
	for _, m := range []*model.Matches{nil, {}} {
		opts := testOptions()
		opts.Matches = m
		doc := parseJUnit(t, render(t, FormatJUnit, loadInventory(t, "empty"), opts))
		if tests, _, _ := checkJUnitCounts(t, doc); tests != 0 || len(doc.Suites) != 0 {
			t.Errorf("matches %v: %d tests in %d suites", m, tests, len(doc.Suites))
		}
	}
}

func TestJUnitHostile(t *testing.T) {
	m := hostileReportMatches()
	opts := testOptions()
	opts.Matches = m
	out := render(t, FormatJUnit, loadInventory(t, "rich"), opts)
	doc := parseJUnit(t, out)
	tests, failures, skipped := checkJUnitCounts(t, doc)
	if tests != len(m.Findings)+len(m.Unchecked) || failures != 1 || skipped != 1+len(m.Unchecked) {
		t.Errorf("tests %d failures %d skipped %d", tests, failures, skipped)
	}
	// The data's own markup stays text: exactly one testcase element per finding or unchecked ecosystem.
	n := 0
	dec := xml.NewDecoder(bytes.NewReader(out))
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "testcase" {
			n++
		}
	}
	if n != tests {
		t.Errorf("%d testcase elements for %d tests", n, tests)
	}
	if strings.Contains(string(out), "\x1b") {
		t.Error("ANSI escapes reach the XML")
	}
	found := false
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil && strings.Contains(c.Failure.Text, "</testcase><testcase") {
				found = true
			}
		}
	}
	if !found {
		t.Error("the fixed version with markup did not come back as text")
	}
}
