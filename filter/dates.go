package filter

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dateValue is a row's date, either a whole day or an instant, either fixed
// or relative to the clock.
//
// A whole day is [start, end) in the filter's time zone: Equals holds for any
// time during that day, Greater Than for any time after it, Less Or Equal for
// any time up to its end. An instant compares exactly.
type dateValue struct {
	day      bool
	relative bool
	// Fixed values.
	start, end time.Time
	// Relative values: today+days (a whole day) or now+offset (an instant).
	days   int
	offset time.Duration
}

// maxRelativeDays bounds relative offsets so that arithmetic cannot overflow.
const maxRelativeDays = 100000

// bounds returns the value's interval at now in loc. For an instant, start
// equals end.
func (d *dateValue) bounds(now time.Time, loc *time.Location) (start, end time.Time) {
	if !d.relative {
		return d.start, d.end
	}
	if !d.day {
		t := now.Add(d.offset)
		return t, t
	}
	y, m, dd := now.In(loc).Date()
	start = time.Date(y, m, dd+d.days, 0, 0, 0, 0, loc)
	end = time.Date(y, m, dd+d.days+1, 0, 0, 0, 0, loc)
	return start, end
}

const dateHelp = "use YYYY-MM-DD, RFC 3339 (2006-01-02T15:04:05Z), YYYY-MM-DD HH:MM[:SS], " +
	"or today/yesterday/tomorrow/now with an offset such as today-7d or now-2h"

// parseDate reads a row's date value.
func parseDate(raw string, loc *time.Location) (dateValue, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return dateValue{}, fmt.Errorf("empty date")
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return dateValue{day: true, start: t, end: t.AddDate(0, 0, 1)}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return dateValue{start: t, end: t}, nil
	}
	// Zone-less date-times are read in the filter's time zone.
	for _, layout := range [...]string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return dateValue{start: t, end: t}, nil
		}
	}
	return parseRelative(s)
}

// parseRelative reads today, yesterday, tomorrow and now, each with an
// optional signed offset: today-7d, today+2w, now-2h, now-30m, now+1d.
func parseRelative(s string) (dateValue, error) {
	key := strings.Join(strings.Fields(strings.ToLower(s)), "")
	var base string
	for _, b := range []string{"yesterday", "tomorrow", "today", "now"} {
		if strings.HasPrefix(key, b) {
			base = b
			break
		}
	}
	if base == "" {
		return dateValue{}, fmt.Errorf("not a date")
	}
	rest := key[len(base):]
	v := dateValue{relative: true, day: base != "now"}
	switch base {
	case "yesterday":
		v.days = -1
	case "tomorrow":
		v.days = 1
	}
	if rest == "" {
		return v, nil
	}
	sign, n, unit, err := splitOffset(key, base, rest)
	if err != nil {
		return dateValue{}, err
	}
	if v.day {
		switch unit {
		case "", "d", "day", "days":
		case "w", "week", "weeks":
			n *= 7
		default:
			return dateValue{}, fmt.Errorf("unit %q: %s takes days (d) or weeks (w); use now for hours or minutes", unit, base)
		}
		if n > maxRelativeDays {
			return dateValue{}, fmt.Errorf("offset of %d days is too large", n)
		}
		v.days += sign * n
		return v, nil
	}
	per, err := nowUnit(unit)
	if err != nil {
		return dateValue{}, err
	}
	if time.Duration(n) > maxRelativeDays*24*time.Hour/per {
		return dateValue{}, fmt.Errorf("offset %q is too large", rest[1:])
	}
	v.offset = time.Duration(sign*n) * per
	return v, nil
}

// splitOffset reads the "+7d" after a relative date's base (key is the
// whole value): the sign, the number and the unit as written.
func splitOffset(key, base, rest string) (sign, n int, unit string, err error) {
	sign = 1
	switch rest[0] {
	case '+':
	case '-':
		sign = -1
	default:
		return 0, 0, "", fmt.Errorf("want + or - after %q", base)
	}
	rest = rest[1:]
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, 0, "", fmt.Errorf("want a number after %q", key[:len(base)+1])
	}
	n, err = strconv.Atoi(rest[:i])
	if err != nil || n > maxRelativeDays*24*60 {
		return 0, 0, "", fmt.Errorf("offset %q is too large", rest[:i])
	}
	return sign, n, rest[i:], nil
}

// nowUnit is the length of one unit of a "now" offset.
func nowUnit(unit string) (time.Duration, error) {
	switch unit {
	case "s", "sec", "secs", "second", "seconds":
		return time.Second, nil
	case "m", "min", "mins", "minute", "minutes":
		return time.Minute, nil
	case "h", "hr", "hrs", "hour", "hours":
		return time.Hour, nil
	case "d", "day", "days":
		return 24 * time.Hour, nil
	case "w", "week", "weeks":
		return 7 * 24 * time.Hour, nil
	}
	return 0, fmt.Errorf("unit %q: now takes s, m, h, d or w", unit)
}
