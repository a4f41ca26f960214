package veeqotest

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// First ids of each kind. Order ids start above the int32 range so that a
// truncating client shows up in tests; the ranges differ so that mixing up
// ids of two kinds finds nothing.
const (
	firstOrderID      = 1<<31 + 1000
	firstWarehouseID  = 101
	firstChannelID    = 201
	firstDeliveryID   = 301
	firstProductID    = 1001
	firstSellableID   = 5001
	firstCustomerID   = 7001
	firstAddressID    = 9001
	firstLineItemID   = 100001
	firstAllocationID = 200001
	firstShipmentID   = 300001
	firstTrackingID   = 400001
	firstNoteID       = 500001
	firstPaymentID    = 600001
	firstTagID        = 700001
	firstAllocLineID  = 800001
)

type stockKey struct{ sellable, warehouse int64 }

type channelRec struct {
	ch          veeqo.Channel // DefaultWarehouse is nil; see warehouseID
	warehouseID int64
}

type productRec struct {
	p           veeqo.Product // Sellables nil; see sellableIDs
	sellableIDs []int64
}

type lineRec struct {
	li         veeqo.LineItem // Sellable nil; see sellableID
	sellableID int64
}

type allocLine struct {
	id         int64
	sellableID int64
	qty        int
	picked     int
}

type allocRec struct {
	id          int64
	warehouseID int64
	created     time.Time
	updated     time.Time
	packed      *bool
	lines       []allocLine
	shipment    *veeqo.Shipment
}

type orderRec struct {
	// o holds the scalar fields; Channel, Customer, DeliveryMethod,
	// LineItems, Allocations and Status are filled in by render.
	o                veeqo.Order
	override         veeqo.OrderStatus
	channelID        int64
	customerID       int64
	deliveryMethodID int64
	lines            []*lineRec
	allocs           []*allocRec
	hidden           bool // ClearAllocations: allocations read as []
}

// state is the whole fake account. Every access holds Server.mu.
type state struct {
	warehouses      map[int64]*veeqo.Warehouse
	warehouseIDs    []int64 // the keys of warehouses, ascending (stock entries walk it)
	channels        map[int64]*channelRec
	deliveryMethods map[int64]*veeqo.DeliveryMethod
	products        map[int64]*productRec
	sellables       map[int64]*veeqo.Sellable
	customers       map[int64]*veeqo.Customer
	addresses       map[int64]*veeqo.Address
	orders          map[int64]*orderRec
	orderIDs        []int64            // the keys of orders, ascending (lists walk it)
	shipments       map[int64][2]int64 // shipment id -> order id, allocation id
	stock           map[stockKey]int   // physical level where finite
	allocated       map[stockKey]int   // unshipped allocated quantity
	carrierIDs      map[string]int64   // synthetic ids for unknown carrier names
	next            map[string]int64
}

func newState() *state {
	return &state{
		warehouses:      map[int64]*veeqo.Warehouse{},
		channels:        map[int64]*channelRec{},
		deliveryMethods: map[int64]*veeqo.DeliveryMethod{},
		products:        map[int64]*productRec{},
		sellables:       map[int64]*veeqo.Sellable{},
		customers:       map[int64]*veeqo.Customer{},
		addresses:       map[int64]*veeqo.Address{},
		orders:          map[int64]*orderRec{},
		shipments:       map[int64][2]int64{},
		stock:           map[stockKey]int{},
		allocated:       map[stockKey]int{},
		carrierIDs:      map[string]int64{},
		next: map[string]int64{
			"order": firstOrderID, "warehouse": firstWarehouseID, "channel": firstChannelID,
			"delivery": firstDeliveryID, "product": firstProductID, "sellable": firstSellableID,
			"customer": firstCustomerID, "address": firstAddressID, "line": firstLineItemID,
			"allocation": firstAllocationID, "shipment": firstShipmentID, "tracking": firstTrackingID,
			"note": firstNoteID, "payment": firstPaymentID, "tag": firstTagID, "allocline": firstAllocLineID,
			"carrier": 1001,
		},
	}
}

