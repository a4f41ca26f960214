package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// fetchPass imports the fulfillments of orders born outside the ERP.
func (r *run) fetchPass(ctx context.Context) {
	e := r.e
	if r.opts.DryRun {
		r.fetchDry(ctx)
		return
	}
	r.reapplyPending(ctx, ProcessFetch)
	if r.stopped(ctx) {
		return
	}
	if len(r.opts.Refs) > 0 {
		for _, number := range r.opts.Refs {
			if r.stopped(ctx) {
				return
			}
			found, err := e.cfg.Veeqo.FindOrdersByNumber(ctx, number)
			if err != nil || len(found) == 0 {
				if ctx.Err() != nil {
					return
				}
				msg := fmt.Sprintf("Veeqo order number %s was not found", number)
				if err != nil {
					msg = fmt.Sprintf("looking up Veeqo order number %s failed: %v", number, err)
				}
				r.failRef(ctx, ProcessFetch, number, msg, 0)
				continue
			}
			for i := range found {
				r.fetchOrder(ctx, &found[i])
			}
		}
		return
	}
	ids, err := e.mappedChannelIDs(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.logEntry(ctx, store.LevelError, ProcessFetch, "", err.Error())
			r.fail(fmt.Errorf("vsync: %w", err))
		}
		return
	}
	// Cancelled orders are left out of Veeqo's default listing; a
	// marketplace order cancelled after a partial shipment still has a
	// shipment to bring in and a remainder to close.
	seen := r.poll(ctx, StreamFulfillments, veeqo.OrderListOptions{ChannelIDs: ids}, []veeqo.OrderStatus{"", veeqo.StatusCancelled}, r.fetchOrder)
	if seen != nil && !r.stopped(ctx) {
		r.retryFailed(ctx, ProcessFetch, seen, r.fetchOrder)
	}
}

// fetchDry lists what a fetch pass would look at, without applying: the
// orders of r.opts.Refs when given, else the poll's window.
func (r *run) fetchDry(ctx context.Context) {
	e := r.e
	dry := func(o *veeqo.Order) {
		if !r.wantFetch(ctx, o) || len(shippedAllocations(o)) == 0 {
			return
		}
		r.outcome(Outcome{Process: ProcessFetch, Reference: o.Number, Status: store.RecordPending,
			Message: fmt.Sprintf("would apply %d shipment(s)", len(shippedAllocations(o))), VeeqoOrderID: o.ID})
	}
	if len(r.opts.Refs) > 0 {
		for _, number := range r.opts.Refs {
			found, err := e.cfg.Veeqo.FindOrdersByNumber(ctx, number)
			switch {
			case err != nil:
				r.note(ctx, entry{process: ProcessFetch, ref: number, status: store.RecordError, msg: fmt.Sprintf("looking up Veeqo order number %s failed: %v", number, err), failed: true, noLog: true})
			case len(found) == 0:
				r.note(ctx, entry{process: ProcessFetch, ref: number, status: store.RecordError, msg: fmt.Sprintf("Veeqo order number %s was not found", number), failed: true, noLog: true})
			}
			for i := range found {
				dry(&found[i])
			}
		}
		return
	}
	ids, err := e.mappedChannelIDs(ctx)
	if err != nil {
		r.fail(err)
		return
	}
	cur, _ := e.cfg.Store.GetCursor(ctx, e.cfg.Account, StreamFulfillments)
	opts := veeqo.OrderListOptions{ChannelIDs: ids, ListOptions: veeqo.ListOptions{Page: 1, PageSize: 100}}
	if !cur.Position.IsZero() {
		opts.UpdatedAtMin = cur.Position.Add(-e.settings.Overlap())
	}
	for o, err := range e.cfg.Veeqo.ListOrders(ctx, opts) {
		if err != nil {
			r.fail(err)
			return
		}
		dry(&o)
	}
}

// wantFetch applies the channel exclusions and the filter rows. An order on
// an excluded channel type (or, with a store mapping, an unmapped channel)
// is only counted (Report.Excluded): marketplace accounts have many. An
// order the filter rows reject is counted and gets a skipped record with the
// rejecting row, written once (see skipFetch).
func (r *run) wantFetch(ctx context.Context, o *veeqo.Order) bool {
	e := r.e
	if o.Channel != nil && e.excludedType(o.Channel.TypeCode) {
		r.rep.Excluded++
		return false
	}
	if o.FulfilledByAmazon && e.excludedType(veeqo.ChannelAmazonFBA) {
		r.rep.Excluded++
		return false
	}
	if len(e.settings.StoreMapping.Rows) > 0 && e.erpStoreOf(ctx, o.Channel) == "" {
		r.rep.Excluded++
		return false
	}
	if v := e.fetchFilter.Explain(*o); !v.Pass {
		r.rep.Skipped++
		r.skipFetch(ctx, o, "filtered out: "+v.Reason)
		return false
	}
	return true
}

