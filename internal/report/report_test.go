package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hullscan/hullscan/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden from the current output")

// fixtures are the inventories in testdata/, by name.
var fixtures = []string{"rich", "empty"}

// goldenExt is the golden file extension of each format.
var goldenExt = map[string]string{
	FormatTable:     ".txt",
	FormatJSON:      ".json",
	FormatCycloneDX: ".cdx.json",
	FormatSPDX:      ".spdx.json",
	FormatSARIF:     ".sarif.json",
	FormatGitLab:    ".gitlab.json",
	FormatJUnit:     ".junit.xml",
	FormatMarkdown:  ".md",
	FormatTemplate:  ".template.csv",
	FormatOpenVEX:   ".openvex.json",
}

// vulnFormats are the vulnerability reports: their golden files of the rich fixture are written with the
// findings of testdata/matches-rich.json, those of the empty fixture without matches.
var vulnFormats = map[string]bool{FormatSARIF: true, FormatGitLab: true, FormatJUnit: true, FormatMarkdown: true, FormatTemplate: true, FormatOpenVEX: true}

// formatOptions are testOptions with what a format of the golden runs needs: the matches for the vulnerability
// formats of the rich fixture, and the CSV template of testdata/templates.
func formatOptions(t testing.TB, format, fixture string) Options {
	t.Helper()
	opts := testOptions()
	if !vulnFormats[format] {
		return opts
	}
	if fixture == "rich" {
		opts.Matches = readMatches(t, "rich")
	}
	if format == FormatTemplate {
		b, err := os.ReadFile(filepath.Join("testdata", "templates", "findings.csv.tmpl"))
		if err != nil {
			t.Fatal(err)
		}
		opts.Template = string(b)
	}
	return opts
}

// readMatches reads testdata/matches-NAME.json, strictly.
func readMatches(t testing.TB, name string) *model.Matches {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "matches-"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m model.Matches
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("matches-%s.json: %v", name, err)
	}
	return &m
}

const testSerial = "3c1f6b2e-8a4d-4f7e-9b2c-5d6e7f8a9b0c"

// testOptions fixes everything that would otherwise vary. The clock is deliberately not in UTC.
func testOptions() Options {
	return Options{
		ToolVersion: "0.1.0-test",
		Now: func() time.Time {
			return time.Date(2024, 3, 1, 13, 34, 56, 789, time.FixedZone("CET", 3600))
		},
		Serial: testSerial,
	}
}

func loadInventory(t testing.TB, name string) *model.Inventory {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "inventory-"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var inv model.Inventory
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&inv); err != nil {
		t.Fatalf("inventory-%s.json: %v", name, err)
	}
	return &inv
}

func render(t testing.TB, format string, inv *model.Inventory, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, format, inv, opts); err != nil {
		t.Fatalf("Write(%s): %v", format, err)
	}
	return buf.Bytes()
}

func TestFormats(t *testing.T) {
	want := []string{"table", "json", "cyclonedx", "spdx", "sarif", "gitlab", "junit", "markdown", "openvex", "template"}
	if got := Formats(); !slices.Equal(got, want) {
		t.Fatalf("Formats() = %v, want %v", got, want)
	}
	for _, f := range Formats() {
		if goldenExt[f] == "" {
			t.Errorf("format %s has no golden extension", f)
		}
	}
}

func TestGolden(t *testing.T) {
	for _, fx := range fixtures {
		inv := loadInventory(t, fx)
		for _, format := range Formats() {
			t.Run(fx+"/"+format, func(t *testing.T) {
				if format == FormatOpenVEX && fx == "empty" {
					// No suppressed finding: no valid OpenVEX document exists, and nothing is written.
					var buf bytes.Buffer
					err := Write(&buf, format, inv, Options{Matches: &model.Matches{}})
					if !errors.Is(err, ErrNothingToWrite) || buf.Len() > 0 {
						t.Errorf("openvex without suppressions: %v, wrote %d bytes", err, buf.Len())
					}
					return
				}
				checkGolden(t, fx+goldenExt[format], render(t, format, inv, formatOptions(t, format, fx)))
			})
		}
	}
}

// checkGolden compares got with testdata/golden/name, or rewrites that file with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", path, firstDiff(got, want))
	}
}

// firstDiff shows the first differing line.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, gl, wl)
		}
	}
	return "(no line differs)"
}

// TestDeterministic writes the inventory with its packages and warnings (and the findings, for the formats that
// have them) shuffled: every format must give the same bytes, and the input must not be modified.
func TestDeterministic(t *testing.T) {
	base := loadInventory(t, "rich")
	for _, format := range Formats() {
		want := render(t, format, base, formatOptions(t, format, "rich"))
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < 5; i++ {
			inv := loadInventory(t, "rich")
			rng.Shuffle(len(inv.Packages), func(a, b int) { inv.Packages[a], inv.Packages[b] = inv.Packages[b], inv.Packages[a] })
			rng.Shuffle(len(inv.Warnings), func(a, b int) { inv.Warnings[a], inv.Warnings[b] = inv.Warnings[b], inv.Warnings[a] })
			opts := formatOptions(t, format, "rich")
			if m := opts.Matches; m != nil {
				rng.Shuffle(len(m.Findings), func(a, b int) { m.Findings[a], m.Findings[b] = m.Findings[b], m.Findings[a] })
			}
			before, _ := json.Marshal(inv)
			beforeM, _ := json.Marshal(opts.Matches)
			got := render(t, format, inv, opts)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: output depends on input order:\n%s", format, firstDiff(got, want))
			}
			after, _ := json.Marshal(inv)
			afterM, _ := json.Marshal(opts.Matches)
			if !bytes.Equal(before, after) || !bytes.Equal(beforeM, afterM) {
				t.Fatalf("%s: Write modified the inventory or the matches", format)
			}
		}
	}
}

