package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// Orders change after export: the warehouse voids labels and reships,
// cancels orders, merges orders for one customer; users cancel or delete
// ERP orders. Each change reaches the ERP once, as an update it applies like
// a shipment (idempotent by ShipmentUpdate.Key), or is flagged once.

// maxLooks bounds how often a pass re-reads a reference whose record is in
// error or pending: past it the record settles as an error with its reason
// and only a change in Veeqo (the order listed again) or a manual run looks
// at it again.
const maxLooks = 24

// gaveUp starts the message of a record settleLook settled.
const gaveUp = "gave up after "

// VoidUpdate computes the update that withdraws applied, a shipment whose
// label was voided in Veeqo, from the ERP order's current data: each line's
// quantity negated (never below zero shipped), lines it closed reopened,
// quantities it unallocated re-allocated, and its tracking numbers to
// withdraw. The order is partially shipped if any quantity remains shipped,
// else open.
func VoidUpdate(order ERPOrder, applied ShipmentUpdate) ShipmentUpdate {
	u := ShipmentUpdate{Kind: KindVoid, ShipmentID: applied.ShipmentID, AllocationID: applied.AllocationID,
		VeeqoOrderID: applied.VeeqoOrderID, VeeqoOrderNumber: applied.VeeqoOrderNumber, OrderRef: order.Ref,
		TrackingNumbers: applied.TrackingNumbers, Carrier: applied.Carrier, ShipService: applied.ShipService,
		VeeqoCarrier: applied.VeeqoCarrier, VeeqoService: applied.VeeqoService, ShippedAt: applied.ShippedAt}
	byRef := map[string]LineUpdate{}
	for _, lu := range applied.Lines {
		byRef[lu.LineRef] = lu
	}
	anyShipped := false
	for _, l := range order.Lines {
		shipped := l.Shipped
		if lu, ok := byRef[l.Ref]; ok {
			back := min(max(lu.ShipQuantity, 0), l.Shipped)
			shipped = l.Shipped - back
			vu := LineUpdate{LineRef: l.Ref, ShipQuantity: -back, ShippedTotal: shipped,
				Reopen: lu.Close && l.Closed, Unallocate: -max(lu.Unallocate, 0)}
			if vu.ShipQuantity != 0 || vu.Reopen || vu.Unallocate != 0 {
				u.Lines = append(u.Lines, vu)
			}
		}
		if shipped > 0 {
			anyShipped = true
		}
	}
	u.Status = OrderOpen
	if anyShipped {
		u.Status = OrderPartiallyShipped
	}
	return u
}

// CancelRemainderUpdate computes the update that closes and unallocates the
// unshipped remainder of an order Veeqo cancelled after a partial shipment.
// It reports false when no line is left open.
func CancelRemainderUpdate(order ERPOrder, veeqoOrderID int64) (ShipmentUpdate, bool) {
	u := ShipmentUpdate{Kind: KindCancel, VeeqoOrderID: veeqoOrderID, OrderRef: order.Ref, Status: OrderClosed, Final: true}
	for _, l := range order.Lines {
		if l.Closed {
			continue
		}
		u.Lines = append(u.Lines, LineUpdate{LineRef: l.Ref, ShippedTotal: l.Shipped, Close: true, Unallocate: max(l.Quantity-l.Shipped, 0)})
	}
	return u, len(u.Lines) > 0
}

// voidShipments withdraws from the ERP, once each, the applied shipments of
// a Veeqo order whose label was voided: the shipment is gone from its
// allocation (deleted) or its tracking number is cancelled. An order read
// without allocations is never judged (a momentary empty read). It returns
// a warning per void and an error message when one could not be withdrawn
// (it is tried again on the next pass).
func (r *run) voidShipments(ctx context.Context, process, recordRef string, o *veeqo.Order) (warns []string, errMsg string) {
	e := r.e
	if len(o.Allocations) == 0 {
		return nil, ""
	}
	live := map[int64]bool{}
	cancelled := map[int64]bool{}
	for _, a := range o.Allocations {
		if a.Shipment != nil && a.Shipment.ID != 0 {
			live[a.Shipment.ID] = !a.Shipment.Voided()
			cancelled[a.Shipment.ID] = a.Shipment.Voided()
		}
	}
	rows, err := e.cfg.Store.ListShipments(ctx, store.ShipmentQuery{Account: e.cfg.Account, VeeqoOrderID: o.ID,
		States: []store.ShipmentState{store.ShipmentApplied}})
	if err != nil {
		return nil, fmt.Sprintf("reading the applied shipments of Veeqo order %d failed: %v", o.ID, err)
	}
	for _, row := range rows {
		if live[row.ShipmentID] {
			continue
		}
		msg, errMsg, ok := r.withdrawVoided(ctx, process, recordRef, row, cancelled[row.ShipmentID])
		if !ok {
			return warns, errMsg
		}
		warns = append(warns, msg)
	}
	return warns, ""
}

