package veeqotest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// ExampleStart seeds a channel and a product, creates an order over HTTP as
// a client would, ships it as the warehouse staff would, and reads the
// shipment back.
func ExampleStart() {
	clock := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	srv, err := veeqotest.Start(veeqotest.WithClock(clock), veeqotest.WithPathPrefix("/api"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	wh := srv.AddWarehouse(veeqo.Warehouse{Name: "Main"})
	ch := srv.AddChannel(veeqo.Channel{Name: "Web shop", DefaultWarehouse: &wh})
	p := srv.AddProduct(veeqo.Product{Title: "Mug", Sellables: []veeqo.Sellable{{SKUCode: "MUG-1"}}})

	body := fmt.Sprintf(`{"order":{"channel_id":%d,"number":"SO-1001",
		"customer_attributes":{"email":"ann@example.com"},
		"deliver_to_attributes":{"first_name":"Ann","address1":"1 Main St","city":"Leeds","zip":"LS1","country":"GB"},
		"line_items_attributes":[{"sellable_id":"%d","quantity":"2","price_per_unit":"9.50"}]}}`,
		ch.ID, p.Sellables[0].ID)
	req, _ := http.NewRequest("POST", srv.URL()+"/orders", strings.NewReader(body))
	req.Header.Set("x-api-key", srv.APIKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	var created veeqo.Order
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, created.Number, created.Status, created.TotalPrice)

	if _, err := srv.ShipAll(created.ID, veeqotest.ShipInfo{TrackingNumber: "1Z999", CarrierID: 5, ServiceName: "Ground"}); err != nil {
		fmt.Println(err)
		return
	}
	o, _ := srv.Order(created.ID)
	sh := o.Allocations[0].Shipment
	fmt.Println(o.Status, sh.Carrier.Name, sh.Tracking(), sh.Service(), o.ShippedAt.Format(time.RFC3339))
	fmt.Println(srv.Count("POST", "/orders"), "order created")
	// Output:
	// 201 SO-1001 awaiting_fulfillment 19
	// shipped UPS 1Z999 Ground 2026-01-02T03:04:05Z
	// 1 order created
}

// ExampleServer_AddOrder seeds orders as Veeqo would have imported them
// from Amazon and polls them the way a fulfilment reader does: by
// updated_at_min, newest first, with the paging headers.
func ExampleServer_AddOrder() {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	srv, err := veeqotest.Start(veeqotest.WithClock(func() time.Time { return now }))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	fba := srv.AddChannel(veeqo.Channel{Name: "Amazon US FBA", TypeCode: veeqo.ChannelAmazonFBA})
	mug := veeqo.Sellable{SKUCode: "MUG-1"}
	// Shipped by Amazon: a placeholder shipment without tracking.
	srv.AddOrder(veeqo.Order{Number: "111-0000001-0000001", Channel: &fba,
		LineItems: []veeqo.LineItem{{Sellable: &mug, Quantity: 1}},
		Allocations: []veeqo.Allocation{{
			LineItems: []veeqo.AllocationLineItem{{Sellable: &mug, Quantity: 1}},
			Shipment:  &veeqo.Shipment{Carrier: &veeqo.Carrier{Name: "Amazon"}},
		}}})
	open := srv.AddOrder(veeqo.Order{Number: "111-0000001-0000002", Channel: &fba,
		LineItems: []veeqo.LineItem{{Sellable: &mug, Quantity: 2}}})

	now = now.Add(time.Hour)
	if _, err := srv.ShipPartial(open.ID, map[int64]int{open.LineItems[0].Sellable.ID: 1}, veeqotest.ShipInfo{TrackingNumber: "TBA1", CarrierName: "Amazon"}); err != nil {
		fmt.Println(err)
		return
	}

	req, _ := http.NewRequest("GET", srv.URL()+"/orders?page_size=100&updated_at_min=2026-05-01+09:30:00", nil)
	req.Header.Set("x-api-key", srv.APIKey())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var orders []veeqo.Order
	_ = json.NewDecoder(resp.Body).Decode(&orders)
	fmt.Println("total:", resp.Header.Get("X-Total-Count"))
	for _, o := range orders {
		for _, a := range o.Allocations {
			fmt.Printf("%s %s qty=%d shipped=%v tracking=%q\n", o.Number, o.Status, a.LineItems[0].Quantity, a.Shipment != nil, a.Shipment.Tracking())
		}
	}
	// Output:
	// total: 1
	// 111-0000001-0000002 awaiting_fulfillment qty=1 shipped=false tracking=""
	// 111-0000001-0000002 awaiting_fulfillment qty=1 shipped=true tracking="TBA1"
}

// ExampleServer_CommitThenFail shows the fault a client must survive
// without creating a duplicate: the order is created but the response is
// lost.
func ExampleServer_CommitThenFail() {
	srv, err := veeqotest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ch := srv.AddChannel(veeqo.Channel{Name: "Shop", DefaultWarehouse: &veeqo.Warehouse{Name: "Main"}})
	p := srv.AddProduct(veeqo.Product{Title: "Mug", Sellables: []veeqo.Sellable{{SKUCode: "MUG-1"}}})
	srv.CommitThenFail(1, veeqotest.Match("POST", "/orders"))

	body := fmt.Sprintf(`{"order":{"channel_id":%d,"number":"SO-7","customer_attributes":{"email":"a@example.com"},
		"deliver_to_attributes":{"first_name":"A"},"line_items_attributes":[{"sellable_id":%d,"quantity":1,"price_per_unit":5}]}}`,
		ch.ID, p.Sellables[0].ID)
	req, _ := http.NewRequest("POST", srv.URL()+"/orders", strings.NewReader(body))
	req.Header.Set("x-api-key", srv.APIKey())
	_, err = http.DefaultClient.Do(req)
	fmt.Println("client saw an error:", err != nil)
	fmt.Println("orders numbered SO-7:", len(srv.OrdersByNumber("SO-7")))
	// Output:
	// client saw an error: true
	// orders numbered SO-7: 1
}
