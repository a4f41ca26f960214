package sync_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// TestWithSQLiteStore runs export, a crash-and-reconcile and both
// multishipment steps against the embedded default store, to prove the
// engine relies only on the Store contract (not on memstore's quirks).
func TestWithSQLiteStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := exportWorld(t)
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "state.db"), sqlitestore.WithClock(e.clk.Now))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	e.st = nil

	// A create whose answer is lost, then a normal run.
	e.srv.CommitThenFail(1, veeqotest.Match("POST", "/orders"))
	eng := e.engine(withStore(st))
	rep, err := eng.Run(ctx, vsync.RunOptions{})
	require.NoError(t, err)
	assert.Equal(t, 3, rep.Exported)
	for _, ref := range []string{"SO-1", "SO-2", "SO-3"} {
		require.Len(t, e.srv.OrdersByNumber(ref), 1, ref)
		ex, err := st.GetExport(ctx, testAccount, ref)
		require.NoError(t, err)
		assert.Equal(t, store.ExportExported, ex.State)
	}

	id := e.srv.OrdersByNumber("SO-1")[0].ID
	e.clk.Advance(time.Minute)
	_, err = e.srv.ShipPartial(id, map[int64]int{e.sku["MUG-1"]: 1}, veeqotest.ShipInfo{TrackingNumber: "1Z-A", CarrierID: 5})
	require.NoError(t, err)
	e.clk.Advance(time.Minute)
	rep, err = eng.Run(ctx, vsync.RunOptions{})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.ConfirmationsApplied)
	e.clk.Advance(time.Minute)
	_, err = e.srv.ShipAll(id, veeqotest.ShipInfo{TrackingNumber: "1Z-B", CarrierID: 5})
	require.NoError(t, err)
	e.clk.Advance(time.Minute)
	rep, err = eng.Run(ctx, vsync.RunOptions{})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.ConfirmationsApplied)
	assert.Equal(t, map[string]int{"1": 2, "2": 1}, shippedOf(e.erpOrder("SO-1")))
	rec, err := st.GetRecord(ctx, testAccount, vsync.ProcessConfirmation, "SO-1")
	require.NoError(t, err)
	assert.Equal(t, store.RecordSuccess, rec.Status)

	// Nothing more to do: a further run applies nothing and creates nothing.
	e.clk.Advance(time.Minute)
	rep, err = eng.Run(ctx, vsync.RunOptions{})
	require.NoError(t, err)
	assert.Zero(t, rep.ConfirmationsApplied+rep.Exported)
	assert.Equal(t, 3, len(e.srv.Orders()))
}
