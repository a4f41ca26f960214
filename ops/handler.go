package ops

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// ErrOptions is matched (errors.Is) by the error NewHandler returns for
// unusable Options.
var ErrOptions = errors.New("ops: invalid options")

// DefaultMaxBodyBytes is the request body limit when Options.MaxBodyBytes
// is zero.
const DefaultMaxBodyBytes = 256 << 10

// Handler is the operations page: an http.Handler serving the HTML views
// and the JSON API. Mount it under any prefix with http.StripPrefix; every
// link and form in it is relative. It is safe for concurrent use. Close
// cancels the manual runs it started and waits for them.
type Handler struct {
	opts    Options
	log     *slog.Logger
	store   store.Store
	handler http.Handler
	pages   *pages

	baseCtx context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup

	mu       sync.Mutex
	accounts map[string]*acct // configured, and connected on first use
	jobs     map[string]*job
	jobOrder []string
	flashes  map[string]string
	flashIDs []string
}

// acct is one account the handler runs, with the settings in force.
type acct struct {
	name  string
	cfg   vsync.Config
	saved func(context.Context, vsync.Settings) error

	mu       sync.Mutex
	settings vsync.Settings
	eng      *vsync.Engine
	engErr   error
}

// NewHandler checks opts and builds the handler.
func NewHandler(opts Options) (*Handler, error) {
	var problems []string
	if opts.Authenticate == nil && !opts.InsecureDevelopmentNoAuth {
		problems = append(problems, "Authenticate is required (or set InsecureDevelopmentNoAuth for development only)")
	}
	if len(opts.Accounts) == 0 && opts.Store == nil {
		problems = append(problems, "Accounts or Store is required")
	}
	if opts.MaxBodyBytes < 0 {
		problems = append(problems, "MaxBodyBytes must not be negative")
	}
	h := &Handler{opts: opts, log: opts.Logger, store: opts.Store, accounts: map[string]*acct{}, jobs: map[string]*job{}, flashes: map[string]string{}}
	for i, a := range opts.Accounts {
		name := strings.TrimSpace(a.Config.Account)
		switch {
		case name == "":
			problems = append(problems, fmt.Sprintf("Accounts[%d]: Config.Account is required", i))
			continue
		case h.accounts[name] != nil:
			problems = append(problems, fmt.Sprintf("Accounts[%d]: account %q is listed twice", i, name))
			continue
		case a.Config.Store == nil:
			problems = append(problems, fmt.Sprintf("Accounts[%d]: Config.Store is required", i))
			continue
		}
		s := a.Config.Settings
		if s.Account == "" {
			s.Account = name
		}
		h.accounts[name] = &acct{name: name, cfg: a.Config, saved: a.SettingsSaved, settings: s}
		if h.store == nil {
			h.store = a.Config.Store
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrOptions, strings.Join(problems, "; "))
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.opts.MaxBodyBytes == 0 {
		h.opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	h.pages = p
	h.baseCtx, h.stop = context.WithCancel(context.Background())
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, &httpError{status: http.StatusForbidden, msg: "cross-origin request refused: state-changing requests must come from this page"})
	}))
	h.handler = h.secure(cop.Handler(h.authenticate(h.routes())))
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.handler.ServeHTTP(w, r) }

// Close cancels the manual runs the handler started and waits for them to
// stop (each finishes the reference in hand and records the run as
// cancelled).
func (h *Handler) Close() error {
	h.stop()
	h.wg.Wait()
	return nil
}

// contentSecurityPolicy allows the page's own script, style and images and
// nothing else: no inline script, no framing, forms only to itself.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the security headers, limits the body and turns a panic into
// a 500 (none reaches the host's server).
func (h *Handler) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes)
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				h.log.Error("ops: handler panicked", "panic", fmt.Sprint(p), "path", r.URL.Path)
				h.fail(w, r, &httpError{status: http.StatusInternalServerError, msg: "internal error"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type userKey struct{}

// userOf returns the authenticated user of a request.
func userOf(r *http.Request) string {
	u, _ := r.Context().Value(userKey{}).(string)
	return u
}

// authenticate runs the host's hook on every request (assets included).
func (h *Handler) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user := "development"
		if h.opts.Authenticate != nil {
			u, err := h.opts.Authenticate(r)
			if err != nil {
				var ch interface{ Challenge() string }
				if errors.As(err, &ch) {
					w.Header().Set("WWW-Authenticate", ch.Challenge())
				}
				h.fail(w, r, &httpError{status: http.StatusUnauthorized, msg: "not authenticated"})
				return
			}
			user = cleanUser(u)
			if user == "" {
				h.log.Warn("ops: Authenticate returned an empty user; request refused")
				h.fail(w, r, &httpError{status: http.StatusUnauthorized, msg: "not authenticated"})
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, user)))
	})
}

