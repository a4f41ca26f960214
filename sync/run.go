package sync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

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

// fail sets the run-level error once.
func (r *run) fail(err error) {
	if r.runErr == nil {
		r.runErr = err
	}
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
