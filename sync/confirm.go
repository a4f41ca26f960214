package sync

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// maxRetriesPerPass bounds how many failed references a pass re-reads by id.
const maxRetriesPerPass = 100

// confirmPass imports the shipment confirmations of exported orders.
func (r *run) confirmPass(ctx context.Context) {
	if r.opts.DryRun {
		return
	}
	r.reapplyPending(ctx, ProcessConfirmation)
	if r.stopped(ctx) {
		return
	}
	if len(r.opts.Refs) > 0 {
		// A manual run of references: read those orders by id.
		for _, ref := range r.opts.Refs {
			if r.stopped(ctx) {
				return
			}
			ex, err := r.e.cfg.Store.GetExport(ctx, r.e.cfg.Account, ref)
			if err != nil || ex.State != store.ExportExported || ex.VeeqoOrderID == 0 {
				continue
			}
			o, err := r.e.cfg.Veeqo.GetOrder(ctx, ex.VeeqoOrderID)
			if err != nil {
				if ctx.Err() == nil {
					r.rep.Failed++
					r.recordErr(ctx, ProcessConfirmation, ref, fmt.Sprintf("reading Veeqo order %d failed: %v", ex.VeeqoOrderID, err), ex.VeeqoOrderID)
				}
				continue
			}
			r.confirmOrder(ctx, o)
		}
		return
	}
	seen := r.poll(ctx, StreamConfirmations, veeqo.OrderListOptions{}, []veeqo.OrderStatus{"", veeqo.StatusCancelled}, r.confirmOrder)
	if seen != nil && !r.stopped(ctx) {
		r.retryFailed(ctx, ProcessConfirmation, seen, r.confirmOrder)
	}
	// An order linked late (its export was in doubt) may have shipped while
	// the poll passed it over as not ours, and its update may be older than
	// the poll's window: read it once by id.
	for _, id := range r.relinked {
		if seen == nil || r.stopped(ctx) {
			return
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		o, err := r.e.cfg.Veeqo.GetOrder(ctx, id)
		if err != nil {
			if ctx.Err() == nil {
				r.rep.Failed++
				if ex, xerr := r.e.cfg.Store.ExportByVeeqoID(ctx, r.e.cfg.Account, id); xerr == nil {
					r.recordErr(ctx, ProcessConfirmation, ex.ERPRef, fmt.Sprintf("reading Veeqo order %d failed: %v", id, err), id)
				}
			}
			continue
		}
		r.confirmOrder(ctx, o)
	}
}

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
	backfill := !r.opts.From.IsZero() || !r.opts.To.IsZero()
	var since time.Time
	switch {
	case backfill:
		since = r.opts.From
	case !cur.Position.IsZero():
		since = cur.Position.Add(-e.settings.Overlap())
	case !e.settings.StartDate.IsZero():
		since = e.settings.StartDate.In(e.loc).UTC()
	}
	passStart := e.clock()
	maxSeen := cur.Position
	seen := map[int64]bool{}
	// inDefault holds the orders the default listing (status "") handed
	// out; left says one of them was then listed as cancelled.
	inDefault := map[int64]bool{}
	left := false
	missed := false
	// list walks one listing; it returns how many orders it yielded, how
	// many of them were new to the pass though last updated before it
	// started, and false if the listing failed or the run must stop.
	list := func(opts veeqo.OrderListOptions) (n, late int, ok bool) {
		for o, err := range e.cfg.Veeqo.ListOrders(ctx, opts) {
			if ctx.Err() != nil {
				return n, late, false
			}
			if err != nil {
				msg := fmt.Sprintf("listing Veeqo orders updated since %s failed: %v", since.Format(time.RFC3339), err)
				r.logEntry(ctx, store.LevelError, processOf(stream), "", msg)
				r.fail(fmt.Errorf("vsync: %s", msg))
				return n, late, false
			}
			n++
			if opts.Status == "" {
				inDefault[o.ID] = true
			} else if opts.Status == veeqo.StatusCancelled && inDefault[o.ID] {
				left = true
			}
			if seen[o.ID] {
				continue
			}
			seen[o.ID] = true
			if o.UpdatedAt.Before(passStart) {
				late++
			}
			if !r.opts.To.IsZero() && !o.UpdatedAt.Before(r.opts.To) {
				continue
			}
			if o.UpdatedAt.After(maxSeen) {
				maxSeen = o.UpdatedAt
			}
			handle(ctx, &o)
			if r.stopped(ctx) {
				return n, late, false
			}
		}
		return n, late, true
	}
	var paged *veeqo.OrderListOptions // the default listing, when it had several pages
	for _, st := range statuses {
		opts := base
		opts.UpdatedAtMin = since
		opts.Status = st
		opts.Page = 1
		opts.PageSize = 100
		n, _, ok := list(opts)
		if !ok {
			return nil
		}
		if st == "" && n >= opts.PageSize {
			paged = &opts
		}
	}
	if paged != nil {
		// Veeqo pages newest id first. An order that left the default
		// listing while it was paged (it was cancelled after being handed
		// out) moved every later order up by one, and the first order of
		// each later page landed on a page already read: never handed out,
		// and older than the cursor's next window, so never listed again.
		// Cancelled orders this listing handed out tell (export mode lists
		// them anyway; fetch mode asks only when the listing had several
		// pages). Then the listing is read again until a reading finds no
		// order that was due in the first one (orders updated since the
		// pass started do not count); after three that still do, the
		// cursor stays put and the next pass lists the window again.
		if !slices.Contains(statuses, veeqo.StatusCancelled) {
			c := *paged
			c.Status = veeqo.StatusCancelled
			for o, err := range e.cfg.Veeqo.ListOrders(ctx, c) {
				if ctx.Err() != nil {
					return nil
				}
				if err != nil || inDefault[o.ID] {
					left = true // unknown counts as left: list again
					break
				}
			}
		}
		for check := 0; left; check++ {
			if check == 3 {
				missed = true
				break
			}
			_, late, ok := list(*paged)
			if !ok {
				return nil
			}
			if late == 0 {
				break
			}
		}
	}
	if backfill || r.holdCursor || missed {
		return seen
	}
	pos := maxSeen
	if pos.After(passStart) {
		pos = passStart
	}
	if pos.After(cur.Position) {
		cur.Position = pos.UTC()
		if _, err := e.cfg.Store.SetCursor(context.WithoutCancel(ctx), cur); err != nil {
			e.log.Warn("vsync: advance cursor", "stream", stream, "err", err)
		}
	}
	return seen
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
				r.rep.Failed++
				r.recordErr(ctx, process, rec.Reference, fmt.Sprintf("retry: reading Veeqo order %d failed: %v", rec.VeeqoOrderID, err), rec.VeeqoOrderID)
			}
			continue
		}
		handle(ctx, o)
	}
}

