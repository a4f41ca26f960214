package veeqo_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// fastRetries keeps retry waits short in tests.
var fastRetries = veeqo.RetryPolicy{MaxAttempts: 4, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}

func newFakeClient(t *testing.T, srv *veeqotest.Server, opts ...veeqo.Option) *veeqo.Client {
	t.Helper()
	all := append([]veeqo.Option{veeqo.WithBaseURL(srv.URL()), veeqo.WithRetryPolicy(fastRetries), veeqo.WithRateLimit(rate.Inf, 1)}, opts...)
	c, err := veeqo.New(srv.APIKey(), all...)
	require.NoError(t, err)
	return c
}

type seeded struct {
	channel  veeqo.Channel
	sellable veeqo.Sellable
}

func seed(srv *veeqotest.Server) seeded {
	wh := srv.AddWarehouse(veeqo.Warehouse{Name: "Main"})
	ch := srv.AddChannel(veeqo.Channel{Name: "Web shop", TypeCode: veeqo.ChannelDirect, DefaultWarehouse: &wh})
	p := srv.AddProduct(veeqo.Product{Title: "Mug", Sellables: []veeqo.Sellable{{SKUCode: "MUG-1", UPCCode: "012345678905", Price: decimal.RequireFromString("9.50")}}})
	return seeded{channel: ch, sellable: p.Sellables[0]}
}

func orderFor(s seeded, number string) *veeqo.OrderInput {
	return &veeqo.OrderInput{
		ChannelID: s.channel.ID,
		Number:    number,
		Customer:  &veeqo.CustomerInput{Email: "ann@example.com"},
		DeliverTo: &veeqo.Address{FirstName: "Ann", Address1: "1 Main St", City: "Leeds", Zip: "LS1 1AA", Country: "GB"},
		LineItems: []veeqo.LineItemInput{{SellableID: s.sellable.ID, Quantity: 2, PricePerUnit: decimal.RequireFromString("9.50")}},
	}
}

func TestFakeNoPOSTReplayAfterCommitThenFail(t *testing.T) {
	t.Parallel()
	srv := veeqotest.NewServer(t, veeqotest.WithPathPrefix("/api-v1"))
	s := seed(srv)
	c := newFakeClient(t, srv)
	srv.CommitThenFail(1, veeqotest.Match("POST", "/orders"))

	_, _, err := c.Orders.Create(context.Background(), orderFor(s, "SO-1001"))
	require.ErrorIs(t, err, veeqo.ErrOutcomeUnknown)
	// A replay would have been applied before Create returned.
	require.Len(t, srv.OrdersByNumber("SO-1001"), 1, "exactly one order exists")
	require.Equal(t, int64(1), c.Requests(), "the POST was sent once and never replayed")
	// The fake logs a dropped request after closing its connection.
	require.Eventually(t, func() bool { return srv.Count("POST", "/orders") >= 1 }, 5*time.Second, time.Millisecond)
	require.Equal(t, 1, srv.Count("POST", "/orders"))

	found, err := c.Orders.FindByNumber(context.Background(), "SO-1001")
	require.NoError(t, err)
	require.Len(t, found, 1, "the caller can find the order it could not confirm")
	require.Equal(t, srv.OrdersByNumber("SO-1001")[0].ID, found[0].ID)
}

func TestFakePOSTNotReplayedAfter5xx(t *testing.T) {
	t.Parallel()
	srv := veeqotest.NewServer(t)
	s := seed(srv)
	c := newFakeClient(t, srv)
	srv.FailNext(3, veeqotest.Fault{Match: veeqotest.Match("POST", "/orders"), Status: http.StatusBadGateway})
	_, _, err := c.Orders.Create(context.Background(), orderFor(s, "SO-2"))
	require.ErrorIs(t, err, veeqo.ErrOutcomeUnknown)
	var apiErr *veeqo.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusBadGateway, apiErr.StatusCode)
	require.Equal(t, 1, srv.Count("POST", "/orders"))
}

func TestFake429StormRetried(t *testing.T) {
	t.Parallel()
	srv := veeqotest.NewServer(t)
	s := seed(srv)
	c := newFakeClient(t, srv)
	srv.Set429Storm(3)
	o, _, err := c.Orders.Create(context.Background(), orderFor(s, "SO-3"))
	require.NoError(t, err, "429s are refused requests: even a POST is retried")
	require.Equal(t, "SO-3", o.Number)
	require.Equal(t, int64(4), c.Requests())
	require.Len(t, srv.OrdersByNumber("SO-3"), 1)

	srv.Set429Storm(10)
	_, _, err = c.Company.Current(context.Background())
	require.ErrorIs(t, err, veeqo.ErrRateLimited, "still 429 after MaxAttempts")
}

func TestFakeBadKeyIsUnauthorized(t *testing.T) {
	t.Parallel()
	srv := veeqotest.NewServer(t)
	c, err := veeqo.New("wrong-key", veeqo.WithBaseURL(srv.URL()))
	require.NoError(t, err)
	_, _, err = c.Company.Current(context.Background())
	require.ErrorIs(t, err, veeqo.ErrUnauthorized)
	require.NotContains(t, err.Error(), "wrong-key")
}

