package sync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// Settling a create whose outcome is unknown.
//
// Veeqo has no idempotency key, so a create whose answer was lost (a dropped
// connection, a 502 after the commit, a crash between the claim and the
// link) may or may not have made the order. Veeqo's order search
// (?query=) is an index that may trail its database by minutes, so a miss
// there proves nothing. The engine settles such a create from the order
// list without a query, filtered by created_at_min and walked newest first:
// a plain filtered list is served from the database. The search is asked
// too, as a hint, only before a re-create. An order found by neither is
// created again only once InDoubtSettle has passed since the attempt.

// DefaultInDoubtSettle is how long after an in-doubt create the engine
// waits before it creates the order again when Veeqo's order list does not
// show it (Config.InDoubtSettle).
const DefaultInDoubtSettle = 15 * time.Minute

// DefaultInDoubtMargin is how far before an in-doubt attempt the order list
// is read from (Config.InDoubtMargin): it covers the attempt's own length
// (at most veeqo.DefaultAttemptTimeout) and clock skew between this machine,
// the store and Veeqo.
const DefaultInDoubtMargin = 10 * time.Minute

// attemptedAt is when an in-doubt create was attempted: the store stamps a
// claimed export's UpdatedAt when the claim is written, just before the
// POST, and an unknown one's just after it; the engine writes nothing else
// to an export in either state.
func attemptedAt(ex store.Export) time.Time { return ex.UpdatedAt }

// listCreated walks Veeqo's order list (no query: current, not an index)
// from since, newest first, the default listing and then the cancelled
// orders that it leaves out, and returns the orders whose number is one of
// numbers, by number, each once.
func (r *run) listCreated(ctx context.Context, since time.Time, numbers map[string]bool) (map[string][]veeqo.Order, error) {
	out := map[string][]veeqo.Order{}
	seen := map[int64]bool{}
	for _, status := range []veeqo.OrderStatus{"", veeqo.StatusCancelled} {
		opts := veeqo.OrderListOptions{CreatedAtMin: since, Status: status}
		opts.PageSize = 100
		for o, err := range r.e.cfg.Veeqo.ListOrders(ctx, opts) {
			if err != nil {
				return nil, err
			}
			if seen[o.ID] || !numbers[o.Number] {
				continue
			}
			seen[o.ID] = true
			out[o.Number] = append(out[o.Number], o)
		}
	}
	return out, nil
}

// settleDoubts settles a batch of exports whose create is in doubt (state
// claimed or unknown) with one walk of the order list from the earliest
// attempt, and returns, by ERP reference, the exports that may be created
// now (known absent from Veeqo past the settle time, state failed). erp
// holds the ERP orders the caller has, by reference; the others are read
// when needed.
func (r *run) settleDoubts(ctx context.Context, batch []store.Export, erp map[string]*ERPOrder) map[string]store.Export {
	if len(batch) == 0 {
		return nil
	}
	e := r.e
	numbers := map[string]bool{}
	since := attemptedAt(batch[0])
	for _, ex := range batch {
		numbers[ex.Number] = true
		if t := attemptedAt(ex); t.Before(since) {
			since = t
		}
		r.looked[ex.ERPRef] = true
	}
	since = since.Add(-e.cfg.InDoubtMargin)
	found, err := r.listCreated(ctx, since, numbers)
	if err != nil {
		if ctx.Err() == nil {
			for _, ex := range batch {
				r.doubtErr(ctx, ex, fmt.Sprintf("outcome of an earlier export is unknown and listing the Veeqo orders created since %s failed: %v; it will be looked up again before any new create",
					since.Format(time.RFC3339), err))
			}
		}
		return nil
	}
	ready := map[string]store.Export{}
	for _, ex := range batch {
		if r.stopped(ctx) {
			break
		}
		if nex, create := r.settleDoubt(ctx, ex, erp[ex.ERPRef], found[ex.Number]); create {
			ready[ex.ERPRef] = nex
		}
	}
	return ready
}

