package sync_test

import (
	"context"
	"fmt"
	"iter"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// downERP fails every ApplyShipment while down is set (an ERP outage that
// spans several runs).
type downERP struct {
	vsync.ERP
	down atomic.Bool
}

func (d *downERP) ApplyShipment(ctx context.Context, u vsync.ShipmentUpdate) error {
	if d.down.Load() {
		return errTemporary
	}
	return d.ERP.ApplyShipment(ctx, u)
}

// A shipment that is still pending (the ERP failed to take it) must hold
// back the order's later shipments: a later shipment's update is computed
// from the ERP's current shipped quantities, which do not yet include the
// pending one. Computed then, it is stale: replayed verbatim after the
// outage, the lines never close and the order stays partially shipped
// although everything shipped (or, with a larger second shipment, the
// over-shipment cap is bypassed).
func TestConfirmationLaterShipmentWaitsForPendingOne(t *testing.T) {
	t.Parallel()
	for _, disable := range []bool{false, true} {
		t.Run(map[bool]string{false: "multishipment allowed", true: "multishipment disabled"}[disable], func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.settings.DisableMultishipment = disable
			erp := &downERP{ERP: e.erp}
			eng := e.engine(withERP(erp))
			o := e.exportSO1(t, eng) // MUG-1 x2, TEE-1 x1

			erp.down.Store(true)
			e.clk.Advance(time.Minute)
			a, err := e.srv.ShipPartial(o.ID, map[int64]int{e.sku["MUG-1"]: 1}, veeqotest.ShipInfo{TrackingNumber: "1Z-A", CarrierID: 5})
			require.NoError(t, err)
			rep, err := eng.Run(context.Background(), vsync.RunOptions{Trigger: "test"})
			require.NoError(t, err)
			require.Zero(t, rep.ConfirmationsApplied)

			// The rest ships while the ERP is still down.
			e.clk.Advance(time.Minute)
			bs, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z-B", CarrierID: 5})
			require.NoError(t, err)
			require.Len(t, bs, 1)
			_, err = eng.Run(context.Background(), vsync.RunOptions{Trigger: "test"})
			require.NoError(t, err)
			assert.Empty(t, e.erp.Applied(), "nothing reached the ERP while it was down")

			// The ERP is back: every shipment reaches it, each once, and the
			// order ends exactly as if there had been no outage.
			erp.down.Store(false)
			for range 2 {
				e.clk.Advance(time.Minute)
				_, err = eng.Run(context.Background(), vsync.RunOptions{Trigger: "test"})
				require.NoError(t, err)
			}
			got := e.erpOrder("SO-1")
			if disable {
				assert.Equal(t, map[string]int{"1": 1, "2": 0}, shippedOf(got), "only the first shipment counts")
				assert.Equal(t, vsync.OrderClosed, got.Status)
				row, err := e.st.GetShipment(context.Background(), testAccount, bs[0].ID)
				require.NoError(t, err)
				assert.Equal(t, store.ShipmentIgnored, row.State, "the late shipment is ignored")
			} else {
				assert.Equal(t, map[string]int{"1": 2, "2": 1}, shippedOf(got))
				assert.Equal(t, vsync.OrderShipped, got.Status)
				for _, l := range got.Lines {
					assert.True(t, l.Closed, "line %s closed once its whole quantity shipped", l.Ref)
				}
				ex, err := e.st.GetExport(context.Background(), testAccount, "SO-1")
				require.NoError(t, err)
				assert.True(t, ex.Completed, "the export completes")
				require.Len(t, e.erp.Applied(), 2)
				last := e.erp.Applied()[1]
				assert.True(t, last.Final)
				for _, lu := range last.Lines {
					if lu.LineRef == "1" {
						assert.Equal(t, 2, lu.ShippedTotal, "second update computed after the first was applied")
					}
				}
			}
			for _, id := range []int64{a.ID, bs[0].ID} {
				row, err := e.st.GetShipment(context.Background(), testAccount, id)
				require.NoError(t, err)
				assert.NotEqual(t, store.ShipmentPending, row.State, "shipment %d still pending", id)
			}
		})
	}
}

