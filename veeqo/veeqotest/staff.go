package veeqotest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// ShipInfo describes a shipment made by the warehouse staff helpers.
type ShipInfo struct {
	// TrackingNumber may be empty: the shipment then has a null
	// tracking_number, like a marketplace-shipped (FBA, Seller Central)
	// parcel.
	TrackingNumber string
	// CarrierID is a Veeqo carrier id (reference §4.4; 3 is "Other").
	// When zero, CarrierName is looked up in that table, and an unknown
	// name gets a stable made-up id; with neither, the carrier is "Other".
	CarrierID int64
	// CarrierName overrides the table's name for CarrierID.
	CarrierName string
	// ServiceName is the shipment's service_name.
	ServiceName       string
	TrackingURL       string
	NotifyCustomer    bool
	UpdateRemoteOrder bool
}

// The helpers below act as Veeqo's warehouse staff. Every one that changes
// an order moves its updated_at to the clock's now, and first brings back
// allocations hidden by ClearAllocations.

// Allocate allocates quantities (sellable id -> quantity) of an order to a
// warehouse: one new allocation, i.e. one parcel. warehouseID 0 means the
// channel's default warehouse; empty lines mean everything still
// unallocated. Each quantity must be positive and within the sellable's
// unallocated remainder, and finite stock must cover it (ErrNoStock).
func (s *Server) Allocate(orderID, warehouseID int64, lines map[int64]int) (veeqo.Allocation, error) {
	now := s.now()
	var out veeqo.Allocation
	var err error
	s.withState(func(st *state) {
		var rec *orderRec
		if rec, err = st.liveOrder(orderID); err != nil {
			return
		}
		var a *allocRec
		if a, err = st.allocateLines(rec, warehouseID, lines); err != nil {
			return
		}
		a.created, a.updated = now, now
		rec.clearSoftOverride()
		st.touch(rec, now)
		out = st.renderAlloc(rec, a, nil)
	})
	return out, err
}

// Ship ships one allocation. It fails if the allocation is already shipped.
func (s *Server) Ship(orderID, allocationID int64, info ShipInfo) (veeqo.Shipment, error) {
	now := s.now()
	var out veeqo.Shipment
	var err error
	s.withState(func(st *state) {
		var rec *orderRec
		if rec, err = st.liveOrder(orderID); err != nil {
			return
		}
		a := rec.alloc(allocationID)
		if a == nil {
			err = fmt.Errorf("allocation %d of order %d: %w", allocationID, orderID, ErrNotFound)
			return
		}
		if a.shipment != nil {
			err = fmt.Errorf("allocation %d of order %d is already shipped (shipment %d): %w", allocationID, orderID, a.shipment.ID, ErrInvalid)
			return
		}
		out = *st.ship(rec, a, info, now)
		rec.clearSoftOverride()
		st.touch(rec, now)
	})
	return out, err
}

// ShipAll allocates whatever is still unallocated (to the default
// warehouse; finite stock must cover it) and ships every unshipped
// allocation, one shipment each, all with info. It returns the new
// shipments in allocation order, or an error if nothing was left to ship.
func (s *Server) ShipAll(orderID int64, info ShipInfo) ([]veeqo.Shipment, error) {
	now := s.now()
	var out []veeqo.Shipment
	var err error
	s.withState(func(st *state) {
		var rec *orderRec
		if rec, err = st.liveOrder(orderID); err != nil {
			return
		}
		if len(rec.unallocatedLines()) > 0 {
			var a *allocRec
			if a, err = st.allocateLines(rec, 0, nil); err != nil {
				return
			}
			a.created, a.updated = now, now
		}
		for _, a := range rec.allocs {
			if a.shipment == nil {
				out = append(out, *st.ship(rec, a, info, now))
			}
		}
		if len(out) == 0 {
			err = fmt.Errorf("order %d has nothing left to ship: %w", orderID, ErrInvalid)
			return
		}
		rec.clearSoftOverride()
		st.touch(rec, now)
	})
	return out, err
}

// ShipPartial ships the given quantities (sellable id -> quantity) as one
// new allocation with its shipment. The quantities come first from the
// unallocated remainder (finite stock must cover it) and then out of
// unshipped allocations, which shrink (and disappear when emptied), as when
// staff split a parcel in Veeqo. A quantity cannot exceed what is left
// unshipped of that sellable.
func (s *Server) ShipPartial(orderID int64, lines map[int64]int, info ShipInfo) (veeqo.Shipment, error) {
	now := s.now()
	var out veeqo.Shipment
	var err error
	s.withState(func(st *state) {
		var rec *orderRec
		if rec, err = st.liveOrder(orderID); err != nil {
			return
		}
		if len(lines) == 0 {
			err = fmt.Errorf("ShipPartial of order %d: no lines: %w", orderID, ErrInvalid)
			return
		}
		wid := st.defaultWarehouse(rec)
		if err = st.checkPartial(rec, lines, wid); err != nil {
			return
		}
		take := st.takeForPartial(rec, lines, now)
		rec.allocs = slices.DeleteFunc(rec.allocs, func(a *allocRec) bool { return len(a.lines) == 0 && a.shipment == nil })
		a := st.allocate(rec, wid, take, now)
		out = *st.ship(rec, a, info, now)
		rec.clearSoftOverride()
		st.touch(rec, now)
	})
	return out, err
}

