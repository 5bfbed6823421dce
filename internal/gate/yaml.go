package gate

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The policy and exceptions files are read from yaml.Node trees rather than decoded into structs: people edit
// them by hand, so every error names the line it is on, and unknown keys (a typo such as "expiry:") are errors
// instead of being ignored — an ignored "expires" would make an exception last for ever.

// fileErrors collects every problem in a file, each with its line, so that one lint run shows them all.
type fileErrors struct {
	file string
	errs []error
}

func (e *fileErrors) at(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	e.errs = append(e.errs, fmt.Errorf("%s:%d: %s", e.file, line, fmt.Sprintf(format, args...)))
}

func (e *fileErrors) err() error { return errors.Join(e.errs...) }

// parseYAML reads a document whose top level must be a mapping. An empty document is an empty mapping.
func parseYAML(data []byte, file string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// yaml.v3's messages already carry "line N"; prefix the file.
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode, Line: 1}, nil
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping at the top level", file, top.Line)
	}
	return top, nil
}

// mapping walks a mapping node's keys, rejecting unknown and repeated ones. known maps each allowed key to its
// handler.
func mapping(e *fileErrors, n *yaml.Node, what string, known map[string]func(v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		e.at(n, "%s: want a mapping", what)
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		h, ok := known[k.Value]
		switch {
		case !ok:
			e.at(k, "%s: unknown key %q (want one of %s)", what, k.Value, keyList(known))
		case seen[k.Value]:
			e.at(k, "%s: %q given twice", what, k.Value)
		default:
			seen[k.Value] = true
			h(v)
		}
	}
}

func keyList(known map[string]func(*yaml.Node)) string {
	keys := make([]string, 0, len(known))
	for k := range known {
		keys = append(keys, k)
	}
	// A stable order for messages.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return strings.Join(keys, ", ")
}

func scalar(e *fileErrors, n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		e.at(n, "%s: want a single value", what)
		return "", false
	}
	return n.Value, true
}

func boolean(e *fileErrors, n *yaml.Node, what string) bool {
	s, ok := scalar(e, n, what)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil || n.Tag != "!!bool" {
		e.at(n, "%s: want true or false, not %q", what, s)
	}
	return b
}

// list accepts a sequence of values, or one value standing for a list of one.
func list(e *fileErrors, n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode {
		if s, ok := scalar(e, n, what); ok {
			return []string{s}
		}
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		e.at(n, "%s: want a list", what)
		return nil
	}
	var out []string
	for _, c := range n.Content {
		if s, ok := scalar(e, c, what); ok {
			out = append(out, s)
		}
	}
	return out
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// parseDate reads YYYY-MM-DD as a UTC day.
func parseDate(s string) (time.Time, error) {
	if !dateRE.MatchString(s) {
		return time.Time{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date: %w", s, err)
	}
	return t, nil
}

var daysRE = regexp.MustCompile(`^(\d{1,5})\s*([dw]?)$`)

// parseDays reads a number of days: "90d", "12w" or a bare "90".
func parseDays(s string) (int, error) {
	m := daysRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a number of days (want e.g. 30d or 4w)", s)
	}
	n, _ := strconv.Atoi(m[1])
	if m[2] == "w" {
		n *= 7
	}
	return n, nil
}

// day truncates t to its UTC date: exceptions expire by the calendar, not by the hour.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
