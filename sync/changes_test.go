package sync_test

import (
	"context"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// changeWorld is one ERP order with lines 1 (MUG-1 x2) and 2 (TEE-1 x1) and
// its Veeqo order, in either mode: exported by the engine (export), or born
// on the Amazon channel with a copy in the ERP (fetch).
type changeWorld struct {
	t         *testing.T
	e         *env
	mode      store.Mode
	ref       string // the ERP order
	recordRef string // its record's reference
	process   string
	veeqo     veeqo.Order
}

func newChangeWorld(t *testing.T, mode store.Mode, disable bool, tweak func(*vsync.Settings)) *changeWorld {
	t.Helper()
	w := &changeWorld{t: t, mode: mode}
	if mode == store.ModeFetch {
		w.e = fetchWorld(t)
		w.ref, w.recordRef, w.process = "AMZ-1", "111-0000001", vsync.ProcessFetch
		w.e.erp.Put(vsync.ERPOrder{Ref: w.ref, Number: w.recordRef, Store: "Amazon", Lines: []vsync.ERPLine{
			{Ref: "1", SKU: "MUG-1", Quantity: 2, Allocated: 2}, {Ref: "2", SKU: "TEE-1", Quantity: 1, Allocated: 1}}})
		w.veeqo = w.e.addMarketplaceOrder(w.recordRef, w.e.amazon, map[string]int{"MUG-1": 2, "TEE-1": 1})
	} else {
		w.e = newEnv(t)
		w.ref, w.recordRef, w.process = "SO-1", "SO-1", vsync.ProcessConfirmation
	}
	w.e.settings.DisableMultishipment = disable
	if tweak != nil {
		tweak(&w.e.settings)
	}
	if mode == store.ModeExport {
		w.veeqo = w.e.exportSO1(t, w.e.engine())
	}
	return w
}

// run advances the clock and runs the engine once.
func (w *changeWorld) run() vsync.Report {
	w.t.Helper()
	w.e.clk.Advance(time.Minute)
	return w.e.run(w.e.engine())
}

// ship ships quantities by SKU (all when nil) with a tracking number.
func (w *changeWorld) ship(lines map[string]int, tracking string) veeqo.Shipment {
	w.t.Helper()
	w.e.clk.Advance(time.Minute)
	if lines == nil {
		shipped, err := w.e.srv.ShipAll(w.veeqo.ID, veeqotest.ShipInfo{TrackingNumber: tracking, CarrierID: 5})
		require.NoError(w.t, err)
		require.NotEmpty(w.t, shipped)
		return shipped[0]
	}
	byID := map[int64]int{}
	for sku, q := range lines {
		byID[w.e.sku[sku]] = q
	}
	sh, err := w.e.srv.ShipPartial(w.veeqo.ID, byID, veeqotest.ShipInfo{TrackingNumber: tracking, CarrierID: 5})
	require.NoError(w.t, err)
	return sh
}

// erpState is what the ERP ends with for the order, and its record.
type erpState struct {
	Shipped  map[string]int
	Closed   map[string]bool
	Status   string
	Tracking []string
	Applied  int
	Record   store.RecordStatus
	Message  string
}

func (w *changeWorld) state() erpState {
	w.t.Helper()
	o := w.e.erpOrder(w.ref)
	st := erpState{Shipped: shippedOf(o), Closed: map[string]bool{}, Status: o.Status, Tracking: w.e.erp.Tracking(w.ref), Applied: len(w.e.erp.Applied())}
	for _, l := range o.Lines {
		st.Closed[l.Ref] = l.Closed
	}
	if r, err := w.e.st.GetRecord(context.Background(), testAccount, w.process, w.recordRef); err == nil {
		st.Record, st.Message = r.Status, r.Message
	}
	return st
}

// rerunChangesNothing runs twice more (the order listed again, and not) and
// checks the ERP and the record stay as they are, with no new log line.
func (w *changeWorld) rerunChangesNothing() {
	w.t.Helper()
	before, logs := w.state(), w.e.logCount(w.recordRef)
	require.NoError(w.t, w.e.srv.TouchOrder(w.veeqo.ID))
	w.run()
	w.run()
	after := w.state()
	assert.Equal(w.t, before.Shipped, after.Shipped, "rerun: shipped")
	assert.Equal(w.t, before.Closed, after.Closed, "rerun: closed")
	assert.Equal(w.t, before.Status, after.Status, "rerun: status")
	assert.Equal(w.t, before.Tracking, after.Tracking, "rerun: tracking")
	assert.Equal(w.t, before.Applied, after.Applied, "rerun: updates applied")
	assert.Equal(w.t, before.Record, after.Record, "rerun: record status")
	assert.Equal(w.t, logs, w.e.logCount(w.recordRef), "rerun: no new log line")
}

// forEachCase runs f under both modes and both multishipment rules.
func forEachCase(t *testing.T, f func(t *testing.T, mode store.Mode, disable bool)) {
	for _, mode := range []store.Mode{store.ModeExport, store.ModeFetch} {
		for _, disable := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/disable_multishipment=%v", mode, disable), func(t *testing.T) {
				t.Parallel()
				f(t, mode, disable)
			})
		}
	}
}

