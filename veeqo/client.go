package veeqo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"

	"github.com/xoroerp/veeqoconnect/internal/display"
)

// DefaultBaseURL is Veeqo's API root. The core API has no version prefix.
const DefaultBaseURL = "https://api.veeqo.com"

// DefaultUserAgent is sent when WithUserAgent is not given.
const DefaultUserAgent = "veeqoconnect-go (+https://github.com/xoroerp/veeqoconnect)"

// Defaults of the client's rate limiter: Veeqo's drain rate of 5 requests
// per second per key, with a burst of half its bucket of 100. A client
// alone on the key therefore sends at the full rate and Veeqo's bucket
// never holds more than the burst: the other half is room for another
// caller on the key, or for what a previous process left in the bucket.
// The rate adapts to Veeqo's answers (see the package documentation).
const (
	DefaultRateLimit rate.Limit = 5
	DefaultBurst     int        = 50
)

// Adaptive pacing: a 429 divides the limiter's rate by throttleFactor (not
// below its ceiling / minRateDivisor) and empties its bucket; every answer
// that is not a 429 raises the rate by ceiling / recoverySteps, back up to
// the ceiling. Halving lets Veeqo's bucket drain while the client recovers
// (from one 429 at 5/s: 100 answers, about 28 s, during which Veeqo's
// bucket loses about 30 requests' worth), and repeated 429s (another
// caller on the key) keep the client below what is left for it.
const (
	throttleFactor = 2
	minRateDivisor = 32
	recoverySteps  = 200
)

// DefaultMaxResponseBytes caps the size of a response body the client will
// read (a page of 100 orders is typically well under 2 MiB).
const DefaultMaxResponseBytes int64 = 32 << 20

// DefaultAttemptTimeout bounds one HTTP attempt (from sending the request to
// reading the whole body), not counting the wait for the rate limiter. The
// caller's context bounds the whole call, retries included.
const DefaultAttemptTimeout = 60 * time.Second

// maxErrorSnippet is how much of an error body APIError keeps.
const maxErrorSnippet = 2048

// Client is a Veeqo REST API client. Create it with New; it is safe for
// concurrent use. The services (Orders, Products, ...) share the client's
// credentials, rate limiter and retry policy.
type Client struct {
	baseURL *url.URL
	// cred is behind a pointer so that printing the client (%v, %+v, %#v,
	// slog) shows an address, never the API key or the bearer token.
	cred      *credentials
	userAgent string
	limiter   *rate.Limiter
	pace      pacer
	retry     RetryPolicy
	logger    *slog.Logger
	maxBody   int64
	timeout   time.Duration
	rc        *retryablehttp.Client
	requests  atomic.Int64

	// Orders reads, creates, updates and cancels orders and adds notes.
	Orders *OrdersService
	// Allocations allocates order lines to warehouses.
	Allocations *AllocationsService
	// Shipments marks allocations shipped with the seller's own tracking.
	Shipments *ShipmentsService
	// Products lists and searches products and finds sellables by SKU or UPC.
	Products *ProductsService
	// Channels lists the account's channels (stores).
	Channels *ChannelsService
	// Warehouses lists the account's warehouses.
	Warehouses *WarehousesService
	// DeliveryMethods lists the seller's delivery methods.
	DeliveryMethods *DeliveryMethodsService
	// Customers lists, finds and creates customers.
	Customers *CustomersService
	// Company reads the account's company (the credential check).
	Company *CompanyService
}

// service is the common base of every service: a back pointer to the client.
type service struct{ client *Client }

// config collects the options before New builds the client.
type config struct {
	baseURL    string
	httpClient *http.Client
	userAgent  string
	bearer     string
	limiter    *rate.Limiter
	rateLimit  rate.Limit
	burst      int
	retry      RetryPolicy
	logger     *slog.Logger
	maxBody    int64
	timeout    time.Duration
}

// Option configures a Client. Options validate their input: New returns the
// first option error.
type Option func(*config) error

// WithBaseURL sets the API root (default https://api.veeqo.com). It must be
// https, except that plain http is accepted for loopback hosts (tests, local
// fakes). A path prefix such as https://proxy.example.com/veeqo/ is kept.
// User info, a query or a fragment are refused.
func WithBaseURL(raw string) Option {
	return func(c *config) error {
		if _, err := parseBaseURL(raw); err != nil {
			return err
		}
		c.baseURL = raw
		return nil
	}
}

