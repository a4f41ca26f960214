package sync

import (
	"fmt"
	"slices"
	"time"
)

// Confirmation is one Veeqo shipment mapped back to an ERP order: the
// quantities it ships per ERP line, its tracking, and its carrier and
// service (already mapped back to the ERP's names).
type Confirmation struct {
	ShipmentID   int64
	AllocationID int64
	VeeqoOrderID int64
	// Quantities maps an ERP line ref to the quantity this shipment ships.
	Quantities      map[string]int
	TrackingNumbers []string
	Carrier         string
	ShipService     string
	VeeqoCarrier    string
	VeeqoService    string
	ShippedAt       time.Time
	// Warnings found while mapping back (passed-through names, unknown
	// lines); they are carried into the update.
	Warnings []string
}

// Decision is what ComputeUpdate decided to do with a confirmation.
type Decision int

// Decisions.
const (
	// DecisionApply: apply the update.
	DecisionApply Decision = iota + 1
	// DecisionIgnore: a later shipment of an order whose first shipment was
	// final ("disable multishipment"); record it as ignored with a warning.
	DecisionIgnore
	// DecisionEmpty: the confirmation ships nothing (an empty read); do
	// nothing now and look again later. Never close or unallocate on it.
	DecisionEmpty
)

// String names the decision.
func (d Decision) String() string {
	switch d {
	case DecisionApply:
		return "apply"
	case DecisionIgnore:
		return "ignore"
	case DecisionEmpty:
		return "empty"
	}
	return fmt.Sprintf("Decision(%d)", int(d))
}

// ComputeUpdate applies the multishipment rule to one confirmation of an
// order, given the order's current ERP data.
//
//   - Multishipment allowed (disable false): quantities add up; a line
//     closes when its whole ordered quantity has shipped; the order is
//     partially shipped until every line has.
//   - Disabled: the first confirmation is final: its quantities are
//     applied, every open line closes, and each line's unshipped remainder
//     is unallocated. finalised says an earlier confirmation of the order
//     was already final; then the confirmation is ignored (DecisionIgnore)
//     and its warning names the shipment.
//   - A confirmation that ships nothing is DecisionEmpty, whatever the rule.
//   - A quantity over what remains on a line is applied up to the ordered
//     quantity, with a warning.
func ComputeUpdate(order ERPOrder, c Confirmation, disable, finalised bool) (ShipmentUpdate, Decision) {
	u := ShipmentUpdate{
		ShipmentID:      c.ShipmentID,
		AllocationID:    c.AllocationID,
		VeeqoOrderID:    c.VeeqoOrderID,
		OrderRef:        order.Ref,
		TrackingNumbers: slices.Clone(c.TrackingNumbers),
		Carrier:         c.Carrier,
		ShipService:     c.ShipService,
		VeeqoCarrier:    c.VeeqoCarrier,
		VeeqoService:    c.VeeqoService,
		ShippedAt:       c.ShippedAt,
		Warnings:        slices.Clone(c.Warnings),
	}
	total := 0
	for _, q := range c.Quantities {
		if q > 0 {
			total += q
		}
	}
	if total == 0 {
		u.Warnings = append(u.Warnings, fmt.Sprintf("shipment %d ships no quantity of order %s: nothing applied, will look again", c.ShipmentID, order.Ref))
		return u, DecisionEmpty
	}
	if disable && finalised {
		u.Warnings = append(u.Warnings, fmt.Sprintf("shipment %d ignored: order %s was finalised by its first shipment (multishipment disabled)", c.ShipmentID, order.Ref))
		return u, DecisionIgnore
	}
	allDone := lineUpdates(&u, order, c, disable)
	warnUnknownLines(&u, order, c)
	switch {
	case allDone:
		u.Status = OrderShipped
		u.Final = true
	case disable:
		u.Status = OrderClosed
		u.Final = true
	default:
		u.Status = OrderPartiallyShipped
	}
	return u, DecisionApply
}

// lineUpdates adds each line's update to u (the rule's quantities, closes
// and remainders) and reports whether every line is done.
func lineUpdates(u *ShipmentUpdate, order ERPOrder, c Confirmation, disable bool) bool {
	allDone := true
	for _, l := range order.Lines {
		q := max(c.Quantities[l.Ref], 0)
		remaining := max(l.Quantity-l.Shipped, 0)
		if l.Closed {
			remaining = 0
		}
		apply := min(q, remaining)
		if q > apply {
			u.Warnings = append(u.Warnings, fmt.Sprintf("line %s: shipment %d ships %d but only %d remained of %d ordered; applied %d (over-shipment)", l.Ref, c.ShipmentID, q, remaining, l.Quantity, apply))
		}
		shipped := l.Shipped + apply
		lu := LineUpdate{LineRef: l.Ref, ShipQuantity: apply, ShippedTotal: shipped}
		switch {
		case disable:
			if !l.Closed {
				lu.Close = true
				lu.Unallocate = max(l.Quantity-shipped, 0)
				u.Lines = append(u.Lines, lu)
			}
		case apply > 0:
			lu.Close = shipped >= l.Quantity
			u.Lines = append(u.Lines, lu)
		}
		if shipped < l.Quantity && !(l.Closed && !disable && apply == 0 && l.Shipped >= l.Quantity) {
			if !l.Closed {
				allDone = false
			}
		}
	}
	return allDone
}

// warnUnknownLines warns of each quantity for a line the order lacks (it
// is not applied), in line order.
func warnUnknownLines(u *ShipmentUpdate, order ERPOrder, c Confirmation) {
	known := make(map[string]bool, len(order.Lines))
	for _, l := range order.Lines {
		known[l.Ref] = true
	}
	var unknown []string
	for ref, q := range c.Quantities {
		if !known[ref] && q > 0 {
			unknown = append(unknown, ref)
		}
	}
	slices.Sort(unknown)
	for _, ref := range unknown {
		u.Warnings = append(u.Warnings, fmt.Sprintf("line %s of shipment %d is not a line of order %s; its quantity %d was not applied", ref, c.ShipmentID, order.Ref, c.Quantities[ref]))
	}
}
