package sync_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

var _ vsync.VeeqoAPI = (*veeqotest.Direct)(nil)

// apiTwin is one of two equal fake Veeqos, reached through the API under
// test.
type apiTwin struct {
	srv *veeqotest.Server
	api vsync.VeeqoAPI
}

// seedConformance fills a fake with what every VeeqoAPI method can find:
// channels, delivery methods, products, customers, and orders open,
// shipped (in two parcels), cancelled and created just now. It returns the
// ids the calls name.
func seedConformance(clk *fakeClock, srv *veeqotest.Server) (ids map[string]int64) {
	ids = map[string]int64{}
	wh := srv.AddWarehouse(veeqo.Warehouse{Name: "Main"})
	web := srv.AddChannel(veeqo.Channel{Name: "Web Shop", TypeCode: veeqo.ChannelDirect, DefaultWarehouse: &wh})
	amz := srv.AddChannel(veeqo.Channel{Name: "Amazon US", TypeCode: veeqo.ChannelAmazon, DefaultWarehouse: &wh})
	ids["web"], ids["amazon"] = web.ID, amz.ID
	ids["standard"] = srv.AddDeliveryMethod(veeqo.DeliveryMethod{Name: "Standard", Cost: decimal.RequireFromString("4.95")}).ID
	srv.AddDeliveryMethod(veeqo.DeliveryMethod{Name: "Express"})
	for i, sku := range []string{"MUG-1", "TEE-1", "CAP-1", "DEFAULT"} {
		p := srv.AddProduct(veeqo.Product{Title: sku, Sellables: []veeqo.Sellable{{SKUCode: sku, UPCCode: fmt.Sprintf("0%d%s", i, sku), Price: decimal.RequireFromString("10.50")}}})
		ids[sku] = p.Sellables[0].ID
	}
	ids["ann"] = srv.AddCustomer(veeqo.Customer{Email: "Ann@Example.com", BillingAddress: &veeqo.Address{FirstName: "Ann", Address1: "1 Main St"}}).ID
	srv.AddCustomer(veeqo.Customer{Email: "bob@example.com"})
	for i := range 7 {
		clk.Advance(time.Minute)
		ch := &web
		if i%2 == 1 {
			ch = &amz
		}
		o := srv.AddOrder(veeqo.Order{Number: fmt.Sprintf("SO-%d", i+1), Channel: ch, Customer: &veeqo.Customer{ID: ids["ann"]},
			LineItems: []veeqo.LineItem{{Quantity: 2, PricePerUnit: decimal.RequireFromString("10.5"), Sellable: &veeqo.Sellable{ID: ids["MUG-1"]}},
				{Quantity: 1, Sellable: &veeqo.Sellable{ID: ids["TEE-1"]}}}})
		ids[o.Number] = o.ID
	}
	clk.Advance(time.Minute)
	ship := veeqotest.ShipInfo{TrackingNumber: "1Z1", CarrierID: 5, ServiceName: "Standard"}
	if _, err := srv.ShipPartial(ids["SO-2"], map[int64]int{ids["MUG-1"]: 1}, ship); err != nil {
		panic(err)
	}
	if _, err := srv.ShipAll(ids["SO-2"], veeqotest.ShipInfo{TrackingNumber: "1Z2", CarrierName: "Acme Post"}); err != nil {
		panic(err)
	}
	if _, err := srv.ShipAll(ids["SO-3"], veeqotest.ShipInfo{}); err != nil {
		panic(err)
	}
	if err := srv.CancelOrder(ids["SO-4"], "customer asked"); err != nil {
		panic(err)
	}
	clk.Advance(time.Minute)
	return ids
}

// errShape is what of an error the engine decides on: the sentinels it
// matches, and Veeqo's status and messages when it is an answer.
type errShape struct {
	Sentinels []string
	Status    int
	Messages  []string
}

func shapeOf(err error) *errShape {
	if err == nil {
		return nil
	}
	s := &errShape{}
	for _, x := range []struct {
		name string
		err  error
	}{{"not found", veeqo.ErrNotFound}, {"invalid", veeqo.ErrInvalidRequest}, {"unauthorized", veeqo.ErrUnauthorized},
		{"forbidden", veeqo.ErrForbidden}, {"rate limited", veeqo.ErrRateLimited}, {"server", veeqo.ErrServer},
		{"outcome unknown", veeqo.ErrOutcomeUnknown}, {"paging", veeqo.ErrPaging}, {"canceled", context.Canceled}} {
		if errors.Is(err, x.err) {
			s.Sentinels = append(s.Sentinels, x.name)
		}
	}
	if ae := (*veeqo.APIError)(nil); errors.As(err, &ae) {
		s.Status, s.Messages = ae.StatusCode, ae.Messages
	}
	return s
}

