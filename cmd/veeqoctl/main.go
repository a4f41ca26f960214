package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	stdsync "sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/pgstore"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1   // the command failed (a run-level error, a check problem, Veeqo refused the key)
	exitUsage       = 2   // bad flags or a bad config file
	exitPartial     = 3   // a sync finished but some references failed
	exitInterrupted = 130 // stopped by SIGINT/SIGTERM
)

func main() {
	app := &app{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, now: time.Now}
	// Tests of serve shift the scheduler's clock ahead so a schedule whose
	// slots are a minute apart is due on every tick (the crash loop kills
	// serve many times a minute); the engine and the store keep real time.
	if d, err := time.ParseDuration(os.Getenv("VEEQOCTL_TEST_CLOCK_SHIFT")); err == nil && d != 0 {
		app.now = func() time.Time { return time.Now().Add(d) }
	}
	os.Exit(app.main(context.Background(), os.Args[1:]))
}

// app is one invocation: its streams, environment and global flags. No
// package-level state, so tests could run it in process.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time

	// pgStores are the PostgreSQL stores open, by DSN, shared by the
	// accounts naming the DSN (see openStore).
	pgMu     stdsync.Mutex
	pgStores map[string]*sharedStore

	configPath string
	accountArg string
	verbose    bool
}

// command is one subcommand.
type command struct {
	name, args, summary string
	run                 func(a *app, ctx context.Context, fs *flag.FlagSet, args []string) int
}

func commands() []command {
	return []command{
		{name: "fake", args: "[ship|order]", summary: "serve a fake Veeqo on loopback to try veeqoctl without an account; ship or create orders in it", run: (*app).cmdFake},
		{name: "init", summary: "write a starter config (and sample orders) to get going; --demo for the fake", run: (*app).cmdInit},
		{name: "check", summary: "check the API key, every mapping against Veeqo, the settings and the ERP files", run: (*app).cmdCheck},
		{name: "channels", summary: "list Veeqo channels (stores), to map ERP stores to", run: (*app).cmdChannels},
		{name: "warehouses", summary: "list Veeqo warehouses", run: (*app).cmdWarehouses},
		{name: "delivery-methods", summary: "list Veeqo delivery methods, to map ship services to", run: (*app).cmdDeliveryMethods},
		{name: "products", summary: "search Veeqo products and their SKUs (--search)", run: (*app).cmdProducts},
		{name: "sync", summary: "run one sync in the configured mode (export or fetch)", run: (*app).cmdSync},
		{name: "records", summary: "show the operations records (one per order and process)", run: (*app).cmdRecords},
		{name: "logs", summary: "show the log", run: (*app).cmdLogs},
		{name: "runs", summary: "show the previous runs, newest first", run: (*app).cmdRuns},
		{name: "pending", summary: "show the waved ERP orders not yet exported, and why not yet", run: (*app).cmdPending},
		{name: "resolve", args: "REF", summary: "mark a reference's records resolved", run: (*app).cmdResolve},
		{name: "unresolve", args: "REF", summary: "reopen a reference's resolved records", run: (*app).cmdUnresolve},
		{name: "run", args: "REF...", summary: "run the given references now (ERP refs in export mode, Veeqo numbers in fetch mode)", run: (*app).cmdRunRefs},
		{name: "switch-mode", summary: "switch the account's stored direction to the one its settings select, on purpose (--reason)", run: (*app).cmdSwitchMode},
		{name: "schedule", summary: "show the next scheduled run times in the account's time zone", run: (*app).cmdSchedule},
		{name: "serve", summary: "run every account when its schedule says so, until stopped", run: (*app).cmdServe},
	}
}

func (a *app) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&a.configPath, "config", a.configPath, "config file")
	fs.StringVar(&a.accountArg, "account", a.accountArg, "account name, when the config has several")
	fs.BoolVar(&a.verbose, "verbose", a.verbose, "log the library's diagnostics (debug) on stderr")
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintf(w, "veeqoctl: XoroERP <-> Veeqo integration from the command line\n\n")
	fmt.Fprintf(w, "Usage: veeqoctl [--config PATH] [--account NAME] COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-18s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprintf(w, "  %-17s %s\n", "help [COMMAND]", "show help")
	fmt.Fprintf(w, "\nGlobal flags (before or after the command):\n")
	fmt.Fprintf(w, "  --config PATH     config file (default %s)\n", defaultConfigPath)
	fmt.Fprintf(w, "  --account NAME    account, when the config has several\n")
	fmt.Fprintf(w, "  --verbose         library diagnostics on stderr\n")
	fmt.Fprintf(w, "\nExit status: 0 ok, 1 failure, 2 usage or config error, 3 sync with failed references, 130 interrupted.\n")
	fmt.Fprintf(w, "Run `veeqoctl COMMAND --help` for a command's flags.\n")
}

