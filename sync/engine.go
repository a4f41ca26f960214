package sync

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/xoroerp/veeqoconnect/filter"
	"github.com/xoroerp/veeqoconnect/internal/process"
	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// Errors the engine returns; match them with errors.Is.
var (
	// ErrModeLocked: the account's stored mode is the other direction. The
	// host must call SwitchMode on purpose before running in this mode.
	ErrModeLocked = errors.New("vsync: account is locked to the other mode")
	// ErrRunInProgress: another run holds the account's lease (in this
	// process or another one sharing the store).
	ErrRunInProgress = errors.New("vsync: a run is already in progress for this account")
	// ErrNoMode: the settings select neither direction.
	ErrNoMode = errors.New("vsync: settings select neither export_orders nor fetch_fulfillments")
	// ErrConfig: the engine's Config is unusable.
	ErrConfig = errors.New("vsync: invalid config")
)

// Process names used in records, logs and notifications.
const (
	ProcessExport       = "export_order"
	ProcessConfirmation = "import_confirmation"
	ProcessFetch        = "fetch_fulfillment"
	ProcessRun          = "run"
	ProcessMode         = "mode"
)

// Cursor streams.
const (
	StreamConfirmations = "confirmations"
	StreamFulfillments  = "fulfillments"
)

// ModeLockedError says which mode the account is locked to. It matches
// ErrModeLocked.
type ModeLockedError struct {
	Account string
	Locked  store.Mode // the stored mode
	Wanted  store.Mode // the engine's mode
}

// Error implements error.
func (e *ModeLockedError) Error() string {
	return fmt.Sprintf("vsync: account %q is locked to %s mode; this engine runs %s mode (call SwitchMode to change it on purpose)", e.Account, e.Locked, e.Wanted)
}

// Is makes errors.Is(err, ErrModeLocked) true.
func (e *ModeLockedError) Is(target error) bool { return target == ErrModeLocked }

// Config wires an Engine. Account, Settings, Store, ERP and Veeqo are
// required; the rest have defaults.
type Config struct {
	// Account is the store's account name (created on first run if absent).
	Account string
	// CatalogTTL is how long the channel and delivery-method lists and the
	// item resolver's answers (hits and misses) are cached (default 15
	// minutes): a SKU added to Veeqo is seen within that time.
	CatalogTTL time.Duration
	// Clock returns the current time (default time.Now). Times are kept in
	// UTC.
	Clock func() time.Time
	// ERP is the host's ERP.
	ERP ERP
	// InDoubtSettle is how long after a create whose outcome is unknown the
	// engine waits before creating the order again when Veeqo's order list
	// does not show it (default DefaultInDoubtSettle). Until then the
	// reference is in doubt and looked for on every run.
	InDoubtSettle time.Duration
	// InDoubtMargin is how far before an in-doubt attempt Veeqo's order
	// list is read from (default DefaultInDoubtMargin); keep it above the
	// client's attempt timeout plus any clock skew.
	InDoubtMargin time.Duration
	// Holder identifies this process in the account lease (default
	// hostname-pid-random). Each run takes the lease as Holder plus its run
	// id, so two runs never share a lease, even from one process. The lease
	// also records the host, process id and start time and the run id: a
	// run that finds the lease held by a process of its own host that is
	// gone (killed, crashed) takes the lease over at once instead of
	// waiting for it to expire.
	Holder string
	// LeaseTTL is how long the lease lasts without renewal: how long a run
	// on another host waits after a holder crashed (default 30 seconds).
	// While a run lasts its lease is renewed every third of LeaseTTL, as
	// Clock tells time.
	LeaseTTL time.Duration
	// Logger receives the engine's own diagnostics (silent by default).
	Logger *slog.Logger
	// NewRunID makes run ids (default: time and random suffix).
	NewRunID func() string
	// ReportOutcomes is how many per-reference outcomes a run keeps in its
	// Report (default DefaultReportOutcomes; negative keeps none).
	ReportOutcomes int
	// Notifier receives every error and warning as it happens (optional).
	// If it also has Flush(ctx) error, it is flushed at the end of each run.
	Notifier notify.Notifier
	// Settings are the account's settings; they must validate.
	Settings Settings
	// Store is the library's state.
	Store store.Store
	// Veeqo is the Veeqo API (ClientAPI(client) for a *veeqo.Client).
	Veeqo VeeqoAPI
}