func TestWriteErrors(t *testing.T) {
	inv := loadInventory(t, "empty")
	var buf bytes.Buffer
	if err := Write(&buf, "xml", inv, testOptions()); err == nil || !strings.Contains(err.Error(), "table, json, cyclonedx, spdx") {
		t.Errorf("unknown format: err = %v", err)
	}
	if err := Write(&buf, FormatJSON, nil, testOptions()); err == nil {
		t.Error("nil inventory: no error")
	}
	opts := testOptions()
	opts.Serial = "not-a-uuid"
	for _, f := range []string{FormatCycloneDX, FormatSPDX} {
		if err := Write(&buf, f, inv, opts); err == nil {
			t.Errorf("%s: bad serial accepted", f)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("failed writes wrote %q", buf.String())
	}
}

var uuidV4RE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRandomSerial(t *testing.T) {
	inv := loadInventory(t, "empty")
	opts := testOptions()
	opts.Serial = ""
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		var bom struct {
			SerialNumber string `json:"serialNumber"`
		}
		if err := json.Unmarshal(render(t, FormatCycloneDX, inv, opts), &bom); err != nil {
			t.Fatal(err)
		}
		u, ok := strings.CutPrefix(bom.SerialNumber, "urn:uuid:")
		if !ok || !uuidV4RE.MatchString(u) {
			t.Fatalf("serialNumber %q is not a urn:uuid v4", bom.SerialNumber)
		}
		if seen[u] {
			t.Fatalf("serial %s repeated", u)
		}
		seen[u] = true

		var doc struct {
			DocumentNamespace string `json:"documentNamespace"`
		}
		if err := json.Unmarshal(render(t, FormatSPDX, inv, opts), &doc); err != nil {
			t.Fatal(err)
		}
		if seen[doc.DocumentNamespace] || !uuidV4RE.MatchString(doc.DocumentNamespace[len(doc.DocumentNamespace)-36:]) {
			t.Fatalf("documentNamespace %q not unique or without a uuid", doc.DocumentNamespace)
		}
		seen[doc.DocumentNamespace] = true
	}
}

func TestDefaultClock(t *testing.T) {
	inv := loadInventory(t, "empty")
	opts := testOptions()
	opts.Now = nil
	before := time.Now().UTC().Truncate(time.Second)
	var bom struct {
		Metadata struct {
			Timestamp string `json:"timestamp"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(render(t, FormatCycloneDX, inv, opts), &bom); err != nil {
		t.Fatal(err)
	}
	ts, err := time.Parse(time.RFC3339, bom.Metadata.Timestamp)
	if err != nil || ts.Before(before) || ts.After(time.Now().Add(time.Second)) {
		t.Fatalf("timestamp %q (err %v) is not now", bom.Metadata.Timestamp, err)
	}
}

func TestSortedPackagesRefs(t *testing.T) {
	inv := &model.Inventory{Packages: []model.Package{
		{ID: "aaaa", Ecosystem: model.Deb, Name: "b", Version: "1", Location: "/x"},
		{ID: "aaaa-2", Ecosystem: model.Deb, Name: "a", Version: "1", Location: "/x"},
		{ID: "aaaa", Ecosystem: model.Deb, Name: "c", Version: "1", Location: "/x"},
		{Ecosystem: model.APK, Name: "z", Version: "1", Location: "/lib/apk/db/installed"},
	}}
	got := sortedPackages(inv)
	var names, refs []string
	for _, e := range got {
		names = append(names, e.Name)
		refs = append(refs, e.ref)
	}
	want := model.Package{Ecosystem: model.APK, Name: "z", Version: "1", Location: "/lib/apk/db/installed"}
	want.SetID()
	if !slices.Equal(names, []string{"z", "a", "b", "c"}) {
		t.Errorf("order = %v", names)
	}
	if !slices.Equal(refs, []string{want.ID, "aaaa-2", "aaaa", "aaaa-3"}) {
		t.Errorf("refs = %v", refs)
	}
	if inv.Packages[3].ID != "" {
		t.Error("sortedPackages changed the inventory")
	}
}

func TestShortCreatedBy(t *testing.T) {
	for in, want := range map[string]string{
		"":                                     "",
		"/bin/sh -c #(nop) ADD file:abc in / ": "ADD file:abc in /",
		"/bin/sh -c #(nop)  CMD [\"bash\"]":    `CMD ["bash"]`,
		"/bin/sh -c apt-get update &&     apt-get install -y curl": "RUN apt-get update && apt-get install -y curl",
		"RUN /bin/sh -c apk add --no-cache musl # buildkit":        "RUN apk add --no-cache musl",
		"|2 A=1 B=2 /bin/sh -c make install":                       "RUN make install",
		"RUN |1 A=1 /bin/sh -c make # buildkit":                    "RUN make",
		"COPY rpmdb/ /var/lib/rpm/ # buildkit":                     "COPY rpmdb/ /var/lib/rpm/",
		"WORKDIR /app":                                             "WORKDIR /app",
	} {
		if got := shortCreatedBy(in); got != want {
			t.Errorf("shortCreatedBy(%q) = %q, want %q", in, got, want)
		}
	}
}
