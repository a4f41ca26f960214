package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