// id returns a fresh id of a kind.
func (st *state) id(kind string) int64 {
	v := st.next[kind]
	st.next[kind] = v + 1
	return v
}

// claim returns want when it is positive and free, else a fresh id; it keeps
// the counter above every id handed out.
func (st *state) claim(kind string, want int64, taken func(int64) bool) int64 {
	if want > 0 && !taken(want) {
		if want >= st.next[kind] {
			st.next[kind] = want + 1
		}
		return want
	}
	for {
		id := st.id(kind)
		if !taken(id) {
			return id
		}
	}
}

func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return ms(t)
}

func copyTime(p *time.Time) *time.Time {
	if p == nil {
		return nil
	}
	t := ms(*p)
	return &t
}

func copyAddr(a *veeqo.Address) *veeqo.Address {
	if a == nil {
		return nil
	}
	c := *a
	return &c
}

// ---- warehouses, channels, delivery methods ----

func (st *state) addWarehouse(w veeqo.Warehouse, now time.Time) *veeqo.Warehouse {
	w.ID = st.claim("warehouse", w.ID, func(id int64) bool { return st.warehouses[id] != nil })
	if w.Name == "" {
		w.Name = "Warehouse " + itoa(w.ID)
	}
	w.CreatedAt = orNow(w.CreatedAt, now)
	w.UpdatedAt = orNow(w.UpdatedAt, w.CreatedAt)
	st.warehouses[w.ID] = &w
	i, _ := slices.BinarySearch(st.warehouseIDs, w.ID)
	st.warehouseIDs = slices.Insert(st.warehouseIDs, i, w.ID)
	return &w
}

func (st *state) warehouse(id int64) *veeqo.Warehouse {
	w := st.warehouses[id]
	if w == nil {
		return nil
	}
	c := *w
	return &c
}

// refWarehouse resolves a warehouse reference in seeded data, adding an
// unknown one.
func (st *state) refWarehouse(w *veeqo.Warehouse, now time.Time) int64 {
	if w == nil {
		return 0
	}
	if w.ID != 0 && st.warehouses[w.ID] != nil {
		return w.ID
	}
	return st.addWarehouse(*w, now).ID
}

func (st *state) addChannel(c veeqo.Channel, now time.Time) veeqo.Channel {
	rec := &channelRec{warehouseID: st.refWarehouse(c.DefaultWarehouse, now)}
	c.DefaultWarehouse = nil
	c.ID = st.claim("channel", c.ID, func(id int64) bool { return st.channels[id] != nil })
	if c.TypeCode == "" {
		c.TypeCode = veeqo.ChannelDirect
	}
	if c.Name == "" {
		c.Name = "Channel " + itoa(c.ID)
	}
	if c.State == "" {
		c.State = "active"
	}
	if c.CurrencyCode == "" {
		c.CurrencyCode = "USD"
	}
	c.CreatedAt = orNow(c.CreatedAt, now)
	c.UpdatedAt = orNow(c.UpdatedAt, c.CreatedAt)
	if c.AmazonChannelSpecific != nil {
		a := *c.AmazonChannelSpecific
		c.AmazonChannelSpecific = &a
	}
	rec.ch = c
	st.channels[c.ID] = rec
	return st.channel(c.ID)
}

func (st *state) channel(id int64) veeqo.Channel {
	rec := st.channels[id]
	c := rec.ch
	if c.AmazonChannelSpecific != nil {
		a := *c.AmazonChannelSpecific
		c.AmazonChannelSpecific = &a
	}
	c.DefaultWarehouse = st.warehouse(rec.warehouseID)
	return c
}

func (st *state) addDeliveryMethod(d veeqo.DeliveryMethod, now time.Time) veeqo.DeliveryMethod {
	d.ID = st.claim("delivery", d.ID, func(id int64) bool { return st.deliveryMethods[id] != nil })
	if d.Name == "" {
		d.Name = "Delivery method " + itoa(d.ID)
	}
	d.CreatedAt = orNow(d.CreatedAt, now)
	d.UpdatedAt = orNow(d.UpdatedAt, d.CreatedAt)
	st.deliveryMethods[d.ID] = &d
	return d
}

