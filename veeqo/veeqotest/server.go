package veeqotest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultAPIKey is the API key a Server accepts unless WithAPIKey sets another.
const DefaultAPIKey = "veeqotest-api-key-0000000000000000"

// Errors returned by the seeding and staff helpers. Match them with errors.Is.
var (
	// ErrNotFound reports an unknown order, allocation, warehouse, sellable
	// or other record.
	ErrNotFound = errors.New("veeqotest: not found")
	// ErrInvalid reports a helper call that Veeqo would refuse: a bad
	// quantity, a sellable that is not on the order, an allocation that is
	// already shipped, a cancelled order.
	ErrInvalid = errors.New("veeqotest: invalid request")
	// ErrNoStock reports that a finite stock level (see Server.SetStock) is
	// too low for an allocation.
	ErrNoStock = errors.New("veeqotest: not enough stock")
)

// Option configures a Server. Options validate their arguments; Start
// returns the first error and NewServer fails the test with it.
type Option func(*config) error

type config struct {
	apiKey       string
	bearer       string
	rateCap      int
	rateDrain    float64
	rateOff      bool
	clock        func() time.Time
	logger       *slog.Logger
	prefix       string
	autoAllocate bool
	company      string
	listenAddr   string
	staffAPI     bool
	searchLag    time.Duration
	custPageCap  int
}

func defaultConfig() config {
	return config{
		apiKey:       DefaultAPIKey,
		rateCap:      100,
		rateDrain:    5,
		clock:        time.Now,
		logger:       slog.New(slog.DiscardHandler),
		autoAllocate: true,
		company:      "Veeqotest Ltd",
	}
}

// WithAPIKey sets the API key accepted in the x-api-key header.
func WithAPIKey(key string) Option {
	return func(c *config) error {
		if strings.TrimSpace(key) == "" {
			return errors.New("veeqotest: WithAPIKey: key is empty")
		}
		c.apiKey = key
		return nil
	}
}

// WithBearerToken also accepts "Authorization: Bearer <tok>" (an OAuth
// access token). It has its own rate-limit bucket, as in Veeqo.
func WithBearerToken(tok string) Option {
	return func(c *config) error {
		if strings.TrimSpace(tok) == "" {
			return errors.New("veeqotest: WithBearerToken: token is empty")
		}
		c.bearer = tok
		return nil
	}
}

// WithRateLimit sets the leaky bucket of each credential: capacity requests,
// draining at drainPerSecond. Veeqo's is 100 and 5/s (the default).
func WithRateLimit(capacity int, drainPerSecond float64) Option {
	return func(c *config) error {
		if capacity < 1 {
			return fmt.Errorf("veeqotest: WithRateLimit: capacity %d must be at least 1", capacity)
		}
		if !(drainPerSecond > 0) {
			return fmt.Errorf("veeqotest: WithRateLimit: drain rate %v must be positive", drainPerSecond)
		}
		c.rateCap, c.rateDrain, c.rateOff = capacity, drainPerSecond, false
		return nil
	}
}

// WithoutRateLimit turns the rate limit off (for benchmarks and bulk
// seeding over HTTP).
func WithoutRateLimit() Option {
	return func(c *config) error {
		c.rateOff = true
		return nil
	}
}

// WithClock sets the clock used for timestamps, rate-limit draining and the
// request log. Tests use it to make updated_at and the bucket deterministic.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("veeqotest: WithClock: clock is nil")
		}
		c.clock = now
		return nil
	}
}

// WithLogger logs one debug line per request (method, path, status; never
// headers or bodies). The default logger discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("veeqotest: WithLogger: logger is nil")
		}
		c.logger = l
		return nil
	}
}

// WithPathPrefix serves the API under a prefix such as "/api", so that
// clients which build absolute paths (dropping the base URL's path) fail.
// URL includes the prefix.
func WithPathPrefix(prefix string) Option {
	return func(c *config) error {
		p := strings.TrimRight(strings.TrimSpace(prefix), "/")
		if p != "" && !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		if strings.ContainsAny(p, "?#{} ") {
			return fmt.Errorf("veeqotest: WithPathPrefix: %q is not a plain path", prefix)
		}
		c.prefix = p
		return nil
	}
}

