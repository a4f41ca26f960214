package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"fmt"
	"iter"
	"sync/atomic"

	"strings"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

func TestComputeUpdateTable(t *testing.T) {
	t.Parallel()
	ord := func(lines ...vsync.ERPLine) vsync.ERPOrder { return vsync.ERPOrder{Ref: "SO-1", Lines: lines} }
	line := func(ref string, qty, shipped int, closed bool) vsync.ERPLine {
		return vsync.ERPLine{Ref: ref, Quantity: qty, Shipped: shipped, Allocated: qty - shipped, Closed: closed}
	}
	conf := func(q map[string]int) vsync.Confirmation {
		return vsync.Confirmation{ShipmentID: 77, Quantities: q, TrackingNumbers: []string{"1Z"}}
	}
	tests := []struct {
		name       string
		order      vsync.ERPOrder
		c          vsync.Confirmation
		disable    bool
		finalised  bool
		dec        vsync.Decision
		lines      []vsync.LineUpdate
		status     string
		final      bool
		warnSubstr string
	}{
		{name: "allowed partial", order: ord(line("1", 2, 0, false), line("2", 1, 0, false)), c: conf(map[string]int{"1": 1}),
			dec: vsync.DecisionApply, lines: []vsync.LineUpdate{{LineRef: "1", ShipQuantity: 1, ShippedTotal: 1}}, status: vsync.OrderPartiallyShipped},
		{name: "allowed completes", order: ord(line("1", 2, 1, false), line("2", 1, 0, false)), c: conf(map[string]int{"1": 1, "2": 1}),
			dec: vsync.DecisionApply, lines: []vsync.LineUpdate{{LineRef: "1", ShipQuantity: 1, ShippedTotal: 2, Close: true}, {LineRef: "2", ShipQuantity: 1, ShippedTotal: 1, Close: true}},
			status: vsync.OrderShipped, final: true},
		{name: "allowed over-shipment capped", order: ord(line("1", 2, 1, false)), c: conf(map[string]int{"1": 3}),
			dec: vsync.DecisionApply, lines: []vsync.LineUpdate{{LineRef: "1", ShipQuantity: 1, ShippedTotal: 2, Close: true}},
			status: vsync.OrderShipped, final: true, warnSubstr: "ships 3 but only 1 remained of 2 ordered; applied 1 (over-shipment)"},
		{name: "disabled first is final", order: ord(line("1", 2, 0, false), line("2", 1, 0, false)), c: conf(map[string]int{"1": 1}), disable: true,
			dec: vsync.DecisionApply, lines: []vsync.LineUpdate{{LineRef: "1", ShipQuantity: 1, ShippedTotal: 1, Close: true, Unallocate: 1}, {LineRef: "2", ShipQuantity: 0, ShippedTotal: 0, Close: true, Unallocate: 1}},
			status: vsync.OrderClosed, final: true},
		{name: "disabled full first", order: ord(line("1", 2, 0, false)), c: conf(map[string]int{"1": 2}), disable: true,
			dec: vsync.DecisionApply, lines: []vsync.LineUpdate{{LineRef: "1", ShipQuantity: 2, ShippedTotal: 2, Close: true}}, status: vsync.OrderShipped, final: true},
		{name: "disabled late second ignored", order: ord(line("1", 2, 1, true)), c: conf(map[string]int{"1": 1}), disable: true, finalised: true,
			dec: vsync.DecisionIgnore, warnSubstr: "shipment 77 ignored: order SO-1 was finalised by its first shipment"},
		{name: "empty read allowed", order: ord(line("1", 2, 0, false)), c: conf(map[string]int{}), dec: vsync.DecisionEmpty, warnSubstr: "ships no quantity"},
		{name: "empty read disabled never closes", order: ord(line("1", 2, 0, false)), c: conf(map[string]int{"1": 0}), disable: true, dec: vsync.DecisionEmpty},
		{name: "unknown line warned", order: ord(line("1", 2, 0, false)), c: conf(map[string]int{"1": 1, "9": 4}),
			dec: vsync.DecisionApply, lines: []vsync.LineUpdate{{LineRef: "1", ShipQuantity: 1, ShippedTotal: 1}}, status: vsync.OrderPartiallyShipped,
			warnSubstr: "line 9 of shipment 77 is not a line of order SO-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u, dec := vsync.ComputeUpdate(tc.order, tc.c, tc.disable, tc.finalised)
			assert.Equal(t, tc.dec, dec)
			if dec == vsync.DecisionApply {
				if d := cmp.Diff(tc.lines, u.Lines); d != "" {
					t.Errorf("lines (-want +got):\n%s", d)
				}
				assert.Equal(t, tc.status, u.Status)
				assert.Equal(t, tc.final, u.Final)
				assert.Equal(t, []string{"1Z"}, u.TrackingNumbers)
			} else {
				assert.Empty(t, u.Lines, "nothing changes on %s", dec)
			}
			if tc.warnSubstr != "" {
				assert.Contains(t, joinAll(u.Warnings), tc.warnSubstr)
			}
		})
	}
}

