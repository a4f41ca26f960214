package sync

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/xoroerp/veeqoconnect/internal/process"
	"github.com/xoroerp/veeqoconnect/store"
)

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