// pauseAfterClaim blocks the run right after its export claim landed, as a
// process paused (GC, VM migration, SIGSTOP) between the claim and the POST.
type pauseAfterClaim struct {
	store.Store
	claimed chan struct{}
	resume  chan struct{}
}

func (p pauseAfterClaim) ClaimExport(ctx context.Context, e store.Export) (store.Export, bool, error) {
	out, ins, err := p.Store.ClaimExport(ctx, e)
	close(p.claimed)
	<-p.resume
	return out, ins, err
}

// A run whose lease expired and was taken by another process must not
// create in Veeqo when it wakes up: the other run found the claim in
// doubt, saw no order by number, and created it. Without a fence the
// stale run's POST is a second Veeqo order for the same ERP order
// (invariant 1).
func TestStaleLeaseHolderDoesNotCreateAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.erp.Put(order("SO-1", "MUG-1:1"))
	p := pauseAfterClaim{Store: e.st, claimed: make(chan struct{}), resume: make(chan struct{})}
	stale := e.engine(withStore(p), withHolder("host-a"))
	type result struct {
		rep vsync.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := stale.Run(context.Background(), vsync.RunOptions{Trigger: "test"})
		done <- result{rep, err}
	}()
	<-p.claimed

	// The paused run's lease expires; another process takes the account.
	e.clk.Advance(2 * time.Minute)
	rep, err := e.engine(withHolder("host-b")).Run(context.Background(), vsync.RunOptions{Trigger: "test"})
	require.NoError(t, err)
	require.Equal(t, 1, rep.InDoubt, "the new holder finds the claim in doubt and waits out the settle time")
	require.Zero(t, rep.Exported)

	close(p.resume)
	res := <-done
	assert.Empty(t, e.srv.OrdersByNumber("SO-1"), "the stale run created nothing")
	assert.Zero(t, res.rep.Exported)
	require.Error(t, res.err, "the stale run says it lost its lease")
	assert.ErrorIs(t, res.err, store.ErrLeaseLost)

	e.clk.Advance(vsync.DefaultInDoubtSettle)
	rep, err = e.engine(withHolder("host-b")).Run(context.Background(), vsync.RunOptions{Trigger: "test"})
	require.NoError(t, err)
	require.Equal(t, 1, rep.Exported, "the new holder exports the order once the settle time has passed")
	assert.Len(t, e.srv.OrdersByNumber("SO-1"), 1, "one Veeqo order per ERP order")
	ex, err := e.st.GetExport(context.Background(), testAccount, "SO-1")
	require.NoError(t, err)
	assert.Equal(t, store.ExportExported, ex.State)
	assert.Equal(t, e.veeqoOrder("SO-1").ID, ex.VeeqoOrderID)
}

// cancelDuringListing cancels one already-listed order of the default
// (not cancelled) listing once its first page has been handed out: the
// order leaves the filtered set while the listing is paged.
type cancelDuringListing struct {
	vsync.VeeqoAPI
	srv  *veeqotest.Server
	done atomic.Bool
}

func (c *cancelDuringListing) ListOrders(ctx context.Context, opts veeqo.OrderListOptions) iter.Seq2[veeqo.Order, error] {
	inner := c.VeeqoAPI.ListOrders(ctx, opts)
	if opts.Status != "" {
		return inner
	}
	return func(yield func(veeqo.Order, error) bool) {
		n := 0
		var first int64
		for o, err := range inner {
			if !yield(o, err) || err != nil {
				return
			}
			n++
			if n == 1 {
				first = o.ID
			}
			if n == opts.PageSize && c.done.CompareAndSwap(false, true) {
				if err := c.srv.CancelOrder(first, "customer changed their mind"); err != nil {
					panic(err)
				}
			}
		}
	}
}

