package sync_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/xoroerp/veeqoconnect/store/memstore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// ExampleEngine_Run wires an engine to a (fake) Veeqo, an in-memory store
// and an in-memory ERP, exports one order, and imports its shipment.
func ExampleEngine_Run() {
	now := time.Date(2026, 11, 2, 16, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	srv, err := veeqotest.Start(veeqotest.WithClock(clock))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	wh := srv.AddWarehouse(veeqo.Warehouse{Name: "Main"})
	srv.AddChannel(veeqo.Channel{Name: "Web Shop", DefaultWarehouse: &wh})
	srv.AddDeliveryMethod(veeqo.DeliveryMethod{Name: "Standard"})
	srv.AddProduct(veeqo.Product{Title: "Mug", Sellables: []veeqo.Sellable{{SKUCode: "MUG-1"}}})

	erp := vsync.NewMemoryERP(vsync.ERPOrder{
		Ref: "SO-1001", Number: "SO-1001", Wave: "W1", Store: "Web", ShipService: "Ground", CreatedAt: now,
		Customer: vsync.Customer{Email: "ann@example.com", Name: "Ann Lee"},
		ShipTo:   vsync.Address{Address1: "1 Main St", City: "Portland", Zip: "97201", Country: "US"},
		Lines:    []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 2, UnitPrice: decimal.NewFromInt(9)}},
	})
	client, err := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()), veeqo.WithRateLimit(rate.Limit(100), 10))
	if err != nil {
		fmt.Println(err)
		return
	}
	eng, err := vsync.New(vsync.Config{
		Account: "acme",
		Settings: vsync.Settings{
			Account:            "acme",
			ExportOrders:       true,
			StoreMapping:       vsync.Stores(vsync.StoreMapping{ERPStore: "Web", VeeqoChannel: "Web Shop"}),
			ShipServiceMapping: vsync.Names(vsync.NameMapping{ERPName: "Ground", VeeqoName: "Standard"}),
			CarrierMapping:     vsync.Names(vsync.NameMapping{ERPName: "UPS Inc", VeeqoName: "UPS"}),
		},
		Store: memstore.New(memstore.WithClock(clock)),
		ERP:   erp,
		Veeqo: vsync.ClientAPI(client),
		Clock: clock,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	rep, err := eng.Run(ctx, vsync.RunOptions{Trigger: "example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("run 1:", rep.Status, "exported", rep.Exported)

	vo := srv.OrdersByNumber("SO-1001")[0]
	if _, err := srv.ShipAll(vo.ID, veeqotest.ShipInfo{TrackingNumber: "1Z999", CarrierID: 5}); err != nil {
		fmt.Println(err)
		return
	}
	rep, err = eng.Run(ctx, vsync.RunOptions{Trigger: "example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("run 2:", rep.Status, "confirmations applied", rep.ConfirmationsApplied)
	o, _ := erp.Order(ctx, "SO-1001")
	u := erp.Applied()[0]
	fmt.Println(o.Status, o.Lines[0].Shipped, "of", o.Lines[0].Quantity, u.Carrier, u.TrackingNumbers)
	// Output:
	// run 1: succeeded exported 1
	// run 2: succeeded confirmations applied 1
	// shipped 2 of 2 UPS Inc [1Z999]
}

// ExampleComputeUpdate shows the multishipment rule on a partial shipment:
// allowed, the line stays open; disabled, the first shipment is final.
func ExampleComputeUpdate() {
	order := vsync.ERPOrder{Ref: "SO-1", Lines: []vsync.ERPLine{
		{Ref: "1", Quantity: 2, Allocated: 2},
		{Ref: "2", Quantity: 1, Allocated: 1},
	}}
	c := vsync.Confirmation{ShipmentID: 501, Quantities: map[string]int{"1": 1}, TrackingNumbers: []string{"1Z"}}
	for _, disable := range []bool{false, true} {
		u, dec := vsync.ComputeUpdate(order, c, disable, false)
		fmt.Printf("disable=%v: %s, status %s, final %v\n", disable, dec, u.Status, u.Final)
		for _, l := range u.Lines {
			fmt.Printf("  line %s: ship %d, shipped %d, close %v, unallocate %d\n", l.LineRef, l.ShipQuantity, l.ShippedTotal, l.Close, l.Unallocate)
		}
	}
	_, dec := vsync.ComputeUpdate(order, c, true, true)
	fmt.Println("a later shipment when the first was final:", dec)
	// Output:
	// disable=false: apply, status partially_shipped, final false
	//   line 1: ship 1, shipped 1, close false, unallocate 0
	// disable=true: apply, status closed, final true
	//   line 1: ship 1, shipped 1, close true, unallocate 1
	//   line 2: ship 0, shipped 0, close true, unallocate 1
	// a later shipment when the first was final: ignore
}

// ExampleSchedule_Next computes run times from the settings page's fields,
// across the 2026 spring-forward in Los Angeles: 02:30 does not exist on
// March 8, so the slot is the change itself (03:00 PDT), and the offset runs
// 10 minutes before that instant.
func ExampleSchedule_Next() {
	s := vsync.Settings{TimeZone: "(UTC-08:00) Pacific Time (US and Canada)", Hour: 2, Minute: 30, StartOffsetMinutes: -10}
	sch, err := s.Schedule()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range sch.NextN(time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC), 3) {
		fmt.Println(t.In(sch.Location()).Format("Mon Jan 2 15:04 MST"))
	}
	// Output:
	// Sat Mar 7 02:20 PST
	// Sun Mar 8 01:50 PST
	// Mon Mar 9 02:20 PDT
}

// ExampleSettings_Validate shows that every problem is reported at once,
// each naming its JSON field.
func ExampleSettings_Validate() {
	s := vsync.Settings{Account: "acme", ExportOrders: true, FetchFulfillments: true, Hour: 25, StartOffsetMinutes: 15, TimeZone: "Mars/Base"}
	fmt.Println(s.Validate())
	// Output:
	// vsync: invalid settings: export_orders: cannot be on together with fetch_fulfillments: choose one direction; time_zone: unknown time zone "Mars/Base" (use an IANA name such as America/Los_Angeles or a label such as "(UTC-08:00) Pacific Time (US and Canada)"); hour: 25 is not in 0-23; start_offset_minutes: 15 must be zero or negative
}