// reapplyPending applies again, verbatim, every shipment update a crash or
// an ERP failure left pending (the ERP deduplicates by shipment id).
func (r *run) reapplyPending(ctx context.Context, process string) {
	e := r.e
	rows, err := e.cfg.Store.ListShipments(ctx, store.ShipmentQuery{Account: e.cfg.Account, States: []store.ShipmentState{store.ShipmentPending}})
	if err != nil {
		r.fail(fmt.Errorf("vsync: list pending shipments: %w", err))
		return
	}
	for _, row := range rows {
		if r.stopped(ctx) {
			return
		}
		u, ok := r.reapply(ctx, row)
		_, ref := r.processRef(row, u)
		if ok {
			r.record(ctx, process, ref, recordStatusOf(u.Warnings), describeUpdate(u), row.VeeqoOrderID)
		}
	}
}

// processRef returns the process and record reference of a shipment row:
// the ERP ref in export mode, the Veeqo order number in fetch mode.
func (r *run) processRef(row store.AppliedShipment, u ShipmentUpdate) (string, string) {
	if r.e.mode == store.ModeFetch {
		if u.VeeqoOrderNumber != "" {
			return ProcessFetch, u.VeeqoOrderNumber
		}
		return ProcessFetch, row.ERPRef
	}
	return ProcessConfirmation, row.ERPRef
}

