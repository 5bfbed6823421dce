package gate

import (
	"fmt"
	"regexp"
	"strings"
)

// glob is a compiled scope or package pattern. path.Match cannot say "any depth" (registry.example.com/team/**),
// and image references are paths of any depth, so patterns are compiled here: "**" matches anything, "*" anything
// but "/", "?" one character other than "/". Everything else is literal.
type glob struct {
	pattern string
	re      *regexp.Regexp
}

func compileGlob(p string) (glob, error) {
	if p == "" {
		return glob{}, fmt.Errorf("empty pattern")
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			if i+1 < len(p) && p[i+1] == '*' {
				b.WriteString(".*")
				i++
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return glob{}, fmt.Errorf("pattern %q: %w", p, err)
	}
	return glob{pattern: p, re: re}, nil
}

func (g glob) match(s string) bool { return g.re.MatchString(s) }

// anyMatch tells whether any pattern matches any of the names.
func anyMatch(globs []glob, names []string) bool {
	for _, g := range globs {
		for _, n := range names {
			if g.match(n) {
				return true
			}
		}
	}
	return false
}
