package inventory

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
)

// javaParsers lists this ecosystem's parsers.
func javaParsers() []Parser {
	return []Parser{JavaArchive{}, MavenPOM{}, GradleLockfile{}}
}

// Limits on what one Java archive may make us read. A jar is a zip, and zips can be bombs: a 1 MiB entry can
// inflate to 1 GiB, a nested jar can hold another one, and a central directory can list millions of entries.
// The caps count everything read under one top-level archive, at every nesting level.
const (
	javaArchiveMaxSize = 1 << 30
	// JavaMaxNestingDepth is how deep archives inside archives are opened: the file on disk is depth 0, a jar in
	// its BOOT-INF/lib depth 1, a jar in a war in an ear depth 2. Deeper archives are skipped with a warning.
	JavaMaxNestingDepth = 3
	// javaMaxNestedSize caps one nested archive, which has to be inflated into memory to be read as a zip.
	javaMaxNestedSize = 256 << 20
	// javaMaxInflated caps the decompressed bytes read under one top-level archive (nested archives and
	// metadata files; class files are never decompressed).
	javaMaxInflated = 1 << 30
	// javaMaxEntries caps the central-directory entries of one top-level archive and all its nested archives:
	// archive/zip keeps a record per entry in memory. The largest real jars hold some 10^5 entries.
	javaMaxEntries = 500_000
	// javaMaxMetaSize caps one MANIFEST.MF, pom.properties or pom.xml.
	javaMaxMetaSize = 1 << 20
)

// javaLimits carries the caps, so tests can lower them.
type javaLimits struct {
	depth                      int
	nestedSize, inflated, meta int64
	entries                    uint64
}

var defaultJavaLimits = javaLimits{
	depth: JavaMaxNestingDepth, nestedSize: javaMaxNestedSize, inflated: javaMaxInflated,
	meta: javaMaxMetaSize, entries: javaMaxEntries,
}

// JavaArchive reads Java archives (.jar, .war, .ear, .par, Jenkins plugins .hpi/.jpi) and the archives nested in
// them. An archive's packages come, in order of preference, from:
//
//  1. every META-INF/maven/<group>/<artifact>/pom.properties (Evidence "pom.properties"): a shaded jar holds
//     several and all are reported; the one whose artifactId best matches the file name is the archive's own
//     and gets the manifest's Bundle-License;
//  2. the Maven repository layout of the archive's path, ".../.m2/repository/<group path>/<artifact>/<version>/
//     <artifact>-<version>[-classifier].jar", Debian's /usr/share/maven-repo/ or Gradle's
//     ".../files-2.1/<group>/<artifact>/<version>/<sha1>/" (Evidence "maven-repository");
//  3. META-INF/MANIFEST.MF (Evidence "manifest"; see javaManifestPackage for the group heuristic);
//  4. the file name "artifact-1.2.3.jar" (Evidence "filename"). The group is unknown and Name is the artifactId
//     alone, without a colon: matching must key such packages (and "manifest" ones without a group) on the
//     artifactId.
//
// Nested archives (any entry with one of the extensions: BOOT-INF/lib/ of Spring Boot, WEB-INF/lib/ of wars,
// wars and jars in ears, lib/ of Jenkins plugins) are read recursively, to JavaMaxNestingDepth; their packages'
// Location is "/outer.jar!/BOOT-INF/lib/inner.jar". Caps on entries, inflated bytes and nesting turn zip bombs
// into warnings (a Partial error) while the packages read so far are kept.
type JavaArchive struct{}

func (JavaArchive) Name() string   { return "java-archive" }
func (JavaArchive) Version() int   { return 1 }
func (JavaArchive) MaxSize() int64 { return javaArchiveMaxSize }

func (JavaArchive) Match(p string) bool { return isJavaArchiveName(p) }

// isJavaArchiveName reports whether name ends in one of the Java archive extensions, in any case.
func isJavaArchiveName(name string) bool {
	i := strings.LastIndexByte(name, '.')
	if i < 0 || len(name)-i > 4 {
		return false
	}
	switch ext := name[i+1:]; {
	case strings.EqualFold(ext, "jar"), strings.EqualFold(ext, "war"), strings.EqualFold(ext, "ear"),
		strings.EqualFold(ext, "par"), strings.EqualFold(ext, "hpi"), strings.EqualFold(ext, "jpi"):
		// A bare ".jar" (a hidden file named only by its extension) is no artifact.
		return i > 0 && name[i-1] != '/'
	}
	return false
}

