package sync

import (
	"context"
	"fmt"

	"github.com/xoroerp/veeqoconnect/store"
)

// Write-aheads of a page of shipment updates, written together.
//
// A computed shipment update is written pending before the ERP gets it, so
// that a crash anywhere leaves it applied exactly once after the next run
// (reapplyPending applies a pending row again; the ERP ignores a key it
// has). Inside a fetch pass's listing the pending rows of new shipments
// wait in the page's batch and are written in one transaction
// (store.RecordShipments); only then does the ERP get each of them, and
// each order's import goes on where it stopped (its next shipment, its
// record). The batch is written when it holds a page (markBatchSize), when
// the listing ends or stops, and before anything reads what a waiting
// update would change: another order of the same Veeqo order, reference or
// ERP order (flushFor, applyShipments), or the same shipment
// (applyShipment). A crash before the batch's write leaves nothing written
// and nothing applied; after it, every row is pending and applied on the
// next run. Shipments that already have a row (an ignored one replacing a
// voided final shipment), and every import outside a fetch listing, are
// written ahead one at a time, as before.

// ahead is a new shipment's update waiting to be written pending, then
// applied; resume carries its order's import on after that.
type ahead struct {
	row       store.AppliedShipment // the pending row to insert
	u         ShipmentUpdate
	t         *importTally
	recordRef string
	resume    func(context.Context)
}

// aheadsOf returns ctx's batch when updates of process may wait in it:
// inside a fetch pass's listing only.
func aheadsOf(ctx context.Context, process string) *markBatch {
	if process != ProcessFetch {
		return nil
	}
	return marksOf(ctx)
}

// queueAhead adds a to the batch, writing the batch when it is full.
func (r *run) queueAhead(ctx context.Context, b *markBatch, a *ahead) {
	b.aheads = append(b.aheads, a)
	if len(b.aheads) >= markBatchSize {
		r.flushAheads(ctx)
	}
}

// flushAheads writes the batch's waiting updates, applies them and lets
// their imports go on, until none waits (an import that goes on may queue
// its order's next shipment).
func (r *run) flushAheads(ctx context.Context) {
	b := marksOf(ctx)
	if b == nil {
		return
	}
	for len(b.aheads) > 0 {
		as := b.aheads
		b.aheads = nil
		r.writeAheads(ctx, as)
	}
}

// flushAheadsIf writes the batch's waiting updates when one of them
// matches.
func (r *run) flushAheadsIf(ctx context.Context, match func(*ahead) bool) {
	b := marksOf(ctx)
	if b == nil {
		return
	}
	for _, a := range b.aheads {
		if match(a) {
			r.flushAheads(ctx)
			return
		}
	}
}

// writeAheads writes the pending rows of as in one transaction, then
// applies each update to the ERP, and goes on with its order's import. A
// row another run inserted first is neither applied nor marked here; when
// the write fails nothing is applied and each order records the error (it
// is computed again on the next pass).
func (r *run) writeAheads(ctx context.Context, as []*ahead) {
	e := r.e
	rows := make([]store.AppliedShipment, len(as))
	for i, a := range as {
		rows[i] = a.row
	}
	got, inserted, err := e.cfg.Store.RecordShipments(ctx, rows)
	if err == nil && (len(got) != len(as) || len(inserted) != len(as)) {
		err = fmt.Errorf("the store returned %d rows for %d", len(got), len(as))
	}
	for i, a := range as {
		id := a.row.ShipmentID
		switch {
		case err != nil:
			if ctx.Err() == nil {
				a.t.errMsg = fmt.Sprintf("recording shipment %d failed: %v", id, err)
			}
		case !inserted[i]:
			// Another run got it first.
		case ctx.Err() != nil:
			// Pending: applied on the next run.
		default:
			r.applyAhead(ctx, a.t, got[i], a.u)
		}
		a.resume(ctx)
	}
}

// applyAhead applies an update whose row is written pending, and keeps
// its mark in t; should the ERP fail, the row stays pending.
func (r *run) applyAhead(ctx context.Context, t *importTally, row store.AppliedShipment, u ShipmentUpdate) {
	if err := r.e.cfg.ERP.ApplyShipment(ctx, u); err != nil {
		if ctx.Err() == nil {
			t.errMsg = fmt.Sprintf("applying shipment %d to the ERP failed: %v; it stays pending and is applied on the next run", row.ShipmentID, err)
		}
		return
	}
	t.mark = &appliedMark{row: row, u: u}
	t.done = append(t.done, describeUpdate(u))
	t.warns = append(t.warns, u.Warnings...)
}
