package main

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	stdsync "sync"
	"time"

	"github.com/shopspring/decimal"

	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// salesOrder is the host's own order row: its names, its codes. Nothing
// here is the library's.
type salesOrder struct {
	No       string
	Channel  string // the host's sales channel code: "web", "phone"
	Placed   time.Time
	PickWave string // "" until the order is released to the warehouse
	Buyer    string
	Email    string
	Street   string
	City     string
	Region   string
	Postcode string
	Country  string
	ShipVia  string // the host's ship-via code: GROUND, NEXTDAY, ...
	Items    []orderItem
	Status   string
	Tracking []string
}

// orderItem is one line of a salesOrder.
type orderItem struct {
	Line    int
	Item    string // the host's item code, equal to Veeqo's SKU here
	Qty     int
	Price   decimal.Decimal
	Shipped int
	Closed  bool
}

// acmeERP is the host's ERP behind the vsync.ERP seam: it turns its own
// rows into vsync.ERPOrder and applies vsync.ShipmentUpdate back to them.
// A real host does the same over its database, in one transaction per
// ApplyShipment that also records u.Key().
type acmeERP struct {
	mu      stdsync.Mutex
	orders  map[string]*salesOrder
	applied map[string]bool // ShipmentUpdate.Key() values already applied
}

var _ vsync.ERP = (*acmeERP)(nil)

// newAcmeERP returns the host's data: three orders on a pick wave, one not
// yet released, all placed at placed.
func newAcmeERP(placed time.Time) *acmeERP {
	ten := decimal.NewFromInt(10)
	mk := func(no, wave, via string, items ...orderItem) *salesOrder {
		for i := range items {
			items[i].Line = i + 1
			items[i].Price = ten
		}
		return &salesOrder{No: no, Channel: "web", Placed: placed, PickWave: wave, Buyer: "Robin Buyer",
			Email: strings.ToLower(no) + "@buyer.example", Street: "12 Elm St", City: "Albany", Region: "NY",
			Postcode: "12207", Country: "US", ShipVia: via, Items: items, Status: "released"}
	}
	e := &acmeERP{orders: map[string]*salesOrder{}, applied: map[string]bool{}}
	for _, so := range []*salesOrder{
		mk("ACME-1001", "PW-7", "GROUND", orderItem{Item: "TEE-1", Qty: 1}, orderItem{Item: "CAP-1", Qty: 2}),
		mk("ACME-1002", "PW-7", "NEXTDAY", orderItem{Item: "MUG-1", Qty: 3}, orderItem{Item: "GIFT-BOX", Qty: 1}), // GIFT-BOX: not sold in Veeqo
		mk("ACME-1003", "PW-7", "DRONE", orderItem{Item: "MUG-1", Qty: 1}),                                        // DRONE: not mapped
		mk("ACME-1004", "", "GROUND", orderItem{Item: "CAP-1", Qty: 1}),                                           // not released yet
	} {
		e.orders[so.No] = so
	}
	return e
}

// toERP converts the host's row to the engine's view of an order.
func toERP(so *salesOrder) vsync.ERPOrder {
	o := vsync.ERPOrder{
		Ref: so.No, Number: so.No, Wave: so.PickWave, Store: so.Channel, Source: so.Channel,
		Status: so.Status, CreatedAt: so.Placed, ShipService: so.ShipVia,
		Customer: vsync.Customer{Email: so.Email, Name: so.Buyer},
		ShipTo: vsync.Address{FirstName: strings.Fields(so.Buyer)[0], LastName: strings.Fields(so.Buyer)[1],
			Address1: so.Street, City: so.City, State: so.Region, Zip: so.Postcode, Country: so.Country},
	}
	for _, it := range so.Items {
		allocated := it.Qty - it.Shipped
		if it.Closed {
			allocated = 0
		}
		o.Lines = append(o.Lines, vsync.ERPLine{Ref: fmt.Sprint(it.Line), SKU: it.Item, Quantity: it.Qty,
			UnitPrice: it.Price, Shipped: it.Shipped, Allocated: allocated, Closed: it.Closed})
	}
	return o
}

