package sync

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/store"
)

// The ledger: a reference's outcome is its record, its log line (notified
// when it is a warning or an error), the report's outcome and the run's
// counters. note writes all of them in one call, so that no path counts a
// failure without recording it, records one without logging it, or logs it
// again on every run that sees it unchanged.

// entry is one reference's outcome as note writes it.
type entry struct {
	process, ref string
	status       store.RecordStatus
	// msg is the record's message (scrubbed when written).
	msg     string
	veeqoID int64
	// log is the log line when it differs from msg (the record keeps more,
	// such as what was applied before a failure); noLog writes none.
	log   string
	noLog bool
	// failed counts the outcome in Report.Failed.
	failed bool
	// once says what a record that already says this does (see repeat).
	once repeat
}

// repeat is what note does when the reference's record already says what
// an entry says. The check is made in dry runs too: a dry run reports what
// a real run would do.
type repeat int

const (
	// always writes the record and the log line every time.
	always repeat = iota
	// onceSilent: a record with this status and message, resolved or not,
	// is left alone: no write, no log line, no report outcome (a flag
	// raised once, such as twins or a merged-away order).
	onceSilent
	// onceQuiet: an unresolved record with this status and message is left
	// alone; the report still shows the outcome (an order filtered out on
	// every run, an export in doubt looked for on every run).
	onceQuiet
	// onceRecount: an unresolved record with this status and message is
	// written again, counting the attempt, but not logged again (a failure
	// retried on every run, a look that may settle after maxLooks).
	onceRecount
)

// level is the log level of a record status: errors are errors, warnings
// and pending outcomes warnings, the rest information.
func (s entry) level() string {
	switch s.status {
	case store.RecordError:
		return store.LevelError
	case store.RecordWarning, store.RecordPending:
		return store.LevelWarning
	default:
		return store.LevelInfo
	}
}

// note writes a reference's outcome: the failure count, the report's
// outcome, the record (not in a dry run) and the log line, with en.once
// deciding what an unchanged record gets. It reports whether anything was
// written (false when the record already said so).
func (r *run) note(ctx context.Context, en entry) bool {
	if en.failed {
		r.rep.Failed++
	}
	same := false
	if en.once != always {
		same = r.says(ctx, en.process, en.ref, en.status, en.msg, en.once == onceSilent)
	}
	switch {
	case same && en.once == onceSilent:
		return false
	case same && en.once == onceQuiet:
		r.outcome(Outcome{Process: en.process, Reference: en.ref, Status: en.status, Message: r.e.scrub(en.msg), VeeqoOrderID: en.veeqoID})
		return false
	}
	r.record(ctx, en.process, en.ref, en.status, en.msg, en.veeqoID)
	if en.noLog || same {
		return true
	}
	line := en.msg
	if en.log != "" {
		line = en.log
	}
	r.logEntry(ctx, en.level(), en.process, en.ref, line)
	return true
}

// says reports whether the reference's record has this status and
// (scrubbed) message and, unless resolvedToo, is not resolved.
func (r *run) says(ctx context.Context, process, ref string, status store.RecordStatus, msg string, resolvedToo bool) bool {
	rec, err := r.e.cfg.Store.GetRecord(ctx, r.e.cfg.Account, process, ref)
	return err == nil && (resolvedToo || !rec.Resolved) && rec.Status == status && rec.Message == r.e.scrub(msg)
}

// failRef records an error outcome of a reference: it counts in
// Report.Failed, becomes the reference's error record, and is logged (and
// notified) as an error.
func (r *run) failRef(ctx context.Context, process, ref, msg string, veeqoID int64) {
	r.note(ctx, entry{process: process, ref: ref, status: store.RecordError, msg: msg, veeqoID: veeqoID, failed: true})
}

// newEntry makes a log entry of the run (scrubbed, a warning counted); it
// is written by logEntry or with another write (CompleteShipment).
func (r *run) newEntry(level, process, ref, msg string) store.LogEntry {
	e := r.e
	if level == store.LevelWarning {
		r.rep.Warnings++
	}
	return store.LogEntry{Time: e.clock(), Account: e.cfg.Account, RunID: r.id, Process: process, Level: level, Reference: ref, Message: e.scrub(msg)}
}