func (JavaArchive) Parse(p string, r io.Reader, size int64) ([]model.Package, error) {
	return parseJavaArchive(p, r, size, defaultJavaLimits)
}

func parseJavaArchive(p string, r io.Reader, size int64, lim javaLimits) ([]model.Package, error) {
	data, err := javaReadAll(r, size, javaArchiveMaxSize)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	w := &javaWalk{lim: lim, inflated: lim.inflated, entries: lim.entries}
	pkgs, err := w.archive(p, path.Base(p), "", data, 0)
	if err != nil {
		// The top-level file is not a readable zip at all.
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	for i := range pkgs {
		pkgs[i].Location = p + pkgs[i].Location
	}
	if len(w.warnings) > 0 {
		return pkgs, &Partial{Err: fmt.Errorf("parse %s: %s", p, javaSummarise(w.warnings))}
	}
	return pkgs, nil
}

// javaSummarise joins warnings, keeping the message bounded for a jar with thousands of bad entries.
func javaSummarise(ws []string) string {
	const show = 5
	if len(ws) <= show {
		return strings.Join(ws, "; ")
	}
	return strings.Join(ws[:show], "; ") + fmt.Sprintf("; and %d more", len(ws)-show)
}

// javaReadAll reads all of r, refusing more than limit bytes; size (when sane) sizes the buffer once.
func javaReadAll(r io.Reader, size, limit int64) ([]byte, error) {
	if size > limit {
		return nil, fmt.Errorf("%d bytes is over the %d-byte limit", size, limit)
	}
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(size) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("over the %d-byte limit", limit)
	}
	return buf.Bytes(), nil
}

// javaWalk is the state shared by an archive and everything nested in it: the remaining budgets and the
// warnings, which name nested archives by their location inside the top-level file.
type javaWalk struct {
	lim      javaLimits
	inflated int64  // decompressed bytes still allowed
	entries  uint64 // central-directory entries still allowed
	warnings []string
}

func (w *javaWalk) warn(format string, args ...any) {
	w.warnings = append(w.warnings, fmt.Sprintf(format, args...))
}

// errJavaInflateBudget stops reading once the decompressed-bytes budget is spent.
var errJavaInflateBudget = errors.New("decompressed-size budget of the archive spent")

// javaBudgetReader counts decompressed bytes against the walk's budget.
type javaBudgetReader struct {
	r io.Reader
	w *javaWalk
}

func (b javaBudgetReader) Read(p []byte) (int, error) {
	if b.w.inflated <= 0 {
		return 0, errJavaInflateBudget
	}
	if int64(len(p)) > b.w.inflated {
		p = p[:b.w.inflated]
	}
	n, err := b.r.Read(p)
	b.w.inflated -= int64(n)
	return n, err
}

// readEntry decompresses one entry, at most limit bytes; ok is false when it was larger (or unreadable), with a
// warning already recorded.
func (w *javaWalk) readEntry(loc string, f *zip.File, limit int64) ([]byte, bool) {
	if f.UncompressedSize64 > uint64(limit) {
		w.warn("%s: %d bytes is over the %d-byte limit, skipped", loc, f.UncompressedSize64, limit)
		return nil, false
	}
	rc, err := f.Open()
	if err != nil {
		w.warn("%s: %v", loc, err)
		return nil, false
	}
	defer rc.Close()
	// The header's size may lie: it sizes the buffer only as far as the compressed size makes it possible
	// (deflate inflates at most about 1032:1) and the budget allows.
	grow := min(f.UncompressedSize64, f.CompressedSize64*1032+1024, uint64(max(w.inflated, 0)))
	var buf bytes.Buffer
	buf.Grow(int(grow))
	n, err := buf.ReadFrom(io.LimitReader(javaBudgetReader{rc, w}, limit+1))
	switch {
	case err != nil:
		w.warn("%s: %v", loc, err)
		return nil, false
	case n > limit:
		w.warn("%s: more than %d bytes when inflated, skipped", loc, limit)
		return nil, false
	}
	return buf.Bytes(), true
}

