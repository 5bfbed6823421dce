package gate

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hullscan/hullscan/internal/model"
)

// DefaultPolicyFile is read from the working directory when no --policy flag names a file.
const DefaultPolicyFile = "hullscan.yaml"

// Policy is a parsed policy file:
//
//	version: 1
//	fail:                        # the gate fails when any rule matches an unsuppressed finding
//	  - severity: [CRITICAL]
//	    fixable: true
//	  - kev: true
//	  - name: stale highs
//	    severity: [HIGH]
//	    fixable: true
//	    min_age: 30d             # published at least 30 days ago
//	    ecosystem: [npm, pypi]
//	    package: ["lodash", "pkg:npm/minimist"]
//	exceptions:
//	  file: .hullscan/exceptions.yaml
//	  max_lifetime: {accepted-risk: 90d, false-positive: 365d, fix-scheduled: 30d}
//	vex: [vex/app.openvex.json]
type Policy struct {
	File           string
	Rules          []Rule
	ExceptionsFile string // relative paths are relative to the policy file's directory
	Lifetimes      Lifetimes
	VEX            []string
}

// LoadPolicy reads and checks a policy file.
func LoadPolicy(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return ParsePolicy(data, path)
}

// ParsePolicy reads a policy file; every problem is reported with its line.
func ParsePolicy(data []byte, file string) (*Policy, error) {
	top, err := parseYAML(data, file)
	if err != nil {
		return nil, err
	}
	e := &fileErrors{file: file}
	p := &Policy{File: file, Lifetimes: Lifetimes{}}
	for k, v := range DefaultLifetimes {
		p.Lifetimes[k] = v
	}
	sawFail := false
	mapping(e, top, "policy", map[string]func(*yaml.Node){
		"version": func(v *yaml.Node) {
			if s, ok := scalar(e, v, "version"); ok && s != "1" {
				e.at(v, "version %q: this hullscan reads version 1", s)
			}
		},
		"fail": func(v *yaml.Node) {
			sawFail = true
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
				e.at(v, "fail: want a list of at least one rule (leave the key out for the default rule)")
				return
			}
			for i, n := range v.Content {
				if r, ok := parseRule(e, n, i+1); ok {
					p.Rules = append(p.Rules, r)
				}
			}
		},
		"exceptions": func(v *yaml.Node) {
			mapping(e, v, "exceptions", map[string]func(*yaml.Node){
				"file": func(v *yaml.Node) { p.ExceptionsFile, _ = scalar(e, v, "exceptions.file") },
				"max_lifetime": func(v *yaml.Node) {
					known := map[string]func(*yaml.Node){}
					for _, c := range Classifications() {
						known[c] = func(v *yaml.Node) {
							s, ok := scalar(e, v, "max_lifetime."+c)
							if !ok {
								return
							}
							d, err := parseDays(s)
							if err != nil || d == 0 {
								e.at(v, "max_lifetime.%s: %q: want a positive number of days (e.g. 90d)", c, s)
								return
							}
							p.Lifetimes[c] = d
						}
					}
					mapping(e, v, "exceptions.max_lifetime", known)
				},
			})
		},
		"vex": func(v *yaml.Node) { p.VEX = list(e, v, "vex") },
	})
	if err := e.err(); err != nil {
		return nil, err
	}
	if !sawFail {
		p.Rules = []Rule{DefaultRule}
	}
	return p, nil
}

func ecosystemList() string {
	var s []string
	for _, e := range model.Ecosystems() {
		s = append(s, string(e))
	}
	return strings.Join(s, ", ")
}

func parseRule(e *fileErrors, n *yaml.Node, idx int) (Rule, bool) {
	before := len(e.errs)
	var r Rule
	what := func(k string) string { return fmt.Sprintf("rule %d: %s", idx, k) }
	mapping(e, n, fmt.Sprintf("rule %d", idx), map[string]func(*yaml.Node){
		"name": func(v *yaml.Node) { r.Name, _ = scalar(e, v, what("name")) },
		"severity": func(v *yaml.Node) {
			sevs, err := ParseSeverities(strings.Join(list(e, v, what("severity")), ","))
			if err != nil {
				e.at(v, "%s: %v", what("severity"), err)
			}
			r.Severities = sevs
		},
		"fixable": func(v *yaml.Node) { r.Fixable = boolean(e, v, what("fixable")) },
		"kev":     func(v *yaml.Node) { r.KEV = boolean(e, v, what("kev")) },
		"epss": func(v *yaml.Node) {
			s, ok := scalar(e, v, what("epss"))
			if !ok {
				return
			}
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || f <= 0 || f > 1 {
				e.at(v, "%s: %q: want a score above 0 and at most 1", what("epss"), s)
			}
			r.EPSS = f
		},
		"min_age": func(v *yaml.Node) {
			s, ok := scalar(e, v, what("min_age"))
			if !ok {
				return
			}
			d, err := parseDays(s)
			if err != nil {
				e.at(v, "%s: %v", what("min_age"), err)
			}
			r.MinAgeDays = d
		},
		"ecosystem": func(v *yaml.Node) {
			r.Ecosystems = list(e, v, what("ecosystem"))
			for _, eco := range r.Ecosystems {
				if !slices.Contains(model.Ecosystems(), model.Ecosystem(strings.ToLower(eco))) {
					e.at(v, "%s: %q is not an ecosystem hullscan knows (want purl types: %s)", what("ecosystem"), eco, ecosystemList())
				}
			}
		},
		"package": func(v *yaml.Node) { r.Packages = list(e, v, what("package")) },
	})
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		e.at(n, "rule %d is empty: it would fail on every finding; say so with severity: [UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL]", idx)
	}
	if err := r.compile(); err != nil {
		e.at(n, "rule %d: %v", idx, err)
	}
	return r, len(e.errs) == before
}
