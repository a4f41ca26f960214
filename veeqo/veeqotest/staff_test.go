package veeqotest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// TestStatusRollUp walks an order through partial shipments and checks the
// roll-up at the least-progressed part, updated_at and shipped_at.
func TestStatusRollUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, veeqotest.WithAutoAllocate(false))
	o := f.create(t, "R-1", line(f.mug.ID, 3), line(f.cup.ID, 2))
	type step struct {
		name        string
		act         func() error
		status      veeqo.OrderStatus
		allocations int
		shipped     bool
	}
	var alloc veeqo.Allocation
	steps := []step{
		{"nothing allocated", func() error { return nil }, veeqo.StatusAwaitingStock, 0, false},
		{"part allocated", func() (err error) {
			alloc, err = f.srv.Allocate(o.ID, f.wh.ID, map[int64]int{f.mug.ID: 3})
			return err
		}, veeqo.StatusAwaitingStock, 1, false},
		{"part allocated and shipped, rest unallocated", func() error {
			_, err := f.srv.Ship(o.ID, alloc.ID, veeqotest.ShipInfo{TrackingNumber: "A1", CarrierID: 7})
			return err
		}, veeqo.StatusAwaitingStock, 1, false},
		{"rest allocated", func() error {
			_, err := f.srv.Allocate(o.ID, 0, nil)
			return err
		}, veeqo.StatusAwaitingFulfillment, 2, false},
		{"partial shipment splits the open allocation", func() error {
			_, err := f.srv.ShipPartial(o.ID, map[int64]int{f.cup.ID: 1}, veeqotest.ShipInfo{TrackingNumber: "A2"})
			return err
		}, veeqo.StatusAwaitingFulfillment, 3, false},
		{"ship all", func() error {
			sh, err := f.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "A3", CarrierName: "DHL"})
			if err == nil && len(sh) != 1 {
				return errors.New("want one new shipment")
			}
			return err
		}, veeqo.StatusShipped, 3, true},
	}
	prev := o.UpdatedAt
	for _, s := range steps {
		f.clock.Advance(time.Minute)
		require.NoError(t, s.act(), s.name)
		got, ok := f.srv.Order(o.ID)
		require.True(t, ok)
		require.Equal(t, s.status, got.Status, s.name)
		require.Len(t, got.Allocations, s.allocations, s.name)
		require.Equal(t, s.shipped, got.ShippedAt != nil, s.name)
		if s.name != "nothing allocated" {
			require.True(t, got.UpdatedAt.After(prev), "%s: updated_at moves", s.name)
		}
		prev = got.UpdatedAt
	}
	got, _ := f.srv.Order(o.ID)
	require.Equal(t, f.clock.Now(), *got.ShippedAt)
	// Every allocation has one shipment; quantities add up per sellable.
	qty := map[int64]int{}
	for _, a := range got.Allocations {
		require.NotNil(t, a.Shipment)
		for _, l := range a.LineItems {
			qty[l.Sellable.ID] += l.Quantity
		}
	}
	require.Equal(t, map[int64]int{f.mug.ID: 3, f.cup.ID: 2}, qty)
	require.Equal(t, "USPS", got.Allocations[0].Shipment.Carrier.Name)
	require.Equal(t, veeqo.Carrier{ID: 9, Name: "DHL"}, *got.Allocations[1].Shipment.Carrier, "the shrunk allocation shipped last")
	require.Equal(t, "A2", got.Allocations[2].Shipment.Tracking(), "the split-off parcel")
	require.Equal(t, veeqo.Carrier{ID: 3, Name: "Other"}, *got.Allocations[2].Shipment.Carrier)
	_, err := f.srv.ShipAll(o.ID, veeqotest.ShipInfo{})
	require.ErrorIs(t, err, veeqotest.ErrInvalid, "nothing left to ship")
}

func TestStaffHelperErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, veeqotest.WithAutoAllocate(false))
	o := f.create(t, "E-1", line(f.mug.ID, 2))
	f.srv.SetStock(f.cup.ID, f.wh.ID, 0)
	withCup := f.create(t, "E-2", line(f.cup.ID, 1))
	cancelled := f.create(t, "E-3")
	require.NoError(t, f.srv.CancelOrder(cancelled.ID, ""))

	tests := []struct {
		name string
		err  error
		want error
	}{
		{"unknown order", errOf(f.srv.Allocate(1, 0, nil)), veeqotest.ErrNotFound},
		{"unknown warehouse", errOf(f.srv.Allocate(o.ID, 999999, nil)), veeqotest.ErrNotFound},
		{"sellable not on order", errOf(f.srv.Allocate(o.ID, 0, map[int64]int{f.plate.ID: 1})), veeqotest.ErrInvalid},
		{"too much", errOf(f.srv.Allocate(o.ID, 0, map[int64]int{f.mug.ID: 3})), veeqotest.ErrInvalid},
		{"zero", errOf(f.srv.Allocate(o.ID, 0, map[int64]int{f.mug.ID: 0})), veeqotest.ErrInvalid},
		{"no stock", errOf(f.srv.Allocate(withCup.ID, 0, nil)), veeqotest.ErrNoStock},
		{"ship all without stock", errOf(f.srv.ShipAll(withCup.ID, veeqotest.ShipInfo{})), veeqotest.ErrNoStock},
		{"ship partial without stock", errOf(f.srv.ShipPartial(withCup.ID, map[int64]int{f.cup.ID: 1}, veeqotest.ShipInfo{})), veeqotest.ErrNoStock},
		{"ship partial too much", errOf(f.srv.ShipPartial(o.ID, map[int64]int{f.mug.ID: 3}, veeqotest.ShipInfo{})), veeqotest.ErrInvalid},
		{"ship partial nothing", errOf(f.srv.ShipPartial(o.ID, nil, veeqotest.ShipInfo{})), veeqotest.ErrInvalid},
		{"ship unknown allocation", errOf(f.srv.Ship(o.ID, 1, veeqotest.ShipInfo{})), veeqotest.ErrNotFound},
		{"allocate cancelled", errOf(f.srv.Allocate(cancelled.ID, 0, nil)), veeqotest.ErrInvalid},
		{"cancel unknown", f.srv.CancelOrder(1, ""), veeqotest.ErrNotFound},
		{"pin derived status", f.srv.SetOrderStatus(o.ID, veeqo.StatusShipped), veeqotest.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, tc.err, tc.want)
		})
	}
	got, _ := f.srv.Order(o.ID)
	require.Empty(t, got.Allocations, "failed helpers changed nothing")

	a, err := f.srv.Allocate(o.ID, 0, nil)
	require.NoError(t, err)
	_, err = f.srv.Ship(o.ID, a.ID, veeqotest.ShipInfo{})
	require.NoError(t, err)
	_, err = f.srv.Ship(o.ID, a.ID, veeqotest.ShipInfo{})
	require.ErrorIs(t, err, veeqotest.ErrInvalid, "second shipment of one allocation")
	require.ErrorIs(t, f.srv.CancelOrder(o.ID, ""), veeqotest.ErrInvalid, "shipped order")
}

func errOf[T any](_ T, err error) error { return err }

func TestClearAllocations(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.create(t, "Z-1", line(f.mug.ID, 2))
	_, err := f.srv.ShipPartial(o.ID, map[int64]int{f.mug.ID: 1}, veeqotest.ShipInfo{TrackingNumber: "P1"})
	require.NoError(t, err)
	before, _ := f.srv.Order(o.ID)
	require.Len(t, before.Allocations, 2)

	f.clock.Advance(time.Minute)
	f.srv.ClearAllocations(o.ID)
	r := call(t, f.srv, "GET", path("/orders/%d", o.ID), nil)
	var empty veeqo.Order
	r.decode(t, &empty)
	require.NotNil(t, empty.Allocations)
	require.Empty(t, empty.Allocations, "the momentary zero-allocation read")
	require.Equal(t, before.Status, empty.Status)
	require.True(t, empty.UpdatedAt.After(before.UpdatedAt), "visible to updated_at_min polling")

	// The next staff action brings them back, shipped one included.
	_, err = f.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "P2"})
	require.NoError(t, err)
	after, _ := f.srv.Order(o.ID)
	require.Len(t, after.Allocations, 2)
	tracking := []string{after.Allocations[0].Shipment.Tracking(), after.Allocations[1].Shipment.Tracking()}
	require.ElementsMatch(t, []string{"P1", "P2"}, tracking)
	require.Equal(t, veeqo.StatusShipped, after.Status)

	f.srv.ClearAllocations(o.ID)
	f.srv.RestoreAllocations(o.ID)
	again, _ := f.srv.Order(o.ID)
	require.Len(t, again.Allocations, 2)

	f.srv.ClearAllocations(o.ID)
	r = call(t, f.srv, "POST", path("/orders/%d/notes", o.ID), map[string]any{"note": map[string]any{"text": "x"}})
	require.Equal(t, 201, r.status)
	again, _ = f.srv.Order(o.ID)
	require.Len(t, again.Allocations, 2, "an API write brings them back")
}

