package veeqo

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// bodyTransport answers every request with status and body, without a
// network, so a fuzz run spends its time decoding.
type bodyTransport struct{ body []byte }

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	status := http.StatusOK
	if r.Method == http.MethodPost {
		status = http.StatusCreated
	}
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(b.body)), Request: r}, nil
}

// FuzzAnswers sends one arbitrary body as Veeqo's answer to every endpoint
// the client reads (orders, products, channels, warehouses, delivery
// methods, company, customers, allocations, shipments, notes; single
// records and list pages): no call may panic or hang, an error is one of
// the client's typed errors, and a record that decodes has valid UTF-8 in
// its names.
func FuzzAnswers(f *testing.F) {
	addTestdataSeeds(f, "")
	for _, s := range []string{`{"id":1}`, `[{"id":1},{"id":1}]`, `{"id":"x"}`, `[{"id":1,"sellables":[{"id":2,"sku_code":"A"}]}]`,
		`{"id":1,"allocations":[{"id":2,"shipment":{"id":3,"tracking_number":{"tracking_number":"Z"}}}]}`, `null`, `[]`, `{}`, "\"\xff\"", `[`, `1e999`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 1<<16 {
			return
		}
		c, err := New("fuzz-key", WithHTTPClient(&http.Client{Transport: bodyTransport{body}}), WithRateLimit(rate.Inf, 1),
			WithRetryPolicy(RetryPolicy{MaxAttempts: 1, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		check := func(what string, err error) {
			if err == nil {
				return
			}
			var de *DecodeError
			var ae *APIError
			if !errors.As(err, &de) && !errors.As(err, &ae) && !errors.Is(err, ErrOutcomeUnknown) && !errors.Is(err, ErrNotFound) {
				t.Fatalf("%s: untyped error %T: %v", what, err, err)
			}
			if strings.Contains(err.Error(), "fuzz-key") {
				t.Fatalf("%s: the key is in the error", what)
			}
		}
		names := func(what string, ss ...string) {
			for _, s := range ss {
				if !utf8.ValidString(s) {
					t.Fatalf("%s: %q is not UTF-8", what, s)
				}
			}
		}
		o, _, err := c.Orders.Get(ctx, 1)
		check("Orders.Get", err)
		if o != nil {
			names("Orders.Get", o.Number)
			for _, a := range o.Allocations {
				_ = a.Shipment.Tracking()
				_ = a.Shipment.Service()
			}
		}
		os, _, err := c.Orders.List(ctx, nil)
		check("Orders.List", err)
		for _, o := range os {
			names("Orders.List", o.Number)
		}
		in := &OrderInput{ChannelID: 1, CustomerID: 2, DeliverToID: 3, LineItems: []LineItemInput{{SellableID: 4, Quantity: 1}}}
		_, _, err = c.Orders.Create(ctx, in)
		check("Orders.Create", err)
		_, err = c.Orders.FindByNumber(ctx, "SO-1")
		check("Orders.FindByNumber", err)
		_, _, err = c.Orders.AddNote(ctx, 1, "n")
		check("Orders.AddNote", err)
		p, _, err := c.Products.Get(ctx, 1)
		check("Products.Get", err)
		if p != nil {
			names("Products.Get", p.Title)
		}
		_, err = c.Products.FindSellableBySKU(ctx, "A")
		check("Products.FindSellableBySKU", err)
		_, _, err = c.Products.List(ctx, nil)
		check("Products.List", err)
		_, _, err = c.Channels.List(ctx, nil)
		check("Channels.List", err)
		_, _, err = c.Channels.Get(ctx, 1)
		check("Channels.Get", err)
		_, _, err = c.Warehouses.List(ctx, nil)
		check("Warehouses.List", err)
		_, _, err = c.DeliveryMethods.List(ctx, nil)
		check("DeliveryMethods.List", err)
		_, _, err = c.Company.Current(ctx)
		check("Company.Current", err)
		_, err = c.Customers.FindByEmail(ctx, "a@b.example")
		check("Customers.FindByEmail", err)
		_, _, err = c.Customers.Create(ctx, &CustomerInput{Email: "a@b.example"})
		check("Customers.Create", err)
		_, _, err = c.Allocations.Create(ctx, 1, &AllocationInput{WarehouseID: 1, LineItems: []AllocationLineInput{{SellableID: 4, Quantity: 1}}})
		check("Allocations.Create", err)
		_, _, err = c.Shipments.Create(ctx, &ShipmentInput{OrderID: 1, AllocationID: 2, CarrierID: 3, TrackingNumber: "Z"})
		check("Shipments.Create", err)
	})
}