// Veeqo pages /orders newest id first. An order that leaves the listed set
// while the listing is paged (cancelled: the default listing leaves
// cancelled orders out) shifts every later order up by one, so the first
// order of the next page lands on the page already read and is never
// handed out. The cursor must not advance past it: an exported order whose
// shipment was missed that way is never listed again (its updated_at falls
// before the next window), and the shipment never reaches the ERP
// (invariant 2).
func TestConfirmationNotMissedWhenAnOrderIsCancelledDuringPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eng := e.engine()
	o := e.exportSO1(t, eng) // the oldest order: last in the newest-first listing

	e.clk.Advance(time.Minute)
	_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z", CarrierID: 5})
	require.NoError(t, err)

	// A busy hour of marketplace orders: a full page newer than SO-1.
	e.clk.Advance(time.Hour)
	for i := range veeqo.MaxPageSize {
		e.srv.AddOrder(veeqo.Order{Number: fmt.Sprintf("AMZ-%03d", i), Channel: &e.amazon})
	}
	e.clk.Advance(time.Minute)
	api := &cancelDuringListing{VeeqoAPI: vsync.ClientAPI(e.client), srv: e.srv}
	_, err = e.engine(withAPI(api)).Run(context.Background(), vsync.RunOptions{Trigger: "test"})
	require.NoError(t, err)
	require.True(t, api.done.Load(), "an order was cancelled while the listing was paged")

	for range 2 {
		e.clk.Advance(time.Minute)
		e.run(eng)
	}
	assert.Equal(t, map[string]int{"1": 2, "2": 1}, shippedOf(e.erpOrder("SO-1")), "the shipment reached the ERP")
	assert.Len(t, e.erp.Applied(), 1)
}

// The same in fetch mode, which lists only the default status: a
// marketplace order cancelled while the listing is paged must not cost an
// older order its fulfillment.
func TestFetchNotMissedWhenAnOrderIsCancelledDuringPaging(t *testing.T) {
	t.Parallel()
	e := fetchWorld(t)
	e.erp.Put(vsync.ERPOrder{Ref: "AMZ-1", Number: "111-0000001", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1, Allocated: 1}}})
	o := e.addMarketplaceOrder("111-0000001", e.amazon, map[string]int{"MUG-1": 1})
	eng := e.engine()
	e.run(eng)

	e.clk.Advance(time.Minute)
	_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{CarrierID: 3})
	require.NoError(t, err)
	e.clk.Advance(time.Hour)
	for i := range veeqo.MaxPageSize {
		num := fmt.Sprintf("111-1%06d", i)
		e.erp.Put(vsync.ERPOrder{Ref: "AMZ-N" + num, Number: num, Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1, Allocated: 1}}})
		e.addMarketplaceOrder(num, e.amazon, map[string]int{"MUG-1": 1})
	}
	e.clk.Advance(time.Minute)
	api := &cancelDuringListing{VeeqoAPI: vsync.ClientAPI(e.client), srv: e.srv}
	_, err = e.engine(withAPI(api)).Run(context.Background(), vsync.RunOptions{Trigger: "test"})
	require.NoError(t, err)
	require.True(t, api.done.Load(), "an order was cancelled while the listing was paged")

	for range 2 {
		e.clk.Advance(time.Minute)
		e.run(eng)
	}
	assert.Equal(t, map[string]int{"1": 1}, shippedOf(e.erpOrder("AMZ-1")), "the fulfillment reached the ERP")
}

// failCompleteOnce fails the first CompleteExport: the order exists in
// Veeqo but its link did not land, so the claim stays in doubt.
type failCompleteOnce struct {
	store.Store
	failed atomic.Bool
}

func (s *failCompleteOnce) CompleteExport(ctx context.Context, e store.Export, r store.RecordUpdate, logs ...store.LogEntry) (store.Export, error) {
	if s.failed.CompareAndSwap(false, true) {
		return store.Export{}, errTemporary
	}
	return s.Store.CompleteExport(ctx, e, r, logs...)
}

// searchDown fails every lookup by number (Veeqo's search is down).
// lookupsDown fails every way of finding an order by number: the search
// and the listing by creation time.
type lookupsDown struct{ vsync.VeeqoAPI }

func (lookupsDown) FindOrdersByNumber(context.Context, string) ([]veeqo.Order, error) {
	return nil, errTemporary
}

func (l lookupsDown) ListOrders(ctx context.Context, opts veeqo.OrderListOptions) iter.Seq2[veeqo.Order, error] {
	if opts.CreatedAtMin.IsZero() {
		return l.VeeqoAPI.ListOrders(ctx, opts)
	}
	return func(yield func(veeqo.Order, error) bool) { yield(veeqo.Order{}, errTemporary) }
}

