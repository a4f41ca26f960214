package veeqotest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	srv := veeqotest.NewServer(t, veeqotest.WithAPIKey("k-123"), veeqotest.WithBearerToken("tok-9"))
	const unauthorized = `{"error_messages":"You're not authorized"}`
	tests := []struct {
		name   string
		hdr    []string
		status int
		body   string
	}{
		{"no credential", nil, 401, unauthorized},
		{"wrong key", []string{"x-api-key", "nope"}, 401, unauthorized},
		{"right key", []string{"x-api-key", "k-123"}, 200, `{"id":1,"name":"Veeqotest Ltd"}`},
		{"right bearer", []string{"Authorization", "Bearer tok-9"}, 200, `{"id":1,"name":"Veeqotest Ltd"}`},
		{"wrong bearer", []string{"Authorization", "Bearer tok-8"}, 401, unauthorized},
		{"key as bearer", []string{"Authorization", "Bearer k-123"}, 401, unauthorized},
		{"wrong key beats right bearer", []string{"x-api-key", "nope", "Authorization", "Bearer tok-9"}, 401, unauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := send(srv, "GET", "/current_company", nil, tc.hdr...)
			require.NoError(t, err)
			require.Equal(t, tc.status, r.status)
			require.JSONEq(t, tc.body, string(r.body))
		})
	}
	require.Equal(t, "k-123", srv.APIKey())
	require.Equal(t, "tok-9", srv.BearerToken())
}

func TestBearerNotAcceptedUnlessConfigured(t *testing.T) {
	t.Parallel()
	srv := veeqotest.NewServer(t)
	r, err := send(srv, "GET", "/current_company", nil, "Authorization", "Bearer "+srv.APIKey())
	require.NoError(t, err)
	require.Equal(t, 401, r.status)
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  veeqotest.Option
	}{
		{"empty key", veeqotest.WithAPIKey(" ")},
		{"empty token", veeqotest.WithBearerToken("")},
		{"zero capacity", veeqotest.WithRateLimit(0, 5)},
		{"zero drain", veeqotest.WithRateLimit(10, 0)},
		{"nil clock", veeqotest.WithClock(nil)},
		{"nil logger", veeqotest.WithLogger(nil)},
		{"bad prefix", veeqotest.WithPathPrefix("/a?b")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := veeqotest.Start(tc.opt)
			require.Error(t, err)
			require.Nil(t, srv)
		})
	}
}

func TestNotFoundShapes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const route = `{"status":404,"error":"Not Found"}`
	const record = `{"error_messages":"Not found"}`
	tests := []struct {
		method, path, body string
	}{
		{"GET", "/nope", route},
		{"DELETE", "/orders", route},
		{"GET", "/orders/", route},
		{"GET", "/orders/999", record},
		{"GET", "/orders/abc", record},
		{"GET", "/products/1", record},
		{"GET", "/channels/1", record},
		{"GET", "/warehouses/1", record},
		{"GET", "/delivery_methods/1", record},
		{"GET", "/customers/1", record},
		{"PUT", "/orders/1/cancel", record},
		{"DELETE", "/shipments/1", record},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := call(t, f.srv, tc.method, tc.path, nil)
			require.Equal(t, 404, r.status)
			require.JSONEq(t, tc.body, string(r.body))
		})
	}
	t.Run("outside the prefix", func(t *testing.T) {
		req, _ := http.NewRequest("GET", f.srv.URL()[:len(f.srv.URL())-len("/api")]+"/orders", nil)
		req.Header.Set("x-api-key", f.srv.APIKey())
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 404, resp.StatusCode)
	})
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := 1; i <= 25; i++ {
		f.srv.AddOrder(veeqo.Order{Number: fmt.Sprintf("N%02d", i), LineItems: []veeqo.LineItem{{Sellable: &f.mug, Quantity: 1}}})
	}
	tests := []struct {
		query                    string
		count, pages, index, per string
		first, last              string
		n                        int
	}{
		{"", "25", "3", "1", "10", "N25", "N16", 10},
		{"?page_size=100", "25", "1", "1", "100", "N25", "N01", 25},
		{"?page_size=500", "25", "1", "1", "100", "N25", "N01", 25},
		{"?page=3&page_size=10", "25", "3", "3", "10", "N05", "N01", 5},
		{"?page=4&page_size=10", "25", "3", "4", "10", "", "", 0},
		{"?page=x&page_size=7", "25", "4", "1", "7", "N25", "N19", 7},
		{"?page_size=1", "25", "25", "1", "1", "N25", "N25", 1},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			r := call(t, f.srv, "GET", "/orders"+tc.query, nil)
			require.Equal(t, 200, r.status)
			got := map[string]string{
				"count": r.header.Get("X-Total-Count"), "pages": r.header.Get("X-Total-Pages-Count"),
				"index": r.header.Get("X-Page-Index"), "per": r.header.Get("X-Per-Page"),
			}
			want := map[string]string{"count": tc.count, "pages": tc.pages, "index": tc.index, "per": tc.per}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("headers (-want +got):\n%s", d)
			}
			var orders []veeqo.Order
			r.decode(t, &orders)
			require.Len(t, orders, tc.n)
			if tc.n > 0 {
				require.Equal(t, tc.first, orders[0].Number)
				require.Equal(t, tc.last, orders[len(orders)-1].Number)
				for i := 1; i < len(orders); i++ {
					require.Greater(t, orders[i-1].ID, orders[i].ID, "newest (highest id) first")
				}
			}
		})
	}
	for _, bad := range []string{"abc", "0", "-1"} {
		t.Run("page_size="+bad, func(t *testing.T) {
			r := call(t, f.srv, "GET", "/orders?page_size="+bad, nil)
			require.Equal(t, 400, r.status)
			require.JSONEq(t, `{"error_messages":["Infinity"]}`, string(r.body))
			require.Equal(t, "25", r.header.Get("X-Total-Count"))
			require.NotEmpty(t, r.header.Get("X-Page-Index"))
		})
	}
}

