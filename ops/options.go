package ops

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// Options configure a Handler. Authenticate is required (unless
// InsecureDevelopmentNoAuth), and so is at least one of Accounts and Store.
type Options struct {
	// Accounts are the accounts the page runs, each as the host already
	// wires it (an engine Config: its store, ERP, Veeqo client, notifier).
	Accounts []Account
	// Store is where the Accounts view adds, lists and removes accounts
	// (the store's account operations). Default: the first account's
	// Config.Store. An account found there but not in Accounts is shown;
	// it is run only if Connect builds a Config for it.
	Store store.Store
	// Connect, if set, builds the engine Config of an account that is in
	// Store but not in Accounts (one added on the Accounts view).
	Connect func(ctx context.Context, a store.Account) (vsync.Config, error)
	// Authenticate yields the user of each request (recorded on resolve,
	// unresolve, settings changes, mode switches and manual runs). An error
	// answers 401; an error with a Challenge() string method also sets
	// WWW-Authenticate to it. See BasicAuth and TokenAuth.
	Authenticate func(r *http.Request) (user string, err error)
	// InsecureDevelopmentNoAuth lets NewHandler build a handler without
	// Authenticate: every request is the user "development". Never set it
	// where anyone but the developer can reach the page.
	InsecureDevelopmentNoAuth bool
	// Logger receives the handler's own diagnostics (silent by default).
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies (default 256 KiB).
	MaxBodyBytes int64
}

// Account is one account the page runs.
type Account struct {
	// Config builds the account's engine. Its Settings are the settings in
	// force until the page saves new ones; the engine is then rebuilt with
	// them. Config.Account names the account.
	Config vsync.Config
	// SettingsSaved, if set, is called after the Settings view saved new
	// settings (in the store and in the handler), so the host can rebuild
	// its own engines or persist them its own way. Its error is shown.
	SettingsSaved func(ctx context.Context, s vsync.Settings) error
}

// ErrUnauthenticated is what BasicAuth and TokenAuth return for a request
// without valid credentials.
var ErrUnauthenticated = errors.New("ops: not authenticated")

// challengeError is an authentication failure that asks the browser for
// Basic credentials.
type challengeError struct{ realm string }

func (e challengeError) Error() string     { return ErrUnauthenticated.Error() }
func (e challengeError) Unwrap() error     { return ErrUnauthenticated }
func (e challengeError) Challenge() string { return `Basic realm="` + e.realm + `", charset="UTF-8"` }

// equal compares secrets in constant time (of their hashes, so the length
// does not leak either).
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// BasicAuth is an Authenticate hook for one operator: HTTP Basic with this
// user and password (the browser asks for them). An empty user or password
// refuses every request.
func BasicAuth(user, password string) func(*http.Request) (string, error) {
	return func(r *http.Request) (string, error) {
		u, p, ok := r.BasicAuth()
		if !ok || user == "" || password == "" || !equal(u, user) || !equal(p, password) {
			return "", challengeError{realm: "veeqoconnect operations"}
		}
		return user, nil
	}
}

// TokenAuth is an Authenticate hook for one operator holding a token:
// "Authorization: Bearer TOKEN" (scripts), or HTTP Basic with any user name
// and the token as password (browsers; the user name is then recorded). An
// empty token refuses every request.
func TokenAuth(token string) func(*http.Request) (string, error) {
	return func(r *http.Request) (string, error) {
		if token == "" {
			return "", challengeError{realm: "veeqoconnect operations"}
		}
		if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			if equal(strings.TrimSpace(bearer), token) {
				return "operator", nil
			}
			return "", challengeError{realm: "veeqoconnect operations"}
		}
		u, p, ok := r.BasicAuth()
		if !ok || !equal(p, token) {
			return "", challengeError{realm: "veeqoconnect operations"}
		}
		if strings.TrimSpace(u) == "" {
			u = "operator"
		}
		return u, nil
	}
}