// Row: a label voided (the shipment deleted) and the order reshipped with
// a new tracking number. The replacement replaces the void under both
// rules: the ERP ends fully shipped with the new tracking only.
func TestVoidedLabelReshipped(t *testing.T) {
	t.Parallel()
	forEachCase(t, func(t *testing.T, mode store.Mode, disable bool) {
		w := newChangeWorld(t, mode, disable, nil)
		old := w.ship(nil, "1Z-OLD")
		w.run()
		require.Equal(t, []string{"1Z-OLD"}, w.state().Tracking)

		require.NoError(t, w.e.srv.DeleteShipment(old.ID))
		w.ship(nil, "1Z-NEW")
		rep := w.run()
		assert.Equal(t, 1, rep.ShipmentsVoided)
		got := w.state()
		assert.Equal(t, map[string]int{"1": 2, "2": 1}, got.Shipped)
		assert.Equal(t, map[string]bool{"1": true, "2": true}, got.Closed)
		assert.Equal(t, vsync.OrderShipped, got.Status)
		assert.Equal(t, []string{"1Z-NEW"}, got.Tracking, "the void's tracking is withdrawn, the replacement's applied")
		assert.Equal(t, store.RecordWarning, got.Record)
		assert.Contains(t, got.Message, fmt.Sprintf("shipment %d (tracking 1Z-OLD) was voided in Veeqo", old.ID))
		assert.Contains(t, got.Message, "1Z-NEW")
		w.rerunChangesNothing()
	})
}

// Row: a partial shipment whose label is voided (its tracking number
// cancelled) with no reship: the ERP order goes back to what it was before,
// quantities, lines and tracking, under both rules.
func TestVoidedLabelNotReshipped(t *testing.T) {
	t.Parallel()
	forEachCase(t, func(t *testing.T, mode store.Mode, disable bool) {
		w := newChangeWorld(t, mode, disable, nil)
		sh := w.ship(map[string]int{"MUG-1": 1}, "1Z-A")
		w.run()
		require.Equal(t, 1, w.state().Shipped["1"])

		w.e.clk.Advance(time.Minute)
		require.NoError(t, w.e.srv.CancelTracking(sh.ID))
		w.run()
		got := w.state()
		assert.Equal(t, map[string]int{"1": 0, "2": 0}, got.Shipped)
		assert.Equal(t, map[string]bool{"1": false, "2": false}, got.Closed, "lines the final shipment closed are open again")
		assert.Equal(t, vsync.OrderOpen, got.Status)
		assert.Empty(t, got.Tracking)
		assert.Equal(t, 2, w.e.erpOrder(w.ref).Lines[0].Allocated, "what the final shipment unallocated is allocated again")
		assert.Contains(t, got.Message, "its tracking number was cancelled")
		w.rerunChangesNothing()

		// Reshipped later (in two parcels): applied as the order's first
		// shipments again; under "disable multishipment" the first is final.
		require.NoError(t, w.e.srv.DeleteShipment(sh.ID))
		w.ship(nil, "1Z-B")
		w.run()
		if disable {
			assert.Equal(t, map[string]bool{"1": true, "2": true}, w.state().Closed)
		} else {
			assert.Equal(t, map[string]int{"1": 2, "2": 1}, w.state().Shipped)
		}
		assert.NotContains(t, w.state().Tracking, "1Z-A")
		assert.Contains(t, w.state().Tracking, "1Z-B")
	})
}

