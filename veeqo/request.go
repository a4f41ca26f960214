package veeqo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/xoroerp/veeqoconnect/internal/display"
)

// Response is Veeqo's HTTP response with the paging headers decoded. The body
// has already been read and closed.
type Response struct {
	*http.Response

	// TotalCount is X-Total-Count: the number of records matching the
	// filters. Zero when Veeqo sent no paging headers (e.g. /channels).
	TotalCount int
	// TotalPages is X-Total-Pages-Count.
	TotalPages int
	// Page is X-Page-Index.
	Page int
	// PerPage is X-Per-Page.
	PerPage int
	// NextPage is the page to ask for next, or 0 when this was the last page
	// (a short page, or the page count reached). Set by list calls only.
	NextPage int

	// bodySum is a hash of the 2xx body, to tell a page Veeqo repeats.
	bodySum uint64
}

func newResponse(r *http.Response) *Response {
	if r == nil {
		return nil
	}
	resp := &Response{Response: r}
	resp.TotalCount = headerInt(r.Header, "X-Total-Count")
	resp.TotalPages = headerInt(r.Header, "X-Total-Pages-Count")
	resp.Page = headerInt(r.Header, "X-Page-Index")
	resp.PerPage = headerInt(r.Header, "X-Per-Page")
	return resp
}

func headerInt(h http.Header, name string) int {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// callState is per-call bookkeeping that the transport and retry hooks share
// through the request context.
type callState struct {
	method   string
	endpoint string // path relative to the base URL, for messages
	attempts atomic.Int32
	// unknown is set when the latest attempt of a non-idempotent call failed
	// after the request may have reached the server.
	unknown atomic.Bool
}

type callStateKey struct{}

func stateFrom(ctx context.Context) *callState {
	s, _ := ctx.Value(callStateKey{}).(*callState)
	return s
}

// request is one API call, before retries.
type request struct {
	method string
	path   string // relative to the base URL, no leading slash
	query  url.Values
	body   any // JSON-encoded when non-nil
}

// do sends req with rate limiting and retries, reads the body through the
// size cap and decodes it into out (when out is non-nil and the body is not
// empty). Non-2xx statuses become *APIError.
func (c *Client) do(ctx context.Context, req request, out any) (*Response, error) {
	if ctx == nil {
		return nil, errors.New("veeqo: nil context")
	}
	u := c.baseURL.JoinPath(req.path)
	if len(req.query) > 0 {
		u.RawQuery = req.query.Encode()
	}
	endpoint := "/" + strings.TrimPrefix(req.path, "/")
	st := &callState{method: req.method, endpoint: endpoint}
	ctx = context.WithValue(ctx, callStateKey{}, st)
	rreq, err := c.newRequest(ctx, req, u, endpoint)
	if err != nil {
		return nil, err
	}

	var payload []byte
	rreq.SetResponseHandler(c.keepBody(req.method, &payload))

	hresp, err := c.rc.Do(rreq)
	attempts := int(st.attempts.Load())
	if err != nil {
		if hresp != nil && hresp.Body != nil {
			hresp.Body.Close()
		}
		if st.unknown.Load() && !errors.Is(err, ErrOutcomeUnknown) {
			// net/http may replace the transport's error (Client.Timeout).
			err = fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
		}
		return newResponse(hresp), c.wrapTransportError(req.method, endpoint, attempts, err)
	}
	defer hresp.Body.Close()
	resp := newResponse(hresp)
	if payload == nil {
		// The response handler does not run when retries are exhausted.
		b, rerr := c.readBody(hresp)
		if rerr != nil && hresp.StatusCode < 300 {
			return resp, c.wrapTransportError(req.method, endpoint, attempts, rerr)
		}
		payload = b
	}
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 {
		return resp, c.statusError(ctx, req.method, endpoint, u, hresp, payload, attempts)
	}
	if out != nil && len(bytes.TrimSpace(payload)) > 0 {
		if err := c.decodeInto(req.method, endpoint, payload, out, resp); err != nil {
			return resp, err
		}
	}
	return resp, nil
}

// keepBody is the retry loop's response handler: it reads the body
// through the size cap into *payload (and back into the response). A body
// cut short on a request that is not idempotent makes its outcome unknown.
func (c *Client) keepBody(method string, payload *[]byte) func(*http.Response) error {
	return func(r *http.Response) error {
		b, err := c.readBody(r)
		if err != nil {
			if !idempotent(method) {
				return fmt.Errorf("%w: reading the response: %w", ErrOutcomeUnknown, err)
			}
			return err
		}
		*payload = b
		r.Body = io.NopCloser(bytes.NewReader(b))
		return nil
	}
}

// statusError is the *APIError of a non-2xx answer; when the context ended
// while it came in (the retry loop stopped on it), the error says so
// (errors.Is context.Canceled) and carries the answer that would have been
// retried.
func (c *Client) statusError(ctx context.Context, method, endpoint string, u *url.URL, hresp *http.Response, payload []byte, attempts int) error {
	apiErr := c.newAPIError(method, u, hresp, payload, attempts)
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("veeqo: %s %s: %w (last answer: %w)", method, endpoint, cerr, apiErr)
	}
	return apiErr
}

