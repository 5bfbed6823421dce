package report

import (
	"encoding/json"
	"io"
	"slices"

	"github.com/hullscan/hullscan/internal/model"
)

// JSONSchemaVersion is the version of hullscan's own JSON format. It changes only when a field is removed,
// renamed or changes meaning; new optional fields do not change it.
const JSONSchemaVersion = "1"

// The JSON format (also in docs/json-format.md; its JSON Schema is docs/schema/report.schema.json). Keys marked
// "?" are left out when empty; arrays marked "[]" are always present (empty rather than null).
//
//	{
//	  "schema_version": "1",
//	  "tool":   {"name": "hullscan", "version"?: string},
//	  "source": {
//	    "kind": "docker-archive" | "oci-layout" | "registry" | "rootfs" | "directory" | "sbom",
//	    "name": string,                      // the target as given
//	    "digest"?: string,                   // manifest digest
//	    "image_id"?: string,                 // config digest
//	    "repo_tags"?: [string],
//	    "platform"?: string,                 // e.g. "linux/amd64"
//	    "layers"?: [layer]                   // in image order
//	  },
//	  "os": null | {"family": string, "version"?: string, "codename"?: string, "name"?: string,
//	                "distroless"?: true},
//	  "packages": [] [{
//	    "id": string,                        // stable across scans and transports of the same image
//	    "ecosystem": string,                 // the purl type, lower case: deb, apk, rpm, npm, pypi, golang, maven…
//	    "name": string,
//	    "version": string,                   // full version, epoch included ("1:2.3-4")
//	    "arch"?: string,
//	    "epoch"?: int,                       // rpm only, also in version
//	    "source_name"?: string,              // source package; absent when the same as the binary
//	    "source_version"?: string,
//	    "licenses"?: [string],               // as stated by the package, not normalised
//	    "maintainer"?: string,
//	    "location": string,                  // database file, absolute inside the scanned tree
//	    "layer"?: layer,                     // the layer that introduced the package
//	    "purl"?: string,
//	    "dependency"?: "direct" | "transitive", "dev"?: true, "evidence"?: string,
//	    "os_package"?: string                // "<ecosystem>:<name>" of the OS package that installed it
//	  }],
//	  "vulnerabilities"?: matches,           // image, fs, rootfs and sbom-scan commands only
//	  "warnings": [] [string]
//	}
//	matches = {
//	  "findings": [] [finding],              // most severe first (severity, KEV, package, installed version, id, location)
//	  "database": {"path": string, "built": RFC 3339, "schema_version": int},
//	  "checked": int,                        // packages looked up
//	  "unchecked"?: [{"ecosystem": string, "reason": string, "packages": int}],
//	  "skipped_dev"?: int, "skipped_os_owned"?: int, "warnings"?: [string],
//	  "gate"?: gate
//	}
//	finding = {
//	  "id": string,                          // the CVE id where there is one
//	  "aliases"?: [string], "advisories": [string],   // the database records that matched (at least one)
//	  "package_id": string,                  // the package's "id" above
//	  "package": string, "ecosystem": string, "installed_version": string, "purl"?: string,
//	  "location"?: string, "layer"?: layer,
//	  "matched_as"?: string,                 // e.g. the source package a binary package was looked up as
//	  "status": "fixed" | "not-fixed" | "wont-fix", "fixed_version"?: string,   // only with "fixed"
//	  "upgrade_to"?: string,                 // the one upgrade that fixes all the package's fixable findings
//	  "severity": "UNKNOWN" | "LOW" | "MEDIUM" | "HIGH" | "CRITICAL", "severity_source"?: string,
//	  "cvss_score"?: number, "cvss_vector"?: string,
//	  "ratings"?: [{"source": string, "severity": string, "method"?: string, "score"?: number, "vector"?: string}],
//	  "epss"?: {"score": number, "percentile": number, "date"?: "YYYY-MM-DD"},
//	  "kev"?: {"date_added": "YYYY-MM-DD", "due_date"?: "YYYY-MM-DD", "known_ransomware_use": bool},
//	  "title"?: string, "published"?: RFC 3339, "references"?: [string],
//	  "suppressed"?: suppression, "failed_rule"?: string   // never both
//	}
//	suppression = {"kind": "exception" | "vex", "classification": string, "justification"?: string,
//	               "reason"?: string, "owner"?: string, "expires"?: "YYYY-MM-DD", "source": string}
//	gate = {"passed": bool, "rules": [string], "failing": int, "suppressed": int,
//	        "expired_exceptions"?: [{"id": string, "package"?: string, "owner": string, "expires": "YYYY-MM-DD",
//	                                 "source": string, "matches": int}]}
//	layer = {"index": int (from 0), "digest"?: string, "diff_id"?: string, "created_by"?: string}
//
// packages are sorted by ecosystem, name, version, arch, location; warnings are sorted.
type jsonDoc struct {
	SchemaVersion string        `json:"schema_version"`
	Tool          jsonTool      `json:"tool"`
	Source        jsonSource    `json:"source"`
	OS            *jsonOS       `json:"os"`
	Packages      []jsonPackage `json:"packages"`
	// Vulnerabilities is set by the scanning commands (image, fs, rootfs), never by sbom.
	Vulnerabilities *model.Matches `json:"vulnerabilities,omitempty"`
	Warnings        []string       `json:"warnings"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

type jsonSource struct {
	Kind     string      `json:"kind"`
	Name     string      `json:"name"`
	Digest   string      `json:"digest,omitempty"`
	ImageID  string      `json:"image_id,omitempty"`
	RepoTags []string    `json:"repo_tags,omitempty"`
	Platform string      `json:"platform,omitempty"`
	Layers   []jsonLayer `json:"layers,omitempty"`
}

type jsonLayer struct {
	Index     int    `json:"index"`
	Digest    string `json:"digest,omitempty"`
	DiffID    string `json:"diff_id,omitempty"`
	CreatedBy string `json:"created_by,omitempty"`
}

type jsonOS struct {
	Family     string `json:"family"`
	Version    string `json:"version,omitempty"`
	Codename   string `json:"codename,omitempty"`
	Name       string `json:"name,omitempty"`
	Distroless bool   `json:"distroless,omitempty"`
}

type jsonPackage struct {
	ID            string     `json:"id"`
	Ecosystem     string     `json:"ecosystem"`
	Name          string     `json:"name"`
	Version       string     `json:"version"`
	Arch          string     `json:"arch,omitempty"`
	Epoch         *int       `json:"epoch,omitempty"`
	SourceName    string     `json:"source_name,omitempty"`
	SourceVersion string     `json:"source_version,omitempty"`
	Licenses      []string   `json:"licenses,omitempty"`
	Maintainer    string     `json:"maintainer,omitempty"`
	Location      string     `json:"location"`
	Dependency    string     `json:"dependency,omitempty"`
	Dev           bool       `json:"dev,omitempty"`
	Evidence      string     `json:"evidence,omitempty"`
	OSPackage     string     `json:"os_package,omitempty"`
	Layer         *jsonLayer `json:"layer,omitempty"`
	PURL          string     `json:"purl,omitempty"`
}

func writeJSON(w io.Writer, inv *model.Inventory, opts Options) error {
	doc := jsonDoc{
		SchemaVersion: JSONSchemaVersion,
		Tool:          jsonTool{Name: "hullscan", Version: opts.ToolVersion},
		Source: jsonSource{
			Kind:     inv.Source.Kind,
			Name:     inv.Source.Name,
			Digest:   inv.Source.Digest,
			ImageID:  inv.Source.ImageID,
			RepoTags: slices.Clone(inv.Source.RepoTags),
			Platform: inv.Source.Platform,
		},
		Packages: []jsonPackage{},
		Warnings: sortedWarnings(inv),
	}
	if doc.Warnings == nil {
		doc.Warnings = []string{}
	}
	for i := range inv.Source.Layers {
		doc.Source.Layers = append(doc.Source.Layers, toJSONLayer(&inv.Source.Layers[i]))
	}
	if os := inv.OS; os != nil {
		doc.OS = &jsonOS{Family: os.Family, Version: os.Version, Codename: os.Codename, Name: os.Name, Distroless: os.Distroless}
	}
	for _, e := range sortedPackages(inv) {
		p := jsonPackage{
			ID:            e.ref,
			Ecosystem:     string(e.Ecosystem),
			Name:          e.Name,
			Version:       e.Version,
			Arch:          e.Arch,
			Epoch:         e.Epoch,
			SourceName:    e.SourceName,
			SourceVersion: e.SourceVersion,
			Licenses:      slices.Clone(e.Licenses),
			Maintainer:    e.Maintainer,
			Location:      e.Location,
			Dependency:    e.Dependency,
			Dev:           e.Dev,
			Evidence:      e.Evidence,
			OSPackage:     e.OSPackage,
			PURL:          e.PURL,
		}
		if e.Layer != nil {
			l := toJSONLayer(e.Layer)
			p.Layer = &l
		}
		doc.Packages = append(doc.Packages, p)
	}
	if m := opts.Matches; m != nil && m.Findings == nil {
		// "findings" is documented as always an array: a caller's empty Matches must not write null.
		c := *m
		c.Findings = []model.Finding{}
		doc.Vulnerabilities = &c
	} else {
		doc.Vulnerabilities = m
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func toJSONLayer(l *model.LayerRef) jsonLayer {
	return jsonLayer{Index: l.Index, Digest: l.Digest, DiffID: l.DiffID, CreatedBy: l.CreatedBy}
}