// wantsHelp reports whether args ask for help, which then goes to stdout
// (so it can be paged); usage after a mistake goes to stderr.
func wantsHelp(args []string) bool {
	for _, s := range args {
		switch s {
		case "-h", "-help", "--help":
			return true
		case "--":
			return false
		}
	}
	return false
}

func (a *app) main(ctx context.Context, args []string) int {
	a.configPath = defaultConfigPath
	helpOut := a.stderr
	if wantsHelp(args) || (len(args) > 0 && args[0] == "help") {
		helpOut = a.stdout
	}
	root := flag.NewFlagSet("veeqoctl", flag.ContinueOnError)
	root.SetOutput(helpOut)
	a.globalFlags(root)
	root.Usage = func() { a.usage(helpOut) }
	if err := root.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	rest := root.Args()
	if len(rest) == 0 {
		a.usage(a.stderr)
		return exitUsage
	}
	name, rest := rest[0], rest[1:]
	if name == "help" {
		if len(rest) > 0 {
			return a.main(ctx, []string{rest[0], "--help"})
		}
		a.usage(a.stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		fs := flag.NewFlagSet("veeqoctl "+c.name, flag.ContinueOnError)
		fs.SetOutput(helpOut)
		a.globalFlags(fs)
		return c.run(a, ctx, fs, rest)
	}
	fmt.Fprintf(a.stderr, "veeqoctl: unknown command %q\n\n", name)
	a.usage(a.stderr)
	return exitUsage
}

// parse parses a command's flags, which may come before or after its
// positional arguments ("resolve SO-1 --note x"). ok false means return
// code.
func (a *app) parse(fs *flag.FlagSet, args []string, usageArgs, summary string) (pos []string, code int, ok bool) {
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s [flags] %s\n\n%s\n\nFlags:\n", fs.Name(), usageArgs, summary)
		fs.PrintDefaults()
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, exitOK, true
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), exitOK, true
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (a *app) logger() *slog.Logger {
	if !a.verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// errorf prints a message and returns code.
func (a *app) fail(code int, format string, args ...any) int {
	fmt.Fprintf(a.stderr, "veeqoctl: "+format+"\n", args...)
	return code
}

// loadConfig loads the config, printing warnings and problems.
func (a *app) config() (*config, int) {
	cfg, err := loadConfig(a.configPath)
	if cfg != nil {
		for _, w := range cfg.Warnings {
			fmt.Fprintf(a.stderr, "veeqoctl: warning: %s\n", w)
		}
	}
	if err != nil {
		return nil, a.fail(exitUsage, "%v", err)
	}
	return cfg, exitOK
}

// account loads the config and picks the account.
func (a *app) account() (*config, *account, int) {
	cfg, code := a.config()
	if cfg == nil {
		return nil, nil, code
	}
	acct, err := cfg.pick(a.accountArg)
	if err != nil {
		return nil, nil, a.fail(exitUsage, "%v", err)
	}
	return cfg, acct, exitOK
}

// client builds the Veeqo client of an account.
func (a *app) client(acct *account) (*veeqo.Client, int) {
	key, err := acct.apiKey(a.getenv)
	if err != nil {
		return nil, a.fail(exitUsage, "%v", err)
	}
	opts := []veeqo.Option{veeqo.WithLogger(a.logger())}
	if acct.Raw.BaseURL != "" {
		opts = append(opts, veeqo.WithBaseURL(acct.Raw.BaseURL))
	}
	if acct.Raw.RateLimit > 0 {
		opts = append(opts, veeqo.WithRateLimit(rate.Limit(acct.Raw.RateLimit), max(1, int(acct.Raw.RateLimit))))
	}
	c, err := veeqo.New(key, opts...)
	if err != nil {
		return nil, a.fail(exitUsage, "%s: %v", acct.Field, err)
	}
	return c, exitOK
}

// checkKey reads the current company: the credential check. It prints a
// clear message on a rejected key.
func (a *app) checkKey(ctx context.Context, c *veeqo.Client) (*veeqo.Company, int) {
	co, _, err := c.Company.Current(ctx)
	if err != nil {
		return nil, a.fail(exitFailure, "%s", keyError(err))
	}
	return co, exitOK
}

func keyError(err error) string {
	switch {
	case errors.Is(err, veeqo.ErrUnauthorized):
		return "Veeqo rejected the API key (401): check the key in the environment variable named by api_key_env (or in api_key, when the config file holds the key)"
	case errors.Is(err, veeqo.ErrForbidden):
		return "Veeqo refused access with this API key (403): the key lacks a permission"
	}
	return "could not reach Veeqo to check the API key: " + err.Error()
}

// openStore opens the account's state. Accounts naming one PostgreSQL DSN
// share one store, and so one connection pool: serve with twenty accounts
// on one database otherwise held twenty pools, enough for four workers to
// exhaust PostgreSQL's default of 100 connections.
func (a *app) openStore(ctx context.Context, acct *account) (store.Store, error) {
	if acct.PostgresDSN != "" {
		a.pgMu.Lock()
		defer a.pgMu.Unlock()
		if sh := a.pgStores[acct.PostgresDSN]; sh != nil {
			sh.refs++
			return sharedRef{Store: sh.Store, release: a.releasePG(acct.PostgresDSN)}, nil
		}
		s, err := pgstore.Open(ctx, acct.PostgresDSN, pgstore.WithLogger(a.logger()))
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL state: %w", err)
		}
		if a.pgStores == nil {
			a.pgStores = map[string]*sharedStore{}
		}
		a.pgStores[acct.PostgresDSN] = &sharedStore{Store: s, refs: 1}
		return sharedRef{Store: s, release: a.releasePG(acct.PostgresDSN)}, nil
	}
	s, err := sqlitestore.Open(ctx, acct.StatePath, sqlitestore.WithLogger(a.logger()))
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", acct.StatePath, err)
	}
	return s, nil
}

