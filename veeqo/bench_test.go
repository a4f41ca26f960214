package veeqo

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// ordersPage returns a page of n realistic orders as Veeqo would send it.
func ordersPage(b *testing.B, n int) []byte {
	b.Helper()
	one := strings.TrimSpace(string(readTestdata(b, "order_shipped.json")))
	parts := make([]string, n)
	for i := range parts {
		parts[i] = one
	}
	return []byte("[" + strings.Join(parts, ",") + "]")
}

func BenchmarkDecodeOrdersPage(b *testing.B) {
	page := ordersPage(b, 100)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		var orders []Order
		if err := json.Unmarshal(page, &orders); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListOrdersPage(b *testing.B) {
	page := ordersPage(b, 100)
	c, mux := setup(b)
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		pageHeaders(w, 100, 1, 1, 100)
		w.Write(page)
	})
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		orders, _, err := c.Orders.List(context.Background(), nil)
		if err != nil || len(orders) != 100 {
			b.Fatal(err, len(orders))
		}
	}
}
