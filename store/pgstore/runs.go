package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/xoroerp/veeqoconnect/store"
)

const runCols = `id, account, mode, trigger, status, started_at, finished_at, counts, veeqo_calls, error`

// defaultRunLimit is QueryRuns' page size when the query gives none.
const defaultRunLimit = 50

func scanRun(row scanner) (store.Run, error) {
	var r store.Run
	var mode, status string
	var counts []byte
	if err := row.Scan(&r.ID, &r.Account, &mode, &r.Trigger, &status, nt(&r.StartedAt), nt(&r.FinishedAt),
		&counts, &r.VeeqoCalls, &r.Error); err != nil {
		return store.Run{}, err
	}
	r.Mode, r.Status = store.Mode(mode), store.RunStatus(status)
	if err := json.Unmarshal(counts, &r.Counts); err != nil {
		return store.Run{}, fmt.Errorf("decode counts of run %q: %w", r.ID, err)
	}
	return r, nil
}

// StartRun records a new run (ErrExists if the ID is taken). A zero
// StartedAt is now; an empty Status is running.
func (s *Store) StartRun(ctx context.Context, r store.Run) (store.Run, error) {
	if err := required("StartRun", "ID", r.ID, "Account", r.Account); err != nil {
		return store.Run{}, err
	}
	if r.Status == "" {
		r.Status = store.RunRunning
	}
	started := tsArg(r.StartedAt)
	if started == nil {
		started = s.now()
	}
	counts, err := json.Marshal(r.Counts)
	if err != nil {
		return store.Run{}, fmt.Errorf("pgstore: StartRun %q: encode counts: %w", r.ID, err)
	}
	got, err := scanRun(s.pool.QueryRow(ctx, s.q(`INSERT INTO {s}.runs (`+runCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO NOTHING
		RETURNING `+runCols),
		r.ID, r.Account, string(r.Mode), r.Trigger, string(r.Status), started, tsArg(r.FinishedAt), counts,
		r.VeeqoCalls, r.Error))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Run{}, fmt.Errorf("pgstore: StartRun %q: %w", r.ID, store.ErrExists)
	}
	if err != nil {
		return store.Run{}, fmt.Errorf("pgstore: StartRun %q: %w", r.ID, err)
	}
	return got, nil
}

// FinishRun writes the run's final status, FinishedAt (now when zero),
// Counts, VeeqoCalls and Error. ErrNotFound.
func (s *Store) FinishRun(ctx context.Context, r store.Run) (store.Run, error) {
	if err := required("FinishRun", "ID", r.ID, "Status", string(r.Status)); err != nil {
		return store.Run{}, err
	}
	finished := tsArg(r.FinishedAt)
	if finished == nil {
		finished = s.now()
	}
	counts, err := json.Marshal(r.Counts)
	if err != nil {
		return store.Run{}, fmt.Errorf("pgstore: FinishRun %q: encode counts: %w", r.ID, err)
	}
	got, err := scanRun(s.pool.QueryRow(ctx, s.q(`UPDATE {s}.runs
		SET status = $2, finished_at = $3, counts = $4, veeqo_calls = $5, error = $6
		WHERE id = $1
		RETURNING `+runCols),
		r.ID, string(r.Status), finished, counts, r.VeeqoCalls, r.Error))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Run{}, fmt.Errorf("pgstore: run %q: %w", r.ID, store.ErrNotFound)
	}
	if err != nil {
		return store.Run{}, fmt.Errorf("pgstore: FinishRun %q: %w", r.ID, err)
	}
	return got, nil
}

// GetRun returns one run. ErrNotFound.
func (s *Store) GetRun(ctx context.Context, id string) (store.Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, s.q(`SELECT `+runCols+` FROM {s}.runs WHERE id = $1`), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Run{}, fmt.Errorf("pgstore: run %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Run{}, fmt.Errorf("pgstore: GetRun %q: %w", id, err)
	}
	return r, nil
}

// QueryRuns returns the runs q selects, newest first (StartedAt, then ID,
// descending). A zero Limit is 50.
func (s *Store) QueryRuns(ctx context.Context, q store.RunQuery) ([]store.Run, error) {
	if err := required("QueryRuns", "Account", q.Account); err != nil {
		return nil, err
	}
	n, err := limit("pgstore: QueryRuns", q.Limit, defaultRunLimit, 0)
	if err != nil {
		return nil, err
	}
	var w where
	w.add("account = ?", q.Account)
	if len(q.Statuses) > 0 {
		w.add("status = ANY(?)", stringsOf(q.Statuses))
	}
	if !q.Before.IsZero() {
		w.add("started_at < ?", tsArg(q.Before))
	}
	rows, err := s.pool.Query(ctx, s.q(`SELECT `+runCols+` FROM {s}.runs WHERE `+w.sql()+
		` ORDER BY started_at DESC, id DESC LIMIT `+fmt.Sprint(n)), w.args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: QueryRuns: %w", err)
	}
	out, err := collect(rows, scanRun)
	if err != nil {
		return nil, fmt.Errorf("pgstore: QueryRuns: %w", err)
	}
	return out, nil
}