func TestSeedMarketplaceOrders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fba := f.srv.AddChannel(veeqo.Channel{Name: "Amazon FBA", TypeCode: veeqo.ChannelAmazonFBA})
	created := f.clock.Now().Add(-48 * time.Hour)

	// An FBA order shipped by Amazon: placeholder shipment, no tracking.
	shipped := f.srv.AddOrder(veeqo.Order{
		ID: 5_000_000_001, Number: "111-2223334-5556667", SalesRecordNumber: "111-2223334-5556667",
		Channel: &fba, CreatedAt: created, FulfilledByAmazon: true,
		LineItems: []veeqo.LineItem{{Sellable: &veeqo.Sellable{SKUCode: "FBA-ONLY"}, Quantity: 2, RemoteID: "12345678901234"}},
		Allocations: []veeqo.Allocation{{
			LineItems: []veeqo.AllocationLineItem{{Sellable: &veeqo.Sellable{SKUCode: "FBA-ONLY"}, Quantity: 2}},
			Shipment:  &veeqo.Shipment{Carrier: &veeqo.Carrier{Name: "Amazon"}},
		}},
	})
	require.Equal(t, int64(5_000_000_001), shipped.ID, "a free seeded id is kept")
	require.Equal(t, veeqo.StatusShipped, shipped.Status)
	require.NotNil(t, shipped.ShippedAt)
	require.Nil(t, shipped.Customer)
	require.Nil(t, shipped.Allocations[0].Shipment.TrackingNumber)
	require.Equal(t, "Amazon", shipped.Allocations[0].Shipment.Carrier.Name)
	require.NotZero(t, shipped.Allocations[0].Shipment.Carrier.ID)
	require.Equal(t, "12345678901234", shipped.LineItems[0].RemoteID)
	require.Equal(t, shipped.LineItems[0].Sellable.ID, shipped.Allocations[0].LineItems[0].Sellable.ID, "unknown SKU added once")
	require.Equal(t, created, shipped.CreatedAt)

	// A pending FBA order keeps awaiting_payment and is not allocated.
	pending := f.srv.AddOrder(veeqo.Order{Number: "111-0000000-0000001", Channel: &fba, Status: veeqo.StatusAwaitingPayment,
		LineItems: []veeqo.LineItem{{Sellable: &f.mug, Quantity: 1}}})
	require.Equal(t, veeqo.StatusAwaitingPayment, pending.Status)
	require.Empty(t, pending.Allocations)
	// Shipping it clears the pinned status.
	_, err := f.srv.ShipAll(pending.ID, veeqotest.ShipInfo{})
	require.NoError(t, err)
	got, _ := f.srv.Order(pending.ID)
	require.Equal(t, veeqo.StatusShipped, got.Status)

	// An MFN order is auto-allocated to the channel's warehouse.
	mfn := f.srv.AddOrder(veeqo.Order{Number: "111-0000000-0000002", Channel: &f.amazon,
		LineItems: []veeqo.LineItem{{Sellable: &veeqo.Sellable{ID: f.cup.ID}, Quantity: 1}}})
	require.Equal(t, veeqo.StatusAwaitingFulfillment, mfn.Status)
	require.Equal(t, f.wh.ID, mfn.Allocations[0].Warehouse.ID)

	require.Len(t, f.srv.Orders(), 3)
	require.Len(t, f.srv.OrdersByNumber("111-2223334-5556667"), 1)
	require.Empty(t, f.srv.OrdersByNumber("111"))
	_, ok := f.srv.Order(1)
	require.False(t, ok)

	require.NoError(t, f.srv.SetOrderStatus(mfn.ID, veeqo.StatusOnHold))
	got, _ = f.srv.Order(mfn.ID)
	require.Equal(t, veeqo.StatusOnHold, got.Status)
	require.NoError(t, f.srv.SetOrderStatus(mfn.ID, ""))
	got, _ = f.srv.Order(mfn.ID)
	require.Equal(t, veeqo.StatusAwaitingFulfillment, got.Status)
}

func TestSeedReturnsIsolatedCopies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.create(t, "I-1")
	o.LineItems[0].Sellable.SKUCode = "MUTATED"
	o.Channel.Name = "MUTATED"
	o.DeliverTo.City = "MUTATED"
	again, _ := f.srv.Order(o.ID)
	require.Equal(t, "MUG-1", again.LineItems[0].Sellable.SKUCode)
	require.Equal(t, "Web shop", again.Channel.Name)
	require.NotEqual(t, "MUTATED", again.DeliverTo.City)
}
