package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// The file-backed ERP applies each Veeqo shipment once: offering the same
// update again (as the engine does after a crash between the ERP write and
// its own bookkeeping) adds no line to the shipments file, and a new process
// reads the keys back.
func Example_shipmentsFile() {
	dir, _ := os.MkdirTemp("", "veeqoctl-example-")
	defer os.RemoveAll(dir)
	orders := filepath.Join(dir, "orders.json")
	shipments := filepath.Join(dir, "shipments.jsonl")
	_ = os.WriteFile(orders, []byte(`[{"ref": "SO-1", "store": "Web", "wave": "W1", "created_at": "2026-11-02T10:00:00Z",
	  "customer": {"email": "ann@example.com"}, "ship_to": {"country": "US"},
	  "lines": [{"ref": "1", "sku": "MUG-1", "quantity": 2, "unit_price": "9.99"}]}]`), 0o644)

	ctx := context.Background()
	u := vsync.ShipmentUpdate{ShipmentID: 501, OrderRef: "SO-1", Status: vsync.OrderShipped, Final: true,
		Lines: []vsync.LineUpdate{{LineRef: "1", ShipQuantity: 2, ShippedTotal: 2, Close: true}}}
	erp := newFileERP(orders, shipments)
	fmt.Println(erp.ApplyShipment(ctx, u), erp.ApplyShipment(ctx, u))

	again := newFileERP(orders, shipments) // a new process
	fmt.Println(again.ApplyShipment(ctx, u))
	o, _ := again.Order(ctx, "SO-1")
	fmt.Println(o.Status, o.Lines[0].Shipped, o.Lines[0].Closed)

	data, _ := os.ReadFile(shipments)
	fmt.Println(strings.Count(string(data), "\n"), "line in the shipments file")
	// Output:
	// <nil> <nil>
	// <nil>
	// shipped 2 true
	// 1 line in the shipments file
}