// WithHTTPClient makes the client send its requests through a copy of hc.
// hc itself is never modified; its Transport, Timeout and Jar are used. Note
// that an hc.Timeout also counts the wait for the rate limiter; prefer
// WithAttemptTimeout, which does not.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("veeqo: WithHTTPClient: nil *http.Client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if strings.TrimSpace(ua) == "" {
			return errors.New("veeqo: WithUserAgent: empty user agent")
		}
		if strings.ContainsAny(ua, "\r\n") {
			return errors.New("veeqo: WithUserAgent: user agent contains a line break")
		}
		c.userAgent = ua
		return nil
	}
}

// WithBearerToken authenticates with an OAuth access token (Authorization:
// Bearer) instead of an x-api-key header: only the token is sent. With it,
// New accepts an empty API key.
func WithBearerToken(token string) Option {
	return func(c *config) error {
		if strings.TrimSpace(token) == "" {
			return errors.New("veeqo: WithBearerToken: empty token")
		}
		if strings.ContainsAny(token, "\r\n") {
			return errors.New("veeqo: WithBearerToken: token contains a line break")
		}
		c.bearer = token
		return nil
	}
}

// WithRateLimit sets the client's own limiter to r requests per second with
// the given burst. Use rate.Inf to disable client-side pacing. The default is
// DefaultRateLimit with DefaultBurst. Of WithRateLimit and WithLimiter, the
// later option wins.
func WithRateLimit(r rate.Limit, burst int) Option {
	return func(c *config) error {
		if r <= 0 {
			return fmt.Errorf("veeqo: WithRateLimit: rate must be positive, got %v", r)
		}
		if burst < 1 {
			return fmt.Errorf("veeqo: WithRateLimit: burst must be at least 1, got %d", burst)
		}
		c.rateLimit, c.burst, c.limiter = r, burst, nil
		return nil
	}
}

// WithLimiter makes the client wait on lim before every HTTP attempt. Veeqo
// limits per key, so share one limiter between all clients (and goroutines)
// that use the same key. The client adapts lim's rate to Veeqo's answers
// (see the package documentation), never above the rate lim has when New
// is called: share it before the first request.
func WithLimiter(lim *rate.Limiter) Option {
	return func(c *config) error {
		if lim == nil {
			return errors.New("veeqo: WithLimiter: nil limiter")
		}
		c.limiter = lim
		return nil
	}
}

// WithRetryPolicy sets how many attempts a call may make and how long to wait
// between them. See RetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error {
		if err := p.validate(); err != nil {
			return err
		}
		c.retry = p
		return nil
	}
}

// WithLogger makes the client write one debug line per HTTP attempt (method,
// path, status, attempt, duration) and retry decisions to l. The API key and
// request bodies are never logged. Without it the client is silent; nil means
// silent too.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}

// WithAttemptTimeout bounds each HTTP attempt, from sending the request to
// reading the whole response, without the wait for the rate limiter
// (default DefaultAttemptTimeout). A GET, PUT or DELETE that times out is
// retried; a POST that times out has an unknown outcome and is not.
func WithAttemptTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("veeqo: WithAttemptTimeout: timeout must be positive, got %v", d)
		}
		c.timeout = d
		return nil
	}
}

// WithMaxResponseBytes caps the size of a response body the client reads
// (default DefaultMaxResponseBytes). A larger body is an error.
func WithMaxResponseBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("veeqo: WithMaxResponseBytes: limit must be positive, got %d", n)
		}
		c.maxBody = n
		return nil
	}
}