// DefaultReportOutcomes is how many per-reference outcomes a Report keeps
// by default (see Report.Outcomes).
const DefaultReportOutcomes = 1000

// Engine runs one account in the mode its Settings select. It is safe for
// concurrent use; runs of one account are serialised by the store's lease.
type Engine struct {
	cfg      Config
	settings Settings
	mode     store.Mode
	log      *slog.Logger
	now      func() time.Time
	loc      *time.Location

	exportFilter *filter.Filter[ERPOrder]
	fetchFilter  *filter.Filter[veeqo.Order]

	// tables are the settings' mapping tables (built once); mapper is them
	// bound to Veeqo, bound again after CatalogTTL so that channels,
	// delivery methods and catalogue changes are seen.
	tables *mapping.Mapper

	running atomic.Bool
	// self is this process, as recorded in the leases it takes.
	self process.Identity

	mu       stdsync.Mutex
	mapper   *mapping.Mapper
	mapperAt time.Time
}

// isNilPointer reports an interface holding a nil pointer (a typed nil, such
// as a nil *MemoryERP), which passes a == nil check and panics on first use.
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// New validates cfg and builds an Engine for the mode cfg.Settings selects.
func New(cfg Config) (*Engine, error) {
	if problems := cfg.problems(); len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrConfig, strings.Join(problems, "; "))
	}
	s := cfg.Settings
	if s.Account == "" {
		s.Account = cfg.Account
	}
	now := cfg.Clock
	if now == nil {
		now = time.Now
	}
	c, err := s.compile(now)
	if err != nil {
		return nil, err
	}
	mode := s.Mode()
	if mode == store.ModeNone {
		return nil, ErrNoMode
	}
	e := &Engine{cfg: cfg, settings: s, mode: mode}
	e.log = cfg.Logger
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.now = now
	e.cfg.setDefaults()
	e.self = process.Self()
	if e.cfg.Holder == "" {
		e.cfg.Holder = fmt.Sprintf("%s-%d-%s", e.self.Host, e.self.PID, randHex(4))
	}
	e.loc, e.exportFilter, e.fetchFilter = c.loc, c.exportFilter, c.fetchFilter
	e.tables = c.tables
	return e, nil
}

// problems lists what is missing or wrong in cfg, each naming its field.
func (cfg *Config) problems() []string {
	var problems []string
	if strings.TrimSpace(cfg.Account) == "" {
		problems = append(problems, "Account is required")
	} else if cfg.Settings.Account != "" && cfg.Settings.Account != cfg.Account {
		// Records and logs would go under one name and notifications under
		// the other.
		problems = append(problems, fmt.Sprintf("Account %q differs from Settings.Account %q", cfg.Account, cfg.Settings.Account))
	}
	if cfg.Store == nil {
		problems = append(problems, "Store is required")
	} else if isNilPointer(cfg.Store) {
		problems = append(problems, fmt.Sprintf("Store is a nil %T", cfg.Store))
	}
	if cfg.ERP == nil {
		problems = append(problems, "ERP is required")
	} else if isNilPointer(cfg.ERP) {
		problems = append(problems, fmt.Sprintf("ERP is a nil %T", cfg.ERP))
	}
	if cfg.Veeqo == nil {
		problems = append(problems, "Veeqo is required")
	} else if ca, ok := cfg.Veeqo.(clientAPI); (ok && ca.c == nil) || isNilPointer(cfg.Veeqo) {
		problems = append(problems, "Veeqo is ClientAPI(nil) or a nil pointer")
	}
	if cfg.Notifier != nil && isNilPointer(cfg.Notifier) {
		problems = append(problems, fmt.Sprintf("Notifier is a nil %T (leave it nil for none)", cfg.Notifier))
	}
	if cfg.InDoubtSettle < 0 {
		problems = append(problems, "InDoubtSettle must not be negative")
	}
	if cfg.InDoubtMargin < 0 {
		problems = append(problems, "InDoubtMargin must not be negative")
	}
	if cfg.LeaseTTL < 0 {
		problems = append(problems, "LeaseTTL must not be negative")
	}
	return problems
}

// setDefaults fills in the durations and counts left zero.
func (cfg *Config) setDefaults() {
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.InDoubtSettle == 0 {
		cfg.InDoubtSettle = DefaultInDoubtSettle
	}
	if cfg.InDoubtMargin == 0 {
		cfg.InDoubtMargin = DefaultInDoubtMargin
	}
	if cfg.ReportOutcomes == 0 {
		cfg.ReportOutcomes = DefaultReportOutcomes
	}
	if cfg.CatalogTTL <= 0 {
		cfg.CatalogTTL = 15 * time.Minute
	}
}

