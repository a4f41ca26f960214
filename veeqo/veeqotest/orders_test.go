package veeqotest_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

func path(format string, ids ...int64) string {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return fmt.Sprintf(format, args...)
}

func TestCreateOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	body := fmt.Sprintf(`{"order":{"channel_id":"%d","number":"SO-1","delivery_method_id":%d,
		"customer_attributes":{"email":"new@example.com","billing_address_attributes":{"first_name":"Neo","last_name":"Anders"}},
		"deliver_to_attributes":{"first_name":"Neo","address1":"1 Loop","city":"Zion","country":"US"},
		"due_date":"31/01/2027","delivery_cost":"2.50","total_tax":1.2,
		"line_items_attributes":[{"sellable_id":"%d","quantity":"2","price_per_unit":"75.000","tax_rate":0.2,"taxless_discount_per_unit":"1.00","additional_options":"gift wrap"},
		                         {"sellable_id":%d,"quantity":1,"price_per_unit":3}],
		"payment_attributes":{"payment_type":"paypal","reference_number":"PP1"},
		"customer_note_attributes":{"text":"Ring the bell"},
		"employee_notes_attributes":[{"text":"Fragile"}]}}`, f.direct.ID, f.delivery.ID, f.mug.ID, f.cup.ID)
	r := call(t, f.srv, "POST", "/orders", body)
	require.Equal(t, 201, r.status, "%s", r.body)
	var o veeqo.Order
	r.decode(t, &o)
	require.Equal(t, f.srv.URL()+"/orders/"+strconv.FormatInt(o.ID, 10), r.header.Get("Location"))
	require.Greater(t, o.ID, int64(1<<31), "order ids exceed int32")
	require.Equal(t, "SO-1", o.Number)
	require.Equal(t, veeqo.StatusAwaitingFulfillment, o.Status)
	require.True(t, o.AllocatedCompletely)
	require.Equal(t, f.direct.ID, o.Channel.ID)
	require.Equal(t, f.wh.ID, o.Channel.DefaultWarehouse.ID)
	require.Equal(t, "new@example.com", o.Customer.Email)
	require.Equal(t, "Neo Anders", o.Customer.FullName)
	require.Len(t, o.Customer.ShippingAddresses, 1)
	require.Equal(t, "Zion", o.DeliverTo.City)
	require.Equal(t, "Neo", o.BillingAddress.FirstName)
	require.Equal(t, f.delivery.ID, o.DeliveryMethod.ID)
	require.Equal(t, "2027-01-31", o.DueDate.Format("2006-01-02"))
	require.Equal(t, veeqo.PaymentPaypal, o.Payment.PaymentType)
	require.Equal(t, "Ring the bell", o.CustomerNote.Text)
	require.Len(t, o.EmployeeNotes, 1)
	require.Len(t, o.LineItems, 2)
	require.Equal(t, f.mug.ID, o.LineItems[0].Sellable.ID)
	require.Equal(t, 2, o.LineItems[0].Quantity)
	require.Equal(t, "gift wrap", o.LineItems[0].AdditionalOptions)
	require.True(t, o.LineItems[0].TaxRate.Equal(decimal.RequireFromString("0.2")))
	// 2 × (75 − 1) + 3 = 151; + 2.50 delivery.
	require.Equal(t, "151", o.SubtotalPrice.String())
	require.Equal(t, "153.5", o.TotalPrice.String())
	require.Len(t, o.Allocations, 1)
	require.Equal(t, f.wh.ID, o.Allocations[0].Warehouse.ID)
	require.Len(t, o.Allocations[0].LineItems, 2)
	require.Nil(t, o.Allocations[0].Shipment)

	got, ok := f.srv.Order(o.ID)
	require.True(t, ok)
	if d := cmp.Diff(o, got); d != "" {
		t.Fatalf("stored order differs from the response (-resp +stored):\n%s", d)
	}
}