// sharedStore is a store opened once for the accounts that name it.
type sharedStore struct {
	store.Store
	refs int
}

// sharedRef is one account's hold on a shared store: Close releases the
// hold, and the last release closes the store.
type sharedRef struct {
	store.Store
	release func() error
}

// Close releases this account's hold on the store.
func (r sharedRef) Close() error { return r.release() }

// releasePG returns the release of one hold on the store of dsn (each
// hold released once).
func (a *app) releasePG(dsn string) func() error {
	var once stdsync.Once
	return func() error {
		var err error
		once.Do(func() {
			a.pgMu.Lock()
			defer a.pgMu.Unlock()
			sh := a.pgStores[dsn]
			if sh == nil {
				return
			}
			if sh.refs--; sh.refs == 0 {
				delete(a.pgStores, dsn)
				err = sh.Store.Close()
			}
		})
		return err
	}
}

// wired is an account with its client, store, ERP and engine.
type wired struct {
	acct   *account
	client *veeqo.Client
	store  store.Store
	erp    *fileERP
	watch  *watchedERP
	api    vsync.VeeqoAPI // the client, watched by the progress display
	engine *vsync.Engine
	policy *notify.EmailPolicy
}

func (w *wired) Close() error {
	if w.store != nil {
		return w.store.Close()
	}
	return nil
}

// wireOptions say what a command needs.
type wireOptions struct {
	veeqo bool // a working client (the key is needed)
	mail  bool // the email policy, when the settings ask for it
	// watchedSince is when a scheduler started watching the account: the
	// health alert gives its first run a chance (zero: no grace).
	watchedSince time.Time
}

