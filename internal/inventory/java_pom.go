package inventory

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hullscan/hullscan/internal/model"
)

const pomMaxSize = 16 << 20

// MavenPOM reads a project's pom.xml: its <dependencies> (and those of profiles active by default), each a
// direct dependency, test scope marking Dev. The project itself is not reported: it is what is being built.
// Versions are resolved within the file only: ${property} from its <properties> and the project.* built-ins,
// and <dependencyManagement> for dependencies that give no version (and no scope). Parents and imported BOMs are
// not fetched, so a dependency whose version stays unresolved (or is a range) is not guessed: it is left out and
// named in a Partial error, which the scan reports as a warning. pom.xml files under META-INF/ belong to jars
// (exploded or not) and are read by JavaArchive from inside the jar; they are not matched.
type MavenPOM struct{}

func (MavenPOM) Name() string   { return "maven-pom" }
func (MavenPOM) Version() int   { return 1 }
func (MavenPOM) MaxSize() int64 { return pomMaxSize }

func (MavenPOM) Match(p string) bool {
	return strings.HasSuffix(p, "/pom.xml") && !strings.Contains(p, "/META-INF/")
}

type pomCoords struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
	Version    string `xml:"version"`
}

type pomDependency struct {
	pomCoords
	Scope      string `xml:"scope"`
	Type       string `xml:"type"`
	Classifier string `xml:"classifier"`
}

// pomProperties is a <properties> element: any child elements, each a name and a value.
type pomProperties struct {
	Entries []struct {
		XMLName xml.Name
		Value   string `xml:",chardata"`
	} `xml:",any"`
}

type pomProject struct {
	XMLName xml.Name `xml:"project"`
	pomCoords
	Parent       pomCoords       `xml:"parent"`
	Properties   pomProperties   `xml:"properties"`
	Dependencies []pomDependency `xml:"dependencies>dependency"`
	Managed      []pomDependency `xml:"dependencyManagement>dependencies>dependency"`
	Licenses     []string        `xml:"licenses>license>name"`
	Profiles     []struct {
		ActiveByDefault string          `xml:"activation>activeByDefault"`
		Properties      pomProperties   `xml:"properties"`
		Dependencies    []pomDependency `xml:"dependencies>dependency"`
		Managed         []pomDependency `xml:"dependencyManagement>dependencies>dependency"`
	} `xml:"profiles>profile"`
}

// applyDefaultProfiles merges the profiles a plain "mvn package" activates (activeByDefault) into the project;
// other profiles need a command-line switch or an environment this parser cannot see, and are left out.
func (p *pomProject) applyDefaultProfiles() {
	for _, pr := range p.Profiles {
		if strings.TrimSpace(pr.ActiveByDefault) != "true" {
			continue
		}
		p.Properties.Entries = append(p.Properties.Entries, pr.Properties.Entries...)
		p.Dependencies = append(p.Dependencies, pr.Dependencies...)
		p.Managed = append(p.Managed, pr.Managed...)
	}
}

// decodeMavenPOM decodes a pom, accepting the Latin-1 declarations some older poms carry.
func decodeMavenPOM(b []byte) (*pomProject, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return in, nil
		case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
			return javaLatin1Reader(in)
		}
		return nil, fmt.Errorf("unsupported encoding %q", charset)
	}
	var p pomProject
	if err := d.Decode(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

// javaLatin1Reader converts ISO-8859-1 to UTF-8 (windows-1252's extra characters come out as their Latin-1 code
// points, which is harmless for coordinates).
func javaLatin1Reader(in io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(in)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(b)+len(b)/8)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return bytes.NewReader(out), nil
}