// WithAutoAllocate sets whether a new order (POST /orders or AddOrder) is
// allocated to its channel's default warehouse as far as stock allows, as
// Veeqo does. Default true.
func WithAutoAllocate(on bool) Option {
	return func(c *config) error {
		c.autoAllocate = on
		return nil
	}
}

// WithListenAddr listens on a loopback address such as "127.0.0.1:8765"
// instead of a free loopback port (veeqoctl fake uses it so a config can
// name the fake). Any other host is refused: the fake never leaves the
// machine.
func WithListenAddr(addr string) Option {
	return func(c *config) error {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("veeqotest: WithListenAddr: %q is not host:port: %w", addr, err)
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("veeqotest: WithListenAddr: %q is not a loopback address", addr)
		}
		c.listenAddr = addr
		return nil
	}
}

// WithStaffAPI serves the warehouse-staff helpers over HTTP, so another
// process can drive the fake (veeqoctl fake ship / fake order): POST
// /_staff/ship and POST /_staff/orders, under the path prefix and the API
// key like every route. See StaffShipRequest and StaffOrderRequest.
func WithStaffAPI() Option {
	return func(c *config) error {
		c.staffAPI = true
		return nil
	}
}

// WithSearchLag makes Veeqo's order search trail its database by d: a GET
// /orders with a query does not see orders created less than d ago (by the
// server's clock), while GET /orders/{id} and listings without a query do.
// Veeqo documents nothing about how current its search is; engines must not
// settle an in-doubt create on the search alone. Server.SetSearchLag changes
// it while the server runs.
func WithSearchLag(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("veeqotest: WithSearchLag: lag %v must not be negative", d)
		}
		c.searchLag = d
		return nil
	}
}

// WithCustomerPageCap emulates Veeqo's deep-paging bug on GET /customers:
// X-Total-Pages-Count stops at pages, and a page past it repeats page pages,
// while X-Total-Count stays the true count (Veeqo's, seen with page_size=100,
// is 100 pages). 0, the default, pages to the end. A client that stops at
// the page count sees fewer customers than the total; one that reads on sees
// the last page again. Server.SetCustomerPageCap changes it while the
// server runs.
func WithCustomerPageCap(pages int) Option {
	return func(c *config) error {
		if pages < 0 {
			return fmt.Errorf("veeqotest: WithCustomerPageCap: pages %d must not be negative", pages)
		}
		c.custPageCap = pages
		return nil
	}
}

// WithCompanyName sets the name GET /current_company returns.
func WithCompanyName(name string) Option {
	return func(c *config) error {
		c.company = name
		return nil
	}
}

// Server is an in-memory Veeqo on loopback. All methods are safe for
// concurrent use.
type Server struct {
	cfg     config
	hs      *http.Server
	ln      net.Listener
	baseURL string
	mux     *http.ServeMux
	buckets *buckets

	mu        sync.Mutex // guards st, searchLag and custPageCap
	st        *state
	searchLag time.Duration
	// custPageCap emulates Veeqo's deep-paging bug on /customers (0: off).
	custPageCap int

	ctlMu   sync.Mutex // guards log, faults, latency
	log     []Request
	faults  []*faultRule
	latency []latencyRule

	closeOnce sync.Once
	closeErr  error
}

// Request is one request the Server received, as recorded in its log.
type Request struct {
	Method string
	// Path is the API path without the WithPathPrefix prefix, e.g.
	// "/orders/123".
	Path  string
	Query url.Values
	// Body is the request body (at most 1 MiB).
	Body []byte
	// Status is the status written, or the status the handler produced
	// when the response was dropped by CommitThenFail; 0 for a Drop fault.
	Status int
	// Dropped reports that the connection was closed without a response.
	Dropped bool
	Time    time.Time
}

