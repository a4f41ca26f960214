package sync

// Polling: the paged listing of Veeqo orders updated since a cursor, shared
// by the confirmation and fulfillment passes, and the re-reading by id of
// references a pass left in error.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// maxRetriesPerPass bounds how many failed references a pass re-reads by id.
const maxRetriesPerPass = 100

// poll streams the Veeqo orders updated since the stream's cursor (minus the
// overlap), one list call per 100 orders and status pass, and hands each to
// handle. The cursor advances to the newest update seen (capped at the
// pass's start) only when the whole listing was read; a reference that
// failed stays a retryable record (retryFailed) and does not hold it back.
// It returns the ids seen, or nil if the listing did not complete.
func (r *run) poll(ctx context.Context, stream string, base veeqo.OrderListOptions, statuses []veeqo.OrderStatus, handle func(context.Context, *veeqo.Order)) map[int64]bool {
	e := r.e
	cur, err := e.cfg.Store.GetCursor(ctx, e.cfg.Account, stream)
	if err != nil {
		r.fail(fmt.Errorf("vsync: read cursor %s: %w", stream, err))
		return nil
	}
	// The listing's marks, and a fetch listing's write-aheads, are
	// written a page at a time (markBatch, ahead).
	ctx = withMarkBatch(ctx)
	defer r.flushBatch(ctx)
	backfill := !r.opts.From.IsZero() || !r.opts.To.IsZero()
	p := &pollPass{r: r, stream: stream, handle: handle, since: r.pollSince(cur, backfill), passStart: e.clock(),
		maxSeen: cur.Position, seen: map[int64]bool{}, inDefault: map[int64]bool{}}
	var paged *veeqo.OrderListOptions // the default listing, when it had several pages
	for _, st := range statuses {
		opts := base
		opts.UpdatedAtMin = p.since
		opts.Status = st
		opts.Page = 1
		opts.PageSize = 100
		n, _, ok := p.list(ctx, opts)
		if !ok {
			return nil
		}
		if st == "" && n >= opts.PageSize {
			paged = &opts
		}
	}
	missed := false
	if paged != nil {
		var ok bool
		if missed, ok = p.relistIfShifted(ctx, *paged, statuses); !ok {
			return nil
		}
	}
	if !backfill && !r.holdCursor && !missed {
		r.advanceCursor(ctx, cur, p.maxSeen, p.passStart)
	}
	return p.seen
}

// pollSince is where a poll's listing starts: a manual backfill's From, the
// cursor less the overlap, or the integration start date.
func (r *run) pollSince(cur store.Cursor, backfill bool) time.Time {
	e := r.e
	switch {
	case backfill:
		return r.opts.From
	case !cur.Position.IsZero():
		return cur.Position.Add(-e.settings.Overlap())
	case !e.settings.StartDate.IsZero():
		return e.settings.StartDate.In(e.loc).UTC()
	}
	return time.Time{}
}

// advanceCursor moves the stream's cursor to the newest update the pass
// saw, never past the pass's start.
func (r *run) advanceCursor(ctx context.Context, cur store.Cursor, maxSeen, passStart time.Time) {
	pos := maxSeen
	if pos.After(passStart) {
		pos = passStart
	}
	if !pos.After(cur.Position) {
		return
	}
	cur.Position = pos.UTC()
	if _, err := r.e.cfg.Store.SetCursor(context.WithoutCancel(ctx), cur); err != nil {
		r.e.log.Warn("vsync: advance cursor", "stream", cur.Stream, "err", err)
	}
}

// pollPass is the state of one poll's listings.
type pollPass struct {
	r                         *run
	stream                    string
	handle                    func(context.Context, *veeqo.Order)
	since, passStart, maxSeen time.Time
	seen                      map[int64]bool
	// inDefault holds the orders the default listing (status "") handed
	// out; left says one of them was then listed as cancelled.
	inDefault map[int64]bool
	left      bool
}

// list walks one listing; it returns how many orders it yielded, how many
// of them were new to the pass though last updated before it started, and
// false if the listing failed or the run must stop.
//
// A listing hands its orders out a page at a time (opts.PageSize): the
// page's shipment rows, and its exports or fetch records, are read in one
// query each first (readPage).
func (p *pollPass) list(ctx context.Context, opts veeqo.OrderListOptions) (n, late int, ok bool) {
	r := p.r
	defer r.flushBatch(ctx)
	var page []*veeqo.Order
	// handOut hands out the orders waiting in page; false when the run
	// must stop.
	handOut := func() bool {
		if len(page) == 0 {
			return true
		}
		r.readPage(ctx, p.stream, page)
		defer r.dropPage(ctx)
		for _, o := range page {
			p.handle(ctx, o)
			if r.stopped(ctx) {
				return false
			}
		}
		page = nil // a new slice: waiting write-aheads keep their orders
		return true
	}
	for o, err := range r.e.cfg.Veeqo.ListOrders(ctx, opts) {
		if ctx.Err() != nil {
			return n, late, false
		}
		if err != nil {
			if !handOut() {
				return n, late, false
			}
			msg := fmt.Sprintf("listing Veeqo orders updated since %s failed: %v", p.since.Format(time.RFC3339), err)
			r.logEntry(ctx, store.LevelError, processOf(p.stream), "", msg)
			r.fail(fmt.Errorf("vsync: %s", msg))
			return n, late, false
		}
		n++
		use, isLate := p.admit(&o, opts.Status)
		if isLate {
			late++
		}
		if !use {
			continue
		}
		page = append(page, &o)
		if len(page) >= max(opts.PageSize, 1) && !handOut() {
			return n, late, false
		}
	}
	return n, late, handOut()
}