// wire builds an account's engine. Commands that only read the state pass
// veeqo false: the key is then not needed (the engine gets a client that
// is never called).
func (a *app) wire(ctx context.Context, acct *account, o wireOptions) (*wired, int) {
	w := &wired{acct: acct}
	if o.veeqo {
		c, code := a.client(acct)
		if c == nil {
			return nil, code
		}
		w.client = c
	} else {
		c, err := veeqo.New("unused", veeqo.WithBaseURL("http://127.0.0.1:9"))
		if err != nil {
			return nil, a.fail(exitFailure, "%v", err)
		}
		w.client = c
	}
	st, err := a.openStore(ctx, acct)
	if err != nil {
		return nil, a.fail(exitFailure, "%v", err)
	}
	w.store = st
	w.erp = newFileERP(acct.OrdersPath, acct.ShipmentsPath)
	if d, err := time.ParseDuration(a.getenv("VEEQOCTL_TEST_APPLY_DELAY")); err == nil && d > 0 {
		w.erp.applyDelay = d
	}
	w.watch = &watchedERP{inner: w.erp}
	api := watchedAPI{VeeqoAPI: vsync.ClientAPI(w.client), w: w.watch}
	if acct.Settings.Mode() == store.ModeFetch {
		client := w.client
		api.count = func(ctx context.Context, opts veeqo.OrderListOptions) int {
			opts.Page, opts.PageSize = 1, 1
			_, resp, err := client.Orders.List(ctx, &opts)
			if err != nil || resp == nil {
				return -1
			}
			return resp.TotalCount
		}
	}
	w.api = api
	cfg := vsync.Config{Account: acct.Raw.Name, ERP: w.watch, LeaseTTL: time.Duration(acct.Raw.LeaseTTL), InDoubtSettle: time.Duration(acct.Raw.InDoubtSettle), Logger: a.logger(),
		Settings: acct.Settings, Store: st, Veeqo: w.api}
	if o.mail {
		p, code := a.emailPolicy(acct, st, o.watchedSince)
		if code != exitOK {
			st.Close()
			return nil, code
		}
		if p != nil {
			w.policy = p
			cfg.Notifier = p
		}
	}
	eng, err := vsync.New(cfg)
	if err != nil {
		st.Close()
		return nil, a.fail(exitUsage, "%s: %v", acct.Field, err)
	}
	w.engine = eng
	return w, exitOK
}

// emailPolicy builds the error-email policy the settings ask for (nil when
// they ask for none).
func (a *app) emailPolicy(acct *account, st store.Store, watchedSince time.Time) (*notify.EmailPolicy, int) {
	s := acct.Settings
	m := acct.Raw.SMTP
	if m == nil || (!s.InstantErrorEmails.Enabled && !s.DailyErrorEmails.Enabled) {
		return nil, exitOK
	}
	pw, err := acct.smtpPassword(a.getenv)
	if err != nil {
		return nil, a.fail(exitUsage, "%v", err)
	}
	mailer, err := notify.NewSMTPMailer(notify.SMTPConfig{Host: m.Host, Port: m.Port, TLS: notify.TLSMode(m.TLS),
		Username: m.Username, Password: pw}, notify.WithSMTPLogger(a.logger()))
	if err != nil {
		return nil, a.fail(exitUsage, "%s.smtp: %v", acct.Field, err)
	}
	loc, _ := vsync.LoadLocation(s.TimeZone)
	at := notify.TimeOfDay{Hour: 8}
	if m.DailyAt != "" {
		at, _ = parseTimeOfDay(m.DailyAt)
	}
	ec := notify.EmailConfig{Account: acct.Raw.Name, DailyAt: at, DailyEnabled: s.DailyErrorEmails.Enabled,
		DailyTo: s.DailyErrorEmails.Recipients, ExcludePatterns: s.ExcludeLogs, From: m.From,
		IncludeWarnings: m.IncludeWarnings, InstantEnabled: s.InstantErrorEmails.Enabled,
		InstantTo: s.InstantErrorEmails.Recipients, Location: loc, NoSuccessAfter: time.Duration(m.NoSuccessAfter),
		StaleExportAfterDays: m.StaleExportAfterDays}
	p, err := notify.NewEmailPolicy(ec, mailer, vsync.NotifyState(st), vsync.NotifySource(st),
		notify.WithHealth(vsync.NotifyHealth(st)), notify.WithWatchedSince(watchedSince), notify.WithLogger(a.logger()))
	if err != nil {
		return nil, a.fail(exitUsage, "%s.smtp: %v", acct.Field, err)
	}
	return p, exitOK
}