// checkPartial checks ShipPartial's quantities against the order: each
// sellable on it, positive, within what is unshipped, and what comes from
// the unallocated remainder in stock at warehouse wid.
func (st *state) checkPartial(rec *orderRec, lines map[int64]int, wid int64) error {
	ordered, allocated, shipped := rec.quantities()
	for _, sid := range sortedKeys(lines, false) {
		q := lines[sid]
		switch {
		case ordered[sid] == 0:
			return fmt.Errorf("sellable %d is not on order %d: %w", sid, rec.o.ID, ErrInvalid)
		case q <= 0:
			return fmt.Errorf("quantity %d of sellable %d must be positive: %w", q, sid, ErrInvalid)
		case q > ordered[sid]-shipped[sid]:
			return fmt.Errorf("quantity %d of sellable %d exceeds the %d left unshipped on order %d: %w",
				q, sid, ordered[sid]-shipped[sid], rec.o.ID, ErrInvalid)
		}
		if fromFree := min(q, ordered[sid]-allocated[sid]); fromFree > 0 && !st.canAllocate(sid, wid, fromFree) {
			return fmt.Errorf("sellable %d in warehouse %d: %w", sid, wid, ErrNoStock)
		}
	}
	return nil
}

// takeForPartial takes from unshipped allocations what the free remainder
// lacks (they shrink; emptied lines go) and returns the new allocation's
// lines.
func (st *state) takeForPartial(rec *orderRec, lines map[int64]int, now time.Time) []allocLine {
	ordered, allocated, _ := rec.quantities()
	var take []allocLine
	for _, sid := range sortedKeys(lines, false) {
		q := lines[sid]
		need := q - max(0, ordered[sid]-allocated[sid])
		for _, a := range rec.allocs {
			if need <= 0 {
				break
			}
			if a.shipment != nil {
				continue
			}
			for i := range a.lines {
				l := &a.lines[i]
				if l.sellableID != sid || need <= 0 {
					continue
				}
				n := min(need, l.qty)
				l.qty -= n
				need -= n
				a.updated = now
				st.allocated[stockKey{sid, a.warehouseID}] -= n
			}
			a.lines = slices.DeleteFunc(a.lines, func(l allocLine) bool { return l.qty == 0 })
		}
		take = append(take, allocLine{sellableID: sid, qty: q})
	}
	return take
}

// ClearAllocations simulates the momentary zero-allocation read Veeqo gives
// mid-reallocation: the order reads with "allocations": [] (its status is
// unchanged) until RestoreAllocations or the next helper or API write on
// the order brings them all back, shipped ones included. It moves
// updated_at, as the reallocation would.
func (s *Server) ClearAllocations(orderID int64) {
	now := s.now()
	s.withState(func(st *state) {
		if rec := st.orders[orderID]; rec != nil {
			rec.hidden = true
			rec.o.UpdatedAt = now
		}
	})
}

// RestoreAllocations undoes ClearAllocations.
func (s *Server) RestoreAllocations(orderID int64) {
	now := s.now()
	s.withState(func(st *state) {
		if rec := st.orders[orderID]; rec != nil && rec.hidden {
			rec.hidden = false
			rec.o.UpdatedAt = now
		}
	})
}

// CancelOrder cancels an order as PUT /orders/{id}/cancel does: status
// cancelled, cancelled_at and cancel_reason set, unshipped allocations
// released. A shipped order cannot be cancelled.
func (s *Server) CancelOrder(orderID int64, reason string) error {
	now := s.now()
	var err error
	s.withState(func(st *state) {
		rec := st.orders[orderID]
		if rec == nil {
			err = fmt.Errorf("order %d: %w", orderID, ErrNotFound)
			return
		}
		err = st.cancel(rec, reason, now)
	})
	return err
}

// SetOrderStatus pins an order's status to one Veeqo does not derive from
// allocations: awaiting_payment, on_hold, cancelled or refunded. An empty
// status goes back to the derived one. awaiting_payment and on_hold are
// cleared by the next allocation or shipment.
func (s *Server) SetOrderStatus(orderID int64, status veeqo.OrderStatus) error {
	now := s.now()
	if status != "" && !keptStatus(status) {
		return fmt.Errorf("status %q is derived from allocations and cannot be pinned: %w", status, ErrInvalid)
	}
	var err error
	s.withState(func(st *state) {
		rec := st.orders[orderID]
		if rec == nil {
			err = fmt.Errorf("order %d: %w", orderID, ErrNotFound)
			return
		}
		if status == veeqo.StatusCancelled {
			err = st.cancel(rec, "", now)
			return
		}
		rec.override = status
		st.touch(rec, now)
	})
	return err
}

// TouchOrder moves an order's updated_at to now, as any edit in Veeqo's UI
// would.
func (s *Server) TouchOrder(orderID int64) error {
	now := s.now()
	var err error
	s.withState(func(st *state) {
		rec := st.orders[orderID]
		if rec == nil {
			err = fmt.Errorf("order %d: %w", orderID, ErrNotFound)
			return
		}
		st.touch(rec, now)
	})
	return err
}

