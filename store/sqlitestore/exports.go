package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

const exportCols = `account, erp_ref, number, state, veeqo_order_id, attempts, lines, last_error, completed, exported_at, created_at, updated_at, version`

const (
	qExportInsert = `INSERT INTO exports (` + exportCols + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
ON CONFLICT (account, erp_ref) DO NOTHING`
	qExportGet    = `SELECT ` + exportCols + ` FROM exports WHERE account = ? AND erp_ref = ?`
	qExportExists = `SELECT 1 FROM exports WHERE account = ? AND erp_ref = ?`
	qExportUpdate = `UPDATE exports
SET number = ?, state = ?, veeqo_order_id = ?, attempts = ?, lines = ?, last_error = ?, completed = ?,
	exported_at = ?, updated_at = ?, version = version + 1
WHERE account = ? AND erp_ref = ? AND version = ?
RETURNING created_at, version`
	// Without statistics SQLite prefers the primary key (a scan of the
	// account's exports) to the partial index; INDEXED BY insists, and
	// "veeqo_order_id <> 0" repeats the index's condition so that it applies
	// to a bound id. The statement is prepared at Open, so an unusable index
	// fails there, not later.
	qExportByVeeqoID = `SELECT ` + exportCols + ` FROM exports INDEXED BY exports_by_veeqo_id
WHERE account = ? AND veeqo_order_id = ? AND veeqo_order_id <> 0 ORDER BY erp_ref LIMIT 1`
)

// defaultExportLimit is ListExports' page size when the query gives none.
const (
	defaultExportLimit = 1000
	maxExportLimit     = 10000
)

func validExportState(st store.ExportState) bool {
	switch st {
	case store.ExportClaimed, store.ExportUnknown, store.ExportExported, store.ExportFailed:
		return true
	}
	return false
}

// exportArgs validates e and returns the values of its mutable columns:
// number, state, veeqo_order_id, attempts, lines, last_error, completed,
// exported_at. An exported export without ExportedAt is stamped now.
func exportArgs(e *store.Export, now time.Time) ([]any, error) {
	switch {
	case e.Account == "":
		return nil, invalid("export: Account is empty")
	case e.ERPRef == "":
		return nil, invalid("export of account %q: ERPRef is empty", e.Account)
	case !validExportState(e.State):
		return nil, invalid("export %q: State %q is not claimed, unknown, exported or failed", e.ERPRef, e.State)
	case e.Attempts < 0:
		return nil, invalid("export %q: Attempts %d is negative", e.ERPRef, e.Attempts)
	case e.VeeqoOrderID < 0:
		return nil, invalid("export %q: VeeqoOrderID %d is negative", e.ERPRef, e.VeeqoOrderID)
	}
	if err := checkTime("export "+e.ERPRef+": ExportedAt", e.ExportedAt); err != nil {
		return nil, err
	}
	if e.State == store.ExportExported && e.ExportedAt.IsZero() {
		e.ExportedAt = now
	}
	lines, err := encodeJSON(e.Lines)
	if err != nil {
		return nil, invalid("export %q: Lines: %v", e.ERPRef, err)
	}
	return []any{e.Number, string(e.State), e.VeeqoOrderID, e.Attempts, lines, e.LastError,
		boolInt(e.Completed), ts(e.ExportedAt)}, nil
}

func scanExport(sc scanner) (store.Export, error) {
	var (
		e         store.Export
		state     string
		lines     []byte
		completed int64
	)
	err := sc.Scan(&e.Account, &e.ERPRef, &e.Number, &state, &e.VeeqoOrderID, &e.Attempts, blobCol{&lines},
		&e.LastError, &completed, timeCol{&e.ExportedAt}, timeCol{&e.CreatedAt}, timeCol{&e.UpdatedAt}, &e.Version)
	if err != nil {
		return store.Export{}, err
	}
	e.State = store.ExportState(state)
	e.Completed = completed != 0
	if lines != nil {
		if err := json.Unmarshal(lines, &e.Lines); err != nil {
			return store.Export{}, fmt.Errorf("export %q: stored lines: %w", e.ERPRef, err)
		}
	}
	return e, nil
}

// ClaimExport inserts e (its Version ignored; an empty State is
// store.ExportClaimed) unless an export for (e.Account, e.ERPRef) exists. It
// returns the stored export and true when it inserted, or the existing
// export and false. The primary key decides: of any number of concurrent
// claims, from any number of processes, exactly one inserts.
func (s *Store) ClaimExport(ctx context.Context, e store.Export) (store.Export, bool, error) {
	const op = "ClaimExport"
	if e.State == "" {
		e.State = store.ExportClaimed
	}
	now := s.clock()
	args, err := exportArgs(&e, now)
	if err != nil {
		return store.Export{}, false, wrap(op, err)
	}
	var (
		out      store.Export
		inserted bool
	)
	err = s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, inserted, err = s.claimExport(ctx, tx, e, args, now)
		return err
	})
	if err != nil {
		return store.Export{}, false, wrap(op, err)
	}
	return out, inserted, nil
}

// claimExport is ClaimExport inside tx: insert-if-absent, then read back
// the row that won.
func (s *Store) claimExport(ctx context.Context, tx *sql.Tx, e store.Export, args []any, now time.Time) (store.Export, bool, error) {
	all := append([]any{e.Account, e.ERPRef}, args...)
	all = append(all, now.UnixNano(), now.UnixNano())
	res, err := s.txExec(ctx, tx, qExportInsert, all...)
	if err != nil {
		return store.Export{}, false, err
	}
	if n, err := affected(res); err != nil {
		return store.Export{}, false, err
	} else if n == 1 {
		// The row is e as written: build it rather than read it back.
		e.CreatedAt, e.UpdatedAt, e.Version = now, now, 1
		return stored(e), true, nil
	}
	out, err := scanExport(s.txQueryRow(ctx, tx, qExportGet, e.Account, e.ERPRef))
	if err != nil {
		return store.Export{}, false, err
	}
	return out, false, nil
}

// stored returns e as a read would: times in UTC, and Lines a copy that does
// not alias the caller's.
func stored(e store.Export) store.Export {
	e.Lines = slices.Clone(e.Lines)
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	if !e.ExportedAt.IsZero() {
		e.ExportedAt = e.ExportedAt.UTC()
	}
	return e
}

// UpdateExport writes e if e.Version equals the stored version
// (store.ErrConflict otherwise, store.ErrNotFound if absent) and returns it
// with the new version. An exported export without ExportedAt is stamped.
func (s *Store) UpdateExport(ctx context.Context, e store.Export) (store.Export, error) {
	const op = "UpdateExport"
	now := s.clock()
	args, err := exportArgs(&e, now)
	if err != nil {
		return store.Export{}, wrap(op, err)
	}
	var out store.Export
	err = s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, err = s.updateExport(ctx, tx, e, args, now)
		return err
	})
	if err != nil {
		return store.Export{}, wrap(op, err)
	}
	return out, nil
}

func (s *Store) updateExport(ctx context.Context, tx *sql.Tx, e store.Export, args []any, now time.Time) (store.Export, error) {
	all := make([]any, 0, len(args)+4)
	all = append(append(all, args...), now.UnixNano(), e.Account, e.ERPRef, e.Version)
	err := s.txQueryRow(ctx, tx, qExportUpdate, all...).Scan(timeCol{&e.CreatedAt}, &e.Version)
	if isNoRows(err) {
		return store.Export{}, s.missingOrConflict(ctx, tx, qExportExists,
			fmt.Sprintf("export %q of account %q", e.ERPRef, e.Account), e.Account, e.ERPRef)
	}
	if err != nil {
		return store.Export{}, err
	}
	// The other columns are e's, as written.
	e.UpdatedAt = now
	return stored(e), nil
}

// CompleteExport does UpdateExport, UpsertRecord and AppendLogs in one
// transaction: the Veeqo id, the operations record and the log land
// together or not at all (nothing is written on store.ErrConflict).
func (s *Store) CompleteExport(ctx context.Context, e store.Export, r store.RecordUpdate, logs ...store.LogEntry) (store.Export, []store.LogEntry, error) {
	const op = "CompleteExport"
	now := s.clock()
	args, err := exportArgs(&e, now)
	if err != nil {
		return store.Export{}, nil, wrap(op, err)
	}
	rargs, err := recordArgs(&r, now)
	if err != nil {
		return store.Export{}, nil, wrap(op, err)
	}
	logs = append([]store.LogEntry(nil), logs...) // logArgs fills in defaults
	largs, err := logArgs(logs, now)
	if err != nil {
		return store.Export{}, nil, wrap(op, err)
	}
	var (
		out      store.Export
		appended []store.LogEntry
	)
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if out, err = s.updateExport(ctx, tx, e, args, now); err != nil {
			return err
		}
		if _, err = s.txExec(ctx, tx, qRecordUpsertExec, rargs...); err != nil {
			return err
		}
		appended, err = s.appendLogs(ctx, tx, logs, largs)
		return err
	})
	if err != nil {
		return store.Export{}, nil, wrap(op, err)
	}
	return out, appended, nil
}

// GetExport returns the export of an ERP order. store.ErrNotFound.
func (s *Store) GetExport(ctx context.Context, account, erpRef string) (store.Export, error) {
	var out store.Export
	err := s.readRow(ctx, func(r *sql.Row) error {
		var err error
		out, err = scanExport(r)
		return err
	}, qExportGet, account, erpRef)
	if isNoRows(err) {
		err = fmt.Errorf("export %q of account %q: %w", erpRef, account, store.ErrNotFound)
	}
	if err != nil {
		return store.Export{}, wrap("GetExport", err)
	}
	return out, nil
}

// ExportByVeeqoID returns the export linked to a Veeqo order.
// store.ErrNotFound.
func (s *Store) ExportByVeeqoID(ctx context.Context, account string, veeqoOrderID int64) (store.Export, error) {
	if veeqoOrderID == 0 {
		return store.Export{}, wrap("ExportByVeeqoID", fmt.Errorf("veeqo order 0 of account %q: %w", account, store.ErrNotFound))
	}
	var out store.Export
	err := s.readRow(ctx, func(r *sql.Row) error {
		var err error
		out, err = scanExport(r)
		return err
	}, qExportByVeeqoID, account, veeqoOrderID)
	if isNoRows(err) {
		err = fmt.Errorf("export of veeqo order %d of account %q: %w", veeqoOrderID, account, store.ErrNotFound)
	}
	if err != nil {
		return store.Export{}, wrap("ExportByVeeqoID", err)
	}
	return out, nil
}

// exportFilter is the FROM (with the index SQLite is to use) and WHERE of
// a valid export query; none says it matches nothing (its Veeqo order ids
// are all 0, which links nothing).
func exportFilter(q store.ExportQuery) (from string, w where, none bool) {
	w.add("account = ?", q.Account)
	in(&w, "state", q.States)
	if q.Completed != nil {
		w.add("completed = ?", boolInt(*q.Completed))
	}
	if !q.ExportedBefore.IsZero() {
		w.add("exported_at < ?", q.ExportedBefore.UnixNano())
	}
	if q.Number != "" {
		w.add("number = ?", q.Number)
	}
	in(&w, "erp_ref", q.Refs)
	ids := store.Linked(q.VeeqoOrderIDs)
	if len(q.VeeqoOrderIDs) > 0 {
		if len(ids) == 0 {
			return "", w, true
		}
		marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
		// "<> 0" lets the partial index exports_by_veeqo_id serve it.
		w.add("veeqo_order_id <> 0")
		w.conds = append(w.conds, "veeqo_order_id IN ("+marks+")")
		for _, id := range ids {
			w.args = append(w.args, id)
		}
	}
	if q.AfterRef != "" {
		w.add("erp_ref > ?", q.AfterRef)
	}
	from = ` FROM exports`
	switch {
	case len(q.Refs) > 0:
		// The primary key finds them.
	case len(ids) > 0:
		// Else SQLite walks the primary key for the ORDER BY, every export
		// of the account, to find a page's orders.
		from += ` INDEXED BY exports_by_veeqo_id`
	case q.Number != "":
		// Else SQLite walks the primary key for the ORDER BY, every export
		// of the account, to find one number.
		from += ` INDEXED BY exports_by_number`
	}
	return from, w, false
}

// ListExports returns the exports q selects, ordered by ERPRef; page with
// q.AfterRef set to the last ERPRef returned.
func (s *Store) ListExports(ctx context.Context, q store.ExportQuery) ([]store.Export, error) {
	const op = "ListExports"
	if q.Account == "" {
		return nil, wrap(op, invalid("query: Account is empty"))
	}
	for _, st := range q.States {
		if !validExportState(st) {
			return nil, wrap(op, invalid("query: state %q is not claimed, unknown, exported or failed", st))
		}
	}
	if err := checkTime("query: ExportedBefore", q.ExportedBefore); err != nil {
		return nil, wrap(op, err)
	}
	n, err := limit("query: Limit", q.Limit, defaultExportLimit, maxExportLimit)
	if err != nil {
		return nil, wrap(op, err)
	}
	from, w, none := exportFilter(q)
	if none {
		return nil, nil
	}
	query := `SELECT ` + exportCols + from + w.String() + ` ORDER BY erp_ref LIMIT ?`
	var out []store.Export
	err = s.readRows(ctx, func() { out = nil }, func(r *sql.Rows) error {
		e, err := scanExport(r)
		if err == nil {
			out = append(out, e)
		}
		return err
	}, query, append(w.args, n)...)
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}
