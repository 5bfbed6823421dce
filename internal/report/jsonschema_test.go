package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hullscan/hullscan/internal/model"
)

// docs/schema/report.schema.json describes the json format for readers of hullscan's output. These tests keep it
// and the writer in step: every output validates, the schema rejects what the writer never writes, and its keys
// are exactly the JSON keys of the Go types.

const (
	reportSchemaFile = "report.schema.json"
	reportSchemaID   = "https://github.com/hullscan/hullscan/docs/schema/report.schema.json"
)

func reportSchemaPath() string { return filepath.Join("..", "..", "docs", "schema", reportSchemaFile) }

// reportSchema compiles the schema offline, asserting formats (date-time, date).
func reportSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(reportSchemaPath())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", reportSchemaFile, err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(offlineLoader{})
	c.AssertFormat()
	if err := c.AddResource(reportSchemaID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(reportSchemaID)
	if err != nil {
		t.Fatalf("compile %s: %v", reportSchemaFile, err)
	}
	return sch
}

// emptyMatches is what the matcher gives for an inventory without vulnerabilities, after the gate passed it.
func emptyMatches() *model.Matches {
	return &model.Matches{
		Findings: []model.Finding{},
		Database: model.DatabaseInfo{Path: "hullscan.db", Built: time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC), Schema: 1},
		Checked:  0,
		Verdict:  &model.Verdict{Passed: true, Rules: []string{"severity CRITICAL, fixable"}},
	}
}

// reportCases are the json outputs the schema must accept.
func reportCases(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, fx := range fixtures {
		out[fx] = render(t, FormatJSON, loadInventory(t, fx), testOptions())
	}
	opts := testOptions()
	opts.Matches = readMatches(t, "rich")
	out["rich+matches"] = render(t, FormatJSON, loadInventory(t, "rich"), opts)

	opts = testOptions()
	opts.Matches = emptyMatches()
	out["empty+no-findings"] = render(t, FormatJSON, loadInventory(t, "empty"), opts)

	// Without a gate verdict, with a local database time (written with its offset).
	m := emptyMatches()
	m.Verdict = nil
	m.Database.Built = time.Date(2026, 11, 27, 1, 2, 3, 456, time.FixedZone("CET", 3600))
	opts = testOptions()
	opts.Matches = m
	out["rich+no-findings-no-gate"] = render(t, FormatJSON, loadInventory(t, "rich"), opts)
	return out
}

func TestJSONReportSchema(t *testing.T) {
	sch := reportSchema(t)
	for name, out := range reportCases(t) {
		t.Run(name, func(t *testing.T) {
			validate(t, sch, out)
		})
	}
}

// TestJSONReportSchemaCoverage makes sure the rich fixture with matches exercises the parts of the schema that
// matter: every optional key of a finding, both kinds of suppression, a failed rule and an expired exception.
// Otherwise a key could be misspelt in the schema and the validation above would not notice.
func TestJSONReportSchemaCoverage(t *testing.T) {
	opts := testOptions()
	opts.Matches = readMatches(t, "rich")
	doc := jsonValue(t, render(t, FormatJSON, loadInventory(t, "rich"), opts))
	seen := map[string]bool{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				seen[path+"."+k] = true
				walk(path+"."+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path+"[]", x)
			}
		case string:
			seen[path+"="+v] = true
		}
	}
	walk("", doc)
	for _, want := range []string{
		".source.layers[].created_by", ".os.codename",
		".packages[].epoch", ".packages[].dependency", ".packages[].dev", ".packages[].evidence", ".packages[].os_package",
		".vulnerabilities.unchecked", ".vulnerabilities.skipped_dev", ".vulnerabilities.gate.expired_exceptions[].package",
		".vulnerabilities.findings[].aliases", ".vulnerabilities.findings[].matched_as", ".vulnerabilities.findings[].fixed_version",
		".vulnerabilities.findings[].cvss_score", ".vulnerabilities.findings[].cvss_vector", ".vulnerabilities.findings[].severity_source",
		".vulnerabilities.findings[].ratings[].vector", ".vulnerabilities.findings[].epss.date", ".vulnerabilities.findings[].kev.due_date",
		".vulnerabilities.findings[].published", ".vulnerabilities.findings[].failed_rule",
		".vulnerabilities.findings[].suppressed.kind=exception", ".vulnerabilities.findings[].suppressed.kind=vex",
		".vulnerabilities.findings[].suppressed.justification", ".vulnerabilities.findings[].suppressed.expires",
		".vulnerabilities.findings[].status=fixed", ".vulnerabilities.findings[].status=not-fixed", ".vulnerabilities.findings[].status=wont-fix",
	} {
		if !seen[want] {
			t.Errorf("the rich output has no %s: the schema is not checked there", want)
		}
	}
}

