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
