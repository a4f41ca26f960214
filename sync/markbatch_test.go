package sync_test

import (
	"context"
	"fmt"
	stdsync "sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// markCounter counts the store's shipment marks: one at a time and in
// batches (with the batches' sizes).
type markCounter struct {
	store.Store
	mu      stdsync.Mutex
	singles int
	batches []int
}

func (m *markCounter) CompleteShipment(ctx context.Context, s store.AppliedShipment, r *store.RecordUpdate, logs ...store.LogEntry) (store.AppliedShipment, []store.LogEntry, error) {
	m.mu.Lock()
	m.singles++
	m.mu.Unlock()
	return m.Store.CompleteShipment(ctx, s, r, logs...)
}

func (m *markCounter) CompleteShipments(ctx context.Context, cs []store.ShipmentCompletion) ([]store.ShipmentCompletion, error) {
	m.mu.Lock()
	m.batches = append(m.batches, len(cs))
	m.mu.Unlock()
	return m.Store.CompleteShipments(ctx, cs)
}

// shipMarketplaceOrders adds n Amazon orders of one mug each, in the ERP
// and in Veeqo, each shipped in one parcel.
func shipMarketplaceOrders(t *testing.T, e *env, n int) {
	t.Helper()
	for i := range n {
		number := fmt.Sprintf("111-%07d", i+1)
		e.erp.Put(vsync.ERPOrder{Ref: "AMZ-" + number, Number: number, Store: "Amazon",
			Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1, Allocated: 1}}})
		o := e.addMarketplaceOrder(number, e.amazon, map[string]int{"MUG-1": 1})
		_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z" + number, CarrierID: 5})
		require.NoError(t, err)
	}
}

// TestFetchMarksAPageOfShipmentsInOneWrite: a fetch pass listing 150
// shipped orders marks their shipments applied in two writes (a page of
// 100, then the 50 left when the listing ends), each shipment's record and
// log line with it; the next pass finds every one settled and applies
// nothing again.
func TestFetchMarksAPageOfShipmentsInOneWrite(t *testing.T) {
	t.Parallel()
	e := fetchWorld(t)
	marks := &markCounter{Store: e.st}
	const n = 150
	shipMarketplaceOrders(t, e, n)
	rep := e.run(e.engine(withStore(marks)))
	assert.Equal(t, n, rep.ConfirmationsApplied, rep.Summary())
	assert.Equal(t, []int{100, 50}, marks.batches, "marks written a page at a time")
	assert.Zero(t, marks.singles, "no mark written on its own")
	rows, err := e.st.ListShipments(context.Background(), store.ShipmentQuery{Account: testAccount})
	require.NoError(t, err)
	require.Len(t, rows, n)
	for _, row := range rows {
		assert.Equal(t, store.ShipmentApplied, row.State, "shipment %d", row.ShipmentID)
	}
	for _, number := range []string{"111-0000001", "111-0000100", "111-0000150"} {
		rec := e.record(vsync.ProcessFetch, number)
		assert.Equal(t, store.RecordSuccess, rec.Status, "%s: %s", number, rec.Message)
		assert.Equal(t, 1, e.logCount(number), "%s: one log line, the applied shipment", number)
	}
	again := e.run(e.engine(withStore(marks)))
	assert.Zero(t, again.ConfirmationsApplied, again.Summary())
	assert.Len(t, e.erp.Applied(), n, "each shipment reached the ERP once")
}
