package sync_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// TestStartDateOutOfRangeSaysSo: a real date outside 2000-2200 was reported
// as "not a valid date", which sends the user looking for a typo.
func TestStartDateOutOfRangeSaysSo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    vsync.Date
		want string
	}{
		{vsync.Date{Year: 1970, Month: time.January, Day: 1}, `"1970-01-01" is outside 2000-2200`},
		{vsync.Date{Year: 2201, Month: time.March, Day: 3}, `"2201-03-03" is outside 2000-2200`},
		{vsync.Date{Year: 2026, Month: time.February, Day: 30}, `"2026-02-30" is not a valid date`},
	} {
		s := vsync.Settings{Account: "a", ExportOrders: true, AutoSync: true, StartDate: tc.d}
		err := s.Validate()
		require.Error(t, err)
		require.Contains(t, err.Error(), "start_date: "+tc.want)
	}
}
