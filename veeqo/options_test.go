package veeqo

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  string
		opts []Option
		want string // "" means success
	}{
		{"empty key", "", nil, "API key"},
		{"blank key", "   ", nil, "API key"},
		{"key with newline", "a\nb", nil, "line break"},
		{"bearer without key", "", []Option{WithBearerToken("t")}, ""},
		{"empty bearer", "k", []Option{WithBearerToken("")}, "empty token"},
		{"default", "k", nil, ""},
		{"https base", "k", []Option{WithBaseURL("https://proxy.example.com/veeqo")}, ""},
		{"http loopback", "k", []Option{WithBaseURL("http://127.0.0.1:8080/api/")}, ""},
		{"http localhost", "k", []Option{WithBaseURL("http://localhost:8080")}, ""},
		{"http ipv6 loopback", "k", []Option{WithBaseURL("http://[::1]:8080")}, ""},
		{"http remote", "k", []Option{WithBaseURL("http://api.veeqo.com")}, "loopback"},
		{"ftp", "k", []Option{WithBaseURL("ftp://api.veeqo.com")}, "scheme"},
		{"no host", "k", []Option{WithBaseURL("https:///x")}, "no host"},
		{"user info", "k", []Option{WithBaseURL("https://u:p@api.veeqo.com")}, "user info"},
		{"query", "k", []Option{WithBaseURL("https://api.veeqo.com/?a=b")}, "query"},
		{"nil http client", "k", []Option{WithHTTPClient(nil)}, "nil *http.Client"},
		{"empty user agent", "k", []Option{WithUserAgent(" ")}, "empty user agent"},
		{"zero rate", "k", []Option{WithRateLimit(0, 1)}, "rate must be positive"},
		{"zero burst", "k", []Option{WithRateLimit(1, 0)}, "burst"},
		{"infinite rate", "k", []Option{WithRateLimit(rate.Inf, 1)}, ""},
		{"nil limiter", "k", []Option{WithLimiter(nil)}, "nil limiter"},
		{"zero attempts", "k", []Option{WithRetryPolicy(RetryPolicy{})}, "MaxAttempts"},
		{"max below min", "k", []Option{WithRetryPolicy(RetryPolicy{MaxAttempts: 2, MinBackoff: time.Second, MaxBackoff: time.Millisecond})}, "MaxBackoff"},
		{"negative min", "k", []Option{WithRetryPolicy(RetryPolicy{MaxAttempts: 2, MinBackoff: -1})}, "MinBackoff"},
		{"zero body cap", "k", []Option{WithMaxResponseBytes(0)}, "limit must be positive"},
		{"zero attempt timeout", "k", []Option{WithAttemptTimeout(0)}, "timeout must be positive"},
		{"nil option", "k", []Option{nil}, "option 0 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.key, tt.opts...)
			if tt.want == "" {
				require.NoError(t, err)
				require.NotNil(t, c.Orders)
				return
			}
			require.ErrorContains(t, err, tt.want)
			require.Nil(t, c)
		})
	}
}

func TestBaseURLPathPrefixKept(t *testing.T) {
	t.Parallel()
	c, err := New("k", WithBaseURL("https://proxy.example.com/veeqo"))
	require.NoError(t, err)
	require.Equal(t, "https://proxy.example.com/veeqo/", c.BaseURL())
	require.Equal(t, "https://proxy.example.com/veeqo/orders/1", c.baseURL.JoinPath("orders/1").String())
}

type countingTransport struct {
	n    int
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n++
	return c.next.RoundTrip(r)
}

func TestWithHTTPClientIsCopiedNotMutated(t *testing.T) {
	t.Parallel()
	c0, mux := setup(t)
	mux.HandleFunc("GET /current_company", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"id":1}`)
	})
	tr := &countingTransport{next: http.DefaultTransport}
	hc := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	c, err := New(testKey, WithBaseURL(c0.BaseURL()), WithHTTPClient(hc))
	require.NoError(t, err)
	_, _, err = c.Company.Current(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, tr.n, "requests go through the given transport")
	require.Same(t, tr, hc.Transport.(*countingTransport), "the caller's client keeps its transport")
	require.Nil(t, hc.CheckRedirect, "the caller's client is not modified")
	require.Equal(t, 5*time.Second, hc.Timeout)
}

func TestUserAgentOption(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithUserAgent("xoroerp/2.0"))
	mux.HandleFunc("GET /current_company", func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "xoroerp/2.0", r.Header.Get("User-Agent"))
		writeJSON(w, 200, `{"id":1}`)
	})
	_, _, err := c.Company.Current(context.Background())
	require.NoError(t, err)
}

func TestInvalidIDsAreRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	calls := map[string]func() error{
		"Orders.Get":           func() error { _, _, err := c.Orders.Get(ctx, 0); return err },
		"Orders.Update":        func() error { _, _, err := c.Orders.Update(ctx, -1, &OrderInput{}); return err },
		"Orders.Update nil":    func() error { _, _, err := c.Orders.Update(ctx, 1, nil); return err },
		"Orders.Cancel":        func() error { _, _, err := c.Orders.Cancel(ctx, 0, nil); return err },
		"Orders.AddNote":       func() error { _, _, err := c.Orders.AddNote(ctx, 0, "x"); return err },
		"Allocations.Create":   func() error { _, _, err := c.Allocations.Create(ctx, 0, nil); return err },
		"Allocations.Update":   func() error { _, _, err := c.Allocations.Update(ctx, 1, 0, nil); return err },
		"Shipments.Create nil": func() error { _, _, err := c.Shipments.Create(ctx, nil); return err },
		"Shipments.Create order": func() error {
			_, _, err := c.Shipments.Create(ctx, &ShipmentInput{AllocationID: 1, CarrierID: 3})
			return err
		},
		"Shipments.Create carrier": func() error {
			_, _, err := c.Shipments.Create(ctx, &ShipmentInput{OrderID: 1, AllocationID: 1})
			return err
		},
		"Shipments.Delete": func() error { _, err := c.Shipments.Delete(ctx, 0); return err },
		"Products.Get":     func() error { _, _, err := c.Products.Get(ctx, 0); return err },
		"Products.Search":  func() error { _, err := c.Products.Search(ctx, ""); return err },
		"Products.UPC":     func() error { _, err := c.Products.FindSellableByUPC(ctx, ""); return err },
		"Channels.Get":     func() error { _, _, err := c.Channels.Get(ctx, 0); return err },
		"Warehouses.Get":   func() error { _, _, err := c.Warehouses.Get(ctx, 0); return err },
		"DeliveryMethods":  func() error { _, _, err := c.DeliveryMethods.Get(ctx, 0); return err },
		"Customers.Get":    func() error { _, _, err := c.Customers.Get(ctx, 0); return err },
		"Customers.Create": func() error { _, _, err := c.Customers.Create(ctx, &CustomerInput{}); return err },
		"Customers.Find":   func() error { _, err := c.Customers.FindByEmail(ctx, ""); return err },
		"negative page": func() error {
			_, _, err := c.Orders.List(ctx, &OrderListOptions{ListOptions: ListOptions{Page: -1}})
			return err
		},
		"negative page size": func() error { _, _, err := c.Warehouses.List(ctx, &ListOptions{PageSize: -1}); return err },
		"negative since_id":  func() error { _, _, err := c.Orders.List(ctx, &OrderListOptions{SinceID: -1}); return err },
	}
	for name, call := range calls {
		require.ErrorIs(t, call(), ErrInvalidRequest, name)
	}
	require.Zero(t, c.Requests())
}