// cleanUser makes a user name safe to record: no control or format
// characters, at most 100 runes.
func cleanUser(u string) string {
	u = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, strings.TrimSpace(u))
	if r := []rune(u); len(r) > 100 {
		u = string(r[:100])
	}
	return u
}

// account returns the account named in the request path.
func (h *Handler) account(r *http.Request) (*acct, error) {
	name := r.PathValue("account")
	h.mu.Lock()
	a := h.accounts[name]
	h.mu.Unlock()
	if a != nil {
		return a, nil
	}
	if h.store == nil || name == "" {
		return nil, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("no account %q", name)}
	}
	row, err := h.store.GetAccount(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("no account %q", name)}
	}
	if err != nil {
		return nil, fmt.Errorf("read account %q: %w", name, err)
	}
	if h.opts.Connect == nil {
		return nil, &httpError{status: http.StatusConflict, msg: fmt.Sprintf("account %q is in the store, but this page was not given a way to run it (Options.Connect)", name)}
	}
	cfg, err := h.opts.Connect(r.Context(), row)
	if err != nil {
		return nil, &httpError{status: http.StatusConflict, msg: fmt.Sprintf("account %q cannot be connected: %v", name, err)}
	}
	cfg.Account = name
	if cfg.Store == nil {
		cfg.Store = h.store
	}
	s := cfg.Settings
	if s.Account == "" {
		if stored, err := vsync.ParseSettings(row.Settings); err == nil {
			s = stored
		}
		s.Account = name
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if a := h.accounts[name]; a != nil {
		return a, nil
	}
	a = &acct{name: name, cfg: cfg, settings: s}
	h.accounts[name] = a
	return a, nil
}

// configured returns the accounts the handler runs, by name.
func (h *Handler) configured() []*acct {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*acct, 0, len(h.accounts))
	for _, a := range h.accounts {
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y *acct) int { return strings.Compare(x.name, y.name) })
	return out
}

// engine returns the account's engine for its settings in force, built on
// first use and after every settings change.
func (a *acct) engine() (*vsync.Engine, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.eng == nil && a.engErr == nil {
		a.eng, a.engErr = a.build(nil)
	}
	if a.engErr != nil {
		return nil, &httpError{status: http.StatusConflict, msg: fmt.Sprintf("account %q cannot run with its settings: %v (fix them on the Settings view)", a.name, a.engErr)}
	}
	return a.eng, nil
}

// build makes an engine for the settings in force (a.mu held); onRunID,
// when set, is told the id of each run the engine starts.
func (a *acct) build(onRunID func(string)) (*vsync.Engine, error) {
	cfg := a.cfg
	cfg.Settings = a.settings
	if onRunID != nil {
		gen := cfg.NewRunID
		cfg.NewRunID = func() string {
			var id string
			if gen != nil {
				id = gen()
			} else {
				id = "run-" + time.Now().UTC().Format("20060102T150405Z") + "-" + randomHex(3)
			}
			onRunID(id)
			return id
		}
	}
	return vsync.New(cfg)
}

// jobEngine builds a separate engine for a background run, which reports
// its run id to onRunID. Runs of one account are still one at a time: the
// store's lease serialises them.
func (a *acct) jobEngine(onRunID func(string)) (*vsync.Engine, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.build(onRunID)
}

// current returns the settings in force.
func (a *acct) current() vsync.Settings {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.settings
}

// setSettings puts new settings in force and rebuilds the engine.
func (a *acct) setSettings(s vsync.Settings) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.settings = s
	a.eng, a.engErr = a.build(nil)
}

// location is the account's time zone (UTC when it does not load).
func (a *acct) location() *time.Location {
	loc, err := vsync.LoadLocation(a.current().TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// flash keeps a one-time notice for the page a POST redirects to.
func (h *Handler) flash(msg string) string {
	id := randomHex(8)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.flashes[id] = msg
	h.flashIDs = append(h.flashIDs, id)
	for len(h.flashIDs) > 500 {
		delete(h.flashes, h.flashIDs[0])
		h.flashIDs = h.flashIDs[1:]
	}
	return id
}

// takeFlash returns and forgets a notice.
func (h *Handler) takeFlash(id string) string {
	if id == "" {
		return ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	msg := h.flashes[id]
	delete(h.flashes, id)
	return msg
}
