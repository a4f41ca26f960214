package mapping_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// ExampleNew wires the settings page's mappings to a (fake) Veeqo and maps
// one ERP order: store to channel, ship service to delivery method, carrier
// to carrier id, and lines to sellables with the default SKU as fallback.
func ExampleNew() {
	srv, err := veeqotest.Start(veeqotest.WithoutRateLimit())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	srv.AddChannel(veeqo.Channel{Name: "Shopify US", TypeCode: veeqo.ChannelDirect})
	srv.AddDeliveryMethod(veeqo.DeliveryMethod{Name: "Next Day"})
	srv.AddProduct(veeqo.Product{Title: "Mug", Sellables: []veeqo.Sellable{{SKUCode: "MUG-1"}}})
	srv.AddProduct(veeqo.Product{Title: "Misc", Sellables: []veeqo.Sellable{{SKUCode: "MISC"}}})

	client, err := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()), veeqo.WithRateLimit(100, 10))
	if err != nil {
		fmt.Println(err)
		return
	}
	settings := mapping.Settings{
		ItemIdentifier: mapping.Identifier{Kind: mapping.IdentSKU},
		DefaultSKU:     "MISC",
		CarrierMapping: mapping.TableConfig{Rows: []mapping.NameRow{{ERPName: "Fed Ex", VeeqoName: "FedEx"}}},
		ShipServiceMapping: mapping.TableConfig{Rows: []mapping.NameRow{
			{ERPName: "Overnight", VeeqoName: "Next Day"},
		}},
		StoreMapping: mapping.StoreConfig{Rows: []mapping.StoreRow{{ERPStore: "Web", VeeqoChannel: "Shopify US"}}},
	}
	m, err := mapping.New(settings, mapping.FromClient(client))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	ch, _ := m.Stores.ChannelFor(ctx, "web")
	dm, _, _ := m.DeliveryMethod(ctx, "Web", "OVERNIGHT")
	carrier, _ := m.Carriers.CarrierID("fed ex")
	fmt.Printf("channel %q, delivery method %q, carrier id %d\n", ch.Name, dm.Name, carrier.ID)

	lines, err := m.Items.Resolve(ctx, []mapping.Line{{Ref: "SO-1/1", SKU: "MUG-1"}, {Ref: "SO-1/2", SKU: "TEAPOT-9"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range lines {
		fmt.Printf("%s -> %s\n", l.Ref, l.Sellable.SKUCode)
		if l.Substitution != nil {
			fmt.Println("  warning:", l.Substitution)
		}
	}
	_, err = m.Carriers.CarrierID("Speedy Vans")
	fmt.Println(errors.Is(err, mapping.ErrUnmapped), err)
	// Output:
	// channel "Shopify US", delivery method "Next Day", carrier id 2
	// SO-1/1 -> MUG-1
	// SO-1/2 -> MISC
	//   warning: line 2 (SO-1/2): sku "TEAPOT-9" is not in Veeqo's catalogue (sku_code); default SKU "MISC" used
	// true mapping: carrier "Speedy Vans" is not in the carrier mapping (ERP -> Veeqo)
}

func ExampleNewShipServiceTable() {
	t, err := mapping.NewShipServiceTable(mapping.TableConfig{
		Unmapped: mapping.PolicyPassThrough,
		Rows: []mapping.NameRow{
			{ERPName: "Ground", VeeqoName: "Standard"},
			{ERPName: "Ground", VeeqoName: "Amazon Standard", Store: "Amazon"},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, q := range []struct{ store, name string }{{"Web", "ground"}, {"Amazon", "GROUND"}, {"Web", "Freight"}} {
		r, _ := t.ToVeeqo(q.store, q.name)
		fmt.Printf("%s/%s -> %s\n", q.store, q.name, r.Name)
		if w := r.Warning(); w != "" {
			fmt.Println("  warning:", w)
		}
	}
	back, _ := t.ToERP("Amazon", "amazon standard")
	fmt.Println("back:", back.Name)

	_, err = mapping.NewShipServiceTable(mapping.TableConfig{Rows: []mapping.NameRow{
		{ERPName: "Ground", VeeqoName: "Standard"},
		{ERPName: "Economy", VeeqoName: "standard"},
	}})
	fmt.Println(err)
	// Output:
	// Web/ground -> Standard
	// Amazon/GROUND -> Amazon Standard
	// Web/Freight -> Freight
	//   warning: ship service "Freight" is not in the ship service mapping (ERP -> Veeqo); passed through unchanged
	// back: Ground
	// mapping: ship service table: row 2: veeqo_name "standard" is already mapped from "Ground" by row 1; mapping it from "Economy" too would make the reverse direction (Veeqo -> ERP) ambiguous
}
