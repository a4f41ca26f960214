// Package display makes text from customers, the ERP and Veeqo safe to show
// to a person: on a terminal, in a table, in an email. It is the one home of
// that escaping; every place that shows such text uses it.
//
// A reference such as "SO-1\u202eKCAB" would otherwise show reversed, and
// an ESC sequence would drive the terminal: control characters,
// line and paragraph separators, bidirectional formatting characters and
// bytes that are not UTF-8 are written as visible escapes (\n, \x1b,
// \u202e, \xff) instead.
package display

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bidi reports whether r is a bidirectional formatting character (the
// embeddings, overrides and isolates, and the directional marks), which
// reorders the text around it when shown.
func Bidi(r rune) bool {
	switch {
	case r == '\u061c', r == '\u200e', r == '\u200f':
		return true
	case r >= '\u202a' && r <= '\u202e':
		return true
	case r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// Unsafe reports whether r must not be shown as it is: a control character
// (C0, DEL, C1), a line or paragraph separator, or a bidirectional
// formatting character.
func Unsafe(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || Bidi(r)
}

// Escape returns s with every unsafe rune written as a Go escape (\t, \n,
// \x1b, \u202e) and every byte that is not UTF-8 as \xNN; the rest is kept
// as it is. The result is one line and reads in logical order.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case Unsafe(r):
			q := strconv.QuoteRuneToASCII(r) // 'x' with the escape inside
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || Unsafe(r) {
			return true
		}
		i += n
	}
	return false
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}

// InvalidUTF8 returns the offset of the first byte of b that does not start
// a valid UTF-8 sequence, or -1 when b is valid UTF-8.
func InvalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}