// NewServer starts a Server for a test and closes it in t.Cleanup. A bad
// option fails the test.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("veeqotest.NewServer: %v", err)
		return nil
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Start starts a Server on a loopback port. The caller must Close it.
func Start(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	addr := cmp.Or(cfg.listenAddr, "127.0.0.1:0")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("veeqotest: listen on %s: %w", addr, err)
	}
	s := &Server{
		cfg:       cfg,
		ln:        ln,
		baseURL:   "http://" + ln.Addr().String() + cfg.prefix,
		st:        newState(),
		buckets:   newBuckets(cfg.rateCap, cfg.rateDrain),
		searchLag: cfg.searchLag,

		custPageCap: cfg.custPageCap,
	}
	s.mux = s.routes()
	s.hs = &http.Server{
		Handler:           http.HandlerFunc(s.serve),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
	}
	go func() { _ = s.hs.Serve(ln) }()
	return s, nil
}

// Close stops the server and closes every open connection. It is safe to
// call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.hs.Close()
		if errors.Is(s.closeErr, http.ErrServerClosed) {
			s.closeErr = nil
		}
	})
	return s.closeErr
}

// SetSearchLag sets how far the order search trails the database (see
// WithSearchLag); 0 makes it current.
func (s *Server) SetSearchLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.searchLag = max(d, 0)
}

// SetCustomerPageCap sets where GET /customers stops paging (see
// WithCustomerPageCap); 0 turns the bug off.
func (s *Server) SetCustomerPageCap(pages int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.custPageCap = max(pages, 0)
}

// URL returns the base URL, including the path prefix and no trailing slash.
func (s *Server) URL() string { return s.baseURL }

// APIKey returns the accepted API key.
func (s *Server) APIKey() string { return s.cfg.apiKey }

// BearerToken returns the accepted OAuth bearer token, or "" if none.
func (s *Server) BearerToken() string { return s.cfg.bearer }

// now is the server clock in UTC at millisecond precision, the precision
// Veeqo's timestamps have.
func (s *Server) now() time.Time {
	return s.cfg.clock().UTC().Truncate(time.Millisecond)
}

// statusWriter records the status a handler writes.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

const maxBody = 1 << 20

// serve is the outer handler: prefix, log, faults, latency, auth, rate
// limit, then the routes.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := s.cfg.clock()
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	r.Body = io.NopCloser(bytes.NewReader(body))

	apiPath, inPrefix := s.apiPath(r.URL.Path)
	lg := &requestLog{s: s, r: r, rec: Request{
		Method: r.Method,
		Path:   apiPath,
		Query:  cloneValues(r.URL.Query()),
		Body:   body,
		Time:   start.UTC(),
	}}
	defer lg.record()

	fault, delay := s.takeFault(r.Method, apiPath)
	if delay > 0 && !sleepCtx(r, delay) {
		lg.rec.Dropped = true
		return
	}
	if fault != nil && fault.kind == faultRespond {
		respondFault(w, fault, lg)
		return
	}
	if fault == nil {
		sw := &statusWriter{ResponseWriter: w}
		s.route(sw, r, inPrefix)
		lg.rec.Status = cmp.Or(sw.status, http.StatusOK)
		return
	}
	buf := newBufferedWriter()
	s.route(buf, r, inPrefix)
	lg.rec.Status = buf.status()
	switch fault.kind {
	case faultCommitThenFail:
		lg.rec.Dropped = true
		lg.record()
		hijackClose(w)
	case faultCorrupt:
		for k, vs := range buf.header {
			w.Header()[k] = vs
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(buf.status())
		_, _ = w.Write(corrupt(buf.body.Bytes()))
	}
}

// requestLog is one request's entry in the server's log. The entry must
// exist before the client can see the outcome: a complete response is
// only readable after the handler returns, but a closed connection is seen
// at once, so drops record first; record is idempotent.
type requestLog struct {
	s      *Server
	r      *http.Request
	rec    Request
	logged bool
}

func (lg *requestLog) record() {
	if lg.logged {
		return
	}
	lg.logged = true
	lg.s.cfg.logger.LogAttrs(lg.r.Context(), slog.LevelDebug, "veeqotest request",
		slog.String("method", lg.rec.Method), slog.String("path", lg.rec.Path),
		slog.Int("status", lg.rec.Status), slog.Bool("dropped", lg.rec.Dropped))
	lg.s.ctlMu.Lock()
	lg.s.log = append(lg.s.log, lg.rec)
	lg.s.ctlMu.Unlock()
}

