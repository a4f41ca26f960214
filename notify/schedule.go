package notify

import "time"

// DailyInstant returns the instant at which the wall-clock time at on the given local date (year, month, day)
// occurs in loc, handling DST:
//   - a wall time that happens twice (fall back) resolves to its first occurrence, so a digest fires once;
//   - a wall time that does not exist (spring forward) resolves to the first instant after the gap.
func DailyInstant(year int, month time.Month, day int, at TimeOfDay, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	// Normalise the date (day may be out of range, e.g. 0 for "the day before the 1st").
	d := time.Date(year, month, day, 12, 0, 0, 0, time.UTC)
	year, month, day = d.Date()
	wall := time.Date(year, month, day, at.Hour, at.Minute, 0, 0, time.UTC)

	// Every offset in force within a day and a half either side: zone changes are rarely that close together.
	offsets := map[int]bool{}
	for h := -36; h <= 36; h += 3 {
		_, off := wall.Add(time.Duration(h) * time.Hour).In(loc).Zone()
		offsets[off] = true
	}
	var best, latest time.Time
	for off := range offsets {
		c := wall.Add(-time.Duration(off) * time.Second)
		if latest.IsZero() || c.After(latest) {
			latest = c
		}
		l := c.In(loc)
		if l.Year() == year && l.Month() == month && l.Day() == day && l.Hour() == at.Hour && l.Minute() == at.Minute {
			if best.IsZero() || c.Before(best) {
				best = c
			}
		}
	}
	if !best.IsZero() {
		return best.UTC()
	}
	// In a gap: the zone period that contains the latest candidate starts at the transition, which is the first
	// instant whose wall clock is past the skipped time.
	start, _ := latest.In(loc).ZoneBounds()
	if start.IsZero() || start.After(latest) {
		return latest.UTC()
	}
	return start.UTC()
}

// lastDigestInstant is the latest scheduled digest instant at or before now.
func lastDigestInstant(now time.Time, at TimeOfDay, loc *time.Location) time.Time {
	l := now.In(loc)
	y, m, d := l.Date()
	for i := 0; i < 3; i++ {
		s := DailyInstant(y, m, d-i, at, loc)
		if !s.After(now) {
			return s
		}
	}
	return DailyInstant(y, m, d-3, at, loc)
}

// nextDigestInstant is the first scheduled digest instant after now.
func nextDigestInstant(now time.Time, at TimeOfDay, loc *time.Location) time.Time {
	l := now.In(loc)
	y, m, d := l.Date()
	for i := 0; i < 3; i++ {
		s := DailyInstant(y, m, d+i, at, loc)
		if s.After(now) {
			return s
		}
	}
	return DailyInstant(y, m, d+3, at, loc)
}
