package veeqo

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

func minimalOrder() *OrderInput {
	return &OrderInput{ChannelID: 1, CustomerID: 2, DeliverToID: 3, Number: "SO-9", LineItems: []LineItemInput{{SellableID: 4, Quantity: 1}}}
}

func TestRetry429ThenSucceedsForEveryMethod(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var hits atomic.Int32
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"order":{"channel_id":1,"number":"SO-9","customer_id":2,"deliver_to_id":3,"send_notification_email":false,
			"line_items_attributes":[{"sellable_id":4,"quantity":1,"price_per_unit":"0"}]}}`)
		if hits.Add(1) <= 2 {
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusTooManyRequests) // Veeqo: empty body, no headers
			return
		}
		writeJSON(w, 201, `{"id":77,"number":"SO-9"}`)
	})
	o, resp, err := c.Orders.Create(context.Background(), minimalOrder())
	require.NoError(t, err)
	require.Equal(t, int64(77), o.ID)
	require.Equal(t, 201, resp.StatusCode)
	require.Equal(t, int32(3), hits.Load(), "a 429 was refused, so even a POST is retried")
	require.Equal(t, int64(3), c.Requests())
}

func TestRetry429Exhausted(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var hits atomic.Int32
	mux.HandleFunc("GET /orders/1", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusTooManyRequests)
	})
	_, resp, err := c.Orders.Get(context.Background(), 1)
	require.ErrorIs(t, err, ErrRateLimited)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 3, apiErr.Attempts)
	require.Equal(t, 429, apiErr.StatusCode)
	require.Equal(t, 429, resp.StatusCode)
	require.Equal(t, int32(3), hits.Load(), "MaxAttempts counts the first attempt")
	require.False(t, errors.Is(err, ErrOutcomeUnknown))
}

func TestGETRetriedOn5xx(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var hits atomic.Int32
	mux.HandleFunc("GET /orders/1", func(w http.ResponseWriter, r *http.Request) {
		switch hits.Add(1) {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.WriteHeader(http.StatusBadGateway)
		default:
			writeJSON(w, 200, `{"id":1}`)
		}
	})
	o, _, err := c.Orders.Get(context.Background(), 1)
	require.NoError(t, err)
	require.Equal(t, int64(1), o.ID)
	require.Equal(t, int32(3), hits.Load())
}

func TestGET5xxExhaustedKeepsStatusAndBody(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /orders/1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 500, `{"error_messages":"Something went wrong"}`)
	})
	_, _, err := c.Orders.Get(context.Background(), 1)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 500, apiErr.StatusCode)
	require.Equal(t, []string{"Something went wrong"}, apiErr.Messages)
	require.Contains(t, apiErr.Body, "Something went wrong")
	require.Equal(t, 3, apiErr.Attempts)
	require.ErrorIs(t, err, ErrServer)
	require.False(t, errors.Is(err, ErrOutcomeUnknown), "a GET changes nothing")
}

func TestPOSTNotReplayedAfter5xx(t *testing.T) {
	t.Parallel()
	for _, status := range []int{500, 502, 503, 504} {
		c, mux := setup(t)
		var hits atomic.Int32
		mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.WriteHeader(status)
		})
		_, _, err := c.Orders.Create(context.Background(), minimalOrder())
		require.ErrorIs(t, err, ErrOutcomeUnknown, "status %d", status)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, status, apiErr.StatusCode)
		require.Equal(t, int32(1), hits.Load(), "status %d: a POST must not be replayed", status)
		require.Contains(t, err.Error(), "outcome unknown")
	}
}

// hangUp hijacks the connection and closes it without answering: the
// request reached the server, the response is lost.
func hangUp(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Error("response writer cannot hijack")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	conn.Close()
}

func TestPOSTNotReplayedAfterDroppedConnection(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var posts, puts atomic.Int32
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		hangUp(t, w)
	})
	mux.HandleFunc("PUT /orders/5", func(w http.ResponseWriter, r *http.Request) {
		if puts.Add(1) == 1 {
			hangUp(t, w)
			return
		}
		writeJSON(w, 200, `{"id":5}`)
	})
	_, _, err := c.Orders.Create(context.Background(), minimalOrder())
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	var apiErr *APIError
	require.False(t, errors.As(err, &apiErr), "no response, so no APIError")
	require.Equal(t, int32(1), posts.Load())

	_, _, err = c.Orders.Update(context.Background(), 5, &OrderInput{Number: "x"})
	require.NoError(t, err, "a PUT is idempotent and retried")
	require.Equal(t, int32(2), puts.Load())
}

func TestPOSTTimeoutIsOutcomeUnknown(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var hits atomic.Int32
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	mux.HandleFunc("POST /customers", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err := c.Customers.Create(ctx, &CustomerInput{Email: "a@example.com"})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, int32(1), hits.Load())

	// Same with the http.Client's own timeout, which net/http reports with
	// an error of its own.
	c2, err := New(testKey, WithBaseURL(c.BaseURL()), WithRateLimit(rate.Inf, 1),
		WithHTTPClient(&http.Client{Timeout: 100 * time.Millisecond}),
		WithRetryPolicy(RetryPolicy{MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
	require.NoError(t, err)
	_, _, err = c2.Customers.Create(context.Background(), &CustomerInput{Email: "a@example.com"})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.Equal(t, int32(2), hits.Load())
}

func TestPOSTRetriedWhenNothingWasSent(t *testing.T) {
	t.Parallel()
	// A port with nothing listening: the dial fails before any byte leaves.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	c, err := New(testKey, WithBaseURL("http://"+addr+"/api/"), WithRateLimit(rate.Inf, 1),
		WithRetryPolicy(RetryPolicy{MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
	require.NoError(t, err)
	_, _, err = c.Orders.Create(context.Background(), minimalOrder())
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrOutcomeUnknown), "a refused connection never carried the request: %v", err)
	require.Equal(t, int64(3), c.Requests())
	require.Contains(t, err.Error(), "POST /orders")
}

func TestContextCancelledMidBackoffReturnsPromptly(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithRetryPolicy(RetryPolicy{MaxAttempts: 5, MinBackoff: time.Minute, MaxBackoff: time.Minute}))
	first := make(chan struct{}, 1)
	mux.HandleFunc("GET /orders/1", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
		select {
		case first <- struct{}{}:
		default:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Orders.Get(ctx, 1)
		done <- err
	}()
	<-first
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("the call kept waiting out a one-minute backoff after its context was cancelled")
	}
	require.Equal(t, int64(1), c.Requests())
}

func TestRetryAfterHonouredAndClamped(t *testing.T) {
	t.Parallel()
	c, err := New(testKey, WithRetryPolicy(RetryPolicy{MaxAttempts: 2, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxRetryAfter: 5 * time.Second}))
	require.NoError(t, err)
	now := time.Now()
	tests := []struct {
		name       string
		status     int
		retryAfter string
		min, max   time.Duration
	}{
		{"seconds", 429, "2", 2 * time.Second, 2 * time.Second},
		{"clamped", 429, "3600", 5 * time.Second, 5 * time.Second},
		{"http date", 503, now.Add(3 * time.Second).UTC().Format(http.TimeFormat), time.Second, 3 * time.Second},
		{"garbage falls back to backoff", 429, "soon", 0, 2 * time.Millisecond},
		{"absent", 429, "", 0, 2 * time.Millisecond},
		{"ignored on 500", 500, "10", 0, 2 * time.Millisecond},
	}
	for _, tt := range tests {
		resp := &http.Response{StatusCode: tt.status, Header: http.Header{}}
		if tt.retryAfter != "" {
			resp.Header.Set("Retry-After", tt.retryAfter)
		}
		d := c.backoff(time.Millisecond, 2*time.Millisecond, 0, resp)
		require.GreaterOrEqual(t, d, tt.min, tt.name)
		require.LessOrEqual(t, d, tt.max, tt.name)
	}
}

func TestExpBackoffGrowsAndCaps(t *testing.T) {
	t.Parallel()
	for n := range 10 {
		d := expBackoff(100*time.Millisecond, time.Second, n)
		full := min(100*time.Millisecond<<n, time.Second)
		require.GreaterOrEqual(t, d, full/2, "attempt %d", n)
		require.LessOrEqual(t, d, full, "attempt %d", n)
	}
	require.Zero(t, expBackoff(0, time.Second, 3))
}

func TestLimiterWaitPastDeadlineIsDeadlineExceeded(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithLimiter(rate.NewLimiter(rate.Every(time.Hour), 1)))
	mux.HandleFunc("GET /current_company", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"id":1}`)
	})
	_, _, err := c.Company.Current(context.Background())
	require.NoError(t, err, "the burst allows one call")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, _, err = c.Company.Current(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, ctx.Err(), "the error came before the deadline")
	require.Less(t, time.Since(start), 20*time.Second, "rate.Limiter fails at once when the wait would pass the deadline")
	require.Equal(t, int64(1), c.Requests(), "nothing was sent")
}

