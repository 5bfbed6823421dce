package gate

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// The JSON schemas in docs/schema are what editors check the files with; they must agree with the parsers on
// the examples and on the malformed files a schema can recognise.

func loadSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join("..", "..", "docs", "schema", name)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

// yamlValue turns a YAML document into the JSON value an editor's YAML language server validates: YAML 1.2 core
// types, so an unquoted date stays a string.
func yamlValue(t *testing.T, data string) any {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(data), &n); err != nil {
		t.Fatal(err)
	}
	if len(n.Content) == 0 {
		return map[string]any{}
	}
	var conv func(*yaml.Node) any
	conv = func(n *yaml.Node) any {
		switch n.Kind {
		case yaml.MappingNode:
			m := map[string]any{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				m[n.Content[i].Value] = conv(n.Content[i+1])
			}
			return m
		case yaml.SequenceNode:
			var l []any
			for _, c := range n.Content {
				l = append(l, conv(c))
			}
			return l
		}
		switch n.Tag {
		case "!!int":
			i, _ := strconv.Atoi(n.Value)
			return i
		case "!!float":
			f, _ := strconv.ParseFloat(n.Value, 64)
			return f
		case "!!bool":
			return n.Value == "true"
		case "!!null":
			return nil
		}
		return n.Value
	}
	return conv(n.Content[0])
}

func TestExceptionsSchema(t *testing.T) {
	s := loadSchema(t, "exceptions.schema.json")
	example, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", "exceptions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	valid := []string{string(example), exc("CVE-1"), exc("GHSA-xvch-5gv4-984h", "scope: registry.example.com/**", "purl: pkg:npm/minimist"), "exceptions:\n"}
	for _, v := range valid {
		if _, err := ParseExceptions([]byte(v), "x.yaml", nil, date("2026-11-27")); err != nil {
			t.Errorf("parser rejects a valid file: %v", err)
		}
		if err := s.Validate(yamlValue(t, v)); err != nil {
			t.Errorf("schema rejects a valid file:\n%s\n%v", v, err)
		}
	}
	invalid := []string{
		"exceptions:\n  - id: CVE-1\n    classification: accepted-risk\n    reason: r\n    expires: 2027-01-01\n",              // no owner
		"exceptions:\n  - id: CVE-1\n    classification: accepted-risk\n    owner: o\n    reason: r\n",                         // no expires
		"exceptions:\n  - id: CVE-1\n    classification: wontfix\n    owner: o\n    reason: r\n    expires: 2027-01-01\n",      // classification
		"exceptions:\n  - id: CVE-1\n    classification: accepted-risk\n    owner: o\n    reason: r\n    expiry: 2027-01-01\n", // typo
		"exceptions:\n  - id: CVE-1\n    classification: accepted-risk\n    owner: o\n    reason: r\n    expires: soon\n",      // not a date
		"exceptions:\n  - id: CVE-2021-*\n    classification: accepted-risk\n    owner: o\n    reason: r\n    expires: 2027-01-01\n",
		"exceptions:\n  - id: CVE-1\n    classification: accepted-risk\n    owner: \" \"\n    reason: r\n    expires: 2027-01-01\n",
		"exception: []\n",
	}
	for _, v := range invalid {
		if _, err := ParseExceptions([]byte(v), "x.yaml", nil, date("2026-11-27")); err == nil {
			t.Errorf("parser accepts:\n%s", v)
		}
		if err := s.Validate(yamlValue(t, v)); err == nil {
			t.Errorf("schema accepts:\n%s", v)
		}
	}
}

func TestPolicySchema(t *testing.T) {
	s := loadSchema(t, "policy.schema.json")
	example, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", "hullscan.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	valid := []string{string(example), "fail: [{severity: HIGH, epss: 0.5}]\nvex: a.json\n", ""}
	for _, v := range valid {
		if _, err := ParsePolicy([]byte(v), "hullscan.yaml"); err != nil {
			t.Errorf("parser rejects a valid file: %v", err)
		}
		if err := s.Validate(yamlValue(t, v)); err != nil {
			t.Errorf("schema rejects a valid file:\n%s\n%v", v, err)
		}
	}
	for _, v := range []string{"fail: []\n", "fail: [{}]\n", "fail: [{severity: SEVERE}]\n", "fail: [{fixed: true}]\n",
		"fail: [{epss: 2}]\n", "rules: []\n", "exceptions: {max_lifetime: {wont-fix: 3d}}\n", "fail: [{min_age: a month}]\n"} {
		if _, err := ParsePolicy([]byte(v), "hullscan.yaml"); err == nil {
			t.Errorf("parser accepts %q", v)
		}
		if err := s.Validate(yamlValue(t, v)); err == nil {
			t.Errorf("schema accepts %q", v)
		}
	}
}