// Mode returns the engine's mode.
func (e *Engine) Mode() store.Mode { return e.mode }

// Settings returns the engine's settings.
func (e *Engine) Settings() Settings { return e.settings }

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (e *Engine) clock() time.Time { return e.now().UTC() }

// RunOptions are the options of one run. The zero value is a scheduled-style
// pass over everything due.
type RunOptions struct {
	// Trigger says what started the run ("schedule", "manual", "cli", ...).
	Trigger string
	// From and To bound the ERP orders' creation time (export, manual run)
	// or the Veeqo orders' update time (fetch, manual backfill).
	From, To time.Time
	// Search narrows the ERP candidates (export) to a search term.
	Search string
	// Refs runs exactly these references: ERP order refs in export mode,
	// Veeqo order numbers in fetch mode. They are rebuilt from current data.
	Refs []string
	// DryRun evaluates filters and mappings and reports what would happen,
	// without creating, applying or recording anything.
	DryRun bool
}

// Outcome is what a run did with one reference.
type Outcome struct {
	Process      string
	Reference    string
	Status       store.RecordStatus
	Message      string
	VeeqoOrderID int64
}

// Report summarises a run.
type Report struct {
	RunID    string
	Account  string
	Mode     store.Mode
	Trigger  string
	DryRun   bool
	Status   store.RunStatus
	Started  time.Time
	Finished time.Time
	Duration time.Duration

	Exported             int // orders created in Veeqo (or linked by reconcile)
	Reconciled           int // of which found by number after an unknown outcome
	InDoubt              int // of Failed: creates still in doubt, waiting out the settle time
	Twins                int // references found with more than one Veeqo order (reported)
	Skipped              int // filtered out by the filter rows
	Excluded             int // fetch mode: left out for their channel, counted only
	Failed               int // references that ended in error
	ConfirmationsApplied int // shipments applied to the ERP
	ShipmentsIgnored     int // shipments not applied on purpose (late under disabled multishipment, none of the order's lines, ERP order gone)
	ShipmentsVoided      int // applied shipments withdrawn because Veeqo voided them
	Warnings             int // warning log entries
	// VeeqoCalls is the number of HTTP requests sent to Veeqo by the run.
	VeeqoCalls int64
	// Outcomes lists each reference's last outcome, in processing order: at
	// most Config.ReportOutcomes of them (default DefaultReportOutcomes), so
	// that a run's memory does not grow with its size. When the list is
	// full, a failure, skip or warning takes the place of the oldest success;
	// what does not fit is counted in OutcomesOmitted. Every reference's
	// outcome is in the store's records either way.
	Outcomes []Outcome
	// OutcomesOmitted counts the outcomes left out of Outcomes.
	OutcomesOmitted int
	// Error is the run-level error, if any (a listing failure, a lost lease).
	Error string
}

// Summary is the report's counters in words, for the run's mode: "3
// exported, 1 skipped, 0 failed, 2 confirmations applied, 0 ignored, 1
// warning, 15 Veeqo calls" (fetch mode: fulfillments applied, skipped,
// excluded, failed, ignored).
func (r *Report) Summary() string {
	n := func(v int, one, many string) string {
		if v == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", v, many)
	}
	var parts []string
	if r.Mode == store.ModeFetch {
		parts = append(parts, n(r.ConfirmationsApplied, "fulfillment applied", "fulfillments applied"),
			fmt.Sprintf("%d skipped", r.Skipped), fmt.Sprintf("%d excluded", r.Excluded), fmt.Sprintf("%d failed", r.Failed),
			fmt.Sprintf("%d ignored", r.ShipmentsIgnored))
	} else {
		exported := fmt.Sprintf("%d exported", r.Exported)
		if r.Reconciled > 0 {
			exported += fmt.Sprintf(" (%d reconciled)", r.Reconciled)
		}
		parts = append(parts, exported, fmt.Sprintf("%d skipped", r.Skipped), fmt.Sprintf("%d failed", r.Failed),
			n(r.ConfirmationsApplied, "confirmation applied", "confirmations applied"), fmt.Sprintf("%d ignored", r.ShipmentsIgnored))
	}
	parts = append(parts, n(r.Warnings, "warning", "warnings"), n(int(r.VeeqoCalls), "Veeqo call", "Veeqo calls"))
	return strings.Join(parts, ", ")
}

