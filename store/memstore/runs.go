package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/xoroerp/veeqoconnect/store"
)

func cloneRun(r store.Run) store.Run {
	r.Counts = maps.Clone(r.Counts)
	return r
}

// StartRun implements store.RunStore. A zero StartedAt is the store's clock
// and an empty Status is RunRunning.
func (s *Store) StartRun(ctx context.Context, r store.Run) (store.Run, error) {
	if r.ID == "" || r.Account == "" {
		return store.Run{}, fmt.Errorf("memstore: start run: id (%q) and account (%q) are required", r.ID, r.Account)
	}
	if err := s.lock(ctx); err != nil {
		return store.Run{}, err
	}
	defer s.mu.Unlock()
	if _, ok := s.runs[r.ID]; ok {
		return store.Run{}, fmt.Errorf("memstore: start run %q: %w", r.ID, store.ErrExists)
	}
	r = cloneRun(r)
	r.StartedAt = utc(r.StartedAt)
	if r.StartedAt.IsZero() {
		r.StartedAt = s.now()
	}
	r.FinishedAt = utc(r.FinishedAt)
	if r.Status == "" {
		r.Status = store.RunRunning
	}
	s.runs[r.ID] = r
	return cloneRun(r), nil
}

// FinishRun implements store.RunStore. A zero FinishedAt is the store's
// clock.
func (s *Store) FinishRun(ctx context.Context, r store.Run) (store.Run, error) {
	if err := s.lock(ctx); err != nil {
		return store.Run{}, err
	}
	defer s.mu.Unlock()
	cur, ok := s.runs[r.ID]
	if !ok {
		return store.Run{}, fmt.Errorf("memstore: finish run %q: %w", r.ID, store.ErrNotFound)
	}
	cur.Status = r.Status
	cur.FinishedAt = utc(r.FinishedAt)
	if cur.FinishedAt.IsZero() {
		cur.FinishedAt = s.now()
	}
	cur.Counts = maps.Clone(r.Counts)
	cur.VeeqoCalls = r.VeeqoCalls
	cur.Error = r.Error
	s.runs[r.ID] = cur
	return cloneRun(cur), nil
}

// GetRun implements store.RunStore.
func (s *Store) GetRun(ctx context.Context, id string) (store.Run, error) {
	if err := s.lock(ctx); err != nil {
		return store.Run{}, err
	}
	defer s.mu.Unlock()
	r, ok := s.runs[id]
	if !ok {
		return store.Run{}, fmt.Errorf("memstore: run %q: %w", id, store.ErrNotFound)
	}
	return cloneRun(r), nil
}

// QueryRuns implements store.RunStore: StartedAt descending, then ID
// descending.
func (s *Store) QueryRuns(ctx context.Context, q store.RunQuery) ([]store.Run, error) {
	if q.Account == "" {
		return nil, errors.New("memstore: query runs: account is required")
	}
	limit, err := pageLimit("query runs", q.Limit, defaultRunLimit)
	if err != nil {
		return nil, err
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Run
	for _, r := range s.runs {
		if r.Account != q.Account ||
			(len(q.Statuses) > 0 && !slices.Contains(q.Statuses, r.Status)) ||
			(!q.Before.IsZero() && !r.StartedAt.Before(q.Before)) {
			continue
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b store.Run) int {
		return cmp.Or(b.StartedAt.Compare(a.StartedAt), cmp.Compare(b.ID, a.ID))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	for i := range out {
		out[i] = cloneRun(out[i])
	}
	return out, nil
}