// newRequest builds the retryable request: the JSON body, if any, and
// the headers.
func (c *Client) newRequest(ctx context.Context, req request, u *url.URL, endpoint string) (*retryablehttp.Request, error) {
	var body []byte
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return nil, fmt.Errorf("veeqo: %s %s: encode request: %w", req.method, endpoint, err)
		}
		body = b
	}
	var rawBody any
	if body != nil {
		rawBody = body
	}
	rreq, err := retryablehttp.NewRequestWithContext(ctx, req.method, u.String(), rawBody)
	if err != nil {
		return nil, fmt.Errorf("veeqo: %s %s: %w", req.method, endpoint, err)
	}
	c.setHeaders(rreq.Header, body != nil)
	return rreq, nil
}

// decodeInto decodes a successful answer into out and notes its checksum
// on resp; an answer that is not UTF-8 or does not decode is a
// *DecodeError.
func (c *Client) decodeInto(method, endpoint string, payload []byte, out any, resp *Response) error {
	// encoding/json would read bytes that are not UTF-8 as U+FFFD and
	// pass a mangled name or reference on as Veeqo's.
	if off := display.InvalidUTF8(payload); off >= 0 {
		return &DecodeError{Method: method, Path: endpoint,
			Err: fmt.Errorf("the answer is not valid UTF-8 at byte offset %d of %d (byte 0x%02x)", off, len(payload), payload[off])}
	}
	if err := json.Unmarshal(payload, out); err != nil {
		return &DecodeError{Method: method, Path: endpoint, Err: c.scrubError(err)}
	}
	h := fnv.New64a()
	_, _ = h.Write(payload)
	resp.bodySum = h.Sum64()
	return nil
}

func (c *Client) setHeaders(h http.Header, hasBody bool) {
	h.Set("Accept", "application/json")
	h.Set("User-Agent", c.userAgent)
	if hasBody {
		h.Set("Content-Type", "application/json")
	}
	if c.cred.bearer != "" {
		h.Set("Authorization", "Bearer "+c.cred.bearer)
	} else {
		h.Set("x-api-key", c.cred.apiKey)
	}
}

// errBodyTooLarge marks a body over the client's cap; it is never retried.
type bodyTooLargeError struct{ limit int64 }

func (e *bodyTooLargeError) Error() string {
	return fmt.Sprintf("response body larger than %d bytes", e.limit)
}

func (c *Client) readBody(r *http.Response) ([]byte, error) {
	if r == nil || r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, c.maxBody+1))
	r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	if int64(len(b)) > c.maxBody {
		return nil, &bodyTooLargeError{limit: c.maxBody}
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// wrapTransportError names the call and, for a write whose request may have
// reached Veeqo, makes sure the error matches ErrOutcomeUnknown.
func (c *Client) wrapTransportError(method, endpoint string, attempts int, err error) error {
	err = c.scrubError(err)
	if attempts > 1 {
		return fmt.Errorf("veeqo: %s %s (after %d attempts): %w", method, endpoint, attempts, err)
	}
	return fmt.Errorf("veeqo: %s %s: %w", method, endpoint, err)
}

// scrubError guarantees that no credential appears in an error's text. The
// client never puts one in a URL, so this is a belt-and-braces check.
func (c *Client) scrubError(err error) error {
	msg := err.Error()
	if s := c.redact(msg); s != msg {
		return &redactedError{msg: s, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

func (e *redactedError) Unwrap() error { return e.err }

// redact removes the client's credentials from s.
func (c *Client) redact(s string) string {
	for _, secret := range []string{c.cred.apiKey, c.cred.bearer} {
		if secret != "" && strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, "[REDACTED]")
		}
	}
	return s
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}
