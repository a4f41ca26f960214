package sync

import (
	"testing"
	"time"
)

// TestScheduleDayEndsAtMidnightOnMonthEnd counts the run times of one local
// day with a 1-minute repeat from 00:00: exactly 1,440 on the last day of a
// month too. The month-end bug ended the day at the zone's next transition
// (2038 where there is none), building millions of run times; counting them
// proves the fix without timing anything.
func TestScheduleDayEndsAtMidnightOnMonthEnd(t *testing.T) {
	t.Parallel()
	for _, tz := range []string{"Pacific/Kiritimati", "America/New_York", "Europe/London", "UTC"} {
		loc, err := LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		s := &Schedule{loc: loc, repeat: time.Minute}
		for _, d := range []struct {
			y int
			m time.Month
			d int
		}{{2026, time.November, 30}, {2026, time.December, 31}, {2026, time.February, 28}, {2026, time.June, 15}} {
			if got := len(s.day(d.y, d.m, d.d)); got != 1440 {
				t.Errorf("%s %d-%02d-%02d: %d run times, want 1440", tz, d.y, d.m, d.d, got)
			}
		}
	}
}
