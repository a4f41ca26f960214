package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xoroerp/veeqoconnect/store"
)

const recordCols = `account, process, reference, status, message, attempts, veeqo_order_id, last_run_id, last_run_at,
	resolved, resolved_by, resolution_note, resolved_at, created_at, updated_at`

// Record query page sizes.
const (
	defaultRecordLimit = 50
	maxRecordLimit     = 1000
)

func scanRecord(row scanner) (store.Record, error) {
	var r store.Record
	var status string
	if err := row.Scan(&r.Account, &r.Process, &r.Reference, &status, &r.Message, &r.Attempts, &r.VeeqoOrderID,
		&r.LastRunID, nt(&r.LastRunAt), &r.Resolved, &r.ResolvedBy, &r.ResolutionNote, nt(&r.ResolvedAt),
		nt(&r.CreatedAt), nt(&r.UpdatedAt)); err != nil {
		return store.Record{}, err
	}
	r.Status = store.RecordStatus(status)
	return r, nil
}

func validRecordStatus(st store.RecordStatus) bool {
	switch st {
	case store.RecordPending, store.RecordSuccess, store.RecordWarning, store.RecordError, store.RecordSkipped:
		return true
	}
	return false
}

func validRecordUpdate(op string, u store.RecordUpdate) error {
	if err := required(op, "record Account", u.Account, "record Process", u.Process, "record Reference", u.Reference); err != nil {
		return err
	}
	if !validRecordStatus(u.Status) {
		return fmt.Errorf("pgstore: %s: record %q: unknown Status %q", op, u.Reference, u.Status)
	}
	return nil
}

// UpsertRecord creates or updates the record of (Account, Process,
// Reference) with u: Status, Message, LastRunID, LastRunAt = u.At (now when
// zero), the Veeqo id when non-zero; Attempts+1 when u.CountAttempt. An
// error or warning status reopens a resolved record: Resolved = false, and
// ResolvedBy, ResolutionNote and ResolvedAt are cleared as SetResolved(false)
// does.
func (s *Store) UpsertRecord(ctx context.Context, u store.RecordUpdate) (store.Record, error) {
	if err := validRecordUpdate("UpsertRecord", u); err != nil {
		return store.Record{}, err
	}
	r, err := s.upsertRecord(ctx, s.pool, u)
	if err != nil {
		return store.Record{}, fmt.Errorf("pgstore: UpsertRecord %q/%q: %w", u.Process, u.Reference, err)
	}
	return r, nil
}

func (s *Store) upsertRecord(ctx context.Context, q querier, u store.RecordUpdate) (store.Record, error) {
	sql, args := s.upsertRecordSQL(u)
	return scanRecord(q.QueryRow(ctx, sql, args...))
}