// skipFetch records that the filter rows reject a Veeqo order. A record
// that already says so (resolved or not) is left alone: an order listed
// again on every pass costs one record read, no write and no log line. A
// dry run lists every filtered order in its report.
func (r *run) skipFetch(ctx context.Context, o *veeqo.Order, msg string) {
	once := onceSilent
	if r.opts.DryRun {
		once = always
	}
	r.note(ctx, entry{process: ProcessFetch, ref: o.Number, status: store.RecordSkipped, msg: msg, veeqoID: o.ID, once: once})
}

// fetchOrder handles one Veeqo order in fetch mode.
func (r *run) fetchOrder(ctx context.Context, o *veeqo.Order) {
	e := r.e
	r.flushFor(ctx, ProcessFetch, o.Number, o.ID)
	if !r.wantFetch(ctx, o) {
		return
	}
	if r.mergedAway(ctx, ProcessFetch, o.Number, o) {
		return
	}
	allocs := shippedAllocations(o)
	voided, rows := r.hasVoids(ctx, o)
	if len(allocs) == 0 && !voided {
		return
	}
	// Skip the ERP lookup when every shipment is already settled. The
	// order's rows were read with hasVoids; a shipment not among them (a
	// row under another order's id, after a merge) is read by its id.
	pending := voided
	for _, a := range allocs {
		if pending {
			break
		}
		row, ok := rows[a.Shipment.ID]
		var err error
		if !ok {
			var read bool
			if row, read, err = pageShipment(ctx, o.ID, a.Shipment.ID); !read {
				row, err = e.cfg.Store.GetShipment(ctx, e.cfg.Account, a.Shipment.ID)
			}
		}
		if err != nil || row.State == store.ShipmentPending {
			pending = true
			break
		}
	}
	if !pending {
		r.repairRecord(ctx, ProcessFetch, o.Number, o, rows)
		return
	}
	erpStore := e.erpStoreOf(ctx, o.Channel)
	erp, err := e.cfg.ERP.FindOrder(ctx, FindQuery{Number: o.Number, MarketplaceRef: o.SalesRecordNumber, Store: erpStore, VeeqoOrderID: o.ID})
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		msg := fmt.Sprintf("the ERP has no order for Veeqo order %d (number %s); retried on later runs", o.ID, o.Number)
		if !errors.Is(err, ErrERPOrderNotFound) {
			msg = fmt.Sprintf("finding the ERP order of Veeqo order %d (number %s) failed: %v", o.ID, o.Number, err)
		}
		r.failRef(ctx, ProcessFetch, o.Number, msg, o.ID)
		return
	}
	ident := e.tables.Settings().ItemIdentifier
	def := e.settings.DefaultSKU
	mapLines := func(cur ERPOrder, a veeqo.Allocation) (map[string]int, []string) {
		return linesByIdentifier(cur, a, ident, def)
	}
	// hasVoids read the order's shipments just now, under the
	// run's lease: when it found none voided there is nothing to withdraw.
	r.applyShipments(ctx, ProcessFetch, o.Number, erp.Ref, o, mapLines, !voided)
}

// linesByIdentifier maps an allocation's lines to ERP lines by the item
// identifier (Veeqo sku_code, or upc_code for "upc"), exactly, then ignoring
// case; a line shipped under the default SKU goes to the ERP lines without
// an identifier. Quantities fill each line's unshipped quantity first.
func linesByIdentifier(erp ERPOrder, a veeqo.Allocation, ident mapping.Identifier, defaultSKU string) (map[string]int, []string) {
	remaining := map[string]int{}
	for _, l := range erp.Lines {
		remaining[l.Ref] = max(l.Quantity-l.Shipped, 0)
	}
	out := map[string]int{}
	var warns []string
	for _, ali := range a.LineItems {
		if ali.Quantity <= 0 || ali.Sellable == nil {
			continue
		}
		code := ident.FromSellable(*ali.Sellable)
		var cands []string
		for _, fold := range []bool{false, true} {
			for _, l := range erp.Lines {
				id := ident.Value(l.mappingLine())
				if id != "" && (id == code || (fold && strings.EqualFold(id, code))) {
					cands = append(cands, l.Ref)
				}
			}
			if len(cands) > 0 {
				break
			}
		}
		if len(cands) == 0 && defaultSKU != "" && ali.Sellable.SKUCode == defaultSKU {
			for _, l := range erp.Lines {
				if ident.Value(l.mappingLine()) == "" {
					cands = append(cands, l.Ref)
				}
			}
		}
		if len(cands) == 0 {
			warns = append(warns, fmt.Sprintf("shipment %d ships %s %q, which matches no line of ERP order %s; quantity %d not applied", a.Shipment.ID, strings.ToUpper(strings.TrimSuffix(ident.VeeqoField(), "_code")), code, erp.Ref, ali.Quantity))
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
			out[cands[len(cands)-1]] += q
		}
	}
	return out, warns
}