func TestSharedLimiterIsDrainedAfter429(t *testing.T) {
	t.Parallel()
	lim := rate.NewLimiter(1, 10)
	c, mux := setup(t, WithLimiter(lim), WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	other, err := New("other-key", WithLimiter(c.Limiter()))
	require.NoError(t, err)
	require.Same(t, lim, other.Limiter())
	mux.HandleFunc("GET /orders/1", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
	})
	require.Greater(t, lim.Tokens(), 8.0)
	_, _, err = c.Orders.Get(context.Background(), 1)
	require.ErrorIs(t, err, ErrRateLimited)
	require.Less(t, lim.Tokens(), 1.0, "after a 429 the shared bucket is empty")
}

func TestDefaultPacing(t *testing.T) {
	t.Parallel()
	c, err := New(testKey)
	require.NoError(t, err)
	require.Equal(t, DefaultRateLimit, c.Limiter().Limit())
	require.Equal(t, DefaultBurst, c.Limiter().Burst())
	require.Equal(t, 5.0, float64(c.Limiter().Limit()), "Veeqo's drain rate")
	require.Less(t, c.Limiter().Burst(), 100, "the burst fits in Veeqo's bucket with room to spare")
}

// A 429 halves the limiter's rate and empties it; answers that are not
// 429s bring the rate back to where it was configured, never above.
func TestPacingAdaptsTo429AndRecovers(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithRateLimit(1000, 10), WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	var limited atomic.Bool
	mux.HandleFunc("GET /current_company", func(w http.ResponseWriter, r *http.Request) {
		if limited.Load() {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{"id":1}`))
	})
	ctx := context.Background()
	_, _, err := c.Company.Current(ctx)
	require.NoError(t, err)
	require.Equal(t, rate.Limit(1000), c.Limiter().Limit(), "not above the configured rate")

	limited.Store(true)
	_, _, err = c.Company.Current(ctx)
	require.ErrorIs(t, err, ErrRateLimited)
	require.Equal(t, rate.Limit(500), c.Limiter().Limit(), "halved (emptied too: TestSharedLimiterIsDrainedAfter429, on a slow limiter)")
	for range 10 {
		_, _, _ = c.Company.Current(ctx)
	}
	require.Equal(t, rate.Limit(1000)/minRateDivisor, c.Limiter().Limit(), "a storm of 429s stops at the floor")

	limited.Store(false)
	for range 10 {
		_, _, err = c.Company.Current(ctx)
		require.NoError(t, err)
	}
	require.InDelta(t, 1000.0/minRateDivisor+10*1000.0/recoverySteps, float64(c.Limiter().Limit()), 1e-9, "recovering a step per answer")
	for range recoverySteps {
		_, _, err = c.Company.Current(ctx)
		require.NoError(t, err)
	}
	require.Equal(t, rate.Limit(1000), c.Limiter().Limit(), "back at the configured rate, not above")
}

// Clients sharing a limiter slow down together: one's 429 lowers the rate
// the other waits on.
func TestSharedLimiterSlowsDownTogether(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithRateLimit(1000, 10), WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	other, err := New("other-key", WithLimiter(c.Limiter()))
	require.NoError(t, err)
	mux.HandleFunc("GET /orders/1", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
	})
	_, _, err = c.Orders.Get(context.Background(), 1)
	require.ErrorIs(t, err, ErrRateLimited)
	require.Equal(t, rate.Limit(500), other.Limiter().Limit())
}

func TestMaxResponseBytes(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithMaxResponseBytes(64))
	var hits atomic.Int32
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		writeJSON(w, 200, `[`+`{"id":1},{"id":2},{"id":3},{"id":4},{"id":5},{"id":6},{"id":7},{"id":8},{"id":9}`+`]`)
	})
	_, _, err := c.Orders.List(context.Background(), nil)
	require.ErrorContains(t, err, "larger than 64 bytes")
	require.Equal(t, int32(1), hits.Load(), "an oversized body is not retried")
}

func TestMalformedJSONIsDecodeErrorNamingEndpoint(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /orders/1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"id":1,"number":`)
	})
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"orders":[]}`) // an object where a bare array belongs
	})
	_, _, err := c.Orders.Get(context.Background(), 1)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "GET", de.Method)
	require.Equal(t, "/orders/1", de.Path)
	require.Contains(t, err.Error(), "GET /orders/1")
	_, _, err = c.Orders.List(context.Background(), nil)
	require.ErrorAs(t, err, &de)
	require.Equal(t, "/orders", de.Path)
}

func TestCrossHostRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var leaked atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("x-api-key"))
		writeJSON(w, 200, `{"id":1}`)
	}))
	t.Cleanup(other.Close)
	c, mux := setup(t)
	mux.HandleFunc("GET /orders/1", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/orders/1", http.StatusFound)
	})
	_, _, err := c.Orders.Get(context.Background(), 1)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusFound, apiErr.StatusCode)
	require.Nil(t, leaked.Load(), "the other host never saw a request")
}

func TestAttemptTimeout(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithAttemptTimeout(300*time.Millisecond))
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var gets, posts atomic.Int32
	hang := func(r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
	mux.HandleFunc("GET /orders/1", func(w http.ResponseWriter, r *http.Request) {
		if gets.Add(1) == 1 {
			hang(r)
			return
		}
		writeJSON(w, 200, `{"id":1}`)
	})
	mux.HandleFunc("POST /orders/1/notes", func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		hang(r)
	})
	o, _, err := c.Orders.Get(context.Background(), 1)
	require.NoError(t, err, "a GET whose attempt timed out is retried")
	require.Equal(t, int64(1), o.ID)
	require.Equal(t, int32(2), gets.Load())

	_, _, err = c.Orders.AddNote(context.Background(), 1, "hi")
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.ErrorContains(t, err, "attempt timed out after 300ms")
	require.Equal(t, int32(1), posts.Load())
}

func TestAttemptTimeoutExcludesLimiterWait(t *testing.T) {
	t.Parallel()
	// Each call waits ~400 ms for the limiter, longer than the attempt
	// timeout: the wait must not count against the attempt.
	c, mux := setup(t, WithAttemptTimeout(300*time.Millisecond), WithRateLimit(rate.Every(400*time.Millisecond), 1))
	mux.HandleFunc("GET /current_company", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"id":1}`)
	})
	for range 3 {
		_, _, err := c.Company.Current(context.Background())
		require.NoError(t, err)
	}
	require.Equal(t, int64(3), c.Requests())
}