func joinAll(ss []string) string {
	out := ""
	for _, s := range ss {
		out += s + "\n"
	}
	return out
}

// exportOne exports SO-1 (MUG-1 x2, TEE-1 x1) and returns its Veeqo order.
func (e *env) exportSO1(t *testing.T, eng *vsync.Engine) veeqo.Order {
	e.erp.Put(order("SO-1", "MUG-1:2", "TEE-1:1"))
	e.run(eng)
	return e.veeqoOrder("SO-1")
}

func TestConfirmationsMultishipmentAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eng := e.engine()
	o := e.exportSO1(t, eng)

	e.clk.Advance(time.Minute)
	_, err := e.srv.ShipPartial(o.ID, map[int64]int{e.sku["MUG-1"]: 1}, veeqotest.ShipInfo{TrackingNumber: "1Z-A", CarrierID: 5, ServiceName: "Standard"})
	require.NoError(t, err)
	vo, _ := e.srv.Order(o.ID)
	assert.NotEqual(t, veeqo.StatusShipped, vo.Status, "a partial shipment hides under the roll-up status")

	rep := e.run(eng)
	assert.Equal(t, 1, rep.ConfirmationsApplied)
	got := e.erpOrder("SO-1")
	assert.Equal(t, map[string]int{"1": 1, "2": 0}, shippedOf(got))
	assert.Equal(t, vsync.OrderPartiallyShipped, got.Status)
	assert.False(t, got.Lines[0].Closed)
	applied := e.erp.Applied()
	require.Len(t, applied, 1)
	assert.Equal(t, "UPS Inc", applied[0].Carrier, "carrier mapped back")
	assert.Equal(t, "Ground", applied[0].ShipService, "service mapped back")
	assert.Equal(t, []string{"1Z-A"}, applied[0].TrackingNumbers)

	// Nothing new: a rerun applies nothing.
	e.clk.Advance(time.Minute)
	assert.Equal(t, 0, e.run(eng).ConfirmationsApplied)

	e.clk.Advance(time.Minute)
	_, err = e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z-B", CarrierID: 5, ServiceName: "Standard"})
	require.NoError(t, err)
	rep = e.run(eng)
	assert.Equal(t, 1, rep.ConfirmationsApplied)
	got = e.erpOrder("SO-1")
	assert.Equal(t, map[string]int{"1": 2, "2": 1}, shippedOf(got))
	assert.Equal(t, vsync.OrderShipped, got.Status)
	assert.True(t, got.Lines[0].Closed && got.Lines[1].Closed)
	ex, err := e.st.GetExport(context.Background(), testAccount, "SO-1")
	require.NoError(t, err)
	assert.True(t, ex.Completed)
	assert.Equal(t, store.RecordSuccess, e.record(vsync.ProcessConfirmation, "SO-1").Status)
}

