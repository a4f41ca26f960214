package veeqo_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/shopspring/decimal"

	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// startFake starts a fake Veeqo with a fixed clock, a warehouse, a channel
// and one product, for the examples.
func startFake() (*veeqotest.Server, seeded) {
	clock := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	srv, err := veeqotest.Start(veeqotest.WithClock(clock), veeqotest.WithPathPrefix("/api"), veeqotest.WithCompanyName("Acme Ltd"))
	if err != nil {
		log.Fatal(err)
	}
	return srv, seed(srv)
}

// ExampleNew checks a key with the cheapest authenticated call.
func ExampleNew() {
	srv, _ := startFake()
	defer srv.Close()

	c, err := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()))
	if err != nil {
		log.Fatal(err)
	}
	company, _, err := c.Company.Current(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("connected to", company.Name)

	bad, _ := veeqo.New("not-the-key", veeqo.WithBaseURL(srv.URL()))
	_, _, err = bad.Company.Current(context.Background())
	fmt.Println("bad key unauthorized:", errors.Is(err, veeqo.ErrUnauthorized))
	// Output:
	// connected to Acme Ltd
	// bad key unauthorized: true
}

// ExampleOrdersService_Create creates an order, and shows what to do when
// its outcome is unknown: look it up by number instead of posting again.
func ExampleOrdersService_Create() {
	srv, s := startFake()
	defer srv.Close()
	c, _ := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()))
	ctx := context.Background()

	in := &veeqo.OrderInput{
		ChannelID: s.channel.ID,
		Number:    "SO-1001",
		Customer:  &veeqo.CustomerInput{Email: "ann@example.com"},
		DeliverTo: &veeqo.Address{FirstName: "Ann", Address1: "1 Main St", City: "Leeds", Zip: "LS1 1AA", Country: "GB"},
		LineItems: []veeqo.LineItemInput{{SellableID: s.sellable.ID, Quantity: 2, PricePerUnit: decimal.RequireFromString("9.50")}},
	}
	o, _, err := c.Orders.Create(ctx, in)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(o.Number, o.Status, o.TotalPrice)

	// The next create is applied by Veeqo, but its response is lost.
	srv.CommitThenFail(1, veeqotest.Match("POST", "/orders"))
	in.Number = "SO-1002"
	_, _, err = c.Orders.Create(ctx, in)
	if errors.Is(err, veeqo.ErrOutcomeUnknown) {
		found, err := c.Orders.FindByNumber(ctx, "SO-1002")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("outcome unknown; orders found by number:", len(found))
	}
	fmt.Println("orders in Veeqo:", len(srv.Orders()))
	// Output:
	// SO-1001 awaiting_fulfillment 19
	// outcome unknown; orders found by number: 1
	// orders in Veeqo: 2
}

// ExampleOrdersService_ListIter reads every shipped allocation of the
// orders updated since a point in time, page by page.
func ExampleOrdersService_ListIter() {
	srv, s := startFake()
	defer srv.Close()
	c, _ := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()))
	ctx := context.Background()
	for _, n := range []string{"SO-1", "SO-2", "SO-3"} {
		o, _, err := c.Orders.Create(ctx, orderFor(s, n))
		if err != nil {
			log.Fatal(err)
		}
		if n != "SO-2" {
			if _, err := srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z-" + n, CarrierID: veeqo.CarrierUPS, ServiceName: "Ground"}); err != nil {
				log.Fatal(err)
			}
		}
	}

	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	opts := &veeqo.OrderListOptions{UpdatedAtMin: since, ListOptions: veeqo.ListOptions{PageSize: 2}}
	for o, err := range c.Orders.ListIter(ctx, opts) {
		if err != nil {
			log.Fatal(err)
		}
		for _, a := range o.Allocations {
			if a.Shipment != nil {
				fmt.Println(o.Number, a.Shipment.Carrier.Name, a.Shipment.Tracking(), a.Shipment.Service())
			}
		}
	}
	// Output:
	// SO-3 UPS 1Z-SO-3 Ground
	// SO-1 UPS 1Z-SO-1 Ground
}

// ExampleProductsService_FindSellableBySKU resolves an ERP item to a Veeqo
// sellable by exact SKU.
func ExampleProductsService_FindSellableBySKU() {
	srv, _ := startFake()
	defer srv.Close()
	c, _ := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()))

	sl, err := c.Products.FindSellableBySKU(context.Background(), "MUG-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sl.SKUCode, sl.Price)
	_, err = c.Products.FindSellableBySKU(context.Background(), "MUG")
	fmt.Println("partial SKU found:", !errors.Is(err, veeqo.ErrNotFound))
	// Output:
	// MUG-1 9.5
	// partial SKU found: false
}

// ExampleAPIError shows how Veeqo's answers map to sentinel errors.
func ExampleAPIError() {
	srv, _ := startFake()
	defer srv.Close()
	c, _ := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()))

	_, _, err := c.Orders.Get(context.Background(), 999)
	var apiErr *veeqo.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Messages, errors.Is(err, veeqo.ErrNotFound))
	}
	// Output:
	// 404 [Not found] true
}

// ExampleWithLimiter shares one rate limiter between two clients of the same
// key: Veeqo counts requests per key, so they must not pace independently.
func ExampleWithLimiter() {
	srv, _ := startFake()
	defer srv.Close()

	first, err := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()))
	if err != nil {
		log.Fatal(err)
	}
	second, err := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()), veeqo.WithLimiter(first.Limiter()))
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range []*veeqo.Client{first, second} {
		if _, _, err := c.Company.Current(context.Background()); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("shared:", first.Limiter() == second.Limiter(), "rate:", first.Limiter().Limit(), "burst:", first.Limiter().Burst())
	fmt.Println("requests:", first.Requests(), second.Requests())
	// Output:
	// shared: true rate: 5 burst: 50
	// requests: 1 1
}
