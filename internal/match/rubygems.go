package match

import (
	"math/big"
	"regexp"
	"strings"

	"github.com/google/osv-scalibr/semantic"
)

// gemVersion orders RubyGems versions exactly as Gem::Version#<=> does. semantic's RubyGems ordering disagrees
// with RubyGems on versions with a "-" (which Gem::Version reads as ".pre.") and on how a pre-release string
// compares with what follows it ("1.pre" < "1.pre.1" for RubyGems); reference_ordering_test.go checks this type
// against Ruby itself. Hand-written because it is small and the reference is exact: segments are runs of digits
// or of letters; trailing zeros are dropped from the numeric part and from the part after the first string;
// segments compare numerically or as strings, a string (a pre-release) below any number, a missing one as 0.
type gemVersion struct {
	raw  string
	segs []any // *big.Int or string
}

var gemSegment = regexp.MustCompile(`[0-9]+|[A-Za-z]+`)

func parseGemVersion(v string) gemVersion {
	v = strings.ReplaceAll(strings.TrimSpace(v), "-", ".pre.")
	var segs []any
	for _, s := range gemSegment.FindAllString(v, -1) {
		if s[0] >= '0' && s[0] <= '9' {
			n, _ := new(big.Int).SetString(s, 10)
			segs = append(segs, n)
		} else {
			segs = append(segs, s)
		}
	}
	// canonical_segments: split at the first string, drop trailing zeros of each part, join.
	split := len(segs)
	for i, s := range segs {
		if _, ok := s.(string); ok {
			split = i
			break
		}
	}
	trim := func(part []any) []any {
		for len(part) > 0 {
			if n, ok := part[len(part)-1].(*big.Int); ok && n.Sign() == 0 {
				part = part[:len(part)-1]
				continue
			}
			break
		}
		return part
	}
	canon := append(trim(append([]any(nil), segs[:split]...)), trim(append([]any(nil), segs[split:]...))...)
	return gemVersion{raw: v, segs: canon}
}

var zero = big.NewInt(0)

func (g gemVersion) cmp(o gemVersion) int {
	if g.raw == o.raw {
		return 0
	}
	for i := 0; i < max(len(g.segs), len(o.segs)); i++ {
		var l, r any = zero, zero
		if i < len(g.segs) {
			l = g.segs[i]
		}
		if i < len(o.segs) {
			r = o.segs[i]
		}
		ls, lStr := l.(string)
		rs, rStr := r.(string)
		switch {
		case lStr && rStr:
			if c := strings.Compare(ls, rs); c != 0 {
				return c
			}
		case lStr:
			return -1
		case rStr:
			return 1
		default:
			if c := l.(*big.Int).Cmp(r.(*big.Int)); c != 0 {
				return c
			}
		}
	}
	return 0
}

func (g gemVersion) Compare(v semantic.Version) (int, error) {
	o, ok := v.(gemVersion)
	if !ok {
		return 0, semantic.ErrNotSameEcosystem
	}
	return g.cmp(o), nil
}

func (g gemVersion) CompareStr(s string) (int, error) {
	return g.cmp(parseGemVersion(s)), nil
}
