package veeqotest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

func TestRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, veeqotest.WithRateLimit(3, 1), veeqotest.WithBearerToken("tok"))
	get := func(hdr ...string) reply {
		r, err := send(f.srv, "GET", "/current_company", nil, hdr...)
		require.NoError(t, err)
		return r
	}
	key := []string{"x-api-key", f.srv.APIKey()}
	for i := range 3 {
		require.Equal(t, 200, get(key...).status, "request %d fits the bucket", i+1)
	}
	r := get(key...)
	require.Equal(t, 429, r.status)
	require.Empty(t, r.body, "429 has an empty body")
	require.Equal(t, "0", r.header.Get("Content-Length"))
	for h := range r.header {
		require.NotContains(t, strings.ToLower(h), "ratelimit")
		require.NotEqual(t, "Retry-After", h)
	}
	require.Equal(t, 401, get().status, "a request without credentials is refused before the bucket")
	require.Equal(t, 200, get("Authorization", "Bearer tok").status, "the bearer token has its own bucket")

	f.clock.Advance(999 * time.Millisecond)
	require.Equal(t, 429, get(key...).status, "not drained yet")
	f.clock.Advance(time.Millisecond)
	require.Equal(t, 200, get(key...).status, "one slot drained after 1 s at 1/s")
	require.Equal(t, 429, get(key...).status)
	f.clock.Advance(10 * time.Second)
	for range 3 {
		require.Equal(t, 200, get(key...).status, "fully drained, never below empty")
	}
	require.Equal(t, 429, get(key...).status)
}

// TestRateLimitSustained drives the default-shaped bucket (scaled) at its
// drain rate: no request is refused.
func TestRateLimitSustained(t *testing.T) {
	t.Parallel()
	f := newFixture(t, veeqotest.WithRateLimit(10, 5))
	refused := 0
	for range 100 {
		if call(t, f.srv, "GET", "/current_company", nil).status == 429 {
			refused++
		}
		f.clock.Advance(200 * time.Millisecond)
	}
	require.Zero(t, refused)
	// Twice the rate overflows once the burst is spent.
	for range 30 {
		if call(t, f.srv, "GET", "/current_company", nil).status == 429 {
			refused++
		}
		f.clock.Advance(100 * time.Millisecond)
	}
	require.Positive(t, refused)
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.FailNext(2, veeqotest.Fault{Match: veeqotest.Match("POST", "/orders"), Status: 503, Body: `{"error_messages":"down"}`,
		Header: http.Header{"Retry-After": {"2"}}})
	require.Equal(t, 2, f.srv.PendingFaults())
	require.Equal(t, 200, call(t, f.srv, "GET", "/orders", nil).status, "other routes are unaffected")
	for range 2 {
		r := call(t, f.srv, "POST", "/orders", f.orderBody("F-1"))
		require.Equal(t, 503, r.status)
		require.JSONEq(t, `{"error_messages":"down"}`, string(r.body))
		require.Equal(t, "2", r.header.Get("Retry-After"))
	}
	require.Empty(t, f.srv.Orders(), "a failed request changes nothing")
	require.Equal(t, 201, call(t, f.srv, "POST", "/orders", f.orderBody("F-1")).status)
	require.Zero(t, f.srv.PendingFaults())

	f.srv.Set429Storm(2)
	for range 2 {
		r := call(t, f.srv, "GET", "/products", nil)
		require.Equal(t, 429, r.status)
		require.Empty(t, r.body)
	}
	require.Equal(t, 200, call(t, f.srv, "GET", "/products", nil).status)

	f.srv.FailNext(1, veeqotest.Fault{})
	require.Equal(t, 500, call(t, f.srv, "GET", "/warehouses", nil).status, "a bare Fault answers 500")
	f.srv.FailNext(5, veeqotest.Fault{Status: 502})
	f.srv.ClearFaults()
	require.Equal(t, 200, call(t, f.srv, "GET", "/warehouses", nil).status)
}