func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	return v
}

// at walks a path of object keys and array indexes ("vulnerabilities", "findings", 0) and returns the object or
// array it ends in.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %q", path, p)
			}
			v = m[p]
		case int:
			l, ok := v.([]any)
			if !ok || p >= len(l) {
				t.Fatalf("%v: no element %d", path, p)
			}
			v = l[p]
		}
	}
	return v
}

func obj(t *testing.T, v any, path ...any) map[string]any {
	t.Helper()
	m, ok := at(t, v, path...).(map[string]any)
	if !ok {
		t.Fatalf("%v is not an object", path)
	}
	return m
}

// findingWhere returns the first finding of doc that has key (with value val when val is not nil).
func findingWhere(t *testing.T, doc any, key string, val any) map[string]any {
	t.Helper()
	for _, f := range at(t, doc, "vulnerabilities", "findings").([]any) {
		m := f.(map[string]any)
		if x, ok := m[key]; ok && (val == nil || reflect.DeepEqual(x, val)) {
			return m
		}
	}
	t.Fatalf("no finding with %s = %v", key, val)
	return nil
}

// suppression returns the suppression of the first finding suppressed by kind.
func suppression(t *testing.T, doc any, kind string) map[string]any {
	t.Helper()
	for _, f := range at(t, doc, "vulnerabilities", "findings").([]any) {
		if s, ok := f.(map[string]any)["suppressed"].(map[string]any); ok && s["kind"] == kind {
			return s
		}
	}
	t.Fatalf("no finding suppressed by %s", kind)
	return nil
}

func rename(m map[string]any, from, to string) {
	m[to] = m[from]
	delete(m, from)
}

