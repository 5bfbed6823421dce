// Package inventory finds the operating system and the packages in a scanned tree. It knows nothing about where
// files come from: the source package walks layers or directories, hands each file a parser asked for to that
// parser, and later asks OS detection to look at the merged tree.
//
// A parser is a path predicate plus a pure function from one file's bytes to packages (the shape Syft's generic
// cataloger made popular): that keeps every parser cacheable per image layer and fuzzable on its own.
package inventory

import (
	"io"

	"github.com/hullscan/hullscan/internal/model"
)

// Parser reads one kind of package database file.
type Parser interface {
	// Name is a short stable name, e.g. "dpkg-status". It appears in warnings and in the layer cache key.
	Name() string
	// Version changes whenever the parser's output for the same input changes, so cached layer results are not
	// reused across such a change.
	Version() int
	// Match reports whether the file at path (clean, absolute, inside the scanned tree: "/var/lib/dpkg/status")
	// is one this parser reads. It is called for every file of every layer: keep it cheap.
	Match(path string) bool
	// MaxSize is the largest file the parser accepts; larger files are skipped with a warning.
	MaxSize() int64
	// Parse reads the file. Packages come back without PURL and ID (those need the OS, known only after all
	// layers are merged; see Finalize) and with Location set to path. A malformed file returns an error naming
	// the problem; the scan reports it as a warning and goes on. Parse must never panic on any input.
	Parse(path string, r io.Reader, size int64) ([]model.Package, error)
}

// Partial is returned by a parser that read a file but could not resolve all of it (requirements.txt entries
// without a pinned version, pom.xml dependencies whose version comes from a parent it cannot fetch): the scan
// keeps the packages returned with it and reports Err as a warning naming the file. Unresolved entries are never
// guessed.
type Partial struct{ Err error }

func (p *Partial) Error() string { return p.Err.Error() }
func (p *Partial) Unwrap() error { return p.Err }

// EntryMatcher is implemented by parsers that choose files by more than their path: Go and Rust binaries are
// found by their executable bit (and then their magic bytes), not by name. When a parser implements it, the
// scan calls MatchEntry instead of Match.
type EntryMatcher interface {
	MatchEntry(path string, mode, size int64) bool
}

// Parsers is the list of package parsers, in a fixed order. It is an explicit list, not an init() registry, so
// what runs is visible here; each ecosystem's file contributes its own short list.
func Parsers() []Parser {
	ps := []Parser{
		DpkgStatus{},
		DpkgStatusD{},
		APKInstalled{},
		RPMDB{},
	}
	ps = append(ps, javascriptParsers()...)
	ps = append(ps, pythonParsers()...)
	ps = append(ps, rubyParsers()...)
	ps = append(ps, phpParsers()...)
	ps = append(ps, goParsers()...)
	ps = append(ps, rustParsers()...)
	ps = append(ps, dotnetParsers()...)
	ps = append(ps, javaParsers()...)
	return ps
}

// Tree is the merged view of a scanned tree that OS detection reads. Paths are absolute; symlinks are resolved
// inside the tree's root by the implementation.
type Tree interface {
	// ReadFile returns the content of a small file that IsOSFile matched, or ok=false when it is absent.
	ReadFile(path string) (data []byte, ok bool)
	// Exists reports whether path exists (file or directory).
	Exists(path string) bool
}