// Counts returns the report's counters by name, as stored on the run.
func (r *Report) Counts() map[string]int {
	return map[string]int{
		"exported":      r.Exported,
		"reconciled":    r.Reconciled,
		"in_doubt":      r.InDoubt,
		"twins":         r.Twins,
		"skipped":       r.Skipped,
		"excluded":      r.Excluded,
		"failed":        r.Failed,
		"confirmations": r.ConfirmationsApplied,
		"ignored":       r.ShipmentsIgnored,
		"voided":        r.ShipmentsVoided,
		"warnings":      r.Warnings,
	}
}

// run is the state of one run.
type run struct {
	e      *Engine
	id     string
	opts   RunOptions
	rep    *Report
	outIdx map[string]int
	// runErr is the first run-level error.
	runErr error
	// holdCursor keeps the poll's cursor in place: something failed that
	// has no record to be retried from.
	holdCursor bool
	// lease is the run's lease as last renewed (shared with the renewer);
	// cancel stops the run when it is lost.
	lease  atomic.Pointer[store.Lease]
	cancel context.CancelCauseFunc
	// relinked are the Veeqo orders this run linked to exports in doubt:
	// their shipments may predate the confirmation poll's window.
	relinked []int64
	// dryCustomers are a dry run's customer lookups by email.
	dryCustomers map[string]int64
	// doubts are the exports whose create this run left in doubt, settled
	// together at the end of the export pass; looked are the references
	// whose doubt this run has looked up already.
	doubts []store.Export
	looked map[string]bool
}

// Run does one pass for the account under its lease: in export mode the
// export of eligible orders and then the import of shipment confirmations;
// in fetch mode the import of fulfillments. Per-reference failures are
// recorded and do not fail the run (the report's Status is then partial);
// the error is non-nil only for run-level failures: ErrModeLocked,
// ErrRunInProgress, a store failure at the start, a lost lease, or a
// cancelled context (the report says how far it got; nothing is lost).
func (e *Engine) Run(ctx context.Context, opts RunOptions) (Report, error) {
	start := e.clock()
	rep := Report{Account: e.cfg.Account, Mode: e.mode, Trigger: opts.Trigger, DryRun: opts.DryRun, Started: start}
	if rep.Trigger == "" {
		rep.Trigger = "manual"
	}
	if !e.running.CompareAndSwap(false, true) {
		return rep, fmt.Errorf("%w (account %q, this engine)", ErrRunInProgress, e.cfg.Account)
	}
	defer e.running.Store(false)
	if err := e.checkMode(ctx, !opts.DryRun); err != nil {
		return rep, err
	}
	runID := e.newRunID(start)
	lease, err := e.acquireLease(ctx, runID)
	if err != nil {
		return rep, err
	}
	// The run starts once it holds the lease, so an account's run history
	// never shows two runs at once: the previous run finished before it
	// released the lease.
	start = e.clock()
	rep.Started = start
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	calls0 := e.cfg.Veeqo.Requests()
	r := &run{e: e, id: runID, opts: opts, rep: &rep, outIdx: map[string]int{}, looked: map[string]bool{}, cancel: cancel}
	r.lease.Store(&lease)
	stopRenewer := e.startRenewer(runCtx, r, cancel)
	defer stopRenewer()

	rep.RunID = r.id
	bg := context.WithoutCancel(ctx)
	if !opts.DryRun {
		if _, err := e.cfg.Store.StartRun(ctx, store.Run{ID: r.id, Account: e.cfg.Account, Mode: e.mode, Trigger: rep.Trigger, Status: store.RunRunning, StartedAt: start}); err != nil {
			_ = e.cfg.Store.ReleaseLease(bg, *r.lease.Load())
			return rep, fmt.Errorf("vsync: start run: %w", err)
		}
	}

	r.passes(runCtx)
	if runCtx.Err() != nil && r.runErr == nil {
		r.runErr = context.Cause(runCtx)
	}
	rep.VeeqoCalls = e.cfg.Veeqo.Requests() - calls0
	r.finish(bg)
	if f, ok := e.cfg.Notifier.(interface{ Flush(context.Context) error }); ok && e.cfg.Notifier != nil {
		if err := f.Flush(bg); err != nil {
			e.log.Warn("vsync: notifier flush failed", "err", err)
		}
	}
	stopRenewer()
	if err := e.cfg.Store.ReleaseLease(bg, *r.lease.Load()); err != nil && !errors.Is(err, store.ErrLeaseLost) {
		e.log.Warn("vsync: release lease", "err", err)
	}
	if r.runErr != nil {
		return rep, r.runErr
	}
	return rep, nil
}