// reapply applies a pending row's stored update and marks it applied.
func (r *run) reapply(ctx context.Context, row store.AppliedShipment) (ShipmentUpdate, bool) {
	e := r.e
	var u ShipmentUpdate
	if err := json.Unmarshal(row.Update, &u); err != nil {
		r.rep.Failed++
		process, ref := r.processRef(row, u)
		r.logEntry(ctx, store.LevelError, process, ref, fmt.Sprintf("stored update of shipment %d is unreadable: %v", row.ShipmentID, err))
		return u, false
	}
	process, ref := r.processRef(row, u)
	if ctx.Err() != nil {
		return u, false
	}
	if err := e.cfg.ERP.ApplyShipment(ctx, u); err != nil {
		if ctx.Err() == nil {
			r.rep.Failed++
			r.logEntry(ctx, store.LevelError, process, ref, fmt.Sprintf("applying shipment %d again failed: %v; it stays pending", row.ShipmentID, err))
		}
		return u, false
	}
	r.markApplied(ctx, row, u)
	return u, true
}

// markApplied records that the ERP has the update, and completes the export
// when the update was final.
func (r *run) markApplied(ctx context.Context, row store.AppliedShipment, u ShipmentUpdate) {
	process, ref := r.processRef(row, u)
	e := r.e
	bg := context.WithoutCancel(ctx)
	row.State = store.ShipmentApplied
	row.AppliedAt = e.clock()
	if _, err := e.cfg.Store.UpdateShipment(bg, row); err != nil {
		// The ERP has it; a pending row is applied again next run, which the
		// ERP ignores (same shipment id).
		e.log.Warn("vsync: mark shipment applied", "shipment", row.ShipmentID, "err", err)
	}
	r.rep.ConfirmationsApplied++
	r.logEntry(bg, store.LevelInfo, process, ref, "applied "+describeUpdate(u))
	for _, w := range u.Warnings {
		r.logEntry(bg, store.LevelWarning, process, ref, w)
	}
	if u.Final && e.mode == store.ModeExport {
		r.completeExport(bg, row.ERPRef)
	}
}

func (r *run) completeExport(ctx context.Context, ref string) {
	e := r.e
	for range 3 {
		ex, err := e.cfg.Store.GetExport(ctx, e.cfg.Account, ref)
		if err != nil || ex.Completed {
			return
		}
		ex.Completed = true
		if _, err := e.cfg.Store.UpdateExport(ctx, ex); !errors.Is(err, store.ErrConflict) {
			return
		}
	}
}

func describeUpdate(u ShipmentUpdate) string {
	var parts []string
	for _, l := range u.Lines {
		p := fmt.Sprintf("line %s +%d (=%d)", l.LineRef, l.ShipQuantity, l.ShippedTotal)
		if l.Close {
			p += " closed"
		}
		if l.Unallocate > 0 {
			p += fmt.Sprintf(" unallocated %d", l.Unallocate)
		}
		parts = append(parts, p)
	}
	s := fmt.Sprintf("shipment %d: order %s %s", u.ShipmentID, u.OrderRef, u.Status)
	if len(u.TrackingNumbers) > 0 {
		s += ", tracking " + strings.Join(u.TrackingNumbers, ", ")
	} else {
		s += ", no tracking"
	}
	if u.Carrier != "" {
		s += ", carrier " + u.Carrier
	}
	if u.ShipService != "" {
		s += ", service " + u.ShipService
	}
	if len(parts) > 0 {
		s += "; " + strings.Join(parts, ", ")
	}
	return s
}