// logEntry appends a log entry and notifies errors and warnings with its Seq.
func (r *run) logEntry(ctx context.Context, level, process, ref, msg string) {
	e := r.e
	if r.opts.DryRun {
		if level == store.LevelWarning {
			r.rep.Warnings++
		}
		return
	}
	entry := r.newEntry(level, process, ref, msg)
	got, err := e.cfg.Store.AppendLogs(context.WithoutCancel(ctx), entry)
	if err != nil {
		e.log.Warn("vsync: append log", "err", err)
	} else if len(got) == 1 {
		entry = got[0]
	}
	r.notify(ctx, entry)
}

func (r *run) notify(ctx context.Context, entry store.LogEntry) {
	e := r.e
	if e.cfg.Notifier == nil || (entry.Level != store.LevelError && entry.Level != store.LevelWarning) {
		return
	}
	ev := notify.Event{Seq: entry.Seq, Account: entry.Account, RunID: entry.RunID, Process: entry.Process,
		Level: notify.Level(entry.Level), Reference: entry.Reference, Message: entry.Message, Time: entry.Time}
	func() {
		defer func() {
			if p := recover(); p != nil {
				e.log.Warn("vsync: notifier panicked", "panic", fmt.Sprint(p))
			}
		}()
		if err := e.cfg.Notifier.Notify(context.WithoutCancel(ctx), ev); err != nil {
			e.log.Warn("vsync: notifier failed", "err", err)
		}
	}()
}

// record writes the operations record of a reference and notes the outcome
// in the report.
func (r *run) record(ctx context.Context, process, ref string, status store.RecordStatus, msg string, veeqoID int64) {
	u := r.recordUpdate(process, ref, status, msg, veeqoID)
	if r.opts.DryRun {
		return
	}
	if _, err := r.e.cfg.Store.UpsertRecord(context.WithoutCancel(ctx), u); err != nil {
		r.e.log.Warn("vsync: upsert record", "ref", ref, "err", err)
	}
}

// recordUpdate notes a reference's outcome in the report and returns the
// record write for it, written by record or with another write
// (CompleteShipment).
func (r *run) recordUpdate(process, ref string, status store.RecordStatus, msg string, veeqoID int64) store.RecordUpdate {
	e := r.e
	msg = e.scrub(msg)
	r.outcome(Outcome{Process: process, Reference: ref, Status: status, Message: msg, VeeqoOrderID: veeqoID})
	return store.RecordUpdate{Account: e.cfg.Account, Process: process, Reference: ref,
		Status: status, Message: msg, VeeqoOrderID: veeqoID, RunID: r.id, At: e.clock(), CountAttempt: true}
}

// outcome notes an outcome in the report only (the record was written in a
// transaction elsewhere).
func (r *run) outcome(o Outcome) {
	key := o.Process + "\x00" + o.Reference
	if i, ok := r.outIdx[key]; ok {
		r.rep.Outcomes[i] = o
		return
	}
	if len(r.rep.Outcomes) >= r.e.cfg.ReportOutcomes {
		// Full: a success gives way to anything else, the oldest first.
		i := -1
		if o.Status != store.RecordSuccess {
			i = slices.IndexFunc(r.rep.Outcomes, func(x Outcome) bool { return x.Status == store.RecordSuccess })
		}
		r.rep.OutcomesOmitted++
		if i < 0 {
			return
		}
		delete(r.outIdx, r.rep.Outcomes[i].Process+"\x00"+r.rep.Outcomes[i].Reference)
		r.rep.Outcomes = slices.Delete(r.rep.Outcomes, i, i+1)
		for j := i; j < len(r.rep.Outcomes); j++ {
			r.outIdx[r.rep.Outcomes[j].Process+"\x00"+r.rep.Outcomes[j].Reference] = j
		}
	}
	r.outIdx[key] = len(r.rep.Outcomes)
	r.rep.Outcomes = append(r.rep.Outcomes, o)
}

// joinWarnings formats warnings for a record message.
func joinWarnings(ws []string) string {
	return strings.Join(slices.Compact(ws), "; ")
}
