package notify_test

import (
	"testing"
	"time"
	_ "time/tzdata" // the tests load zones; a bare machine may have no zoneinfo

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/notify"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func TestDailyInstantDST(t *testing.T) {
	t.Parallel()
	la := mustZone(t, "America/Los_Angeles")
	lordHowe := mustZone(t, "Australia/Lord_Howe") // 30-minute DST shift
	tests := []struct {
		name string
		loc  *time.Location
		date string
		at   notify.TimeOfDay
		want string // UTC
	}{
		{"ordinary day", la, "2026-11-27", notify.TimeOfDay{Hour: 8}, "2026-11-27T16:00:00Z"},
		{"spring forward: before the gap", la, "2026-03-08", notify.TimeOfDay{Hour: 1, Minute: 30}, "2026-03-08T09:30:00Z"},
		{"spring forward: skipped 02:30 fires at 03:00 PDT", la, "2026-03-08", notify.TimeOfDay{Hour: 2, Minute: 30}, "2026-03-08T10:00:00Z"},
		{"spring forward: skipped 02:00 fires at 03:00 PDT", la, "2026-03-08", notify.TimeOfDay{Hour: 2}, "2026-03-08T10:00:00Z"},
		{"spring forward: after the gap", la, "2026-03-08", notify.TimeOfDay{Hour: 3, Minute: 30}, "2026-03-08T10:30:00Z"},
		{"fall back: repeated 01:30 fires at the first (PDT)", la, "2026-11-01", notify.TimeOfDay{Hour: 1, Minute: 30}, "2026-11-01T08:30:00Z"},
		{"fall back: 00:30 still PDT", la, "2026-11-01", notify.TimeOfDay{Minute: 30}, "2026-11-01T07:30:00Z"},
		{"fall back: 02:30 is PST", la, "2026-11-01", notify.TimeOfDay{Hour: 2, Minute: 30}, "2026-11-01T10:30:00Z"},
		{"half-hour gap skipped 02:15", lordHowe, "2026-10-04", notify.TimeOfDay{Hour: 2, Minute: 15}, "2026-10-03T15:30:00Z"},
		{"UTC", time.UTC, "2026-02-28", notify.TimeOfDay{Hour: 23, Minute: 59}, "2026-02-28T23:59:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := time.Parse("2006-01-02", tc.date)
			require.NoError(t, err)
			got := notify.DailyInstant(d.Year(), d.Month(), d.Day(), tc.at, tc.loc)
			if got.Format(time.RFC3339) != tc.want {
				t.Errorf("DailyInstant(%s %s %s) = %s (%s local), want %s", tc.date, tc.at, tc.loc, got.Format(time.RFC3339), got.In(tc.loc), tc.want)
			}
		})
	}
}

// TestDailyInstantWholeYear: one instant per local day, strictly increasing, on the right wall clock except
// inside a gap, for every day of a year and several times of day.
func TestDailyInstantWholeYear(t *testing.T) {
	t.Parallel()
	for _, zone := range []string{"America/Los_Angeles", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata"} {
		loc := mustZone(t, zone)
		for _, at := range []notify.TimeOfDay{{0, 0}, {1, 30}, {2, 0}, {2, 30}, {3, 0}, {23, 59}} {
			var prev time.Time
			for d := 0; d < 366; d++ {
				got := notify.DailyInstant(2026, time.January, 1+d, at, loc)
				l := got.In(loc)
				wantDay := time.Date(2026, time.January, 1+d, 12, 0, 0, 0, time.UTC)
				if l.Year() != wantDay.Year() || l.YearDay() != wantDay.YearDay() {
					t.Fatalf("%s %s day %d: %s is on another local day", zone, at, d, l)
				}
				if l.Hour() != at.Hour || l.Minute() != at.Minute {
					// Only allowed in a gap: one minute earlier must be before the wall time and in another zone period.
					before := got.Add(-time.Minute).In(loc)
					_, o1 := before.Zone()
					_, o2 := l.Zone()
					if o1 == o2 {
						t.Fatalf("%s %s day %d: %s is not the wall time and not after a transition", zone, at, d, l)
					}
				}
				if !prev.IsZero() && !got.After(prev) {
					t.Fatalf("%s %s day %d: %s not after %s", zone, at, d, got, prev)
				}
				prev = got
			}
		}
	}
}
