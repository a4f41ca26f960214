package sync_test

import (
	"context"
	"iter"
	"slices"
	stdsync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// shipmentIO counts the store's shipment reads by kind, its write-aheads
// by batch size, and its export reads by Veeqo order (one at a time, or a
// page's).
type shipmentIO struct {
	store.Store
	mu                   stdsync.Mutex
	finds, gets, byOrder int
	exportByID           int
	exportPages          int
	recordReads          int
	recordPages          int
	singles              int
	aheads               []int
}

func (s *shipmentIO) FindShipments(ctx context.Context, account string, orders, ships []int64) ([]store.AppliedShipment, error) {
	s.mu.Lock()
	s.finds++
	s.mu.Unlock()
	return s.Store.FindShipments(ctx, account, orders, ships)
}

func (s *shipmentIO) ExportByVeeqoID(ctx context.Context, account string, id int64) (store.Export, error) {
	s.mu.Lock()
	s.exportByID++
	s.mu.Unlock()
	return s.Store.ExportByVeeqoID(ctx, account, id)
}

func (s *shipmentIO) ListExports(ctx context.Context, q store.ExportQuery) ([]store.Export, error) {
	if len(q.VeeqoOrderIDs) > 0 {
		s.mu.Lock()
		s.exportPages++
		s.mu.Unlock()
	}
	return s.Store.ListExports(ctx, q)
}

func (s *shipmentIO) GetRecord(ctx context.Context, account, process, ref string) (store.Record, error) {
	s.mu.Lock()
	s.recordReads++
	s.mu.Unlock()
	return s.Store.GetRecord(ctx, account, process, ref)
}

func (s *shipmentIO) GetRecords(ctx context.Context, account, process string, refs []string) ([]store.Record, error) {
	s.mu.Lock()
	s.recordPages++
	s.mu.Unlock()
	return s.Store.GetRecords(ctx, account, process, refs)
}

func (s *shipmentIO) GetShipment(ctx context.Context, account string, id int64) (store.AppliedShipment, error) {
	s.mu.Lock()
	s.gets++
	s.mu.Unlock()
	return s.Store.GetShipment(ctx, account, id)
}

func (s *shipmentIO) ListShipments(ctx context.Context, q store.ShipmentQuery) ([]store.AppliedShipment, error) {
	if q.VeeqoOrderID != 0 {
		s.mu.Lock()
		s.byOrder++
		s.mu.Unlock()
	}
	return s.Store.ListShipments(ctx, q)
}

func (s *shipmentIO) RecordShipment(ctx context.Context, sh store.AppliedShipment) (store.AppliedShipment, bool, error) {
	s.mu.Lock()
	s.singles++
	s.mu.Unlock()
	return s.Store.RecordShipment(ctx, sh)
}

func (s *shipmentIO) RecordShipments(ctx context.Context, ss []store.AppliedShipment) ([]store.AppliedShipment, []bool, error) {
	s.mu.Lock()
	s.aheads = append(s.aheads, len(ss))
	s.mu.Unlock()
	return s.Store.RecordShipments(ctx, ss)
}

// TestFetchReadsAndWritesAheadAPageAtATime: a fetch pass listing 150
// shipped orders reads their shipment rows in one query per page (no read
// per order or per shipment) and writes their pending updates ahead in one
// write per page (none on its own); every shipment reaches the ERP once,
// and the next pass, which lists them again, applies nothing and reads
// their records a page at a time too.
func TestFetchReadsAndWritesAheadAPageAtATime(t *testing.T) {
	t.Parallel()
	e := fetchWorld(t)
	io := &shipmentIO{Store: e.st}
	const n = 150
	shipMarketplaceOrders(t, e, n)
	rep := e.run(e.engine(withStore(io)))
	assert.Equal(t, n, rep.ConfirmationsApplied, rep.Summary())
	assert.Equal(t, 2, io.finds, "one read of shipment rows per page")
	assert.Zero(t, io.gets, "no shipment read by id")
	assert.Zero(t, io.byOrder, "no read of one order's shipments")
	assert.Equal(t, []int{100, 50}, io.aheads, "pending rows written a page at a time")
	assert.Zero(t, io.singles, "no pending row written on its own")
	rows, err := e.st.ListShipments(context.Background(), store.ShipmentQuery{Account: testAccount})
	require.NoError(t, err)
	require.Len(t, rows, n)
	for _, row := range rows {
		assert.Equal(t, store.ShipmentApplied, row.State, "shipment %d", row.ShipmentID)
	}
	io.finds, io.recordReads, io.recordPages = 0, 0, 0
	again := e.run(e.engine(withStore(io)))
	assert.Zero(t, again.ConfirmationsApplied, again.Summary())
	assert.Equal(t, 2, io.finds, "next pass: the orders listed again, their shipment rows read once per page")
	assert.Equal(t, 2, io.recordPages, "next pass: one read of records per page")
	assert.Zero(t, io.recordReads, "next pass: no record read of one order")
	assert.Len(t, e.erp.Applied(), n, "each shipment reached the ERP once")
}

// TestConfirmationsReadAPageAtATime: the confirmation pass listing 150
// exported orders reads their exports and their shipment rows in one
// query each per page (no read per order), whether the orders have shipped
// or not; every shipment reaches the ERP once, from the order's own Veeqo
// order, each line shipped in full.
func TestConfirmationsReadAPageAtATime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 150
	e.erp.Put(manyOrders("SO", n)...)
	require.Equal(t, n, e.run(e.engine()).Exported)

	io := &shipmentIO{Store: e.st}
	e.clk.Advance(time.Minute)
	quiet := e.run(e.engine(withStore(io)))
	assert.Zero(t, quiet.ConfirmationsApplied, quiet.Summary())
	assert.Equal(t, 2, io.exportPages, "nothing shipped: one read of exports per page")
	assert.Equal(t, 2, io.finds, "nothing shipped: one read of shipment rows per page")
	assert.Zero(t, io.exportByID, "nothing shipped: no export read by Veeqo order")
	assert.Zero(t, io.byOrder, "nothing shipped: no read of one order's shipments")

	for _, o := range e.srv.Orders() {
		_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z" + o.Number, CarrierID: 5})
		require.NoError(t, err)
	}
	e.clk.Advance(time.Minute)
	io = &shipmentIO{Store: e.st}
	rep := e.run(e.engine(withStore(io)))
	assert.Equal(t, n, rep.ConfirmationsApplied, rep.Summary())
	assert.Equal(t, 2, io.exportPages, "shipped: one read of exports per page")
	assert.Equal(t, 2, io.finds, "shipped: one read of shipment rows per page")
	assert.Zero(t, io.exportByID, "shipped: no export read by Veeqo order")
	assert.Zero(t, io.byOrder, "shipped: no read of one order's shipments")
	applied := e.erp.Applied()
	require.Len(t, applied, n, "each shipment reached the ERP once")
	for _, u := range applied {
		ex, err := e.st.GetExport(context.Background(), testAccount, u.OrderRef)
		require.NoError(t, err)
		assert.Equal(t, ex.VeeqoOrderID, u.VeeqoOrderID, "%s applied from its own Veeqo order", u.OrderRef)
		erp, err := e.erp.Order(context.Background(), u.OrderRef)
		require.NoError(t, err)
		for _, l := range erp.Lines {
			assert.Equal(t, l.Quantity, l.Shipped, "%s line %s shipped in full", u.OrderRef, l.Ref)
		}
	}
}