// withdrawVoided withdraws one voided shipment's applied update from the
// ERP and marks it voided, returning the warning; ok is false, with the
// reason (none when the run is stopping), when it could not.
func (r *run) withdrawVoided(ctx context.Context, process, recordRef string, row store.AppliedShipment, cancelled bool) (msg, errMsg string, ok bool) {
	e := r.e
	bg := context.WithoutCancel(ctx)
	var applied ShipmentUpdate
	if err := json.Unmarshal(row.Update, &applied); err != nil {
		return "", fmt.Sprintf("shipment %d was voided in Veeqo but its stored update does not decode (%v); withdraw it by hand", row.ShipmentID, err), false
	}
	erp, err := e.cfg.ERP.Order(ctx, row.ERPRef)
	if err != nil {
		if ctx.Err() != nil {
			return "", "", false
		}
		return "", fmt.Sprintf("shipment %d was voided in Veeqo; reading ERP order %s to withdraw it failed: %v", row.ShipmentID, row.ERPRef, err), false
	}
	how := "the shipment was deleted"
	if cancelled {
		how = "its tracking number was cancelled"
	}
	tracking := strings.Join(applied.TrackingNumbers, ", ")
	if tracking == "" {
		tracking = "none"
	}
	msg = fmt.Sprintf("shipment %d (tracking %s) was voided in Veeqo after it was applied (%s): its quantities and tracking number are withdrawn from ERP order %s",
		row.ShipmentID, tracking, how, row.ERPRef)
	vu := VoidUpdate(erp, applied)
	vu.Warnings = []string{msg}
	if err := e.cfg.ERP.ApplyShipment(ctx, vu); err != nil {
		if ctx.Err() != nil {
			return "", "", false
		}
		return "", fmt.Sprintf("withdrawing voided shipment %d from ERP order %s failed: %v; tried again on the next run", row.ShipmentID, row.ERPRef, err), false
	}
	raw, err := json.Marshal(vu)
	if err != nil {
		return "", fmt.Sprintf("encoding the withdrawal of shipment %d failed: %v", row.ShipmentID, err), false
	}
	row.State, row.Update, row.Warning = store.ShipmentVoided, raw, msg
	if _, err := e.cfg.Store.UpdateShipment(bg, row); err != nil {
		// The ERP has it (idempotent by key): the next pass records it.
		e.log.Warn("vsync: mark shipment voided", "shipment", row.ShipmentID, "err", err)
	}
	r.rep.ShipmentsVoided++
	r.logEntry(bg, store.LevelWarning, process, recordRef, msg)
	return msg, "", true
}

// cancelRemainder handles an order Veeqo cancelled after some of it
// shipped: with veeqo_cancel_remainder "close" the ERP order's open lines
// are closed and their remainder unallocated (once, KindCancel); with
// "open" they stay open and the order is flagged. It returns the warning
// for the record; the log line and notification come once.
func (r *run) cancelRemainder(ctx context.Context, process, recordRef, erpRef string, o *veeqo.Order) (string, string) {
	e := r.e
	reason := ""
	if o.CancelReason != "" {
		reason = " (" + o.CancelReason + ")"
	}
	erp, err := e.cfg.ERP.Order(ctx, erpRef)
	if err != nil {
		return "", fmt.Sprintf("Veeqo order %d was cancelled%s after a partial shipment; reading ERP order %s failed: %v", o.ID, reason, erpRef, err)
	}
	if e.settings.CancelRemainder() == CancelRemainderOpen {
		msg := fmt.Sprintf("Veeqo order %d was cancelled in Veeqo%s after a partial shipment; the unshipped remainder stays open in ERP order %s (veeqo_cancel_remainder open): close it or ship it by hand", o.ID, reason, erpRef)
		r.logOnce(ctx, process, recordRef, msg)
		return msg, ""
	}
	msg := fmt.Sprintf("Veeqo order %d was cancelled in Veeqo%s after a partial shipment; the unshipped remainder of ERP order %s is closed and unallocated", o.ID, reason, erpRef)
	u, open := CancelRemainderUpdate(erp, o.ID)
	if !open {
		return msg, "" // closed already (by this rule, or by hand)
	}
	u.VeeqoOrderNumber = o.Number
	u.Warnings = []string{msg}
	if err := e.cfg.ERP.ApplyShipment(ctx, u); err != nil {
		if ctx.Err() != nil {
			return "", ""
		}
		return "", fmt.Sprintf("closing the remainder of ERP order %s after Veeqo cancelled order %d failed: %v; tried again on the next run", erpRef, o.ID, err)
	}
	r.logEntry(context.WithoutCancel(ctx), store.LevelWarning, process, recordRef, msg)
	return msg, ""
}

