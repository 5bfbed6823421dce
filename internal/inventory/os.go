package inventory

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
)

// osFiles are the small files OS detection reads. os-release covers every supported distribution released in the
// last decade; the others are fallbacks for images without it (CentOS/RHEL/Oracle 6, Debian 6, SLES 11,
// openSUSE 13) and the point release Debian keeps only in /etc/debian_version. Wolfi and Chainguard ship no
// release file of their own (no /etc/wolfi-release exists); their os-release is the only evidence.
var osFiles = map[string]bool{
	"/etc/os-release":           true,
	"/usr/lib/os-release":       true,
	"/etc/debian_version":       true,
	"/etc/lsb-release":          true,
	"/etc/alpine-release":       true,
	"/etc/redhat-release":       true,
	"/etc/centos-release":       true,
	"/etc/rocky-release":        true,
	"/etc/almalinux-release":    true,
	"/etc/oracle-release":       true,
	"/etc/fedora-release":       true,
	"/etc/system-release":       true,
	"/etc/SuSE-release":         true,
	"/etc/photon-release":       true,
	"/etc/amazon-linux-release": true,
}

// IsOSFile reports whether path is one of the files DetectOS reads; the source keeps those (and only those) for
// Tree.ReadFile.
func IsOSFile(path string) bool { return osFiles[path] }

// familyByID maps os-release ID values to model.OS families. IDs not listed (arch, kali, sle-micro…) give no
// OS: there is no advisory data for them, and calling them by a parent's name would match the wrong advisories.
var familyByID = map[string]string{
	"debian":              "debian",
	"ubuntu":              "ubuntu",
	"alpine":              "alpine",
	"wolfi":               "wolfi",
	"chainguard":          "chainguard",
	"rhel":                "rhel",
	"centos":              "centos",
	"rocky":               "rocky",
	"almalinux":           "almalinux",
	"ol":                  "ol",
	"fedora":              "fedora",
	"amzn":                "amzn",
	"sles":                "sles",
	"sles_sap":            "sles", // SLES for SAP Applications: same packages and advisories as SLES
	"opensuse-leap":       "opensuse-leap",
	"opensuse-tumbleweed": "opensuse-tumbleweed",
	"photon":              "photon",
}

// DetectOS identifies the distribution of a merged tree, or returns nil when it is not one of the supported
// families. os-release (/etc first, then /usr/lib, as os-release(5) says) is authoritative when it has an ID;
// distribution-specific files are read only without it.
//
// Version is VERSION_ID as the distribution writes it ("12" for Debian 12, "3.19.1" for Alpine, "9.3" for
// Rocky), since that is the granularity advisories use. Debian's point release ("12.5") exists only in
// /etc/debian_version; it goes into Name ("Debian GNU/Linux 12.5 (bookworm)") for people, not into Version.
func DetectOS(t Tree) *model.OS {
	var o *model.OS
	if kv := readOSRelease(t); kv["ID"] != "" {
		o = fromOSRelease(kv)
	} else {
		o = fromReleaseFiles(t)
	}
	if o == nil {
		return nil
	}
	if o.Family == "debian" {
		if point, ok := debianPointRelease(t, o.Version); ok && o.Name != "" {
			o.Name = strings.Replace(o.Name, " "+o.Version+" ", " "+point+" ", 1)
		}
	}
	// Distroless Debian images carry package records in status.d and have no dpkg to write a status file.
	o.Distroless = t.Exists("/var/lib/dpkg/status.d") && !t.Exists("/var/lib/dpkg/status")
	return o
}

func readOSRelease(t Tree) map[string]string {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if data, ok := t.ReadFile(p); ok {
			return parseOSRelease(data)
		}
	}
	return nil
}

func fromOSRelease(kv map[string]string) *model.OS {
	id := strings.ToLower(kv["ID"])
	family, ok := familyByID[id]
	if !ok && id == "opensuse" {
		// openSUSE before Leap 15 / Tumbleweed of 2017 used ID=opensuse for both lines; NAME tells them apart.
		family, ok = "opensuse-leap", true
		if strings.Contains(kv["NAME"], "Tumbleweed") {
			family = "opensuse-tumbleweed"
		}
	}
	if !ok {
		return nil
	}
	o := &model.OS{
		Family:   family,
		Version:  kv["VERSION_ID"],
		Codename: kv["VERSION_CODENAME"],
		Name:     kv["PRETTY_NAME"],
	}
	if o.Codename == "" {
		o.Codename = kv["UBUNTU_CODENAME"] // Ubuntu 16.04 and older lack VERSION_CODENAME
	}
	if o.Name == "" {
		o.Name = kv["NAME"]
	}
	return o
}

// parseOSRelease reads the os-release(5) format: KEY=value lines, values optionally in single or double quotes,
// backslash escapes inside double quotes, '#' comments.
func parseOSRelease(data []byte) map[string]string {
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || !validOSReleaseKey(key) {
			continue
		}
		kv[key] = unquoteOSRelease(strings.TrimSpace(value))
	}
	// A line over 64 KiB ends the scan; what was read before it still counts.
	return kv
}

func validOSReleaseKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func unquoteOSRelease(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1] // no escapes inside single quotes, as in shell
	}
	quoted := len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"'
	if quoted {
		v = v[1 : len(v)-1]
	}
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("\"\\$`", v[i+1]) >= 0 {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

var (
	// "… release 7.9.2009 (Core)", "Oracle Linux Server release 6.10", "Amazon Linux AMI release 2018.03"
	releaseVersionRE = regexp.MustCompile(`\brelease\s+([0-9][0-9A-Za-z._-]*)`)
	// "VMware Photon OS 4.0", "SUSE Linux Enterprise Server 11 (x86_64)", "openSUSE 13.2 (x86_64)"
	firstNumberRE = regexp.MustCompile(`\b([0-9]+(?:\.[0-9]+)*)\b`)
	debianPointRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)+$`)
)

// fromReleaseFiles identifies old or stripped images that have no os-release, from the files each distribution
// has always shipped. The most specific file is tried first: on clones /etc/redhat-release is a link to the
// clone's own file, and Ubuntu has a /etc/debian_version ("bookworm/sid") too.
func fromReleaseFiles(t Tree) *model.OS {
	first := func(p string) (string, bool) {
		data, ok := t.ReadFile(p)
		if !ok {
			return "", false
		}
		line, _, _ := strings.Cut(string(data), "\n")
		line = strings.TrimSpace(line)
		return line, line != ""
	}

	if v, ok := first("/etc/alpine-release"); ok && isToken(v) {
		return &model.OS{Family: "alpine", Version: v, Name: "Alpine Linux " + v}
	}
	if data, ok := t.ReadFile("/etc/lsb-release"); ok {
		kv := parseOSRelease(data)
		if strings.EqualFold(kv["DISTRIB_ID"], "ubuntu") {
			return &model.OS{Family: "ubuntu", Version: kv["DISTRIB_RELEASE"], Codename: kv["DISTRIB_CODENAME"],
				Name: kv["DISTRIB_DESCRIPTION"]}
		}
	}
	if v, ok := first("/etc/debian_version"); ok {
		o := &model.OS{Family: "debian", Name: "Debian GNU/Linux " + v}
		if debianPointRE.MatchString(v) || isDigits(v) {
			// VERSION_ID convention: the major release only ("12" for 12.5; "6" for 6.0.10).
			o.Version, _, _ = strings.Cut(v, ".")
			return o
		}
		if codename, _, ok := strings.Cut(v, "/"); ok && isLowerWord(codename) {
			o.Codename = codename // testing/unstable: "trixie/sid"
			return o
		}
		// A derivative's value ("kali-rolling"): not Debian, and not one we know.
		return nil
	}
	for _, p := range []string{
		"/etc/oracle-release", "/etc/rocky-release", "/etc/almalinux-release", "/etc/centos-release",
		"/etc/fedora-release", "/etc/amazon-linux-release", "/etc/system-release", "/etc/redhat-release",
	} {
		line, ok := first(p)
		if !ok {
			continue
		}
		family := redHatFamily(line)
		if family == "" {
			continue
		}
		o := &model.OS{Family: family, Name: line}
		if m := releaseVersionRE.FindStringSubmatch(line); m != nil {
			o.Version = m[1]
		}
		return o
	}
	if data, ok := t.ReadFile("/etc/SuSE-release"); ok {
		return fromSuSERelease(string(data))
	}
	if line, ok := first("/etc/photon-release"); ok {
		o := &model.OS{Family: "photon", Name: line}
		if m := firstNumberRE.FindStringSubmatch(line); m != nil {
			o.Version = m[1]
		}
		return o
	}
	return nil
}

func redHatFamily(line string) string {
	switch {
	case strings.Contains(line, "Oracle Linux"):
		return "ol"
	case strings.Contains(line, "Rocky Linux"):
		return "rocky"
	case strings.Contains(line, "AlmaLinux"):
		return "almalinux"
	case strings.Contains(line, "CentOS"):
		return "centos"
	case strings.Contains(line, "Fedora"):
		return "fedora"
	case strings.Contains(line, "Amazon Linux"):
		return "amzn"
	case strings.Contains(line, "Red Hat Enterprise Linux"):
		return "rhel"
	}
	return ""
}

// fromSuSERelease reads the pre-os-release SUSE file:
//
//	SUSE Linux Enterprise Server 11 (x86_64)
//	VERSION = 11
//	PATCHLEVEL = 4
//
// SLES versions follow os-release's VERSION_ID form ("11.4"). openSUSE releases before Leap are reported as
// opensuse-leap, the family their advisories continue under.
func fromSuSERelease(data string) *model.OS {
	first, rest, _ := strings.Cut(data, "\n")
	first = strings.TrimSpace(first)
	fields := map[string]string{}
	for _, l := range strings.Split(rest, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	name := first
	if i := strings.LastIndex(name, " ("); i > 0 {
		name = name[:i] // drop the architecture
	}
	o := &model.OS{Name: name, Version: fields["VERSION"], Codename: fields["CODENAME"]}
	switch {
	case strings.Contains(first, "SUSE Linux Enterprise Server"):
		o.Family = "sles"
		if pl := fields["PATCHLEVEL"]; pl != "" && pl != "0" && isDigits(pl) && isDigits(o.Version) {
			o.Version += "." + pl
		}
	case strings.Contains(first, "openSUSE Tumbleweed"):
		o.Family = "opensuse-tumbleweed"
	case strings.Contains(first, "openSUSE"):
		o.Family = "opensuse-leap"
	default:
		return nil
	}
	if o.Version == "" {
		if m := firstNumberRE.FindStringSubmatch(first); m != nil {
			o.Version = m[1]
		}
	}
	return o
}

// debianPointRelease returns /etc/debian_version when it is a point release of version ("12.5" for "12").
func debianPointRelease(t Tree, version string) (string, bool) {
	if version == "" {
		return "", false
	}
	data, ok := t.ReadFile("/etc/debian_version")
	if !ok {
		return "", false
	}
	v := strings.TrimSpace(string(data))
	if !debianPointRE.MatchString(v) || !strings.HasPrefix(v, version+".") {
		return "", false
	}
	return v, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLowerWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}
