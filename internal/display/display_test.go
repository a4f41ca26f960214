package display

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"SO-1", "SO-1"},
		{"Café – ünïcode 日本", "Café – ünïcode 日本"},
		{"SO-1\u202eKCAB", `SO-1\u202eKCAB`},
		{"a\u2066b\u2069c\u200fd\u061c", `a\u2066b\u2069c\u200fd\u061c`},
		{"line1\nline2\r\tx", `line1\nline2\r\tx`},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"nul\x00del\x7f", `nul\x00del\x7f`},
		{"c1\u0085\u009b", `c1\u0085\u009b`},
		{"sep\u2028\u2029", `sep\u2028\u2029`},
		{"bad\xff\xfebytes", `bad\xff\xfebytes`},
		{"trunc\xe2\x82", `trunc\xe2\x82`},
		{`back\slash`, `back\slash`},
		{"", ""},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestInvalidUTF8(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"", -1}, {"ok", -1}, {"é日本", -1}, {"\xff", 0}, {"ab\xffc", 2}, {"é\xe2\x82", 2}, {"\xed\xa0\x80", 0}, // a surrogate
	} {
		if got := InvalidUTF8([]byte(tc.in)); got != tc.want {
			t.Errorf("InvalidUTF8(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// FuzzEscape: whatever goes in, what comes out is valid UTF-8 on one line
// with no unsafe rune, and text without unsafe runes is kept as it is.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"SO-1", "a\u202eb", "\x1b[2J", "x\xffy", "l1\nl2", "日本\u2029"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Escape(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Escape(%q) = %q is not UTF-8", s, got)
		}
		if strings.ContainsFunc(got, Unsafe) {
			t.Fatalf("Escape(%q) = %q keeps an unsafe rune", s, got)
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, Unsafe) && got != s {
			t.Fatalf("Escape(%q) = %q changed safe text", s, got)
		}
		if i := InvalidUTF8([]byte(s)); (i >= 0) == utf8.ValidString(s) {
			t.Fatalf("InvalidUTF8(%q) = %d disagrees with utf8.ValidString", s, i)
		}
	})
}
