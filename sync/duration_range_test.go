package sync_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	vsync "github.com/xoroerp/veeqoconnect/sync"
)

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
