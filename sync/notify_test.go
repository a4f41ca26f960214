package sync_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/notify/notifytest"
	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/memstore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// TestNotifierGetsErrorsWithSeq: every error and warning reaches the
// notifier as it happens, with the log entry's Seq; a failing notifier
// never fails the sync.
func TestNotifierGetsErrorsWithSeq(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := &notifytest.Recorder{}
	failing := notify.Func(func(context.Context, notify.Event) error { return errors.New("smtp down") })
	e.erp.Put(order("SO-1", "GIFT:1"), func() vsync.ERPOrder { o := order("SO-2", "MUG-1:1"); o.Store = "Nowhere"; return o }())
	rep := e.run(e.engine(withCfg(func(c *vsync.Config) { c.Notifier = notify.Multi(rec, failing) })))
	assert.Equal(t, 1, rep.Exported, "the failing notifier did not fail the sync")
	evs := rec.Events()
	require.Len(t, evs, 2)
	byLevel := map[notify.Level]notify.Event{}
	for _, ev := range evs {
		byLevel[ev.Level] = ev
		assert.NotZero(t, ev.Seq)
		assert.Equal(t, testAccount, ev.Account)
		assert.Equal(t, vsync.ProcessExport, ev.Process)
		assert.NotEmpty(t, ev.RunID)
	}
	assert.Equal(t, "SO-2", byLevel[notify.LevelError].Reference)
	assert.Equal(t, "SO-1", byLevel[notify.LevelWarning].Reference)
	logs, err := e.st.QueryLogs(context.Background(), store.LogQuery{Account: testAccount, Levels: []string{store.LevelError}})
	require.NoError(t, err)
	require.Len(t, logs.Entries, 1)
	assert.Equal(t, logs.Entries[0].Seq, byLevel[notify.LevelError].Seq)
	// The default-SKU warning is written with the export's link, and
	// notified with the Seq that write gave it.
	warns, err := e.st.QueryLogs(context.Background(), store.LogQuery{Account: testAccount, Levels: []string{store.LevelWarning}})
	require.NoError(t, err)
	require.Len(t, warns.Entries, 1)
	assert.Equal(t, warns.Entries[0].Seq, byLevel[notify.LevelWarning].Seq)
	assert.Equal(t, warns.Entries[0].Message, byLevel[notify.LevelWarning].Message)
}

func TestNotifyAdapters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := memstore.New()
	_, err := st.AddAccount(ctx, store.Account{Name: "a"})
	require.NoError(t, err)
	t0 := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var entries []store.LogEntry
	for i := range 2500 {
		lvl := store.LevelInfo
		if i%2 == 0 {
			lvl = store.LevelError
		}
		entries = append(entries, store.LogEntry{Time: t0.Add(time.Duration(i) * time.Second), Account: "a", Process: "export_order", Level: lvl, Message: "m"})
	}
	_, err = st.AppendLogs(ctx, entries...)
	require.NoError(t, err)

	src := vsync.NotifySource(st)
	var seqs []int64
	for ev, err := range src.Events(ctx, notify.EventQuery{Account: "a", Levels: []notify.Level{notify.LevelError}}) {
		require.NoError(t, err)
		seqs = append(seqs, ev.Seq)
	}
	require.Len(t, seqs, 1250, "every error, once")
	for i := 1; i < len(seqs); i++ {
		require.Less(t, seqs[i-1], seqs[i], "ascending Seq")
	}
	n := 0
	for ev, err := range src.Events(ctx, notify.EventQuery{Account: "a", AfterSeq: seqs[1000], Since: t0, Until: t0.Add(time.Hour)}) {
		require.NoError(t, err)
		require.Greater(t, ev.Seq, seqs[1000])
		n++
	}
	assert.Equal(t, 2499-2000, n, "after Seq (the error logged at i=2000), all levels")

	state := vsync.NotifyState(st)
	require.NoError(t, state.SaveState(ctx, "a", "instant", []byte("1"), 0))
	err = state.SaveState(ctx, "a", "instant", []byte("2"), 0)
	require.ErrorIs(t, err, notify.ErrStateConflict)
	v, ver, err := state.LoadState(ctx, "a", "instant")
	require.NoError(t, err)
	assert.Equal(t, "1", string(v))
	assert.Equal(t, int64(1), ver)

	h := vsync.NotifyHealth(st)
	_, ok, err := h.LastSuccessfulRun(ctx, "a")
	require.NoError(t, err)
	assert.False(t, ok)
	_, err = st.StartRun(ctx, store.Run{ID: "r1", Account: "a", Status: store.RunRunning, StartedAt: t0})
	require.NoError(t, err)
	_, err = st.FinishRun(ctx, store.Run{ID: "r1", Account: "a", Status: store.RunSucceeded, StartedAt: t0, FinishedAt: t0.Add(time.Minute)})
	require.NoError(t, err)
	last, ok, err := h.LastSuccessfulRun(ctx, "a")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, t0.Add(time.Minute), last.UTC())
}

func TestStaleExportsHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settings.FetchShipConfirmation = new(bool)
	e.erp.Put(order("SO-1", "MUG-1:1"), order("SO-2", "MUG-1:1"))
	e.run(e.engine())
	refs, err := vsync.NotifyHealth(e.st).StaleExports(context.Background(), testAccount, e.clk.Now().Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, []string{"SO-1", "SO-2"}, refs)
	assert.Zero(t, e.srv.Count("GET", "/orders"), "fetch_ship_confirmation off: no confirmation polling")
}
