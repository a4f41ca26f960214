package sync

import (
	"context"
)

// Marks of a page of applied shipments, written together.
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