// javaZipEntryCount reads the entry count from a zip's end-of-central-directory record (zip64 too), so that a
// directory of millions of entries is refused before archive/zip allocates a record for each. ok is false when
// no record is found (archive/zip will then reject the file itself).
func javaZipEntryCount(data []byte) (n uint64, ok bool) {
	const eocdLen = 22
	start := len(data) - (eocdLen + 0xffff)
	if start < 0 {
		start = 0
	}
	i := bytes.LastIndex(data[start:], []byte("PK\x05\x06"))
	if i < 0 || start+i+eocdLen > len(data) {
		return 0, false
	}
	eocd := start + i
	n = uint64(binary.LittleEndian.Uint16(data[eocd+10:]))
	if n != 0xffff && binary.LittleEndian.Uint32(data[eocd+16:]) != 0xffffffff {
		return n, true
	}
	// Zip64: the locator sits right before the record and points at the zip64 end record.
	loc := eocd - 20
	if loc < 0 || !bytes.Equal(data[loc:loc+4], []byte("PK\x06\x07")) {
		return n, true
	}
	off := binary.LittleEndian.Uint64(data[loc+8:])
	if off > uint64(len(data)) || uint64(len(data))-off < 56 || !bytes.Equal(data[off:off+4], []byte("PK\x06\x06")) {
		return n, true
	}
	return binary.LittleEndian.Uint64(data[off+32:]), true
}

// javaPomProps is one META-INF/maven/<g>/<a>/pom.properties.
type javaPomProps struct {
	group, artifact, version string
}

// archive reads one archive held in data. loc is its location relative to the top-level file ("" for the file
// itself, "!/BOOT-INF/lib/x.jar" below it), name its file name, fsPath the top-level path (for the Maven
// repository layout, which only the file on disk has). An error means data is not a zip at all.
func (w *javaWalk) archive(fsPath, name, loc string, data []byte, depth int) ([]model.Package, error) {
	if n, ok := javaZipEntryCount(data); ok {
		if n > w.entries {
			return nil, fmt.Errorf("%d entries: over the limit of %d entries per archive", n, w.lim.entries)
		}
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, err
	}
	if uint64(len(zr.File)) > w.entries {
		return nil, fmt.Errorf("%d entries: over the limit of %d entries per archive", len(zr.File), w.lim.entries)
	}
	w.entries -= uint64(len(zr.File))

	here := fsPath + loc
	var (
		manifest map[string]string
		props    = map[string]*javaPomProps{} // by directory META-INF/maven/<g>/<a>/
		pomXML   = map[string][]string{}      // licences by directory
		nested   []*zip.File
	)
	for _, f := range zr.File {
		n := f.Name
		if strings.HasSuffix(n, "/") {
			continue
		}
		switch {
		case strings.EqualFold(n, "META-INF/MANIFEST.MF"):
			if b, ok := w.readEntry(here+"!/"+n, f, w.lim.meta); ok {
				manifest = parseJavaManifest(b)
			}
		case strings.HasPrefix(n, "META-INF/maven/") && strings.Count(n, "/") == 4:
			dir, base := path.Split(n)
			switch base {
			case "pom.properties":
				if b, ok := w.readEntry(here+"!/"+n, f, w.lim.meta); ok {
					if pp := parsePomProperties(b, dir); pp != nil {
						props[dir] = pp
					}
				}
			case "pom.xml":
				if b, ok := w.readEntry(here+"!/"+n, f, w.lim.meta); ok {
					if pom, err := decodeMavenPOM(b); err == nil {
						pomXML[dir] = javaCleanLicenses(pom.Licenses)
					}
				}
			}
		case isJavaArchiveName(n):
			nested = append(nested, f)
		}
	}

	pkgs := w.identify(fsPath, name, loc, depth, manifest, props, pomXML)
	for _, f := range nested {
		nloc := loc + "!/" + f.Name
		if depth+1 > w.lim.depth {
			w.warn("%s: nested deeper than %d archives, skipped", fsPath+nloc, w.lim.depth)
			continue
		}
		b, ok := w.readEntry(fsPath+nloc, f, w.lim.nestedSize)
		if !ok {
			continue
		}
		sub, err := w.archive(fsPath, path.Base(f.Name), nloc, b, depth+1)
		if err != nil {
			w.warn("%s: %v", fsPath+nloc, err)
		}
		pkgs = append(pkgs, sub...)
	}
	return pkgs, nil
}