// Row: an order cancelled in Veeqo after a partial shipment. The shipment
// reaches the ERP; the remainder is closed and unallocated
// (veeqo_cancel_remainder close, the default) or left open and flagged
// (open); the cancel reason is on the record either way.
func TestCancelledInVeeqoAfterPartialShipment(t *testing.T) {
	t.Parallel()
	for _, remainder := range []string{vsync.CancelRemainderClose, vsync.CancelRemainderOpen} {
		t.Run(remainder, func(t *testing.T) {
			t.Parallel()
			forEachCase(t, func(t *testing.T, mode store.Mode, disable bool) {
				w := newChangeWorld(t, mode, disable, func(s *vsync.Settings) { s.VeeqoCancelRemainder = remainder })
				w.ship(map[string]int{"MUG-1": 1}, "1Z-A")
				require.NoError(t, w.e.srv.CancelOrder(w.veeqo.ID, "rest out of stock"))
				w.run()
				got := w.state()
				assert.Equal(t, map[string]int{"1": 1, "2": 0}, got.Shipped)
				assert.Equal(t, []string{"1Z-A"}, got.Tracking)
				assert.Equal(t, store.RecordWarning, got.Record)
				assert.Contains(t, got.Message, "rest out of stock")
				switch {
				case disable:
					// The first shipment was final: nothing was left open.
					assert.Equal(t, map[string]bool{"1": true, "2": true}, got.Closed)
				case remainder == vsync.CancelRemainderClose:
					assert.Equal(t, map[string]bool{"1": true, "2": true}, got.Closed)
					assert.Equal(t, vsync.OrderClosed, got.Status)
					assert.Equal(t, 0, w.e.erpOrder(w.ref).Lines[1].Allocated, "the remainder is unallocated")
				default:
					assert.Equal(t, map[string]bool{"1": false, "2": false}, got.Closed)
					assert.Equal(t, vsync.OrderPartiallyShipped, got.Status)
					assert.Contains(t, got.Message, "stays open")
				}
				w.rerunChangesNothing()
			})
		})
	}
}

