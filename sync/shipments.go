package sync

// Shipment import: the one path by which a Veeqo order's shipments reach
// its ERP order, used by the confirmation pass (export mode, confirm.go)
// and the fulfillment pass (fetch mode, fetch.go) as peers. Each shipment
// is written ahead (pending, aheadbatch.go), applied, then marked applied
// (markbatch.go); voids, cancels and merges are in changes.go.

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
		if ok {
			// The mark, its log lines and the record in one write.
			_, ref := r.processRef(row, u)
			rec := r.recordUpdate(process, ref, recordStatusOf(u.Warnings), describeUpdate(u), row.VeeqoOrderID)
			r.markApplied(ctx, row, u, &rec)
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

// reapply applies a pending row's stored update again; the caller marks it
// applied (markApplied, or a deferred mark).
func (r *run) reapply(ctx context.Context, row store.AppliedShipment) (ShipmentUpdate, bool) {
	e := r.e
	var u ShipmentUpdate
	if err := json.Unmarshal(row.Update, &u); err != nil {
		process, ref := r.processRef(row, u)
		r.failRef(ctx, process, ref, fmt.Sprintf("stored update of shipment %d is unreadable: %v", row.ShipmentID, err), row.VeeqoOrderID)
		return u, false
	}
	process, ref := r.processRef(row, u)
	if ctx.Err() != nil {
		return u, false
	}
	if err := e.cfg.ERP.ApplyShipment(ctx, u); err != nil {
		if ctx.Err() == nil {
			r.failRef(ctx, process, ref, fmt.Sprintf("applying shipment %d again failed: %v; it stays pending", row.ShipmentID, err), row.VeeqoOrderID)
		}
		return u, false
	}
	return u, true
}

// completeExport marks ref's export completed (its final shipment is
// applied), reading it again on a version conflict, three times at most.
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

// lineMapper maps a shipped allocation's lines to ERP line quantities (with
// warnings): by the export's line links in export mode, by item identifier
// in fetch mode.
type lineMapper func(ERPOrder, veeqo.Allocation) (map[string]int, []string)

// importTally is what one order's shipment import did, for its record.
type importTally struct {
	done   []string // the updates applied, described
	warns  []string
	flags  []string // shipments of an ERP order gone: errors, settled
	errMsg string   // what stopped the import (retried on the next pass)
	empty  bool     // a shipment read without lines: look again
	// mark is the last shipment applied to the ERP, its row still pending:
	// marked applied together with the reference's record when that comes
	// next (one store write instead of two), else before the next step.
	mark *appliedMark
}

// applyShipments applies every not-yet-applied shipment of a Veeqo order to
// its ERP order under the multishipment rule, after withdrawing the applied
// shipments Veeqo voided, and writes the reference's record. A shipment of
// an ERP order cancelled or deleted after export is flagged, not applied;
// one that ships none of the order's lines is settled once, with its
// reason; the remainder of an order Veeqo cancelled after a partial
// shipment is closed or flagged (veeqo_cancel_remainder). noVoids says the
// caller has just read the order's applied shipments and none is voided
// (hasVoids): they are not read again.
//
// Inside a fetch listing a new shipment's update may wait in the page's
// batch to be written ahead (see ahead): the import then goes on
// after the batch is written.
func (r *run) applyShipments(ctx context.Context, process, recordRef, erpRef string, o *veeqo.Order, mapLines lineMapper, noVoids bool) {
	// An update of another Veeqo order waiting to be written ahead for the
	// same ERP order, Veeqo order or reference is applied first: this
	// import reads what it changes.
	r.flushAheadsIf(ctx, func(a *ahead) bool {
		return a.row.ERPRef == erpRef || a.row.VeeqoOrderID == o.ID || a.recordRef == recordRef
	})
	t := &importTally{}
	if !noVoids {
		t.warns, t.errMsg = r.voidShipments(ctx, process, recordRef, o)
	}
	if ctx.Err() != nil {
		r.flushMark(ctx, t)
		return
	}
	allocs := shippedAllocations(o)
	if len(allocs) == 0 && t.errMsg == "" {
		if len(t.warns) > 0 {
			r.note(context.WithoutCancel(ctx), entry{process: process, ref: recordRef, status: store.RecordWarning, msg: joinWarnings(t.warns), veeqoID: o.ID, noLog: true})
		}
		r.flushMark(ctx, t)
		return
	}
	r.importShipments(ctx, t, process, recordRef, erpRef, o, allocs, mapLines)
}

// importShipments applies allocs in order, then closes a cancelled order's
// remainder and writes the reference's record. When an update waits to be
// written ahead, the rest of the import runs once it has been (resume).
func (r *run) importShipments(ctx context.Context, t *importTally, process, recordRef, erpRef string, o *veeqo.Order, allocs []veeqo.Allocation, mapLines lineMapper) {
	for i, a := range allocs {
		if ctx.Err() != nil || t.errMsg != "" {
			break
		}
		r.flushMark(ctx, t)
		if w := r.applyShipment(ctx, t, process, recordRef, erpRef, o, a, mapLines); w != nil {
			rest := allocs[i+1:]
			w.resume = func(ctx context.Context) { r.importShipments(ctx, t, process, recordRef, erpRef, o, rest, mapLines) }
			r.queueAhead(ctx, marksOf(ctx), w)
			return
		}
	}
	// A mark still deferred when the import stops is written all the same,
	// as it would have been right after the apply.
	defer r.flushMark(ctx, t)
	if ctx.Err() != nil {
		return
	}
	if t.errMsg == "" && o.Status == veeqo.StatusCancelled && len(t.flags) == 0 {
		r.flushMark(ctx, t)
		w, cerr := r.cancelRemainder(ctx, process, recordRef, erpRef, o)
		if w != "" {
			t.warns = append(t.warns, w)
		}
		t.errMsg = cerr
	}
	r.recordImport(ctx, process, recordRef, o, t)
}

// applyShipment imports one shipped allocation into t: a pending one is
// applied again verbatim, a new one computed, recorded pending, applied and
// marked applied (or ignored, or flagged, as the rules say). Inside a
// fetch listing a new one is returned instead, to wait in the page's batch
// of write-aheads; otherwise it returns nil.
func (r *run) applyShipment(ctx context.Context, t *importTally, process, recordRef, erpRef string, o *veeqo.Order, a veeqo.Allocation, mapLines lineMapper) *ahead {
	sh := a.Shipment
	// The same shipment waiting to be written ahead under another order
	// is written (and applied) first.
	r.flushAheadsIf(ctx, func(w *ahead) bool { return w.row.ShipmentID == sh.ID })
	row, have, next := r.shipmentState(ctx, t, erpRef, o.ID, sh.ID)
	if !next {
		return nil
	}
	erp, gone, ok := r.erpOrderFor(ctx, t, erpRef)
	if !ok {
		return nil
	}
	if gone != "" {
		if f := r.flagShipment(ctx, process, recordRef, erpRef, o, a, gone, have); f != "" {
			t.flags = append(t.flags, f)
		}
		return nil
	}
	u, dec, err := r.confirmation(ctx, erp, erpRef, o, a, mapLines)
	if err != nil {
		t.errMsg = err.Error()
		return nil
	}
	raw, err := json.Marshal(u)
	if err != nil {
		t.errMsg = fmt.Sprintf("encoding the update of shipment %d failed: %v", sh.ID, err)
		return nil
	}
	switch dec {
	case DecisionEmpty:
		if !shipsSomething(a) {
			// An empty read: never settle on it; look again.
			t.empty = true
			t.warns = append(t.warns, u.Warnings[len(u.Warnings)-1])
			return nil
		}
		// It ships lines, none of them this order's (merged in from another
		// order, or a line removed in Veeqo): settle it once, keeping the
		// reason.
		w := fmt.Sprintf("shipment %d ships none of ERP order %s's lines (merged from another order, or a line removed in Veeqo); not applied", sh.ID, erpRef)
		if len(u.Warnings) > 1 {
			w += ": " + joinWarnings(u.Warnings[:len(u.Warnings)-1])
		}
		if r.ignoreShipment(ctx, process, recordRef, erpRef, o, a, raw, w, have) {
			t.warns = append(t.warns, w)
		}
		return nil
	case DecisionIgnore:
		w := u.Warnings[len(u.Warnings)-1]
		if r.ignoreShipment(ctx, process, recordRef, erpRef, o, a, raw, w, have) {
			t.warns = append(t.warns, w)
		}
		return nil
	}
	if b := aheadsOf(ctx, process); b != nil && !have {
		return &ahead{row: r.pendingRow(erpRef, o, a, raw), u: u, t: t, recordRef: recordRef}
	}
	r.writeAheadApply(ctx, t, row, have, erpRef, o, a, u, raw)
	return nil
}

// pendingRow is the row a new shipment's update is written ahead as.
func (r *run) pendingRow(erpRef string, o *veeqo.Order, a veeqo.Allocation, raw json.RawMessage) store.AppliedShipment {
	e := r.e
	return store.AppliedShipment{Account: e.cfg.Account, ShipmentID: a.Shipment.ID, AllocationID: a.ID, VeeqoOrderID: o.ID,
		ERPRef: erpRef, State: store.ShipmentPending, Update: raw, CreatedAt: e.clock()}
}

// shipmentState reads what the store knows of shipment shID: a pending
// one is applied again here (or stops the order while the ERP lacks it),
// an ignored one goes on only when a void has since withdrawn the order's
// final shipment, any other known one is done. next says whether the
// shipment is to be computed; have whether the store has a row for it.
// Inside a fetch listing the row may come from the page's read of Veeqo
// order veeqoOrderID's rows (see pageRows).
func (r *run) shipmentState(ctx context.Context, t *importTally, erpRef string, veeqoOrderID, shID int64) (row store.AppliedShipment, have, next bool) {
	e := r.e
	// A mark of this shipment waiting in the page's batch (the same
	// shipment listed again under another order) is written first.
	r.flushMarksIf(ctx, func(m pendingMark) bool { return m.c.Shipment.ShipmentID == shID })
	row, read, err := pageShipment(ctx, veeqoOrderID, shID)
	if !read {
		row, err = e.cfg.Store.GetShipment(ctx, e.cfg.Account, shID)
	}
	have = err == nil
	switch {
	case have && row.State == store.ShipmentPending:
		if u, ok := r.reapply(ctx, row); ok {
			t.mark = &appliedMark{row: row, u: u}
			t.done = append(t.done, describeUpdate(u))
			t.warns = append(t.warns, u.Warnings...)
			return row, have, false
		}
		// Later shipments are computed from the ERP's shipped quantities,
		// which lack this one until it lands: stop.
		t.errMsg = fmt.Sprintf("shipment %d is still pending in the ERP", shID)
		return row, have, false
	case have && row.State == store.ShipmentIgnored && e.settings.DisableMultishipment:
		// Ignored as a late shipment of a finalised order; if a void has
		// since withdrawn the final one, it replaces it.
		if fin, err := r.finalised(ctx, erpRef); err != nil || fin {
			if err != nil {
				t.errMsg = fmt.Sprintf("reading earlier shipments failed: %v", err)
			}
			return row, have, false
		}
	case have:
		return row, have, false
	case !errors.Is(err, store.ErrNotFound):
		t.errMsg = fmt.Sprintf("reading shipment %d state failed: %v", shID, err)
		return row, have, false
	}
	return row, have, true
}

// erpOrderFor reads the ERP order a shipment belongs to; gone says it was
// "deleted" or "cancelled" there. ok is false when it cannot be read (the
// tally says why, unless the run is stopping).
func (r *run) erpOrderFor(ctx context.Context, t *importTally, erpRef string) (erp ERPOrder, gone string, ok bool) {
	erp, err := r.e.cfg.ERP.Order(ctx, erpRef)
	switch {
	case errors.Is(err, ErrERPOrderNotFound):
		gone = "deleted"
	case err != nil:
		if ctx.Err() == nil {
			t.errMsg = fmt.Sprintf("reading ERP order %s failed: %v", erpRef, err)
		}
		return erp, "", false
	case strings.EqualFold(erp.Status, OrderCancelled):
		gone = "cancelled"
	}
	return erp, gone, true
}

// writeAheadApply records a computed shipment update as pending, applies it
// to the ERP and marks it applied: a crash between the steps leaves it
// pending, applied again verbatim by the next run (the ERP deduplicates by
// key). have says the shipment has a row already (an ignored shipment that
// now replaces a voided final one).
func (r *run) writeAheadApply(ctx context.Context, t *importTally, row store.AppliedShipment, have bool, erpRef string, o *veeqo.Order, a veeqo.Allocation, u ShipmentUpdate, raw json.RawMessage) {
	e := r.e
	var err error
	if have {
		row.State, row.Update, row.Warning = store.ShipmentPending, raw, ""
		row, err = e.cfg.Store.UpdateShipment(ctx, row)
	} else {
		var inserted bool
		row, inserted, err = e.cfg.Store.RecordShipment(ctx, r.pendingRow(erpRef, o, a, raw))
		if err == nil && !inserted {
			return // another run got it first
		}
	}
	if err != nil {
		if ctx.Err() == nil {
			t.errMsg = fmt.Sprintf("recording shipment %d failed: %v", a.Shipment.ID, err)
		}
		return
	}
	if ctx.Err() != nil {
		return // pending: applied on the next run
	}
	r.applyAhead(ctx, t, row, u)
}

// recordImport writes the reference's record from what its import did.
func (r *run) recordImport(ctx context.Context, process, recordRef string, o *veeqo.Order, t *importTally) {
	bg := context.WithoutCancel(ctx)
	if t.errMsg != "" || len(t.flags) > 0 || len(t.done) == 0 {
		r.flushMark(ctx, t)
	}
	switch {
	case t.errMsg != "":
		parts := append(slices.Clone(t.done), t.flags...)
		r.note(bg, entry{process: process, ref: recordRef, status: store.RecordError, msg: strings.Join(append(parts, t.errMsg), "; "), log: t.errMsg, veeqoID: o.ID, failed: true})
	case len(t.flags) > 0:
		r.note(bg, entry{process: process, ref: recordRef, status: store.RecordError, msg: strings.Join(append(t.done, t.flags...), "; "), veeqoID: o.ID, failed: true, noLog: true}) // each flag was logged as it was found
	case len(t.done) > 0:
		msg := strings.Join(t.done, "; ")
		if len(t.warns) > 0 {
			msg += "; " + joinWarnings(t.warns)
		}
		if m := t.mark; m != nil {
			// The last shipment's mark and the record in one write.
			t.mark = nil
			rec := r.recordUpdate(process, recordRef, recordStatusOf(t.warns), msg, o.ID)
			r.markApplied(ctx, m.row, m.u, &rec)
			return
		}
		r.note(bg, entry{process: process, ref: recordRef, status: recordStatusOf(t.warns), msg: msg, veeqoID: o.ID, noLog: true})
	case t.empty:
		r.settleLook(ctx, process, recordRef, store.RecordPending, joinWarnings(t.warns), o.ID)
	case len(t.warns) > 0:
		r.note(bg, entry{process: process, ref: recordRef, status: store.RecordWarning, msg: joinWarnings(t.warns), veeqoID: o.ID, noLog: true})
	default:
		r.repairRecord(ctx, process, recordRef, o, nil)
	}
}

// confirmation maps one shipped allocation back to the ERP order and
// computes its update under the multishipment rule.
func (r *run) confirmation(ctx context.Context, erp ERPOrder, erpRef string, o *veeqo.Order, a veeqo.Allocation, mapLines lineMapper) (ShipmentUpdate, Decision, error) {
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
	c.Carrier, w1 = backToERP(e.tables.Carriers, "carrier_mapping", "carrier", erp.Store, c.VeeqoCarrier)
	c.ShipService, w2 = backToERP(e.tables.ShipServices, "ship_service_mapping", "service", erp.Store, c.VeeqoService)
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
// was last written, or there is no record at all. known holds the order's
// rows when the caller has just read them, before writing anything of the
// order's (the record may then come from the order's page, see pageRows);
// a shipment not among them is read.
func (r *run) repairRecord(ctx context.Context, process, ref string, o *veeqo.Order, known map[int64]store.AppliedShipment) {
	e := r.e
	var latest time.Time
	var parts, warns []string
	for _, a := range shippedAllocations(o) {
		row, ok := known[a.Shipment.ID]
		var err error
		if !ok {
			row, err = e.cfg.Store.GetShipment(ctx, e.cfg.Account, a.Shipment.ID)
		}
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
	var rec store.Record
	var err error
	read := false
	if known != nil {
		// Nothing of the order's is written yet: its page may have read it.
		rec, read, err = pageRecord(ctx, process, ref)
	}
	if !read {
		rec, err = e.cfg.Store.GetRecord(ctx, e.cfg.Account, process, ref)
	}
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
	r.note(context.WithoutCancel(ctx), entry{process: process, ref: ref, status: recordStatusOf(warns), msg: msg, veeqoID: o.ID, noLog: true})
}