func TestCreateOrderFlatBodyAndDuplicates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	flat := f.orderBody("DUP-1")["order"]
	for range 2 {
		r := call(t, f.srv, "POST", "/orders", flat)
		require.Equal(t, 201, r.status, "%s", r.body)
	}
	require.Len(t, f.srv.OrdersByNumber("DUP-1"), 2, "Veeqo does not enforce unique numbers")
	require.Equal(t, 2, f.srv.Count("POST", "/orders"))
}

func TestCreateOrderErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	valid := func(mod func(o map[string]any)) map[string]any {
		b := f.orderBody("E-1")
		mod(b["order"].(map[string]any))
		return b
	}
	tests := []struct {
		name   string
		body   any
		status int
		want   string
	}{
		{"missing channel", valid(func(o map[string]any) { delete(o, "channel_id") }), 422, `{"error_messages":["Channel can't be blank"]}`},
		{"missing lines", valid(func(o map[string]any) { delete(o, "line_items_attributes") }), 422, `{"error_messages":["Line items can't be blank"]}`},
		{"empty lines", valid(func(o map[string]any) { o["line_items_attributes"] = []any{} }), 422, `{"error_messages":["Line items can't be blank"]}`},
		{"missing channel and customer", valid(func(o map[string]any) { delete(o, "channel_id"); delete(o, "customer_id") }), 422,
			`{"error_messages":["Channel can't be blank","Customer can't be blank"]}`},
		{"missing deliver to", valid(func(o map[string]any) { delete(o, "deliver_to_attributes") }), 422, `{"error_messages":["Deliver to can't be blank"]}`},
		{"zero quantity", valid(func(o map[string]any) { o["line_items_attributes"] = []any{line(f.mug.ID, 0)} }), 422,
			`{"error_messages":["Line items quantity must be greater than 0"]}`},
		{"non-numeric channel", valid(func(o map[string]any) { o["channel_id"] = "abc" }), 422, `{"error_messages":["Channel is invalid"]}`},
		{"bad price", valid(func(o map[string]any) {
			o["line_items_attributes"] = []any{map[string]any{"sellable_id": f.mug.ID, "quantity": 1, "price_per_unit": "ten"}}
		}), 422, `{"error_messages":["Line items price per unit is not a number"]}`},
		{"unknown channel", valid(func(o map[string]any) { o["channel_id"] = 999999 }), 404, `{"error_messages":"Not found"}`},
		{"unknown customer", valid(func(o map[string]any) { o["customer_id"] = 999999 }), 404, `{"error_messages":"Not found"}`},
		{"unknown delivery method", valid(func(o map[string]any) { o["delivery_method_id"] = 999999 }), 404, `{"error_messages":"Not found"}`},
		{"unknown deliver_to_id", valid(func(o map[string]any) { delete(o, "deliver_to_attributes"); o["deliver_to_id"] = 999999 }), 404, `{"error_messages":"Not found"}`},
		{"unknown sellable", valid(func(o map[string]any) { o["line_items_attributes"] = []any{line(999999, 1)} }), 404, `{"error_messages":"Not found"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, f.srv, "POST", "/orders", tc.body)
			require.Equal(t, tc.status, r.status, "%s", r.body)
			require.JSONEq(t, tc.want, string(r.body))
		})
	}
	t.Run("malformed JSON", func(t *testing.T) {
		r := call(t, f.srv, "POST", "/orders", `{"order":`)
		require.Equal(t, 400, r.status)
	})
	require.Empty(t, f.srv.Orders(), "no failed create stored anything")
}

func TestAutoAllocationAndStock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		auto        bool
		mugStock    int // -1: infinite
		lines       []any
		status      veeqo.OrderStatus
		allocations int
	}{
		{"infinite stock", true, -1, nil, veeqo.StatusAwaitingFulfillment, 1},
		{"enough stock", true, 2, nil, veeqo.StatusAwaitingFulfillment, 1},
		{"no stock", true, 0, nil, veeqo.StatusAwaitingStock, 0},
		{"partly in stock", true, 0, []any{"mug", "cup"}, veeqo.StatusAwaitingStock, 1},
		{"auto allocation off", false, -1, nil, veeqo.StatusAwaitingStock, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, veeqotest.WithAutoAllocate(tc.auto))
			f.srv.SetStock(f.mug.ID, f.wh.ID, tc.mugStock)
			var lines []any
			for _, l := range tc.lines {
				lines = append(lines, line(map[any]int64{"mug": f.mug.ID, "cup": f.cup.ID}[l], 1))
			}
			o := f.create(t, "S-1", lines...)
			require.Equal(t, tc.status, o.Status)
			require.Len(t, o.Allocations, tc.allocations)
		})
	}
	t.Run("stock levels follow allocation and shipment", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.srv.SetStock(f.mug.ID, f.wh.ID, 5)
		o := f.create(t, "S-2", line(f.mug.ID, 3))
		phys, avail, finite := f.srv.Stock(f.mug.ID, f.wh.ID)
		require.Equal(t, []any{5, 2, true}, []any{phys, avail, finite})
		second := f.create(t, "S-3", line(f.mug.ID, 3))
		require.Equal(t, veeqo.StatusAwaitingStock, second.Status, "only 2 available")
		_, err := f.srv.ShipAll(o.ID, veeqotest.ShipInfo{})
		require.NoError(t, err)
		phys, avail, _ = f.srv.Stock(f.mug.ID, f.wh.ID)
		require.Equal(t, []int{2, 2}, []int{phys, avail})
		// Reading the sellable shows the entry.
		r := call(t, f.srv, "GET", path("/products/%d", f.mug.ProductID), nil)
		var p veeqo.Product
		r.decode(t, &p)
		var entry veeqo.StockEntry
		for _, e := range p.Sellables[0].StockEntries {
			if e.WarehouseID == f.wh.ID {
				entry = e
			}
		}
		require.Equal(t, veeqo.StockEntry{SellableID: f.mug.ID, WarehouseID: f.wh.ID, PhysicalStockLevel: 2, AvailableStockLevel: 2}, entry)
	})
}

func TestUpdateOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.create(t, "U-1", line(f.mug.ID, 1))
	f.clock.Advance(time.Minute)
	body := fmt.Sprintf(`{"order":{"number":"U-1b","customer_note_attributes":{"text":"new note"},
		"line_items_attributes":[{"sellable_id":%d},{"sellable_id":%d,"price_per_unit":1.1,"quantity":99}]}}`, f.mug.ID, f.cup.ID)
	r := call(t, f.srv, "PUT", path("/orders/%d", o.ID), body)
	require.Equal(t, 200, r.status, "%s", r.body)
	var got veeqo.Order
	r.decode(t, &got)
	require.Equal(t, "U-1b", got.Number)
	require.Equal(t, "new note", got.CustomerNote.Text)
	require.Len(t, got.LineItems, 2, "lines are upserted by sellable_id")
	require.Equal(t, 1, got.LineItems[0].Quantity, "a line sent without quantity is kept")
	require.Equal(t, 99, got.LineItems[1].Quantity)
	require.True(t, got.UpdatedAt.After(o.UpdatedAt), "updated_at moves")

	t.Run("quantity below allocated", func(t *testing.T) {
		r := call(t, f.srv, "PUT", path("/orders/%d", o.ID), map[string]any{"line_items_attributes": []any{line(f.mug.ID, 0)}})
		require.Equal(t, 422, r.status)
	})
	t.Run("unknown order", func(t *testing.T) {
		r := call(t, f.srv, "PUT", "/orders/1", map[string]any{"number": "x"})
		require.Equal(t, 404, r.status)
	})
}

func TestCancelAndNotes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.create(t, "C-1")
	shipped := f.create(t, "C-2")
	_, err := f.srv.ShipAll(shipped.ID, veeqotest.ShipInfo{TrackingNumber: "X"})
	require.NoError(t, err)

	f.clock.Advance(time.Second)
	r := call(t, f.srv, "PUT", path("/orders/%d/cancel", o.ID), map[string]any{"send_veeqo_email": false, "cancel_reason": "fraud"})
	require.Equal(t, 200, r.status, "%s", r.body)
	var c veeqo.Order
	r.decode(t, &c)
	require.Equal(t, veeqo.StatusCancelled, c.Status)
	require.Equal(t, "fraud", c.CancelReason)
	require.NotNil(t, c.CancelledAt)
	require.Empty(t, c.Allocations, "cancelling releases allocations")

	r = call(t, f.srv, "PUT", path("/orders/%d/cancel", shipped.ID), nil)
	require.Equal(t, 422, r.status)

	r = call(t, f.srv, "POST", path("/orders/%d/notes", o.ID), map[string]any{"note": map[string]any{"text": "called customer"}})
	require.Equal(t, 201, r.status)
	var n veeqo.Note
	r.decode(t, &n)
	require.Equal(t, o.ID, n.OrderID)
	require.Equal(t, "called customer", n.Text)
	r = call(t, f.srv, "POST", path("/orders/%d/notes", o.ID), map[string]any{"note": map[string]any{"text": ""}})
	require.Equal(t, 422, r.status)
	got, _ := f.srv.Order(o.ID)
	require.Len(t, got.EmployeeNotes, 1)
}

func TestAllocationsAndShipmentsOverHTTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t, veeqotest.WithAutoAllocate(false))
	o := f.create(t, "H-1", line(f.mug.ID, 3), line(f.cup.ID, 1))
	require.Equal(t, veeqo.StatusAwaitingStock, o.Status)

	alloc := func(wid, sid int64, qty int) reply {
		return call(t, f.srv, "POST", path("/orders/%d/allocations", o.ID), map[string]any{"allocation": map[string]any{
			"warehouse_id": wid, "line_items_attributes": []any{map[string]any{"sellable_id": sid, "quantity": qty}}}})
	}
	r := alloc(f.wh.ID, f.mug.ID, 2)
	require.Equal(t, 201, r.status, "%s", r.body)
	var got veeqo.Order
	r.decode(t, &got)
	require.Len(t, got.Allocations, 1, "201 with the whole order")
	first := got.Allocations[0]

	for name, tc := range map[string]struct {
		r      reply
		status int
	}{
		"over-allocation":       {alloc(f.wh.ID, f.mug.ID, 2), 422},
		"sellable not on order": {alloc(f.wh.ID, f.plate.ID, 1), 422},
		"unknown warehouse":     {alloc(999999, f.mug.ID, 1), 404},
		"missing warehouse": {call(t, f.srv, "POST", path("/orders/%d/allocations", o.ID), map[string]any{
			"line_items_attributes": []any{map[string]any{"sellable_id": f.mug.ID, "quantity": 1}}}), 422},
	} {
		require.Equal(t, tc.status, tc.r.status, "%s: %s", name, tc.r.body)
	}

	r = alloc(f.wh2.ID, f.mug.ID, 1)
	require.Equal(t, 201, r.status)
	r = alloc(f.wh2.ID, f.cup.ID, 1)
	require.Equal(t, 201, r.status)
	r.decode(t, &got)
	require.Len(t, got.Allocations, 3)
	require.Equal(t, veeqo.StatusAwaitingFulfillment, got.Status)

	// Move the first allocation; line edits are ignored.
	r = call(t, f.srv, "PUT", path("/orders/%d/allocations/%d", o.ID, first.ID), map[string]any{"warehouse_id": f.wh2.ID,
		"line_items_attributes": []any{map[string]any{"sellable_id": f.mug.ID, "quantity": 1}}})
	require.Equal(t, 200, r.status, "%s", r.body)
	var a veeqo.Allocation
	r.decode(t, &a)
	require.Equal(t, f.wh2.ID, a.Warehouse.ID)
	require.Equal(t, 2, a.LineItems[0].Quantity)

	ship := func(body any) reply { return call(t, f.srv, "POST", "/shipments", body) }
	r = ship(map[string]any{"shipment": map[string]any{"tracking_number_attributes": map[string]any{"tracking_number": "1Z1"},
		"carrier_id": 5, "notify_customer": false, "update_remote_order": true}, "allocation_id": first.ID, "order_id": o.ID})
	require.Equal(t, 201, r.status, "%s", r.body)
	var sh veeqo.Shipment
	r.decode(t, &sh)
	require.Equal(t, "1Z1", sh.Tracking())
	require.NotZero(t, sh.TrackingNumber.ID)
	require.Equal(t, veeqo.Carrier{ID: 5, Name: "UPS"}, *sh.Carrier)
	require.Equal(t, first.ID, sh.AllocationID)
	require.Equal(t, o.ID, sh.OrderID)

	for name, tc := range map[string]struct {
		body   any
		status int
	}{
		"already shipped":    {map[string]any{"shipment": map[string]any{"carrier_id": 3}, "allocation_id": first.ID, "order_id": o.ID}, 422},
		"missing allocation": {map[string]any{"shipment": map[string]any{"carrier_id": 3}, "order_id": o.ID}, 422},
		"missing carrier":    {map[string]any{"shipment": map[string]any{}, "allocation_id": first.ID, "order_id": o.ID}, 422},
		"unknown carrier":    {map[string]any{"shipment": map[string]any{"carrier_id": 77}, "allocation_id": first.ID, "order_id": o.ID}, 422},
		"unknown allocation": {map[string]any{"shipment": map[string]any{"carrier_id": 3}, "allocation_id": 1, "order_id": o.ID}, 404},
		"unknown order":      {map[string]any{"shipment": map[string]any{"carrier_id": 3}, "allocation_id": first.ID, "order_id": 1}, 404},
	} {
		r := ship(tc.body)
		require.Equal(t, tc.status, r.status, "%s: %s", name, r.body)
	}

	got, _ = f.srv.Order(o.ID)
	require.Equal(t, veeqo.StatusAwaitingFulfillment, got.Status, "two allocations still unshipped")
	require.Nil(t, got.ShippedAt)

	// Delete the unshipped cup allocation, then ship the rest with the
	// flat body form (no tracking: marketplace style).
	r = call(t, f.srv, "DELETE", path("/orders/%d/allocations/%d", o.ID, got.Allocations[2].ID), nil)
	require.Equal(t, 200, r.status)
	r.decode(t, &got)
	require.Len(t, got.Allocations, 2)
	require.Equal(t, veeqo.StatusAwaitingStock, got.Status)
	r = call(t, f.srv, "DELETE", path("/orders/%d/allocations/%d", o.ID, first.ID), nil)
	require.Equal(t, 422, r.status, "a shipped allocation cannot be deleted")

	r = alloc(f.wh.ID, f.cup.ID, 1)
	require.Equal(t, 201, r.status)
	r.decode(t, &got)
	for _, a := range got.Allocations[1:] {
		r := ship(map[string]any{"carrier_id": "3", "allocation_id": a.ID, "order_id": o.ID})
		require.Equal(t, 201, r.status, "%s", r.body)
		r.decode(t, &sh)
		require.Nil(t, sh.TrackingNumber)
	}
	got, _ = f.srv.Order(o.ID)
	require.Equal(t, veeqo.StatusShipped, got.Status)
	require.NotNil(t, got.ShippedAt)

	r = call(t, f.srv, "DELETE", path("/shipments/%d", sh.ID), nil)
	require.Equal(t, 204, r.status)
	require.Empty(t, r.body)
	got, _ = f.srv.Order(o.ID)
	require.Equal(t, veeqo.StatusAwaitingFulfillment, got.Status)
	require.Nil(t, got.ShippedAt)
	r = call(t, f.srv, "DELETE", path("/shipments/%d", sh.ID), nil)
	require.Equal(t, 404, r.status)
}