// startRenewer keeps the run's lease renewed until the returned stop is
// called (it may be called more than once) or the renewal fails, which
// cancels the run.
func (e *Engine) startRenewer(ctx context.Context, r *run, cancel context.CancelCauseFunc) (stop func()) {
	renewDone := make(chan struct{})
	stopRenew := make(chan struct{})
	go e.renewLease(ctx, &r.lease, cancel, stopRenew, renewDone)
	return func() {
		select {
		case <-stopRenew:
		default:
			close(stopRenew)
		}
		<-renewDone
	}
}

// newRunID is Config.NewRunID's id, or run-<start>-<random>.
func (e *Engine) newRunID(start time.Time) string {
	if e.cfg.NewRunID != nil {
		return e.cfg.NewRunID()
	}
	return fmt.Sprintf("run-%s-%s", start.Format("20060102T150405Z"), randHex(3))
}

// passes runs the mode's passes: export, then (if confirmations are on)
// the shipment import and (not in a dry run) the ERP cancellations, each
// only while the run is still good; or the fetch pass.
func (r *run) passes(ctx context.Context) {
	switch r.e.mode {
	case store.ModeExport:
		r.exportPass(ctx)
		if r.e.settings.ShipConfirmations() && ctx.Err() == nil && r.runErr == nil {
			r.confirmPass(ctx)
		}
		if !r.opts.DryRun && ctx.Err() == nil && r.runErr == nil {
			r.erpCancelPass(ctx)
		}
	case store.ModeFetch:
		r.fetchPass(ctx)
	}
}

// finish closes the report (time, status, scrubbed error) and, unless it
// is a dry run, logs the summary and records the finished run.
func (r *run) finish(bg context.Context) {
	e, rep := r.e, r.rep
	rep.Finished = e.clock()
	rep.Duration = rep.Finished.Sub(rep.Started)
	switch {
	case r.runErr != nil && (errors.Is(r.runErr, context.Canceled) || errors.Is(r.runErr, context.DeadlineExceeded)):
		rep.Status = store.RunCancelled
	case r.runErr != nil:
		rep.Status = store.RunFailed
	case rep.Failed > 0:
		rep.Status = store.RunPartial
	default:
		rep.Status = store.RunSucceeded
	}
	if r.runErr != nil {
		rep.Error = e.scrub(r.runErr.Error())
	}
	if r.opts.DryRun {
		return
	}
	summary := fmt.Sprintf("run %s %s: %s", r.id, rep.Status, rep.Summary())
	level := store.LevelInfo
	if rep.Status == store.RunFailed {
		level = store.LevelError
		summary += ": " + rep.Error
	}
	r.logEntry(bg, level, ProcessRun, "", summary)
	if _, err := e.cfg.Store.FinishRun(bg, store.Run{ID: r.id, Account: e.cfg.Account, Mode: e.mode, Trigger: rep.Trigger,
		Status: rep.Status, StartedAt: rep.Started, FinishedAt: rep.Finished, Counts: rep.Counts(), VeeqoCalls: rep.VeeqoCalls, Error: rep.Error}); err != nil {
		e.log.Warn("vsync: finish run", "run", r.id, "err", err)
	}
}

// DefaultLeaseTTL is Config.LeaseTTL's default.
const DefaultLeaseTTL = 30 * time.Second