// movedShipment lists every order as Veeqo does, except that the shipped
// allocations of order from are listed under order to instead, as if
// Veeqo had moved them.
type movedShipment struct {
	vsync.VeeqoAPI
	from, to int64
}

func (m movedShipment) ListOrders(ctx context.Context, opts veeqo.OrderListOptions) iter.Seq2[veeqo.Order, error] {
	return func(yield func(veeqo.Order, error) bool) {
		var moved []veeqo.Allocation
		var held []veeqo.Order
		for o, err := range m.VeeqoAPI.ListOrders(ctx, opts) {
			if err != nil {
				yield(o, err)
				return
			}
			held = append(held, o)
			if o.ID == m.from {
				moved = append(moved, o.Allocations...)
			}
		}
		for _, o := range held {
			switch o.ID {
			case m.from:
				o.Allocations = nil
			case m.to:
				o.Allocations = append(slices.Clone(o.Allocations), moved...)
			}
			if !yield(o, nil) {
				return
			}
		}
	}
}

// TestFetchPageWithAShipmentListedUnderAnotherOrder: an applied shipment
// that a later listing shows under another order of the same page (its
// row belongs to the first; the page's read finds it by id for the one
// and by order for the other, and neither order trusts it) reaches the
// ERP once and its row stays as it was.
func TestFetchPageWithAShipmentListedUnderAnotherOrder(t *testing.T) {
	t.Parallel()
	e := fetchWorld(t)
	e.erp.Put(
		vsync.ERPOrder{Ref: "AMZ-1", Number: "111-1", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1, Allocated: 1}}},
		vsync.ERPOrder{Ref: "AMZ-2", Number: "111-2", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1, Allocated: 1}}},
	)
	o1 := e.addMarketplaceOrder("111-1", e.amazon, map[string]int{"MUG-1": 1})
	o2 := e.addMarketplaceOrder("111-2", e.amazon, map[string]int{"MUG-1": 1})
	_, err := e.srv.ShipAll(o2.ID, veeqotest.ShipInfo{TrackingNumber: "1Z-2", CarrierID: 5})
	require.NoError(t, err)
	e.clk.Advance(time.Minute)
	rep := e.run(e.engine())
	require.Equal(t, 1, rep.ConfirmationsApplied, rep.Summary())

	io := &shipmentIO{Store: e.st}
	for _, id := range []int64{o1.ID, o2.ID} {
		require.NoError(t, e.srv.TouchOrder(id))
	}
	e.clk.Advance(time.Minute)
	e.run(e.engine(withStore(io), withAPI(movedShipment{VeeqoAPI: vsync.ClientAPI(e.client), from: o2.ID, to: o1.ID})))
	assert.Equal(t, 1, io.finds, "the page's rows read once")
	assert.Len(t, e.erp.Applied(), 1, "the shipment reached the ERP once")
	row, err := e.st.GetShipment(context.Background(), testAccount, e.erp.Applied()[0].ShipmentID)
	require.NoError(t, err)
	assert.Equal(t, o2.ID, row.VeeqoOrderID, "the row stays the order's it was applied under")
	assert.Equal(t, store.ShipmentApplied, row.State)
}
