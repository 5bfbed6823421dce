package report

import (
	"cmp"
	"io"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/hullscan/hullscan/internal/model"
)

// CycloneDX bom-refs of the two components that are not packages. Package bom-refs are package ids (hex), so
// these cannot collide with them.
const (
	cdxSourceRef = "hullscan:source"
	cdxOSRef     = "hullscan:os"
)

// writeCycloneDX writes a CycloneDX 1.6 JSON BOM:
//
//   - metadata: timestamp, the hullscan tool, the scanned source as the described component (type container
//     for images, with the manifest digest as version; type file for directories and root file systems), and
//     the OS as hullscan:os:* properties;
//   - components: the OS (type operating-system), then every package (type library, as Syft and Trivy type OS
//     packages) with bom-ref = package id, purl, licences, publisher = maintainer and hullscan:* properties
//     (ecosystem, arch, source package, location, layer);
//   - dependencies: the source depends on the OS and on every package, so every component is reachable.
func writeCycloneDX(w io.Writer, inv *model.Inventory, opts Options) error {
	serial, err := opts.serial()
	if err != nil {
		return err
	}
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + serial

	source := cdxSourceComponent(inv.Source)
	bom.Metadata = &cdx.Metadata{
		Timestamp: opts.now().Format("2006-01-02T15:04:05Z"),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type:      cdx.ComponentTypeApplication,
			Name:      "hullscan",
			Version:   opts.ToolVersion,
			Publisher: "hullscan",
		}}},
		Component:  &source,
		Properties: nilIfEmpty(cdxOSProperties(inv.OS)),
	}

	components := []cdx.Component{}
	dependsOn := []string{}
	if inv.OS != nil {
		components = append(components, cdx.Component{
			BOMRef:      cdxOSRef,
			Type:        cdx.ComponentTypeOS,
			Name:        cmp.Or(inv.OS.Family, "unknown"),
			Version:     inv.OS.Version,
			Description: inv.OS.Name,
		})
		dependsOn = append(dependsOn, cdxOSRef)
	}
	for _, e := range sortedPackages(inv) {
		components = append(components, cdxPackage(e))
		dependsOn = append(dependsOn, e.ref)
	}
	if len(components) > 0 {
		bom.Components = &components
	}
	dep := cdx.Dependency{Ref: cdxSourceRef}
	if len(dependsOn) > 0 {
		dep.Dependencies = &dependsOn
	}
	bom.Dependencies = &[]cdx.Dependency{dep}
	if opts.Matches != nil {
		refs := map[string]string{}
		for _, e := range sortedPackages(inv) {
			if _, ok := refs[e.ID]; !ok {
				refs[e.ID] = e.ref
			}
		}
		vulns := cdxVulnerabilities(opts.Matches, refs)
		bom.Vulnerabilities = &vulns
	}

	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	return enc.EncodeVersion(bom, cdx.SpecVersion1_6)
}

func cdxSourceComponent(s model.Source) cdx.Component {
	c := cdx.Component{
		BOMRef: cdxSourceRef,
		Type:   cdx.ComponentTypeFile,
		Name:   s.Name,
	}
	if c.Name == "" {
		c.Name = "unknown"
	}
	if isImage(s) {
		c.Type = cdx.ComponentTypeContainer
		c.Version = s.Digest
	}
	var props []cdx.Property
	props = addProp(props, "hullscan:target:kind", s.Kind)
	props = addProp(props, "hullscan:image:id", s.ImageID)
	for _, t := range s.RepoTags {
		props = addProp(props, "hullscan:image:repo_tag", t)
	}
	props = addProp(props, "hullscan:image:platform", s.Platform)
	c.Properties = nilIfEmpty(props)
	return c
}

