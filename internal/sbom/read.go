// Package sbom reads CycloneDX and SPDX documents back into an inventory, so that `hullscan sbom-scan` can match
// an SBOM without the artefact it describes. Documents hullscan wrote carry everything a scan knew (source
// packages, locations, layers, dev flags, as properties and source info); documents from other tools are read
// from their purls (the distro qualifier names the OS; syft's "upstream" qualifier and trivy's SrcName/SrcVersion
// properties name the source package).
package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"

	"github.com/hullscan/hullscan/internal/model"
)

// maxSize caps a document read into memory.
const maxSize = 1 << 30

// Read decodes a CycloneDX or SPDX JSON document (recognised by content) into an inventory. name is what the
// inventory's source is called when the document does not say.
func Read(r io.Reader, name string) (inv *model.Inventory, err error) {
	defer func() {
		// The SBOM libraries decode documents from anywhere; a panic in them is a bad document, not a crash.
		if v := recover(); v != nil {
			inv, err = nil, fmt.Errorf("read %s: malformed document: %v", name, v)
		}
	}()
	b, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxSize {
		return nil, fmt.Errorf("read %s: larger than %d bytes", name, maxSize)
	}
	var probe struct {
		BOMFormat   string `json:"bomFormat"`
		SPDXVersion string `json:"spdxVersion"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("read %s: not a JSON SBOM: %w", name, err)
	}
	switch {
	case probe.BOMFormat == "CycloneDX":
		return readCycloneDX(b, name)
	case strings.HasPrefix(probe.SPDXVersion, "SPDX-2."):
		return readSPDX(b, name)
	}
	return nil, fmt.Errorf("read %s: neither a CycloneDX nor an SPDX 2 JSON document", name)
}

func readCycloneDX(b []byte, name string) (*model.Inventory, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(b), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	inv := &model.Inventory{Source: model.Source{Kind: "sbom", Name: name}, Packages: []model.Package{}}
	if md := bom.Metadata; md != nil {
		if c := md.Component; c != nil {
			props := cdxProps(c.Properties)
			inv.Source.Name = c.Name
			switch k := props["hullscan:target:kind"]; k {
			case "docker-archive", "oci-layout", "registry", "rootfs", "directory":
				inv.Source.Kind = k // the kinds hullscan writes; anything else stays "sbom"
			}
			if c.Type == cdx.ComponentTypeContainer {
				inv.Source.Digest = c.Version
			}
			inv.Source.ImageID = props["hullscan:image:id"]
			inv.Source.Platform = props["hullscan:image:platform"]
		}
		if p := cdxProps(md.Properties); p["hullscan:os:family"] != "" {
			inv.OS = &model.OS{Family: p["hullscan:os:family"], Version: p["hullscan:os:version"],
				Codename: p["hullscan:os:codename"], Name: p["hullscan:os:name"], Distroless: p["hullscan:os:distroless"] == "true"}
		}
	}
	var walk func(cs *[]cdx.Component) error
	walk = func(cs *[]cdx.Component) error {
		if cs == nil {
			return nil
		}
		for i := range *cs {
			c := &(*cs)[i]
			if c.Type == cdx.ComponentTypeOS && inv.OS == nil {
				inv.OS = &model.OS{Family: strings.ToLower(c.Name), Version: c.Version, Name: c.Description}
			}
			if c.PackageURL != "" || cdxProps(c.Properties)["hullscan:ecosystem"] != "" {
				p, err := cdxPackage(c)
				if err != nil {
					return fmt.Errorf("read %s: component %q: %w", name, c.Name, err)
				}
				if p != nil {
					inv.Packages = append(inv.Packages, *p)
				}
			}
			if err := walk(c.Components); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(bom.Components); err != nil {
		return nil, err
	}
	osFromPURLs(inv)
	return inv, nil
}

func cdxProps(ps *[]cdx.Property) map[string]string {
	m := map[string]string{}
	if ps == nil {
		return m
	}
	for _, p := range *ps {
		if _, ok := m[p.Name]; !ok {
			m[p.Name] = p.Value
		}
	}
	return m
}

func cdxPackage(c *cdx.Component) (*model.Package, error) {
	props := cdxProps(c.Properties)
	p := &model.Package{ID: c.BOMRef, Name: c.Name, Version: c.Version, PURL: c.PackageURL}
	if eco := props["hullscan:ecosystem"]; eco != "" && slices.Contains(model.Ecosystems(), model.Ecosystem(eco)) {
		// Written by hullscan: every field is there as it was found.
		p.Ecosystem = model.Ecosystem(eco)
		p.Arch = props["hullscan:arch"]
		p.SourceName, p.SourceVersion = props["hullscan:source:name"], props["hullscan:source:version"]
		p.Location = props["hullscan:location"]
		p.Dependency = props["hullscan:dependency"]
		p.Dev = props["hullscan:dev"] == "true"
		p.Evidence = props["hullscan:evidence"]
		p.OSPackage = props["hullscan:os_package"]
		if idx, err := strconv.Atoi(props["hullscan:layer:index"]); err == nil {
			p.Layer = &model.LayerRef{Index: idx, Digest: props["hullscan:layer:digest"], DiffID: props["hullscan:layer:diff_id"],
				CreatedBy: props["hullscan:layer:created_by"]}
		}
		return p, nil
	}
	ok, err := fromPURL(p)
	if err != nil || !ok {
		return nil, err
	}
	// Other tools' source package fields.
	if n := props["aquasecurity:trivy:SrcName"]; n != "" {
		p.SourceName = n
		p.SourceVersion = props["aquasecurity:trivy:SrcVersion"]
		if r := props["aquasecurity:trivy:SrcRelease"]; r != "" {
			p.SourceVersion += "-" + r
		}
		if e := props["aquasecurity:trivy:SrcEpoch"]; e != "" && e != "0" {
			p.SourceVersion = e + ":" + p.SourceVersion
		}
	}
	if p.Location == "" {
		p.Location = props["syft:location:0:path"]
	}
	return p, nil
}

// fromPURL fills a package from its purl: ecosystem, the name as its ecosystem writes it, version, arch, and the
// source package from syft's "upstream" qualifier. ok is false for purl types hullscan does not model.
func fromPURL(p *model.Package) (bool, error) {
	u, err := packageurl.FromString(p.PURL)
	if err != nil {
		return false, fmt.Errorf("purl %q: %w", p.PURL, err)
	}
	p.Ecosystem = model.Ecosystem(u.Type)
	written := p.Name
	switch p.Ecosystem {
	case model.Maven:
		p.Name = u.Name
		if u.Namespace != "" {
			p.Name = u.Namespace + ":" + u.Name
		}
	case model.NPM:
		p.Name = u.Name
		if u.Namespace != "" {
			p.Name = u.Namespace + "/" + u.Name
		}
	case model.Golang, model.Composer, model.Swift:
		p.Name = u.Name
		if u.Namespace != "" {
			p.Name = u.Namespace + "/" + u.Name
		}
		// packageurl-go lower-cases golang namespaces, but Go module paths are case-sensitive
		// (github.com/BurntSushi/toml): the document's own name, where it is the same path, is the right one.
		if strings.EqualFold(written, p.Name) {
			p.Name = written
		}
	case model.Deb, model.APK, model.RPM, model.PyPI, model.Gem, model.Cargo, model.NuGet, model.Pub, model.Hex, model.CocoaPods:
		p.Name = u.Name
	default:
		return false, nil
	}
	if u.Version != "" {
		p.Version = u.Version
	}
	q := u.Qualifiers.Map()
	p.Arch = q["arch"]
	if e := q["epoch"]; e != "" && e != "0" && !strings.Contains(p.Version, ":") {
		p.Version = e + ":" + p.Version
	}
	if up := q["upstream"]; up != "" {
		name, ver, _ := strings.Cut(up, "@")
		p.SourceName, p.SourceVersion = name, ver
	}
	return true, nil
}

// osFromPURLs names the OS from the distro qualifier of the OS packages' purls when the document did not
// ("distro=debian-12", "distro=alpine-3.19.1").
func osFromPURLs(inv *model.Inventory) {
	if inv.OS != nil {
		return
	}
	for _, p := range inv.Packages {
		if !p.Ecosystem.IsOS() || p.PURL == "" {
			continue
		}
		u, err := packageurl.FromString(p.PURL)
		if err != nil {
			continue
		}
		d := u.Qualifiers.Map()["distro"]
		if fam, ver, ok := strings.Cut(d, "-"); ok {
			inv.OS = &model.OS{Family: fam, Version: ver}
			return
		}
		if u.Namespace != "" {
			inv.OS = &model.OS{Family: u.Namespace}
			return
		}
	}
}

func readSPDX(b []byte, name string) (*model.Inventory, error) {
	doc, err := spdxjson.Read(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if doc == nil {
		return nil, fmt.Errorf("read %s: empty SPDX document", name)
	}
	byHullscan := false
	if doc.CreationInfo != nil {
		for _, c := range doc.CreationInfo.Creators {
			byHullscan = byHullscan || strings.HasPrefix(c.Creator, "hullscan")
		}
	}
	inv := &model.Inventory{Source: model.Source{Kind: "sbom", Name: name}, Packages: []model.Package{}}
	if doc.DocumentName != "" {
		inv.Source.Name = doc.DocumentName
	}
	for _, sp := range doc.Packages {
		if sp == nil {
			continue
		}
		switch sp.PrimaryPackagePurpose {
		case "OPERATING_SYSTEM":
			inv.OS = &model.OS{Family: strings.ToLower(sp.PackageName), Version: sp.PackageVersion, Name: sp.PackageDescription}
			continue
		case "CONTAINER":
			inv.Source.Digest = sp.PackageVersion
			continue
		}
		purl := spdxPURL(sp)
		if purl == "" {
			continue
		}
		p := &model.Package{ID: strings.TrimPrefix(string(sp.PackageSPDXIdentifier), "Package-"), Name: sp.PackageName,
			Version: sp.PackageVersion, PURL: purl}
		if !byHullscan {
			p.ID = string(sp.PackageSPDXIdentifier)
		}
		written := p.Name
		ok, err := fromPURL(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: package %s (%s): %w", name, sp.PackageName, sp.PackageSPDXIdentifier, err)
		}
		if !ok {
			continue
		}
		if byHullscan {
			// hullscan writes the name as the ecosystem spells it (purls lower-case some, Go paths among them).
			p.Name = written
			p.Version = sp.PackageVersion
			readSourceInfo(p, sp.PackageSourceInfo)
		}
		inv.Packages = append(inv.Packages, *p)
	}
	osFromPURLs(inv)
	if len(doc.Packages) > 0 && len(inv.Packages) == 0 && inv.OS == nil {
		return nil, errors.New("read " + name + ": no package in the document has a purl")
	}
	return inv, nil
}

func spdxPURL(sp *spdx.Package) string {
	for _, r := range sp.PackageExternalReferences {
		if r != nil && r.RefType == "purl" {
			return r.Locator
		}
	}
	return ""
}

// readSourceInfo reads back what hullscan's SPDX writer puts in a package's sourceInfo: "recorded in PATH;
// introduced by layer N DIGEST (CREATED_BY); built from source package NAME [VERSION]; installed by OS package
// X; direct dependency; development-only".
func readSourceInfo(p *model.Package, info string) {
	for _, part := range strings.Split(info, "; ") {
		switch {
		case strings.HasPrefix(part, "recorded in "):
			p.Location = strings.TrimPrefix(part, "recorded in ")
		case strings.HasPrefix(part, "introduced by layer "):
			f := strings.Fields(strings.TrimPrefix(part, "introduced by layer "))
			if len(f) > 0 {
				if idx, err := strconv.Atoi(f[0]); err == nil {
					p.Layer = &model.LayerRef{Index: idx}
					if len(f) > 1 && strings.HasPrefix(f[1], "sha256:") {
						p.Layer.DiffID = f[1]
					}
				}
			}
		case strings.HasPrefix(part, "built from source package "):
			f := strings.Fields(strings.TrimPrefix(part, "built from source package "))
			if len(f) > 0 {
				p.SourceName = f[0]
			}
			if len(f) > 1 {
				p.SourceVersion = f[1]
			}
		case strings.HasPrefix(part, "installed by OS package "):
			p.OSPackage = strings.TrimPrefix(part, "installed by OS package ")
		case part == "direct dependency":
			p.Dependency = model.DependencyDirect
		case part == "transitive dependency":
			p.Dependency = model.DependencyTransitive
		case part == "development-only":
			p.Dev = true
		}
	}
}
