package notify_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/notify"
)

// An account with no successful run on record is not alerted while a
// scheduler that has just started gives its first run a chance; after
// NoSuccessAfter has passed since then, it is. Without WithWatchedSince it
// is alerted at once.
func TestNoRunRecordedWaitsForWatchedSince(t *testing.T) {
	t.Parallel()
	cfg := baseConfig(t)
	cfg.DailyEnabled = false
	cfg.NoSuccessAfter = 2 * time.Hour
	h := &fakeHealth{}
	f := newFixture(t, cfg, notify.WithHealth(h), notify.WithWatchedSince(t0))
	ctx := t.Context()
	require.NoError(t, f.policy.Tick(ctx, t0))
	require.NoError(t, f.policy.Tick(ctx, t0.Add(119*time.Minute)))
	require.Empty(t, f.box.Messages(), "no alert before the first run had its chance")
	require.NoError(t, f.policy.Tick(ctx, t0.Add(2*time.Hour)))
	require.Equal(t, []string{"[Veeqo][acme] Health: no successful run recorded"}, subjects(f.box.Messages()))

	g := newFixture(t, cfg, notify.WithHealth(&fakeHealth{}))
	require.NoError(t, g.policy.Tick(ctx, t0))
	require.Equal(t, []string{"[Veeqo][acme] Health: no successful run recorded"}, subjects(g.box.Messages()))
}
