package sync

import (
	"context"

	"github.com/xoroerp/veeqoconnect/store"
)

// Per-reference bookkeeping: a reference's outcome is its record, its log
// line (notified when it is a warning or an error) and the run's counters.
// The calls here write all of them together, so that no path counts a
// failure without recording it or records one without counting it.

// failRef records an error outcome of a reference: it counts in
// Report.Failed, becomes the reference's error record, and is logged (and
// notified) as an error.
func (r *run) failRef(ctx context.Context, process, ref, msg string, veeqoID int64) {
	r.rep.Failed++
	r.recordErr(ctx, process, ref, msg, veeqoID)
}

// failRefAs is failRef with a log line that differs from the record (the
// record keeps what was applied before the failure too); an empty logMsg
// logs nothing (a dry run, or a failure logged where it happened).
func (r *run) failRefAs(ctx context.Context, process, ref, recordMsg, logMsg string, veeqoID int64) {
	r.rep.Failed++
	r.record(ctx, process, ref, store.RecordError, recordMsg, veeqoID)
	if logMsg != "" {
		r.logEntry(ctx, store.LevelError, process, ref, logMsg)
	}
}
