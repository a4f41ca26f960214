package veeqotest

import (
	"github.com/shopspring/decimal"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// Catalog is a catalogue to seed in one call: a warehouse, channels that
// ship from it, delivery methods and products with one sellable each.
type Catalog struct {
	Warehouse       string
	Channels        []veeqo.Channel // DefaultWarehouse is set to the warehouse
	DeliveryMethods []veeqo.DeliveryMethod
	Products        []CatalogProduct
}

// CatalogProduct is a product with a single sellable.
type CatalogProduct struct {
	SKU, Title string
	Price      decimal.Decimal
}

// Seeded is what Seed stored, for a test or a demo to refer to.
type Seeded struct {
	Warehouse veeqo.Warehouse
	Channels  map[string]veeqo.Channel // by name
	SKUs      map[string]int64         // SKU -> sellable id
}

// Seed stores a catalogue, in order: the warehouse, the channels, the
// delivery methods, the products (ids are therefore stable for a fresh
// Server).
func (s *Server) Seed(c Catalog) Seeded {
	out := Seeded{Channels: map[string]veeqo.Channel{}, SKUs: map[string]int64{}}
	out.Warehouse = s.AddWarehouse(veeqo.Warehouse{Name: c.Warehouse})
	for _, ch := range c.Channels {
		wh := out.Warehouse
		ch.DefaultWarehouse = &wh
		out.Channels[ch.Name] = s.AddChannel(ch)
	}
	for _, d := range c.DeliveryMethods {
		s.AddDeliveryMethod(d)
	}
	for _, p := range c.Products {
		got := s.AddProduct(veeqo.Product{Title: p.Title, Sellables: []veeqo.Sellable{{SKUCode: p.SKU, Title: p.Title, Price: p.Price}}})
		out.SKUs[p.SKU] = got.Sellables[0].ID
	}
	return out
}

// DemoCatalog is the catalogue veeqoctl's starter config maps to (veeqoctl
// fake serves it): warehouse "Main"; channels "Web Store" (direct) and
// "Amazon US" (amazon); delivery methods "Standard" and "Express"; products
// MUG-1, TEE-1, CAP-1 and MISC-ITEM, the default SKU.
func DemoCatalog() Catalog {
	price := decimal.NewFromInt(10)
	return Catalog{
		Warehouse: "Main",
		Channels: []veeqo.Channel{
			{Name: "Web Store", TypeCode: veeqo.ChannelDirect},
			{Name: "Amazon US", TypeCode: veeqo.ChannelAmazon},
		},
		DeliveryMethods: []veeqo.DeliveryMethod{{Name: "Standard", Cost: decimal.NewFromInt(5)}, {Name: "Express", Cost: decimal.NewFromInt(15)}},
		Products: []CatalogProduct{
			{SKU: "MUG-1", Title: "Mug", Price: price},
			{SKU: "TEE-1", Title: "T-shirt", Price: price},
			{SKU: "CAP-1", Title: "Cap", Price: price},
			{SKU: "MISC-ITEM", Title: "Miscellaneous item", Price: price},
		},
	}
}
