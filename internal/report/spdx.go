package report

import (
	"cmp"
	"io"
	"regexp"
	"strings"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/hullscan/hullscan/internal/model"
)

const (
	noAssertion = "NOASSERTION"

	spdxSourceID = common.ElementID("Source")
	spdxOSID     = common.ElementID("OperatingSystem")

	// spdxNamespaceBase is where document namespaces live; SPDX needs a unique URI, not a reachable one.
	spdxNamespaceBase = "https://github.com/hullscan/hullscan/spdx/"
)

// writeSPDX writes an SPDX 2.3 JSON document:
//
//   - the document DESCRIBES one package for the scanned source (primaryPackagePurpose CONTAINER for images,
//     FILE for directories and root file systems), which CONTAINS the OS package (OPERATING_SYSTEM) and every
//     package;
//   - a package has SPDXID SPDXRef-Package-<id>, its purl as a PACKAGE-MANAGER external reference,
//     licenseConcluded NOASSERTION, licenseDeclared from its licences (see spdxDeclared), supplier from its
//     maintainer, and sourceInfo naming the database file, the layer and the source package;
//   - licence strings that are not SPDX expressions are LicenseRef-s defined in hasExtractedLicensingInfos.
func writeSPDX(w io.Writer, inv *model.Inventory, opts Options) error {
	serial, err := opts.serial()
	if err != nil {
		return err
	}
	name := inv.Source.Name
	if name == "" {
		name = "unknown"
	}
	kind := sanitizeIDString(inv.Source.Kind)
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    common.ElementID("DOCUMENT"),
		DocumentName:      name,
		DocumentNamespace: spdxNamespaceBase + kind + "/" + sanitizeIDString(name) + "-" + serial,
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{
				{CreatorType: "Organization", Creator: "hullscan"},
				{CreatorType: "Tool", Creator: "hullscan-" + cmp.Or(opts.ToolVersion, "unknown")},
			},
			Created: opts.now().Format("2006-01-02T15:04:05Z"),
		},
	}

	entries := sortedPackages(inv)
	var freeText []string
	pkgLicenses := make([][]license, len(entries))
	for i, e := range entries {
		pkgLicenses[i] = packageLicenses(e.Licenses)
		for _, l := range pkgLicenses[i] {
			if l.expr == "" {
				freeText = append(freeText, l.raw)
			}
		}
	}
	refs := licenseRefs(freeText)
	byID := map[string]string{}
	for raw, id := range refs {
		byID[id] = raw
	}
	for _, id := range sortedKeys(byID) {
		doc.OtherLicenses = append(doc.OtherLicenses, &spdx.OtherLicense{
			LicenseIdentifier: id,
			ExtractedText:     byID[id],
			LicenseName:       byID[id],
			LicenseComment:    "licence as stated in the package metadata; it is not an SPDX licence expression",
		})
	}

	doc.Packages = append(doc.Packages, spdxSourcePackage(inv.Source))
	doc.Relationships = append(doc.Relationships, relationship("DOCUMENT", spdxSourceID, common.TypeRelationshipDescribe))
	if inv.OS != nil {
		doc.Packages = append(doc.Packages, &spdx.Package{
			PackageName:             cmp.Or(inv.OS.Family, "unknown"),
			PackageSPDXIdentifier:   spdxOSID,
			PackageVersion:          inv.OS.Version,
			PackageSupplier:         &common.Supplier{Supplier: noAssertion},
			PackageDownloadLocation: noAssertion,
			FilesAnalyzed:           false,
			PackageLicenseConcluded: noAssertion,
			PackageLicenseDeclared:  noAssertion,
			PackageDescription:      inv.OS.Name,
			PrimaryPackagePurpose:   "OPERATING_SYSTEM",
		})
		doc.Relationships = append(doc.Relationships, relationship(spdxSourceID, spdxOSID, common.TypeRelationshipContains))
	}
	used := map[string]bool{string(spdxSourceID): true, string(spdxOSID): true}
	for i, e := range entries {
		id := common.ElementID(unique(used, "Package-"+sanitizeIDString(e.ref)))
		p := &spdx.Package{
			PackageName:             e.Name,
			PackageSPDXIdentifier:   id,
			PackageVersion:          e.Version,
			PackageSupplier:         spdxSupplier(e.Maintainer),
			PackageDownloadLocation: noAssertion,
			FilesAnalyzed:           false,
			PackageSourceInfo:       spdxSourceInfo(e),
			PackageLicenseConcluded: noAssertion,
			PackageLicenseDeclared:  spdxDeclared(pkgLicenses[i], refs),
		}
		if e.PURL != "" {
			p.PackageExternalReferences = []*spdx.PackageExternalReference{{
				Category: common.CategoryPackageManager,
				RefType:  common.TypePackageManagerPURL,
				Locator:  e.PURL,
			}}
		}
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, relationship(spdxSourceID, id, common.TypeRelationshipContains))
	}

	return spdxjson.Write(doc, w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false))
}