// acquireLease takes the account's lease for the run. A lease held by a
// process of this host that is gone is taken over (its token is bumped, so
// that process, were it only paused, is fenced off); any other holder makes
// it ErrRunInProgress, naming the holder.
func (e *Engine) acquireLease(ctx context.Context, runID string) (store.Lease, error) {
	me := store.Holder{ID: e.cfg.Holder + "/" + runID, Host: e.self.Host, PID: e.self.PID, ProcessStart: e.self.Start, RunID: runID}
	// A lease that is freed or changes hands between the calls below is
	// looked at again, a few times.
	for range 3 {
		l, err := e.cfg.Store.AcquireLease(ctx, e.cfg.Account, me, e.cfg.LeaseTTL)
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, store.ErrLeaseHeld) {
			return store.Lease{}, fmt.Errorf("vsync: acquire lease: %w", err)
		}
		cur, err := e.cfg.Store.GetLease(ctx, e.cfg.Account)
		if err != nil {
			return store.Lease{}, fmt.Errorf("%w (account %q; its holder could not be read: %w)", ErrRunInProgress, e.cfg.Account, err)
		}
		h := cur.Holder
		if h.ID == "" {
			continue // released meanwhile
		}
		if h.Host == "" || h.Host != e.self.Host || !process.Gone(process.Identity{Host: h.Host, PID: h.PID, Start: h.ProcessStart}) {
			return store.Lease{}, fmt.Errorf("%w (account %q: held by %s until %s)", ErrRunInProgress,
				e.cfg.Account, e.scrub(h.String()), cur.ExpiresAt.UTC().Format(time.RFC3339))
		}
		nl, err := e.cfg.Store.TakeOverLease(ctx, cur, me, e.cfg.LeaseTTL)
		if err == nil {
			e.log.Info("vsync: took over the lease of a process that is gone",
				"account", e.cfg.Account, "previous", h.String(), "token", nl.Token)
			return nl, nil
		}
		if !errors.Is(err, store.ErrLeaseLost) {
			return store.Lease{}, fmt.Errorf("vsync: take over lease: %w", err)
		}
	}
	return store.Lease{}, fmt.Errorf("%w (account %q: its lease kept changing hands)", ErrRunInProgress, e.cfg.Account)
}

// renewLease keeps the lease while the run lasts, renewing it every third
// of LeaseTTL as the engine's Clock tells time (it wakes on a short real
// interval and asks the Clock whether a renewal is due). Losing the lease
// cancels the run; a renewal that fails otherwise is retried soon.
func (e *Engine) renewLease(ctx context.Context, lp *atomic.Pointer[store.Lease], cancel context.CancelCauseFunc, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	every := e.cfg.LeaseTTL / 3
	wake := min(max(every/20, time.Millisecond), time.Second)
	t := time.NewTicker(wake)
	defer t.Stop()
	due := e.clock().Add(every)
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := e.clock()
		if now.Before(due) {
			continue
		}
		nl, err := e.cfg.Store.RenewLease(ctx, *lp.Load(), e.cfg.LeaseTTL)
		switch {
		case errors.Is(err, store.ErrLeaseLost):
			cancel(fmt.Errorf("vsync: lease on account %q lost: %w", e.cfg.Account, err))
			return
		case err != nil:
			e.log.Warn("vsync: renew lease", "account", e.cfg.Account, "err", err)
			due = now.Add(max(every/10, wake))
		default:
			lp.Store(&nl)
			due = now.Add(every)
		}
	}
}

// checkMode creates the account if needed and enforces the mode lock. With
// writeSettings it also brings the account's stored settings up to date.
func (e *Engine) checkMode(ctx context.Context, writeSettings bool) error {
	acct, err := e.account(ctx)
	if err != nil {
		return err
	}
	switch acct.Mode {
	case e.mode:
	case store.ModeNone:
		acct, err = e.cfg.Store.SetMode(ctx, e.cfg.Account, store.ModeNone, e.mode)
		if errors.Is(err, store.ErrConflict) {
			return e.checkMode(ctx, writeSettings)
		}
		if err != nil {
			return fmt.Errorf("vsync: set mode: %w", err)
		}
	default:
		return &ModeLockedError{Account: e.cfg.Account, Locked: acct.Mode, Wanted: e.mode}
	}
	if writeSettings {
		e.storeSettings(ctx, acct)
	}
	return nil
}

// storeSettings writes the engine's settings to the account when the stored
// document says something else (stale settings would mislead whoever reads
// the account: a settings page, veeqoctl, an operator). The write is a
// compare-and-set on the account's version, tried again once on a
// conflict; a failure is logged and does not stop the run.
func (e *Engine) storeSettings(ctx context.Context, acct store.Account) {
	want, err := json.Marshal(e.settings)
	if err != nil {
		e.log.Warn("vsync: encode settings", "err", err)
		return
	}
	for attempt := 1; ; attempt++ {
		if sameSettings(acct.Settings, want) {
			return
		}
		acct.Settings = want
		_, err := e.cfg.Store.UpdateAccount(ctx, acct)
		if err == nil {
			e.log.Info("vsync: stored settings updated", "account", e.cfg.Account)
			return
		}
		if !errors.Is(err, store.ErrConflict) || attempt == 2 {
			e.log.Warn("vsync: update stored settings", "account", e.cfg.Account, "err", err)
			return
		}
		if acct, err = e.cfg.Store.GetAccount(ctx, e.cfg.Account); err != nil {
			e.log.Warn("vsync: update stored settings", "account", e.cfg.Account, "err", err)
			return
		}
	}
}