// Row: an ERP order cancelled (or deleted) after export. It is flagged at
// the next run, once; erp_cancel_action note or cancel tells Veeqo; if the
// warehouse ships it anyway the shipment is flagged and not applied, and the
// order is not flipped to shipped.
func TestCancelledInTheERPAfterExport(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, action string
		delete       bool
	}{
		{"cancelled, flag", vsync.ERPCancelFlag, false},
		{"cancelled, note", vsync.ERPCancelNote, false},
		{"cancelled, cancel in Veeqo", vsync.ERPCancelCancel, false},
		{"deleted, flag", vsync.ERPCancelFlag, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, disable := range []bool{false, true} {
				w := newChangeWorld(t, store.ModeExport, disable, func(s *vsync.Settings) { s.ERPCancelAction = tc.action })
				if tc.delete {
					w.e.erp.Delete(w.ref)
				} else {
					require.NoError(t, w.e.erp.Cancel(w.ref))
				}
				w.run()
				rec := w.e.record(vsync.ProcessExport, w.ref)
				assert.Equal(t, store.RecordError, rec.Status)
				what := map[bool]string{false: "cancelled", true: "deleted"}[tc.delete]
				assert.Contains(t, rec.Message, fmt.Sprintf("%s in the ERP after export as Veeqo order %d", what, w.veeqo.ID))
				vo, _ := w.e.srv.Order(w.veeqo.ID)
				switch tc.action {
				case vsync.ERPCancelCancel:
					assert.Equal(t, veeqo.StatusCancelled, vo.Status)
					assert.Contains(t, vo.CancelReason, "XoroERP order SO-1 was cancelled")
				case vsync.ERPCancelNote:
					require.NotEmpty(t, vo.EmployeeNotes)
					assert.Contains(t, vo.EmployeeNotes[len(vo.EmployeeNotes)-1].Text, "do not ship")
				default:
					assert.NotEqual(t, veeqo.StatusCancelled, vo.Status)
				}
				logs := w.e.logCount(w.ref)
				w.run()
				w.run()
				assert.Equal(t, logs, w.e.logCount(w.ref), "flagged once, not on every run")
				if tc.action == vsync.ERPCancelCancel || tc.delete {
					continue
				}
				// The warehouse ships it anyway.
				w.ship(nil, "1Z-LATE")
				w.run()
				cr := w.e.record(vsync.ProcessConfirmation, w.ref)
				assert.Equal(t, store.RecordError, cr.Status)
				assert.Contains(t, cr.Message, "1Z-LATE")
				assert.Contains(t, cr.Message, "was cancelled after export: not applied")
				assert.Equal(t, vsync.OrderCancelled, w.e.erpOrder(w.ref).Status, "not flipped to shipped")
				assert.Equal(t, map[string]int{"1": 0, "2": 0}, shippedOf(w.e.erpOrder(w.ref)))
				w.rerunChangesNothing()
			}
		})
	}
}

// Row (fetch mode): the ERP's copy of a marketplace order is cancelled and
// Veeqo ships it: flagged, not applied.
func TestFetchedShipmentOfCancelledERPOrderFlagged(t *testing.T) {
	t.Parallel()
	w := newChangeWorld(t, store.ModeFetch, false, nil)
	require.NoError(t, w.e.erp.Cancel(w.ref))
	w.ship(nil, "1Z-F")
	w.run()
	got := w.state()
	assert.Equal(t, store.RecordError, got.Record)
	assert.Contains(t, got.Message, "was cancelled after export: not applied")
	assert.Equal(t, vsync.OrderCancelled, got.Status)
	assert.Zero(t, got.Applied)
	w.rerunChangesNothing()
}

// Row: order B merged into order A in Veeqo (B cancelled or emptied), A
// shipped with B's lines. A's shipment reaches A's ERP order (its own
// lines) and A's record settles once; B is flagged, naming A and the
// tracking, once.
func TestMergedOrders(t *testing.T) {
	t.Parallel()
	for _, away := range []veeqotest.MergeAway{veeqotest.MergeCancelled, veeqotest.MergeEmptied} {
		for _, disable := range []bool{false, true} {
			t.Run(fmt.Sprintf("away=%d/disable=%v", away, disable), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				e.settings.DisableMultishipment = disable
				a, b := order("SO-1", "MUG-1:1"), order("SO-2", "CAP-1:1")
				b.Customer = a.Customer
				e.erp.Put(a, b)
				eng := e.engine()
				e.run(eng)
				va, vb := e.veeqoOrder("SO-1"), e.veeqoOrder("SO-2")
				e.clk.Advance(time.Minute)
				require.NoError(t, e.srv.MergeOrders(vb.ID, va.ID, away))
				_, err := e.srv.ShipAll(va.ID, veeqotest.ShipInfo{TrackingNumber: "1Z-M", CarrierID: 5})
				require.NoError(t, err)
				e.clk.Advance(time.Minute)
				e.run(eng)

				assert.Equal(t, map[string]int{"1": 1}, shippedOf(e.erpOrder("SO-1")))
				assert.Equal(t, []string{"1Z-M"}, e.erp.Tracking("SO-1"))
				ra := e.record(vsync.ProcessConfirmation, "SO-1")
				assert.Equal(t, store.RecordWarning, ra.Status, ra.Message)
				assert.Contains(t, ra.Message, "CAP-1", "A's record names the merged-in line it did not apply")
				rb := e.record(vsync.ProcessConfirmation, "SO-2")
				assert.Equal(t, store.RecordWarning, rb.Status)
				assert.Contains(t, rb.Message, fmt.Sprintf("merged into Veeqo order %d (number SO-1)", va.ID))
				assert.Contains(t, rb.Message, "1Z-M")
				assert.Equal(t, map[string]int{"1": 0}, shippedOf(e.erpOrder("SO-2")), "nothing applied to B by itself")

				logsA, logsB, applied := e.logCount("SO-1"), e.logCount("SO-2"), len(e.erp.Applied())
				for _, id := range []int64{va.ID, vb.ID} {
					require.NoError(t, e.srv.TouchOrder(id))
				}
				e.clk.Advance(time.Minute)
				e.run(eng)
				e.clk.Advance(time.Minute)
				e.run(eng)
				assert.Equal(t, logsA, e.logCount("SO-1"), "A settles once")
				assert.Equal(t, logsB, e.logCount("SO-2"), "B flagged once")
				assert.Len(t, e.erp.Applied(), applied)
			})
		}
	}
}

