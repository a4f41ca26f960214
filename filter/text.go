package filter

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The helpers below compare text without allocating, folding case rune by
// rune (Unicode simple folding, as strings.EqualFold does) when fold is set.

func equalRune(a, b rune, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

func textEqual(s, t string, fold bool) bool {
	if fold {
		return strings.EqualFold(s, t)
	}
	return s == t
}

// hasPrefix reports whether s starts with prefix.
func hasPrefix(s, prefix string, fold bool) bool {
	if !fold {
		return strings.HasPrefix(s, prefix)
	}
	for prefix != "" {
		if s == "" {
			return false
		}
		a, na := utf8.DecodeRuneInString(s)
		b, nb := utf8.DecodeRuneInString(prefix)
		if !equalRune(a, b, true) {
			return false
		}
		s, prefix = s[na:], prefix[nb:]
	}
	return true
}

func hasSuffix(s, suffix string, fold bool) bool {
	if !fold {
		return strings.HasSuffix(s, suffix)
	}
	for suffix != "" {
		if s == "" {
			return false
		}
		a, na := utf8.DecodeLastRuneInString(s)
		b, nb := utf8.DecodeLastRuneInString(suffix)
		if !equalRune(a, b, true) {
			return false
		}
		s, suffix = s[:len(s)-na], suffix[:len(suffix)-nb]
	}
	return true
}

func contains(s, sub string, fold bool) bool {
	if !fold {
		return strings.Contains(s, sub)
	}
	if sub == "" {
		return true
	}
	for i := 0; i < len(s); {
		if hasPrefix(s[i:], sub, true) {
			return true
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
	}
	return false
}

// wildcard reports whether s matches pattern, in which '*' matches any run
// of characters (including none) and '?' exactly one character. Every other
// character matches itself; there is no escape. It runs in O(len(s) *
// len(pattern)) at worst and never allocates.
func wildcard(pattern, s string, fold bool) bool {
	px, sx := 0, 0
	star := false
	starPx, starSx := 0, 0 // where to resume after the last '*'
	for sx < len(s) {
		if px < len(pattern) {
			c, pw := utf8.DecodeRuneInString(pattern[px:])
			r, sw := utf8.DecodeRuneInString(s[sx:])
			if c == '*' {
				star, starPx, starSx = true, px+pw, sx
				px += pw
				continue
			}
			if c == '?' || equalRune(c, r, fold) {
				px += pw
				sx += sw
				continue
			}
		}
		if star {
			// Mismatch: let the last '*' swallow one more character.
			_, w := utf8.DecodeRuneInString(s[starSx:])
			starSx += w
			px, sx = starPx, starSx
			continue
		}
		return false
	}
	for ; px < len(pattern); px++ {
		if pattern[px] != '*' {
			return false
		}
	}
	return true
}

// blankText reports whether s holds nothing but white space.
func blankText(s string) bool { return strings.TrimSpace(s) == "" }
