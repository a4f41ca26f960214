package veeqo

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// MaxPageSize is Veeqo's largest page.
const MaxPageSize = 100

// DefaultPageSize is the page_size the client sends when none is given.
// Veeqo's own default differs between endpoints and between its docs and
// live behaviour, so the client always sends one.
const DefaultPageSize = 100

// timeLayout is ISO 8601 in UTC with an explicit zone. Veeqo documents
// "YYYY-MM-DD HH:MM:SS" but not its zone, and a zone-less time is read in
// the server's zone: a connector whose zone guess is wrong silently skips
// hours of updates (connector-failure-modes §16). Integrations validated
// against live accounts send ISO 8601 with an offset, which Veeqo parses.
const timeLayout = "2006-01-02T15:04:05Z"

// FormatTime renders t the way list filters send it: UTC with an explicit
// zone, "YYYY-MM-DDTHH:MM:SSZ".
func FormatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// normalized returns the page and page size to send.
func (o ListOptions) normalized() (page, size int, err error) {
	if o.Page < 0 {
		return 0, 0, invalidInput("ListOptions.Page must not be negative, got %d", o.Page)
	}
	if o.PageSize < 0 {
		return 0, 0, invalidInput("ListOptions.PageSize must not be negative, got %d", o.PageSize)
	}
	page, size = o.Page, o.PageSize
	if page == 0 {
		page = 1
	}
	if size == 0 {
		size = DefaultPageSize
	}
	size = min(size, MaxPageSize)
	return page, size, nil
}

func (o ListOptions) values() (url.Values, error) {
	page, size, err := o.normalized()
	if err != nil {
		return nil, err
	}
	v := url.Values{}
	v.Set("page", strconv.Itoa(page))
	v.Set("page_size", strconv.Itoa(size))
	return v, nil
}

func setInt(v url.Values, key string, n int64) {
	if n != 0 {
		v.Set(key, strconv.FormatInt(n, 10))
	}
}

func setString(v url.Values, key, s string) {
	if s != "" {
		v.Set(key, s)
	}
}

func setTime(v url.Values, key string, t time.Time) {
	if !t.IsZero() {
		v.Set(key, FormatTime(t))
	}
}

// listPage fetches one page of a list endpoint and fills in NextPage.
func listPage[T any](ctx context.Context, c *Client, path string, q url.Values) ([]T, *Response, error) {
	var items []T
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q}, &items)
	if err != nil {
		return nil, resp, err
	}
	page, _ := strconv.Atoi(q.Get("page"))
	size, _ := strconv.Atoi(q.Get("page_size"))
	if resp.PerPage > 0 {
		// Veeqo may serve fewer per page than asked (an endpoint with a
		// lower cap); judge "short" by what it says it served, so a capped
		// page is not mistaken for the last one.
		size = resp.PerPage
	}
	resp.NextPage = nextPage(page, size, len(items), resp.TotalPages)
	return items, resp, nil
}

// nextPage is 0 after a short page or when the page count is reached.
func nextPage(page, size, got, totalPages int) int {
	switch {
	case page <= 0 || size <= 0:
		return 0
	case got < size:
		return 0
	case totalPages > 0 && page >= totalPages:
		return 0
	}
	return page + 1
}

// maxIterPages bounds an iterator against a server that keeps answering
// full pages without a page count: 10 million records at 100 a page.
const maxIterPages = 100000

// iterate walks the pages that fetch returns, starting at start, yielding
// each item. It stops on the first error (yielding it), on the last page, or
// when the consumer breaks. Pagination that does not end is an error
// matching ErrPaging: a full page that repeats the one before it byte for
// byte (a server ignoring the page parameter would otherwise be read
// maxIterPages times), or more than maxIterPages pages.
func iterate[T any](start int, fetch func(page int) ([]T, *Response, error)) iter.Seq2[T, error] {
	return iterateAtMost(maxIterPages, start, fetch)
}

func iterateAtMost[T any](maxPages, start int, fetch func(page int) ([]T, *Response, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		page := start
		var prevSum uint64
		for n := range maxPages {
			items, resp, err := fetch(page)
			if err != nil {
				yield(zero, err)
				return
			}
			if n > 0 && len(items) > 0 && resp != nil && resp.bodySum == prevSum {
				yield(zero, fmt.Errorf("veeqo: page %d of the listing is the same as page %d (Veeqo ignored the page asked for): %w", page, page-1, ErrPaging))
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if resp == nil || resp.NextPage == 0 {
				return
			}
			prevSum = resp.bodySum
			page = resp.NextPage
		}
		yield(zero, fmt.Errorf("veeqo: the listing went past %d pages without a last page: %w", maxPages, ErrPaging))
	}
}

// pageResult is one page an iterateAhead read.
type pageResult[T any] struct {
	items []T
	resp  *Response
	err   error
}

// iterateAhead is iterate with the next page read while the consumer
// handles the current one: at most one read in flight, started only after
// a full page (NextPage set) that is not a repeat of the one before. When
// the consumer breaks, the read ahead is cancelled and waited for, so no
// goroutine outlives the loop. Pagination that does not end is an error
// matching ErrPaging, as for iterate.
func iterateAhead[T any](ctx context.Context, start int, fetch func(ctx context.Context, page int) ([]T, *Response, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		ctx, cancel := context.WithCancel(ctx)
		var ahead chan pageResult[T]
		defer func() {
			cancel()
			if ahead != nil {
				<-ahead
			}
		}()
		read := func(page int) chan pageResult[T] {
			ch := make(chan pageResult[T], 1)
			go func() {
				items, resp, err := fetch(ctx, page)
				ch <- pageResult[T]{items, resp, err}
			}()
			return ch
		}
		page := start
		var prevSum uint64
		ahead = read(page)
		for n := range maxIterPages {
			r := <-ahead
			ahead = nil
			if r.err != nil {
				yield(zero, r.err)
				return
			}
			if n > 0 && len(r.items) > 0 && r.resp != nil && r.resp.bodySum == prevSum {
				yield(zero, fmt.Errorf("veeqo: page %d of the listing is the same as page %d (Veeqo ignored the page asked for): %w", page, page-1, ErrPaging))
				return
			}
			last := r.resp == nil || r.resp.NextPage == 0
			if !last && n+1 < maxIterPages {
				prevSum, page = r.resp.bodySum, r.resp.NextPage
				ahead = read(page)
			}
			for _, it := range r.items {
				if !yield(it, nil) {
					return
				}
			}
			if last {
				return
			}
		}
		yield(zero, fmt.Errorf("veeqo: the listing went past %d pages without a last page: %w", maxIterPages, ErrPaging))
	}
}