// TestJSONReportSchemaRejects mutates a valid output in the ways a writer change or a reader's wrong assumption
// would, and checks that the schema rejects each.
func TestJSONReportSchemaRejects(t *testing.T) {
	sch := reportSchema(t)
	opts := testOptions()
	opts.Matches = readMatches(t, "rich")
	valid := render(t, FormatJSON, loadInventory(t, "rich"), opts)
	if err := sch.Validate(jsonValue(t, valid)); err != nil {
		t.Fatalf("the unmutated output does not validate: %v", err)
	}
	for _, c := range []struct {
		name   string
		mutate func(doc any)
	}{
		// Renamed keys.
		{"renamed schema_version", func(d any) { rename(obj(t, d), "schema_version", "schemaVersion") }},
		{"renamed package key", func(d any) { rename(obj(t, d, "packages", 0), "source_name", "sourceName") }},
		{"renamed layer key", func(d any) { rename(obj(t, d, "source", "layers", 0), "diff_id", "diffID") }},
		{"renamed finding key", func(d any) { rename(obj(t, d, "vulnerabilities", "findings", 0), "installed_version", "installed") }},
		{"renamed failed_rule", func(d any) { rename(findingWhere(t, d, "failed_rule", nil), "failed_rule", "failedRule") }},
		{"renamed suppression key", func(d any) { rename(suppression(t, d, "exception"), "source", "where") }},
		{"renamed gate", func(d any) { rename(obj(t, d, "vulnerabilities"), "gate", "verdict") }},
		{"renamed gate key", func(d any) { rename(obj(t, d, "vulnerabilities", "gate"), "failing", "failed") }},
		{"renamed expired_exceptions", func(d any) { rename(obj(t, d, "vulnerabilities", "gate"), "expired_exceptions", "expired") }},
		{"renamed database key", func(d any) { rename(obj(t, d, "vulnerabilities", "database"), "schema_version", "schema") }},
		{"renamed kev key", func(d any) {
			rename(findingWhere(t, d, "kev", nil)["kev"].(map[string]any), "known_ransomware_use", "ransomware")
		}},
		{"unknown top-level key", func(d any) { obj(t, d)["timestamp"] = "2024-03-01T12:00:00Z" }},

		// Bad values.
		{"schema_version 2", func(d any) { obj(t, d)["schema_version"] = "2" }},
		{"schema_version a number", func(d any) { obj(t, d)["schema_version"] = 1.0 }},
		{"lower-case severity", func(d any) { obj(t, d, "vulnerabilities", "findings", 0)["severity"] = "critical" }},
		{"unknown severity", func(d any) { obj(t, d, "vulnerabilities", "findings", 0)["severity"] = "NONE" }},
		{"bad rating severity", func(d any) { obj(t, findingWhere(t, d, "ratings", nil), "ratings", 0)["severity"] = "SEVERE" }},
		{"bad rating method", func(d any) { obj(t, findingWhere(t, d, "ratings", nil), "ratings", 0)["method"] = "CVSSv3.1" }},
		{"bad status", func(d any) { obj(t, d, "vulnerabilities", "findings", 0)["status"] = "fixed-later" }},
		{"fixed_version without a fix", func(d any) {
			findingWhere(t, d, "status", "not-fixed")["fixed_version"] = "1.0"
		}},
		{"bad suppression kind", func(d any) { suppression(t, d, "exception")["kind"] = "waiver" }},
		{"exception with a VEX status", func(d any) {
			suppression(t, d, "exception")["classification"] = "not_affected"
		}},
		{"suppressed and failing", func(d any) { findingWhere(t, d, "suppressed", nil)["failed_rule"] = "severity CRITICAL" }},
		{"passed with failures", func(d any) { obj(t, d, "vulnerabilities", "gate")["passed"] = true }},
		{"upper-case ecosystem", func(d any) { obj(t, d, "packages", 0)["ecosystem"] = "Debian" }},
		{"unknown source kind", func(d any) { obj(t, d, "source")["kind"] = "tarball" }},
		{"bad purl", func(d any) { obj(t, d, "packages", 0)["purl"] = "deb/debian/apt@2.6.1" }},
		{"bad database time", func(d any) { obj(t, d, "vulnerabilities", "database")["built"] = "2026-11-27 01:02:36" }},
		{"bad expiry date", func(d any) {
			suppression(t, d, "exception")["expires"] = "2027-02-30"
		}},
		{"negative layer index", func(d any) { obj(t, d, "source", "layers", 0)["index"] = -1.0 }},
		{"fractional count", func(d any) { obj(t, d, "vulnerabilities")["checked"] = 1.5 }},
		{"empty omitempty string", func(d any) { obj(t, d, "packages", 0)["arch"] = "" }},
		{"distroless false", func(d any) { obj(t, d, "os")["distroless"] = false }},
		{"null findings", func(d any) { obj(t, d, "vulnerabilities")["findings"] = nil }},
		{"null warnings", func(d any) { obj(t, d)["warnings"] = nil }},
		{"empty advisories", func(d any) { obj(t, d, "vulnerabilities", "findings", 0)["advisories"] = []any{} }},

		// Missing required keys.
		{"missing os", func(d any) { delete(obj(t, d), "os") }},
		{"missing packages", func(d any) { delete(obj(t, d), "packages") }},
		{"missing tool name", func(d any) { delete(obj(t, d, "tool"), "name") }},
		{"missing package location", func(d any) { delete(obj(t, d, "packages", 0), "location") }},
		{"missing finding status", func(d any) { delete(obj(t, d, "vulnerabilities", "findings", 0), "status") }},
		{"missing finding severity", func(d any) { delete(obj(t, d, "vulnerabilities", "findings", 0), "severity") }},
		{"missing database built", func(d any) { delete(obj(t, d, "vulnerabilities", "database"), "built") }},
		{"missing suppression source", func(d any) { delete(suppression(t, d, "exception"), "source") }},
		{"missing exception owner", func(d any) { delete(suppression(t, d, "exception"), "owner") }},
		{"VEX with an owner", func(d any) { suppression(t, d, "vex")["owner"] = "team" }},
		{"missing gate rules", func(d any) { delete(obj(t, d, "vulnerabilities", "gate"), "rules") }},
		{"missing expired matches", func(d any) { delete(obj(t, d, "vulnerabilities", "gate", "expired_exceptions", 0), "matches") }},
		{"missing kev date", func(d any) { delete(findingWhere(t, d, "kev", nil)["kev"].(map[string]any), "date_added") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := jsonValue(t, valid)
			c.mutate(doc)
			err := sch.Validate(doc)
			if err == nil {
				t.Fatalf("the schema accepts the output with %s", c.name)
			}
			t.Logf("rejected: %v", err)
		})
	}
}