func TestTransportErrorIsNotCalledATimeout(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	mux.HandleFunc("GET /orders/1", func(w http.ResponseWriter, r *http.Request) { hangUp(t, w) })
	_, _, err := c.Orders.Get(context.Background(), 1)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "timed out")
	require.False(t, errors.Is(err, context.DeadlineExceeded))
}

func TestLimiterWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithLimiter(rate.NewLimiter(rate.Every(time.Hour), 1)))
	mux.HandleFunc("GET /current_company", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"id":1}`)
	})
	_, _, err := c.Company.Current(context.Background())
	require.NoError(t, err)
	// No deadline: rate.Limiter waits until the context is cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Company.Current(ctx)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorContains(t, err, "rate limiter")
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled context did not end the wait for the limiter")
	}
	require.Equal(t, int64(1), c.Requests())
}

func TestAPIErrorTemporary(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]bool{429: true, 500: true, 503: true, 404: false, 400: false, 401: false} {
		require.Equal(t, want, (&APIError{StatusCode: status}).Temporary(), "%d", status)
	}
}

func TestCreateWithoutUsableAnswerIsOutcomeUnknown(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var hits atomic.Int32
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		switch hits.Add(1) {
		case 1:
			writeJSON(w, 201, `{"id":12,"number":`) // cut short
		case 2:
			w.WriteHeader(http.StatusCreated) // no body
		default:
			writeJSON(w, 201, `{"number":"SO-9"}`) // no id
		}
	})
	mux.HandleFunc("POST /customers", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 201, `{}`) })
	mux.HandleFunc("POST /shipments", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 201, `{"id":0}`) })
	mux.HandleFunc("GET /orders/1", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"id":`) })
	ctx := context.Background()
	for range 3 {
		o, _, err := c.Orders.Create(ctx, minimalOrder())
		require.ErrorIs(t, err, ErrOutcomeUnknown)
		require.Nil(t, o)
	}
	require.Equal(t, int32(3), hits.Load(), "one request per call")
	_, _, err := c.Customers.Create(ctx, &CustomerInput{Email: "a@example.com"})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	_, _, err = c.Shipments.Create(ctx, &ShipmentInput{OrderID: 1, AllocationID: 2, CarrierID: 3})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	_, _, err = c.Orders.Get(ctx, 1)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	require.False(t, errors.Is(err, ErrOutcomeUnknown), "a GET changed nothing")
}