// sameSettings reports whether a stored settings document means the same
// as want (the engine's settings, encoded): formatting and key order do not
// count.
func sameSettings(stored, want []byte) bool {
	if len(stored) == 0 {
		return false
	}
	var s Settings
	if err := json.Unmarshal(stored, &s); err != nil {
		return false
	}
	got, err := json.Marshal(s)
	return err == nil && bytes.Equal(got, want)
}

func (e *Engine) account(ctx context.Context) (store.Account, error) {
	acct, err := e.cfg.Store.GetAccount(ctx, e.cfg.Account)
	if errors.Is(err, store.ErrNotFound) {
		doc, _ := json.Marshal(e.settings)
		acct, err = e.cfg.Store.AddAccount(ctx, store.Account{Name: e.cfg.Account, Settings: doc})
		if errors.Is(err, store.ErrExists) {
			acct, err = e.cfg.Store.GetAccount(ctx, e.cfg.Account)
		}
	}
	if err != nil {
		return acct, fmt.Errorf("vsync: account %q: %w", e.cfg.Account, err)
	}
	return acct, nil
}

// scrub removes anything that looks like a credential from text that goes
// to logs, records and notifications. The veeqo client never puts the key
// in its errors; this is a second line of defence for host errors.
func (e *Engine) scrub(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	s = strings.ReplaceAll(s, "\n", " ")
	for _, marker := range []string{"x-api-key", "api_key", "apikey", "Authorization", "Bearer "} {
		// Lower-case ASCII only: strings.ToLower changes the byte length of
		// some letters (Ⱥ, İ), so its index would not cut s at the marker.
		lower := []byte(s)
		for j, c := range lower {
			if 'A' <= c && c <= 'Z' {
				lower[j] = c + 'a' - 'A'
			}
		}
		if i := strings.Index(string(lower), strings.ToLower(marker)); i >= 0 {
			s = s[:i] + marker + " [redacted]"
		}
	}
	return s
}

// newEntry makes a log entry of the run (scrubbed, a warning counted); it
// is written by logEntry or with another write (CompleteShipment).
func (r *run) newEntry(level, process, ref, msg string) store.LogEntry {
	e := r.e
	if level == store.LevelWarning {
		r.rep.Warnings++
	}
	return store.LogEntry{Time: e.clock(), Account: e.cfg.Account, RunID: r.id, Process: process, Level: level, Reference: ref, Message: e.scrub(msg)}
}

// logEntry appends a log entry and notifies errors and warnings with its Seq.
func (r *run) logEntry(ctx context.Context, level, process, ref, msg string) {
	e := r.e
	if r.opts.DryRun {
		if level == store.LevelWarning {
			r.rep.Warnings++
		}
		return
	}
	entry := r.newEntry(level, process, ref, msg)
	got, err := e.cfg.Store.AppendLogs(context.WithoutCancel(ctx), entry)
	if err != nil {
		e.log.Warn("vsync: append log", "err", err)
	} else if len(got) == 1 {
		entry = got[0]
	}
	r.notify(ctx, entry)
}

func (r *run) notify(ctx context.Context, entry store.LogEntry) {
	e := r.e
	if e.cfg.Notifier == nil || (entry.Level != store.LevelError && entry.Level != store.LevelWarning) {
		return
	}
	ev := notify.Event{Seq: entry.Seq, Account: entry.Account, RunID: entry.RunID, Process: entry.Process,
		Level: notify.Level(entry.Level), Reference: entry.Reference, Message: entry.Message, Time: entry.Time}
	func() {
		defer func() {
			if p := recover(); p != nil {
				e.log.Warn("vsync: notifier panicked", "panic", fmt.Sprint(p))
			}
		}()
		if err := e.cfg.Notifier.Notify(context.WithoutCancel(ctx), ev); err != nil {
			e.log.Warn("vsync: notifier failed", "err", err)
		}
	}()
}

// record writes the operations record of a reference and notes the outcome
// in the report.
func (r *run) record(ctx context.Context, process, ref string, status store.RecordStatus, msg string, veeqoID int64) {
	u := r.recordUpdate(process, ref, status, msg, veeqoID)
	if r.opts.DryRun {
		return
	}
	if _, err := r.e.cfg.Store.UpsertRecord(context.WithoutCancel(ctx), u); err != nil {
		r.e.log.Warn("vsync: upsert record", "ref", ref, "err", err)
	}
}