// admit notes a listed order (the default listing's ids, the cursor's
// high-water mark) and reports whether the pass handles it (new to the pass
// and inside the run's window) and whether it came late (updated before the
// pass began; counted once per order).
func (p *pollPass) admit(o *veeqo.Order, status veeqo.OrderStatus) (use, late bool) {
	if status == "" {
		p.inDefault[o.ID] = true
	} else if status == veeqo.StatusCancelled && p.inDefault[o.ID] {
		p.left = true
	}
	if p.seen[o.ID] {
		return false, false
	}
	p.seen[o.ID] = true
	late = o.UpdatedAt.Before(p.passStart)
	if !p.r.opts.To.IsZero() && !o.UpdatedAt.Before(p.r.opts.To) {
		return false, late
	}
	if o.UpdatedAt.After(p.maxSeen) {
		p.maxSeen = o.UpdatedAt
	}
	return true, late
}

// relistIfShifted reads a paged default listing again when an order left it
// while it was paged. Veeqo pages newest id first. An order that left the
// default listing while it was paged (it was cancelled after being handed
// out) moved every later order up by one, and the first order of each later
// page landed on a page already read: never handed out, and older than the
// cursor's next window, so never listed again. Cancelled orders this
// listing handed out tell (export and fetch mode list them anyway; without
// that pass they are asked for here). Then the listing is read again until
// a reading finds no order that was due in the first one (orders updated
// since the pass started do not count); after three that still do, missed
// is true: the cursor stays put and the next pass lists the window again.
// ok is false when a listing failed or the run must stop.
func (p *pollPass) relistIfShifted(ctx context.Context, paged veeqo.OrderListOptions, statuses []veeqo.OrderStatus) (missed, ok bool) {
	if !slices.Contains(statuses, veeqo.StatusCancelled) {
		c := paged
		c.Status = veeqo.StatusCancelled
		for o, err := range p.r.e.cfg.Veeqo.ListOrders(ctx, c) {
			if ctx.Err() != nil {
				return false, false
			}
			if err != nil || p.inDefault[o.ID] {
				p.left = true // unknown counts as left: list again
				break
			}
		}
	}
	for check := 0; p.left; check++ {
		if check == 3 {
			return true, true
		}
		_, late, ok := p.list(ctx, paged)
		if !ok {
			return false, false
		}
		if late == 0 {
			break
		}
	}
	return false, true
}

func processOf(stream string) string {
	if stream == StreamFulfillments {
		return ProcessFetch
	}
	return ProcessConfirmation
}

// retryFailed re-reads by id the orders whose records are in error (or
// waiting after an empty read) and were not in this pass's listing: at most
// maxRetriesPerPass of them, the least recently tried first, so that a
// hundred orders failing for good cannot starve the others. Finding them
// reads every failing record of the process (store reads only, newest run
// first, keeping the last ones).
func (r *run) retryFailed(ctx context.Context, process string, seen map[int64]bool, handle func(context.Context, *veeqo.Order)) {
	e := r.e
	var due []store.Record
	q := store.RecordQuery{Account: e.cfg.Account, Process: process,
		Statuses: []store.RecordStatus{store.RecordError, store.RecordPending}, HideResolved: true, Limit: 500}
	for {
		page, err := e.cfg.Store.QueryRecords(ctx, q)
		if err != nil {
			e.log.Warn("vsync: query failed records", "err", err)
			return
		}
		for _, rec := range page.Records {
			if rec.VeeqoOrderID == 0 || seen[rec.VeeqoOrderID] || strings.HasPrefix(rec.Message, gaveUp) {
				// A record settled by settleLook: only a change in Veeqo or
				// a manual run looks at it again.
				continue
			}
			due = append(due, rec)
			if len(due) > maxRetriesPerPass {
				due = slices.Delete(due, 0, 1)
			}
		}
		if page.Next == "" || len(page.Records) == 0 {
			break
		}
		q.After = page.Next
	}
	slices.Reverse(due) // least recently tried first
	for _, rec := range due {
		if r.stopped(ctx) {
			return
		}
		if seen[rec.VeeqoOrderID] {
			continue
		}
		seen[rec.VeeqoOrderID] = true
		o, err := e.cfg.Veeqo.GetOrder(ctx, rec.VeeqoOrderID)
		if err != nil {
			if ctx.Err() == nil {
				r.failRef(ctx, process, rec.Reference, fmt.Sprintf("retry: reading Veeqo order %d failed: %v", rec.VeeqoOrderID, err), rec.VeeqoOrderID)
			}
			continue
		}
		handle(ctx, o)
	}
}