// logOnce logs a warning unless the reference's record already carries it.
func (r *run) logOnce(ctx context.Context, process, ref, msg string) {
	e := r.e
	if rec, err := e.cfg.Store.GetRecord(ctx, e.cfg.Account, process, ref); err == nil && strings.Contains(rec.Message, e.scrub(msg)) {
		return
	}
	r.logEntry(context.WithoutCancel(ctx), store.LevelWarning, process, ref, msg)
}

// mergedAway handles a Veeqo order merged into another (merged_to_id): its
// lines ship under the order it was merged into, so its ERP order is
// flagged, once, naming that order and, when it has shipped, its tracking;
// nothing is applied to it automatically. It reports whether o was merged.
func (r *run) mergedAway(ctx context.Context, process, ref string, o *veeqo.Order) bool {
	if o.MergedToID == 0 || o.MergedToID == o.ID {
		return false
	}
	e := r.e
	flagged := fmt.Sprintf("Veeqo order %d was merged into Veeqo order %d ", o.ID, o.MergedToID)
	if rec, err := e.cfg.Store.GetRecord(ctx, e.cfg.Account, process, ref); err == nil && rec.Status == store.RecordWarning && strings.HasPrefix(rec.Message, flagged) {
		return true // flagged already, with the shipped order's tracking
	}
	into, err := e.cfg.Veeqo.GetOrder(ctx, o.MergedToID)
	if err != nil {
		if ctx.Err() == nil {
			r.failRef(ctx, process, ref, fmt.Sprintf("Veeqo order %d was merged into Veeqo order %d; reading that order failed: %v", o.ID, o.MergedToID, err), o.ID)
		}
		return true
	}
	var tracking []string
	for _, a := range shippedAllocations(into) {
		if t := a.Shipment.Tracking(); t != "" {
			tracking = append(tracking, t)
		} else {
			tracking = append(tracking, fmt.Sprintf("shipment %d without tracking", a.Shipment.ID))
		}
	}
	if len(tracking) == 0 {
		msg := fmt.Sprintf("Veeqo order %d was merged into Veeqo order %d (number %s) in Veeqo, which has not shipped yet; its lines will ship under that order", o.ID, into.ID, into.Number)
		r.settleLook(ctx, process, ref, store.RecordPending, msg, o.ID)
		return true
	}
	msg := fmt.Sprintf("Veeqo order %d was merged into Veeqo order %d (number %s) in Veeqo, which shipped with tracking %s: this order's lines shipped under it; confirm them in the ERP by hand",
		o.ID, into.ID, into.Number, strings.Join(tracking, ", "))
	r.note(ctx, entry{process: process, ref: ref, status: store.RecordWarning, msg: msg, veeqoID: o.ID, once: onceSilent})
	return true
}

// settleLook records an outcome that may need another look (pending, or
// an error to retry): past maxLooks attempts it settles as an error that
// keeps the reason, logged once, and passes stop re-reading it.
func (r *run) settleLook(ctx context.Context, process, ref string, status store.RecordStatus, msg string, veeqoID int64) {
	e := r.e
	rec, err := e.cfg.Store.GetRecord(ctx, e.cfg.Account, process, ref)
	if err == nil && rec.Attempts+1 >= maxLooks {
		settled := fmt.Sprintf("%s%d looks: %s; run it again from the operations page once it has changed", gaveUp, maxLooks, msg)
		r.note(ctx, entry{process: process, ref: ref, status: store.RecordError, msg: settled, veeqoID: veeqoID, once: onceSilent})
		return
	}
	// Each look is written (it counts the attempt); it is logged once.
	same := err == nil && rec.Status == status && rec.Message == e.scrub(msg)
	r.note(ctx, entry{process: process, ref: ref, status: status, msg: msg, veeqoID: veeqoID, noLog: same})
}

// erpCancelPass flags, once each, exported orders that were cancelled or
// deleted in the ERP before Veeqo shipped them all, and acts on the Veeqo
// order as erp_cancel_action says (flag, note, cancel). The export is then
// marked completed, so the pass does not look at it again; a shipment Veeqo
// makes anyway is flagged, not applied (applyShipments).
func (r *run) erpCancelPass(ctx context.Context) {
	e := r.e
	refs := r.refsSet()
	no := false
	after := ""
	for {
		list, err := e.cfg.Store.ListExports(ctx, store.ExportQuery{Account: e.cfg.Account, States: []store.ExportState{store.ExportExported},
			Completed: &no, AfterRef: after, Limit: 200})
		if err != nil {
			r.fail(fmt.Errorf("vsync: list open exports: %w", err))
			return
		}
		for _, ex := range list {
			after = ex.ERPRef
			if r.stopped(ctx) {
				return
			}
			if refs != nil && !refs[ex.ERPRef] {
				continue
			}
			r.checkERPCancel(ctx, ex)
		}
		if len(list) < 200 {
			return
		}
	}
}