// An order shipped in Veeqo while its export was still in doubt (created,
// not yet linked) is listed by the confirmation poll before the export
// knows its Veeqo id, so it is passed over, and the cursor moves on. When
// a later run links the export by number, the shipment is older than the
// poll's window: it must still reach the ERP (invariant 2).
func TestShipmentOfAnOrderLinkedLateReachesTheERP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.erp.Put(order("SO-1", "MUG-1:1"))
	st := &failCompleteOnce{Store: e.st}
	rep, err := e.engine(withStore(st)).Run(context.Background(), vsync.RunOptions{Trigger: "test"})
	require.NoError(t, err)
	require.Zero(t, rep.Exported, "the link did not land")
	o := e.veeqoOrder("SO-1")

	e.clk.Advance(time.Minute)
	_, err = e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z", CarrierID: 5})
	require.NoError(t, err)
	e.clk.Advance(15 * time.Minute)
	e.srv.AddOrder(veeqo.Order{Number: "AMZ-1", Channel: &e.amazon}) // a newer update moves the cursor on
	e.clk.Advance(time.Minute)
	_, err = e.engine(withAPI(lookupsDown{vsync.ClientAPI(e.client)})).Run(context.Background(), vsync.RunOptions{Trigger: "test"})
	require.NoError(t, err)
	ex, err := e.st.GetExport(context.Background(), testAccount, "SO-1")
	require.NoError(t, err)
	require.NotEqual(t, store.ExportExported, ex.State, "still in doubt while the lookups are down")

	eng := e.engine()
	for range 2 {
		e.clk.Advance(time.Hour)
		e.run(eng)
	}
	ex, err = e.st.GetExport(context.Background(), testAccount, "SO-1")
	require.NoError(t, err)
	require.Equal(t, o.ID, ex.VeeqoOrderID, "linked by number")
	assert.Len(t, e.srv.OrdersByNumber("SO-1"), 1)
	assert.Equal(t, map[string]int{"1": 1}, shippedOf(e.erpOrder("SO-1")), "the shipment reached the ERP")
}

// Two ERP lines whose items Veeqo does not know both go out as the default
// SKU: one sellable on two lines. Shipments of that sellable are spread
// over the lines in line order, each line filled up to its own quantity,
// whatever the parcels; nothing is shipped twice or lost, under both
// multishipment rules.
func TestDefaultSKUOnTwoLinesShipsEachLineOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		disable bool
		parcels []int // quantities of DEFAULT per shipment
		want    map[string]int
		status  string
	}{
		{name: "one parcel", parcels: []int{3}, want: map[string]int{"1": 1, "2": 2, "3": 1}, status: vsync.OrderShipped},
		{name: "two parcels", parcels: []int{2, 1}, want: map[string]int{"1": 1, "2": 2, "3": 0}, status: vsync.OrderPartiallyShipped},
		{name: "disabled: first parcel is final", disable: true, parcels: []int{2, 1}, want: map[string]int{"1": 1, "2": 1, "3": 0}, status: vsync.OrderClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.settings.DisableMultishipment = tc.disable
			eng := e.engine()
			e.erp.Put(order("SO-1", "NOPE-1:1", "NOPE-2:2", "MUG-1:1"))
			rep := e.run(eng)
			require.Equal(t, 1, rep.Exported)
			o := e.veeqoOrder("SO-1")
			ex, err := e.st.GetExport(context.Background(), testAccount, "SO-1")
			require.NoError(t, err)
			require.Len(t, ex.Lines, 3)
			require.Equal(t, ex.Lines[0].SellableID, ex.Lines[1].SellableID, "both unknown lines use the default SKU")
			for i, q := range tc.parcels {
				e.clk.Advance(time.Minute)
				lines := map[int64]int{e.sku["DEFAULT"]: q}
				if i == 0 && !tc.disable && tc.want["3"] == 1 {
					lines[e.sku["MUG-1"]] = 1
				}
				_, err := e.srv.ShipPartial(o.ID, lines, veeqotest.ShipInfo{TrackingNumber: fmt.Sprint("1Z-", i), CarrierID: 5})
				require.NoError(t, err)
				e.run(eng)
			}
			e.clk.Advance(time.Minute)
			e.run(eng) // a rerun changes nothing
			got := e.erpOrder("SO-1")
			assert.Equal(t, tc.want, shippedOf(got))
			assert.Equal(t, tc.status, got.Status)
			for _, l := range got.Lines {
				assert.LessOrEqual(t, l.Shipped, l.Quantity, "line %s never over-shipped", l.Ref)
			}
		})
	}
}

