package veeqo

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"
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

// credentials are the client's secrets; see Client.cred.
type credentials struct{ apiKey, bearer string }
