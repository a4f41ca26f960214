package main

import (
	"context"
	"fmt"
	"strings"

	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// baseline is the usual way a connector exports orders to Veeqo, written
// honestly on the same client (same retries, same fake, same limit) but
// paced at 4 requests/s (scaled like the fake's drain) as such connectors
// are: per order, a lookup by number (skip it when Veeqo has it), a product
// search per line, a customer search, then the create. It reads the
// channel and delivery method once per run, as they would.
type baseline struct {
	c                 *veeqo.Client
	channelID, method int64
}

func newBaseline(ctx context.Context, c *veeqo.Client) (*baseline, error) {
	b := &baseline{c: c}
	chs, _, err := c.Channels.List(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("baseline: channels: %w", err)
	}
	for _, ch := range chs {
		if ch.Name == webChannel {
			b.channelID = ch.ID
		}
	}
	dms, _, err := c.DeliveryMethods.List(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("baseline: delivery methods: %w", err)
	}
	for _, dm := range dms {
		if dm.Name == "Standard" {
			b.method = dm.ID
		}
	}
	if b.channelID == 0 || b.method == 0 {
		return nil, fmt.Errorf("baseline: channel %q or delivery method Standard not found", webChannel)
	}
	return b, nil
}

// export exports orders one after the other; it returns how many it
// created.
func (b *baseline) export(ctx context.Context, orders []vsync.ERPOrder) (int, error) {
	created := 0
	for _, o := range orders {
		found, _, err := b.c.Orders.List(ctx, &veeqo.OrderListOptions{Query: o.Number})
		if err != nil {
			return created, fmt.Errorf("baseline: look up %s: %w", o.Number, err)
		}
		exists := false
		for _, f := range found {
			exists = exists || f.Number == o.Number
		}
		if exists {
			continue
		}
		in := veeqo.OrderInput{ChannelID: b.channelID, Number: o.Number, DeliveryMethodID: b.method,
			DeliverTo: &veeqo.Address{FirstName: o.ShipTo.FirstName, LastName: o.ShipTo.LastName, Address1: o.ShipTo.Address1,
				City: o.ShipTo.City, State: o.ShipTo.State, Zip: o.ShipTo.Zip, Country: o.ShipTo.Country},
			Payment: &veeqo.Payment{PaymentType: veeqo.PaymentNone, ReferenceNumber: o.Number}}
		for _, l := range o.Lines {
			prods, _, err := b.c.Products.List(ctx, &veeqo.ProductListOptions{Query: l.SKU})
			if err != nil {
				return created, fmt.Errorf("baseline: product %s: %w", l.SKU, err)
			}
			var sid int64
			for _, p := range prods {
				for _, s := range p.Sellables {
					if s.SKUCode == l.SKU {
						sid = s.ID
					}
				}
			}
			if sid == 0 {
				return created, fmt.Errorf("baseline: no sellable with SKU %s", l.SKU)
			}
			in.LineItems = append(in.LineItems, veeqo.LineItemInput{SellableID: sid, Quantity: l.Quantity, PricePerUnit: l.UnitPrice})
		}
		custs, _, err := b.c.Customers.List(ctx, &veeqo.CustomerListOptions{Query: o.Customer.Email})
		if err != nil {
			return created, fmt.Errorf("baseline: customer %s: %w", o.Customer.Email, err)
		}
		for _, cu := range custs {
			if strings.EqualFold(cu.Email, o.Customer.Email) {
				in.CustomerID = cu.ID
			}
		}
		if in.CustomerID == 0 {
			in.Customer = &veeqo.CustomerInput{Email: o.Customer.Email}
		}
		if _, _, err := b.c.Orders.Create(ctx, &in); err != nil {
			return created, fmt.Errorf("baseline: create %s: %w", o.Number, err)
		}
		created++
	}
	return created, nil
}
