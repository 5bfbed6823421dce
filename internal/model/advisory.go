package model

import "strings"

// AdvisorySource says which database an advisory id comes from, by its prefix: Key is the short lower-case key
// ratings are recorded under ("ghsa", "debian", "cve"), Name the name reports show ("GitHub", "Debian", "NVD").
// The database and the reports read the same table, so a rating's source and a report's source never drift.
type AdvisorySource struct {
	Key, Name string
}

var advisoryPrefixes = []struct {
	prefixes []string
	source   AdvisorySource
}{
	{[]string{"GHSA-"}, AdvisorySource{"ghsa", "GitHub"}},
	{[]string{"PYSEC-"}, AdvisorySource{"pypa", "PyPA"}},
	{[]string{"GO-"}, AdvisorySource{"go", "Go"}},
	{[]string{"RUSTSEC-"}, AdvisorySource{"rustsec", "RustSec"}},
	{[]string{"DSA-", "DLA-", "DTSA-", "x_DEBIAN12-", "DEBIAN-"}, AdvisorySource{"debian", "Debian"}},
	{[]string{"ALPINE-"}, AdvisorySource{"alpine", "Alpine"}},
	{[]string{"USN-", "UBUNTU-"}, AdvisorySource{"ubuntu", "Ubuntu"}},
	{[]string{"RHSA-", "RHBA-", "RHEA-"}, AdvisorySource{"redhat", "Red Hat"}},
	{[]string{"SUSE-", "openSUSE-"}, AdvisorySource{"suse", "SUSE"}},
	{[]string{"CVE-"}, AdvisorySource{"cve", "NVD"}},
}

// SourceOf names the source of an advisory id. Unknown prefixes name themselves ("MAL-2024-1" → "mal", "MAL");
// an id without one is "osv" / "OSV".
func SourceOf(id string) AdvisorySource {
	for _, p := range advisoryPrefixes {
		for _, pre := range p.prefixes {
			if strings.HasPrefix(id, pre) {
				return p.source
			}
		}
	}
	if i := strings.IndexByte(id, '-'); i > 0 {
		return AdvisorySource{strings.ToLower(id[:i]), id[:i]}
	}
	return AdvisorySource{strings.ToLower(id), "OSV"}
}