// result is one call's outcome on one API: its value, its error's shape and
// how many requests it counted.
type result struct {
	Value    any
	Err      *errShape
	Requests int64
}

func collectAll[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// TestDirectAPIMatchesClientAPI runs every VeeqoAPI method, with inputs that
// succeed and inputs that fail, through the HTTP client (ClientAPI on the
// fake's HTTP server) and through veeqotest.Direct against two equal fake
// states, and compares what each returns (values, errors, requests
// counted) and the states they leave.
func TestDirectAPIMatchesClientAPI(t *testing.T) {
	t.Parallel()
	// Each fake has its own clock, moved in step with the other's.
	clks := [2]*fakeClock{newClock(), newClock()}
	clk := clks[0]
	advance := func(d time.Duration) {
		for _, c := range clks {
			c.Advance(d)
		}
	}
	var twins [2]apiTwin
	var ids map[string]int64
	for i := range twins {
		srv := veeqotest.NewServer(t, veeqotest.WithClock(clks[i].Now), veeqotest.WithoutRateLimit())
		ids = seedConformance(clks[i], srv)
		twins[i].srv = srv
	}
	client, err := veeqo.New(twins[0].srv.APIKey(), veeqo.WithBaseURL(twins[0].srv.URL()), veeqo.WithRateLimit(rate.Inf, 1),
		veeqo.WithRetryPolicy(veeqo.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	twins[0].api = vsync.ClientAPI(client)
	twins[1].api = twins[1].srv.Direct()
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()

	newCustomer := &veeqo.CustomerInput{Email: "new@example.com", Phone: "555", CustomerType: "retail",
		BillingAddress: &veeqo.Address{FirstName: "Nia", LastName: "New", Address1: "2 Side St", City: "Salem", Zip: "97301", Country: "US"}}
	dc, tax := decimal.RequireFromString("4.95"), decimal.RequireFromString("0.2")
	create := func(number string) *veeqo.OrderInput {
		return &veeqo.OrderInput{ChannelID: ids["web"], Number: number, Customer: newCustomer,
			DeliverTo:        &veeqo.Address{FirstName: "Nia", Address1: "2 Side St", City: "Salem", Email: "new@example.com"},
			DeliveryMethodID: ids["standard"], DeliveryCost: &dc, DueDate: "24/12/2026",
			LineItems: []veeqo.LineItemInput{{SellableID: ids["MUG-1"], Quantity: 3, PricePerUnit: decimal.RequireFromString("9.99"), TaxRate: &tax},
				{SellableID: ids["DEFAULT"], Quantity: 1, PricePerUnit: decimal.NewFromInt(5), AdditionalOptions: "Gift wrap"}},
			Payment:      &veeqo.Payment{PaymentType: veeqo.PaymentNone, ReferenceNumber: number},
			CustomerNote: &veeqo.NoteInput{Text: "leave at the door"}, EmployeeNotes: []veeqo.NoteInput{{Text: "VIP"}}}
	}
	byID := create("SO-20")
	byID.Customer, byID.CustomerID = nil, ids["ann"]

	calls := []struct {
		name string
		do   func(api vsync.VeeqoAPI) (any, error)
	}{}
	add := func(name string, do func(api vsync.VeeqoAPI) (any, error)) {
		calls = append(calls, struct {
			name string
			do   func(api vsync.VeeqoAPI) (any, error)
		}{name, do})
	}
	list := func(name string, opts veeqo.OrderListOptions) {
		add("ListOrders "+name, func(api vsync.VeeqoAPI) (any, error) { return collectAll(api.ListOrders(ctx, opts)) })
	}
	list("default", veeqo.OrderListOptions{})
	list("pages of 2", veeqo.OrderListOptions{ListOptions: veeqo.ListOptions{PageSize: 2}})
	list("from page 2", veeqo.OrderListOptions{ListOptions: veeqo.ListOptions{Page: 2, PageSize: 3}})
	list("cancelled", veeqo.OrderListOptions{Status: veeqo.StatusCancelled})
	list("shipped", veeqo.OrderListOptions{Status: veeqo.StatusShipped})
	list("updated since", veeqo.OrderListOptions{UpdatedAtMin: clk.Now().Add(-3*time.Minute - 30*time.Second)})
	list("created since", veeqo.OrderListOptions{CreatedAtMin: clk.Now().Add(-5 * time.Minute)})
	list("channel", veeqo.OrderListOptions{ChannelIDs: []int64{ids["amazon"]}})
	list("query", veeqo.OrderListOptions{Query: "so-1"})
	list("since id", veeqo.OrderListOptions{SinceID: ids["SO-5"]})
	list("negative page size", veeqo.OrderListOptions{ListOptions: veeqo.ListOptions{PageSize: -1}})
	add("ListOrders cancelled context", func(api vsync.VeeqoAPI) (any, error) {
		return collectAll(api.ListOrders(cancelled, veeqo.OrderListOptions{}))
	})
	for _, id := range []string{"SO-1", "SO-2", "SO-3", "SO-4"} {
		add("GetOrder "+id, func(api vsync.VeeqoAPI) (any, error) { return api.GetOrder(ctx, ids[id]) })
	}
	add("GetOrder missing", func(api vsync.VeeqoAPI) (any, error) { return api.GetOrder(ctx, 42) })
	add("GetOrder zero", func(api vsync.VeeqoAPI) (any, error) { return api.GetOrder(ctx, 0) })
	add("CreateOrder new customer", func(api vsync.VeeqoAPI) (any, error) { return api.CreateOrder(ctx, create("SO-10")) })
	add("CreateOrder customer by id", func(api vsync.VeeqoAPI) (any, error) { return api.CreateOrder(ctx, byID) })
	add("CreateOrder unknown sellable", func(api vsync.VeeqoAPI) (any, error) {
		in := create("SO-11")
		in.LineItems[0].SellableID = 99
		return api.CreateOrder(ctx, in)
	})
	add("CreateOrder no lines", func(api vsync.VeeqoAPI) (any, error) {
		in := create("SO-12")
		in.LineItems = nil
		return api.CreateOrder(ctx, in)
	})
	add("CreateOrder bad due date", func(api vsync.VeeqoAPI) (any, error) {
		in := create("SO-13")
		in.DueDate = "soon"
		return api.CreateOrder(ctx, in)
	})
	add("CreateOrder nil", func(api vsync.VeeqoAPI) (any, error) { return api.CreateOrder(ctx, nil) })
	list("after creates", veeqo.OrderListOptions{})
	add("CancelOrder open", func(api vsync.VeeqoAPI) (any, error) { return nil, api.CancelOrder(ctx, ids["SO-5"], "ERP cancelled") })
	add("CancelOrder shipped", func(api vsync.VeeqoAPI) (any, error) { return nil, api.CancelOrder(ctx, ids["SO-3"], "too late") })
	add("CancelOrder missing", func(api vsync.VeeqoAPI) (any, error) { return nil, api.CancelOrder(ctx, 42, "x") })
	add("AddNote", func(api vsync.VeeqoAPI) (any, error) { return nil, api.AddNote(ctx, ids["SO-6"], "ERP note") })
	add("AddNote missing", func(api vsync.VeeqoAPI) (any, error) { return nil, api.AddNote(ctx, 42, "x") })
	add("AddNote blank", func(api vsync.VeeqoAPI) (any, error) { return nil, api.AddNote(ctx, ids["SO-6"], " ") })
	for _, n := range []string{"SO-1", "SO-4", "SO-5", "SO-10", "SO-99", ""} {
		add("FindOrdersByNumber "+n, func(api vsync.VeeqoAPI) (any, error) { return api.FindOrdersByNumber(ctx, n) })
	}
	for _, email := range []string{"ann@example.com", " BOB@example.com ", "new@example.com", "nobody@example.com", ""} {
		add("FindCustomerByEmail "+email, func(api vsync.VeeqoAPI) (any, error) { return api.FindCustomerByEmail(ctx, email) })
	}
	for _, sku := range []string{"MUG-1", "mug-1", "NOPE", ""} {
		add("FindSellableBySKU "+sku, func(api vsync.VeeqoAPI) (any, error) { return api.FindSellableBySKU(ctx, sku) })
	}
	for _, upc := range []string{"01TEE-1", "NOPE"} {
		add("FindSellableByUPC "+upc, func(api vsync.VeeqoAPI) (any, error) { return api.FindSellableByUPC(ctx, upc) })
	}
	add("CountCustomers", func(api vsync.VeeqoAPI) (any, error) { return api.CountCustomers(ctx) })
	add("Customers", func(api vsync.VeeqoAPI) (any, error) { return collectAll(api.Customers(ctx)) })
	add("CountProducts", func(api vsync.VeeqoAPI) (any, error) { return api.CountProducts(ctx) })
	add("Products", func(api vsync.VeeqoAPI) (any, error) { return collectAll(api.Products(ctx)) })
	add("Channels", func(api vsync.VeeqoAPI) (any, error) { return api.Channels(ctx) })
	add("DeliveryMethods", func(api vsync.VeeqoAPI) (any, error) { return api.DeliveryMethods(ctx) })
	add("search lag: FindOrdersByNumber of a new order", func(api vsync.VeeqoAPI) (any, error) {
		return api.FindOrdersByNumber(ctx, "SO-10")
	})

	opts := cmp.Options{cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) }), cmpopts.EquateEmpty()}
	for _, c := range calls {
		if c.name == "search lag: FindOrdersByNumber of a new order" {
			for _, tw := range twins {
				tw.srv.SetSearchLag(time.Hour)
			}
		}
		var got [2]result
		for i, tw := range twins {
			before := tw.api.Requests()
			v, err := c.do(tw.api)
			got[i] = result{Value: v, Err: shapeOf(err), Requests: tw.api.Requests() - before}
		}
		if diff := cmp.Diff(got[0], got[1], opts); diff != "" {
			t.Errorf("%s: HTTP (-) and Direct (+) differ:\n%s", c.name, diff)
		}
		advance(time.Second)
	}
	require.NotEmpty(t, twins[0].srv.OrdersByNumber("SO-10"), "the creates happened")
	if diff := cmp.Diff(twins[0].srv.Orders(), twins[1].srv.Orders(), opts); diff != "" {
		t.Errorf("the states the calls left differ (HTTP -, Direct +):\n%s", diff)
	}
}