// Row: a shipment that ships none of its order's lines (here A's own line
// was removed in Veeqo after B's was merged in) is settled once, with its
// reason, in both modes: not pending, and not read again on every run.
func TestShipmentOfNoneOfTheOrdersLinesSettlesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := order("SO-1", "MUG-1:1"), order("SO-2", "CAP-1:1")
	b.Customer = a.Customer
	e.erp.Put(a, b)
	eng := e.engine()
	e.run(eng)
	va, vb := e.veeqoOrder("SO-1"), e.veeqoOrder("SO-2")
	e.clk.Advance(time.Minute)
	require.NoError(t, e.srv.MergeOrders(vb.ID, va.ID, veeqotest.MergeCancelled))
	require.NoError(t, e.srv.RemoveLine(va.ID, va.LineItems[0].ID))
	_, err := e.srv.ShipAll(va.ID, veeqotest.ShipInfo{TrackingNumber: "1Z-X", CarrierID: 5})
	require.NoError(t, err)
	e.clk.Advance(time.Minute)
	rep := e.run(eng)
	assert.Equal(t, 1, rep.ShipmentsIgnored)
	ra := e.record(vsync.ProcessConfirmation, "SO-1")
	assert.Equal(t, store.RecordWarning, ra.Status)
	assert.Contains(t, ra.Message, "ships none of ERP order SO-1's lines")
	assert.Empty(t, e.erp.Applied())

	reads := e.srv.Count("GET", fmt.Sprintf("/orders/%d", va.ID))
	for range 3 {
		e.clk.Advance(time.Hour)
		e.run(eng)
	}
	assert.Equal(t, reads, e.srv.Count("GET", fmt.Sprintf("/orders/%d", va.ID)), "not re-read by id on every run")
	assert.Equal(t, ra.Message, e.record(vsync.ProcessConfirmation, "SO-1").Message)
}

// blankLines reads every allocation without its lines: the empty read a
// shipment may give while Veeqo updates it.
type blankLines struct{ vsync.VeeqoAPI }

func blank(o veeqo.Order) veeqo.Order {
	for i := range o.Allocations {
		o.Allocations[i].LineItems = nil
	}
	return o
}

func (b blankLines) ListOrders(ctx context.Context, opts veeqo.OrderListOptions) iter.Seq2[veeqo.Order, error] {
	return func(yield func(veeqo.Order, error) bool) {
		for o, err := range b.VeeqoAPI.ListOrders(ctx, opts) {
			if !yield(blank(o), err) {
				return
			}
		}
	}
}

func (b blankLines) GetOrder(ctx context.Context, id int64) (*veeqo.Order, error) {
	o, err := b.VeeqoAPI.GetOrder(ctx, id)
	if o != nil {
		c := blank(*o)
		o = &c
	}
	return o, err
}