// ---- products, sellables, stock ----

func (st *state) addProduct(p veeqo.Product, now time.Time) veeqo.Product {
	p.ID = st.claim("product", p.ID, func(id int64) bool { return st.products[id] != nil })
	if p.Title == "" {
		p.Title = "Product " + itoa(p.ID)
	}
	p.CreatedAt = orNow(p.CreatedAt, now)
	p.UpdatedAt = orNow(p.UpdatedAt, p.CreatedAt)
	p.DeletedAt = copyTime(p.DeletedAt)
	rec := &productRec{}
	for _, s := range p.Sellables {
		s.ID = st.claim("sellable", s.ID, func(id int64) bool { return st.sellables[id] != nil })
		s.ProductID = p.ID
		if s.Type == "" {
			s.Type = "ProductVariant"
		}
		if s.ProductTitle == "" {
			s.ProductTitle = p.Title
		}
		if s.Title == "" {
			s.Title = s.SKUCode
		}
		if s.FullTitle == "" {
			s.FullTitle = p.Title
			if s.Title != "" && s.Title != p.Title {
				s.FullTitle += " - " + s.Title
			}
		}
		for _, e := range s.StockEntries {
			if e.WarehouseID != 0 && !e.Infinite {
				st.stock[stockKey{s.ID, e.WarehouseID}] = e.PhysicalStockLevel
			}
		}
		s.StockEntries = nil
		st.sellables[s.ID] = &s
		rec.sellableIDs = append(rec.sellableIDs, s.ID)
	}
	p.Sellables = nil
	rec.p = p
	st.products[p.ID] = rec
	return st.product(p.ID)
}

func (st *state) product(id int64) veeqo.Product {
	rec := st.products[id]
	p := rec.p
	p.DeletedAt = copyTime(p.DeletedAt)
	p.Sellables = make([]veeqo.Sellable, 0, len(rec.sellableIDs))
	for _, sid := range rec.sellableIDs {
		p.Sellables = append(p.Sellables, *st.sellable(sid))
	}
	return p
}

// sellable renders a sellable with a stock entry per warehouse.
func (st *state) sellable(id int64) *veeqo.Sellable {
	return st.renderSellable(id, nil, nil)
}

// sellableSlab renders the sellables of one order in two allocations (the
// sellables, their stock entries) instead of two each; each one taken is as
// sellable renders it and shares nothing with the state or the others.
type sellableSlab struct {
	st      *state
	items   []veeqo.Sellable
	entries []veeqo.StockEntry
}

// newSellableSlab makes room for n sellables.
func (st *state) newSellableSlab(n int) *sellableSlab {
	return &sellableSlab{st: st, items: make([]veeqo.Sellable, n), entries: make([]veeqo.StockEntry, n*len(st.warehouseIDs))}
}

// take renders sellable id in the slab's next place (nil when there is no
// such sellable, as sellable returns); past its room, as sellable does.
func (sl *sellableSlab) take(id int64) *veeqo.Sellable {
	if len(sl.items) == 0 {
		return sl.st.sellable(id)
	}
	w := len(sl.st.warehouseIDs)
	s := sl.st.renderSellable(id, &sl.items[0], sl.entries[:0:w])
	if s != nil {
		sl.items, sl.entries = sl.items[1:], sl.entries[w:]
	}
	return s
}

