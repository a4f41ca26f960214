package sync_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/filter"
	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

func pendingOf(t *testing.T, eng *vsync.Engine, q vsync.PendingQuery) map[string]vsync.PendingOrder {
	t.Helper()
	out := map[string]vsync.PendingOrder{}
	for p, err := range eng.Pending(context.Background(), q) {
		require.NoError(t, err)
		out[p.Ref] = p
	}
	return out
}

// TestPendingSaysWhyEachOrderWaits: before a run every waved order waits
// (or is filtered); after it the exported ones leave the view, the failed
// one says why, and a claim in doubt is reported as such.
func TestPendingSaysWhyEachOrderWaits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := exportWorld(t)
	phone := order("SO-4", "MUG-1:1")
	phone.Source = "Phone"
	unwaved := order("SO-5", "MUG-1:1")
	unwaved.Wave = ""
	e.erp.Put(phone, unwaved)
	e.settings.Filters = filter.Rows(filter.Row{Field: "source", Operator: "Not Equals", Value: "Phone"})
	eng := e.engine()

	got := pendingOf(t, eng, vsync.PendingQuery{})
	require.Len(t, got, 5, "SO-1, 2, 3, 4 and 9 are waved; SO-5 is not")
	assert.Equal(t, vsync.PendingWaiting, got["SO-1"].Reason)
	assert.Contains(t, got["SO-1"].Detail, "manual run", "auto_sync is off")
	assert.True(t, got["SO-1"].NextRun.IsZero())
	assert.Equal(t, vsync.PendingFiltered, got["SO-4"].Reason)
	assert.Contains(t, got["SO-4"].Detail, "source")

	e.run(eng)
	got = pendingOf(t, eng, vsync.PendingQuery{})
	require.Len(t, got, 2, "only the filtered and the failed order are left")
	assert.Equal(t, vsync.PendingFailed, got["SO-9"].Reason)
	assert.Contains(t, got["SO-9"].Detail, "Nowhere")
	assert.Equal(t, vsync.PendingFiltered, got["SO-4"].Reason)

	only := pendingOf(t, eng, vsync.PendingQuery{Reasons: []vsync.PendingReason{vsync.PendingFailed}})
	assert.Equal(t, []string{"SO-9"}, keys(only))

	// A claim whose outcome is unknown.
	_, _, err := e.st.ClaimExport(ctx, store.Export{Account: testAccount, ERPRef: "SO-4", Number: "SO-4", State: store.ExportUnknown})
	require.NoError(t, err)
	got = pendingOf(t, eng, vsync.PendingQuery{})
	assert.Equal(t, vsync.PendingInDoubt, got["SO-4"].Reason)

	for _, err := range eng.Pending(ctx, vsync.PendingQuery{Reasons: []vsync.PendingReason{"soon"}}) {
		require.ErrorIs(t, err, vsync.ErrConfig)
		assert.Contains(t, err.Error(), `"soon"`)
	}
}

func keys(m map[string]vsync.PendingOrder) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestPendingShowsTheNextScheduledRun: with auto_sync on, a waiting order
// carries the next run time.
func TestPendingShowsTheNextScheduledRun(t *testing.T) {
	t.Parallel()
	e := exportWorld(t)
	e.settings.AutoSync = true
	e.settings.StartDate = vsync.Date{Year: 2026, Month: 10, Day: 1}
	e.settings.Hour = 9
	eng := e.engine()
	got := pendingOf(t, eng, vsync.PendingQuery{})
	// 2026-11-02 15:00 UTC is 07:00 in Los Angeles: the next run is 09:00.
	assert.Equal(t, time.Date(2026, 11, 2, 17, 0, 0, 0, time.UTC), got["SO-1"].NextRun)
	assert.Contains(t, got["SO-1"].Detail, "next run")
}

// TestPendingInFetchModeIsAClearError.
func TestPendingInFetchModeIsAClearError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settings.ExportOrders, e.settings.FetchFulfillments = false, true
	eng := e.engine()
	n := 0
	for _, err := range eng.Pending(context.Background(), vsync.PendingQuery{}) {
		n++
		require.ErrorIs(t, err, vsync.ErrConfig)
		assert.Contains(t, err.Error(), "fetch mode")
	}
	assert.Equal(t, 1, n)
}