// TestDirectAPIReturnsCopies: what Direct returns shares nothing with the
// fake's state: changing a returned order, product or channel changes
// nothing a later call returns, as with values decoded from HTTP.
func TestDirectAPIReturnsCopies(t *testing.T) {
	t.Parallel()
	// Two equal fakes: values are changed through one; the other's, never
	// touched, say what both should still return.
	var apis [2]*veeqotest.Direct
	var ids map[string]int64
	for i := range apis {
		clk := newClock()
		srv := veeqotest.NewServer(t, veeqotest.WithClock(clk.Now), veeqotest.WithoutRateLimit())
		ids = seedConformance(clk, srv)
		apis[i] = srv.Direct()
	}
	ctx := context.Background()
	read := func(api *veeqotest.Direct) any {
		o, err := api.GetOrder(ctx, ids["SO-2"])
		require.NoError(t, err)
		ps, err := collectAll(api.Products(ctx))
		require.NoError(t, err)
		chs, err := api.Channels(ctx)
		require.NoError(t, err)
		return []any{*o, ps, chs}
	}
	api := apis[0]
	o, err := api.GetOrder(ctx, ids["SO-2"])
	require.NoError(t, err)
	require.NotEmpty(t, o.Allocations)
	require.NotNil(t, o.Allocations[0].Shipment)
	o.Number = "CHANGED"
	o.Customer.Email = "changed@example.com"
	o.Customer.BillingAddress.Address1 = "changed"
	o.Channel.DefaultWarehouse.Name = "changed"
	o.LineItems[0].Sellable.SKUCode = "CHANGED"
	o.LineItems[0].Sellable.StockEntries[0].PhysicalStockLevel = -1
	o.Allocations[0].Shipment.TrackingNumber.TrackingNumber = "CHANGED"
	o.Allocations[0].Shipment.Carrier.Name = "changed"
	o.Allocations[0].LineItems[0].Quantity = 99
	ps, err := collectAll(api.Products(ctx))
	require.NoError(t, err)
	ps[0].Title, ps[0].Sellables[0].SKUCode = "changed", "CHANGED"
	chs, err := api.Channels(ctx)
	require.NoError(t, err)
	chs[0].Name, chs[0].DefaultWarehouse.Name = "changed", "changed"

	if diff := cmp.Diff(read(apis[1]), read(api), cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("changing returned values changed the fake's state (untouched -, changed +):\n%s", diff)
	}
}
