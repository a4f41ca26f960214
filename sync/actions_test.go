package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

func TestResolveUnresolveAndQueries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	bad := order("SO-2", "MUG-1:1")
	bad.ShipService = "Pigeon"
	e.erp.Put(order("SO-1", "MUG-1:1"), bad)
	eng := e.engine()
	e.run(eng)

	errs, err := eng.Records(ctx, store.RecordQuery{ErrorsOnly: true})
	require.NoError(t, err)
	require.Len(t, errs.Records, 1)
	assert.Equal(t, "SO-2", errs.Records[0].Reference)

	rec, err := eng.Resolve(ctx, vsync.ProcessExport, "SO-2", "dana", "shipped by hand")
	require.NoError(t, err)
	assert.True(t, rec.Resolved)
	assert.Equal(t, "dana", rec.ResolvedBy)
	open, err := eng.Records(ctx, store.RecordQuery{ErrorsOnly: true, HideResolved: true})
	require.NoError(t, err)
	assert.Empty(t, open.Records)
	_, err = eng.Resolve(ctx, vsync.ProcessExport, "SO-2", "", "")
	require.ErrorIs(t, err, vsync.ErrConfig, "who resolves it is required")
	_, err = eng.Resolve(ctx, vsync.ProcessExport, "SO-404", "dana", "")
	require.ErrorIs(t, err, store.ErrNotFound)

	rec, err = eng.Unresolve(ctx, vsync.ProcessExport, "SO-2", "dana")
	require.NoError(t, err)
	assert.False(t, rec.Resolved)
	logs, err := eng.Logs(ctx, store.LogQuery{Reference: "SO-2"})
	require.NoError(t, err)
	var msgs []string
	for _, l := range logs.Entries {
		msgs = append(msgs, l.Message)
	}
	assert.Contains(t, msgs, "marked resolved by dana: shipped by hand")
	assert.Contains(t, msgs, "marked unresolved by dana")

	// Run from current data: the mapping is fixed in the ERP, the order goes.
	fixed := e.erpOrder("SO-2")
	fixed.ShipService = "Ground"
	e.erp.Put(fixed)
	rep, err := eng.RunRefs(ctx, "SO-2")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Exported)
	assert.Equal(t, store.RecordSuccess, e.record(vsync.ProcessExport, "SO-2").Status)
	assert.Equal(t, 2, e.record(vsync.ProcessExport, "SO-2").Attempts)
	_, err = eng.RunRefs(ctx, " ")
	require.ErrorIs(t, err, vsync.ErrConfig)
}

func TestRunRefsConfirmationOfExportedOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eng := e.engine()
	o := e.exportSO1(t, eng)
	_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z", CarrierID: 5})
	require.NoError(t, err)
	rep, err := eng.RunRefs(context.Background(), "SO-1")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.ConfirmationsApplied)
	assert.Equal(t, 1, e.srv.Count("GET", "/orders/{id}"), "read by id, not by listing")
}

func TestRunRefsFetchMode(t *testing.T) {
	t.Parallel()
	e := fetchWorld(t)
	e.erp.Put(vsync.ERPOrder{Ref: "AMZ-1", Number: "111-1", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1}}})
	o := e.addMarketplaceOrder("111-1", e.amazon, map[string]int{"MUG-1": 1})
	_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{CarrierID: 3})
	require.NoError(t, err)
	rep, err := e.engine().RunRefs(context.Background(), "111-1", "999-9")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.ConfirmationsApplied)
	assert.Equal(t, 1, rep.Failed)
	assert.Contains(t, e.record(vsync.ProcessFetch, "999-9").Message, "was not found")
}

// TestLeaseLostStopsRun: when another holder takes the account's lease
// (ours expired), the run stops before the next order.
func TestLeaseLostStopsRun(t *testing.T) {
	t.Parallel()
	e := exportWorld(t)
	thief := &leaseThief{VeeqoAPI: vsync.ClientAPI(e.client), e: e}
	eng := e.engine(withAPI(thief), withCfg(func(c *vsync.Config) { c.LeaseTTL = 30 * time.Millisecond }))
	rep, err := eng.Run(context.Background(), vsync.RunOptions{})
	require.ErrorIs(t, err, store.ErrLeaseLost)
	assert.Equal(t, 1, rep.Exported, "stopped after the order in flight")
	assert.Equal(t, store.RunFailed, rep.Status)
	assert.Contains(t, rep.Error, "lease")
}

type leaseThief struct {
	vsync.VeeqoAPI
	e    *env
	done bool
}

func (l *leaseThief) CreateOrder(ctx context.Context, in *veeqo.OrderInput) (*veeqo.Order, error) {
	o, err := l.VeeqoAPI.CreateOrder(ctx, in)
	if !l.done {
		l.done = true
		l.e.clk.Advance(time.Hour) // our lease expires...
		if _, terr := l.e.st.AcquireLease(context.Background(), testAccount, store.Holder{ID: "thief"}, time.Hour); terr != nil {
			return o, terr
		}
		select { // ...and the renewal notices
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
	return o, err
}