func TestConfirmationsMultishipmentDisabled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settings.DisableMultishipment = true
	eng := e.engine()
	o := e.exportSO1(t, eng)

	e.clk.Advance(time.Minute)
	_, err := e.srv.ShipPartial(o.ID, map[int64]int{e.sku["MUG-1"]: 1}, veeqotest.ShipInfo{TrackingNumber: "1Z-A", CarrierID: 5})
	require.NoError(t, err)
	e.run(eng)
	got := e.erpOrder("SO-1")
	assert.Equal(t, vsync.OrderClosed, got.Status)
	assert.Equal(t, map[string]int{"1": 1, "2": 0}, shippedOf(got))
	for _, l := range got.Lines {
		assert.True(t, l.Closed, "line %s closed", l.Ref)
		assert.Zero(t, l.Allocated, "line %s remainder unallocated", l.Ref)
	}
	u := e.erp.Applied()[0]
	assert.Equal(t, []vsync.LineUpdate{{LineRef: "1", ShipQuantity: 1, ShippedTotal: 1, Close: true, Unallocate: 1}, {LineRef: "2", Close: true, Unallocate: 1}}, u.Lines)

	// The late second shipment changes nothing and is a warning naming it.
	e.clk.Advance(time.Minute)
	shs, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z-B", CarrierID: 5})
	require.NoError(t, err)
	rep := e.run(eng)
	assert.Equal(t, 0, rep.ConfirmationsApplied)
	assert.Equal(t, 1, rep.ShipmentsIgnored)
	assert.Equal(t, got, e.erpOrder("SO-1"))
	rec := e.record(vsync.ProcessConfirmation, "SO-1")
	assert.Equal(t, store.RecordWarning, rec.Status)
	assert.Contains(t, rec.Message, "shipment "+itoa(shs[0].ID)+" ignored")
	row, err := e.st.GetShipment(context.Background(), testAccount, shs[0].ID)
	require.NoError(t, err)
	assert.Equal(t, store.ShipmentIgnored, row.State)
}

func TestConfirmationsEmptyReadNeverCloses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settings.DisableMultishipment = true
	eng := e.engine()
	o := e.exportSO1(t, eng)
	e.clk.Advance(time.Minute)
	_, err := e.srv.ShipPartial(o.ID, map[int64]int{e.sku["MUG-1"]: 2}, veeqotest.ShipInfo{TrackingNumber: "1Z-A", CarrierID: 5})
	require.NoError(t, err)
	e.srv.ClearAllocations(o.ID)
	rep := e.run(eng)
	assert.Equal(t, 0, rep.ConfirmationsApplied)
	got := e.erpOrder("SO-1")
	for _, l := range got.Lines {
		assert.False(t, l.Closed)
		assert.Equal(t, l.Quantity, l.Allocated)
	}
	e.clk.Advance(time.Minute)
	e.srv.RestoreAllocations(o.ID)
	rep = e.run(eng)
	assert.Equal(t, 1, rep.ConfirmationsApplied)
	assert.Equal(t, map[string]int{"1": 2, "2": 0}, shippedOf(e.erpOrder("SO-1")))
}

func TestConfirmationsUnmappedCarrierAndCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eng := e.engine()
	e.erp.Put(order("SO-1", "MUG-1:1"), order("SO-2", "TEE-1:1"))
	e.run(eng)
	o1, o2 := e.veeqoOrder("SO-1"), e.veeqoOrder("SO-2")
	e.clk.Advance(time.Minute)
	_, err := e.srv.ShipAll(o1.ID, veeqotest.ShipInfo{TrackingNumber: "JD0001", CarrierID: 9, ServiceName: "Parcel Connect"})
	require.NoError(t, err)
	require.NoError(t, e.srv.CancelOrder(o2.ID, "customer changed mind"))
	rep := e.run(eng)
	assert.Equal(t, 1, rep.ConfirmationsApplied)
	u := e.erp.Applied()[0]
	assert.Equal(t, "DHL", u.Carrier, "unmapped carrier passed through")
	rec := e.record(vsync.ProcessConfirmation, "SO-1")
	assert.Equal(t, store.RecordWarning, rec.Status)
	assert.Contains(t, rec.Message, `Veeqo carrier "DHL" is not in carrier_mapping; passed through as is`)
	assert.Contains(t, rec.Message, `Veeqo service "Parcel Connect" is not in ship_service_mapping`)
	rec2 := e.record(vsync.ProcessConfirmation, "SO-2")
	assert.Equal(t, store.RecordWarning, rec2.Status)
	assert.Contains(t, rec2.Message, "cancelled in Veeqo (customer changed mind)")
	// Said once.
	e.clk.Advance(time.Minute)
	rep = e.run(eng)
	assert.Equal(t, 0, rep.Warnings)
}

