package sync_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"time"

	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// TestParseSettingsEmpty: empty input was reported as a bare "EOF".
func TestParseSettingsEmpty(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "  \n\t"} {
		_, err := vsync.ParseSettings([]byte(in))
		require.ErrorIs(t, err, vsync.ErrInvalidSettings)
		require.ErrorContains(t, err, "settings JSON is empty")
	}
}

// TestDurationSecondsOutOfRange: a number of seconds too large for a
// time.Duration wrapped to a negative value, so 1e30 was reported as "must
// not be negative" (or, for NaN-like overflow, accepted as garbage).
func TestDurationSecondsOutOfRange(t *testing.T) {
	t.Parallel()
	for _, js := range []string{
		`{"account":"a","export_orders":true,"confirmation_overlap":1e30}`,
		`{"account":"a","export_orders":true,"repeat_interval":-1e30}`,
		`{"account":"a","export_orders":true,"repeat_interval":9300000000}`,
	} {
		_, err := vsync.ParseSettings([]byte(js))
		require.ErrorIs(t, err, vsync.ErrInvalidSettings, js)
		require.ErrorContains(t, err, "out of range", js)
	}
	s, err := vsync.ParseSettings([]byte(`{"account":"a","export_orders":true,"confirmation_overlap":90}`))
	require.NoError(t, err)
	require.Equal(t, "1m30s", s.Overlap().String())
}

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
