package sync

import (
	"context"

	"github.com/xoroerp/veeqoconnect/store"
)

// Marks of applied shipments: how each is made and written, and a page
// of them written together.
//
// Each shipment is written ahead (pending) before the ERP gets it, and
// marked applied after; a crash between the two leaves it pending, applied
// again by the next run (the ERP deduplicates by shipment id). The mark may
// therefore wait: inside a poll's listing, an order's last mark, which
// carries the reference's record, joins a batch written in one transaction
// (store.CompleteShipments) when it holds a page of them (markBatchSize),
// when the listing ends or stops, or before anything reads what it would
// change: the same shipment (shipmentState) or the same reference
// (flushMarksFor, when another order of that reference comes up). Marks
// without a record (an order's earlier parcels) are written at once, as
// before. A final update's mark carries its export, completed, into the
// same write (see completions).

// markBatchSize is how many marks a batch holds before it is written: a
// page of the listing (100 orders, each with at most one batched mark).
const markBatchSize = 100

// markBatch is a poll's marks waiting to be written, and its shipment
// updates waiting to be written ahead (see ahead).
type markBatch struct {
	marks  []pendingMark
	aheads []*ahead
	rows   *pageRows // the page being handed out (see pageRows)
}

type markBatchKey struct{}

// withMarkBatch returns ctx carrying a new batch, for a poll's listing.
// The caller writes what is left in it with flushBatch.
func withMarkBatch(ctx context.Context) context.Context {
	return context.WithValue(ctx, markBatchKey{}, &markBatch{})
}

// marksOf returns ctx's batch, or nil outside a poll's listing.
func marksOf(ctx context.Context) *markBatch {
	b, _ := ctx.Value(markBatchKey{}).(*markBatch)
	return b
}

// batchMark adds a mark to the batch, writing the batch first when it
// already holds a mark of the same reference or ERP order (their records
// and logs keep their order), and after when it is full.
func (r *run) batchMark(ctx context.Context, b *markBatch, m pendingMark) {
	r.flushMarksIf(ctx, func(x pendingMark) bool { return sameReference(x, m) })
	b.marks = append(b.marks, m)
	if len(b.marks) >= markBatchSize {
		r.flushMarks(ctx)
	}
}

func sameReference(a, b pendingMark) bool {
	if a.c.Shipment.ERPRef == b.c.Shipment.ERPRef {
		return true
	}
	ra, rb := a.c.Record, b.c.Record
	return ra != nil && rb != nil && ra.Process == rb.Process && ra.Reference == rb.Reference
}

// flushMarks writes the batch's marks, if any.
func (r *run) flushMarks(ctx context.Context) {
	b := marksOf(ctx)
	if b == nil || len(b.marks) == 0 {
		return
	}
	ms := b.marks
	b.marks = nil
	r.writeMarks(ctx, ms)
}

// flushMarksIf writes the batch when one of its marks matches.
func (r *run) flushMarksIf(ctx context.Context, match func(pendingMark) bool) {
	b := marksOf(ctx)
	if b == nil {
		return
	}
	for _, m := range b.marks {
		if match(m) {
			r.flushMarks(ctx)
			return
		}
	}
}

// flushMarksFor writes the batch when it holds a mark recorded under
// process and ref: another order of the same reference is about to write
// its record.
func (r *run) flushMarksFor(ctx context.Context, process, ref string) {
	r.flushMarksIf(ctx, func(m pendingMark) bool {
		return m.c.Record != nil && m.c.Record.Process == process && m.c.Record.Reference == ref
	})
}

// flushFor writes what the batch holds for a Veeqo order about to be
// handled: the updates written ahead for it or for its reference (and
// what their imports then do), then the marks recorded under process and
// ref.
func (r *run) flushFor(ctx context.Context, process, ref string, veeqoOrderID int64) {
	r.flushAheadsIf(ctx, func(a *ahead) bool { return a.row.VeeqoOrderID == veeqoOrderID || a.recordRef == ref })
	r.flushMarksFor(ctx, process, ref)
}

// flushBatch writes everything the batch holds: the updates waiting to be
// written ahead (their imports go on, and may add marks), then the marks.
func (r *run) flushBatch(ctx context.Context) {
	r.flushAheads(ctx)
	r.flushMarks(ctx)
}

// appliedMark is a shipment the ERP has and the store does not know yet:
// its row is still pending.
type appliedMark struct {
	row store.AppliedShipment
	u   ShipmentUpdate
}

// markApplied records that the ERP has the update: the row marked applied,
// its log lines, when rec is not nil the reference's record, and when the
// update was final (export mode) the export completed, land in one store
// write (CompleteShipment, or CompleteShipments with the export). Should
// that write fail, the log lines and the record
// are written on their own, as the ERP has the update either way; the row
// stays pending and is applied again next run, which the ERP ignores (same
// shipment id). Inside a poll's listing, a mark with its record joins the
// page's batch instead (see markBatch): written with the page's others in
// one transaction.
func (r *run) markApplied(ctx context.Context, row store.AppliedShipment, u ShipmentUpdate, rec *store.RecordUpdate) {
	m := r.newMark(row, u, rec)
	if b := marksOf(ctx); b != nil && rec != nil {
		r.batchMark(ctx, b, m)
		return
	}
	r.writeMarks(ctx, []pendingMark{m})
}

