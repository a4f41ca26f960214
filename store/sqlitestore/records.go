package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

const recordCols = `account, process, reference, status, message, attempts, veeqo_order_id, last_run_id, last_run_at,
	resolved, resolved_by, resolution_note, resolved_at, created_at, updated_at`

// qRecordUpsert creates or updates a record in one statement. An error or
// warning reopens a resolved record and clears who resolved it, as
// SetResolved(false) does.
const (
	qRecordUpsertExec = `INSERT INTO records (account, process, reference, status, message, attempts, veeqo_order_id,
	last_run_id, last_run_at, resolved, resolved_by, resolution_note, resolved_at, created_at, updated_at,
	reference_fold, message_fold)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', '', NULL, ?, ?, ?, ?)
ON CONFLICT (account, process, reference) DO UPDATE SET
	status          = excluded.status,
	message         = excluded.message,
	message_fold    = excluded.message_fold,
	attempts        = records.attempts + excluded.attempts,
	veeqo_order_id  = CASE WHEN excluded.veeqo_order_id <> 0 THEN excluded.veeqo_order_id ELSE records.veeqo_order_id END,
	last_run_id     = excluded.last_run_id,
	last_run_at     = excluded.last_run_at,
	resolved        = CASE WHEN excluded.status IN ('error', 'warning') THEN 0 ELSE records.resolved END,
	resolved_by     = CASE WHEN excluded.status IN ('error', 'warning') THEN '' ELSE records.resolved_by END,
	resolution_note = CASE WHEN excluded.status IN ('error', 'warning') THEN '' ELSE records.resolution_note END,
	resolved_at     = CASE WHEN excluded.status IN ('error', 'warning') THEN NULL ELSE records.resolved_at END,
	updated_at      = excluded.updated_at`
	qRecordUpsert = qRecordUpsertExec + `
RETURNING ` + recordCols
	qRecordGet = `SELECT ` + recordCols + ` FROM records WHERE account = ? AND process = ? AND reference = ?`
	// qRecordGetMany is GetRecords: the references come as a JSON array.
	qRecordGetMany = `SELECT ` + recordCols + ` FROM records
WHERE account = ? AND process = ? AND reference IN (SELECT value FROM json_each(?)) ORDER BY reference`
	qRecordSetResolved = `UPDATE records SET resolved = ?, resolved_by = ?, resolution_note = ?, resolved_at = ?, updated_at = ?
WHERE account = ? AND process = ? AND reference = ?
RETURNING ` + recordCols
)

// Record page sizes.
const (
	defaultRecordLimit = 50
	maxRecordLimit     = 1000
)

func validRecordStatus(st store.RecordStatus) bool {
	switch st {
	case store.RecordPending, store.RecordSuccess, store.RecordWarning, store.RecordError, store.RecordSkipped:
		return true
	}
	return false
}

// recordArgs validates u (stamping At now when zero) and returns the
// upsert's arguments.
func recordArgs(u *store.RecordUpdate, now time.Time) ([]any, error) {
	switch {
	case u.Account == "":
		return nil, invalid("record: Account is empty")
	case u.Process == "":
		return nil, invalid("record %q of account %q: Process is empty", u.Reference, u.Account)
	case u.Reference == "":
		return nil, invalid("record of account %q, process %q: Reference is empty", u.Account, u.Process)
	case !validRecordStatus(u.Status):
		return nil, invalid("record %q: Status %q is not pending, success, warning, error or skipped", u.Reference, u.Status)
	case u.VeeqoOrderID < 0:
		return nil, invalid("record %q: VeeqoOrderID %d is negative", u.Reference, u.VeeqoOrderID)
	}
	if err := checkTime("record "+u.Reference+": At", u.At); err != nil {
		return nil, err
	}
	if u.At.IsZero() {
		u.At = now
	}
	attempts := 0
	if u.CountAttempt {
		attempts = 1
	}
	return []any{u.Account, u.Process, u.Reference, string(u.Status), u.Message, attempts, u.VeeqoOrderID,
		u.RunID, u.At.UnixNano(), now.UnixNano(), now.UnixNano(), fold(u.Reference), fold(u.Message)}, nil
}

