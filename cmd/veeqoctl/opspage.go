package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/xoroerp/veeqoconnect/ops"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// opsFlags are serve's flags for the operations page.
type opsFlags struct {
	addr, user, passwordEnv, tokenEnv string
}

func (f *opsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "ops-addr", "", "also serve the operations page on this address (host:port; a bare :port listens on 127.0.0.1 only)")
	fs.StringVar(&f.tokenEnv, "ops-token-env", "", "operations page: environment variable holding an operator token (Bearer, or HTTP Basic with the token as password)")
	fs.StringVar(&f.user, "ops-user", "", "operations page: HTTP Basic user (with --ops-password-env)")
	fs.StringVar(&f.passwordEnv, "ops-password-env", "", "operations page: environment variable holding the HTTP Basic password")
}

// auth checks the page's flags and returns its Authenticate hook (nil when
// the page is off). Secrets come from the environment, never from flags.
func (f *opsFlags) auth(a *app) (func(*http.Request) (string, error), int) {
	if f.addr == "" {
		if f.tokenEnv != "" || f.user != "" || f.passwordEnv != "" {
			return nil, a.fail(exitUsage, "--ops-token-env, --ops-user and --ops-password-env need --ops-addr")
		}
		return nil, exitOK
	}
	basic := f.user != "" || f.passwordEnv != ""
	switch {
	case f.tokenEnv != "" && basic:
		return nil, a.fail(exitUsage, "--ops-addr: give either --ops-token-env or --ops-user with --ops-password-env, not both")
	case f.tokenEnv != "":
		tok := a.getenv(f.tokenEnv)
		if len(tok) < 16 {
			return nil, a.fail(exitUsage, "--ops-token-env: environment variable %s must hold a token of at least 16 characters", f.tokenEnv)
		}
		return ops.TokenAuth(tok), exitOK
	case f.user != "" && f.passwordEnv != "":
		pw := a.getenv(f.passwordEnv)
		if len(pw) < 12 {
			return nil, a.fail(exitUsage, "--ops-password-env: environment variable %s must hold a password of at least 12 characters", f.passwordEnv)
		}
		return ops.BasicAuth(f.user, pw), exitOK
	case basic:
		return nil, a.fail(exitUsage, "--ops-user and --ops-password-env go together")
	}
	return nil, a.fail(exitUsage, "--ops-addr needs authentication: --ops-token-env NAME, or --ops-user USER with --ops-password-env NAME")
}

// opsPage is the running operations page.
type opsPage struct {
	srv *http.Server
	h   *ops.Handler
}

// stop shuts the page down, letting requests in flight finish, and
// cancels the manual runs it started.
func (p *opsPage) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
	_ = p.h.Close()
}

// startOps listens on the page's address and serves it (nil when off).
func (a *app) startOps(f opsFlags, auth func(*http.Request) (string, error), runners []*runner, opsOnly []*wired, log *slog.Logger) (*opsPage, int) {
	if f.addr == "" {
		return nil, exitOK
	}
	host, port, err := net.SplitHostPort(f.addr)
	if err != nil {
		return nil, a.fail(exitUsage, "--ops-addr %q: want host:port or :port", f.addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); (ip == nil && host != "localhost") || (ip != nil && !ip.IsLoopback()) {
		log.Warn("the operations page listens beyond loopback: put it behind TLS", "addr", f.addr)
	}
	var accounts []ops.Account
	for _, r := range runners {
		accounts = append(accounts, ops.Account{Config: r.config(a), SettingsSaved: func(_ context.Context, s vsync.Settings) error {
			return r.setSettings(a, s)
		}})
	}
	for _, w := range opsOnly {
		cfg := vsync.Config{Account: w.acct.Raw.Name, ERP: w.watch, LeaseTTL: time.Duration(w.acct.Raw.LeaseTTL),
			InDoubtSettle: time.Duration(w.acct.Raw.InDoubtSettle), Logger: a.logger(),
			Settings: w.acct.Settings, Store: w.store, Veeqo: vsync.ClientAPI(w.client)}
		if w.policy != nil {
			cfg.Notifier = w.policy
		}
		accounts = append(accounts, ops.Account{Config: cfg})
	}
	h, err := ops.NewHandler(ops.Options{Accounts: accounts, Authenticate: auth, Logger: log.With("component", "ops")})
	if err != nil {
		return nil, a.fail(exitUsage, "%v", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, a.fail(exitUsage, "--ops-addr: %v", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("operations page stopped", "err", err)
		}
	}()
	log.Info("operations page", "url", "http://"+ln.Addr().String()+"/")
	return &opsPage{srv: srv, h: h}, exitOK
}