func recordStatusOf(warns []string) store.RecordStatus {
	if len(warns) > 0 {
		return store.RecordWarning
	}
	return store.RecordSuccess
}

// confirmOrder handles one listed Veeqo order in export mode: it only acts
// on orders this account exported.
func (r *run) confirmOrder(ctx context.Context, o *veeqo.Order) {
	e := r.e
	ex, err := e.cfg.Store.ExportByVeeqoID(ctx, e.cfg.Account, o.ID)
	if errors.Is(err, store.ErrNotFound) {
		// Not linked: someone else's order, or a twin of one of ours (a
		// second Veeqo order with an exported order's number), which is
		// reported and whose shipments still reach the ERP order.
		if ex, ok := r.twinOf(ctx, o); ok {
			r.reportTwins(ctx, ex.ERPRef, ex.Number, ex.VeeqoOrderID, []veeqo.Order{*o})
			r.applyShipments(ctx, ProcessConfirmation, ex.ERPRef, ex.ERPRef, o, func(erp ERPOrder, a veeqo.Allocation) (map[string]int, []string) {
				return linesFromLinks(ex.Lines, erp, a)
			})
		}
		return
	}
	if err != nil {
		// No reference to record it against: keep the cursor where it is,
		// so the order is listed again next run.
		r.rep.Failed++
		r.holdCursor = true
		r.logEntry(ctx, store.LevelError, ProcessConfirmation, "", fmt.Sprintf("looking up the export of Veeqo order %d failed: %v", o.ID, err))
		return
	}
	if r.mergedAway(ctx, ProcessConfirmation, ex.ERPRef, o) {
		return
	}
	if o.Status == veeqo.StatusCancelled && len(shippedAllocations(o)) == 0 {
		if ex.Completed && strings.HasSuffix(ex.LastError, " in the ERP after export") {
			return // cancelled because the ERP order was: flagged by erpCancelPass
		}
		warns, errMsg := r.voidShipments(ctx, ProcessConfirmation, ex.ERPRef, o)
		if errMsg != "" {
			r.rep.Failed++
			r.recordErr(ctx, ProcessConfirmation, ex.ERPRef, errMsg, o.ID)
			return
		}
		msg := fmt.Sprintf("Veeqo order %d was cancelled in Veeqo", o.ID)
		if o.CancelReason != "" {
			msg += " (" + o.CancelReason + ")"
		}
		msg += "; nothing was shipped: act on the ERP order by hand"
		if len(warns) > 0 {
			msg = joinWarnings(warns) + "; " + msg
		}
		if rec, err := e.cfg.Store.GetRecord(ctx, e.cfg.Account, ProcessConfirmation, ex.ERPRef); err == nil && rec.Message == e.scrub(msg) {
			return
		}
		r.record(ctx, ProcessConfirmation, ex.ERPRef, store.RecordWarning, msg, o.ID)
		r.logEntry(ctx, store.LevelWarning, ProcessConfirmation, ex.ERPRef, msg)
		return
	}
	mapLines := func(erp ERPOrder, a veeqo.Allocation) (map[string]int, []string) {
		return linesFromLinks(ex.Lines, erp, a)
	}
	r.applyShipments(ctx, ProcessConfirmation, ex.ERPRef, ex.ERPRef, o, mapLines)
}

// shippedAllocations returns the allocations with a shipment, oldest
// shipment first. Shipped is judged per allocation, never by the order's
// roll-up status.
func shippedAllocations(o *veeqo.Order) []veeqo.Allocation {
	var out []veeqo.Allocation
	for _, a := range o.Allocations {
		if a.Shipment != nil && a.Shipment.ID != 0 && !a.Shipment.Voided() {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b veeqo.Allocation) int {
		if c := a.Shipment.CreatedAt.Compare(b.Shipment.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Shipment.ID, b.Shipment.ID)
	})
	return out
}