func TestDropAndCommitThenFail(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	client := &http.Client{Transport: &http.Transport{}}
	post := func(number string) error {
		b, _ := json.Marshal(f.orderBody(number))
		req, _ := http.NewRequest("POST", f.srv.URL()+"/orders", bytes.NewReader(b))
		req.Header.Set("x-api-key", f.srv.APIKey())
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}

	f.srv.FailNext(1, veeqotest.Fault{Match: veeqotest.Match("POST", "/orders"), Drop: true})
	require.Error(t, post("D-1"), "dropped connection")
	require.Empty(t, f.srv.OrdersByNumber("D-1"), "Drop does not apply the write")

	f.srv.CommitThenFail(1, veeqotest.Match("POST", "/orders"))
	require.Error(t, post("D-2"), "response lost")
	require.Len(t, f.srv.OrdersByNumber("D-2"), 1, "CommitThenFail applies the write")

	require.NoError(t, post("D-3"))
	log := f.srv.Requests()
	require.Len(t, log, 3)
	require.Equal(t, []bool{true, true, false}, []bool{log[0].Dropped, log[1].Dropped, log[2].Dropped})
	require.Equal(t, []int{0, 201, 201}, []int{log[0].Status, log[1].Status, log[2].Status})
	require.Contains(t, string(log[1].Body), `"D-2"`)
}

func TestCorruptNext(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.create(t, "K-1")
	f.srv.CorruptNext(1, veeqotest.Match("GET", "/orders/{id}"))
	require.Equal(t, 200, call(t, f.srv, "GET", "/orders", nil).status)
	r := call(t, f.srv, "GET", path("/orders/%d", o.ID), nil)
	require.Equal(t, 200, r.status)
	var got veeqo.Order
	require.Error(t, json.Unmarshal(r.body, &got), "malformed body: %s", r.body)
	r = call(t, f.srv, "GET", path("/orders/%d", o.ID), nil)
	require.NoError(t, json.Unmarshal(r.body, &got))
	require.Equal(t, o.ID, got.ID)
}

func TestLatency(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.SetLatencyFor(veeqotest.Match("GET", "/orders"), 2*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL()+"/orders", nil)
	req.Header.Set("x-api-key", f.srv.APIKey())
	start := time.Now()
	_, err := http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), time.Second)

	start = time.Now()
	require.Equal(t, 200, call(t, f.srv, "GET", "/products", nil).status)
	require.Less(t, time.Since(start), time.Second, "other routes are not delayed")

	f.srv.SetLatency(30 * time.Millisecond)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	req, _ = http.NewRequestWithContext(ctx2, "GET", f.srv.URL()+"/orders", nil)
	req.Header.Set("x-api-key", f.srv.APIKey())
	_, err = http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the specific rule wins over the catch-all")
	f.srv.SetLatencyFor(veeqotest.Match("GET", "/orders"), 0)
	start = time.Now()
	require.Equal(t, 200, call(t, f.srv, "GET", "/orders", nil).status)
	require.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
}

func TestCountAndRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.create(t, "Q-1")
	call(t, f.srv, "GET", "/orders?status=shipped", nil)
	call(t, f.srv, "GET", path("/orders/%d", o.ID), nil)
	call(t, f.srv, "GET", path("/orders/%d", o.ID), nil)
	call(t, f.srv, "PUT", path("/orders/%d/cancel", o.ID), nil)
	send(f.srv, "GET", "/orders", nil) //nolint:errcheck // a 401 counts too
	tests := []struct {
		method, path string
		want         int
	}{
		{"POST", "/orders", 1},
		{"GET", "/orders", 2},
		{"get", "/orders/", 2},
		{"GET", "/orders/{id}", 2},
		{"PUT", "/orders/{id}/cancel", 1},
		{"", "/orders/{id}", 2},
		{"", "/orders/*", 3},
		{"", "/*", 6},
		{"", "", 6},
		{"DELETE", "/orders/{id}", 0},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, f.srv.Count(tc.method, tc.path), "%s %s", tc.method, tc.path)
	}
	reqs := f.srv.Requests()
	require.Equal(t, 6, f.srv.TotalRequests())
	require.Equal(t, "/orders", reqs[1].Path, "paths exclude the prefix")
	require.Equal(t, "shipped", reqs[1].Query.Get("status"))
	require.Equal(t, 401, reqs[5].Status)
	require.Equal(t, f.clock.Now(), reqs[0].Time)
	reqs[1].Query.Set("status", "mutated")
	require.Equal(t, "shipped", f.srv.Requests()[1].Query.Get("status"), "Requests returns copies")
	f.srv.ResetRequests()
	require.Zero(t, f.srv.TotalRequests())
}

