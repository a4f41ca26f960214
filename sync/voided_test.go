package sync_test

import (
	"context"
	"iter"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/notify/notifytest"
	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// emptyReads lists orders as a mid-reallocation read shows them: no
// allocations.
type emptyReads struct{ vsync.VeeqoAPI }

func (a emptyReads) ListOrders(ctx context.Context, opts veeqo.OrderListOptions) iter.Seq2[veeqo.Order, error] {
	return func(yield func(veeqo.Order, error) bool) {
		for o, err := range a.VeeqoAPI.ListOrders(ctx, opts) {
			o.Allocations = nil
			if !yield(o, err) {
				return
			}
		}
	}
}

// TestVoidedShipmentWithdrawnOnce: a shipment applied to the ERP and then
// voided in Veeqo is withdrawn from the ERP order (quantities and tracking),
// once, with one warning (record, log, notification), and never on an
// empty-allocation read.
func TestVoidedShipmentWithdrawnOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	rec := &notifytest.Recorder{}
	withNotifier := withCfg(func(c *vsync.Config) { c.Notifier = rec })
	eng := e.engine(withNotifier)
	o := e.exportSO1(t, eng)
	e.clk.Advance(time.Minute)
	shipped, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z", CarrierID: 5})
	require.NoError(t, err)
	require.Len(t, shipped, 1)
	e.clk.Advance(time.Minute)
	rep := e.run(eng)
	require.Equal(t, 1, rep.ConfirmationsApplied)

	voided := func() []notify.Event {
		return rec.Match(func(ev notify.Event) bool { return ev.Level == notify.LevelWarning && ev.Reference == "SO-1" })
	}
	// An empty read is never judged.
	e.clk.Advance(time.Minute)
	require.NoError(t, e.srv.TouchOrder(o.ID))
	e.clk.Advance(time.Minute)
	_, err = e.engine(withNotifier, withAPI(emptyReads{vsync.ClientAPI(e.client)})).Run(ctx, vsync.RunOptions{})
	require.NoError(t, err)
	assert.Empty(t, voided())

	// The label is voided in Veeqo.
	e.clk.Advance(time.Minute)
	_, err = e.client.Shipments.Delete(ctx, shipped[0].ID)
	require.NoError(t, err)
	e.clk.Advance(time.Minute)
	e.run(eng)
	require.Len(t, voided(), 1)
	assert.Contains(t, voided()[0].Message, "voided in Veeqo after it was applied")
	r := e.record(vsync.ProcessConfirmation, "SO-1")
	assert.Equal(t, store.RecordWarning, r.Status)
	assert.Contains(t, r.Message, "its quantities and tracking number are withdrawn from ERP order SO-1")
	assert.Equal(t, vsync.OrderOpen, e.erpOrder("SO-1").Status, "the void is undone in the ERP")
	assert.Equal(t, map[string]int{"1": 0, "2": 0}, shippedOf(e.erpOrder("SO-1")))
	assert.False(t, e.erpOrder("SO-1").Lines[0].Closed, "the line closed by the voided shipment is open again")
	assert.Empty(t, e.erp.Tracking("SO-1"), "the voided tracking number is withdrawn")

	// Listed again: no second warning.
	e.clk.Advance(time.Minute)
	require.NoError(t, e.srv.TouchOrder(o.ID))
	e.clk.Advance(time.Minute)
	e.run(eng)
	assert.Len(t, voided(), 1)
	assert.Len(t, e.erp.Applied(), 2, "the shipment and its withdrawal, once each")
}
