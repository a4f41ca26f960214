package veeqotest

import (
	"fmt"
	"slices"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// Orders change after they are created: the warehouse voids labels, cancels
// orders and merges orders for the same customer. These helpers do what
// Veeqo's UI does; each moves the order's updated_at, as Veeqo would.

// DeleteShipment deletes a shipment as DELETE /shipments/{id} does (the UI's
// "Delete Shipment": the label is refunded or voided): it is gone from its
// allocation, which is unshipped again and keeps its id, and the stock goes
// back.
func (s *Server) DeleteShipment(shipmentID int64) error {
	now := s.now()
	var err error
	s.withState(func(st *state) {
		var rec *orderRec
		var a *allocRec
		if rec, a, err = st.shipped(shipmentID); err != nil {
			return
		}
		rec.hidden = false
		st.unship(rec, a, now)
		st.touch(rec, now)
	})
	return err
}

// shipped finds a shipment's order and allocation.
func (st *state) shipped(shipmentID int64) (*orderRec, *allocRec, error) {
	ref, ok := st.shipments[shipmentID]
	if !ok {
		return nil, nil, fmt.Errorf("shipment %d: %w", shipmentID, ErrNotFound)
	}
	rec := st.orders[ref[0]]
	a := rec.alloc(ref[1])
	if a == nil || a.shipment == nil {
		return nil, nil, fmt.Errorf("shipment %d: %w", shipmentID, ErrNotFound)
	}
	return rec, a, nil
}

// CancelTracking marks a shipment's tracking number cancelled (its label
// voided) while the shipment stays on its allocation: the other way Veeqo
// may show a void. A shipment without a tracking number gets a cancelled
// one with an empty number.
func (s *Server) CancelTracking(shipmentID int64) error {
	now := s.now()
	var err error
	s.withState(func(st *state) {
		var rec *orderRec
		var a *allocRec
		if rec, a, err = st.shipped(shipmentID); err != nil {
			return
		}
		tn := veeqo.TrackingNumber{ID: st.id("tracking")}
		if a.shipment.TrackingNumber != nil {
			tn = *a.shipment.TrackingNumber
		}
		t := now
		tn.Cancelled, tn.CancelledAt, tn.Status = true, &t, "cancelled"
		a.shipment.TrackingNumber = &tn
		a.shipment.UpdatedAt = now
		a.updated = now
		rec.hidden = false
		st.touch(rec, now)
	})
	return err
}

// MergeAway says how a merged-away order reads after MergeOrders.
type MergeAway int

// How a merged-away order reads; Veeqo does not document it, so engines
// must handle each.
const (
	// MergeCancelled: the merged-away order is cancelled ("Merged into
	// <number>") and keeps its lines, unallocated.
	MergeCancelled MergeAway = iota + 1
	// MergeEmptied: the merged-away order stays open with no lines and no
	// allocations.
	MergeEmptied
)

// MergeOrders merges order from into order into, as Veeqo's "merge orders"
// does for one customer and address: from's unshipped lines are added to
// into (allocated as stock allows), both are marked merged_order, from gets
// merged_to_id and reads as away says. A shipped line cannot be merged.
func (s *Server) MergeOrders(from, into int64, away MergeAway) error {
	if away != MergeCancelled && away != MergeEmptied {
		return fmt.Errorf("MergeOrders: unknown MergeAway %d: %w", away, ErrInvalid)
	}
	now := s.now()
	var err error
	s.withState(func(st *state) {
		src, e1 := st.liveOrder(from)
		dst, e2 := st.liveOrder(into)
		switch {
		case e1 != nil:
			err = e1
			return
		case e2 != nil:
			err = e2
			return
		case from == into:
			err = fmt.Errorf("order %d cannot be merged into itself: %w", from, ErrInvalid)
			return
		}
		for _, a := range src.allocs {
			if a.shipment != nil {
				err = fmt.Errorf("order %d has a shipment and cannot be merged: %w", from, ErrInvalid)
				return
			}
		}
		for _, a := range slices.Clone(src.allocs) {
			st.releaseAlloc(src, a)
		}
		for _, l := range src.lines {
			dst.lines = append(dst.lines, st.newLine(l.sellableID, l.li.Quantity, l.li.PricePerUnit, now))
		}
		dst.recomputeTotals()
		if s.cfg.autoAllocate {
			st.autoAllocate(dst, now)
		}
		src.o.MergedToID = into
		src.o.MergedOrder = true
		dst.o.MergedOrder = true
		switch away {
		case MergeCancelled:
			src.override = veeqo.StatusCancelled
			t := now
			src.o.CancelledAt = &t
			src.o.CancelReason = "Merged into " + dst.o.Number
		case MergeEmptied:
			src.lines = nil
			src.recomputeTotals()
		}
		st.touch(src, now)
		st.touch(dst, now)
	})
	return err
}

// RemoveLine removes a line item from an order (releasing its unshipped
// allocations), as editing the order in Veeqo does. A line that has shipped
// cannot be removed.
func (s *Server) RemoveLine(orderID, lineItemID int64) error {
	now := s.now()
	var err error
	s.withState(func(st *state) {
		rec, e := st.liveOrder(orderID)
		if e != nil {
			err = e
			return
		}
		i := slices.IndexFunc(rec.lines, func(l *lineRec) bool { return l.li.ID == lineItemID })
		if i < 0 {
			err = fmt.Errorf("line item %d of order %d: %w", lineItemID, orderID, ErrNotFound)
			return
		}
		sid := rec.lines[i].sellableID
		for _, a := range slices.Clone(rec.allocs) {
			if !slices.ContainsFunc(a.lines, func(l allocLine) bool { return l.sellableID == sid }) {
				continue
			}
			if a.shipment != nil {
				err = fmt.Errorf("line item %d of order %d has shipped and cannot be removed: %w", lineItemID, orderID, ErrInvalid)
				return
			}
			st.releaseAlloc(rec, a)
		}
		rec.lines = slices.Delete(rec.lines, i, i+1)
		rec.recomputeTotals()
		if s.cfg.autoAllocate {
			st.autoAllocate(rec, now)
		}
		st.touch(rec, now)
	})
	return err
}