// renderSellable is sellable's work: into dst (a new one when nil), its
// stock entries appended to entries (empty, of capacity one per warehouse;
// nil allocates them).
func (st *state) renderSellable(id int64, dst *veeqo.Sellable, entries []veeqo.StockEntry) *veeqo.Sellable {
	s0 := st.sellables[id]
	if s0 == nil {
		return nil
	}
	if dst == nil {
		dst = new(veeqo.Sellable)
	}
	*dst = *s0
	s := dst
	s.StockEntries = nil
	if len(st.warehouseIDs) > 0 {
		if entries == nil {
			entries = make([]veeqo.StockEntry, 0, len(st.warehouseIDs))
		}
		s.StockEntries = entries
	}
	for _, wid := range st.warehouseIDs {
		k := stockKey{id, wid}
		e := veeqo.StockEntry{SellableID: id, WarehouseID: wid, AllocatedStockLevel: st.allocated[k]}
		if phys, ok := st.stock[k]; ok {
			e.PhysicalStockLevel = phys
			e.AvailableStockLevel = phys - e.AllocatedStockLevel
		} else {
			e.Infinite = true
		}
		s.StockEntries = append(s.StockEntries, e)
	}
	return s
}

// sellableBySKU returns the lowest-id sellable with exactly this SKU.
func (st *state) sellableBySKU(sku string) int64 {
	var best int64
	for id, s := range st.sellables {
		if s.SKUCode == sku && (best == 0 || id < best) {
			best = id
		}
	}
	return best
}

// refSellable resolves a sellable in seeded data by id, then by SKU, and
// adds a product for an unknown one.
func (st *state) refSellable(s *veeqo.Sellable, title string, now time.Time) int64 {
	if s == nil {
		s = &veeqo.Sellable{Title: title}
	}
	if s.ID != 0 && st.sellables[s.ID] != nil {
		return s.ID
	}
	if s.SKUCode != "" {
		if id := st.sellableBySKU(s.SKUCode); id != 0 {
			return id
		}
	}
	pt := cmp.Or(s.ProductTitle, s.Title, s.SKUCode, title)
	p := st.addProduct(veeqo.Product{Title: pt, Sellables: []veeqo.Sellable{*s}}, now)
	return p.Sellables[0].ID
}

// canAllocate reports whether qty more of a sellable fits in a warehouse.
func (st *state) canAllocate(sid, wid int64, qty int) bool {
	k := stockKey{sid, wid}
	phys, finite := st.stock[k]
	return !finite || phys-st.allocated[k] >= qty
}

// ---- customers and addresses ----

func (st *state) addAddress(a *veeqo.Address) *veeqo.Address {
	if a == nil {
		return nil
	}
	c := *a
	c.ID = st.claim("address", c.ID, func(id int64) bool { return st.addresses[id] != nil })
	st.addresses[c.ID] = &c
	out := c
	return &out
}

func (st *state) addCustomer(c veeqo.Customer, now time.Time) veeqo.Customer {
	c.ID = st.claim("customer", c.ID, func(id int64) bool { return st.customers[id] != nil })
	c.BillingAddress = st.addAddress(c.BillingAddress)
	addrs := make([]veeqo.Address, 0, len(c.ShippingAddresses))
	for i := range c.ShippingAddresses {
		addrs = append(addrs, *st.addAddress(&c.ShippingAddresses[i]))
	}
	c.ShippingAddresses = addrs
	if c.CustomerType == "" {
		c.CustomerType = "retail"
	}
	if c.FullName == "" && c.BillingAddress != nil {
		c.FullName = strings.TrimSpace(c.BillingAddress.FirstName + " " + c.BillingAddress.LastName)
	}
	c.CreatedAt = orNow(c.CreatedAt, now)
	c.UpdatedAt = orNow(c.UpdatedAt, c.CreatedAt)
	st.customers[c.ID] = &c
	return st.customer(c.ID)
}

func (st *state) customer(id int64) veeqo.Customer {
	c := *st.customers[id]
	c.BillingAddress = copyAddr(c.BillingAddress)
	c.ShippingAddresses = slices.Clone(c.ShippingAddresses)
	return c
}

// sortedKeys returns a map's keys ascending, or descending.
func sortedKeys[V any](m map[int64]V, desc bool) []int64 {
	ks := make([]int64, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	if desc {
		slices.Reverse(ks)
	}
	return ks
}