func cdxOSProperties(os *model.OS) []cdx.Property {
	if os == nil {
		return nil
	}
	var props []cdx.Property
	props = addProp(props, "hullscan:os:family", os.Family)
	props = addProp(props, "hullscan:os:version", os.Version)
	props = addProp(props, "hullscan:os:codename", os.Codename)
	props = addProp(props, "hullscan:os:name", os.Name)
	if os.Distroless {
		props = addProp(props, "hullscan:os:distroless", "true")
	}
	return props
}

func cdxPackage(e entry) cdx.Component {
	c := cdx.Component{
		BOMRef:     e.ref,
		Type:       cdx.ComponentTypeLibrary,
		Name:       e.Name,
		Version:    e.Version,
		PackageURL: e.PURL,
		Publisher:  collapseSpace(e.Maintainer),
		Licenses:   cdxLicenses(packageLicenses(e.Licenses)),
	}
	var props []cdx.Property
	props = addProp(props, "hullscan:ecosystem", string(e.Ecosystem))
	props = addProp(props, "hullscan:arch", e.Arch)
	props = addProp(props, "hullscan:source:name", e.SourceName)
	props = addProp(props, "hullscan:source:version", e.SourceVersion)
	props = addProp(props, "hullscan:location", e.Location)
	props = addProp(props, "hullscan:dependency", e.Dependency)
	if e.Dev {
		props = addProp(props, "hullscan:dev", "true")
	}
	props = addProp(props, "hullscan:evidence", e.Evidence)
	props = addProp(props, "hullscan:os_package", e.OSPackage)
	if l := e.Layer; l != nil {
		props = addProp(props, "hullscan:layer:index", strconv.Itoa(l.Index))
		props = addProp(props, "hullscan:layer:digest", l.Digest)
		props = addProp(props, "hullscan:layer:diff_id", l.DiffID)
		props = addProp(props, "hullscan:layer:created_by", l.CreatedBy)
	}
	c.Properties = nilIfEmpty(props)
	return c
}

// cdxLicenses maps licences to CycloneDX. The schema allows either a list of licence objects or exactly one
// expression, so:
//   - no compound expression among them: one object each, with license.id when the id is in the schema's
//     licence enum, else license.name (free text, or an SPDX id too new for the schema's enum);
//   - a compound expression and all valid: one expression, the licences AND-ed;
//   - a compound expression and some free text: one object each, the expression as license.name.
func cdxLicenses(ls []license) *cdx.Licenses {
	if len(ls) == 0 {
		return nil
	}
	anyCompound, allValid := false, true
	for _, l := range ls {
		anyCompound = anyCompound || l.compound()
		allValid = allValid && l.expr != ""
	}
	if len(ls) == 1 && ls[0].single {
		if _, ok := cdxLicenseIDs[strings.ToLower(ls[0].expr)]; !ok {
			// A valid SPDX id the schema's (older) enum lacks: an expression is still exact and valid.
			return &cdx.Licenses{{Expression: ls[0].expr}}
		}
	}
	if anyCompound && allValid {
		parts := make([]string, len(ls))
		compound := make([]bool, len(ls))
		for i, l := range ls {
			parts[i], compound[i] = l.expr, l.compound()
		}
		return &cdx.Licenses{{Expression: joinAnd(parts, compound)}}
	}
	out := make(cdx.Licenses, 0, len(ls))
	for _, l := range ls {
		lic := &cdx.License{Name: l.raw}
		if l.single {
			if id, ok := cdxLicenseIDs[strings.ToLower(l.expr)]; ok {
				lic = &cdx.License{ID: id}
			} else {
				lic = &cdx.License{Name: l.expr}
			}
		} else if l.expr != "" {
			lic = &cdx.License{Name: l.expr}
		}
		out = append(out, cdx.LicenseChoice{License: lic})
	}
	return &out
}

func addProp(props []cdx.Property, name, value string) []cdx.Property {
	if value == "" {
		return props
	}
	return append(props, cdx.Property{Name: name, Value: value})
}

func nilIfEmpty(props []cdx.Property) *[]cdx.Property {
	if len(props) == 0 {
		return nil
	}
	return &props
}
