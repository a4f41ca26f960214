package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xoroerp/veeqoconnect/store"
)

const exportCols = `account, erp_ref, number, state, veeqo_order_id, attempts, lines, last_error, completed, exported_at, created_at, updated_at, version`

// defaultExportLimit is ListExports' page size when the query gives none.
const defaultExportLimit = 500

func scanExport(row scanner) (store.Export, error) {
	var e store.Export
	var state string
	var lines []byte
	if err := row.Scan(&e.Account, &e.ERPRef, &e.Number, &state, &e.VeeqoOrderID, &e.Attempts, &lines,
		&e.LastError, &e.Completed, nt(&e.ExportedAt), nt(&e.CreatedAt), nt(&e.UpdatedAt), &e.Version); err != nil {
		return store.Export{}, err
	}
	e.State = store.ExportState(state)
	if err := json.Unmarshal(lines, &e.Lines); err != nil {
		return store.Export{}, fmt.Errorf("decode lines of %q: %w", e.ERPRef, err)
	}
	return e, nil
}

func validExportState(st store.ExportState) bool {
	switch st {
	case store.ExportClaimed, store.ExportUnknown, store.ExportExported, store.ExportFailed:
		return true
	}
	return false
}

// exportArgs validates e and returns its encoded lines and exported-at
// stamp (now when the export is exported and the caller left it zero).
func exportArgs(op string, e store.Export, now time.Time) (lines []byte, exportedAt any, err error) {
	if err := required(op, "Account", e.Account, "ERPRef", e.ERPRef); err != nil {
		return nil, nil, err
	}
	if !validExportState(e.State) {
		return nil, nil, fmt.Errorf("pgstore: %s %q: unknown State %q", op, e.ERPRef, e.State)
	}
	if e.Attempts < 0 {
		return nil, nil, fmt.Errorf("pgstore: %s %q: Attempts %d is negative", op, e.ERPRef, e.Attempts)
	}
	lines, err = json.Marshal(e.Lines)
	if err != nil {
		return nil, nil, fmt.Errorf("pgstore: %s %q: encode lines: %w", op, e.ERPRef, err)
	}
	exportedAt = tsArg(e.ExportedAt)
	if exportedAt == nil && e.State == store.ExportExported {
		exportedAt = now
	}
	return lines, exportedAt, nil
}