func relationship(a, b common.ElementID, typ string) *spdx.Relationship {
	return &spdx.Relationship{
		RefA:         common.DocElementID{ElementRefID: a},
		RefB:         common.DocElementID{ElementRefID: b},
		Relationship: typ,
	}
}

func spdxSourcePackage(s model.Source) *spdx.Package {
	p := &spdx.Package{
		PackageName:             cmp.Or(s.Name, "unknown"),
		PackageSPDXIdentifier:   spdxSourceID,
		PackageSupplier:         &common.Supplier{Supplier: noAssertion},
		PackageDownloadLocation: noAssertion,
		FilesAnalyzed:           false,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  noAssertion,
		PrimaryPackagePurpose:   "FILE",
	}
	var info []string
	if s.Kind != "" {
		info = append(info, "scanned as "+s.Kind)
	}
	if isImage(s) {
		p.PrimaryPackagePurpose = "CONTAINER"
		p.PackageVersion = s.Digest
		if s.ImageID != "" {
			info = append(info, "image id "+s.ImageID)
		}
		if len(s.RepoTags) > 0 {
			info = append(info, "tags "+strings.Join(s.RepoTags, ", "))
		}
		if s.Platform != "" {
			info = append(info, "platform "+s.Platform)
		}
	}
	p.PackageComment = strings.Join(info, "; ")
	return p
}

// spdxDeclared is the licenseDeclared expression of a package: NOASSERTION when it states no licence, else its
// licences AND-ed, each either its SPDX expression or the LicenseRef- defined for its text.
func spdxDeclared(ls []license, refs map[string]string) string {
	if len(ls) == 0 {
		return noAssertion
	}
	parts := make([]string, len(ls))
	compound := make([]bool, len(ls))
	for i, l := range ls {
		if l.expr != "" {
			parts[i], compound[i] = l.expr, l.compound()
		} else {
			parts[i] = refs[l.raw]
		}
	}
	return joinAnd(parts, compound)
}

// orgRE guesses that a maintainer is a team or a company rather than a person.
var orgRE = regexp.MustCompile(`(?i)\b(team|maintainers|developers|packagers|contributors|project|group|community|foundation|inc|llc|ltd|gmbh|corp|corporation|red hat|suse|canonical)\b`)

// spdxSupplier turns a maintainer ("Name <email>") into an SPDX supplier, "Person: Name (email)" or
// "Organization: Name (email)" (a guess from words such as "Maintainers", "Team" or "Inc"), or NOASSERTION.
func spdxSupplier(maintainer string) *common.Supplier {
	name, email := splitMaintainer(maintainer)
	if name == "" && email == "" {
		return &common.Supplier{Supplier: noAssertion}
	}
	typ := "Person"
	if orgRE.MatchString(name) {
		typ = "Organization"
	}
	s := name
	if email != "" {
		s = strings.TrimSpace(name + " (" + email + ")")
	}
	return &common.Supplier{SupplierType: typ, Supplier: s}
}

// spdxSourceInfo tells where the package record was found: the database file, the layer that introduced it,
// and the source package it was built from when that is another.
func spdxSourceInfo(e entry) string {
	var parts []string
	if e.Location != "" {
		parts = append(parts, "recorded in "+e.Location)
	}
	if e.Layer != nil {
		parts = append(parts, "introduced by "+layerText(e.Layer))
	}
	if sp := sourcePackage(e.Package); sp != "" {
		parts = append(parts, "built from source package "+sp)
	}
	if e.OSPackage != "" {
		parts = append(parts, "installed by OS package "+e.OSPackage)
	}
	if e.Dependency != "" {
		parts = append(parts, e.Dependency+" dependency")
	}
	if e.Dev {
		parts = append(parts, "development-only")
	}
	return strings.Join(parts, "; ")
}
