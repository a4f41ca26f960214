package pgstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xoroerp/veeqoconnect/store"
)

const logCols = `seq, time, account, run_id, process, level, reference, message`

// Log query page sizes.
const (
	defaultLogLimit = 100
	maxLogLimit     = 1000
)

func scanLog(row scanner) (store.LogEntry, error) {
	var e store.LogEntry
	err := row.Scan(&e.Seq, nt(&e.Time), &e.Account, &e.RunID, &e.Process, &e.Level, &e.Reference, &e.Message)
	return e, err
}

func validLogs(op string, entries []store.LogEntry) error {
	for i, e := range entries {
		if e.Account == "" {
			return fmt.Errorf("pgstore: %s: log entry %d: Account is empty", op, i)
		}
		if !slices.Contains(store.LevelNames(), e.Level) {
			return fmt.Errorf("pgstore: %s: log entry %d: unknown Level %q", op, i, e.Level)
		}
	}
	return nil
}

// AppendLogs appends entries in order and returns them with Seq set (and
// Time, when zero, set to now).
func (s *Store) AppendLogs(ctx context.Context, entries ...store.LogEntry) ([]store.LogEntry, error) {
	if err := validLogs("AppendLogs", entries); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return []store.LogEntry{}, nil
	}
	var out []store.LogEntry
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = s.appendLogs(ctx, tx, entries)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: AppendLogs: %w", err)
	}
	return out, nil
}

// appendLogs inserts entries in one statement within the caller's
// transaction. Seq is an identity column; the transaction first takes an
// advisory lock held until it ends, so appends commit in Seq order and a
// reader catching up with AfterSeq never skips an entry that commits late.
func (s *Store) appendLogs(ctx context.Context, tx querier, entries []store.LogEntry) ([]store.LogEntry, error) {
	out := make([]store.LogEntry, len(entries))
	if len(entries) == 0 {
		return out, nil
	}
	if _, err := tx.Exec(ctx, lockSQL, s.logLockKey); err != nil {
		return nil, fmt.Errorf("lock the log: %w", err)
	}
	sql, args := s.appendLogsSQL(entries)
	got, err := appendedLogs(tx.Query(ctx, sql, args...))
	if err != nil {
		return nil, err
	}
	if len(got) != len(entries) {
		return nil, fmt.Errorf("inserted %d log entries of %d", len(got), len(entries))
	}
	copy(out, got)
	return out, nil
}

// appendedLogs reads what appendLogsSQL's statement returns, in the order
// of its input: rows are numbered in ORDER BY ord order, but RETURNING's
// order is not promised, so they are sorted by Seq.
func appendedLogs(rows pgx.Rows, err error) ([]store.LogEntry, error) {
	if err != nil {
		return nil, err
	}
	got, err := collect(rows, scanLog)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(got, func(a, b store.LogEntry) int { return cmp.Compare(a.Seq, b.Seq) })
	return got, nil
}

// lockSQL takes a transaction-scoped advisory lock.
const lockSQL = `SELECT pg_advisory_xact_lock($1)`

// appendLogsSQL is the statement inserting entries in order, returning them.
// It must run after lockSQL on s.logLockKey in the same transaction.
func (s *Store) appendLogsSQL(entries []store.LogEntry) (string, []any) {
	now := s.now()
	n := len(entries)
	times := make([]time.Time, n)
	cols := [6][]string{}
	for i := range cols {
		cols[i] = make([]string, n)
	}
	for i, e := range entries {
		if e.Time.IsZero() {
			times[i] = now
		} else {
			times[i] = e.Time.UTC().Truncate(time.Microsecond)
		}
		cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i], cols[5][i] =
			e.Account, e.RunID, e.Process, e.Level, e.Reference, e.Message
	}
	return s.q(`INSERT INTO {s}.logs (time, account, run_id, process, level, reference, message)
		SELECT t, a, r, p, l, f, m
		FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
			WITH ORDINALITY AS x(t, a, r, p, l, f, m, ord)
		ORDER BY ord
		RETURNING ` + logCols),
		[]any{times, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5]}
}