// linesFromLinks maps an allocation's lines back to ERP lines through the
// export's line links (by sellable, in line order, filling each line's
// unshipped quantity first).
func linesFromLinks(links []store.LineLink, erp ERPOrder, a veeqo.Allocation) (map[string]int, []string) {
	remaining := map[string]int{}
	for _, l := range erp.Lines {
		remaining[l.Ref] = max(l.Quantity-l.Shipped, 0)
	}
	out := map[string]int{}
	var warns []string
	for _, ali := range a.LineItems {
		if ali.Quantity <= 0 {
			continue
		}
		var sid int64
		sku := ""
		if ali.Sellable != nil {
			sid, sku = ali.Sellable.ID, ali.Sellable.SKUCode
		}
		var cands []string
		for _, ln := range links {
			if ln.SellableID == sid && sid != 0 {
				cands = append(cands, ln.ERPLine)
			}
		}
		if len(cands) == 0 {
			warns = append(warns, fmt.Sprintf("shipment %d ships sellable %d (SKU %s) that is not a line of the exported order; quantity %d not applied", a.Shipment.ID, sid, sku, ali.Quantity))
			continue
		}
		q := ali.Quantity
		for _, ref := range cands {
			take := min(q, remaining[ref])
			out[ref] += take
			remaining[ref] -= take
			q -= take
		}
		if q > 0 {
			out[cands[len(cands)-1]] += q // over-shipment: ComputeUpdate caps and warns
		}
	}
	return out, warns
}