// ClaimExport inserts e (its Version ignored; an empty State is claimed)
// unless an export for (e.Account, e.ERPRef) exists. It returns the stored
// export and true when it inserted, or the existing export and false. The
// primary key decides: of N concurrent claims, on any machine, exactly one
// inserts.
func (s *Store) ClaimExport(ctx context.Context, e store.Export) (store.Export, bool, error) {
	if e.State == "" {
		e.State = store.ExportClaimed
	}
	now := s.now()
	lines, exportedAt, err := exportArgs("ClaimExport", e, now)
	if err != nil {
		return store.Export{}, false, err
	}
	// The read-back after a lost insert can find nothing if the winner's
	// account was removed in between; then the insert is tried again.
	for range 3 {
		got, err := scanExport(s.pool.QueryRow(ctx, s.q(`INSERT INTO {s}.exports (`+exportCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 1)
			ON CONFLICT (account, erp_ref) DO NOTHING
			RETURNING `+exportCols),
			e.Account, e.ERPRef, e.Number, string(e.State), e.VeeqoOrderID, e.Attempts, lines,
			e.LastError, e.Completed, exportedAt, now))
		if err == nil {
			return got, true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return store.Export{}, false, fmt.Errorf("pgstore: ClaimExport %q: %w", e.ERPRef, err)
		}
		got, err = s.getExport(ctx, s.pool, e.Account, e.ERPRef)
		if err == nil {
			return got, false, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return store.Export{}, false, fmt.Errorf("pgstore: ClaimExport %q: %w", e.ERPRef, err)
		}
	}
	return store.Export{}, false, fmt.Errorf("pgstore: ClaimExport %q: the existing export vanished three times: %w", e.ERPRef, store.ErrConflict)
}

func (s *Store) getExport(ctx context.Context, q querier, account, ref string) (store.Export, error) {
	return scanExport(q.QueryRow(ctx, s.q(`SELECT `+exportCols+` FROM {s}.exports WHERE account = $1 AND erp_ref = $2`), account, ref))
}

// UpdateExport writes e if e.Version equals the stored version (ErrConflict
// otherwise, ErrNotFound if absent) and returns it with the new version.
func (s *Store) UpdateExport(ctx context.Context, e store.Export) (store.Export, error) {
	return s.updateExport(ctx, s.pool, "UpdateExport", e)
}

func (s *Store) updateExport(ctx context.Context, q querier, op string, e store.Export) (store.Export, error) {
	sql, args, err := s.updateExportSQL(op, e)
	if err != nil {
		return store.Export{}, err
	}
	got, err := scanExport(q.QueryRow(ctx, sql, args...))
	return s.updateExportResult(ctx, op, e, got, err)
}

// updateExportSQL validates e and returns the compare-and-set statement of
// UpdateExport, returning the export.
func (s *Store) updateExportSQL(op string, e store.Export) (string, []any, error) {
	now := s.now()
	lines, exportedAt, err := exportArgs(op, e, now)
	if err != nil {
		return "", nil, err
	}
	return s.q(`UPDATE {s}.exports
		SET number = $4, state = $5, veeqo_order_id = $6, attempts = $7, lines = $8, last_error = $9,
			completed = $10, exported_at = $11, updated_at = $12, version = version + 1
		WHERE account = $1 AND erp_ref = $2 AND version = $3
		RETURNING ` + exportCols),
		[]any{e.Account, e.ERPRef, e.Version, e.Number, string(e.State), e.VeeqoOrderID, e.Attempts, lines,
			e.LastError, e.Completed, exportedAt, now}, nil
}

// updateExportResult turns the outcome of updateExportSQL into the
// export or the error: no row is ErrConflict, or ErrNotFound when the
// export is absent.
func (s *Store) updateExportResult(ctx context.Context, op string, e store.Export, got store.Export, err error) (store.Export, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Export{}, s.missOrConflict(ctx, op, `SELECT 1 FROM {s}.exports WHERE account = $1 AND erp_ref = $2`,
			fmt.Sprintf("export %q/%q version %d", e.Account, e.ERPRef, e.Version), e.Account, e.ERPRef)
	}
	if err != nil {
		return store.Export{}, fmt.Errorf("pgstore: %s %q: %w", op, e.ERPRef, err)
	}
	return got, nil
}

// CompleteExport does UpdateExport, UpsertRecord and AppendLogs in one
// transaction: the Veeqo id, the operations record and the log land together
// or not at all. An r with neither Process nor Reference writes no record;
// an r without Account takes e's.
func (s *Store) CompleteExport(ctx context.Context, e store.Export, r store.RecordUpdate, logs ...store.LogEntry) (store.Export, []store.LogEntry, error) {
	writeRecord := r.Process != "" || r.Reference != ""
	if writeRecord && r.Account == "" {
		r.Account = e.Account
	}
	b, err := s.completeExportBatch(e, r, writeRecord, logs)
	if err != nil {
		return store.Export{}, nil, err
	}
	var (
		out      store.Export
		appended []store.LogEntry
	)
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		br := tx.SendBatch(ctx, b)
		defer br.Close()
		got, err := scanExport(br.QueryRow())
		if err != nil {
			_ = br.Close()
			_, err = s.updateExportResult(ctx, "CompleteExport", e, got, err)
			return err
		}
		if writeRecord {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("pgstore: CompleteExport %q: record: %w", e.ERPRef, err)
			}
		}
		if len(logs) > 0 {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("pgstore: CompleteExport %q: lock the log: %w", e.ERPRef, err)
			}
			var err error
			if appended, err = appendedLogs(br.Query()); err != nil {
				return fmt.Errorf("pgstore: CompleteExport %q: logs: %w", e.ERPRef, err)
			}
			if len(appended) != len(logs) {
				return fmt.Errorf("pgstore: CompleteExport %q: inserted %d log entries of %d", e.ERPRef, len(appended), len(logs))
			}
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("pgstore: CompleteExport %q: %w", e.ERPRef, err)
		}
		out = got
		return nil
	})
	if err != nil {
		return store.Export{}, nil, err
	}
	return out, appended, nil
}

// completeExportBatch checks CompleteExport's writes and queues them: one
// round trip for the writes, pipelined in the transaction, which commits
// only if every one of them succeeded.
func (s *Store) completeExportBatch(e store.Export, r store.RecordUpdate, writeRecord bool, logs []store.LogEntry) (*pgx.Batch, error) {
	if writeRecord {
		if err := validRecordUpdate("CompleteExport", r); err != nil {
			return nil, err
		}
	}
	if err := validLogs("CompleteExport", logs); err != nil {
		return nil, err
	}
	exportSQL, exportSQLArgs, err := s.updateExportSQL("CompleteExport", e)
	if err != nil {
		return nil, err
	}
	b := &pgx.Batch{}
	b.Queue(exportSQL, exportSQLArgs...)
	if writeRecord {
		sql, args := s.upsertRecordSQL(r)
		b.Queue(sql, args...)
	}
	if len(logs) > 0 {
		b.Queue(lockSQL, s.logLockKey)
		sql, args := s.appendLogsSQL(logs)
		b.Queue(sql, args...)
	}
	return b, nil
}

// GetExport returns the export of an ERP order. ErrNotFound.
func (s *Store) GetExport(ctx context.Context, account, erpRef string) (store.Export, error) {
	e, err := s.getExport(ctx, s.pool, account, erpRef)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Export{}, fmt.Errorf("pgstore: export %q/%q: %w", account, erpRef, store.ErrNotFound)
	}
	if err != nil {
		return store.Export{}, fmt.Errorf("pgstore: GetExport %q/%q: %w", account, erpRef, err)
	}
	return e, nil
}

// ExportByVeeqoID returns the export linked to a Veeqo order (the most
// recently updated, should two be linked to it). ErrNotFound.
func (s *Store) ExportByVeeqoID(ctx context.Context, account string, veeqoOrderID int64) (store.Export, error) {
	if veeqoOrderID == 0 {
		return store.Export{}, fmt.Errorf("pgstore: export of Veeqo order 0 in %q: %w", account, store.ErrNotFound)
	}
	e, err := scanExport(s.pool.QueryRow(ctx, s.q(`SELECT `+exportCols+` FROM {s}.exports
		WHERE account = $1 AND veeqo_order_id = $2 ORDER BY updated_at DESC, erp_ref LIMIT 1`), account, veeqoOrderID))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Export{}, fmt.Errorf("pgstore: export of Veeqo order %d in %q: %w", veeqoOrderID, account, store.ErrNotFound)
	}
	if err != nil {
		return store.Export{}, fmt.Errorf("pgstore: ExportByVeeqoID %d: %w", veeqoOrderID, err)
	}
	return e, nil
}

// ListExports returns exports matching q, ordered by ERPRef. A zero Limit
// is 500.
func (s *Store) ListExports(ctx context.Context, q store.ExportQuery) ([]store.Export, error) {
	if err := required("ListExports", "Account", q.Account); err != nil {
		return nil, err
	}
	n, err := limit("pgstore: ListExports", q.Limit, defaultExportLimit, 0)
	if err != nil {
		return nil, err
	}
	var w where
	w.add("account = ?", q.Account)
	if len(q.States) > 0 {
		w.add("state = ANY(?)", stringsOf(q.States))
	}
	if q.Completed != nil {
		w.add("completed = ?", *q.Completed)
	}
	if !q.ExportedBefore.IsZero() {
		w.add("exported_at < ?", tsArg(q.ExportedBefore))
	}
	if q.Number != "" {
		w.add("number = ?", q.Number)
	}
	if len(q.Refs) > 0 {
		w.add("erp_ref = ANY(?)", q.Refs)
	}
	if len(q.VeeqoOrderIDs) > 0 {
		ids := store.Linked(q.VeeqoOrderIDs)
		if len(ids) == 0 {
			return nil, nil // 0 links nothing
		}
		w.add("veeqo_order_id = ANY(?)", ids)
	}
	if q.AfterRef != "" {
		w.add("erp_ref > ?", q.AfterRef)
	}
	sql := `SELECT ` + exportCols + ` FROM {s}.exports WHERE ` + w.sql() + ` ORDER BY erp_ref LIMIT ` + fmt.Sprint(n)
	rows, err := s.pool.Query(ctx, s.q(sql), w.args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: ListExports: %w", err)
	}
	out, err := collect(rows, scanExport)
	if err != nil {
		return nil, fmt.Errorf("pgstore: ListExports: %w", err)
	}
	return out, nil
}
