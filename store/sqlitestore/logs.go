package sqlitestore

import (
	"context"
	"database/sql"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

const logCols = `seq, time, account, run_id, process, level, reference, message`

const (
	qLogInsert = `INSERT INTO logs (time, account, run_id, process, level, reference, message, reference_fold, message_fold)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// The purge finds a batch of old entries by walking seq (the rowid) and
	// deletes that seq range, re-checking the time.
	qLogPurgeScan = `SELECT seq FROM logs WHERE seq > ? AND time < ? ORDER BY seq LIMIT ?`
	qLogPurge     = `DELETE FROM logs WHERE seq BETWEEN ? AND ? AND time < ?`
)

// Log page sizes.
const (
	defaultLogLimit = 100
	maxLogLimit     = 1000
)

func validLevel(l string) bool {
	return l == store.LevelInfo || l == store.LevelWarning || l == store.LevelError
}

// logArgs validates entries (an empty Level is info, a zero Time now) and
// returns each one's insert arguments.
func logArgs(entries []store.LogEntry, now time.Time) ([][]any, error) {
	out := make([][]any, len(entries))
	for i := range entries {
		e := &entries[i]
		if e.Account == "" {
			return nil, invalid("log entry %d: Account is empty", i)
		}
		if e.Level == "" {
			e.Level = store.LevelInfo
		}
		if !validLevel(e.Level) {
			return nil, invalid("log entry %d: Level %q is not info, warning or error", i, e.Level)
		}
		if err := checkTime("log entry: Time", e.Time); err != nil {
			return nil, err
		}
		if e.Time.IsZero() {
			e.Time = now
		}
		e.Time = e.Time.UTC()
		out[i] = []any{e.Time.UnixNano(), e.Account, e.RunID, e.Process, e.Level, e.Reference, e.Message,
			fold(e.Reference), fold(e.Message)}
	}
	return out, nil
}

// appendLogs inserts entries (already passed through logArgs) in order and
// returns them with Seq set.
func (s *Store) appendLogs(ctx context.Context, tx *sql.Tx, entries []store.LogEntry, args [][]any) ([]store.LogEntry, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	out := make([]store.LogEntry, len(entries))
	copy(out, entries)
	for i := range out {
		res, err := s.txExec(ctx, tx, qLogInsert, args[i]...)
		if err != nil {
			return nil, err
		}
		if out[i].Seq, err = res.LastInsertId(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AppendLogs appends entries in order, in one transaction, and returns them
// with Seq set: strictly increasing across the whole store and never reused
// (AUTOINCREMENT), even after a purge. An empty Level is info; a zero Time
// is now.
func (s *Store) AppendLogs(ctx context.Context, entries ...store.LogEntry) ([]store.LogEntry, error) {
	const op = "AppendLogs"
	entries = append([]store.LogEntry(nil), entries...)
	args, err := logArgs(entries, s.clock())
	if err != nil {
		return nil, wrap(op, err)
	}
	if len(entries) == 0 {
		return nil, nil
	}
	var out []store.LogEntry
	fn := func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, err = s.appendLogs(ctx, tx, entries, args)
		return err
	}
	if len(entries) == 1 {
		err = s.write1(ctx, fn)
	} else {
		err = s.write(ctx, fn)
	}
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

func scanLog(sc scanner) (store.LogEntry, error) {
	var e store.LogEntry
	err := sc.Scan(&e.Seq, timeCol{&e.Time}, &e.Account, &e.RunID, &e.Process, &e.Level, &e.Reference, &e.Message)
	return e, err
}

// QueryLogs returns one page of the entries q selects: with q.AfterSeq,
// entries after it oldest first (catching up; Next is empty, continue from
// the last Seq); otherwise newest first (by Seq), Next paging backwards.
func (s *Store) QueryLogs(ctx context.Context, q store.LogQuery) (store.LogPage, error) {
	const op = "QueryLogs"
	n, err := checkLogQuery(q)
	if err != nil {
		return store.LogPage{}, wrap(op, err)
	}
	w := logWhere(q)
	ascending := q.AfterSeq > 0
	order := " ORDER BY seq DESC"
	if ascending {
		w.add("seq > ?", q.AfterSeq)
		order = " ORDER BY seq"
	} else if q.Before != "" {
		c, err := decodeCursor("query: Before", "logs", q.Before)
		if err != nil {
			return store.LogPage{}, wrap(op, err)
		}
		w.add("seq < ?", c.S)
	}
	query := `SELECT ` + logCols + ` FROM logs` + w.String() + order + ` LIMIT ?`
	var page store.LogPage
	err = s.readRows(ctx, func() { page.Entries = nil }, func(r *sql.Rows) error {
		e, err := scanLog(r)
		if err == nil {
			page.Entries = append(page.Entries, e)
		}
		return err
	}, query, append(w.args, n+1)...)
	if err != nil {
		return store.LogPage{}, wrap(op, err)
	}
	if len(page.Entries) > n {
		page.Entries = page.Entries[:n]
		if !ascending {
			page.Next = store.EncodeCursor(cursor{Kind: "logs", S: page.Entries[n-1].Seq})
		}
	}
	return page, nil
}

// checkLogQuery checks q and returns its page size.
func checkLogQuery(q store.LogQuery) (int, error) {
	if q.Account == "" {
		return 0, invalid("query: Account is empty")
	}
	for _, l := range q.Levels {
		if !validLevel(l) {
			return 0, invalid("query: level %q is not info, warning or error", l)
		}
	}
	if err := checkTime("query: From", q.From); err != nil {
		return 0, err
	}
	if err := checkTime("query: To", q.To); err != nil {
		return 0, err
	}
	if q.AfterSeq < 0 {
		return 0, invalid("query: AfterSeq %d is negative", q.AfterSeq)
	}
	return limit("query: Limit", q.Limit, defaultLogLimit, maxLogLimit)
}

// logWhere is the filter q selects, before the paging condition.
func logWhere(q store.LogQuery) where {
	var w where
	w.add("account = ?", q.Account)
	if q.RunID != "" {
		w.add("run_id = ?", q.RunID)
	}
	if q.Process != "" {
		w.add("process = ?", q.Process)
	}
	in(&w, "level", q.Levels)
	if q.Reference != "" {
		w.add("reference = ?", q.Reference)
	}
	if q.Search != "" {
		f := fold(q.Search)
		w.add("(instr(reference_fold, ?) > 0 OR instr(message_fold, ?) > 0)", f, f)
	}
	if !q.From.IsZero() {
		w.add("time >= ?", q.From.UnixNano())
	}
	if !q.To.IsZero() {
		w.add("time < ?", q.To.UnixNano())
	}
	if q.HideResolved {
		w.add(`NOT EXISTS (SELECT 1 FROM records r WHERE r.account = logs.account AND r.process = logs.process
			AND r.reference = logs.reference AND r.resolved = 1)`)
	}
	return w
}

// purgeBatch is how many log entries one PurgeLogs transaction deletes, so
// that a large purge never holds the write lock for long.
const purgeBatch = 2000

// PurgeLogs deletes entries older than before, of every account; it returns
// how many it deleted. It walks the log by Seq on a reader and deletes in
// transactions of purgeBatch entries, so writers (other processes included)
// wait at most one batch; an error part-way leaves the entries deleted so
// far deleted and returns their count with the error.
func (s *Store) PurgeLogs(ctx context.Context, before time.Time) (int64, error) {
	const op = "PurgeLogs"
	if err := checkTime("before", before); err != nil {
		return 0, wrap(op, err)
	}
	if before.IsZero() {
		return 0, nil
	}
	cutoff := before.UnixNano()
	var total int64
	after := int64(0)
	for {
		var seqs []int64
		err := s.readRows(ctx, func() { seqs = seqs[:0] }, func(r *sql.Rows) error {
			var seq int64
			err := r.Scan(&seq)
			seqs = append(seqs, seq)
			return err
		}, qLogPurgeScan, after, cutoff, purgeBatch)
		if err != nil {
			return total, wrap(op, err)
		}
		if len(seqs) == 0 {
			return total, nil
		}
		lo, hi := seqs[0], seqs[len(seqs)-1]
		var n int64
		err = s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := s.txExec(ctx, tx, qLogPurge, lo, hi, cutoff)
			if err != nil {
				return err
			}
			n, err = affected(res)
			return err
		})
		if err != nil {
			return total, wrap(op, err)
		}
		total += n
		after = hi
		if len(seqs) < purgeBatch {
			return total, nil
		}
	}
}