func TestLoggerNeverShowsCredentials(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	h := slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug})
	f := newFixture(t, veeqotest.WithAPIKey("sekrit-key-42"), veeqotest.WithBearerToken("sekrit-tok-43"), veeqotest.WithLogger(slog.New(h)))
	f.create(t, "L-1")
	send(f.srv, "GET", "/orders", nil, "Authorization", "Bearer sekrit-tok-43") //nolint:errcheck
	send(f.srv, "GET", "/orders", nil, "x-api-key", "sekrit-wrong")             //nolint:errcheck
	f.srv.Close()
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	require.Contains(t, out, "path=/orders")
	require.Contains(t, out, "status=401")
	require.NotContains(t, out, "sekrit")
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const workers, each = 4, 6
	var wg sync.WaitGroup
	ids := make(chan int64, workers*each)
	errs := make(chan error, workers*each*3)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				b, _ := json.Marshal(f.orderBody(fmt.Sprintf("P-%d-%d", w, i)))
				r, err := send(f.srv, "POST", "/orders", string(b), "x-api-key", f.srv.APIKey())
				if err != nil || r.status != 201 {
					errs <- fmt.Errorf("create: %v %d", err, r.status)
					continue
				}
				var o veeqo.Order
				if err := json.Unmarshal(r.body, &o); err != nil {
					errs <- err
					continue
				}
				ids <- o.ID
				if _, err := f.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "T"}); err != nil {
					errs <- err
				}
				if r, err := send(f.srv, "GET", "/orders?page_size=10", nil, "x-api-key", f.srv.APIKey()); err != nil || r.status != 200 {
					errs <- fmt.Errorf("list: %v", err)
				}
				_ = f.srv.Count("POST", "/orders")
			}
		}()
	}
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[int64]bool{}
	for id := range ids {
		require.False(t, seen[id], "duplicate id %d", id)
		seen[id] = true
	}
	require.Len(t, seen, workers*each)
	require.Equal(t, workers*each, f.srv.Count("POST", "/orders"))
	for _, o := range f.srv.Orders() {
		require.Equal(t, veeqo.StatusShipped, o.Status)
	}
}

func BenchmarkCreateOrder(b *testing.B) {
	srv := veeqotest.NewServer(b, veeqotest.WithoutRateLimit())
	wh := srv.AddWarehouse(veeqo.Warehouse{Name: "Main"})
	ch := srv.AddChannel(veeqo.Channel{DefaultWarehouse: &wh})
	p := srv.AddProduct(veeqo.Product{Title: "Mug", Sellables: []veeqo.Sellable{{SKUCode: "MUG-1"}}})
	body := fmt.Sprintf(`{"order":{"channel_id":%d,"customer_attributes":{"email":"a@b.c"},"deliver_to_attributes":{"first_name":"A"},
		"line_items_attributes":[{"sellable_id":%d,"quantity":1,"price_per_unit":"1"}]}}`, ch.ID, p.Sellables[0].ID)
	b.ResetTimer()
	for b.Loop() {
		r, err := send(srv, "POST", "/orders", body, "x-api-key", srv.APIKey())
		if err != nil || r.status != 201 {
			b.Fatal(err, r.status)
		}
	}
}

func BenchmarkListOrdersPage100(b *testing.B) {
	srv := veeqotest.NewServer(b, veeqotest.WithoutRateLimit())
	for i := range 1000 {
		srv.AddOrder(veeqo.Order{Number: fmt.Sprint(i), LineItems: []veeqo.LineItem{{Sellable: &veeqo.Sellable{SKUCode: "S"}, Quantity: 1}}})
	}
	b.ResetTimer()
	for b.Loop() {
		r, err := send(srv, "GET", "/orders?page_size=100&page=3", nil, "x-api-key", srv.APIKey())
		if err != nil || r.status != 200 {
			b.Fatal(err, r.status)
		}
	}
}
