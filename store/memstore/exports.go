package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

const defaultExportLimit = 100

func cloneExport(e store.Export) store.Export {
	e.Lines = slices.Clone(e.Lines)
	return e
}

func normExport(e store.Export) store.Export {
	e = cloneExport(e)
	e.ExportedAt = utc(e.ExportedAt)
	e.CreatedAt = utc(e.CreatedAt)
	e.UpdatedAt = utc(e.UpdatedAt)
	return e
}

func checkExportKey(op string, e store.Export) error {
	if e.Account == "" {
		return fmt.Errorf("memstore: %s: account is empty", op)
	}
	if e.ERPRef == "" {
		return fmt.Errorf("memstore: %s: ERP reference is empty", op)
	}
	return nil
}

// ClaimExport implements store.ExportStore.
func (s *Store) ClaimExport(ctx context.Context, e store.Export) (store.Export, bool, error) {
	if err := checkExportKey("claim export", e); err != nil {
		return store.Export{}, false, err
	}
	if err := s.lock(ctx); err != nil {
		return store.Export{}, false, err
	}
	defer s.mu.Unlock()
	k := key2{e.Account, e.ERPRef}
	if cur, ok := s.exports[k]; ok {
		return cloneExport(cur), false, nil
	}
	now := s.now()
	e = normExport(e)
	if e.State == "" {
		e.State = store.ExportClaimed
	}
	e.CreatedAt, e.UpdatedAt = now, now
	e.Version = 1
	s.exports[k] = e
	s.indexExport(e)
	return cloneExport(e), true, nil
}

// updateExportLocked does UpdateExport with s.mu held.
func (s *Store) updateExportLocked(e store.Export, now time.Time) (store.Export, error) {
	k := key2{e.Account, e.ERPRef}
	cur, ok := s.exports[k]
	if !ok {
		return store.Export{}, fmt.Errorf("memstore: update export %s/%s: %w", e.Account, e.ERPRef, store.ErrNotFound)
	}
	if cur.Version != e.Version {
		return store.Export{}, fmt.Errorf("memstore: update export %s/%s: version %d, stored %d: %w", e.Account, e.ERPRef, e.Version, cur.Version, store.ErrConflict)
	}
	e = normExport(e)
	if e.State == store.ExportExported && e.ExportedAt.IsZero() {
		e.ExportedAt = now
	}
	e.CreatedAt = cur.CreatedAt
	e.UpdatedAt = now
	e.Version = cur.Version + 1
	s.unindexExport(cur)
	s.exports[k] = e
	s.indexExport(e)
	return cloneExport(e), nil
}

// UpdateExport implements store.ExportStore.
func (s *Store) UpdateExport(ctx context.Context, e store.Export) (store.Export, error) {
	if err := checkExportKey("update export", e); err != nil {
		return store.Export{}, err
	}
	if err := s.lock(ctx); err != nil {
		return store.Export{}, err
	}
	defer s.mu.Unlock()
	return s.updateExportLocked(e, s.now())
}

// CompleteExport implements store.ExportStore. Everything is validated
// before anything is written, under one lock, so the three writes land
// together or not at all.
func (s *Store) CompleteExport(ctx context.Context, e store.Export, r store.RecordUpdate, logs ...store.LogEntry) (store.Export, []store.LogEntry, error) {
	if err := checkExportKey("complete export", e); err != nil {
		return store.Export{}, nil, err
	}
	if err := checkRecordUpdate(r); err != nil {
		return store.Export{}, nil, fmt.Errorf("memstore: complete export %s/%s: %w", e.Account, e.ERPRef, err)
	}
	for i, l := range logs {
		if err := checkLog(l); err != nil {
			return store.Export{}, nil, fmt.Errorf("memstore: complete export %s/%s: log %d: %w", e.Account, e.ERPRef, i, err)
		}
	}
	if err := s.lock(ctx); err != nil {
		return store.Export{}, nil, err
	}
	defer s.mu.Unlock()
	now := s.now()
	out, err := s.updateExportLocked(e, now)
	if err != nil {
		return store.Export{}, nil, err
	}
	s.upsertRecordLocked(r, now)
	return out, s.appendLogsLocked(logs, now), nil
}

// selectExportsLocked is what ListExports walks: the exports of q.Refs or
// q.VeeqoOrderIDs when it names them, else the open ones (openExports)
// when the query excludes settled exports, else every export.
func (s *Store) selectExportsLocked(q store.ExportQuery) iter.Seq2[key2, store.Export] {
	switch {
	case len(q.Refs) > 0:
		return s.exportsOfLocked(q.Account, slices.Values(q.Refs))
	case len(q.VeeqoOrderIDs) > 0:
		return s.exportsOfLocked(q.Account, func(yield func(string) bool) {
			for _, id := range q.VeeqoOrderIDs {
				for ref := range s.byVeeqo[veeqoKey{q.Account, id}] {
					if !yield(ref) {
						return
					}
				}
			}
		})
	case excludesSettled(q):
		return s.exportsOfLocked(q.Account, maps.Keys(s.openExports[q.Account]))
	}
	return maps.All(s.exports)
}