// Order returns an order as GET /orders/{id} would.
func (s *Server) Order(id int64) (veeqo.Order, bool) {
	var out veeqo.Order
	var ok bool
	s.withState(func(st *state) {
		if rec := st.orders[id]; rec != nil {
			out, ok = st.render(rec), true
		}
	})
	return out, ok
}

// Orders returns every order, cancelled ones included, in ascending id
// order (creation order), unlike the API's newest-first lists.
func (s *Server) Orders() []veeqo.Order {
	var out []veeqo.Order
	s.withState(func(st *state) {
		for _, id := range st.orderIDs {
			out = append(out, st.render(st.orders[id]))
		}
	})
	return out
}

// OrdersByNumber returns the orders whose number is exactly number, in
// ascending id order. Veeqo does not enforce unique numbers, so there can be
// several: a test of duplicate-export protection asserts len == 1.
func (s *Server) OrdersByNumber(number string) []veeqo.Order {
	var out []veeqo.Order
	s.withState(func(st *state) {
		for _, id := range st.orderIDs {
			if rec := st.orders[id]; rec.o.Number == number {
				out = append(out, st.render(rec))
			}
		}
	})
	return out
}

// ---- shared with the HTTP handlers ----

// liveOrder finds an order that staff can still work on, restoring
// allocations hidden by ClearAllocations.
func (st *state) liveOrder(id int64) (*orderRec, error) {
	rec := st.orders[id]
	if rec == nil {
		return nil, fmt.Errorf("order %d: %w", id, ErrNotFound)
	}
	rec.hidden = false
	if rec.override == veeqo.StatusCancelled || rec.override == veeqo.StatusRefunded {
		return nil, fmt.Errorf("order %d is %s: %w", id, rec.override, ErrInvalid)
	}
	return rec, nil
}

func (rec *orderRec) clearSoftOverride() {
	if rec.override == veeqo.StatusAwaitingPayment || rec.override == veeqo.StatusOnHold {
		rec.override = ""
	}
}

// allocateLines validates and makes one allocation; wid 0 is the default
// warehouse and empty lines mean the whole unallocated remainder.
func (st *state) allocateLines(rec *orderRec, wid int64, lines map[int64]int) (*allocRec, error) {
	if wid == 0 {
		wid = st.defaultWarehouse(rec)
		if wid == 0 {
			return nil, fmt.Errorf("order %d: no warehouse to allocate to (seed one with AddWarehouse): %w", rec.o.ID, ErrNotFound)
		}
	}
	if st.warehouses[wid] == nil {
		return nil, fmt.Errorf("warehouse %d: %w", wid, ErrNotFound)
	}
	var want []allocLine
	if len(lines) == 0 {
		want = rec.unallocatedLines()
		if len(want) == 0 {
			return nil, fmt.Errorf("order %d is fully allocated: %w", rec.o.ID, ErrInvalid)
		}
	} else {
		ordered, allocated, _ := rec.quantities()
		var bad []string
		for _, sid := range sortedKeys(lines, false) {
			q := lines[sid]
			switch {
			case ordered[sid] == 0:
				bad = append(bad, fmt.Sprintf("sellable %d is not on order %d", sid, rec.o.ID))
			case q <= 0:
				bad = append(bad, fmt.Sprintf("quantity %d of sellable %d must be positive", q, sid))
			case q > ordered[sid]-allocated[sid]:
				bad = append(bad, fmt.Sprintf("quantity %d of sellable %d exceeds the %d left unallocated", q, sid, ordered[sid]-allocated[sid]))
			default:
				want = append(want, allocLine{sellableID: sid, qty: q})
			}
		}
		if len(bad) > 0 {
			return nil, fmt.Errorf("%s: %w", strings.Join(bad, "; "), ErrInvalid)
		}
	}
	for _, l := range want {
		if !st.canAllocate(l.sellableID, wid, l.qty) {
			return nil, fmt.Errorf("sellable %d, quantity %d, warehouse %d: %w", l.sellableID, l.qty, wid, ErrNoStock)
		}
	}
	return st.allocate(rec, wid, want, rec.o.UpdatedAt), nil
}

// cancel cancels an order; already cancelled is a no-op.
func (st *state) cancel(rec *orderRec, reason string, now time.Time) error {
	rec.hidden = false
	if rec.override == veeqo.StatusCancelled {
		return nil
	}
	if rec.derivedStatus() == veeqo.StatusShipped && len(rec.lines) > 0 {
		return fmt.Errorf("order %d is shipped and cannot be cancelled: %w", rec.o.ID, ErrInvalid)
	}
	for _, a := range slices.Clone(rec.allocs) {
		if a.shipment == nil {
			st.releaseAlloc(rec, a)
		}
	}
	rec.override = veeqo.StatusCancelled
	t := now
	rec.o.CancelledAt = &t
	rec.o.CancelReason = reason
	rec.o.UpdatedAt = now
	return nil
}