// applyShipments applies every not-yet-applied shipment of a Veeqo order to
// its ERP order under the multishipment rule, after withdrawing the applied
// shipments Veeqo voided, and writes the reference's record. A shipment of
// an ERP order cancelled or deleted after export is flagged, not applied;
// one that ships none of the order's lines is settled once, with its
// reason; the remainder of an order Veeqo cancelled after a partial
// shipment is closed or flagged (veeqo_cancel_remainder).
func (r *run) applyShipments(ctx context.Context, process, recordRef, erpRef string, o *veeqo.Order, mapLines func(ERPOrder, veeqo.Allocation) (map[string]int, []string)) {
	e := r.e
	bg := context.WithoutCancel(ctx)
	warns, errMsg := r.voidShipments(ctx, process, recordRef, o)
	if ctx.Err() != nil {
		return
	}
	allocs := shippedAllocations(o)
	if len(allocs) == 0 && errMsg == "" {
		if len(warns) > 0 {
			r.record(bg, process, recordRef, store.RecordWarning, joinWarnings(warns), o.ID)
		}
		return
	}
	var done, flags []string
	empty := false
shipments:
	for _, a := range allocs {
		if ctx.Err() != nil || errMsg != "" {
			break
		}
		sh := a.Shipment
		row, err := e.cfg.Store.GetShipment(ctx, e.cfg.Account, sh.ID)
		have := err == nil
		if have {
			switch {
			case row.State == store.ShipmentPending:
				if u, ok := r.reapply(ctx, row); ok {
					done = append(done, describeUpdate(u))
					warns = append(warns, u.Warnings...)
					continue
				}
				// Later shipments are computed from the ERP's shipped
				// quantities, which lack this one until it lands: stop.
				errMsg = fmt.Sprintf("shipment %d is still pending in the ERP", sh.ID)
				break shipments
			case row.State == store.ShipmentIgnored && e.settings.DisableMultishipment:
				// Ignored as a late shipment of a finalised order; if a void
				// has since withdrawn the final one, it replaces it.
				if fin, err := r.finalised(ctx, erpRef); err != nil || fin {
					if err != nil {
						errMsg = fmt.Sprintf("reading earlier shipments failed: %v", err)
					}
					continue
				}
			default:
				continue
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			errMsg = fmt.Sprintf("reading shipment %d state failed: %v", sh.ID, err)
			break
		}
		erp, err := e.cfg.ERP.Order(ctx, erpRef)
		gone := ""
		switch {
		case errors.Is(err, ErrERPOrderNotFound):
			gone = "deleted"
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			errMsg = fmt.Sprintf("reading ERP order %s failed: %v", erpRef, err)
			break shipments
		case strings.EqualFold(erp.Status, OrderCancelled):
			gone = "cancelled"
		}
		if gone != "" {
			if f := r.flagShipment(ctx, process, recordRef, erpRef, o, a, gone, have); f != "" {
				flags = append(flags, f)
			}
			continue
		}
		u, dec, err := r.confirmation(ctx, erp, erpRef, o, a, mapLines)
		if err != nil {
			errMsg = err.Error()
			break
		}
		raw, err := json.Marshal(u)
		if err != nil {
			errMsg = fmt.Sprintf("encoding the update of shipment %d failed: %v", sh.ID, err)
			break
		}
		switch dec {
		case DecisionEmpty:
			if !shipsSomething(a) {
				// An empty read: never settle on it; look again.
				empty = true
				warns = append(warns, u.Warnings[len(u.Warnings)-1])
				continue
			}
			// It ships lines, none of them this order's (merged in from
			// another order, or a line removed in Veeqo): settle it once,
			// keeping the reason.
			w := fmt.Sprintf("shipment %d ships none of ERP order %s's lines (merged from another order, or a line removed in Veeqo); not applied", sh.ID, erpRef)
			if len(u.Warnings) > 1 {
				w += ": " + joinWarnings(u.Warnings[:len(u.Warnings)-1])
			}
			if r.ignoreShipment(ctx, process, recordRef, erpRef, o, a, raw, w, have) {
				warns = append(warns, w)
			}
			continue
		case DecisionIgnore:
			w := u.Warnings[len(u.Warnings)-1]
			if r.ignoreShipment(ctx, process, recordRef, erpRef, o, a, raw, w, have) {
				warns = append(warns, w)
			}
			continue
		}
		pending := store.AppliedShipment{Account: e.cfg.Account, ShipmentID: sh.ID, AllocationID: a.ID,
			VeeqoOrderID: o.ID, ERPRef: erpRef, State: store.ShipmentPending, Update: raw, CreatedAt: e.clock()}
		if have {
			// An ignored shipment that now replaces a voided final one.
			row.State, row.Update, row.Warning = store.ShipmentPending, raw, ""
			if row, err = e.cfg.Store.UpdateShipment(ctx, row); err != nil {
				if ctx.Err() != nil {
					return
				}
				errMsg = fmt.Sprintf("recording shipment %d failed: %v", sh.ID, err)
				break
			}
		} else {
			var inserted bool
			row, inserted, err = e.cfg.Store.RecordShipment(ctx, pending)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				errMsg = fmt.Sprintf("recording shipment %d failed: %v", sh.ID, err)
				break
			}
			if !inserted {
				continue // another run got it first
			}
		}
		if ctx.Err() != nil {
			return // pending: applied on the next run
		}
		if err := e.cfg.ERP.ApplyShipment(ctx, u); err != nil {
			if ctx.Err() != nil {
				return
			}
			errMsg = fmt.Sprintf("applying shipment %d to the ERP failed: %v; it stays pending and is applied on the next run", sh.ID, err)
			break
		}
		r.markApplied(ctx, row, u)
		done = append(done, describeUpdate(u))
		warns = append(warns, u.Warnings...)
	}
	if ctx.Err() != nil {
		return
	}
	if errMsg == "" && o.Status == veeqo.StatusCancelled && len(flags) == 0 {
		w, cerr := r.cancelRemainder(ctx, process, recordRef, erpRef, o)
		if w != "" {
			warns = append(warns, w)
		}
		errMsg = cerr
	}
	switch {
	case errMsg != "":
		r.rep.Failed++
		parts := append(slices.Clone(done), flags...)
		msg := strings.Join(append(parts, errMsg), "; ")
		r.record(bg, process, recordRef, store.RecordError, msg, o.ID)
		r.logEntry(bg, store.LevelError, process, recordRef, errMsg)
	case len(flags) > 0:
		r.rep.Failed++
		r.record(bg, process, recordRef, store.RecordError, strings.Join(append(done, flags...), "; "), o.ID)
	case len(done) > 0:
		msg := strings.Join(done, "; ")
		if len(warns) > 0 {
			msg += "; " + joinWarnings(warns)
		}
		r.record(bg, process, recordRef, recordStatusOf(warns), msg, o.ID)
	case empty:
		r.settleLook(ctx, process, recordRef, store.RecordPending, joinWarnings(warns), o.ID)
	case len(warns) > 0:
		r.record(bg, process, recordRef, store.RecordWarning, joinWarnings(warns), o.ID)
	default:
		r.repairRecord(ctx, process, recordRef, o)
	}
}