// checkERPCancel flags one export whose ERP order was cancelled or deleted.
func (r *run) checkERPCancel(ctx context.Context, ex store.Export) {
	e := r.e
	erp, err := e.cfg.ERP.Order(ctx, ex.ERPRef)
	what := ""
	switch {
	case errors.Is(err, ErrERPOrderNotFound):
		what = "deleted"
	case err != nil:
		return // read again on the next run; the confirmation pass reports ERP failures
	case strings.EqualFold(erp.Status, OrderCancelled):
		what = "cancelled"
	default:
		return
	}
	bg := context.WithoutCancel(ctx)
	msg := fmt.Sprintf("%s in the ERP after export as Veeqo order %d: cancel it in Veeqo (shipments Veeqo makes are flagged, not applied)", what, ex.VeeqoOrderID)
	switch e.settings.ERPCancel() {
	case ERPCancelNote:
		if err := e.cfg.Veeqo.AddNote(ctx, ex.VeeqoOrderID, fmt.Sprintf("XoroERP order %s was %s after export: do not ship", ex.ERPRef, what)); err != nil {
			if ctx.Err() == nil {
				r.failRef(bg, ProcessExport, ex.ERPRef, fmt.Sprintf("%s in the ERP after export as Veeqo order %d; adding a note to it failed: %v", what, ex.VeeqoOrderID, err), ex.VeeqoOrderID)
			}
			return
		}
		msg = fmt.Sprintf("%s in the ERP after export as Veeqo order %d: a note says so on the Veeqo order; cancel it in Veeqo", what, ex.VeeqoOrderID)
	case ERPCancelCancel:
		err := e.cfg.Veeqo.CancelOrder(ctx, ex.VeeqoOrderID, fmt.Sprintf("XoroERP order %s was %s", ex.ERPRef, what))
		switch {
		case err == nil:
			msg = fmt.Sprintf("%s in the ERP after export as Veeqo order %d: cancelled in Veeqo", what, ex.VeeqoOrderID)
		case refused(err) && ctx.Err() == nil:
			msg = fmt.Sprintf("%s in the ERP after export as Veeqo order %d: Veeqo refused to cancel it (%v); cancel it in Veeqo by hand", what, ex.VeeqoOrderID, err)
		default:
			if ctx.Err() == nil {
				r.failRef(bg, ProcessExport, ex.ERPRef, fmt.Sprintf("%s in the ERP after export as Veeqo order %d; cancelling it in Veeqo failed: %v; tried again on the next run", what, ex.VeeqoOrderID, err), ex.VeeqoOrderID)
			}
			return
		}
	}
	ex.Completed = true
	ex.LastError = what + " in the ERP after export"
	if _, err := e.cfg.Store.UpdateExport(bg, ex); err != nil {
		e.log.Warn("vsync: mark export completed", "ref", ex.ERPRef, "err", err)
		return
	}
	r.failRef(bg, ProcessExport, ex.ERPRef, msg, ex.VeeqoOrderID)
}

// hasVoids reports whether a Veeqo order has an applied shipment that is no
// longer live in Veeqo (deleted, or its tracking cancelled). It reads the
// order's shipment rows once, every state, and returns them by shipment id
// (nil when the order has no allocations or the read failed: the full
// pass then reads and reports it), so the caller need not read them again.
func (r *run) hasVoids(ctx context.Context, o *veeqo.Order) (bool, map[int64]store.AppliedShipment) {
	if len(o.Allocations) == 0 {
		return false, nil
	}
	e := r.e
	var rows []store.AppliedShipment
	if known, ok := pageRowsOf(ctx, o.ID); ok {
		// Read with the order's page (see pageRows).
		for _, row := range known {
			rows = append(rows, row)
		}
	} else {
		var err error
		rows, err = e.cfg.Store.ListShipments(ctx, store.ShipmentQuery{Account: e.cfg.Account, VeeqoOrderID: o.ID})
		if err != nil {
			return true, nil // let the full pass read and report it
		}
	}
	live := map[int64]bool{}
	for _, a := range o.Allocations {
		if a.Shipment != nil && !a.Shipment.Voided() {
			live[a.Shipment.ID] = true
		}
	}
	byID := make(map[int64]store.AppliedShipment, len(rows))
	voided := false
	for _, row := range rows {
		byID[row.ShipmentID] = row
		if row.State == store.ShipmentApplied && !live[row.ShipmentID] {
			voided = true
		}
	}
	return voided, byID
}
