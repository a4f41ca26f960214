package veeqo

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAPIKeyNeverInErrorsOrLogs(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mux := setup(t, WithLogger(logger))
	// A hostile or buggy server that echoes the key back in every way.
	mux.HandleFunc("GET /orders/1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 401, `{"error_messages":"bad key `+r.Header.Get("x-api-key")+`"}`)
	})
	mux.HandleFunc("GET /orders/2", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 500, `<html>`+r.Header.Get("x-api-key")+`</html>`)
	})
	mux.HandleFunc("GET /orders/3", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"id":"`+r.Header.Get("x-api-key")+`"}`) // decode error
	})
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) { hangUp(t, w) })
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
	})
	mux.HandleFunc("GET /current_company", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
	})

	ctx := context.Background()
	var errs []error
	_, _, err := c.Orders.Get(ctx, 1)
	errs = append(errs, err)
	_, _, err = c.Orders.Get(ctx, 2)
	errs = append(errs, err)
	_, _, err = c.Orders.Get(ctx, 3)
	errs = append(errs, err)
	_, _, err = c.Orders.Create(ctx, minimalOrder())
	errs = append(errs, err)
	_, _, err = c.Orders.List(ctx, &OrderListOptions{Query: "x"})
	errs = append(errs, err)
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, _, err = c.Company.Current(tctx)
	cancel()
	errs = append(errs, err)

	for i, err := range errs {
		require.Error(t, err, "call %d", i)
		require.NotContains(t, err.Error(), testKey, "call %d", i)
		require.NotContains(t, strings.ReplaceAll(err.Error(), " ", ""), testKey)
	}
	out := logs.String()
	require.NotEmpty(t, out, "a given logger receives debug lines")
	require.NotContains(t, out, testKey)
	require.Contains(t, errs[0].Error(), "bad key [REDACTED]", "the echoed key was scrubbed from the messages")
	for _, want := range []string{"method=GET", "path=/orders/1", "status=401", "attempt=1", "duration=", "veeqo retry"} {
		require.Contains(t, out, want)
	}
}

func TestSilentByDefault(t *testing.T) {
	t.Parallel()
	c, err := New(testKey)
	require.NoError(t, err)
	require.False(t, c.logger.Enabled(context.Background(), slog.LevelError), "no logger given: nothing is logged")
	c2, err := New(testKey, WithLogger(nil))
	require.NoError(t, err)
	require.False(t, c2.logger.Enabled(context.Background(), slog.LevelError))
}

func TestBearerTokenRedacted(t *testing.T) {
	t.Parallel()
	_, mux := setup(t)
	_ = mux
	c, err := New("", WithBearerToken("secret-bearer-42"), WithBaseURL("http://127.0.0.1:1/x/"), WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	require.Equal(t, "oops [REDACTED]", c.redact("oops secret-bearer-42"))
}

// TestClientFormattingHidesCredentials: a host that logs or prints its client
// (%v, %+v, %#v, slog) must not print the API key or the bearer token.
func TestClientFormattingHidesCredentials(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		key    string
		opts   []Option
		secret string
	}{
		{name: "api key", key: "k3y-FMT-9f8e7d6c5b4a", secret: "k3y-FMT-9f8e7d6c5b4a"},
		{name: "bearer", opts: []Option{WithBearerToken("b3arer-FMT-1a2b3c4d")}, secret: "b3arer-FMT-1a2b3c4d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tc.key, tc.opts...)
			require.NoError(t, err)
			var logs bytes.Buffer
			slog.New(slog.NewTextHandler(&logs, nil)).Info("client", "c", c)
			slog.New(slog.NewJSONHandler(&logs, nil)).Info("client", "c", c)
			for _, out := range []string{
				fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprint(c), logs.String(),
			} {
				require.NotContains(t, out, tc.secret)
			}
		})
	}
}

// TestAPIErrorBodyCutNeverKeepsPartOfKey: an echoed key straddling the
// snippet cap must not survive as a prefix after the cut.
func TestAPIErrorBodyCutNeverKeepsPartOfKey(t *testing.T) {
	t.Parallel()
	const key = "kEyPrefixXYZ-0123456789abcdef"
	c, err := New(key, WithBaseURL("http://127.0.0.1:1/"))
	require.NoError(t, err)
	body := strings.Repeat("x", maxErrorSnippet-10) + key + "tail"
	u, _ := url.Parse("http://127.0.0.1:1/orders/1")
	e := c.newAPIError("GET", u, &http.Response{StatusCode: 500}, []byte(body), 1)
	require.NotContains(t, e.Body, key[:10])
	require.NotContains(t, e.Error(), key[:10])
}

// TestDecodeErrorHidesEchoedKey: a response echoing the key into a field
// whose decoding error quotes the raw value (remote_id as an array) must not
// carry the key into the DecodeError.
func TestDecodeErrorHidesEchoedKey(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /orders/9", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"id":9,"line_items":[{"id":1,"remote_id":["`+r.Header.Get("x-api-key")+`"]}]}`)
	})
	_, _, err := c.Orders.Get(context.Background(), 9)
	require.Error(t, err)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	require.NotContains(t, err.Error(), c.cred.apiKey)
	require.NotContains(t, fmt.Sprintf("%+v", err), c.cred.apiKey)
	require.Contains(t, err.Error(), "GET /orders/9")
}

// TestBaseURLParseErrorHidesUserInfo: a base URL that fails to parse must
// not print a password written in it (url.Parse's error quotes the URL).
func TestBaseURLParseErrorHidesUserInfo(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"https://user:pw-SECRET-31@ho st/",
		"https://user:pw-SECRET-31@host/%zz",
		"https://user:pw-SECRET-31@host:99999x/",
		"https://pw-SECRET-31@ho st/",
		"ftp://user:pw-SECRET-31@host/",
		"user:pw-SECRET-31@host",
	} {
		_, err := New("k", WithBaseURL(raw))
		require.Error(t, err, raw)
		require.NotContains(t, err.Error(), "pw-SECRET-31")
		require.Contains(t, err.Error(), "base URL")
	}
}