func TestConfirmationsOverShipmentFromERPSide(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eng := e.engine()
	o := e.exportSO1(t, eng)
	// The ERP shipped one mug by hand meanwhile; Veeqo then ships both.
	cur := e.erpOrder("SO-1")
	cur.Lines[0].Shipped = 1
	e.erp.Put(cur)
	e.clk.Advance(time.Minute)
	_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z", CarrierID: 5})
	require.NoError(t, err)
	e.run(eng)
	got := e.erpOrder("SO-1")
	assert.Equal(t, map[string]int{"1": 2, "2": 1}, shippedOf(got))
	rec := e.record(vsync.ProcessConfirmation, "SO-1")
	assert.Equal(t, store.RecordWarning, rec.Status)
	assert.Contains(t, rec.Message, "over-shipment")
}

func TestConfirmationsApplyFailureRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eng := e.engine()
	o := e.exportSO1(t, eng)
	e.clk.Advance(time.Minute)
	_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z", CarrierID: 5})
	require.NoError(t, err)
	flaky := &flakyERP{ERP: e.erp, fail: 1}
	rep := e.run(e.engine(withERP(flaky)))
	assert.Equal(t, 1, rep.Failed)
	rec := e.record(vsync.ProcessConfirmation, "SO-1")
	assert.Equal(t, store.RecordError, rec.Status)
	assert.Contains(t, rec.Message, "stays pending")
	assert.Empty(t, e.erp.Applied())

	e.clk.Advance(time.Hour) // far past the cursor: the pending row is re-applied from the store
	rep = e.run(e.engine(withERP(flaky)))
	assert.Equal(t, 1, rep.ConfirmationsApplied)
	assert.Len(t, e.erp.Applied(), 1)
	assert.Equal(t, store.RecordSuccess, e.record(vsync.ProcessConfirmation, "SO-1").Status)
}

type flakyERP struct {
	vsync.ERP
	fail int
}

func (f *flakyERP) ApplyShipment(ctx context.Context, u vsync.ShipmentUpdate) error {
	if f.fail > 0 {
		f.fail--
		return errTemporary
	}
	return f.ERP.ApplyShipment(ctx, u)
}

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

// failCompleteOnce fails the first CompleteExport: the order exists in
// Veeqo but its link did not land, so the claim stays in doubt.
type failCompleteOnce struct {
	store.Store
	failed atomic.Bool
}

func (s *failCompleteOnce) CompleteExport(ctx context.Context, e store.Export, r store.RecordUpdate, logs ...store.LogEntry) (store.Export, []store.LogEntry, error) {
	if s.failed.CompareAndSwap(false, true) {
		return store.Export{}, nil, errTemporary
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

// The applied-shipment log line names the carrier and the service, so a
// carrier named after a service ("UPS Ground") does not read "UPS Ground
// Ground".
func TestShipmentLogNamesCarrierAndService(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settings.CarrierMapping = vsync.Names(vsync.NameMapping{ERPName: "UPS Ground", VeeqoName: "UPS"})
	e.erp.Put(order("SO-1", "MUG-1:1"))
	eng := e.engine()
	e.run(eng)
	_, err := e.srv.ShipAll(e.veeqoOrder("SO-1").ID, veeqotest.ShipInfo{TrackingNumber: "1Z1", CarrierName: "UPS", ServiceName: "Standard"})
	require.NoError(t, err)
	e.clk.Advance(time.Minute)
	rep := e.run(eng)
	require.Equal(t, 1, rep.ConfirmationsApplied)
	logs, err := eng.Logs(context.Background(), store.LogQuery{Reference: "SO-1", Process: vsync.ProcessConfirmation})
	require.NoError(t, err)
	var msgs []string
	for _, l := range logs.Entries {
		msgs = append(msgs, l.Message)
	}
	joined := strings.Join(msgs, "\n")
	require.Contains(t, joined, "tracking 1Z1, carrier UPS Ground, service Ground")
	require.NotContains(t, joined, "UPS Ground Ground")
}