// confirmation maps one shipped allocation back to the ERP order and
// computes its update under the multishipment rule.
func (r *run) confirmation(ctx context.Context, erp ERPOrder, erpRef string, o *veeqo.Order, a veeqo.Allocation, mapLines func(ERPOrder, veeqo.Allocation) (map[string]int, []string)) (ShipmentUpdate, Decision, error) {
	e := r.e
	sh := a.Shipment
	qty, lineWarns := mapLines(erp, a)
	c := Confirmation{ShipmentID: sh.ID, AllocationID: a.ID, VeeqoOrderID: o.ID, Quantities: qty, Warnings: lineWarns,
		VeeqoService: sh.Service(), ShippedAt: sh.CreatedAt.UTC()}
	if t := sh.Tracking(); t != "" {
		c.TrackingNumbers = []string{t}
	}
	if c.ShippedAt.IsZero() && o.ShippedAt != nil {
		c.ShippedAt = o.ShippedAt.UTC()
	}
	if sh.Carrier != nil {
		c.VeeqoCarrier = sh.Carrier.Name
	}
	if c.VeeqoCarrier == "" && sh.CarrierID != 0 {
		c.VeeqoCarrier, _ = veeqo.CarrierName(sh.CarrierID)
	}
	var w1, w2 string
	c.Carrier, w1 = backToERP(e.carriers, "carrier_mapping", "carrier", erp.Store, c.VeeqoCarrier)
	c.ShipService, w2 = backToERP(e.services, "ship_service_mapping", "service", erp.Store, c.VeeqoService)
	for _, w := range []string{w1, w2} {
		if w != "" {
			c.Warnings = append(c.Warnings, w)
		}
	}
	finalised := false
	if e.settings.DisableMultishipment {
		var err error
		if finalised, err = r.finalised(ctx, erpRef); err != nil {
			return ShipmentUpdate{}, 0, fmt.Errorf("reading earlier shipments failed: %w", err)
		}
	}
	u, dec := ComputeUpdate(erp, c, e.settings.DisableMultishipment, finalised)
	u.VeeqoOrderNumber = o.Number
	return u, dec, nil
}

// finalised reports whether an ERP order has an applied (or pending)
// shipment: under "disable multishipment" the first one is final. A voided
// shipment no longer counts.
func (r *run) finalised(ctx context.Context, erpRef string) (bool, error) {
	e := r.e
	prior, err := e.cfg.Store.ListShipments(ctx, store.ShipmentQuery{Account: e.cfg.Account, ERPRef: erpRef,
		States: []store.ShipmentState{store.ShipmentApplied, store.ShipmentPending}, Limit: 1})
	return len(prior) > 0, err
}

// shipsSomething reports whether an allocation read lists a positive
// quantity: a shipment whose lines map to none of the order's is then
// settled, not read again as an empty read.
func shipsSomething(a veeqo.Allocation) bool {
	for _, li := range a.LineItems {
		if li.Quantity > 0 {
			return true
		}
	}
	return false
}