// TestRunsListsTheAccountsRunsNewestFirst and RunByID refuses another
// account's run.
func TestRunsListsTheAccountsRunsNewestFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := exportWorld(t)
	eng := e.engine()
	first := e.run(eng)
	e.clk.Advance(time.Minute)
	second := e.run(eng)
	runs, err := eng.Runs(ctx, store.RunQuery{Account: "ignored"})
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, []string{second.RunID, first.RunID}, []string{runs[0].ID, runs[1].ID})
	assert.Equal(t, 3, runs[1].Counts["exported"])

	r, err := eng.RunByID(ctx, first.RunID)
	require.NoError(t, err)
	assert.Equal(t, store.RunPartial, r.Status)

	_, err = e.st.StartRun(ctx, store.Run{ID: "other-1", Account: "other", Status: store.RunRunning, StartedAt: e.clk.Now()})
	require.NoError(t, err)
	_, err = eng.RunByID(ctx, "other-1")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = eng.Runs(ctx, store.RunQuery{Limit: -1})
	require.ErrorIs(t, err, vsync.ErrConfig)
}

// TestSaveSettingsValidatesStoresAndLogsWho.
func TestSaveSettingsValidatesStoresAndLogsWho(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := exportWorld(t)
	eng := e.engine()

	bad := e.settings
	bad.Hour, bad.Minute = 24, -1
	_, err := eng.SaveSettings(ctx, bad, "alice")
	var se *vsync.SettingsError
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, []string{"hour", "minute"}, se.Fields())
	_, err = e.st.GetAccount(ctx, testAccount)
	require.ErrorIs(t, err, store.ErrNotFound, "nothing written on a bad save")

	good := e.settings
	good.Hour, good.DefaultSKU = 6, "MUG-1"
	acct, err := eng.SaveSettings(ctx, good, "alice")
	require.NoError(t, err)
	stored, err := vsync.ParseSettings(acct.Settings)
	require.NoError(t, err)
	assert.Equal(t, 6, stored.Hour)
	page, err := eng.Logs(ctx, store.LogQuery{Process: vsync.ProcessSettings})
	require.NoError(t, err)
	require.NotEmpty(t, page.Entries)
	msg := page.Entries[0].Message
	assert.True(t, strings.HasPrefix(msg, "settings changed by alice: "), msg)
	assert.Contains(t, msg, "default_sku")
	assert.Contains(t, msg, "hour")

	// Saving the same settings again changes and logs nothing.
	_, err = eng.SaveSettings(ctx, good, "bob")
	require.NoError(t, err)
	page, err = eng.Logs(ctx, store.LogQuery{Process: vsync.ProcessSettings})
	require.NoError(t, err)
	assert.Len(t, page.Entries, 1)

	other := good
	other.Account = "someone-else"
	_, err = eng.SaveSettings(ctx, other, "alice")
	require.True(t, errors.As(err, &se))
	assert.Equal(t, []string{"account"}, se.Fields())
	_, err = eng.SaveSettings(ctx, good, " ")
	require.ErrorIs(t, err, vsync.ErrConfig)
}

// TestInFlightCountsWhatASwitchWouldLeave: after an export run the exported
// orders await confirmation; a claim in doubt counts too.
func TestInFlightCountsWhatASwitchWouldLeave(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := exportWorld(t)
	eng := e.engine()
	f, err := eng.InFlight(ctx)
	require.NoError(t, err)
	assert.Equal(t, vsync.InFlight{}, f)
	e.run(eng)
	_, _, err = e.st.ClaimExport(ctx, store.Export{Account: testAccount, ERPRef: "SO-7", Number: "SO-7", State: store.ExportClaimed})
	require.NoError(t, err)
	f, err = eng.InFlight(ctx)
	require.NoError(t, err)
	assert.Equal(t, vsync.InFlight{AwaitingConfirmation: 3, InDoubt: 1}, f)
}
