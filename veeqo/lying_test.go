package veeqo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPageRepeatedIsAnError: a Veeqo that ignores ?page= and answers the
// same full page again made every paged lookup read 100,000 pages (hours
// at Veeqo's rate) and then stop silently as if done; the second identical
// page is now an error matching ErrPaging.
func TestPageRepeatedIsAnError(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var calls atomic.Int64
	page := make([]string, MaxPageSize)
	for i := range page {
		page[i] = fmt.Sprintf(`{"id":%d,"number":"X-%d"}`, i+1, i+1)
	}
	body := "[" + strings.Join(page, ",") + "]"
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = w.Write([]byte(body))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.Orders.FindByNumber(ctx, "SO-1")
	require.ErrorIs(t, err, ErrPaging)
	require.ErrorContains(t, err, "page 2 of the listing is the same as page 1")
	require.Equal(t, int64(2), calls.Load(), "stopped at the first repeated page")

	n := 0
	for _, err := range c.Orders.ListIter(ctx, nil) {
		if err != nil {
			require.ErrorIs(t, err, ErrPaging)
			break
		}
		n++
	}
	require.Equal(t, MaxPageSize, n, "the first page's orders, then the error")
}

// TestEndlessPagesIsAnError: full pages of new records that never end
// stop at the client's bound with ErrPaging, not silently.
func TestEndlessPagesIsAnError(t *testing.T) {
	t.Parallel()
	fetches := 0
	var last error
	n := 0
	for _, err := range iterateAtMost(50, 1, func(page int) ([]int, *Response, error) {
		fetches++
		return []int{page}, &Response{NextPage: page + 1, bodySum: uint64(page)}, nil
	}) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	require.ErrorIs(t, last, ErrPaging)
	require.ErrorContains(t, last, "past 50 pages")
	require.Equal(t, 50, fetches)
	require.Equal(t, 50, n)
}

// TestHugeAnswerIsBounded: an answer that never ends is cut at the
// client's limit and is an error; the client reads little more than the
// limit.
func TestHugeAnswerIsBounded(t *testing.T) {
	t.Parallel()
	const limit = 1 << 20
	c, mux := setup(t, WithMaxResponseBytes(limit))
	var sent atomic.Int64
	mux.HandleFunc("GET /orders/1", func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(`{"id":1,"number":"` + strings.Repeat("x", 32<<10))
		for sent.Load() < 1<<30 {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o, _, err := c.Orders.Get(ctx, 1)
	require.Nil(t, o)
	require.Error(t, err)
	require.NotErrorIs(t, err, context.DeadlineExceeded, "the client waited for the end of an endless body")
	require.Contains(t, err.Error(), "1048576")
	require.Less(t, sent.Load(), int64(64<<20), "the server was read far past the limit")
}

// TestWrongTypesAreDecodeErrors: answers of the wrong shape are
// DecodeErrors naming the endpoint, for single records and lists.
func TestWrongTypesAreDecodeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ path, body string }{
		{"GET /orders/1", `{"id":"seven"}`},
		{"GET /orders/1", `[{"id":1}]`},
		{"GET /orders/1", `{"id":1,"line_items":{"quantity":1}}`},
		{"GET /orders/1", `{"id":1,"total_price":"lots"}`},
		{"GET /orders", `{"orders":[]}`},
		{"GET /orders", `[1,2,3]`},
		{"GET /products/1", `{"id":1,"sellables":"none"}`},
		{"GET /channels", `"channels"`},
	} {
		t.Run(tc.path+" "+tc.body, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t)
			mux.HandleFunc(tc.path, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(tc.body)) })
			var err error
			switch tc.path {
			case "GET /orders/1":
				_, _, err = c.Orders.Get(context.Background(), 1)
			case "GET /orders":
				_, _, err = c.Orders.List(context.Background(), nil)
			case "GET /products/1":
				_, _, err = c.Products.Get(context.Background(), 1)
			case "GET /channels":
				_, _, err = c.Channels.List(context.Background(), nil)
			}
			var de *DecodeError
			require.True(t, errors.As(err, &de), "error %v is not a DecodeError", err)
			require.ErrorContains(t, err, strings.TrimPrefix(strings.TrimPrefix(tc.path, "GET "), ""))
		})
	}
}
