// Package vex reads VEX documents (OpenVEX, CycloneDX VEX), decides which statement covers a finding, and writes
// a scan's suppressions back out as OpenVEX. It only answers questions: the gate decides what a statement does to
// a finding (only not_affected and fixed suppress), and reports always keep every finding.
package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Formats of a Document.
const (
	FormatOpenVEX   = "openvex"
	FormatCycloneDX = "cyclonedx"
)

// Statuses, as OpenVEX names them; CycloneDX analysis states are mapped onto these.
const (
	StatusNotAffected        = "not_affected"
	StatusAffected           = "affected"
	StatusFixed              = "fixed"
	StatusUnderInvestigation = "under_investigation"
)

// maxSize caps a document read into memory. VEX documents are small; anything near this is not one.
const maxSize = 64 << 20

// Document is a VEX document reduced to what matching needs.
type Document struct {
	// Name is what the caller called the document (a file name), for messages and suppression sources.
	Name   string
	Format string // "openvex" or "cyclonedx"
	// Statements are in document order.
	Statements []Statement
}

// Statement is one assertion: a vulnerability's status in some products.
type Statement struct {
	// Index is the statement's position in the document (statements[i] of OpenVEX, vulnerabilities[i] of
	// CycloneDX), for messages.
	Index         int
	Vulnerability string
	// Aliases are the other ids the vulnerability is known by (OpenVEX aliases and @id, CycloneDX references).
	Aliases  []string
	Products []Product
	// Status is not_affected, affected, fixed or under_investigation.
	Status string
	// Justification is the machine-readable reason for not_affected: an OpenVEX label, or a CycloneDX one as
	// given (false positives read "false_positive", with the CycloneDX justification in parentheses).
	Justification string
	Impact        string // OpenVEX impact_statement, CycloneDX analysis.detail
	Action        string // OpenVEX action_statement, CycloneDX analysis.response
	// Timestamp is when the statement was made (the statement's own, else the document's); zero when neither
	// says. Later statements supersede earlier ones.
	Timestamp time.Time
}

// Product is what a statement is about: a package (PURL), or something else (ID: an image, a bom-ref, a CPE,
// a digest), optionally narrowed to some of its subcomponents.
type Product struct {
	PURL          string
	ID            string
	Subcomponents []Product
}

// Read decodes an OpenVEX or CycloneDX VEX JSON document, recognised by content. name is used in errors.
func Read(r io.Reader, name string) (*Document, error) {
	return readLimited(r, name, maxSize)
}

func readLimited(r io.Reader, name string, limit int64) (*Document, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("read %s: larger than %d bytes, too large for a VEX document", name, limit)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark, as some Windows editors write
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return nil, fmt.Errorf("read %s: not a JSON object; %s", name, accepted)
	}
	var probe struct {
		Context   json.RawMessage `json:"@context"`
		BOMFormat any             `json:"bomFormat"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, jsonError(b, err))
	}
	var doc *Document
	switch {
	case isOpenVEXContext(probe.Context):
		doc, err = readOpenVEX(b)
	case probe.BOMFormat == "CycloneDX":
		doc, err = readCycloneDX(b)
	default:
		return nil, fmt.Errorf("read %s: not a VEX document; %s", name, accepted)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	doc.Name = name
	return doc, nil
}

const accepted = `hullscan reads OpenVEX (JSON with "@context": "https://openvex.dev/ns…") and CycloneDX VEX (JSON with "bomFormat": "CycloneDX" and a "vulnerabilities" array)`

// isOpenVEXContext recognises OpenVEX's @context: a string, or (as JSON-LD allows) an array holding one.
func isOpenVEXContext(raw json.RawMessage) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return strings.HasPrefix(one, "https://openvex.dev/ns")
	}
	var many []any
	if json.Unmarshal(raw, &many) == nil {
		for _, c := range many {
			if s, ok := c.(string); ok && strings.HasPrefix(s, "https://openvex.dev/ns") {
				return true
			}
		}
	}
	return false
}

// jsonError says where in the document decoding failed: byte offset, line and column.
func jsonError(b []byte, err error) error {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if off < 0 || off > int64(len(b)) {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(b[:off], '\n')
	return fmt.Errorf("malformed JSON at byte %d (line %d, column %d): %w", off, line, col, err)
}

// parseTime reads a timestamp. RFC 3339 is what both formats require; tools also write it without a zone
// (govulncheck's OpenVEX) or as a bare date, read as UTC.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q is not RFC 3339", s)
}

// validStatus reports whether s is one of the four statuses.
func validStatus(s string) bool {
	switch s {
	case StatusNotAffected, StatusAffected, StatusFixed, StatusUnderInvestigation:
		return true
	}
	return false
}

// Suppresses reports whether a statement of this status takes a finding out of the gate: only not_affected and
// fixed do; affected and under_investigation never do.
func Suppresses(status string) bool {
	return status == StatusNotAffected || status == StatusFixed
}
