package veeqotest

import (
	"cmp"
	"slices"
	"time"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// Seeding helpers. Each assigns ids (keeping a positive id it is given, if
// free), fills created_at/updated_at with the clock when zero, and returns
// the stored object as the API would render it. References to records that
// do not exist yet (a channel's default warehouse, an order's channel,
// customer or sellable) are added on the fly, so a test can seed a whole
// order in one call.

// AddWarehouse stores a warehouse.
func (s *Server) AddWarehouse(w veeqo.Warehouse) veeqo.Warehouse {
	now := s.now()
	var out veeqo.Warehouse
	s.withState(func(st *state) { out = *st.addWarehouse(w, now) })
	return out
}

// AddChannel stores a channel (a Veeqo "store"). DefaultWarehouse may name
// a seeded warehouse by ID, or describe a new one. TypeCode defaults to
// "direct", CurrencyCode to "USD", State to "active".
func (s *Server) AddChannel(c veeqo.Channel) veeqo.Channel {
	now := s.now()
	var out veeqo.Channel
	s.withState(func(st *state) { out = st.addChannel(c, now) })
	return out
}

// AddDeliveryMethod stores a delivery method.
func (s *Server) AddDeliveryMethod(d veeqo.DeliveryMethod) veeqo.DeliveryMethod {
	now := s.now()
	var out veeqo.DeliveryMethod
	s.withState(func(st *state) { out = st.addDeliveryMethod(d, now) })
	return out
}

// AddProduct stores a product and its sellables (SKU, UPC, prices). Stock
// is infinite in every warehouse unless SetStock (or a non-infinite entry
// in a sellable's StockEntries) sets a level. SKUs are not checked for
// uniqueness, so ambiguous lookups can be tested.
func (s *Server) AddProduct(p veeqo.Product) veeqo.Product {
	now := s.now()
	var out veeqo.Product
	s.withState(func(st *state) { out = st.addProduct(p, now) })
	return out
}

// SetStock sets the physical stock of a sellable in a warehouse, making it
// finite there: allocations take from it and shipments remove it. A
// negative qty makes the stock infinite again (the default).
func (s *Server) SetStock(sellableID, warehouseID int64, qty int) {
	s.withState(func(st *state) {
		k := stockKey{sellableID, warehouseID}
		if qty < 0 {
			delete(st.stock, k)
			return
		}
		st.stock[k] = qty
	})
}

// Stock returns the physical and available stock of a sellable in a
// warehouse, and whether it is finite.
func (s *Server) Stock(sellableID, warehouseID int64) (physical, available int, finite bool) {
	s.withState(func(st *state) {
		k := stockKey{sellableID, warehouseID}
		physical, finite = st.stock[k]
		available = physical - st.allocated[k]
	})
	return physical, available, finite
}

// AddCustomer stores a customer with its addresses.
func (s *Server) AddCustomer(c veeqo.Customer) veeqo.Customer {
	now := s.now()
	var out veeqo.Customer
	s.withState(func(st *state) { out = st.addCustomer(c, now) })
	return out
}

// AddOrder stores an order as if Veeqo had imported it from a marketplace
// (the fetch-fulfilments mode). Channel, Customer, DeliveryMethod and line
// sellables are matched by ID (sellables also by SKU) and added when
// unknown; a nil Channel means the first channel (or a new "direct" one).
//
// Status is derived from the allocations, as in Veeqo, except that
// awaiting_payment, on_hold, cancelled and refunded are kept as given. Seed
// Allocations, each with an optional Shipment (a nil TrackingNumber is a
// marketplace-shipped parcel), to start the order part- or fully shipped.
// Without Allocations the order is auto-allocated when WithAutoAllocate is
// on (the default) and its status is not one of the kept ones.
func (s *Server) AddOrder(o veeqo.Order) veeqo.Order {
	now := s.now()
	var out veeqo.Order
	s.withState(func(st *state) {
		rec := st.addOrder(o, now, s.cfg.autoAllocate)
		out = st.render(rec)
	})
	return out
}

func keptStatus(s veeqo.OrderStatus) bool {
	switch s {
	case veeqo.StatusAwaitingPayment, veeqo.StatusOnHold, veeqo.StatusCancelled, veeqo.StatusRefunded:
		return true
	}
	return false
}

// addOrder stores o as Veeqo would hold it, filling in what a seed may
// leave out (ids, timestamps, referenced records, the number, totals) and
// allocating it when auto is set and it carries no allocations.
func (st *state) addOrder(o veeqo.Order, now time.Time, auto bool) *orderRec {
	rec := &orderRec{}
	o.ID = st.claim("order", o.ID, func(id int64) bool { return st.orders[id] != nil })
	o.CreatedAt = orNow(o.CreatedAt, now)
	o.UpdatedAt = orNow(o.UpdatedAt, o.CreatedAt)
	created := o.CreatedAt

	st.linkSeedRefs(rec, &o, now)
	st.seedNotes(&o, created)
	for _, li := range o.LineItems {
		rec.lines = append(rec.lines, st.seedLine(li, created, now))
	}
	if keptStatus(o.Status) {
		rec.override = o.Status
		if o.Status == veeqo.StatusCancelled && o.CancelledAt == nil {
			t := o.UpdatedAt
			o.CancelledAt = &t
		}
	}
	o.ShippedAt = copyTime(o.ShippedAt)
	o.CancelledAt = copyTime(o.CancelledAt)
	o.DueDate = copyTime(o.DueDate)
	o.DispatchDate = copyTime(o.DispatchDate)
	if o.CurrencyCode == "" {
		o.CurrencyCode = st.channels[rec.channelID].ch.CurrencyCode
	}
	if o.Number == "" {
		o.Number = "#" + itoa(o.ID)
	}
	allocs := o.Allocations
	o.Channel, o.Customer, o.DeliveryMethod, o.LineItems, o.Allocations, o.Status = nil, nil, nil, nil, nil, ""
	rec.o = o
	if o.TotalPrice.IsZero() && o.SubtotalPrice.IsZero() {
		rec.recomputeTotals()
	}

	var lastShip time.Time
	for _, a := range allocs {
		if t := st.seedAllocation(rec, a, created, now); t.After(lastShip) {
			lastShip = t
		}
	}
	if len(allocs) == 0 && auto && rec.override == "" {
		st.autoAllocate(rec, o.CreatedAt)
	}
	if rec.derivedStatus() == veeqo.StatusShipped && rec.o.ShippedAt == nil && len(rec.lines) > 0 {
		t := cmp.Or(lastShip, o.UpdatedAt)
		rec.o.ShippedAt = &t
	}
	if _, had := st.orders[o.ID]; !had {
		i, _ := slices.BinarySearch(st.orderIDs, o.ID)
		st.orderIDs = slices.Insert(st.orderIDs, i, o.ID)
	}
	st.orders[o.ID] = rec
	return rec
}

// linkSeedRefs points the order at its channel, customer, delivery method
// and addresses, creating those it names but Veeqo does not have (a
// missing channel is the first one, or a new "Direct" channel).
func (st *state) linkSeedRefs(rec *orderRec, o *veeqo.Order, now time.Time) {
	switch {
	case o.Channel != nil && st.channels[o.Channel.ID] != nil:
		rec.channelID = o.Channel.ID
	case o.Channel != nil:
		rec.channelID = st.addChannel(*o.Channel, now).ID
	default:
		if ids := sortedKeys(st.channels, false); len(ids) > 0 {
			rec.channelID = ids[0]
		} else {
			rec.channelID = st.addChannel(veeqo.Channel{Name: "Direct", TypeCode: veeqo.ChannelDirect}, now).ID
		}
	}
	switch {
	case o.Customer == nil:
	case st.customers[o.Customer.ID] != nil:
		rec.customerID = o.Customer.ID
	default:
		rec.customerID = st.addCustomer(*o.Customer, now).ID
	}
	switch {
	case o.DeliveryMethod == nil:
	case st.deliveryMethods[o.DeliveryMethod.ID] != nil:
		rec.deliveryMethodID = o.DeliveryMethod.ID
	default:
		rec.deliveryMethodID = st.addDeliveryMethod(*o.DeliveryMethod, now).ID
	}
	if o.DeliverTo != nil && st.addresses[o.DeliverTo.ID] != nil {
		o.DeliverTo = copyAddr(o.DeliverTo)
	} else {
		o.DeliverTo = st.addAddress(o.DeliverTo)
	}
	if o.BillingAddress == nil && rec.customerID != 0 {
		o.BillingAddress = copyAddr(st.customers[rec.customerID].BillingAddress)
	} else {
		o.BillingAddress = copyAddr(o.BillingAddress)
	}
}

// seedNotes gives the payment, notes and tags their ids (and the notes
// their order and time), copying each so the caller's order is not shared.
func (st *state) seedNotes(o *veeqo.Order, created time.Time) {
	if o.Payment != nil {
		p := *o.Payment
		if p.ID == 0 {
			p.ID = st.id("payment")
		}
		o.Payment = &p
	}
	if o.CustomerNote != nil {
		n := *o.CustomerNote
		n.ID, n.OrderID, n.CreatedAt = cmp.Or(n.ID, st.id("note")), o.ID, orNow(n.CreatedAt, created)
		o.CustomerNote = &n
	}
	notes := make([]veeqo.Note, 0, len(o.EmployeeNotes))
	for _, n := range o.EmployeeNotes {
		n.ID, n.OrderID, n.CreatedAt = cmp.Or(n.ID, st.id("note")), o.ID, orNow(n.CreatedAt, created)
		notes = append(notes, n)
	}
	o.EmployeeNotes = notes
	tags := make([]veeqo.Tag, 0, len(o.Tags))
	for _, t := range o.Tags {
		if t.ID == 0 {
			t.ID = st.id("tag")
		}
		tags = append(tags, t)
	}
	o.Tags = tags
}

// seedLine stores one line item: its sellable (created if unknown), id,
// a quantity of at least 1, title and timestamps.
func (st *state) seedLine(li veeqo.LineItem, created, now time.Time) *lineRec {
	sid := st.refSellable(li.Sellable, li.Title, now)
	li.Sellable = nil
	if li.ID == 0 {
		li.ID = st.id("line")
	}
	if li.Quantity <= 0 {
		li.Quantity = 1
	}
	if li.Title == "" {
		li.Title = st.sellables[sid].FullTitle
	}
	li.CreatedAt = orNow(li.CreatedAt, created)
	li.UpdatedAt = orNow(li.UpdatedAt, li.CreatedAt)
	return &lineRec{li: li, sellableID: sid}
}

// seedAllocation stores one of a seeded order's allocations, and its
// shipment if it has one; it returns when that shipment was created (zero
// without one).
func (st *state) seedAllocation(rec *orderRec, a veeqo.Allocation, created, now time.Time) time.Time {
	wid := st.refWarehouse(a.Warehouse, now)
	if wid == 0 {
		wid = st.defaultWarehouse(rec)
	}
	if wid == 0 {
		wid = st.addWarehouse(veeqo.Warehouse{Name: "Main warehouse"}, now).ID
	}
	var lines []allocLine
	for _, l := range a.LineItems {
		lines = append(lines, allocLine{sellableID: st.refSellable(l.Sellable, "", now), qty: max(l.Quantity, 1), picked: l.PickedQuantity})
	}
	ar := st.allocate(rec, wid, lines, orNow(a.CreatedAt, created))
	if a.ID > 0 {
		ar.id = a.ID
		st.next["allocation"] = max(st.next["allocation"], a.ID+1)
	}
	ar.updated = orNow(a.UpdatedAt, ar.created)
	if a.PackedCompletely != nil {
		b := *a.PackedCompletely
		ar.packed = &b
	}
	if a.Shipment == nil {
		return time.Time{}
	}
	sh := copyShipment(a.Shipment)
	sh.ID = st.claim("shipment", sh.ID, func(id int64) bool { _, ok := st.shipments[id]; return ok })
	sh.AllocationID, sh.OrderID = ar.id, rec.o.ID
	sh.CreatedAt = orNow(sh.CreatedAt, ar.updated)
	sh.UpdatedAt = orNow(sh.UpdatedAt, sh.CreatedAt)
	switch {
	case sh.Carrier == nil:
		sh.Carrier = st.carrier(sh.CarrierID, "")
	case sh.Carrier.ID == 0:
		sh.Carrier = st.carrier(sh.CarrierID, sh.Carrier.Name)
	}
	sh.CarrierID = sh.Carrier.ID
	if sh.TrackingNumber != nil && sh.TrackingNumber.ID == 0 {
		sh.TrackingNumber.ID = st.id("tracking")
	}
	st.attachShipment(rec, ar, sh)
	return sh.CreatedAt
}