// exportsOfLocked yields the exports of refs that exist, each once.
func (s *Store) exportsOfLocked(account string, refs iter.Seq[string]) iter.Seq2[key2, store.Export] {
	return func(yield func(key2, store.Export) bool) {
		seen := map[string]bool{}
		for ref := range refs {
			k := key2{account, ref}
			e, ok := s.exports[k]
			if !ok || seen[ref] {
				continue
			}
			seen[ref] = true
			if !yield(k, e) {
				return
			}
		}
	}
}

// excludesSettled reports whether q matches no settled export (exported
// and completed), so that openExports holds all it can match.
func excludesSettled(q store.ExportQuery) bool {
	if q.Completed != nil && !*q.Completed {
		return true
	}
	return len(q.States) > 0 && !slices.Contains(q.States, store.ExportExported)
}

// settled reports whether e is out of openExports.
func settled(e store.Export) bool { return e.State == store.ExportExported && e.Completed }

// GetExport implements store.ExportStore.
func (s *Store) GetExport(ctx context.Context, account, erpRef string) (store.Export, error) {
	if err := s.lock(ctx); err != nil {
		return store.Export{}, err
	}
	defer s.mu.Unlock()
	e, ok := s.exports[key2{account, erpRef}]
	if !ok {
		return store.Export{}, fmt.Errorf("memstore: export %s/%s: %w", account, erpRef, store.ErrNotFound)
	}
	return cloneExport(e), nil
}

// ExportByVeeqoID implements store.ExportStore. Should two exports name the
// same Veeqo order, the one with the smallest ERPRef is returned.
func (s *Store) ExportByVeeqoID(ctx context.Context, account string, veeqoOrderID int64) (store.Export, error) {
	if err := s.lock(ctx); err != nil {
		return store.Export{}, err
	}
	defer s.mu.Unlock()
	best := ""
	if veeqoOrderID != 0 {
		for ref := range s.byVeeqo[veeqoKey{account, veeqoOrderID}] {
			if best == "" || ref < best {
				best = ref
			}
		}
	}
	if best == "" {
		return store.Export{}, fmt.Errorf("memstore: export of %s for Veeqo order %d: %w", account, veeqoOrderID, store.ErrNotFound)
	}
	return cloneExport(s.exports[key2{account, best}]), nil
}

// veeqoKey is an account's Veeqo order id, the key of byVeeqo.
type veeqoKey struct {
	a  string
	id int64
}

// indexExport and unindexExport keep byVeeqo (the exports linked to each
// Veeqo order, by ERP ref) and openExports in step with exports; s.mu is
// held.
func (s *Store) indexExport(e store.Export) {
	if !settled(e) {
		if s.openExports[e.Account] == nil {
			s.openExports[e.Account] = map[string]struct{}{}
		}
		s.openExports[e.Account][e.ERPRef] = struct{}{}
	}
	if e.VeeqoOrderID == 0 {
		return
	}
	k := veeqoKey{e.Account, e.VeeqoOrderID}
	if s.byVeeqo[k] == nil {
		s.byVeeqo[k] = map[string]struct{}{}
	}
	s.byVeeqo[k][e.ERPRef] = struct{}{}
}

func (s *Store) unindexExport(e store.Export) {
	if open := s.openExports[e.Account]; open != nil {
		delete(open, e.ERPRef)
		if len(open) == 0 {
			delete(s.openExports, e.Account)
		}
	}
	k := veeqoKey{e.Account, e.VeeqoOrderID}
	if refs := s.byVeeqo[k]; refs != nil {
		delete(refs, e.ERPRef)
		if len(refs) == 0 {
			delete(s.byVeeqo, k)
		}
	}
}

// ListExports implements store.ExportStore.
func (s *Store) ListExports(ctx context.Context, q store.ExportQuery) ([]store.Export, error) {
	if q.Account == "" {
		return nil, errors.New("memstore: list exports: account is required")
	}
	if q.Limit < 0 {
		return nil, fmt.Errorf("memstore: list exports: negative limit %d", q.Limit)
	}
	limit := q.Limit
	if limit == 0 {
		limit = defaultExportLimit
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Export
	for k, e := range s.selectExportsLocked(q) {
		switch {
		case k.a != q.Account,
			len(q.States) > 0 && !slices.Contains(q.States, e.State),
			q.Completed != nil && e.Completed != *q.Completed,
			!q.ExportedBefore.IsZero() && (e.ExportedAt.IsZero() || !e.ExportedAt.Before(q.ExportedBefore)),
			q.Number != "" && e.Number != q.Number,
			len(q.Refs) > 0 && len(q.VeeqoOrderIDs) > 0 && !slices.Contains(q.VeeqoOrderIDs, e.VeeqoOrderID),
			q.AfterRef != "" && e.ERPRef <= q.AfterRef:
			continue
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b store.Export) int { return cmp.Compare(a.ERPRef, b.ERPRef) })
	if len(out) > limit {
		out = out[:limit]
	}
	for i := range out {
		out[i] = cloneExport(out[i])
	}
	return out, nil
}
