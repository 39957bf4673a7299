package loopback

import (
	"strings"
	"unicode"
)

// MaxValue bounds a query value kept by CleanValue, in runes.
const MaxValue = 500

// CleanValue makes a query value safe to show in a terminal or an error
// message: control characters (escape sequences included) become spaces,
// surrounding space is trimmed, and the text is cut to MaxValue runes.
func CleanValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar || unicode.Is(unicode.Bidi_Control, r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > MaxValue {
		s = string(r[:MaxValue]) + "…"
	}
	return s
}