// settleDoubt decides one in-doubt export from the orders the list walk
// found with its number. It links the oldest of those this account can have
// created (reporting twins when there are several); with none, it waits out
// the settle time (the export stays in doubt and nothing is created), then
// asks the search as a last hint and marks the export failed, so that it is
// created again. It returns the export and whether it may be created now.
func (r *run) settleDoubt(ctx context.Context, ex store.Export, o *ERPOrder, listed []veeqo.Order) (store.Export, bool) {
	e := r.e
	since := attemptedAt(ex).Add(-e.cfg.InDoubtMargin) // the batch's walk started here or earlier
	settleAt := attemptedAt(ex).Add(e.cfg.InDoubtSettle)
	waiting := e.clock().Before(settleAt)
	var hinted []veeqo.Order
	if len(listed) == 0 && !waiting {
		// The list is current; the search may still know an order created
		// before since (a clock far off): ask it before creating again.
		var err error
		if hinted, err = e.cfg.Veeqo.FindOrdersByNumber(ctx, ex.Number); err != nil {
			if ctx.Err() == nil {
				r.doubtErr(ctx, ex, fmt.Sprintf("outcome of an earlier export is unknown and the search for number %s in Veeqo failed: %v; it will be looked up again before any new create", ex.Number, err))
			}
			return ex, false
		}
	}
	mine, foreign, ok := r.splitCandidates(ctx, ex, o, append(slices.Clone(listed), hinted...))
	if !ok {
		return ex, false
	}
	if len(mine) > 0 {
		note := "found in Veeqo's order list by number after an unknown outcome (not created again)"
		if len(listed) == 0 {
			note = fmt.Sprintf("found by Veeqo's search, not in its order list since %s, after an unknown outcome (not created again)", since.Format(time.RFC3339))
		}
		r.relink(ctx, ex, mine, note)
		return ex, false
	}
	if waiting {
		cause := ex.LastError
		if cause == "" {
			cause = "the run stopped after claiming it"
		}
		msg := fmt.Sprintf("outcome of the create is unknown (%s); number %s is not in Veeqo's order list since %s; it is looked for on every run and created again after %s if still absent",
			cause, ex.Number, since.Format(time.RFC3339), settleAt.Format(time.RFC3339))
		if len(foreign) > 0 {
			msg += " (" + describeForeign(foreign) + ")"
		}
		r.inDoubt(ctx, ex.ERPRef, msg)
		return ex, false
	}
	return r.releaseDoubt(ctx, ex, foreign, since)
}

// splitCandidates tells the orders found with the export's number apart:
// mine could have been created by this account for the ERP order o (read
// when nil) on its channel, foreign could not. ok is false (recorded) when
// o or its channel cannot be had.
func (r *run) splitCandidates(ctx context.Context, ex store.Export, o *ERPOrder, cands []veeqo.Order) (mine, foreign []veeqo.Order, ok bool) {
	if len(cands) == 0 {
		return nil, nil, true
	}
	e := r.e
	if o == nil {
		cur, err := e.cfg.ERP.Order(ctx, ex.ERPRef)
		if err != nil {
			if ctx.Err() == nil {
				r.doubtErr(ctx, ex, fmt.Sprintf("outcome of an earlier export is unknown and Veeqo has %d order(s) numbered %s, but the ERP order could not be read to tell whether one is ours (%v); it will be retried before any new create", len(cands), ex.Number, err))
			}
			return nil, nil, false
		}
		o = &cur
	}
	ch, err := e.channelFor(ctx, o.Store)
	if err != nil {
		if ctx.Err() == nil {
			r.doubtErr(ctx, ex, fmt.Sprintf("outcome of an earlier export is unknown and Veeqo has %d order(s) numbered %s, but the order's channel is unknown (%v); it will be retried before any new create", len(cands), ex.Number, err))
		}
		return nil, nil, false
	}
	mine, foreign = ours(cands, ch.ID, orderEmail(*o))
	return mine, foreign, true
}

// relink completes the export with the oldest of its orders found in
// Veeqo, reporting the others as twins.
func (r *run) relink(ctx context.Context, ex store.Export, mine []veeqo.Order, note string) {
	first := mine[0]
	r.rep.Reconciled++
	if _, ok := r.complete(ctx, ex, &first, []string{note}, ""); ok {
		r.relinked = append(r.relinked, first.ID)
		r.reportTwins(ctx, ex.ERPRef, ex.Number, first.ID, mine[1:])
	}
}

