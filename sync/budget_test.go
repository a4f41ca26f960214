package sync_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// manyOrders returns n waved orders over 4 SKUs and 5 customers.
func manyOrders(prefix string, n int) []vsync.ERPOrder {
	skus := []string{"MUG-1", "TEE-1", "CAP-1", "GIFT"}
	out := make([]vsync.ERPOrder, n)
	for i := range out {
		o := order(fmt.Sprintf("%s-%04d", prefix, i), skus[i%4]+":1", skus[(i+1)%4]+":2")
		o.Customer.Email = fmt.Sprintf("regular-%d@example.com", i%5)
		out[i] = o
	}
	return out
}

// TestExportCallBudget: at steady state (catalogue, channels, delivery
// methods and customers cached) export costs at most 1.1 Veeqo calls per
// order, confirmation polling included.
func TestExportCallBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eng := e.engine()
	e.erp.Put(manyOrders("WARM", 10)...)
	warm := e.run(eng)
	require.Equal(t, 10, warm.Exported)

	const n = 200
	e.clk.Advance(time.Minute)
	e.erp.Put(manyOrders("SO", n)...)
	before := e.srv.TotalRequests()
	rep := e.run(eng)
	require.Equal(t, n, rep.Exported)
	calls := e.srv.TotalRequests() - before
	perOrder := float64(calls) / n
	t.Logf("steady-state export: %d orders, %d Veeqo calls (%.3f per order; report says %d)", n, calls, perOrder, rep.VeeqoCalls)
	assert.LessOrEqual(t, perOrder, 1.1)
	assert.Equal(t, int64(calls), rep.VeeqoCalls, "the report counts the client's requests")
	assert.Equal(t, n, e.srv.Count("POST", "/orders")-10)
}

// TestConfirmationCallBudget: importing confirmations costs one list call
// per 100 updated orders plus one, plus the cancelled pass (one call when
// nothing was cancelled), and never a call per order.
func TestConfirmationCallBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eng := e.engine()
	const n = 250
	e.erp.Put(manyOrders("SO", n)...)
	e.run(eng)
	e.clk.Advance(time.Minute)
	for _, o := range e.srv.Orders() {
		_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: fmt.Sprint("T", o.ID), CarrierID: 5})
		require.NoError(t, err)
	}
	e.clk.Advance(time.Minute)
	before := e.srv.TotalRequests()
	listBefore := e.srv.Count("GET", "/orders")
	rep := e.run(eng)
	require.Equal(t, n, rep.ConfirmationsApplied)
	lists := e.srv.Count("GET", "/orders") - listBefore
	total := e.srv.TotalRequests() - before
	maxMain := (n+99)/100 + 1
	t.Logf("confirmations: %d orders updated, %d list calls (main pass <= %d, cancelled pass 1), %d calls in all", n, lists, maxMain, total)
	assert.LessOrEqual(t, lists, maxMain+1)
	assert.Equal(t, lists, total, "nothing but list calls")
	assert.Zero(t, e.srv.Count("GET", "/orders/{id}"))
}

// TestFetchCallBudget: the fulfillment poll costs one list call per 100
// updated orders plus one.
func TestFetchCallBudget(t *testing.T) {
	t.Parallel()
	e := fetchWorld(t)
	const n = 180
	for i := range n {
		num := fmt.Sprintf("114-%07d", i)
		e.erp.Put(vsync.ERPOrder{Ref: "AMZ-" + num, Number: num, Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1}}})
		o := e.addMarketplaceOrder(num, e.amazon, map[string]int{"MUG-1": 1})
		_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{CarrierID: 3})
		require.NoError(t, err)
	}
	before := e.srv.TotalRequests()
	rep := e.run(e.engine())
	require.Equal(t, n, rep.ConfirmationsApplied)
	calls := e.srv.TotalRequests() - before
	t.Logf("fetch: %d orders, %d Veeqo calls (channels list included)", n, calls)
	// One list call per 100 orders, plus one, plus the channel list that
	// resolves the store mapping (cached afterwards).
	assert.LessOrEqual(t, e.srv.Count("GET", "/orders"), (n+99)/100+1)
	assert.LessOrEqual(t, calls, (n+99)/100+2)
}

func (e *env) addMarketplaceOrder(number string, ch veeqo.Channel, lines map[string]int) veeqo.Order {
	o := veeqo.Order{Number: number, Channel: &ch, Customer: &veeqo.Customer{Email: "amz-" + number + "@marketplace.example"},
		DeliverTo: &veeqo.Address{FirstName: "Bo", Address1: "2 Side St", City: "Austin", Country: "US"}}
	for sku, q := range lines {
		o.LineItems = append(o.LineItems, veeqo.LineItem{Sellable: &veeqo.Sellable{ID: e.sku[sku]}, Quantity: q})
	}
	return e.srv.AddOrder(o)
}