func scanRecord(sc scanner) (store.Record, error) {
	var (
		r        store.Record
		status   string
		resolved int64
	)
	err := sc.Scan(&r.Account, &r.Process, &r.Reference, &status, &r.Message, &r.Attempts, &r.VeeqoOrderID,
		&r.LastRunID, timeCol{&r.LastRunAt}, &resolved, &r.ResolvedBy, &r.ResolutionNote, timeCol{&r.ResolvedAt},
		timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt})
	r.Status = store.RecordStatus(status)
	r.Resolved = resolved != 0
	return r, err
}

func (s *Store) upsertRecord(ctx context.Context, tx *sql.Tx, args []any) (store.Record, error) {
	return scanRecord(s.txQueryRow(ctx, tx, qRecordUpsert, args...))
}

// UpsertRecord creates or updates the record of (Account, Process,
// Reference) with u: Status, Message, LastRunID, LastRunAt = u.At (now when
// zero), the Veeqo id when non-zero; Attempts+1 when u.CountAttempt. An error
// or warning status reopens a resolved record (Resolved = false, and
// ResolvedBy, ResolutionNote and ResolvedAt cleared).
func (s *Store) UpsertRecord(ctx context.Context, u store.RecordUpdate) (store.Record, error) {
	const op = "UpsertRecord"
	args, err := recordArgs(&u, s.clock())
	if err != nil {
		return store.Record{}, wrap(op, err)
	}
	var out store.Record
	err = s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, err = s.upsertRecord(ctx, tx, args)
		return err
	})
	if err != nil {
		return store.Record{}, wrap(op, err)
	}
	return out, nil
}

// GetRecord returns one record. store.ErrNotFound.
func (s *Store) GetRecord(ctx context.Context, account, process, reference string) (store.Record, error) {
	var out store.Record
	err := s.readRow(ctx, func(r *sql.Row) error {
		var err error
		out, err = scanRecord(r)
		return err
	}, qRecordGet, account, process, reference)
	if isNoRows(err) {
		err = fmt.Errorf("record %q/%q of account %q: %w", process, reference, account, store.ErrNotFound)
	}
	if err != nil {
		return store.Record{}, wrap("GetRecord", err)
	}
	return out, nil
}

// GetRecords returns the records of process with the given references
// that exist, in one statement.
func (s *Store) GetRecords(ctx context.Context, account, process string, references []string) ([]store.Record, error) {
	refs, err := json.Marshal(append([]string{}, references...))
	if err != nil {
		return nil, wrap("GetRecords", err)
	}
	var out []store.Record
	err = s.readRows(ctx, func() { out = nil }, func(r *sql.Rows) error {
		rec, err := scanRecord(r)
		if err == nil {
			out = append(out, rec)
		}
		return err
	}, qRecordGetMany, account, process, string(refs))
	if err != nil {
		return nil, wrap("GetRecords", err)
	}
	return out, nil
}