// releaseDoubt marks an in-doubt export failed once its order is in Veeqo
// neither by list nor by search after the settle time, so that it is
// created again; it returns the updated export and whether that may
// happen now.
func (r *run) releaseDoubt(ctx context.Context, ex store.Export, foreign []veeqo.Order, since time.Time) (store.Export, bool) {
	e := r.e
	ex.State = store.ExportFailed
	ex.LastError = "not in Veeqo by number after an unknown outcome and the settle time"
	msg := fmt.Sprintf("order number %s is not in Veeqo (its order list since %s and its search): the earlier attempt did not create it; it can be created", ex.Number, since.Format(time.RFC3339))
	if len(foreign) > 0 {
		ex.LastError += " (" + describeForeign(foreign) + ")"
		msg = fmt.Sprintf("order number %s is not in Veeqo on this order's channel: the earlier attempt did not create it; it can be created (%s)", ex.Number, describeForeign(foreign))
	}
	nex, err := e.cfg.Store.UpdateExport(context.WithoutCancel(ctx), ex)
	if err != nil {
		r.failRef(ctx, ProcessExport, ex.ERPRef, "could not update the export claim: "+err.Error(), 0)
		return ex, false
	}
	level := store.LevelInfo
	if len(foreign) > 0 {
		level = store.LevelWarning
	}
	r.logEntry(ctx, level, ProcessExport, ex.ERPRef, msg)
	return nex, true
}

// doubtErr records that an in-doubt export could not be settled this run.
func (r *run) doubtErr(ctx context.Context, ex store.Export, msg string) {
	r.failRef(ctx, ProcessExport, ex.ERPRef, msg, 0)
}

// inDoubt records an export left in doubt; the log line and notification
// come once, not on every run that looks again.
func (r *run) inDoubt(ctx context.Context, ref, msg string) {
	r.rep.InDoubt++
	r.note(ctx, entry{process: ProcessExport, ref: ref, status: store.RecordError, msg: msg, failed: true, once: onceQuiet})
}

// twinsMessage is the error recorded on a reference that has several
// Veeqo orders: it names them and says how to resolve it.
func twinsMessage(number string, linked int64, twins []int64) string {
	ids := make([]string, len(twins))
	for i, id := range twins {
		ids[i] = fmt.Sprint(id)
	}
	return fmt.Sprintf("twins: Veeqo has more than one order numbered %s on this order's channel: %d (linked) and %s; the warehouse may ship each: "+
		"cancel the extra order(s) in Veeqo, then mark this record resolved (shipments of every twin are imported into this ERP order)",
		number, linked, strings.Join(ids, ", "))
}

// reportTwins records twins of an exported reference as an error on its
// export record and notifies it, once per set of twins: a record that says
// the same (resolved or not) is left alone.
func (r *run) reportTwins(ctx context.Context, ref, number string, linked int64, twins []veeqo.Order) {
	if len(twins) == 0 {
		return
	}
	ids := make([]int64, len(twins))
	for i, t := range twins {
		ids[i] = t.ID
	}
	msg := twinsMessage(number, linked, ids)
	if r.note(ctx, entry{process: ProcessExport, ref: ref, status: store.RecordError, msg: msg, veeqoID: linked, once: onceSilent}) {
		r.rep.Twins++
	}
}

// twinOf reports whether a Veeqo order that no export is linked to is a
// twin: it carries the number of an export of this account that is linked
// to another Veeqo order, on that order's channel (and with its customer's
// email when Veeqo gives one). It returns that export.
func (r *run) twinOf(ctx context.Context, o *veeqo.Order) (store.Export, bool) {
	e := r.e
	if strings.TrimSpace(o.Number) == "" {
		return store.Export{}, false
	}
	exs, err := e.cfg.Store.ListExports(ctx, store.ExportQuery{Account: e.cfg.Account, Number: o.Number,
		States: []store.ExportState{store.ExportExported}, Limit: 10})
	if err != nil {
		e.log.Warn("vsync: look up exports by number", "number", o.Number, "err", err)
		r.holdCursor = true // listed again next run
		return store.Export{}, false
	}
	for _, ex := range exs {
		if ex.VeeqoOrderID == 0 || ex.VeeqoOrderID == o.ID {
			continue
		}
		erp, err := e.cfg.ERP.Order(ctx, ex.ERPRef)
		if err != nil {
			r.holdCursor = true
			r.logEntry(ctx, store.LevelError, ProcessConfirmation, ex.ERPRef,
				fmt.Sprintf("Veeqo order %d carries this order's number %s but is not the one exported; reading the ERP order to tell whether it is a twin failed: %v", o.ID, o.Number, err))
			continue
		}
		ch, err := e.channelFor(ctx, erp.Store)
		if err != nil {
			continue
		}
		if mine, _ := ours([]veeqo.Order{*o}, ch.ID, orderEmail(erp)); len(mine) == 1 {
			return ex, true
		}
	}
	return store.Export{}, false
}
