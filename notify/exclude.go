package notify

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on exclude patterns, so a settings typo cannot make matching expensive.
const (
	maxPatterns      = 200
	maxPatternLength = 500
)

// Exclude is a compiled "Exclude Logs" setting. The zero value and nil exclude nothing.
type Exclude struct {
	keywords []string // lower-cased substrings
	kwSource []string // as configured
	globs    [][]rune // lower-cased wildcard patterns over the whole message
	glSource []string // as configured
	source   []string
}

// CompileExclude parses a comma-separated list of keywords and wildcard patterns. An item without * or ? is a
// keyword: a message containing it (case-insensitively) is excluded. An item with * (any run of characters) or
// ? (one character) is matched against the whole message, case-insensitively; write "*timeout*" to match it
// anywhere. Empty items are ignored. An item that would exclude every message (only wildcards), contains
// control characters, or is too long is an error naming it.
func CompileExclude(list string) (*Exclude, error) {
	ex := &Exclude{}
	var bad []string
	items := strings.Split(list, ",")
	for _, raw := range items {
		p := strings.TrimSpace(raw)
		if p == "" {
			continue
		}
		switch {
		case !utf8.ValidString(p):
			bad = append(bad, fmt.Sprintf("%q is not valid UTF-8", p))
			continue
		case strings.ContainsFunc(p, isControl):
			bad = append(bad, fmt.Sprintf("%q contains control characters", sanitizeLine(p)))
			continue
		case utf8.RuneCountInString(p) > maxPatternLength:
			bad = append(bad, fmt.Sprintf("%q is longer than %d characters", truncate(p, 40), maxPatternLength))
			continue
		case strings.Trim(p, "*?") == "" && strings.Contains(p, "*"):
			bad = append(bad, fmt.Sprintf("%q would exclude every message", p))
			continue
		}
		ex.source = append(ex.source, p)
		lp := strings.ToLower(p)
		if strings.ContainsAny(p, "*?") {
			ex.globs = append(ex.globs, []rune(lp))
			ex.glSource = append(ex.glSource, p)
		} else {
			ex.keywords = append(ex.keywords, lp)
			ex.kwSource = append(ex.kwSource, p)
		}
	}
	if len(ex.source) > maxPatterns {
		bad = append(bad, fmt.Sprintf("%d patterns, at most %d allowed", len(ex.source), maxPatterns))
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%w: invalid pattern %s", ErrInvalidConfig, strings.Join(bad, ", "))
	}
	return ex, nil
}

// Patterns returns the patterns as configured (trimmed, empty items dropped).
func (ex *Exclude) Patterns() []string {
	if ex == nil {
		return nil
	}
	return append([]string(nil), ex.source...)
}

// Match reports whether msg is excluded, and by which pattern (as configured).
func (ex *Exclude) Match(msg string) (pattern string, ok bool) {
	if ex == nil || len(ex.source) == 0 {
		return "", false
	}
	lm := strings.ToLower(msg)
	for i, k := range ex.keywords {
		if strings.Contains(lm, k) {
			return ex.kwSource[i], true
		}
	}
	if len(ex.globs) > 0 {
		rm := []rune(lm)
		for i, g := range ex.globs {
			if globMatch(g, rm) {
				return ex.glSource[i], true
			}
		}
	}
	return "", false
}

// globMatch matches s against p where '*' is any run and '?' is one rune. It backtracks only to the last star,
// so it runs in O(len(p)*len(s)) worst case, never exponentially.
func globMatch(p, s []rune) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func isControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}