// recordUpdate notes a reference's outcome in the report and returns the
// record write for it, written by record or with another write
// (CompleteShipment).
func (r *run) recordUpdate(process, ref string, status store.RecordStatus, msg string, veeqoID int64) store.RecordUpdate {
	e := r.e
	msg = e.scrub(msg)
	r.outcome(Outcome{Process: process, Reference: ref, Status: status, Message: msg, VeeqoOrderID: veeqoID})
	return store.RecordUpdate{Account: e.cfg.Account, Process: process, Reference: ref,
		Status: status, Message: msg, VeeqoOrderID: veeqoID, RunID: r.id, At: e.clock(), CountAttempt: true}
}

// recordErr records an error for a reference and logs (and notifies) it.
func (r *run) recordErr(ctx context.Context, process, ref, msg string, veeqoID int64) {
	r.record(ctx, process, ref, store.RecordError, msg, veeqoID)
	r.logEntry(ctx, store.LevelError, process, ref, msg)
}

// outcome notes an outcome in the report only (the record was written in a
// transaction elsewhere).
func (r *run) outcome(o Outcome) {
	key := o.Process + "\x00" + o.Reference
	if i, ok := r.outIdx[key]; ok {
		r.rep.Outcomes[i] = o
		return
	}
	if len(r.rep.Outcomes) >= r.e.cfg.ReportOutcomes {
		// Full: a success gives way to anything else, the oldest first.
		i := -1
		if o.Status != store.RecordSuccess {
			i = slices.IndexFunc(r.rep.Outcomes, func(x Outcome) bool { return x.Status == store.RecordSuccess })
		}
		r.rep.OutcomesOmitted++
		if i < 0 {
			return
		}
		delete(r.outIdx, r.rep.Outcomes[i].Process+"\x00"+r.rep.Outcomes[i].Reference)
		r.rep.Outcomes = slices.Delete(r.rep.Outcomes, i, i+1)
		for j := i; j < len(r.rep.Outcomes); j++ {
			r.outIdx[r.rep.Outcomes[j].Process+"\x00"+r.rep.Outcomes[j].Reference] = j
		}
	}
	r.outIdx[key] = len(r.rep.Outcomes)
	r.rep.Outcomes = append(r.rep.Outcomes, o)
}

// fail sets the run-level error once.
func (r *run) fail(err error) {
	if r.runErr == nil {
		r.runErr = err
	}
}

// holdsLease is the fence before a write that is not idempotent (a create
// in Veeqo): it reports whether the run still holds its lease. A lease with
// more than a third of its TTL left is held (the renewer keeps it so);
// otherwise the run was stalled (a paused process, a renewer that could not
// reach the store) and another process may have taken the account and
// reconciled this run's claim, so the lease is renewed now, in the store,
// which refuses a lease that was taken. A lost lease stops the run.
func (r *run) holdsLease(ctx context.Context) bool {
	e := r.e
	l := r.lease.Load()
	if e.clock().Before(l.ExpiresAt.Add(-e.cfg.LeaseTTL / 3)) {
		return true
	}
	nl, err := e.cfg.Store.RenewLease(ctx, *l, e.cfg.LeaseTTL)
	if err != nil {
		if errors.Is(err, store.ErrLeaseLost) {
			err = fmt.Errorf("vsync: lease on account %q lost: %w", e.cfg.Account, err)
		} else {
			err = fmt.Errorf("vsync: lease on account %q could not be confirmed: %w", e.cfg.Account, err)
		}
		r.fail(err)
		r.cancel(err)
		return false
	}
	r.lease.Store(&nl)
	return true
}

// stopped reports whether the run must stop before the next reference.
func (r *run) stopped(ctx context.Context) bool { return ctx.Err() != nil || r.runErr != nil }

// refsSet returns opts.Refs as a set (nil when empty).
func (r *run) refsSet() map[string]bool {
	if len(r.opts.Refs) == 0 {
		return nil
	}
	m := make(map[string]bool, len(r.opts.Refs))
	for _, ref := range r.opts.Refs {
		m[ref] = true
	}
	return m
}

// joinWarnings formats warnings for a record message.
func joinWarnings(ws []string) string {
	return strings.Join(slices.Compact(ws), "; ")
}