// A record pending on an empty read is looked at again a bounded number of
// times, then settles as an error that keeps its reason, and the per-run
// re-read stops.
func TestPendingRecordSettlesAfterBoundedLooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	api := withAPI(blankLines{vsync.ClientAPI(e.client)})
	o := e.exportSO1(t, e.engine(api))
	_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z", CarrierID: 5})
	require.NoError(t, err)
	e.clk.Advance(time.Minute)
	e.run(e.engine(api))
	require.Equal(t, store.RecordPending, e.record(vsync.ProcessConfirmation, "SO-1").Status)
	path := fmt.Sprintf("/orders/%d", o.ID)
	for range 40 {
		e.clk.Advance(time.Hour)
		e.run(e.engine(api))
	}
	r := e.record(vsync.ProcessConfirmation, "SO-1")
	assert.Equal(t, store.RecordError, r.Status)
	assert.Contains(t, r.Message, "gave up after 24 looks: shipment")
	assert.Contains(t, r.Message, "ships no quantity")
	reads := e.srv.Count("GET", path)
	assert.Less(t, reads, 30, "re-read a bounded number of times")
	e.clk.Advance(time.Hour)
	e.run(e.engine(api))
	assert.Equal(t, reads, e.srv.Count("GET", path), "no re-read once settled")
	assert.Empty(t, e.erp.Applied(), "never applied on an empty read")
}

// Fetch mode: marketplace order 2 merged into order 1 in Veeqo, order 1
// shipped with order 2's line and (its own removed) none of its own: order
// 2's ERP copy is flagged naming order 1 and the tracking, order 1's
// shipment is settled once as shipping none of its lines; reruns change
// nothing.
func TestFetchedMergedOrders(t *testing.T) {
	t.Parallel()
	e := fetchWorld(t)
	e.erp.Put(
		vsync.ERPOrder{Ref: "AMZ-1", Number: "111-1", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1, Allocated: 1}}},
		vsync.ERPOrder{Ref: "AMZ-2", Number: "111-2", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "CAP-1", Quantity: 1, Allocated: 1}}},
	)
	o1 := e.addMarketplaceOrder("111-1", e.amazon, map[string]int{"MUG-1": 1})
	o2 := e.addMarketplaceOrder("111-2", e.amazon, map[string]int{"CAP-1": 1})
	require.NoError(t, e.srv.MergeOrders(o2.ID, o1.ID, veeqotest.MergeEmptied))
	require.NoError(t, e.srv.RemoveLine(o1.ID, o1.LineItems[0].ID))
	_, err := e.srv.ShipAll(o1.ID, veeqotest.ShipInfo{TrackingNumber: "1Z-F", CarrierID: 5})
	require.NoError(t, err)
	e.clk.Advance(time.Minute)
	eng := e.engine()
	rep := e.run(eng)
	assert.Equal(t, 1, rep.ShipmentsIgnored)
	r1, r2 := e.record(vsync.ProcessFetch, "111-1"), e.record(vsync.ProcessFetch, "111-2")
	assert.Equal(t, store.RecordWarning, r1.Status)
	assert.Contains(t, r1.Message, "ships none of ERP order AMZ-1's lines")
	assert.Equal(t, store.RecordWarning, r2.Status)
	assert.Contains(t, r2.Message, fmt.Sprintf("merged into Veeqo order %d (number 111-1)", o1.ID))
	assert.Contains(t, r2.Message, "1Z-F")
	assert.Empty(t, e.erp.Applied())

	logs1, logs2, reads := e.logCount("111-1"), e.logCount("111-2"), e.srv.Count("GET", fmt.Sprintf("/orders/%d", o1.ID))
	for _, id := range []int64{o1.ID, o2.ID} {
		require.NoError(t, e.srv.TouchOrder(id))
	}
	e.clk.Advance(time.Minute)
	e.run(eng)
	e.clk.Advance(time.Hour)
	e.run(eng)
	assert.Equal(t, logs1, e.logCount("111-1"))
	assert.Equal(t, logs2, e.logCount("111-2"))
	assert.Equal(t, reads, e.srv.Count("GET", fmt.Sprintf("/orders/%d", o1.ID)), "the merge target is not read again")
	assert.Empty(t, e.erp.Applied())
}