// logCursor is the position after the last entry of a page; Asc marks a
// page of an AfterSeq (oldest-first) query.
type logCursor struct {
	Seq int64 `json:"s"`
	Asc bool  `json:"a,omitempty"`
}

// QueryLogs returns one page of the entries q selects: oldest first after
// q.AfterSeq when it is set, newest first otherwise. Next continues either
// kind of page when passed as Before.
func (s *Store) QueryLogs(ctx context.Context, q store.LogQuery) (store.LogPage, error) {
	if err := required("QueryLogs", "Account", q.Account); err != nil {
		return store.LogPage{}, err
	}
	n, err := limit("pgstore: QueryLogs", q.Limit, defaultLogLimit, maxLogLimit)
	if err != nil {
		return store.LogPage{}, err
	}
	if q.AfterSeq < 0 {
		return store.LogPage{}, fmt.Errorf("pgstore: QueryLogs: AfterSeq %d is negative", q.AfterSeq)
	}
	asc := q.AfterSeq > 0
	var w where
	w.add("l.account = ?", q.Account)
	if q.AfterSeq > 0 {
		w.add("l.seq > ?", q.AfterSeq)
	}
	if q.Before != "" {
		var c logCursor
		if err := decodeCursor("QueryLogs", q.Before, &c); err != nil {
			return store.LogPage{}, err
		}
		if c.Asc {
			asc = true
			w.add("l.seq > ?", c.Seq)
		} else {
			w.add("l.seq < ?", c.Seq)
		}
	}
	logFilters(&w, q)
	order := "DESC"
	if asc {
		order = "ASC"
	}
	rows, err := s.pool.Query(ctx, s.q(`SELECT `+prefixed("l.", logCols)+` FROM {s}.logs l WHERE `+w.sql()+
		` ORDER BY l.seq `+order+` LIMIT `+fmt.Sprint(n+1)), w.args...)
	if err != nil {
		return store.LogPage{}, fmt.Errorf("pgstore: QueryLogs: %w", err)
	}
	entries, err := collect(rows, scanLog)
	if err != nil {
		return store.LogPage{}, fmt.Errorf("pgstore: QueryLogs: %w", err)
	}
	page := store.LogPage{Entries: entries}
	if len(entries) > n {
		page.Entries = entries[:n]
		page.Next = store.EncodeCursor(logCursor{Seq: page.Entries[n-1].Seq, Asc: asc})
	}
	return page, nil
}

// logFilters adds q's filters (all but the account and the paging) to w.
func logFilters(w *where, q store.LogQuery) {
	if q.RunID != "" {
		w.add("l.run_id = ?", q.RunID)
	}
	if q.Process != "" {
		w.add("l.process = ?", q.Process)
	}
	if len(q.Levels) > 0 {
		w.add("l.level = ANY(?)", q.Levels)
	}
	if q.Reference != "" {
		w.add("l.reference = ?", q.Reference)
	}
	if q.Search != "" {
		w.add("("+containsCI("l.reference")+" OR "+containsCI("l.message")+")", q.Search, q.Search)
	}
	if !q.From.IsZero() {
		w.add("l.time >= ?", tsArg(q.From))
	}
	if !q.To.IsZero() {
		w.add("l.time < ?", tsArg(q.To))
	}
	if q.HideResolved {
		w.add(`NOT EXISTS (SELECT 1 FROM {s}.records r WHERE r.account = l.account AND r.process = l.process
			AND r.reference = l.reference AND r.resolved)`)
	}
}

// PurgeLogs deletes entries older than before, of every account; it
// returns how many it deleted.
func (s *Store) PurgeLogs(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, s.q(`DELETE FROM {s}.logs WHERE time < $1`), tsArg(before))
	if err != nil {
		return 0, fmt.Errorf("pgstore: PurgeLogs: %w", err)
	}
	return tag.RowsAffected(), nil
}

// prefixed qualifies each column of a column list with p.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
