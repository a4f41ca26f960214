package ops

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// params reads query or form values, collecting the first problem with
// the parameter's name.
type params struct {
	v   url.Values
	err *httpError
}

func (p *params) bad(field, format string, args ...any) {
	if p.err == nil {
		p.err = fieldError(field, format, args...)
	}
}

// str returns a trimmed value of at most max runes.
func (p *params) str(name string, max int) string {
	s := strings.TrimSpace(p.v.Get(name))
	if len([]rune(s)) > max {
		p.bad(name, "is longer than %d characters", max)
		return ""
	}
	return s
}

// integer returns a whole number in [lo, hi] (def when absent).
func (p *params) integer(name string, def, lo, hi int) int {
	s := strings.TrimSpace(p.v.Get(name))
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		p.bad(name, "%q is not a whole number", visible(truncate(s, 40)))
		return def
	}
	if n < lo || n > hi {
		p.bad(name, "%d is not in %d-%d", n, lo, hi)
		return def
	}
	return n
}

// boolean reads a checkbox or flag: absent, "", "0", "false", "off" are
// false; "1", "true", "on" are true.
func (p *params) boolean(name string) bool {
	switch strings.ToLower(strings.TrimSpace(p.v.Get(name))) {
	case "", "0", "false", "off":
		return false
	case "1", "true", "on", "yes":
		return true
	}
	p.bad(name, "%q is not true or false", visible(truncate(p.v.Get(name), 40)))
	return false
}

// oneOf returns a value that must be one of allowed ("" allowed when
// absent).
func (p *params) oneOf(name string, allowed ...string) string {
	s := strings.TrimSpace(p.v.Get(name))
	if s == "" || slices.Contains(allowed, s) {
		return s
	}
	p.bad(name, "%q is not one of %s", visible(truncate(s, 40)), strings.Join(allowed, ", "))
	return ""
}

// many returns every value of a repeated parameter (also comma-separated),
// each one of allowed.
func (p *params) many(name string, allowed ...string) []string {
	var out []string
	for _, raw := range p.v[name] {
		for _, s := range strings.Split(raw, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if !slices.Contains(allowed, s) {
				p.bad(name, "%q is not one of %s", visible(truncate(s, 40)), strings.Join(allowed, ", "))
				return nil
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// date reads YYYY-MM-DD as local midnight in loc (or an RFC 3339 time);
// endOfDay moves a date to the next midnight, so "to" includes its day.
func (p *params) date(name string, loc *time.Location, endOfDay bool) time.Time {
	s := strings.TrimSpace(p.v.Get(name))
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC()
	}
	d, err := vsync.ParseDate(s)
	if err != nil || d.Year < 2000 || d.Year > 2200 {
		p.bad(name, "%q is not a date (YYYY-MM-DD, 2000-2200)", visible(truncate(s, 40)))
		return time.Time{}
	}
	t := d.In(loc)
	if endOfDay {
		t = t.AddDate(0, 0, 1)
	}
	return t.UTC()
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// rangeOK checks from < to when both are set.
func (p *params) rangeOK(from, to time.Time) {
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		p.bad("to", "is not after from")
	}
}