// TestJSONReportSchemaKeys compares each closed object of the schema with the Go type the writer serialises
// there: the same keys, and required exactly where the field has no omitempty (the writer always writes it). A
// field added to the model without the schema (or the other way round) fails here even when no fixture has it.
func TestJSONReportSchemaKeys(t *testing.T) {
	b, err := os.ReadFile(reportSchemaPath())
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pointer string
		typ     any
	}{
		{"", jsonDoc{}},
		{"/properties/tool", jsonTool{}},
		{"/$defs/source", jsonSource{}},
		{"/$defs/layer", jsonLayer{}},
		{"/$defs/layer", model.LayerRef{}},
		{"/$defs/os", jsonOS{}},
		{"/$defs/package", jsonPackage{}},
		{"/$defs/matches", model.Matches{}},
		{"/$defs/matches/properties/database", model.DatabaseInfo{}},
		{"/$defs/matches/properties/unchecked/items", model.Unchecked{}},
		{"/$defs/finding", model.Finding{}},
		{"/$defs/finding/properties/epss", model.EPSS{}},
		{"/$defs/finding/properties/kev", model.KEV{}},
		{"/$defs/rating", model.Rating{}},
		{"/$defs/suppression", model.Suppression{}},
		{"/$defs/verdict", model.Verdict{}},
		{"/$defs/verdict/properties/expired_exceptions/items", model.ExpiredException{}},
	} {
		typ := reflect.TypeOf(c.typ)
		t.Run(typ.String(), func(t *testing.T) {
			var s any = root
			for _, k := range strings.Split(c.pointer, "/")[1:] {
				s, _ = s.(map[string]any)[k]
			}
			sch, ok := s.(map[string]any)
			if !ok {
				t.Fatalf("no schema at %q", c.pointer)
			}
			if sch["additionalProperties"] != false {
				t.Errorf("%q: additionalProperties is not false", c.pointer)
			}
			var keys, required []string
			for i := 0; i < typ.NumField(); i++ {
				name, opts, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
				if name == "-" || !typ.Field(i).IsExported() {
					continue
				}
				keys = append(keys, name)
				if !slices.Contains(strings.Split(opts, ","), "omitempty") {
					required = append(required, name)
				}
			}
			var schemaKeys, schemaRequired []string
			props, _ := sch["properties"].(map[string]any)
			for k := range props {
				schemaKeys = append(schemaKeys, k)
			}
			req, _ := sch["required"].([]any)
			for _, k := range req {
				schemaRequired = append(schemaRequired, k.(string))
			}
			for _, l := range [][]string{keys, required, schemaKeys, schemaRequired} {
				sort.Strings(l)
			}
			if !slices.Equal(keys, schemaKeys) {
				t.Errorf("%q: schema properties %v, Go JSON keys %v", c.pointer, schemaKeys, keys)
			}
			if !slices.Equal(required, schemaRequired) {
				t.Errorf("%q: schema requires %v, the writer always writes %v", c.pointer, schemaRequired, required)
			}
		})
	}
}