// ignoreShipment records a shipment as deliberately not applied (state
// ignored, the reason as its warning), once: it reports whether this call
// recorded it, and logs the reason then. have says the shipment already has
// a row (an ignored one being looked at again), which is left as it is.
func (r *run) ignoreShipment(ctx context.Context, process, recordRef, erpRef string, o *veeqo.Order, a veeqo.Allocation, raw json.RawMessage, why string, have bool) bool {
	e := r.e
	if have {
		return false
	}
	bg := context.WithoutCancel(ctx)
	_, inserted, err := e.cfg.Store.RecordShipment(bg, store.AppliedShipment{Account: e.cfg.Account, ShipmentID: a.Shipment.ID, AllocationID: a.ID,
		VeeqoOrderID: o.ID, ERPRef: erpRef, State: store.ShipmentIgnored, Update: raw, Warning: why, CreatedAt: e.clock()})
	if err != nil {
		e.log.Warn("vsync: record ignored shipment", "shipment", a.Shipment.ID, "err", err)
		return false
	}
	if inserted {
		r.rep.ShipmentsIgnored++
		r.logEntry(bg, store.LevelWarning, process, recordRef, why)
	}
	return inserted
}

// flagShipment records a shipment of an ERP order cancelled or deleted
// after export as ignored (never applied: the ERP order must not flip to
// shipped) and returns the error to record, once per shipment.
func (r *run) flagShipment(ctx context.Context, process, recordRef, erpRef string, o *veeqo.Order, a veeqo.Allocation, gone string, have bool) string {
	e := r.e
	if have {
		return ""
	}
	tracking := a.Shipment.Tracking()
	if tracking == "" {
		tracking = "none"
	}
	msg := fmt.Sprintf("Veeqo shipped order %d (shipment %d, tracking %s) but ERP order %s was %s after export: not applied; sort it out with the warehouse and the customer",
		o.ID, a.Shipment.ID, tracking, erpRef, gone)
	bg := context.WithoutCancel(ctx)
	_, inserted, err := e.cfg.Store.RecordShipment(bg, store.AppliedShipment{Account: e.cfg.Account, ShipmentID: a.Shipment.ID, AllocationID: a.ID,
		VeeqoOrderID: o.ID, ERPRef: erpRef, State: store.ShipmentIgnored, Warning: msg, CreatedAt: e.clock()})
	if err != nil || !inserted {
		return ""
	}
	r.rep.ShipmentsIgnored++
	r.logEntry(bg, store.LevelError, process, recordRef, msg)
	return msg
}

// repairRecord rewrites a reference's record from its stored shipments when
// a crash lost it: the shipments were applied (or ignored) after the record
// was last written, or there is no record at all.
func (r *run) repairRecord(ctx context.Context, process, ref string, o *veeqo.Order) {
	e := r.e
	var latest time.Time
	var parts, warns []string
	for _, a := range shippedAllocations(o) {
		row, err := e.cfg.Store.GetShipment(ctx, e.cfg.Account, a.Shipment.ID)
		if err != nil || row.State == store.ShipmentPending {
			return
		}
		at := row.AppliedAt
		if at.IsZero() {
			at = row.CreatedAt
		}
		if at.After(latest) {
			latest = at
		}
		var u ShipmentUpdate
		if json.Unmarshal(row.Update, &u) != nil {
			continue
		}
		if row.State == store.ShipmentIgnored {
			warns = append(warns, row.Warning)
			continue
		}
		parts = append(parts, describeUpdate(u))
		warns = append(warns, u.Warnings...)
	}
	if latest.IsZero() {
		return
	}
	rec, err := e.cfg.Store.GetRecord(ctx, e.cfg.Account, process, ref)
	if err == nil && !rec.LastRunAt.Before(latest) {
		return
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return
	}
	msg := strings.Join(parts, "; ")
	if len(warns) > 0 {
		if msg != "" {
			msg += "; "
		}
		msg += joinWarnings(warns)
	}
	r.record(context.WithoutCancel(ctx), process, ref, recordStatusOf(warns), msg, o.ID)
}
