package sync_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// TestScheduleMonthEndRepeat: on the last day of a month the end of the
// day was computed for day 32 or 31, which time.Date moves into the next
// month, so it was taken for a skipped local time and replaced by the zone's
// next transition (months away, or 2038 where there is none): one Next
// built millions of run times (seconds, hundreds of MB per serve tick).
func TestScheduleMonthEndRepeat(t *testing.T) {
	t.Parallel()
	for _, tz := range []string{"Pacific/Kiritimati", "America/New_York", "Europe/London"} {
		t.Run(tz, func(t *testing.T) {
			t.Parallel()
			s := vsync.Settings{Account: "a", ExportOrders: true, TimeZone: tz, StartDate: vsync.Date{Year: 2026, Month: time.January, Day: 1},
				StartOffsetMinutes: -1440, RepeatInterval: vsync.Duration(time.Minute)}
			sc, err := s.Schedule()
			require.NoError(t, err)
			loc := sc.Location()
			after := time.Date(2026, time.November, 30, 23, 59, 0, 0, loc)
			got := sc.NextN(after, 3)
			require.Equal(t, []time.Time{
				time.Date(2026, time.December, 1, 0, 0, 0, 0, loc).UTC(),
				time.Date(2026, time.December, 1, 0, 1, 0, 0, loc).UTC(),
				time.Date(2026, time.December, 1, 0, 2, 0, 0, loc).UTC(),
			}, got)
		})
	}
}
