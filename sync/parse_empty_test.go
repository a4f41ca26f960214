package sync_test

import (
	"testing"

	"github.com/stretchr/testify/require"

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