func TestListHeadersPerEndpoint(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		path    string
		headers bool
		count   int
	}{
		{"/channels", false, 2},
		{"/channels?type_code=amazon", false, 1},
		{"/channels?type_code=shopify", false, 0},
		{"/products", true, 3},
		{"/sellables?per_page=1000", true, 3},
		{"/warehouses", true, 2},
		{"/delivery_methods", true, 1},
		{"/customers", true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := call(t, f.srv, "GET", tc.path, nil)
			require.Equal(t, 200, r.status, "%s", r.body)
			var items []map[string]any
			r.decode(t, &items)
			require.Len(t, items, tc.count)
			for _, h := range []string{"X-Total-Count", "X-Total-Pages-Count", "X-Page-Index", "X-Per-Page"} {
				_, present := r.header[h]
				require.Equal(t, tc.headers, present, h)
			}
			if tc.headers {
				require.Equal(t, strconv.Itoa(tc.count), r.header.Get("X-Total-Count"))
			}
		})
	}
	t.Run("sellables per_page", func(t *testing.T) {
		r := call(t, f.srv, "GET", "/sellables?per_page=2&page=2", nil)
		var items []veeqo.Sellable
		r.decode(t, &items)
		require.Len(t, items, 1)
		require.Equal(t, f.mug.ID, items[0].ID)
	})
}

// TestOrderFilters seeds orders at known times and checks each filter.
func TestOrderFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	t0 := f.clock.Now()
	bob := f.srv.AddCustomer(veeqo.Customer{Email: "bob@shop.test"})
	add := func(number string, created time.Duration, ch veeqo.Channel, cust *veeqo.Customer, s veeqo.Sellable, tags ...string) veeqo.Order {
		o := veeqo.Order{Number: number, Channel: &ch, Customer: cust, CreatedAt: t0.Add(created),
			LineItems: []veeqo.LineItem{{Sellable: &s, Quantity: 1}}}
		for _, tg := range tags {
			o.Tags = append(o.Tags, veeqo.Tag{Name: tg})
		}
		return f.srv.AddOrder(o)
	}
	a := add("A-100", 0, f.direct, &f.customer, f.mug, "vip")
	b := add("B-200", time.Hour, f.amazon, &bob, f.cup)
	c := add("C-300", 2*time.Hour, f.direct, nil, f.plate, "gift", "vip")
	d := add("D-400", 3*time.Hour, f.amazon, &bob, f.mug)
	require.NoError(t, f.srv.CancelOrder(d.ID, "customer asked"))
	// Later activity moves B's updated_at.
	f.clock.Advance(5 * time.Hour)
	_, err := f.srv.ShipAll(b.ID, veeqotest.ShipInfo{TrackingNumber: "T1", CarrierID: 3})
	require.NoError(t, err)
	// C is allocated to the second warehouse only.
	f.srv.ClearAllocations(c.ID)
	f.srv.RestoreAllocations(c.ID)
	cc, _ := f.srv.Order(c.ID)
	require.Len(t, cc.Allocations, 1)

	fmtTime := func(d time.Duration) string { return url.QueryEscape(t0.Add(d).Format("2006-01-02 15:04:05")) }
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"default excludes cancelled", "", []string{"C-300", "B-200", "A-100"}},
		{"status cancelled", "status=cancelled", []string{"D-400"}},
		{"status shipped", "status=shipped", []string{"B-200"}},
		{"status awaiting_fulfillment", "status=awaiting_fulfillment", []string{"C-300", "A-100"}},
		{"unknown status", "status=teleported", []string{}},
		{"since_id", "since_id=" + strconv.FormatInt(a.ID, 10), []string{"C-300", "B-200"}},
		{"created_at_min veeqo format", "created_at_min=" + fmtTime(time.Hour), []string{"C-300", "B-200"}},
		{"created_at_min rfc3339 with offset", "created_at_min=" + url.QueryEscape(t0.Add(2*time.Hour).In(time.FixedZone("x", 3600)).Format(time.RFC3339)), []string{"C-300"}},
		{"created_at_min unparseable ignored", "created_at_min=yesterday", []string{"C-300", "B-200", "A-100"}},
		{"updated_at_min", "updated_at_min=" + fmtTime(4*time.Hour), []string{"C-300", "B-200"}},
		{"query number substring", "query=b-2", []string{"B-200"}},
		{"query email", "query=bob@", []string{"B-200"}},
		{"query sku", "query=PLATE", []string{"C-300"}},
		{"query no match", "query=zzz", []string{}},
		{"tags", "tags=vip", []string{"C-300", "A-100"}},
		{"channel_ids[]", "channel_ids[]=" + strconv.FormatInt(f.amazon.ID, 10), []string{"B-200"}},
		{"channel_ids[] several", "channel_ids[]=" + strconv.FormatInt(f.amazon.ID, 10) + "&channel_ids[]=" + strconv.FormatInt(f.direct.ID, 10), []string{"C-300", "B-200", "A-100"}},
		{"allocated_at", "allocated_at=" + strconv.FormatInt(f.wh.ID, 10), []string{"C-300", "B-200", "A-100"}},
		{"allocated_at other warehouse", "allocated_at=" + strconv.FormatInt(f.wh2.ID, 10), []string{}},
		{"combined", "status=awaiting_fulfillment&tags=gift", []string{"C-300"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, f.srv, "GET", "/orders?page_size=100&"+tc.query, nil)
			require.Equal(t, 200, r.status, "%s", r.body)
			var orders []veeqo.Order
			r.decode(t, &orders)
			if d := cmp.Diff(tc.want, numbers(orders)); d != "" {
				t.Fatalf("numbers (-want +got):\n%s", d)
			}
			require.Equal(t, strconv.Itoa(len(tc.want)), r.header.Get("X-Total-Count"))
		})
	}
}

func TestCatalogueFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.AddCustomer(veeqo.Customer{Email: "carol@other.test"})
	tests := []struct {
		path string
		want []string // titles or emails
	}{
		{"/products?query=mug", []string{"Blue mug"}},
		{"/products?query=cup-1", []string{"Tea cup"}},
		{"/products?query=0123456789", []string{"Blue mug"}},
		{"/products?query=nothing", []string{}},
		{"/products?since_id=" + strconv.FormatInt(f.mug.ProductID, 10), []string{"Dinner plate", "Tea cup"}},
		{"/customers?query=example.com", []string{"ann@example.com"}},
		{"/customers?query=CAROL", []string{"carol@other.test"}},
		{"/customers", []string{"carol@other.test", "ann@example.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := call(t, f.srv, "GET", tc.path, nil)
			require.Equal(t, 200, r.status)
			var items []map[string]any
			r.decode(t, &items)
			got := []string{}
			for _, it := range items {
				if v, ok := it["title"].(string); ok {
					got = append(got, v)
				} else {
					got = append(got, it["email"].(string))
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestWireFormat checks the JSON as Veeqo writes it: timestamps with
// milliseconds and Z, money as numbers in orders and as a string in
// delivery methods, the sellable nested in line items, null for absent
// objects.
func TestWireFormat(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.clock.Advance(7 * time.Millisecond)
	o := f.create(t, "W-1")
	r := call(t, f.srv, "GET", "/orders/"+strconv.FormatInt(o.ID, 10), nil)
	require.Equal(t, contentTypeWant, r.header.Get("Content-Type"))
	var doc map[string]any
	r.decode(t, &doc)
	require.Equal(t, "2026-03-01T12:00:00.007Z", doc["created_at"])
	require.Nil(t, doc["shipped_at"])
	require.Nil(t, doc["delivery_method"])
	require.Equal(t, float64(10), doc["total_price"], "money is a JSON number")
	li := doc["line_items"].([]any)[0].(map[string]any)
	_, hasTop := li["sellable_id"]
	require.False(t, hasTop, "no top-level sellable_id on a line item")
	require.Equal(t, "MUG-1", li["sellable"].(map[string]any)["sku_code"])
	require.Equal(t, float64(10), li["price_per_unit"])

	stamp := regexp.MustCompile(`"[a-z_]+_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"`)
	anyStamp := regexp.MustCompile(`"[a-z_]+_at":"[^"]*"`)
	require.Equal(t, len(anyStamp.FindAll(r.body, -1)), len(stamp.FindAll(r.body, -1)), "every timestamp has milliseconds and Z: %s", r.body)

	r = call(t, f.srv, "GET", "/delivery_methods", nil)
	var dms []map[string]any
	r.decode(t, &dms)
	require.Equal(t, "0", dms[0]["cost"], "delivery method cost is a string in lists")
}

const contentTypeWant = "application/json;charset=utf-8"