// identify names the packages of one archive from what was read of it (see JavaArchive for the order).
// Locations are relative (loc); parseJavaArchive prefixes the path.
func (w *javaWalk) identify(fsPath, name, loc string, depth int, manifest map[string]string,
	props map[string]*javaPomProps, pomXML map[string][]string) []model.Package {
	mk := func(n, v, evidence string, lic []string) model.Package {
		return model.Package{Ecosystem: model.Maven, Name: n, Version: v, Location: loc, Evidence: evidence, Licenses: lic}
	}
	pkgs := w.identifyAll(fsPath, name, depth, manifest, props, pomXML, mk)
	out := pkgs[:0]
	for _, p := range pkgs {
		if !isMavenName(p.Name) {
			w.warn("%s: %s names %q, not a Maven group:artifact, skipped", fsPath+loc, p.Evidence, p.Name)
			continue
		}
		out = append(out, p)
	}
	return out
}

// identifyAll is identify before the names are checked.
func (w *javaWalk) identifyAll(fsPath, name string, depth int, manifest map[string]string,
	props map[string]*javaPomProps, pomXML map[string][]string,
	mk func(n, v, evidence string, lic []string) model.Package) []model.Package {
	bundleLic := manifestLicenses(manifest)
	if len(props) > 0 {
		dirs := make([]string, 0, len(props))
		for d := range props {
			dirs = append(dirs, d)
		}
		sort.Strings(dirs)
		stem := javaStem(name)
		own, best := "", -1
		for _, d := range dirs {
			if s := javaArtifactMatch(stem, props[d].artifact); s > best {
				own, best = d, s
			}
		}
		var pkgs []model.Package
		seen := map[string]bool{}
		// The archive's own package first, then the shaded-in ones.
		for _, d := range append([]string{own}, dirs...) {
			pp := props[d]
			key := pp.group + ":" + pp.artifact + "@" + pp.version
			if seen[key] {
				continue
			}
			seen[key] = true
			lic := pomXML[d]
			if d == own && len(lic) == 0 {
				lic = bundleLic
			}
			pkgs = append(pkgs, mk(pp.group+":"+pp.artifact, pp.version, "pom.properties", lic))
		}
		return pkgs
	}
	if depth == 0 {
		if g, a, v, ok := mavenRepoCoords(fsPath); ok {
			return []model.Package{mk(g+":"+a, v, "maven-repository", bundleLic)}
		}
	}
	if n, v, ok := javaManifestPackage(manifest, name); ok {
		return []model.Package{mk(n, v, "manifest", bundleLic)}
	}
	if a, v, ok := splitJavaFilename(javaStem(name)); ok {
		return []model.Package{mk(a, v, "filename", nil)}
	}
	return nil
}

// javaStem is a file name without its archive extension.
func javaStem(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[:i]
	}
	return name
}

// javaArtifactMatch scores how well an artifactId names the archive file: 3 for "<artifact>-<version>" or the
// artifact alone, 2 for "<artifact>-..." (longer artifacts win ties through the length term), 1 for containing
// it, 0 otherwise.
func javaArtifactMatch(stem, artifact string) int {
	stem, artifact = strings.ToLower(stem), strings.ToLower(artifact)
	switch {
	case stem == artifact:
		return 3 << 16
	case strings.HasPrefix(stem, artifact+"-"):
		if _, v, ok := splitJavaFilename(stem); ok && stem == artifact+"-"+v {
			return 3 << 16
		}
		return 2<<16 + len(artifact)
	case strings.Contains(stem, artifact):
		return 1<<16 + len(artifact)
	}
	return 0
}

// parsePomProperties reads a pom.properties (a Java properties file of groupId, artifactId, version). A field
// missing from the file is taken from its directory META-INF/maven/<group>/<artifact>/, which Maven names after
// the same coordinates. nil when no version is usable.
func parsePomProperties(b []byte, dir string) *javaPomProps {
	kv := parseJavaProperties(b)
	segs := strings.Split(strings.TrimSuffix(dir, "/"), "/") // META-INF maven <g> <a>
	pp := &javaPomProps{group: kv["groupId"], artifact: kv["artifactId"], version: kv["version"]}
	if pp.group == "" && len(segs) == 4 {
		pp.group = segs[2]
	}
	if pp.artifact == "" && len(segs) == 4 {
		pp.artifact = segs[3]
	}
	if !isMavenToken(pp.group) || !isMavenToken(pp.artifact) || !isMavenToken(pp.version) {
		return nil
	}
	return pp
}

