package veeqo

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pagedOrders serves total orders in pages, honouring page and page_size,
// with or without the X-Total-* headers.
func pagedOrders(t *testing.T, mux *http.ServeMux, total int, headers bool, hits *atomic.Int32) {
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		q := r.URL.Query()
		page, err1 := strconv.Atoi(q.Get("page"))
		size, err2 := strconv.Atoi(q.Get("page_size"))
		if err1 != nil || err2 != nil {
			t.Errorf("page and page_size must always be sent: %v", q)
		}
		pages := (total + size - 1) / size
		if headers {
			pageHeaders(w, total, pages, page, size)
		}
		var b strings.Builder
		b.WriteString("[")
		for i := (page - 1) * size; i < min(page*size, total); i++ {
			if b.Len() > 1 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"id":%d}`, total-i) // newest first
		}
		b.WriteString("]")
		writeJSON(w, 200, b.String())
	})
}

func TestListIterPages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		total     int
		size      int
		headers   bool
		wantHits  int32
		wantItems int
	}{
		{"short last page", 25, 10, true, 3, 25},
		{"exact multiple stops at the page count", 30, 10, true, 3, 30},
		{"exact multiple without headers needs an empty page", 30, 10, false, 4, 30},
		{"empty", 0, 10, true, 1, 0},
		{"default page size 100", 150, 0, true, 2, 150},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t)
			var hits atomic.Int32
			pagedOrders(t, mux, tt.total, tt.headers, &hits)
			var ids []int64
			for o, err := range c.Orders.ListIter(context.Background(), &OrderListOptions{ListOptions: ListOptions{PageSize: tt.size}}) {
				require.NoError(t, err)
				ids = append(ids, o.ID)
			}
			require.Len(t, ids, tt.wantItems)
			require.Equal(t, tt.wantHits, hits.Load())
			seen := map[int64]bool{}
			for _, id := range ids {
				require.False(t, seen[id], "duplicate %d", id)
				seen[id] = true
			}
		})
	}
}

// A loop that breaks stops the listing: the page read ahead is cancelled
// (here while Veeqo is answering it) and nothing after it is asked for.
func TestListIterHonoursBreak(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var hits atomic.Int32
	cancelled := make(chan struct{})
	inner := http.NewServeMux()
	pagedOrders(t, inner, 1000, true, &hits)
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "3" {
			hits.Add(1)
			<-r.Context().Done() // the read ahead, in flight when the loop breaks
			close(cancelled)
			return
		}
		inner.ServeHTTP(w, r)
	})
	n := 0
	for _, err := range c.Orders.ListIter(context.Background(), &OrderListOptions{ListOptions: ListOptions{PageSize: 10}}) {
		require.NoError(t, err)
		n++
		if n == 15 {
			require.Eventually(t, func() bool { return hits.Load() == 3 }, 10*time.Second, time.Millisecond, "page 3 is read ahead")
			break
		}
	}
	require.Equal(t, 15, n)
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the read ahead was not cancelled")
	}
	require.Equal(t, int32(3), hits.Load(), "nothing after the page read ahead")
}

// The next page is read while the loop handles the current one.
func TestListIterReadsOnePageAhead(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var hits atomic.Int32
	pagedOrders(t, mux, 25, true, &hits)
	var ids []int64
	for o, err := range c.Orders.ListIter(context.Background(), &OrderListOptions{ListOptions: ListOptions{PageSize: 10}}) {
		require.NoError(t, err)
		if len(ids) == 0 {
			require.Eventually(t, func() bool { return hits.Load() == 2 }, 10*time.Second, time.Millisecond,
				"page 2 is asked for while page 1 is being handled")
			require.Equal(t, int32(2), hits.Load(), "one page ahead, no more")
		}
		ids = append(ids, o.ID)
	}
	require.Len(t, ids, 25)
	require.Equal(t, int64(25), ids[0])
	require.Equal(t, int64(1), ids[24], "in order")
	require.Equal(t, int32(3), hits.Load())
}

func TestListIterStopsOnFirstError(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	var hits atomic.Int32
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 2 {
			writeJSON(w, 404, `{"error_messages":"Not found"}`)
			return
		}
		pageHeaders(w, 300, 3, 1, 100)
		var b strings.Builder
		b.WriteString("[")
		for i := range 100 {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"id":%d}`, 1000-i)
		}
		b.WriteString("]")
		writeJSON(w, 200, b.String())
	})
	var items, errs int
	for _, err := range c.Orders.ListIter(context.Background(), nil) {
		if err != nil {
			errs++
			require.ErrorIs(t, err, ErrNotFound)
			continue
		}
		items++
	}
	require.Equal(t, 100, items)
	require.Equal(t, 1, errs, "the error is yielded once and iteration stops")
	require.Equal(t, int32(2), hits.Load())
}

func TestListIterCopiesOptions(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var got []string
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.Query().Get("page")+":"+strings.Join(r.URL.Query()["channel_ids[]"], ","))
		pageHeaders(w, 2, 2, 1, 1)
		writeJSON(w, 200, `[{"id":`+r.URL.Query().Get("page")+`}]`)
	})
	opts := &OrderListOptions{ListOptions: ListOptions{Page: 1, PageSize: 1}, ChannelIDs: []int64{7}}
	seq := c.Orders.ListIter(context.Background(), opts)
	opts.ChannelIDs[0] = 99 // the iterator took its own copy
	opts.Query = "changed"
	for _, err := range seq {
		require.NoError(t, err)
	}
	require.Equal(t, []string{"1:7", "2:7"}, got)
	require.Equal(t, 1, opts.Page, "the caller's options are not advanced")
}

func TestNextPage(t *testing.T) {
	t.Parallel()
	tests := []struct{ page, size, got, totalPages, want int }{
		{1, 100, 100, 3, 2},
		{3, 100, 100, 3, 0},
		{4, 100, 100, 3, 0}, // past the count (Veeqo's deep-paging bug repeats page 100)
		{1, 100, 99, 3, 0},
		{1, 100, 100, 0, 2}, // no headers: go on until a short page
		{0, 100, 100, 0, 0},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, nextPage(tt.page, tt.size, tt.got, tt.totalPages), "%+v", tt)
	}
}

func TestListIterFollowsServerPageCap(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	const total, perPage = 60, 25
	var hits atomic.Int32
	mux.HandleFunc("GET /delivery_methods", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		pageHeaders(w, total, (total+perPage-1)/perPage, page, perPage) // asked for 100, serves 25
		var b strings.Builder
		b.WriteString("[")
		for i := (page - 1) * perPage; i < min(page*perPage, total); i++ {
			if b.Len() > 1 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"id":%d,"cost":"1.0"}`, i+1)
		}
		b.WriteString("]")
		writeJSON(w, 200, b.String())
	})
	n := 0
	for _, err := range c.DeliveryMethods.ListIter(context.Background(), nil) {
		require.NoError(t, err)
		n++
	}
	require.Equal(t, total, n, "a page capped below page_size is not the last page")
	require.Equal(t, int32(3), hits.Load())
}