func TestFakeFindersAndIterators(t *testing.T) {
	t.Parallel()
	srv := veeqotest.NewServer(t)
	s := seed(srv)
	c := newFakeClient(t, srv)
	ctx := context.Background()
	for _, n := range []string{"A-1", "A-10", "A-100"} {
		_, _, err := c.Orders.Create(ctx, orderFor(s, n))
		require.NoError(t, err)
	}
	found, err := c.Orders.FindByNumber(ctx, "A-1")
	require.NoError(t, err)
	require.Len(t, found, 1)
	require.Equal(t, "A-1", found[0].Number)

	sl, err := c.Products.FindSellableBySKU(ctx, "MUG-1")
	require.NoError(t, err)
	require.Equal(t, s.sellable.ID, sl.ID)
	_, err = c.Products.FindSellableBySKU(ctx, "mug-1")
	require.ErrorIs(t, err, veeqo.ErrNotFound, "SKUs match case-sensitively")
	sl, err = c.Products.FindSellableByUPC(ctx, "012345678905")
	require.NoError(t, err)
	require.Equal(t, s.sellable.ID, sl.ID)

	cu, err := c.Customers.FindByEmail(ctx, "ANN@example.com")
	require.NoError(t, err)
	require.Equal(t, "ann@example.com", cu.Email)

	var numbers []string
	for o, err := range c.Orders.ListIter(ctx, &veeqo.OrderListOptions{ListOptions: veeqo.ListOptions{PageSize: 2}}) {
		require.NoError(t, err)
		numbers = append(numbers, o.Number)
	}
	require.Equal(t, []string{"A-100", "A-10", "A-1"}, numbers, "newest first, across pages")
	require.Equal(t, 2, srv.Count("GET", "/orders")-2, "two pages (the FindByNumber calls made two more)")
}

// TestFakeLimiterAtBucketRateNoThrottling runs a limiter at the fake's drain
// rate against its leaky bucket, scaled up 40x (200/s) to keep the test
// short, with concurrent callers: not one 429. The bucket holds 50 against
// the client's burst of 10, so a scheduling stall of up to ~200 ms on a
// loaded CI machine cannot bunch enough requests to overflow it (Veeqo's own
// 100 at 5/s leaves 20 s). The control run shows the same bucket does
// throttle an unpaced client.
func TestFakeLimiterAtBucketRateNoThrottling(t *testing.T) {
	t.Parallel()
	const drain = 200.0
	srv := veeqotest.NewServer(t, veeqotest.WithRateLimit(50, drain))
	seed(srv)
	c := newFakeClient(t, srv,
		veeqo.WithLimiter(rate.NewLimiter(rate.Limit(drain), 10)),
		veeqo.WithRetryPolicy(veeqo.RetryPolicy{MaxAttempts: 1}))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, _, err := c.Channels.List(ctx, nil)
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
					return
				default:
					failed.Add(1)
					t.Errorf("call failed: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	var throttled int
	for _, r := range srv.Requests() {
		if r.Status == http.StatusTooManyRequests {
			throttled++
		}
	}
	require.Zero(t, throttled, "429s seen by the fake")
	require.Zero(t, failed.Load())
	// At most 2 s x 200/s + the burst of 10 = 410 can pass. Demand enough to
	// have kept the bucket busy (well over its capacity of 50) even on a
	// loaded machine; the figure is logged.
	require.Greater(t, ok.Load(), int64(100), "sustained throughput: got %d", ok.Load())
	t.Logf("paced: %d requests in 2s, 0 throttled", ok.Load())

	// Control: the same bucket with an unpaced client throttles.
	srv2 := veeqotest.NewServer(t, veeqotest.WithRateLimit(50, drain))
	c2 := newFakeClient(t, srv2, veeqo.WithRetryPolicy(veeqo.RetryPolicy{MaxAttempts: 1}))
	var limited atomic.Int64
	var wg2 sync.WaitGroup
	for range 8 {
		wg2.Go(func() {
			for range 20 {
				if _, _, err := c2.Channels.List(context.Background(), nil); errors.Is(err, veeqo.ErrRateLimited) {
					limited.Add(1)
				}
			}
		})
	}
	wg2.Wait()
	require.Positive(t, limited.Load(), "an unpaced client overflows the bucket")
}

func TestFakeCorruptCreateIsOutcomeUnknown(t *testing.T) {
	t.Parallel()
	srv := veeqotest.NewServer(t)
	s := seed(srv)
	c := newFakeClient(t, srv)
	srv.CorruptNext(1, veeqotest.Match("POST", "/orders"))
	_, _, err := c.Orders.Create(context.Background(), orderFor(s, "SO-7"))
	require.ErrorIs(t, err, veeqo.ErrOutcomeUnknown)
	var de *veeqo.DecodeError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "/orders", de.Path)
	found, err := c.Orders.FindByNumber(context.Background(), "SO-7")
	require.NoError(t, err)
	require.Len(t, found, 1)
}
