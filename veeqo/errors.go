package veeqo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"
)

// Sentinel errors. Match them with errors.Is; *APIError implements Is for
// the status-based ones.
var (
	// ErrNotFound: Veeqo answered 404, or a lookup (FindSellableBySKU,
	// FindByEmail, ...) matched nothing.
	ErrNotFound = errors.New("veeqo: not found")
	// ErrUnauthorized: 401, a bad or revoked key or token (or an account that
	// needs payment).
	ErrUnauthorized = errors.New("veeqo: unauthorized")
	// ErrForbidden: 403, a plan or permission gate.
	ErrForbidden = errors.New("veeqo: forbidden")
	// ErrRateLimited: still 429 after every attempt.
	ErrRateLimited = errors.New("veeqo: rate limited")
	// ErrInvalidRequest: 400 or 422, or input the client refused to send.
	ErrInvalidRequest = errors.New("veeqo: invalid request")
	// ErrServer: a 5xx status.
	ErrServer = errors.New("veeqo: server error")
	// ErrOutcomeUnknown: a POST (create) may or may not have been applied:
	// it timed out or lost its connection after the request was sent, or
	// Veeqo answered 5xx. The client never replays it; look the record up
	// (e.g. Orders.FindByNumber) before creating it again.
	ErrOutcomeUnknown = errors.New("veeqo: outcome unknown, the request may have been applied")
	// ErrPaging: a listing's pages do not end: Veeqo repeated a full page
	// or answered full pages past the client's bound.
	ErrPaging = errors.New("veeqo: pagination does not end")
)

// APIError is a non-2xx answer from Veeqo.
type APIError struct {
	// Method is the HTTP method.
	Method string
	// URL is the request URL. It never holds a credential (the client sends
	// those in headers); query values are kept.
	URL string
	// StatusCode is the final HTTP status.
	StatusCode int
	// Messages are Veeqo's error_messages (a string, an array, or the
	// {"status":..,"error":..} shape), flattened.
	Messages []string
	// Body is the start of the response body (at most 2 KiB).
	Body string
	// Attempts is how many HTTP attempts the call made.
	Attempts int
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "veeqo: %s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if len(e.Messages) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Messages, "; "))
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if e.StatusCode >= 500 && e.Method == http.MethodPost {
		b.WriteString(" (outcome unknown: the request may have been applied)")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and friends work on *APIError.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrInvalidRequest:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	case ErrServer:
		return e.StatusCode >= 500
	case ErrOutcomeUnknown:
		return e.StatusCode >= 500 && !idempotent(e.Method)
	}
	return false
}

// Temporary reports whether the same call may succeed later (429, 5xx).
func (e *APIError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

func (c *Client) newAPIError(method string, u *url.URL, r *http.Response, body []byte, attempts int) *APIError {
	e := &APIError{
		Method:     method,
		URL:        c.redact(redactURL(u)),
		StatusCode: r.StatusCode,
		Attempts:   attempts,
	}
	for _, m := range decodeErrorMessages(body) {
		e.Messages = append(e.Messages, c.redact(m))
	}
	// Redact before cutting: a key straddling the cap would leave its prefix.
	e.Body = snippet([]byte(c.redact(string(body))), maxErrorSnippet)
	return e
}

// redactURL drops user info; the client never puts credentials in a query.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	v := *u
	v.User = nil
	return v.String()
}

// snippet returns at most n bytes of b as valid UTF-8.
func snippet(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
		return string(b) + "…"
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// decodeErrorMessages flattens Veeqo's error bodies into messages:
//
//	{"error_messages":"Not found"}
//	{"error_messages":["Channel can't be blank", ...]}
//	{"status":404,"error":"Not Found"}   (status may be "404")
//	{"errors":{"field":["msg"]}}         (Rails validation shape)
//
// Anything else (an empty 429 body, HTML from a proxy) yields no messages.
func decodeErrorMessages(body []byte) []string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil
	}
	var out []string
	for _, key := range []string{"error_messages", "errors", "error", "message"} {
		raw, ok := doc[key]
		if !ok {
			continue
		}
		out = append(out, flattenMessages(raw, "", 0)...)
	}
	return out
}

// flattenMessages turns a JSON value into messages; object keys prefix their
// values ("name: can't be blank").
func flattenMessages(raw json.RawMessage, prefix string, depth int) []string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || depth > 4 {
		return nil
	}
	withPrefix := func(s string) string {
		if prefix == "" {
			return s
		}
		return prefix + ": " + s
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil || strings.TrimSpace(s) == "" {
			return nil
		}
		return []string{withPrefix(s)}
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		var out []string
		for _, it := range items {
			out = append(out, flattenMessages(it, prefix, depth+1)...)
		}
		return out
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return nil
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out = append(out, flattenMessages(m[k], p, depth+1)...)
		}
		return out
	case 'n': // null
		return nil
	default: // number, bool
		return []string{withPrefix(string(raw))}
	}
}

// DecodeError is a 2xx response whose body is not the JSON the endpoint
// promises. For a POST it also matches ErrOutcomeUnknown: Veeqo applied the
// request, but the client cannot tell what it created.
type DecodeError struct {
	// Method and Path name the endpoint, e.g. GET /orders/123.
	Method, Path string
	// Err is the JSON error.
	Err error
}

// Error implements error.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("veeqo: %s %s: decode response: %v", e.Method, e.Path, e.Err)
}

// Unwrap returns the JSON error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is makes a POST's DecodeError match ErrOutcomeUnknown.
func (e *DecodeError) Is(target error) bool {
	return target == ErrOutcomeUnknown && !idempotent(e.Method)
}

// errNoID reports a created record whose response carried no id.
func errNoID(method, endpoint string, status int, what string) error {
	return fmt.Errorf("veeqo: %s %s: Veeqo answered %d without the new %s's id: %w", method, endpoint, status, what, ErrOutcomeUnknown)
}

// errNoRecord reports a successful read whose body held no record (empty,
// null, or an object without an id).
func errNoRecord(method, endpoint, what string) error {
	return &DecodeError{Method: method, Path: endpoint, Err: fmt.Errorf("the answer holds no %s (empty body, null, or no id)", what)}
}

// invalidInput is an argument the client refuses to send.
func invalidInput(format string, args ...any) error {
	return fmt.Errorf("veeqo: %s: %w", fmt.Sprintf(format, args...), ErrInvalidRequest)
}
