package vex

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRead reads arbitrary bytes as a VEX document: it must fail with an error naming the document or return
// statements that hold what Read promises, and matching against them must not panic.
func FuzzRead(f *testing.F) {
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") || strings.HasSuffix(path, "_schema.json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil {
			f.Add(b)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"@context": "https://openvex.dev/ns", "statements": [{"vulnerability": "CVE-1", "products": ["pkg:oci/a@sha256:0"], "subcomponents": [{"@id": "pkg:npm/x"}], "status": "fixed"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<20 {
			return
		}
		doc, err := Read(bytes.NewReader(b), "fuzz.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "read fuzz.json: ") {
				t.Fatalf("error does not name the document: %v", err)
			}
			return
		}
		if doc.Format != FormatOpenVEX && doc.Format != FormatCycloneDX {
			t.Fatalf("format %q", doc.Format)
		}
		for _, st := range doc.Statements {
			if st.Vulnerability == "" || !validStatus(st.Status) {
				t.Fatalf("statement %d: vulnerability %q status %q", st.Index, st.Vulnerability, st.Status)
			}
			if st.Status == StatusNotAffected && st.Justification == "" && strings.TrimSpace(st.Impact) == "" {
				t.Fatalf("statement %d: not_affected without a reason", st.Index)
			}
			ids := append([]string{st.Vulnerability}, st.Aliases...)
			for _, p := range st.Products {
				targets := []string{p.PURL, p.ID, "registry.example.com/app:1.4", digest, "."}
				doc.MatchPackage(ids, p.ID, p.PURL, targets)
				for _, sc := range p.Subcomponents {
					doc.MatchPackage(ids, sc.ID, sc.PURL, targets)
				}
			}
		}
	})
}
