package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

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
					r.failRef(ctx, ProcessConfirmation, ref, fmt.Sprintf("reading Veeqo order %d failed: %v", ex.VeeqoOrderID, err), ex.VeeqoOrderID)
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
				if ex, xerr := r.e.cfg.Store.ExportByVeeqoID(ctx, r.e.cfg.Account, id); xerr == nil {
					r.note(ctx, entry{process: ProcessConfirmation, ref: ex.ERPRef, status: store.RecordError,
						msg: fmt.Sprintf("reading Veeqo order %d failed: %v", id, err), veeqoID: id, failed: true})
				} else {
					r.rep.Failed++ // no export to record it on; the order is read again on the next run
				}
			}
			continue
		}
		r.confirmOrder(ctx, o)
	}
}

// confirmOrder handles one listed Veeqo order in export mode: it only acts
// on orders this account exported. Inside a listing its export may come
// from the page's read (see pageRows).
func (r *run) confirmOrder(ctx context.Context, o *veeqo.Order) {
	e := r.e
	ex, read, err := pageExport(ctx, o.ID)
	if !read {
		ex, err = e.cfg.Store.ExportByVeeqoID(ctx, e.cfg.Account, o.ID)
	}
	if errors.Is(err, store.ErrNotFound) {
		// Not linked: someone else's order, or a twin of one of ours (a
		// second Veeqo order with an exported order's number), which is
		// reported and whose shipments still reach the ERP order.
		if ex, ok := r.twinOf(ctx, o); ok {
			r.flushMarksFor(ctx, ProcessConfirmation, ex.ERPRef)
			r.reportTwins(ctx, ex.ERPRef, ex.Number, ex.VeeqoOrderID, []veeqo.Order{*o})
			r.applyShipments(ctx, ProcessConfirmation, ex.ERPRef, ex.ERPRef, o, func(erp ERPOrder, a veeqo.Allocation) (map[string]int, []string) {
				return linesFromLinks(ex.Lines, erp, a)
			}, false)
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
	r.flushMarksFor(ctx, ProcessConfirmation, ex.ERPRef)
	if r.mergedAway(ctx, ProcessConfirmation, ex.ERPRef, o) {
		return
	}
	if o.Status == veeqo.StatusCancelled && len(shippedAllocations(o)) == 0 {
		if ex.Completed && strings.HasSuffix(ex.LastError, " in the ERP after export") {
			return // cancelled because the ERP order was: flagged by erpCancelPass
		}
		warns, errMsg := r.voidShipments(ctx, ProcessConfirmation, ex.ERPRef, o)
		if errMsg != "" {
			r.failRef(ctx, ProcessConfirmation, ex.ERPRef, errMsg, o.ID)
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
		r.note(ctx, entry{process: ProcessConfirmation, ref: ex.ERPRef, status: store.RecordWarning, msg: msg, veeqoID: o.ID, once: onceSilent})
		return
	}
	mapLines := func(erp ERPOrder, a veeqo.Allocation) (map[string]int, []string) {
		return linesFromLinks(ex.Lines, erp, a)
	}
	// hasVoids reads the order's shipment rows (from its page, inside a
	// listing): when none is voided there is nothing to withdraw.
	voided, _ := r.hasVoids(ctx, o)
	r.applyShipments(ctx, ProcessConfirmation, ex.ERPRef, ex.ERPRef, o, mapLines, !voided)
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