// RunRefs of a reference another process is exporting right now is
// refused (the lease), and never creates a second order.
func TestRunRefsWhileAnotherProcessRunsIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.erp.Put(order("SO-1", "MUG-1:1"))
	p := pauseAfterClaim{Store: e.st, claimed: make(chan struct{}), resume: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := e.engine(withStore(p), withHolder("host-a")).Run(context.Background(), vsync.RunOptions{Trigger: "test"})
		done <- err
	}()
	<-p.claimed
	_, err := e.engine(withHolder("host-b")).RunRefs(context.Background(), "SO-1")
	assert.ErrorIs(t, err, vsync.ErrRunInProgress)
	close(p.resume)
	require.NoError(t, <-done)
	assert.Len(t, e.srv.OrdersByNumber("SO-1"), 1)
	rep, err := e.engine(withHolder("host-b")).RunRefs(context.Background(), "SO-1")
	require.NoError(t, err)
	assert.Zero(t, rep.Exported, "already exported")
	assert.Len(t, e.srv.OrdersByNumber("SO-1"), 1)
}

// A line shipped partly by hand in the ERP after the export, then shipped
// in full in Veeqo: the confirmation is applied up to what was ordered and
// recorded as a warning, under both rules, and a rerun changes nothing.
func TestOverShipmentAfterHandShippingIsCapped(t *testing.T) {
	t.Parallel()
	for _, disable := range []bool{false, true} {
		t.Run(fmt.Sprint("disable=", disable), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.settings.DisableMultishipment = disable
			eng := e.engine()
			e.erp.Put(order("SO-1", "MUG-1:3"))
			e.run(eng)
			o := e.veeqoOrder("SO-1")
			hand := e.erpOrder("SO-1")
			hand.Lines[0].Shipped = 2 // shipped by hand in the warehouse
			hand.Lines[0].Allocated = 1
			e.erp.Put(hand)

			e.clk.Advance(time.Minute)
			_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z", CarrierID: 5})
			require.NoError(t, err)
			rep := e.run(eng)
			require.Equal(t, 1, rep.ConfirmationsApplied)
			e.clk.Advance(time.Minute)
			e.run(eng)
			got := e.erpOrder("SO-1")
			assert.Equal(t, map[string]int{"1": 3}, shippedOf(got), "capped at the ordered quantity")
			assert.True(t, got.Lines[0].Closed)
			assert.Equal(t, vsync.OrderShipped, got.Status)
			rec := e.record(vsync.ProcessConfirmation, "SO-1")
			assert.Equal(t, store.RecordWarning, rec.Status)
			assert.Contains(t, rec.Message, "over-shipment")
			assert.Len(t, e.erp.Applied(), 1)
		})
	}
}

// An order partly shipped and then cancelled in Veeqo before the next run:
// the cancelled listing still brings its shipment to the ERP, once, and the
// remainder is closed (veeqo_cancel_remainder's default), once.
func TestShippedThenCancelledStillApplies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eng := e.engine()
	o := e.exportSO1(t, eng)
	e.clk.Advance(time.Minute)
	_, err := e.srv.ShipPartial(o.ID, map[int64]int{e.sku["MUG-1"]: 1}, veeqotest.ShipInfo{TrackingNumber: "1Z-A", CarrierID: 5})
	require.NoError(t, err)
	require.NoError(t, e.srv.CancelOrder(o.ID, "rest out of stock"))
	rep := e.run(eng)
	assert.Equal(t, 1, rep.ConfirmationsApplied)
	e.clk.Advance(time.Minute)
	assert.Zero(t, e.run(eng).ConfirmationsApplied)
	got := e.erpOrder("SO-1")
	assert.Equal(t, map[string]int{"1": 1, "2": 0}, shippedOf(got))
	assert.Equal(t, vsync.OrderClosed, got.Status)
	require.Len(t, e.erp.Applied(), 2)
	assert.Equal(t, vsync.KindCancel, e.erp.Applied()[1].Kind)
}
