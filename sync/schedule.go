package sync

import (
	"fmt"
	"time"
)

// Schedule computes when scheduled runs happen, from the settings: every
// local day from the start date, at Hour:Minute in the time zone, moved by
// the (zero or negative) start offset, and optionally repeated every
// RepeatInterval until the end of that local day.
//
// DST: a local run time that does not exist (skipped by a spring-forward
// change) runs at the next valid instant (the moment of the change); one that
// happens twice (fall-back) runs once, at its first occurrence. The offset
// is subtracted from that resolved instant, and repeats are spaced in real
// (absolute) time.
type Schedule struct {
	loc    *time.Location
	start  Date
	hour   int
	minute int
	offset time.Duration
	repeat time.Duration
}

// NewSchedule builds the schedule of s. It needs a valid time zone, hour,
// minute and offset; a zero StartDate means "from any day".
func NewSchedule(s Settings) (*Schedule, error) {
	loc, err := LoadLocation(s.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("%w: time_zone: %v", ErrInvalidSettings, err)
	}
	if s.Hour < 0 || s.Hour > 23 || s.Minute < 0 || s.Minute > 59 || s.StartOffsetMinutes > 0 || s.RepeatInterval < 0 ||
		(s.RepeatInterval > 0 && time.Duration(s.RepeatInterval) < time.Minute) {
		if err := s.Validate(); err != nil {
			return nil, err
		}
	}
	return &Schedule{loc: loc, start: s.StartDate, hour: s.Hour, minute: s.Minute,
		offset: time.Duration(s.StartOffsetMinutes) * time.Minute, repeat: time.Duration(s.RepeatInterval)}, nil
}

// Location returns the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// wallTime returns the instant of local y-m-d h:m in loc, resolving a
// skipped time to the next valid instant and a repeated one to its first
// occurrence.
func wallTime(y int, m time.Month, d, h, min int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, h, min, 0, 0, loc)
	if same(t, y, m, d, h, min) {
		// Repeated local time: prefer the earliest instant with this wall
		// clock (DST shifts are 30 minutes to 2 hours).
		for _, back := range []time.Duration{2 * time.Hour, 90 * time.Minute, time.Hour, 30 * time.Minute} {
			if e := t.Add(-back); same(e, y, m, d, h, min) {
				return e
			}
		}
		return t
	}
	// Skipped local time: the next valid instant is the zone change.
	want := time.Date(y, m, d, h, min, 0, 0, time.UTC)
	got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
	start, end := t.ZoneBounds()
	if got.After(want) {
		return start // t was pushed past the change; the change is its zone's start
	}
	if !end.IsZero() {
		return end
	}
	return t
}

func same(t time.Time, y int, m time.Month, d, h, min int) bool {
	return t.Year() == y && t.Month() == m && t.Day() == d && t.Hour() == h && t.Minute() == min
}

// day returns the run times of one local day (date y-m-d), in order.
func (s *Schedule) day(y int, m time.Month, d int) []time.Time {
	first := wallTime(y, m, d, s.hour, s.minute, s.loc)
	out := []time.Time{first.Add(s.offset)}
	if s.repeat <= 0 {
		return out
	}
	// Normalise the next day first: wallTime reads a date time.Date moves
	// (November 31) as a skipped local time.
	next := time.Date(y, m, d+1, 12, 0, 0, 0, time.UTC)
	endOfDay := wallTime(next.Year(), next.Month(), next.Day(), 0, 0, s.loc)
	for t := first.Add(s.repeat); t.Before(endOfDay); t = t.Add(s.repeat) {
		out = append(out, t.Add(s.offset))
	}
	return out
}

// Next returns the first run time strictly after after (in UTC).
func (s *Schedule) Next(after time.Time) time.Time {
	local := after.In(s.loc)
	// Start a day early: a negative offset can move a day's run into the
	// previous day.
	d := time.Date(local.Year(), local.Month(), local.Day()-1, 12, 0, 0, 0, time.UTC)
	offsetDays := int(-s.offset/(24*time.Hour)) + 1
	d = d.AddDate(0, 0, -offsetDays)
	if !s.start.IsZero() {
		sd := time.Date(s.start.Year, s.start.Month, s.start.Day, 12, 0, 0, 0, time.UTC)
		if d.Before(sd) {
			d = sd
		}
	}
	for i := 0; i < 400+offsetDays; i++ {
		for _, t := range s.day(d.Year(), d.Month(), d.Day()) {
			if t.After(after) {
				return t.UTC()
			}
		}
		d = d.AddDate(0, 0, 1)
	}
	return time.Time{}
}

// NextN returns the next n run times after after.
func (s *Schedule) NextN(after time.Time, n int) []time.Time {
	out := make([]time.Time, 0, max(n, 0))
	for range n {
		t := s.Next(after)
		if t.IsZero() {
			break
		}
		out = append(out, t)
		after = t
	}
	return out
}

// Due reports whether a run is due at now, given the last run's start
// (zero: never ran): true when some run time t has lastRun < t <= now. A
// process that was down for several slots gets one true, not one per
// missed slot: after it runs, lastRun moves past all of them.
func (s *Schedule) Due(lastRun, now time.Time) bool {
	if lastRun.IsZero() {
		lastRun = time.Unix(0, 0)
		if !s.start.IsZero() {
			lastRun = s.start.In(s.loc).Add(-48 * time.Hour)
		}
	}
	n := s.Next(lastRun)
	return !n.IsZero() && !n.After(now)
}

// Schedule returns the settings' run schedule.
func (s Settings) Schedule() (*Schedule, error) { return NewSchedule(s) }
