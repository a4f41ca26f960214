package notify_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/notify"
)

func TestExcludeMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		patterns string
		msg      string
		want     bool
	}{
		{"keyword substring", "timeout", "Veeqo request TIMEOUT after 30s", true},
		{"keyword case-insensitive", "Rate Limit", "hit the rate limit, retrying", true},
		{"keyword absent", "timeout", "SKU ABC not found", false},
		{"second of several", " foo , sku abc ,bar", "SKU ABC not found", true},
		{"empty items ignored", ",,", "anything", false},
		{"empty setting", "", "anything", false},
		{"star anywhere", "*not found*", "SKU ABC not found in Veeqo", true},
		{"wildcards anchor the whole message", "not found*", "SKU ABC not found", false},
		{"prefix wildcard", "SKU * not found", "sku XYZ-1 not found", true},
		{"question mark is one character", "error 4??", "Error 429", true},
		{"question mark needs a character", "error 4??", "Error 42", false},
		{"brackets are literal", "[warn]*", "[WARN] slow", true},
		{"brackets are literal, no class", "[warn]*", "w slow", false},
		{"unicode", "*größe*", "Falsche GRÖSSE", false},
		{"unicode fold", "*größe*", "Falsche Größe", true},
		{"backtracking", "*a*a*a*b", strings.Repeat("a", 200), false},
		{"a star in the message is not a wildcard (fuzz find)", "*0", "*00000000", true},
		{"pattern star must not match only a literal star", "a*", "*a", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ex, err := notify.CompileExclude(tc.patterns)
			require.NoError(t, err)
			_, got := ex.Match(tc.msg)
			if got != tc.want {
				t.Errorf("Match(%q) with %q = %v, want %v", tc.msg, tc.patterns, got, tc.want)
			}
		})
	}
}

func TestCompileExcludeErrorsNameThePattern(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, patterns, wantInError string
	}{
		{"only a star", "timeout, *", `"*"`},
		{"only wildcards", "**?", `"**?"`},
		{"control character", "ok, bad\x07one", "bad one"},
		{"too long", strings.Repeat("x", 501), "longer than 500"},
		{"invalid UTF-8", "a\xffb", "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := notify.CompileExclude(tc.patterns)
			require.Error(t, err)
			require.True(t, errors.Is(err, notify.ErrInvalidConfig))
			require.Contains(t, err.Error(), tc.wantInError)
		})
	}
}

// globRegexp is an independent reference implementation of the wildcard rules.
func globRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?is)^")
	for _, r := range strings.ToLower(p) {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// FuzzExcludeGlob checks the wildcard matcher against a regexp translation of the same pattern.
func FuzzExcludeGlob(f *testing.F) {
	f.Add("*not found*", "SKU not found")
	f.Add("a?c*", "abcdef")
	f.Add("*a*a*b", "aaaaaaaaaac")
	f.Fuzz(func(t *testing.T, pattern, msg string) {
		if !strings.ContainsAny(pattern, "*?") || strings.Contains(pattern, ",") {
			return
		}
		ex, err := notify.CompileExclude(pattern)
		if err != nil {
			return
		}
		ps := ex.Patterns()
		if len(ps) != 1 || !utf8.ValidString(msg) {
			return
		}
		_, got := ex.Match(msg)
		want := globRegexp(ps[0]).MatchString(strings.ToLower(msg))
		if got != want {
			t.Fatalf("Match(%q) with %q = %v, regexp says %v", msg, ps[0], got, want)
		}
	})
}