// sleepCtx waits d unless the request ends first; it reports whether the
// whole d passed.
func sleepCtx(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		t.Stop()
		return false
	}
}

// respondFault answers with a queued fault's canned response, or drops
// the connection.
func respondFault(w http.ResponseWriter, fault *faultRule, lg *requestLog) {
	if fault.f.Drop {
		lg.rec.Dropped = true
		lg.record()
		hijackClose(w)
		return
	}
	for k, vs := range fault.f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if fault.f.Body != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(fault.f.Status)
	_, _ = io.WriteString(w, fault.f.Body)
	lg.rec.Status = fault.f.Status
}

// route answers an API request: Rails' 404 outside the prefix, then
// authentication, the rate limit and the routes.
func (s *Server) route(out http.ResponseWriter, r *http.Request, inPrefix bool) {
	if !inPrefix {
		writeRouteNotFound(out)
		return
	}
	cred, ok := s.credential(r)
	if !ok {
		writeError(out, http.StatusUnauthorized, "You're not authorized")
		return
	}
	if !s.cfg.rateOff && !s.buckets.allow(cred, s.cfg.clock()) {
		out.WriteHeader(http.StatusTooManyRequests)
		return
	}
	s.mux.ServeHTTP(out, r)
}

// apiPath strips the prefix; ok is false for a path outside it.
func (s *Server) apiPath(p string) (string, bool) {
	if s.cfg.prefix == "" {
		return p, true
	}
	if p == s.cfg.prefix {
		return "/", true
	}
	if rest, ok := strings.CutPrefix(p, s.cfg.prefix+"/"); ok {
		return "/" + rest, true
	}
	return p, false
}

// credential returns the bucket key of a valid credential.
func (s *Server) credential(r *http.Request) (string, bool) {
	if k := r.Header.Get("X-Api-Key"); k != "" {
		if k == s.cfg.apiKey {
			return "key", true
		}
		return "", false
	}
	if a := r.Header.Get("Authorization"); a != "" && s.cfg.bearer != "" {
		scheme, tok, ok := strings.Cut(a, " ")
		if ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(tok) == s.cfg.bearer {
			return "bearer", true
		}
	}
	return "", false
}

func hijackClose(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = conn.Close()
			return
		}
	}
	// Not hijackable (should not happen with net/http's server): abort the
	// handler, which makes the server close the connection.
	panic(http.ErrAbortHandler)
}

// bufferedWriter holds a response so that a fault can replace or drop it.
type bufferedWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newBufferedWriter() *bufferedWriter { return &bufferedWriter{header: http.Header{}} }

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.code == 0 {
		b.code = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedWriter) status() int {
	if b.code == 0 {
		return http.StatusOK
	}
	return b.code
}

// corrupt turns a JSON body into malformed JSON: it cuts it in the middle.
func corrupt(b []byte) []byte {
	if len(b) < 4 {
		return []byte(`{"id":`)
	}
	return append(bytes.Clone(b[:len(b)/2]), `"\`...)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	out := make([]Request, len(s.log))
	for i, r := range s.log {
		r.Query = cloneValues(r.Query)
		r.Body = bytes.Clone(r.Body)
		out[i] = r
	}
	return out
}

// Count returns how many logged requests match method and path. Path is an
// API path without the prefix; a segment in braces, such as "{id}", matches
// any one segment: Count("GET", "/orders/{id}"). An empty method matches any
// method. Every received request counts, whatever its status.
func (s *Server) Count(method, path string) int {
	m := Match(method, path)
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	n := 0
	for _, r := range s.log {
		if m.matches(r.Method, r.Path) {
			n++
		}
	}
	return n
}

// TotalRequests returns the number of logged requests.
func (s *Server) TotalRequests() int {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	return len(s.log)
}

// ResetRequests empties the request log (not the rate-limit buckets).
func (s *Server) ResetRequests() {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	s.log = nil
}

// withState runs f with the state locked.
func (s *Server) withState(f func(st *state)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.st)
}