// isMavenName reports whether a package name is "group:artifact" or a bare artifact, each part of the characters
// Maven's model validation allows for ids ([A-Za-z0-9_.-]+). Others cannot be resolved by Maven nor written as
// a purl (a "/" would be read as a namespace separator).
func isMavenName(n string) bool {
	g, a, ok := strings.Cut(n, ":")
	if !ok {
		return isMavenID(g)
	}
	return isMavenID(g) && isMavenID(a)
}

func isMavenID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// isMavenToken reports whether s is usable as a Maven coordinate part: non-empty, no whitespace or control
// characters, no ":" (the Name separator) and no unexpanded "${...}".
func isMavenToken(s string) bool {
	return isToken(s) && !strings.ContainsRune(s, ':') && !strings.Contains(s, "${")
}

// parseJavaProperties reads the subset of the java.util.Properties format that tools write: "key=value",
// "key: value" or "key value" lines, "#" and "!" comments, backslash line continuations and escapes.
func parseJavaProperties(b []byte) map[string]string {
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), len(b)+1)
	var logical strings.Builder
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t\f")
		if logical.Len() == 0 && (line == "" || line[0] == '#' || line[0] == '!') {
			continue
		}
		line = strings.TrimSuffix(line, "\r")
		// An odd number of trailing backslashes continues the line.
		bs := len(line) - len(strings.TrimRight(line, "\\"))
		if bs%2 == 1 {
			logical.WriteString(line[:len(line)-1])
			continue
		}
		logical.WriteString(line)
		k, v := splitJavaProperty(logical.String())
		logical.Reset()
		if k != "" {
			kv[k] = v
		}
	}
	return kv
}

// splitJavaProperty splits a logical properties line at its first unescaped "=", ":" or whitespace, unescaping both
// halves.
func splitJavaProperty(line string) (string, string) {
	var key strings.Builder
	i := 0
	for ; i < len(line); i++ {
		c := line[i]
		if c == '\\' && i+1 < len(line) {
			i++
			key.WriteByte(unescapeJavaProperty(line[i]))
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			break
		}
		key.WriteByte(c)
	}
	rest := strings.TrimLeft(line[i:], " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	var val strings.Builder
	for j := 0; j < len(rest); j++ {
		if rest[j] == '\\' && j+1 < len(rest) {
			j++
			val.WriteByte(unescapeJavaProperty(rest[j]))
			continue
		}
		val.WriteByte(rest[j])
	}
	return key.String(), strings.TrimSpace(val.String())
}

func unescapeJavaProperty(c byte) byte {
	switch c {
	case 't':
		return '\t'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 'f':
		return '\f'
	}
	return c
}

// parseJavaManifest reads the main section of a MANIFEST.MF: "Name: value" lines, continuation lines starting with
// one space, ended by the first blank line.
func parseJavaManifest(b []byte) map[string]string {
	m := map[string]string{}
	last := ""
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			if len(m) > 0 {
				break
			}
			continue
		}
		if line[0] == ' ' {
			if last != "" {
				m[last] += line[1:]
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			last = ""
			continue
		}
		last = strings.TrimSpace(k)
		m[last] = strings.TrimSpace(v)
	}
	return m
}

// manifestLicenses reads OSGi's Bundle-License: a comma-separated list of "name;link=...;description=..."
// clauses, names possibly quoted; names are SPDX ids or, often, licence URLs, kept as written.
func manifestLicenses(m map[string]string) []string {
	v := m["Bundle-License"]
	if v == "" {
		return nil
	}
	var out []string
	for _, clause := range javaSplitOutsideQuotes(v, ',') {
		name, _, _ := strings.Cut(clause, ";")
		name = strings.Trim(strings.TrimSpace(name), `"`)
		if name != "" {
			out = append(out, name)
		}
	}
	return javaCleanLicenses(out)
}

