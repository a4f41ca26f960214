package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/xoroerp/veeqoconnect/store"
)

const runCols = `id, account, mode, trigger, status, started_at, finished_at, counts, veeqo_calls, error`

const (
	qRunInsert = `INSERT INTO runs (` + runCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING`
	qRunGet    = `SELECT ` + runCols + ` FROM runs WHERE id = ?`
	qRunFinish = `UPDATE runs SET status = ?, finished_at = ?, counts = ?, veeqo_calls = ?, error = ?
WHERE id = ?
RETURNING ` + runCols
)

// Run page sizes.
const (
	defaultRunLimit = 50
	maxRunLimit     = 1000
)

func validRunStatus(st store.RunStatus) bool {
	switch st {
	case store.RunRunning, store.RunSucceeded, store.RunPartial, store.RunFailed, store.RunCancelled:
		return true
	}
	return false
}

func encodeCounts(m map[string]int) (any, error) {
	if m == nil {
		return nil, nil
	}
	return json.Marshal(m)
}

func scanRun(sc scanner) (store.Run, error) {
	var (
		r            store.Run
		mode, status string
		counts       []byte
	)
	err := sc.Scan(&r.ID, &r.Account, &mode, &r.Trigger, &status, timeCol{&r.StartedAt}, timeCol{&r.FinishedAt},
		blobCol{&counts}, &r.VeeqoCalls, &r.Error)
	if err != nil {
		return store.Run{}, err
	}
	r.Mode, r.Status = store.Mode(mode), store.RunStatus(status)
	if counts != nil {
		if err := json.Unmarshal(counts, &r.Counts); err != nil {
			return store.Run{}, fmt.Errorf("run %q: stored counts: %w", r.ID, err)
		}
	}
	return r, nil
}

// StartRun records a new run (store.ErrExists if the ID is taken). An empty
// Status is store.RunRunning and a zero StartedAt is now.
func (s *Store) StartRun(ctx context.Context, r store.Run) (store.Run, error) {
	const op = "StartRun"
	switch {
	case r.ID == "":
		return store.Run{}, wrap(op, invalid("run: ID is empty"))
	case r.Account == "":
		return store.Run{}, wrap(op, invalid("run %q: Account is empty", r.ID))
	case !validMode(r.Mode):
		return store.Run{}, wrap(op, invalid("run %q: Mode %q is not export, fetch or empty", r.ID, r.Mode))
	case r.VeeqoCalls < 0:
		return store.Run{}, wrap(op, invalid("run %q: VeeqoCalls %d is negative", r.ID, r.VeeqoCalls))
	}
	if r.Status == "" {
		r.Status = store.RunRunning
	}
	if !validRunStatus(r.Status) {
		return store.Run{}, wrap(op, invalid("run %q: Status %q is unknown", r.ID, r.Status))
	}
	if err := checkTime("run "+r.ID+": StartedAt", r.StartedAt); err != nil {
		return store.Run{}, wrap(op, err)
	}
	if err := checkTime("run "+r.ID+": FinishedAt", r.FinishedAt); err != nil {
		return store.Run{}, wrap(op, err)
	}
	if r.StartedAt.IsZero() {
		r.StartedAt = s.clock()
	}
	r.StartedAt = r.StartedAt.UTC()
	if !r.FinishedAt.IsZero() {
		r.FinishedAt = r.FinishedAt.UTC()
	}
	counts, err := encodeCounts(r.Counts)
	if err != nil {
		return store.Run{}, wrap(op, invalid("run %q: Counts: %v", r.ID, err))
	}
	err = s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, qRunInsert, r.ID, r.Account, string(r.Mode), r.Trigger, string(r.Status),
			r.StartedAt.UnixNano(), ts(r.FinishedAt), counts, r.VeeqoCalls, r.Error)
		if err != nil {
			return err
		}
		if n, err := affected(res); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("run %q: %w", r.ID, store.ErrExists)
		}
		return nil
	})
	if err != nil {
		return store.Run{}, wrap(op, err)
	}
	r.Counts = maps.Clone(r.Counts) // the caller keeps its map
	return r, nil
}

// FinishRun writes the run's final status, FinishedAt (now when zero),
// Counts, VeeqoCalls and Error. store.ErrNotFound.
func (s *Store) FinishRun(ctx context.Context, r store.Run) (store.Run, error) {
	const op = "FinishRun"
	switch {
	case r.ID == "":
		return store.Run{}, wrap(op, invalid("run: ID is empty"))
	case !validRunStatus(r.Status):
		return store.Run{}, wrap(op, invalid("run %q: Status %q is unknown", r.ID, r.Status))
	case r.VeeqoCalls < 0:
		return store.Run{}, wrap(op, invalid("run %q: VeeqoCalls %d is negative", r.ID, r.VeeqoCalls))
	}
	if err := checkTime("run "+r.ID+": FinishedAt", r.FinishedAt); err != nil {
		return store.Run{}, wrap(op, err)
	}
	if r.FinishedAt.IsZero() {
		r.FinishedAt = s.clock()
	}
	counts, err := encodeCounts(r.Counts)
	if err != nil {
		return store.Run{}, wrap(op, invalid("run %q: Counts: %v", r.ID, err))
	}
	var out store.Run
	err = s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, err = scanRun(s.txQueryRow(ctx, tx, qRunFinish, string(r.Status), r.FinishedAt.UnixNano(), counts,
			r.VeeqoCalls, r.Error, r.ID))
		if isNoRows(err) {
			return fmt.Errorf("run %q: %w", r.ID, store.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return store.Run{}, wrap(op, err)
	}
	return out, nil
}

// GetRun returns one run. store.ErrNotFound.
func (s *Store) GetRun(ctx context.Context, id string) (store.Run, error) {
	var out store.Run
	err := s.readRow(ctx, func(r *sql.Row) error {
		var err error
		out, err = scanRun(r)
		return err
	}, qRunGet, id)
	if isNoRows(err) {
		err = fmt.Errorf("run %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Run{}, wrap("GetRun", err)
	}
	return out, nil
}

// QueryRuns returns the runs q selects, newest first (StartedAt descending,
// then ID descending). Page with q.Before set to the last StartedAt.
func (s *Store) QueryRuns(ctx context.Context, q store.RunQuery) ([]store.Run, error) {
	const op = "QueryRuns"
	if q.Account == "" {
		return nil, wrap(op, invalid("query: Account is empty"))
	}
	for _, st := range q.Statuses {
		if !validRunStatus(st) {
			return nil, wrap(op, invalid("query: status %q is unknown", st))
		}
	}
	if err := checkTime("query: Before", q.Before); err != nil {
		return nil, wrap(op, err)
	}
	n, err := limit("query: Limit", q.Limit, defaultRunLimit, maxRunLimit)
	if err != nil {
		return nil, wrap(op, err)
	}
	var w where
	w.add("account = ?", q.Account)
	in(&w, "status", q.Statuses)
	if !q.Before.IsZero() {
		w.add("started_at < ?", q.Before.UnixNano())
	}
	query := `SELECT ` + runCols + ` FROM runs` + w.String() + ` ORDER BY started_at DESC, id DESC LIMIT ?`
	var out []store.Run
	err = s.readRows(ctx, func() { out = nil }, func(r *sql.Rows) error {
		run, err := scanRun(r)
		if err == nil {
			out = append(out, run)
		}
		return err
	}, query, append(w.args, n)...)
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}