// upsertRecordSQL is the statement of UpsertRecord, returning the record.
func (s *Store) upsertRecordSQL(u store.RecordUpdate) (string, []any) {
	now := s.now()
	at := now
	if !u.At.IsZero() {
		at = u.At.UTC().Truncate(time.Microsecond)
	}
	attempts := 0
	if u.CountAttempt {
		attempts = 1
	}
	return s.q(`INSERT INTO {s}.records AS r (` + recordCols + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, false, '', '', NULL, $10, $10)
		ON CONFLICT (account, process, reference) DO UPDATE SET
			status          = excluded.status,
			message         = excluded.message,
			attempts        = r.attempts + excluded.attempts,
			veeqo_order_id  = CASE WHEN excluded.veeqo_order_id <> 0 THEN excluded.veeqo_order_id ELSE r.veeqo_order_id END,
			last_run_id     = excluded.last_run_id,
			last_run_at     = excluded.last_run_at,
			resolved        = CASE WHEN excluded.status IN ('error', 'warning') THEN false ELSE r.resolved END,
			resolved_by     = CASE WHEN excluded.status IN ('error', 'warning') THEN '' ELSE r.resolved_by END,
			resolution_note = CASE WHEN excluded.status IN ('error', 'warning') THEN '' ELSE r.resolution_note END,
			resolved_at     = CASE WHEN excluded.status IN ('error', 'warning') THEN NULL ELSE r.resolved_at END,
			updated_at      = excluded.updated_at
		RETURNING ` + recordCols),
		[]any{u.Account, u.Process, u.Reference, string(u.Status), u.Message, attempts, u.VeeqoOrderID, u.RunID, at, now}
}

// GetRecord returns one record. ErrNotFound.
func (s *Store) GetRecord(ctx context.Context, account, process, reference string) (store.Record, error) {
	r, err := scanRecord(s.pool.QueryRow(ctx, s.q(`SELECT `+recordCols+` FROM {s}.records
		WHERE account = $1 AND process = $2 AND reference = $3`), account, process, reference))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, fmt.Errorf("pgstore: record %q/%q/%q: %w", account, process, reference, store.ErrNotFound)
	}
	if err != nil {
		return store.Record{}, fmt.Errorf("pgstore: GetRecord %q/%q: %w", process, reference, err)
	}
	return r, nil
}

// GetRecords returns the records of process with the given references
// that exist, in one statement.
func (s *Store) GetRecords(ctx context.Context, account, process string, references []string) ([]store.Record, error) {
	if references == nil {
		references = []string{}
	}
	rows, err := s.pool.Query(ctx, s.q(`SELECT `+recordCols+` FROM {s}.records
		WHERE account = $1 AND process = $2 AND reference = ANY($3) ORDER BY reference`), account, process, references)
	if err != nil {
		return nil, fmt.Errorf("pgstore: GetRecords %q: %w", process, err)
	}
	out, err := collect(rows, scanRecord)
	if err != nil {
		return nil, fmt.Errorf("pgstore: GetRecords %q: %w", process, err)
	}
	return out, nil
}

// SetResolved marks a record resolved (by, note, at; at zero is now) or
// unresolved (clearing by, note and time). ErrNotFound.
func (s *Store) SetResolved(ctx context.Context, account, process, reference string, resolved bool, by, note string, at time.Time) (store.Record, error) {
	now := s.now()
	var resolvedAt any
	if resolved {
		resolvedAt = tsArg(at)
		if resolvedAt == nil {
			resolvedAt = now
		}
	} else {
		by, note = "", ""
	}
	r, err := scanRecord(s.pool.QueryRow(ctx, s.q(`UPDATE {s}.records
		SET resolved = $4, resolved_by = $5, resolution_note = $6, resolved_at = $7, updated_at = $8
		WHERE account = $1 AND process = $2 AND reference = $3
		RETURNING `+recordCols),
		account, process, reference, resolved, by, note, resolvedAt, now))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, fmt.Errorf("pgstore: record %q/%q/%q: %w", account, process, reference, store.ErrNotFound)
	}
	if err != nil {
		return store.Record{}, fmt.Errorf("pgstore: SetResolved %q/%q: %w", process, reference, err)
	}
	return r, nil
}

// recordWhere builds the filter of q (its After and Limit aside).
func recordWhere(op string, q store.RecordQuery) (where, error) {
	var w where
	if err := required(op, "Account", q.Account); err != nil {
		return w, err
	}
	w.add("account = ?", q.Account)
	if q.Process != "" {
		w.add("process = ?", q.Process)
	}
	if len(q.Statuses) > 0 {
		w.add("status = ANY(?)", stringsOf(q.Statuses))
	}
	if q.HideResolved {
		w.add("NOT resolved")
	}
	if q.ErrorsOnly {
		w.add("status IN ('error', 'warning')")
	}
	if q.Search != "" {
		w.add("("+containsCI("reference")+" OR "+containsCI("message")+")", q.Search, q.Search)
	}
	if !q.From.IsZero() {
		w.add("last_run_at >= ?", tsArg(q.From))
	}
	if !q.To.IsZero() {
		w.add("last_run_at < ?", tsArg(q.To))
	}
	return w, nil
}

// recordCursor is the position after the last record of a page.
type recordCursor struct {
	At        time.Time `json:"t"`
	Process   string    `json:"p"`
	Reference string    `json:"r"`
}

// QueryRecords returns one page of the records q selects, most recently run
// first (LastRunAt descending, then Process and Reference). Paging is by
// keyset, so records written between pages neither repeat nor shift others.
func (s *Store) QueryRecords(ctx context.Context, q store.RecordQuery) (store.RecordPage, error) {
	w, err := recordWhere("QueryRecords", q)
	if err != nil {
		return store.RecordPage{}, err
	}
	n, err := limit("pgstore: QueryRecords", q.Limit, defaultRecordLimit, maxRecordLimit)
	if err != nil {
		return store.RecordPage{}, err
	}
	if q.After != "" {
		var c recordCursor
		if err := decodeCursor("QueryRecords", q.After, &c); err != nil {
			return store.RecordPage{}, err
		}
		w.add("(last_run_at < ? OR (last_run_at = ? AND (process, reference) > (?, ?)))",
			c.At, c.At, c.Process, c.Reference)
	}
	rows, err := s.pool.Query(ctx, s.q(`SELECT `+recordCols+` FROM {s}.records WHERE `+w.sql()+
		` ORDER BY last_run_at DESC, process, reference LIMIT `+fmt.Sprint(n+1)), w.args...)
	if err != nil {
		return store.RecordPage{}, fmt.Errorf("pgstore: QueryRecords: %w", err)
	}
	recs, err := collect(rows, scanRecord)
	if err != nil {
		return store.RecordPage{}, fmt.Errorf("pgstore: QueryRecords: %w", err)
	}
	page := store.RecordPage{Records: recs}
	if len(recs) > n {
		page.Records = recs[:n]
		last := page.Records[n-1]
		page.Next = store.EncodeCursor(recordCursor{At: last.LastRunAt, Process: last.Process, Reference: last.Reference})
	}
	return page, nil
}

// CountRecords counts the records q selects (its After and Limit ignored).
// ByStatus holds the statuses present.
func (s *Store) CountRecords(ctx context.Context, q store.RecordQuery) (store.RecordCounts, error) {
	w, err := recordWhere("CountRecords", q)
	if err != nil {
		return store.RecordCounts{}, err
	}
	rows, err := s.pool.Query(ctx, s.q(`SELECT status, count(*), count(*) FILTER (WHERE NOT resolved)
		FROM {s}.records WHERE `+w.sql()+` GROUP BY status`), w.args...)
	if err != nil {
		return store.RecordCounts{}, fmt.Errorf("pgstore: CountRecords: %w", err)
	}
	defer rows.Close()
	c := store.RecordCounts{ByStatus: map[store.RecordStatus]int{}}
	for rows.Next() {
		var status string
		var total, unresolved int
		if err := rows.Scan(&status, &total, &unresolved); err != nil {
			return store.RecordCounts{}, fmt.Errorf("pgstore: CountRecords: %w", err)
		}
		c.Total += total
		c.Unresolved += unresolved
		c.ByStatus[store.RecordStatus(status)] = total
	}
	if err := rows.Err(); err != nil {
		return store.RecordCounts{}, fmt.Errorf("pgstore: CountRecords: %w", err)
	}
	return c, nil
}
