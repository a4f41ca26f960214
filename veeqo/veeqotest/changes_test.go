package veeqotest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

func TestDeleteShipmentAndCancelTracking(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.create(t, "CH-1", line(f.mug.ID, 2))
	sh, err := f.srv.ShipPartial(o.ID, map[int64]int{f.mug.ID: 1}, veeqotest.ShipInfo{TrackingNumber: "1Z-A", CarrierID: 5})
	require.NoError(t, err)
	sh2, err := f.srv.ShipPartial(o.ID, map[int64]int{f.mug.ID: 1}, veeqotest.ShipInfo{TrackingNumber: "1Z-B", CarrierID: 5})
	require.NoError(t, err)

	f.clock.Advance(time.Second)
	require.NoError(t, f.srv.CancelTracking(sh.ID))
	got, _ := f.srv.Order(o.ID)
	require.True(t, got.UpdatedAt.After(o.UpdatedAt), "updated_at moves")
	var voided, live int
	for _, a := range got.Allocations {
		switch {
		case a.Shipment == nil:
		case a.Shipment.Voided():
			voided++
			require.Equal(t, "1Z-A", a.Shipment.Tracking(), "the number stays, marked cancelled")
		default:
			live++
		}
	}
	require.Equal(t, 1, voided)
	require.Equal(t, 1, live)

	require.NoError(t, f.srv.DeleteShipment(sh2.ID))
	got, _ = f.srv.Order(o.ID)
	for _, a := range got.Allocations {
		require.False(t, a.Shipment != nil && a.Shipment.ID == sh2.ID, "a deleted shipment is gone from its allocation")
	}
	require.ErrorIs(t, f.srv.DeleteShipment(sh2.ID), veeqotest.ErrNotFound)
	require.ErrorIs(t, f.srv.CancelTracking(999), veeqotest.ErrNotFound)
}

func TestMergeOrders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		away   veeqotest.MergeAway
		status veeqo.OrderStatus
		lines  int
	}{
		{"cancelled", veeqotest.MergeCancelled, veeqo.StatusCancelled, 1},
		{"emptied", veeqotest.MergeEmptied, veeqo.StatusAwaitingFulfillment, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			a := f.create(t, "MA-1", line(f.mug.ID, 1))
			b := f.create(t, "MB-1", line(f.cup.ID, 2))
			require.NoError(t, f.srv.MergeOrders(b.ID, a.ID, tc.away))
			gotA, _ := f.srv.Order(a.ID)
			gotB, _ := f.srv.Order(b.ID)
			require.True(t, gotA.MergedOrder)
			require.True(t, gotB.MergedOrder)
			require.Equal(t, a.ID, gotB.MergedToID)
			require.Len(t, gotA.LineItems, 2, "B's line moved onto A")
			require.Len(t, gotB.LineItems, tc.lines)
			require.Empty(t, gotB.Allocations)
			if tc.away == veeqotest.MergeCancelled {
				require.Equal(t, veeqo.StatusCancelled, gotB.Status)
				require.Equal(t, "Merged into MA-1", gotB.CancelReason)
			} else {
				require.NotEqual(t, veeqo.StatusCancelled, gotB.Status)
			}
			// A ships B's line too.
			shipped, err := f.srv.ShipAll(a.ID, veeqotest.ShipInfo{TrackingNumber: "1Z-M", CarrierID: 5})
			require.NoError(t, err)
			require.NotEmpty(t, shipped)
			require.ErrorIs(t, f.srv.MergeOrders(a.ID, a.ID, tc.away), veeqotest.ErrInvalid)
		})
	}
	f := newFixture(t)
	a := f.create(t, "MA-2")
	require.ErrorIs(t, f.srv.MergeOrders(a.ID, a.ID+1000, veeqotest.MergeCancelled), veeqotest.ErrNotFound)
	require.ErrorIs(t, f.srv.MergeOrders(a.ID, a.ID, 0), veeqotest.ErrInvalid)
}

func TestRemoveLine(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.create(t, "RL-1", line(f.mug.ID, 1), line(f.cup.ID, 1))
	require.NoError(t, f.srv.RemoveLine(o.ID, o.LineItems[1].ID))
	got, _ := f.srv.Order(o.ID)
	require.Len(t, got.LineItems, 1)
	require.Equal(t, f.mug.ID, got.LineItems[0].Sellable.ID)
	for _, a := range got.Allocations {
		for _, l := range a.LineItems {
			require.NotEqual(t, f.cup.ID, l.Sellable.ID, "the removed line's allocation is released")
		}
	}
	_, err := f.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z", CarrierID: 5})
	require.NoError(t, err)
	require.ErrorIs(t, f.srv.RemoveLine(o.ID, o.LineItems[0].ID), veeqotest.ErrInvalid, "a shipped line stays")
	require.ErrorIs(t, f.srv.RemoveLine(o.ID, 1), veeqotest.ErrNotFound)
}