// Candidates implements vsync.ERP: released orders placed since q.Since,
// narrowed by a manual run's fields, in order number order.
func (e *acmeERP) Candidates(ctx context.Context, q vsync.CandidateQuery) iter.Seq2[vsync.ERPOrder, error] {
	return func(yield func(vsync.ERPOrder, error) bool) {
		e.mu.Lock()
		var list []vsync.ERPOrder
		for _, so := range e.orders {
			switch {
			case len(q.Refs) > 0:
				if !slices.Contains(q.Refs, so.No) {
					continue
				}
			case so.PickWave == "",
				!q.Since.IsZero() && so.Placed.Before(q.Since),
				!q.From.IsZero() && so.Placed.Before(q.From),
				!q.To.IsZero() && !so.Placed.Before(q.To),
				q.Search != "" && !strings.Contains(strings.ToLower(so.No), strings.ToLower(q.Search)):
				continue
			}
			list = append(list, toERP(so))
		}
		e.mu.Unlock()
		slices.SortFunc(list, func(a, b vsync.ERPOrder) int { return strings.Compare(a.Ref, b.Ref) })
		for _, o := range list {
			if err := ctx.Err(); err != nil {
				yield(vsync.ERPOrder{}, err)
				return
			}
			if !yield(o, nil) {
				return
			}
		}
	}
}

// Order implements vsync.ERP.
func (e *acmeERP) Order(ctx context.Context, ref string) (vsync.ERPOrder, error) {
	if err := ctx.Err(); err != nil {
		return vsync.ERPOrder{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	so, ok := e.orders[ref]
	if !ok {
		return vsync.ERPOrder{}, fmt.Errorf("acme: order %q: %w", ref, vsync.ErrERPOrderNotFound)
	}
	return toERP(so), nil
}

// FindOrder implements vsync.ERP (used in fetch mode): the host's order
// numbers are what Veeqo shows as the number.
func (e *acmeERP) FindOrder(ctx context.Context, q vsync.FindQuery) (vsync.ERPOrder, error) {
	for _, n := range []string{q.Number, q.MarketplaceRef} {
		if n == "" {
			continue
		}
		if o, err := e.Order(ctx, n); err == nil {
			return o, nil
		}
	}
	return vsync.ERPOrder{}, fmt.Errorf("acme: no order numbered %q: %w", q.Number, vsync.ErrERPOrderNotFound)
}

// ApplyShipment implements vsync.ERP: once per u.Key(), each line's
// quantity, closing and reopening as the engine computed, the order's
// status and its tracking numbers.
func (e *acmeERP) ApplyShipment(ctx context.Context, u vsync.ShipmentUpdate) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.applied[u.Key()] {
		return nil // already applied: a repeat changes nothing
	}
	so, ok := e.orders[u.OrderRef]
	if !ok {
		return fmt.Errorf("acme: order %q: %w", u.OrderRef, vsync.ErrERPOrderNotFound)
	}
	for _, lu := range u.Lines {
		i := slices.IndexFunc(so.Items, func(it orderItem) bool { return fmt.Sprint(it.Line) == lu.LineRef })
		if i < 0 {
			return fmt.Errorf("acme: order %s has no line %s", so.No, lu.LineRef)
		}
		it := &so.Items[i]
		it.Shipped += lu.ShipQuantity
		it.Closed = (it.Closed || lu.Close) && !lu.Reopen
	}
	switch u.Kind {
	case vsync.KindVoid:
		so.Tracking = slices.DeleteFunc(so.Tracking, func(t string) bool { return slices.Contains(u.TrackingNumbers, t) })
	default:
		so.Tracking = append(so.Tracking, u.TrackingNumbers...)
	}
	if u.Status != "" {
		so.Status = u.Status
	}
	e.applied[u.Key()] = true
	return nil
}