// SetResolved marks a record resolved (by, note, at; at zero means now) or
// unresolved (clearing by, note and time). store.ErrNotFound.
func (s *Store) SetResolved(ctx context.Context, account, process, reference string, resolved bool, by, note string, at time.Time) (store.Record, error) {
	const op = "SetResolved"
	if err := checkTime("at", at); err != nil {
		return store.Record{}, wrap(op, err)
	}
	now := s.clock()
	var resolvedAt any
	if resolved {
		if at.IsZero() {
			at = now
		}
		resolvedAt = at.UnixNano()
	} else {
		by, note = "", ""
	}
	var out store.Record
	err := s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, err = scanRecord(s.txQueryRow(ctx, tx, qRecordSetResolved,
			boolInt(resolved), by, note, resolvedAt, now.UnixNano(), account, process, reference))
		if isNoRows(err) {
			return fmt.Errorf("record %q/%q of account %q: %w", process, reference, account, store.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return store.Record{}, wrap(op, err)
	}
	return out, nil
}

// recordWhere is the filter of q (its After and Limit aside).
func recordWhere(q store.RecordQuery) (where, error) {
	var w where
	if q.Account == "" {
		return w, invalid("query: Account is empty")
	}
	for _, st := range q.Statuses {
		if !validRecordStatus(st) {
			return w, invalid("query: status %q is not pending, success, warning, error or skipped", st)
		}
	}
	if err := checkTime("query: From", q.From); err != nil {
		return w, err
	}
	if err := checkTime("query: To", q.To); err != nil {
		return w, err
	}
	w.add("account = ?", q.Account)
	if q.Process != "" {
		w.add("process = ?", q.Process)
	}
	in(&w, "status", q.Statuses)
	if q.HideResolved {
		w.add("resolved = 0")
	}
	if q.ErrorsOnly {
		w.add("status IN ('error', 'warning')")
	}
	if q.Search != "" {
		f := fold(q.Search)
		w.add("(instr(reference_fold, ?) > 0 OR instr(message_fold, ?) > 0)", f, f)
	}
	if !q.From.IsZero() {
		w.add("last_run_at >= ?", q.From.UnixNano())
	}
	if !q.To.IsZero() {
		w.add("last_run_at < ?", q.To.UnixNano())
	}
	return w, nil
}

// QueryRecords returns one page of the records q selects, most recently run
// first (LastRunAt descending, then Process and Reference). Next, when not
// empty, is q.After for the following page; paging is by key, so rows
// written meanwhile neither repeat nor shift the pages.
func (s *Store) QueryRecords(ctx context.Context, q store.RecordQuery) (store.RecordPage, error) {
	const op = "QueryRecords"
	w, err := recordWhere(q)
	if err != nil {
		return store.RecordPage{}, wrap(op, err)
	}
	n, err := limit("query: Limit", q.Limit, defaultRecordLimit, maxRecordLimit)
	if err != nil {
		return store.RecordPage{}, wrap(op, err)
	}
	if q.After != "" {
		c, err := decodeCursor("query: After", "records", q.After)
		if err != nil {
			return store.RecordPage{}, wrap(op, err)
		}
		w.add("(last_run_at < ? OR (last_run_at = ? AND (process > ? OR (process = ? AND reference > ?))))",
			c.T, c.T, c.P, c.P, c.R)
	}
	from := ` FROM records`
	if q.Process != "" && len(q.Statuses) > 0 {
		// Without statistics SQLite reads records_by_last_run for the ORDER
		// BY, every record of the account; a process's records in a few
		// states (the engine's retry of failing records) are fewer, read
		// by their index and sorted.
		from += ` INDEXED BY records_by_status`
	}
	query := `SELECT ` + recordCols + from + w.String() +
		` ORDER BY last_run_at DESC, process, reference LIMIT ?`
	var page store.RecordPage
	err = s.readRows(ctx, func() { page.Records = nil }, func(r *sql.Rows) error {
		rec, err := scanRecord(r)
		if err == nil {
			page.Records = append(page.Records, rec)
		}
		return err
	}, query, append(w.args, n+1)...)
	if err != nil {
		return store.RecordPage{}, wrap(op, err)
	}
	if len(page.Records) > n {
		page.Records = page.Records[:n]
		last := page.Records[n-1]
		page.Next = store.EncodeCursor(cursor{Kind: "records", T: tsn(last.LastRunAt), P: last.Process, R: last.Reference})
	}
	return page, nil
}

// CountRecords counts the records q selects (its After and Limit ignored).
func (s *Store) CountRecords(ctx context.Context, q store.RecordQuery) (store.RecordCounts, error) {
	const op = "CountRecords"
	w, err := recordWhere(q)
	if err != nil {
		return store.RecordCounts{}, wrap(op, err)
	}
	query := `SELECT status, COUNT(*), SUM(resolved = 0) FROM records` + w.String() + ` GROUP BY status`
	var c store.RecordCounts
	err = s.readRows(ctx, func() { c = store.RecordCounts{ByStatus: map[store.RecordStatus]int{}} },
		func(r *sql.Rows) error {
			var (
				status            string
				total, unresolved int
			)
			if err := r.Scan(&status, &total, &unresolved); err != nil {
				return err
			}
			c.Total += total
			c.Unresolved += unresolved
			c.ByStatus[store.RecordStatus(status)] = total
			return nil
		}, query, w.args...)
	if err != nil {
		return store.RecordCounts{}, wrap(op, err)
	}
	return c, nil
}
