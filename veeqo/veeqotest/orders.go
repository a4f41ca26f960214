package veeqotest

// The fake's orders: their status as Veeqo derives it, what a call hands
// back of them (render: copies that share nothing with the state), and
// their allocations and shipments.

import (
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

func (st *state) defaultWarehouse(rec *orderRec) int64 {
	if ch := st.channels[rec.channelID]; ch != nil && ch.warehouseID != 0 {
		return ch.warehouseID
	}
	if len(st.warehouseIDs) == 0 {
		return 0
	}
	return st.warehouseIDs[0]
}

// quantities returns ordered, allocated and shipped quantity per sellable.
func (rec *orderRec) quantities() (ordered, allocated, shipped map[int64]int) {
	ordered, allocated, shipped = map[int64]int{}, map[int64]int{}, map[int64]int{}
	for _, l := range rec.lines {
		ordered[l.sellableID] += l.li.Quantity
	}
	for _, a := range rec.allocs {
		for _, l := range a.lines {
			allocated[l.sellableID] += l.qty
			if a.shipment != nil {
				shipped[l.sellableID] += l.qty
			}
		}
	}
	return ordered, allocated, shipped
}

// progress is how far an order's quantities got, over every sellable it
// orders: whether some sellable is ordered at all, whether each is allocated in full,
// and whether each is shipped in full. It is what quantities tells
// derivedStatus and allocatedCompletely, without building its maps (an
// order has few lines: the quadratic walk is cheaper).
func (rec *orderRec) progress() (some, allocatedAll, shippedAll bool) {
	allocatedAll, shippedAll = true, true
	for i, l := range rec.lines {
		if slices.ContainsFunc(rec.lines[:i], func(m *lineRec) bool { return m.sellableID == l.sellableID }) {
			continue // counted with its first line
		}
		some = true
		ordered, allocated, shipped := 0, 0, 0
		for _, m := range rec.lines[i:] {
			if m.sellableID == l.sellableID {
				ordered += m.li.Quantity
			}
		}
		for _, a := range rec.allocs {
			for _, al := range a.lines {
				if al.sellableID != l.sellableID {
					continue
				}
				allocated += al.qty
				if a.shipment != nil {
					shipped += al.qty
				}
			}
		}
		if allocated < ordered {
			allocatedAll = false
		}
		if shipped < ordered {
			shippedAll = false
		}
	}
	return some, allocatedAll, shippedAll
}

// derivedStatus is the roll-up at the least-progressed part of the order:
// anything unallocated makes it awaiting_stock, anything allocated but not
// shipped awaiting_fulfillment, otherwise shipped.
func (rec *orderRec) derivedStatus() veeqo.OrderStatus {
	some, allocatedAll, shippedAll := rec.progress()
	switch {
	case !some:
		return veeqo.StatusAwaitingFulfillment
	case !allocatedAll:
		return veeqo.StatusAwaitingStock
	case !shippedAll:
		return veeqo.StatusAwaitingFulfillment
	}
	return veeqo.StatusShipped
}

func (rec *orderRec) status() veeqo.OrderStatus {
	if rec.override != "" {
		return rec.override
	}
	return rec.derivedStatus()
}

func (rec *orderRec) allocatedCompletely() bool {
	some, allocatedAll, _ := rec.progress()
	return some && allocatedAll
}

// touch marks an order modified: updated_at moves, shipped_at follows the
// status, and allocations hidden by ClearAllocations come back.
func (st *state) touch(rec *orderRec, now time.Time) {
	rec.hidden = false
	rec.o.UpdatedAt = now
	if rec.derivedStatus() == veeqo.StatusShipped {
		if rec.o.ShippedAt == nil {
			t := now
			rec.o.ShippedAt = &t
		}
	} else {
		rec.o.ShippedAt = nil
	}
}

// renderParts is what a rendered order points to, allocated together.
type renderParts struct {
	channel                         veeqo.Channel
	customer                        veeqo.Customer
	method                          veeqo.DeliveryMethod
	payment                         veeqo.Payment
	note                            veeqo.Note
	deliverTo, billing, custBilling veeqo.Address
}

// renderParts points o's channel, customer, delivery method, addresses,
// payment and note at copies of them, made in one allocation.
func (st *state) renderParts(rec *orderRec, o *veeqo.Order) {
	p := new(renderParts)
	if _, ok := st.channels[rec.channelID]; ok {
		p.channel = st.channel(rec.channelID)
		o.Channel = &p.channel
	}
	if c := st.customers[rec.customerID]; c != nil {
		p.customer = *c
		p.customer.ShippingAddresses = slices.Clone(c.ShippingAddresses)
		if c.BillingAddress != nil {
			p.custBilling = *c.BillingAddress
			p.customer.BillingAddress = &p.custBilling
		}
		o.Customer = &p.customer
	}
	if d := st.deliveryMethods[rec.deliveryMethodID]; d != nil {
		p.method = *d
		o.DeliveryMethod = &p.method
	}
	if o.DeliverTo != nil {
		p.deliverTo = *o.DeliverTo
		o.DeliverTo = &p.deliverTo
	}
	if o.BillingAddress != nil {
		p.billing = *o.BillingAddress
		o.BillingAddress = &p.billing
	}
	if o.Payment != nil {
		p.payment = *o.Payment
		o.Payment = &p.payment
	}
	if o.CustomerNote != nil {
		p.note = *o.CustomerNote
		o.CustomerNote = &p.note
	}
}

// render builds a fresh veeqo.Order that shares nothing with the state.
func (st *state) render(rec *orderRec) veeqo.Order {
	o := rec.o
	o.Status = rec.status()
	o.AllocatedCompletely = rec.allocatedCompletely()
	o.ShippedAt = copyTime(o.ShippedAt)
	o.CancelledAt = copyTime(o.CancelledAt)
	o.DueDate = copyTime(o.DueDate)
	o.DispatchDate = copyTime(o.DispatchDate)
	st.renderParts(rec, &o)
	o.EmployeeNotes = append(make([]veeqo.Note, 0, len(o.EmployeeNotes)), o.EmployeeNotes...)
	o.Tags = append(make([]veeqo.Tag, 0, len(o.Tags)), o.Tags...)
	n := len(rec.lines)
	if !rec.hidden {
		for _, a := range rec.allocs {
			n += len(a.lines)
		}
	}
	slab := st.newSellableSlab(n)
	o.LineItems = make([]veeqo.LineItem, 0, len(rec.lines))
	for _, l := range rec.lines {
		li := l.li
		li.Sellable = slab.take(l.sellableID)
		o.LineItems = append(o.LineItems, li)
	}
	o.Allocations = []veeqo.Allocation{}
	if !rec.hidden {
		o.Allocations = make([]veeqo.Allocation, 0, len(rec.allocs))
		for _, a := range rec.allocs {
			o.Allocations = append(o.Allocations, st.renderAlloc(rec, a, slab))
		}
	}
	return o
}

// renderAlloc renders an allocation, its sellables taken from slab (nil:
// each allocated).
func (st *state) renderAlloc(rec *orderRec, a *allocRec, slab *sellableSlab) veeqo.Allocation {
	if slab == nil {
		slab = &sellableSlab{st: st}
	}
	out := veeqo.Allocation{
		ID:        a.id,
		OrderID:   rec.o.ID,
		CreatedAt: a.created,
		UpdatedAt: a.updated,
		Warehouse: st.warehouse(a.warehouseID),
		LineItems: make([]veeqo.AllocationLineItem, 0, len(a.lines)),
		Shipment:  copyShipment(a.shipment),
	}
	if a.packed != nil {
		b := *a.packed
		out.PackedCompletely = &b
	}
	for _, l := range a.lines {
		out.LineItems = append(out.LineItems, veeqo.AllocationLineItem{
			ID: l.id, Quantity: l.qty, PickedQuantity: l.picked, Sellable: slab.take(l.sellableID),
		})
	}
	return out
}

func copyShipment(s *veeqo.Shipment) *veeqo.Shipment {
	if s == nil {
		return nil
	}
	c := *s
	if c.Carrier != nil {
		x := *c.Carrier
		c.Carrier = &x
	}
	if c.TrackingNumber != nil {
		x := *c.TrackingNumber
		x.DeliveredAt = copyTime(x.DeliveredAt)
		x.CancelledAt = copyTime(x.CancelledAt)
		c.TrackingNumber = &x
	}
	if c.UpdateRemoteOrder != nil {
		b := *c.UpdateRemoteOrder
		c.UpdateRemoteOrder = &b
	}
	if c.OutboundLabelCharges != nil {
		x := *c.OutboundLabelCharges
		c.OutboundLabelCharges = &x
	}
	return &c
}

// newLine builds an order line for a sellable.
func (st *state) newLine(sid int64, qty int, price decimal.Decimal, now time.Time) *lineRec {
	s := st.sellables[sid]
	return &lineRec{
		sellableID: sid,
		li: veeqo.LineItem{
			ID: st.id("line"), Quantity: qty, PricePerUnit: price,
			Title: s.FullTitle, CreatedAt: now, UpdatedAt: now,
		},
	}
}

// recomputeTotals sets subtotal and total from the lines (a simplification:
// Veeqo's tax and discount arithmetic is richer).
func (rec *orderRec) recomputeTotals() {
	sub := decimal.Zero
	for _, l := range rec.lines {
		unit := l.li.PricePerUnit.Sub(l.li.TaxlessDiscountPerUnit)
		sub = sub.Add(unit.Mul(decimal.NewFromInt(int64(l.li.Quantity))))
	}
	rec.o.SubtotalPrice = sub
	rec.o.TotalPrice = sub.Add(rec.o.DeliveryCost)
}

// allocate adds an allocation of the given quantities (already validated).
func (st *state) allocate(rec *orderRec, wid int64, lines []allocLine, now time.Time) *allocRec {
	a := &allocRec{id: st.id("allocation"), warehouseID: wid, created: now, updated: now}
	for _, l := range lines {
		l.id = st.id("allocline")
		a.lines = append(a.lines, l)
		st.allocated[stockKey{l.sellableID, wid}] += l.qty
	}
	rec.allocs = append(rec.allocs, a)
	return a
}

// unallocatedLines lists the unallocated remainder per sellable, in line
// order.
func (rec *orderRec) unallocatedLines() []allocLine {
	_, allocated, _ := rec.quantities()
	var out []allocLine
	seen := map[int64]bool{}
	for _, l := range rec.lines {
		if seen[l.sellableID] {
			continue
		}
		seen[l.sellableID] = true
		ordered := 0
		for _, m := range rec.lines {
			if m.sellableID == l.sellableID {
				ordered += m.li.Quantity
			}
		}
		if rest := ordered - allocated[l.sellableID]; rest > 0 {
			out = append(out, allocLine{sellableID: l.sellableID, qty: rest})
		}
	}
	return out
}

// autoAllocate allocates, to the default warehouse, every unallocated
// remainder that stock covers, as Veeqo does for a new order.
func (st *state) autoAllocate(rec *orderRec, now time.Time) {
	wid := st.defaultWarehouse(rec)
	if wid == 0 {
		return
	}
	var fit []allocLine
	for _, l := range rec.unallocatedLines() {
		if st.canAllocate(l.sellableID, wid, l.qty) {
			fit = append(fit, l)
		}
	}
	if len(fit) > 0 {
		st.allocate(rec, wid, fit, now)
	}
}

// releaseAlloc removes an unshipped allocation and frees its stock.
func (st *state) releaseAlloc(rec *orderRec, a *allocRec) {
	for _, l := range a.lines {
		st.allocated[stockKey{l.sellableID, a.warehouseID}] -= l.qty
	}
	rec.allocs = slices.DeleteFunc(rec.allocs, func(x *allocRec) bool { return x == a })
}

func (rec *orderRec) alloc(id int64) *allocRec {
	for _, a := range rec.allocs {
		if a.id == id {
			return a
		}
	}
	return nil
}

// ship records a shipment on an allocation and moves stock.
func (st *state) ship(rec *orderRec, a *allocRec, info ShipInfo, now time.Time) *veeqo.Shipment {
	sh := &veeqo.Shipment{
		ID: st.id("shipment"), AllocationID: a.id, OrderID: rec.o.ID,
		CreatedAt: now, UpdatedAt: now,
		ServiceName: info.ServiceName, TrackingURL: info.TrackingURL,
		NotifyCustomer: info.NotifyCustomer,
	}
	b := info.UpdateRemoteOrder
	sh.UpdateRemoteOrder = &b
	sh.Carrier = st.carrier(info.CarrierID, info.CarrierName)
	sh.CarrierID = sh.Carrier.ID
	if info.TrackingNumber != "" {
		sh.TrackingNumber = &veeqo.TrackingNumber{ID: st.id("tracking"), TrackingNumber: info.TrackingNumber, Status: "created"}
	}
	a.updated = now
	st.attachShipment(rec, a, sh)
	return copyShipment(sh)
}

// attachShipment puts a shipment on an allocation and takes the stock out.
func (st *state) attachShipment(rec *orderRec, a *allocRec, sh *veeqo.Shipment) {
	a.shipment = sh
	for _, l := range a.lines {
		k := stockKey{l.sellableID, a.warehouseID}
		st.allocated[k] -= l.qty
		if phys, ok := st.stock[k]; ok {
			st.stock[k] = phys - l.qty
		}
	}
	st.shipments[sh.ID] = [2]int64{rec.o.ID, a.id}
}

// unship deletes an allocation's shipment and puts the stock back.
func (st *state) unship(rec *orderRec, a *allocRec, now time.Time) {
	delete(st.shipments, a.shipment.ID)
	a.shipment = nil
	a.updated = now
	for _, l := range a.lines {
		k := stockKey{l.sellableID, a.warehouseID}
		st.allocated[k] += l.qty
		if phys, ok := st.stock[k]; ok {
			st.stock[k] = phys + l.qty
		}
	}
}

// carrier resolves a carrier by Veeqo id, else by name; an unknown name
// gets a stable synthetic id, and nothing at all is "Other" (3).
func (st *state) carrier(id int64, name string) *veeqo.Carrier {
	if id != 0 {
		n, ok := veeqo.CarrierName(id)
		if name == "" {
			name = n
		}
		if !ok && name == "" {
			name = "Carrier " + itoa(id)
		}
		return &veeqo.Carrier{ID: id, Name: name}
	}
	if name == "" {
		return &veeqo.Carrier{ID: 3, Name: "Other"}
	}
	if cid, ok := veeqo.CarrierID(name); ok {
		return &veeqo.Carrier{ID: cid, Name: name}
	}
	key := strings.ToLower(name)
	cid, ok := st.carrierIDs[key]
	if !ok {
		cid = st.id("carrier")
		st.carrierIDs[key] = cid
	}
	return &veeqo.Carrier{ID: cid, Name: name}
}