// New returns a client that authenticates with apiKey (sent as x-api-key).
// An empty key is an error unless WithBearerToken is given.
func New(apiKey string, opts ...Option) (*Client, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(apiKey, "\r\n") {
		return nil, errors.New("veeqo: the API key contains a line break")
	}
	if strings.TrimSpace(apiKey) == "" && cfg.bearer == "" {
		return nil, errors.New("veeqo: an API key (or WithBearerToken) is required")
	}
	base, err := parseBaseURL(cfg.baseURL)
	if err != nil {
		return nil, err
	}
	if cfg.limiter == nil {
		cfg.limiter = rate.NewLimiter(cfg.rateLimit, cfg.burst)
	}
	pace := pacer{lim: cfg.limiter, ceiling: cfg.limiter.Limit()}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		baseURL:   base,
		cred:      &credentials{apiKey: apiKey, bearer: cfg.bearer},
		userAgent: cfg.userAgent,
		limiter:   cfg.limiter,
		pace:      pace,
		retry:     cfg.retry,
		logger:    cfg.logger,
		maxBody:   cfg.maxBody,
		timeout:   cfg.timeout,
	}
	c.rc = &retryablehttp.Client{
		HTTPClient:   c.httpClient(cfg.httpClient),
		Logger:       nil, // retryablehttp's own logging stays off; transport logs via slog
		RetryWaitMin: c.retry.MinBackoff,
		RetryWaitMax: c.retry.MaxBackoff,
		RetryMax:     c.retry.MaxAttempts - 1,
		CheckRetry:   c.checkRetry,
		Backoff:      c.backoff,
		ErrorHandler: keepLastResponse,
	}
	s := service{client: c}
	c.Orders = (*OrdersService)(&s)
	c.Allocations = (*AllocationsService)(&s)
	c.Shipments = (*ShipmentsService)(&s)
	c.Products = (*ProductsService)(&s)
	c.Channels = (*ChannelsService)(&s)
	c.Warehouses = (*WarehousesService)(&s)
	c.DeliveryMethods = (*DeliveryMethodsService)(&s)
	c.Customers = (*CustomersService)(&s)
	c.Company = (*CompanyService)(&s)
	return c, nil
}

// newConfig is the defaults with opts applied in order.
func newConfig(opts []Option) (config, error) {
	cfg := config{
		baseURL:   DefaultBaseURL,
		userAgent: DefaultUserAgent,
		rateLimit: DefaultRateLimit,
		burst:     DefaultBurst,
		retry:     DefaultRetryPolicy(),
		maxBody:   DefaultMaxResponseBytes,
		timeout:   DefaultAttemptTimeout,
	}
	for i, opt := range opts {
		if opt == nil {
			return config{}, fmt.Errorf("veeqo: option %d is nil", i)
		}
		if err := opt(&cfg); err != nil {
			return config{}, err
		}
	}
	return cfg, nil
}