func (MavenPOM) Parse(p string, r io.Reader, size int64) ([]model.Package, error) {
	b, err := javaReadAll(r, size, pomMaxSize)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	pom, err := decodeMavenPOM(b)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	pom.applyDefaultProfiles()
	props := mavenPOMProperties(pom)
	// Maven keys managed dependencies by group:artifact:type:classifier; the first declaration wins.
	key := func(d pomDependency) string {
		t := strings.TrimSpace(d.Type)
		if t == "" {
			t = "jar"
		}
		return expandMavenPOM(d.GroupID, props) + ":" + expandMavenPOM(d.ArtifactID, props) + ":" + t + ":" +
			expandMavenPOM(d.Classifier, props)
	}
	managed := map[string]pomDependency{}
	for _, d := range pom.Managed {
		if _, ok := managed[key(d)]; !ok {
			managed[key(d)] = d
		}
	}
	var (
		pkgs       []model.Package
		unresolved []string
	)
	for _, d := range pom.Dependencies {
		g, a := expandMavenPOM(d.GroupID, props), expandMavenPOM(d.ArtifactID, props)
		v, scope := strings.TrimSpace(d.Version), strings.TrimSpace(d.Scope)
		if m, ok := managed[key(d)]; ok {
			if v == "" {
				v = strings.TrimSpace(m.Version)
			}
			if scope == "" {
				scope = strings.TrimSpace(m.Scope)
			}
		}
		v = expandMavenPOM(v, props)
		if !isMavenID(g) || !isMavenID(a) {
			unresolved = append(unresolved, strings.TrimSpace(d.GroupID)+":"+strings.TrimSpace(d.ArtifactID))
			continue
		}
		if !isMavenToken(v) || v[0] == '[' || v[0] == '(' {
			desc := "no version"
			if v != "" {
				desc = "version " + v
			}
			unresolved = append(unresolved, fmt.Sprintf("%s:%s (%s)", g, a, desc))
			continue
		}
		pkgs = append(pkgs, model.Package{
			Ecosystem:  model.Maven,
			Name:       g + ":" + a,
			Version:    v,
			Location:   p,
			Dependency: model.DependencyDirect,
			Dev:        expandMavenPOM(scope, props) == "test",
		})
	}
	if len(unresolved) > 0 {
		return pkgs, &Partial{Err: fmt.Errorf("parse %s: %d dependencies left out, their version unresolved "+
			"without the parent pom or imported BOMs: %s", p, len(unresolved), javaSummarise(unresolved))}
	}
	return pkgs, nil
}

// mavenPOMProperties holds the pom's <properties> and the project.* built-ins Maven interpolates, with the
// parent's values where the project inherits them.
func mavenPOMProperties(pom *pomProject) map[string]string {
	props := map[string]string{}
	for _, e := range pom.Properties.Entries {
		props[e.XMLName.Local] = strings.TrimSpace(e.Value)
	}
	trim := strings.TrimSpace
	g, v := trim(pom.GroupID), trim(pom.Version)
	if g == "" {
		g = trim(pom.Parent.GroupID)
	}
	if v == "" {
		v = trim(pom.Parent.Version)
	}
	builtin := map[string]string{
		"project.groupId":           g,
		"project.artifactId":        trim(pom.ArtifactID),
		"project.version":           v,
		"project.parent.groupId":    trim(pom.Parent.GroupID),
		"project.parent.artifactId": trim(pom.Parent.ArtifactID),
		"project.parent.version":    trim(pom.Parent.Version),
	}
	for k, val := range builtin {
		if val == "" {
			continue
		}
		props[k] = val
		// Maven 2's deprecated aliases, still met in old poms.
		props["pom."+strings.TrimPrefix(k, "project.")] = val
	}
	return props
}

// expandMavenPOM replaces ${name} references from props, repeatedly (properties may refer to properties), up to a
// fixed depth so that cycles end; what cannot be resolved stays as written.
func expandMavenPOM(s string, props map[string]string) string {
	s = strings.TrimSpace(s)
	for depth := 0; depth < 10 && strings.Contains(s, "${"); depth++ {
		var b strings.Builder
		changed := false
		rest := s
		for {
			i := strings.Index(rest, "${")
			if i < 0 {
				b.WriteString(rest)
				break
			}
			j := strings.IndexByte(rest[i:], '}')
			if j < 0 {
				b.WriteString(rest)
				break
			}
			b.WriteString(rest[:i])
			name := rest[i+2 : i+j]
			if v, ok := props[name]; ok {
				b.WriteString(v)
				changed = true
			} else {
				b.WriteString(rest[i : i+j+1])
			}
			rest = rest[i+j+1:]
		}
		s = b.String()
		if !changed || len(s) > 4096 {
			break
		}
	}
	return s
}
