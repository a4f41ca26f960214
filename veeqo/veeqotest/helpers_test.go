package veeqotest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// clock is a manual clock for WithClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// reply is a response read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

// call sends a request with the server's API key. body may be a string or
// a value to encode.
func call(t *testing.T, srv *veeqotest.Server, method, path string, body any, hdr ...string) reply {
	t.Helper()
	r, err := send(srv, method, path, body, append([]string{"x-api-key", srv.APIKey()}, hdr...)...)
	require.NoError(t, err)
	return r
}

// send sends a request with exactly the given headers (pairs).
func send(srv *veeqotest.Server, method, path string, body any, hdr ...string) (reply, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return reply{}, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, srv.URL()+path, rd)
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// fixture is a seeded account: one warehouse, a direct channel defaulting
// to it, an Amazon channel, three single-variant products, a customer and a
// delivery method.
type fixture struct {
	srv      *veeqotest.Server
	clock    *clock
	wh, wh2  veeqo.Warehouse
	direct   veeqo.Channel
	amazon   veeqo.Channel
	mug, cup veeqo.Sellable
	plate    veeqo.Sellable
	customer veeqo.Customer
	delivery veeqo.DeliveryMethod
}

func newFixture(t *testing.T, opts ...veeqotest.Option) *fixture {
	t.Helper()
	f := &fixture{clock: newClock()}
	opts = append([]veeqotest.Option{veeqotest.WithClock(f.clock.Now), veeqotest.WithPathPrefix("/api"), veeqotest.WithoutRateLimit()}, opts...)
	f.srv = veeqotest.NewServer(t, opts...)
	f.wh = f.srv.AddWarehouse(veeqo.Warehouse{Name: "Main"})
	f.wh2 = f.srv.AddWarehouse(veeqo.Warehouse{Name: "Overflow"})
	f.direct = f.srv.AddChannel(veeqo.Channel{Name: "Web shop", TypeCode: veeqo.ChannelDirect, DefaultWarehouse: &f.wh})
	f.amazon = f.srv.AddChannel(veeqo.Channel{Name: "Amazon US", TypeCode: veeqo.ChannelAmazon, DefaultWarehouse: &f.wh})
	sell := func(title, sku, upc string) veeqo.Sellable {
		p := f.srv.AddProduct(veeqo.Product{Title: title, Sellables: []veeqo.Sellable{{SKUCode: sku, UPCCode: upc}}})
		return p.Sellables[0]
	}
	f.mug = sell("Blue mug", "MUG-1", "012345678905")
	f.cup = sell("Tea cup", "CUP-1", "")
	f.plate = sell("Dinner plate", "PLATE-1", "")
	f.customer = f.srv.AddCustomer(veeqo.Customer{Email: "ann@example.com", BillingAddress: &veeqo.Address{FirstName: "Ann", LastName: "Lee"}})
	f.delivery = f.srv.AddDeliveryMethod(veeqo.DeliveryMethod{Name: "Next day"})
	return f
}

// orderBody is a valid POST /orders body.
func (f *fixture) orderBody(number string, lines ...any) map[string]any {
	if len(lines) == 0 {
		lines = []any{map[string]any{"sellable_id": f.mug.ID, "quantity": 1, "price_per_unit": "10.00"}}
	}
	return map[string]any{"order": map[string]any{
		"channel_id":            f.direct.ID,
		"number":                number,
		"customer_id":           f.customer.ID,
		"deliver_to_attributes": map[string]any{"first_name": "Ann", "address1": "1 Main St", "country": "GB"},
		"line_items_attributes": lines,
	}}
}

// create posts an order and returns it.
func (f *fixture) create(t *testing.T, number string, lines ...any) veeqo.Order {
	t.Helper()
	r := call(t, f.srv, "POST", "/orders", f.orderBody(number, lines...))
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.body)
	var o veeqo.Order
	r.decode(t, &o)
	return o
}

func line(sellableID int64, qty int) map[string]any {
	return map[string]any{"sellable_id": sellableID, "quantity": qty, "price_per_unit": "5.00"}
}

func numbers(orders []veeqo.Order) []string {
	out := []string{}
	for _, o := range orders {
		out = append(out, o.Number)
	}
	return out
}