func javaSplitOutsideQuotes(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case sep:
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// javaCleanLicenses trims, drops empties and duplicates.
func javaCleanLicenses(in []string) []string {
	var out []string
	for _, l := range in {
		l = strings.Join(strings.Fields(l), " ")
		if l != "" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// javaManifestPackage names an archive from its manifest; ok is false when the manifest adds nothing to what
// the file name says (no group, and no version the name lacks), leaving the archive to the "filename" rule.
//
// A Jenkins plugin's manifest names it exactly: Group-Id, Short-Name, Plugin-Version.
//
// Otherwise the version is the file name's when it has one ("asm-9.4.jar": the name a repository or a build's dependency
// copy gave the file, while Debian's asm manifest says 9.4-SNAPSHOT and JNA's "5.13.0 (b0)"), else
// Implementation-Version, else Bundle-Version (OSGi pads it to "1.2.0", and junit 4.13.2's still says 4.12).
//
// The artifactId is Extension-Name when it is a plain word (Apache's old manifests: "commons-collections" in
// Debian's commons-collections3-3.2.2.jar), else the file name's, else Implementation-Title lower-cased when it is
// a single word ("JUnit" in junit4.jar), else the file name without its extension. No manifest field holds the
// groupId, so it is inferred:
//
//   - from Bundle-SymbolicName, else Automatic-Module-Name, by inverting the maven-bundle-plugin's default rule:
//     "<group>.<artifact>" gives <group> ("org.yaml.snakeyaml" and snakeyaml give org.yaml), except that a
//     one-label prefix ("org.hamcrest" and hamcrest) means the name is the group itself (org.hamcrest);
//     "<group>.<artifact less the group's last label and a dash>" gives <group> ("org.apache.logging.log4j.api"
//     and log4j-api give org.apache.logging.log4j);
//   - from Implementation-Vendor-Id (Maven's archiver once wrote the groupId there), unless it is only a prefix
//     of the group the bundle name gave (Apache projects write "org.apache" there);
//   - for Apache's old builds (vendor id or bundle name "org.apache..."), a plain-word Extension-Name is both the
//     artifactId and the groupId (commons-lang:commons-lang).
//
// Without any of these, the group is unknown and the name is the artifactId alone. The guess can be wrong (Debian's
// commons-logging-1.2.jar gives org.apache.commons:commons-logging, its real group being commons-logging), which
// is why such packages carry Evidence "manifest": matching should key them on the artifactId.
func javaManifestPackage(m map[string]string, fileName string) (name, version string, ok bool) {
	if len(m) == 0 {
		return "", "", false
	}
	// Jenkins plugins (.hpi, .jpi) name themselves exactly.
	if g, a, v := m["Group-Id"], m["Short-Name"], m["Plugin-Version"]; isMavenToken(g) && isMavenToken(a) && isMavenToken(v) {
		return g + ":" + a, v, true
	}
	stem := javaStem(fileName)
	fileArtifact, fileVersion, fileOK := splitJavaFilename(stem)
	contributed := false
	version = fileVersion
	if !fileOK {
		for _, k := range []string{"Implementation-Version", "Bundle-Version"} {
			if isMavenToken(m[k]) {
				version, contributed = m[k], true
				break
			}
		}
		if !contributed {
			return "", "", false
		}
	}
	title := strings.ToLower(m["Implementation-Title"])
	var artifact string
	switch ext := m["Extension-Name"]; {
	case isMavenToken(ext) && !strings.ContainsAny(ext, "./\\"):
		artifact, contributed = ext, contributed || ext != fileArtifact
	case fileOK:
		artifact = fileArtifact
	case isMavenToken(title) && !strings.ContainsAny(title, "/\\"):
		artifact, contributed = title, true
	default:
		artifact = stem
	}
	if !isMavenToken(artifact) {
		return "", "", false
	}
	bsn, _, _ := strings.Cut(m["Bundle-SymbolicName"], ";") // "org.foo.bar;singleton:=true"
	group := javaGroupFromSymbolicName(strings.TrimSpace(bsn), artifact)
	if group == "" {
		group = javaGroupFromSymbolicName(m["Automatic-Module-Name"], artifact)
	}
	vid := m["Implementation-Vendor-Id"]
	if isMavenToken(vid) && !strings.HasPrefix(group+".", vid+".") {
		group = vid
	}
	// Apache's Maven 1 and Ant builds wrote the artifactId as Extension-Name, and their groupId was the
	// artifactId (commons-lang:commons-lang, commons-collections:commons-collections).
	if ext := m["Extension-Name"]; ext == artifact && strings.HasPrefix(vid+"."+bsn, "org.apache.") {
		group = ext
	}
	switch {
	case isMavenToken(group):
		return group + ":" + artifact, version, true
	case contributed:
		return artifact, version, true
	}
	return "", "", false
}

// javaGroupFromSymbolicName inverts the maven-bundle-plugin's Bundle-SymbolicName rule (see javaManifestPackage);
// "" when the name does not follow it.
func javaGroupFromSymbolicName(bsn, artifact string) string {
	if bsn == "" || !strings.Contains(bsn, ".") {
		return ""
	}
	if prefix, ok := strings.CutSuffix(bsn, "."+artifact); ok {
		if !strings.Contains(prefix, ".") {
			return bsn
		}
		return prefix
	}
	i := strings.LastIndexByte(bsn, '.')
	prefix, last := bsn[:i], bsn[i+1:]
	if j := strings.LastIndexByte(prefix, '.'); j >= 0 && prefix[j+1:]+"-"+last == artifact {
		return prefix
	}
	return ""
}

// splitJavaFilename splits "artifact-1.2.3" into artifact and version. The version starts at a "-" followed by
// a digit: the last such one that starts a dotted number ("log4j-1.2-api-2.19.0" → log4j-1.2-api, 2.19.0), else
// the first ("jsr305-0~svn49"), so qualifiers stay in the version ("guava-31.1-jre", "foo-1.0-beta-2").
func splitJavaFilename(stem string) (artifact, version string, ok bool) {
	first, dotted := -1, -1
	for i := 1; i+1 < len(stem); i++ {
		if stem[i] != '-' || stem[i+1] < '0' || stem[i+1] > '9' {
			continue
		}
		if first < 0 {
			first = i
		}
		j := i + 1
		for j < len(stem) && stem[j] >= '0' && stem[j] <= '9' {
			j++
		}
		if j+1 < len(stem) && stem[j] == '.' && stem[j+1] >= '0' && stem[j+1] <= '9' {
			dotted = i
		}
	}
	at := dotted
	if at < 0 {
		at = first
	}
	if at < 0 {
		return "", "", false
	}
	artifact, version = stem[:at], stem[at+1:]
	if !isMavenToken(artifact) || !isMavenToken(version) {
		return "", "", false
	}
	return artifact, version, true
}

// mavenRepoCoords reads coordinates from a path inside a Maven repository: after "/.m2/repository/" or Debian's
// "/usr/share/maven-repo/", "<group path>/<artifact>/<version>/<artifact>-<version>[-classifier].<ext>"; after
// Gradle's ".../files-2.1/", "<group>/<artifact>/<version>/<sha1>/<artifact>-<version>[-classifier].<ext>".
// Debian's alias version directories ("debian", and "2.x" for the 2 series) are not versions.
func mavenRepoCoords(p string) (group, artifact, version string, ok bool) {
	var segs []string
	gradle := false
	for _, marker := range []string{"/.m2/repository/", "/usr/share/maven-repo/", "/files-2.1/"} {
		if i := strings.LastIndex(p, marker); i >= 0 {
			segs = strings.Split(p[i+len(marker):], "/")
			gradle = marker == "/files-2.1/"
			break
		}
	}
	file := ""
	switch {
	case gradle && len(segs) == 5:
		group, artifact, version, file = segs[0], segs[1], segs[2], segs[4]
	case !gradle && len(segs) >= 4:
		n := len(segs)
		group, artifact, version, file = strings.Join(segs[:n-3], "."), segs[n-3], segs[n-2], segs[n-1]
	default:
		return "", "", "", false
	}
	rest, found := strings.CutPrefix(file, artifact+"-"+version)
	alias := version == "debian" || (strings.HasSuffix(version, ".x") && isDigits(strings.TrimSuffix(version, ".x")))
	if !found || (rest == "" || rest[0] != '.' && rest[0] != '-') || alias ||
		!isMavenToken(group) || !isMavenToken(artifact) || !isMavenToken(version) {
		return "", "", "", false
	}
	return group, artifact, version, true
}