// pendingMark is one shipment's mark, ready to write: the completion (row
// applied, record, logs) and what follows the write.
type pendingMark struct {
	c store.ShipmentCompletion
	u ShipmentUpdate
}

// newMark builds a shipment's mark and counts it applied.
func (r *run) newMark(row store.AppliedShipment, u ShipmentUpdate, rec *store.RecordUpdate) pendingMark {
	process, ref := r.processRef(row, u)
	e := r.e
	row.State = store.ShipmentApplied
	row.AppliedAt = e.clock()
	if rec != nil {
		// Not before the mark: repairRecord rewrites a record older than
		// its reference's last applied shipment.
		rec.At = row.AppliedAt
	}
	r.rep.ConfirmationsApplied++
	logs := make([]store.LogEntry, 0, 1+len(u.Warnings))
	logs = append(logs, r.newEntry(store.LevelInfo, process, ref, "applied "+describeUpdate(u)))
	for _, w := range u.Warnings {
		logs = append(logs, r.newEntry(store.LevelWarning, process, ref, w))
	}
	return pendingMark{c: store.ShipmentCompletion{Shipment: row, Record: rec, Logs: logs}, u: u}
}

// writeMarks writes marks: one in a CompleteShipment, several (or one
// that settles its export, see completions) in one CompleteShipments.
// Should the batch fail, each is written on its own; should that fail, its
// log lines and record are written without it (see markApplied). Then
// each mark's logs are notified and a final update's export is completed
// if its write did not.
func (r *run) writeMarks(ctx context.Context, ms []pendingMark) {
	e := r.e
	bg := context.WithoutCancel(ctx)
	settles := r.completions(bg, ms)
	if len(ms) > 1 || settles {
		cs := make([]store.ShipmentCompletion, len(ms))
		for i, m := range ms {
			cs[i] = m.c
		}
		got, err := e.cfg.Store.CompleteShipments(bg, cs)
		if err == nil && len(got) == len(ms) {
			for i, m := range ms {
				logs := m.c.Logs
				if len(got[i].Logs) == len(logs) {
					logs = got[i].Logs
				}
				r.markWritten(bg, m, logs, m.c.Export != nil)
			}
			return
		}
		if err != nil {
			e.log.Warn("vsync: mark shipments applied", "shipments", len(ms), "err", err)
		}
	}
	for _, m := range ms {
		row, rec, logs := m.c.Shipment, m.c.Record, m.c.Logs
		_, got, err := e.cfg.Store.CompleteShipment(bg, row, rec, logs...)
		if err != nil {
			e.log.Warn("vsync: mark shipment applied", "shipment", row.ShipmentID, "err", err)
			if got, err = e.cfg.Store.AppendLogs(bg, logs...); err != nil {
				e.log.Warn("vsync: append log", "err", err)
			}
			if rec != nil {
				if _, err := e.cfg.Store.UpsertRecord(bg, *rec); err != nil {
					_, ref := r.processRef(row, m.u)
					e.log.Warn("vsync: upsert record", "ref", ref, "err", err)
				}
			}
		}
		if len(got) == len(logs) {
			logs = got
		}
		r.markWritten(bg, m, logs, false)
	}
}

// completions adds to each mark of a final update (export mode) its ERP
// order's export, completed, to be written with the mark (the order
// settles in one write); it reports whether any has one. An export that
// cannot be read, or is completed already, is left out: completeExport
// then does what it can after the mark.
func (r *run) completions(ctx context.Context, ms []pendingMark) bool {
	e := r.e
	settles := false
	for i := range ms {
		m := &ms[i]
		if !m.u.Final || e.mode != store.ModeExport {
			continue
		}
		ex, err := e.cfg.Store.GetExport(ctx, e.cfg.Account, m.c.Shipment.ERPRef)
		if err != nil || ex.Completed {
			continue
		}
		ex.Completed = true
		m.c.Export = &ex
		settles = true
	}
	return settles
}

// markWritten follows a mark's write: its log lines are notified, and a
// final update completes the export, unless settled says the mark's write
// did.
func (r *run) markWritten(ctx context.Context, m pendingMark, logs []store.LogEntry, settled bool) {
	for _, l := range logs {
		r.notify(ctx, l)
	}
	if m.u.Final && r.e.mode == store.ModeExport && !settled {
		r.completeExport(ctx, m.c.Shipment.ERPRef)
	}
}

// flushMark writes the import's deferred mark, if any, without a record:
// something other than the reference's record comes next.
func (r *run) flushMark(ctx context.Context, t *importTally) {
	if t.mark == nil {
		return
	}
	m := t.mark
	t.mark = nil
	r.markApplied(ctx, m.row, m.u, nil)
}