// httpClient is a copy of the caller's client (or a pooled one) whose
// transport goes through the client's (auth, pacing, logging) and which
// never follows a redirect to another host.
func (c *Client) httpClient(user *http.Client) *http.Client {
	var hc http.Client
	if user != nil {
		hc = *user // a copy: the caller's client is never touched
	} else {
		hc = http.Client{Transport: cleanhttp.DefaultPooledTransport()}
	}
	base0 := hc.Transport
	if base0 == nil {
		base0 = http.DefaultTransport
	}
	hc.Transport = &transport{base: base0, client: c}
	userRedirect := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		// The x-api-key header is not one net/http strips on a cross-host
		// redirect: never follow one, so the key cannot leak elsewhere.
		if len(via) > 0 && (req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme) {
			return http.ErrUseLastResponse
		}
		if userRedirect != nil {
			return userRedirect(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &hc
}

// Requests reports how many HTTP requests this client has sent so far,
// counting every attempt (retries included) that reached the transport.
func (c *Client) Requests() int64 { return c.requests.Load() }

// Limiter returns the rate limiter the client waits on, so that other clients
// of the same key can share it (WithLimiter).
func (c *Client) Limiter() *rate.Limiter { return c.limiter }

// BaseURL returns the API root the client sends requests to.
func (c *Client) BaseURL() string { return c.baseURL.String() }

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = redactUserInfo(ue.URL) // url.Parse quotes the whole URL
		}
		return nil, fmt.Errorf("veeqo: base URL: %w", err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("veeqo: base URL %q: scheme must be https", redactUserInfo(u.Redacted()))
	case u.Host == "":
		return nil, fmt.Errorf("veeqo: base URL %q: no host", u.Redacted())
	case u.User != nil:
		return nil, errors.New("veeqo: base URL must not carry user info; pass the key to New")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("veeqo: base URL %q: no query or fragment allowed", u.Redacted())
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return nil, fmt.Errorf("veeqo: base URL %q: plain http is allowed only for loopback hosts", u.Redacted())
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawPath = ""
	return u, nil
}

// redactUserInfo replaces what comes before an "@" in a URL's authority
// (user and password, or an opaque "user:pw@host") with xxxxx.
func redactUserInfo(s string) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	end := len(s)
	if j := strings.IndexAny(s[start:], "/?#"); j >= 0 {
		end = start + j
	}
	if at := strings.LastIndex(s[start:end], "@"); at >= 0 {
		return s[:start] + "xxxxx" + s[start+at:]
	}
	return s
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

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

// credentials are the client's secrets; see Client.cred.
type credentials struct{ apiKey, bearer string }

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

// transport waits on the rate limiter, counts and logs every attempt, and
// records whether a request may have reached the server.
type transport struct {
	base   http.RoundTripper
	client *Client
}

// logAttempt logs one attempt at debug level, its error redacted.
func (c *Client) logAttempt(ctx context.Context, method, path string, attempt int, dur time.Duration, resp *http.Response, err error) {
	if !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("path", path),
		slog.Int("attempt", attempt),
		slog.Duration("duration", dur),
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", c.redact(err.Error())))
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "veeqo request", attrs...)
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.client
	ctx := req.Context()
	st := stateFrom(ctx)
	attempt, path := 0, req.URL.Path
	if st != nil {
		attempt = int(st.attempts.Add(1))
		path = st.endpoint
	}
	if err := c.limiter.Wait(ctx); err != nil {
		return nil, limiterError(ctx)
	}
	trace := &httptraceHooks{}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	req = req.WithContext(trace.attach(actx))

	c.requests.Add(1)
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	dur := time.Since(start)

	c.logAttempt(ctx, req.Method, path, attempt, dur, resp, err)

	if st != nil {
		st.unknown.Store(err != nil && trace.mayHaveSent() && !idempotent(req.Method))
	}
	if err != nil {
		if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("attempt timed out after %v: %w", c.timeout, err)
		}
		cancel()
		if !trace.mayHaveSent() {
			return nil, &notSentError{err: err}
		}
		if !idempotent(req.Method) {
			return nil, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
		}
		return nil, err
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		c.pace.throttled()
	} else {
		c.pace.passed()
	}
	// The attempt's deadline covers reading the body: release it on Close.
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// limiterWaitError is a rate-limiter wait cut short by the caller's context,
// or refused because it would pass the context's deadline (rate.Limiter's own
// error for that matches nothing): it matches the context's error, or
// context.DeadlineExceeded.
type limiterWaitError struct{ cause error }

func limiterError(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return &limiterWaitError{cause: err}
	}
	return &limiterWaitError{cause: context.DeadlineExceeded}
}

func (e *limiterWaitError) Error() string {
	if e.cause == context.Canceled {
		return "waiting for the rate limiter: context canceled"
	}
	return "waiting for the rate limiter would pass the context deadline"
}

func (e *limiterWaitError) Unwrap() error { return e.cause }

// notSentError marks a transport failure before any byte of the request was
// written: safe to retry whatever the method.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// pacer adapts a limiter's rate to Veeqo's answers, between its ceiling
// (the rate it was configured with) and ceiling/minRateDivisor. It keeps no
// state of its own besides the ceiling, so clients sharing a limiter
// (WithLimiter) adapt it together.
type pacer struct {
	lim     *rate.Limiter
	ceiling rate.Limit
}

// throttled is Veeqo's 429: slow down and empty the bucket, so that every
// client sharing the limiter restarts from zero at the lower rate.
func (p pacer) throttled() {
	if p.ceiling == rate.Inf || p.lim.Limit() == rate.Inf {
		return
	}
	p.lim.SetLimit(max(p.lim.Limit()/throttleFactor, p.ceiling/minRateDivisor))
	drain(p.lim)
}

// passed is an answer that is not a 429: recover a step towards the
// ceiling.
func (p pacer) passed() {
	if p.ceiling == rate.Inf {
		return
	}
	if l := p.lim.Limit(); l < p.ceiling {
		p.lim.SetLimit(min(l+p.ceiling/recoverySteps, p.ceiling))
	}
}

// drain empties the limiter's bucket so that the next requests of every
// client sharing it are paced from zero after Veeqo said "too many".
func drain(lim *rate.Limiter) {
	if lim.Limit() == rate.Inf {
		return
	}
	now := time.Now()
	if n := int(lim.TokensAt(now)); n > 0 {
		lim.AllowN(now, n)
	}
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}
