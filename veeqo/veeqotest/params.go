package veeqotest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// obj is a decoded JSON object from a request body. Its getters accept what
// Rails accepts: numbers or numeric strings, null as absent.
type obj map[string]any

// decodeBody reads a JSON object body and unwraps the root key when the
// client sent the documented wrapped form ({"order":{...}}); the flat form
// is accepted too. An empty body is an empty object.
func decodeBody(r *http.Request, root string) (obj, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return obj{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("body is not a JSON object: %w", err)
	}
	if m == nil {
		return obj{}, nil
	}
	if root != "" {
		if inner, ok := m[root].(map[string]any); ok {
			return obj(inner), nil
		}
	}
	return obj(m), nil
}

var errType = errors.New("wrong type")

// int64 reads an integer; ok is false when absent or null.
func (o obj) int64(key string) (v int64, ok bool, err error) {
	raw, present := o[key]
	if !present || raw == nil {
		return 0, false, nil
	}
	var s string
	switch x := raw.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
		if s == "" {
			return 0, false, nil
		}
	default:
		return 0, true, errType
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, true, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, true, errType
	}
	return int64(f), true, nil
}

func (o obj) str(key string) (string, bool) {
	switch x := o[key].(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func (o obj) dec(key string) (v decimal.Decimal, ok bool, err error) {
	raw, present := o[key]
	if !present || raw == nil {
		return decimal.Zero, false, nil
	}
	var s string
	switch x := raw.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
		if s == "" {
			return decimal.Zero, false, nil
		}
	default:
		return decimal.Zero, true, errType
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, true, errType
	}
	return d, true, nil
}

func (o obj) boolean(key string) (v, ok bool) {
	switch x := o[key].(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(x)
		return b, err == nil
	case json.Number:
		return x.String() != "0", true
	}
	return false, false
}

func (o obj) obj(key string) (obj, bool) {
	m, ok := o[key].(map[string]any)
	return obj(m), ok
}

// objs reads an array of objects; Rails' hash-of-index form
// ({"0":{...},"1":{...}}) is accepted too.
func (o obj) objs(key string) ([]obj, bool) {
	switch x := o[key].(type) {
	case []any:
		out := make([]obj, 0, len(x))
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, obj(m))
			}
		}
		return out, true
	case map[string]any:
		keys := make([]int, 0, len(x))
		for k := range x {
			if n, err := strconv.Atoi(k); err == nil {
				keys = append(keys, n)
			}
		}
		if len(keys) != len(x) {
			return nil, false
		}
		slices.Sort(keys)
		out := make([]obj, 0, len(keys))
		for _, k := range keys {
			if m, ok := x[strconv.Itoa(k)].(map[string]any); ok {
				out = append(out, obj(m))
			}
		}
		return out, true
	}
	return nil, false
}

// parseTimeFilter parses a *_at_min filter: Veeqo's documented
// "YYYY-MM-DD HH:MM:SS" (taken as UTC), RFC 3339 with any offset, or a bare
// date. ok is false for anything else, which Veeqo ignores.
func parseTimeFilter(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05 Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseDueDate parses Veeqo's "DD/MM/YYYY" or an ISO date.
func parseDueDate(s string) (time.Time, bool) {
	for _, layout := range []string{"02/01/2006", "2006-01-02", time.RFC3339Nano} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// paging is a list request's page window.
type paging struct {
	page, size int
	sizeRaw    string
	bad        bool // non-numeric or non-positive page size: 400 "Infinity"
	// capPages > 0 is Veeqo's deep-paging bug: the page count stops there
	// and later pages repeat that one.
	capPages int
}

// parsePaging reads page and the page-size parameter: default 10, capped
// at maxSize.
func parsePaging(q url.Values, sizeParam string, maxSize int) paging {
	p := paging{page: 1, size: 10}
	if v, err := strconv.Atoi(strings.TrimSpace(q.Get("page"))); err == nil && v > 1 {
		p.page = v
	}
	if raw, ok := q[sizeParam]; ok && len(raw) > 0 {
		p.sizeRaw = raw[0]
		n, err := strconv.Atoi(strings.TrimSpace(raw[0]))
		switch {
		case err != nil || n <= 0:
			// Veeqo computes total/page_size with page_size.to_i == 0.
			p.bad = true
		case n > maxSize:
			p.size = maxSize
		default:
			p.size = n
		}
	}
	return p
}

// window returns the slice bounds of the page within total items.
func (p paging) window(total int) (lo, hi int) {
	page := p.page
	if p.capPages > 0 {
		page = min(page, p.capPages)
	}
	lo = (page - 1) * p.size
	if lo > total {
		lo = total
	}
	hi = min(lo+p.size, total)
	return lo, hi
}

// setPageHeaders writes Veeqo's pagination headers.
func setPageHeaders(w http.ResponseWriter, p paging, total int) {
	h := w.Header()
	h.Set("X-Total-Count", strconv.Itoa(total))
	pages := 0
	if !p.bad {
		pages = (total + p.size - 1) / p.size
		if p.capPages > 0 {
			pages = min(pages, p.capPages)
		}
	}
	h.Set("X-Total-Pages-Count", strconv.Itoa(pages))
	h.Set("X-Page-Index", strconv.Itoa(p.page))
	if p.bad {
		h.Set("X-Per-Page", p.sizeRaw)
	} else {
		h.Set("X-Per-Page", strconv.Itoa(p.size))
	}
}

// idList reads repeated and comma-separated ids from name and name[].
func idList(q url.Values, name string) ([]int64, bool) {
	var out []int64
	seen := false
	for _, key := range []string{name, name + "[]"} {
		for _, v := range q[key] {
			for _, part := range strings.Split(v, ",") {
				part = strings.TrimSpace(part)
				if part == "" {
					continue
				}
				seen = true
				if id, err := strconv.ParseInt(part, 10, 64); err == nil {
					out = append(out, id)
				}
			}
		}
	}
	return out, seen
}

func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
