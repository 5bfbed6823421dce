package scan

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullscan/hullscan/internal/inventory"
	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/source"
)

// halfParser reads "name version" lines; a line with one field is unresolved.
type halfParser struct{}

func (halfParser) Name() string        { return "half" }
func (halfParser) Version() int        { return 1 }
func (halfParser) Match(p string) bool { return strings.HasSuffix(p, ".half") }
func (halfParser) MaxSize() int64      { return 1 << 20 }
func (halfParser) Parse(p string, r io.Reader, _ int64) ([]model.Package, error) {
	b, _ := io.ReadAll(r)
	var pkgs []model.Package
	var unresolved []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		if len(f) == 2 {
			pkgs = append(pkgs, model.Package{Ecosystem: model.PyPI, Name: f[0], Version: f[1], Location: p})
		} else {
			unresolved = append(unresolved, l)
		}
	}
	if len(unresolved) > 0 {
		return pkgs, &inventory.Partial{Err: errors.New("unresolved: " + strings.Join(unresolved, ", "))}
	}
	return pkgs, nil
}

func TestPartialResultsKeptWithWarning(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "deps.half"), []byte("a 1\nb\nc 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &scanner{parsers: []inventory.Parser{halfParser{}}}
	inv, err := s.dir(source.Target{Kind: source.Directory, Path: dir, Arg: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := pkgLayers(inv); strings.Join(got, ",") != "a 1 -1,c 3 -1" {
		t.Errorf("packages %v", got)
	}
	if len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0], "/deps.half: unresolved: b") {
		t.Errorf("warnings %q", inv.Warnings)
	}
}
