package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

const (
	defaultRecordLimit = 50
	defaultLogLimit    = 100
	defaultRunLimit    = 50
	maxPageLimit       = 1000
)

// pageLimit applies a query's default and ceiling.
func pageLimit(what string, n, def int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("memstore: %s: negative limit %d", what, n)
	case n == 0:
		return def, nil
	case n > maxPageLimit:
		return maxPageLimit, nil
	}
	return n, nil
}

func checkRecordUpdate(u store.RecordUpdate) error {
	if u.Account == "" || u.Process == "" || u.Reference == "" {
		return fmt.Errorf("record update needs account (%q), process (%q) and reference (%q)", u.Account, u.Process, u.Reference)
	}
	return nil
}

// UpsertRecord implements store.RecordStore. A zero u.At is the store's
// clock.
func (s *Store) UpsertRecord(ctx context.Context, u store.RecordUpdate) (store.Record, error) {
	if err := checkRecordUpdate(u); err != nil {
		return store.Record{}, fmt.Errorf("memstore: upsert record: %w", err)
	}
	if err := s.lock(ctx); err != nil {
		return store.Record{}, err
	}
	defer s.mu.Unlock()
	return s.upsertRecordLocked(u, s.now()), nil
}

func (s *Store) upsertRecordLocked(u store.RecordUpdate, now time.Time) store.Record {
	k := key3{u.Account, u.Process, u.Reference}
	r, ok := s.records[k]
	if !ok {
		r = store.Record{Account: u.Account, Process: u.Process, Reference: u.Reference, CreatedAt: now}
	}
	r.Status = u.Status
	r.Message = u.Message
	if u.VeeqoOrderID != 0 {
		r.VeeqoOrderID = u.VeeqoOrderID
	}
	r.LastRunID = u.RunID
	r.LastRunAt = utc(u.At)
	if r.LastRunAt.IsZero() {
		r.LastRunAt = now
	}
	if u.CountAttempt {
		r.Attempts++
	}
	if u.Status == store.RecordError || u.Status == store.RecordWarning {
		r.Resolved, r.ResolvedBy, r.ResolutionNote, r.ResolvedAt = false, "", "", time.Time{}
	}
	r.UpdatedAt = now
	s.putRecordLocked(k, r)
	return r
}

// putRecordLocked stores r and keeps byStatus in step; s.mu is held.
func (s *Store) putRecordLocked(k key3, r store.Record) {
	if old, ok := s.records[k]; ok && old.Status != r.Status {
		sk := key2{k.a, string(old.Status)}
		delete(s.byStatus[sk], k)
		if len(s.byStatus[sk]) == 0 {
			delete(s.byStatus, sk)
		}
	}
	sk := key2{k.a, string(r.Status)}
	if s.byStatus[sk] == nil {
		s.byStatus[sk] = map[key3]struct{}{}
	}
	s.byStatus[sk][k] = struct{}{}
	s.records[k] = r
}

// GetRecord implements store.RecordStore.
func (s *Store) GetRecord(ctx context.Context, account, process, reference string) (store.Record, error) {
	if err := s.lock(ctx); err != nil {
		return store.Record{}, err
	}
	defer s.mu.Unlock()
	r, ok := s.records[key3{account, process, reference}]
	if !ok {
		return store.Record{}, fmt.Errorf("memstore: record %s/%s/%s: %w", account, process, reference, store.ErrNotFound)
	}
	return r, nil
}

// GetRecords implements store.RecordStore.
func (s *Store) GetRecords(ctx context.Context, account, process string, references []string) ([]store.Record, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	refs := slices.Clone(references)
	slices.Sort(refs)
	refs = slices.Compact(refs)
	var out []store.Record
	for _, ref := range refs {
		if r, ok := s.records[key3{account, process, ref}]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// SetResolved implements store.RecordStore. A zero at is the store's clock.
func (s *Store) SetResolved(ctx context.Context, account, process, reference string, resolved bool, by, note string, at time.Time) (store.Record, error) {
	if err := s.lock(ctx); err != nil {
		return store.Record{}, err
	}
	defer s.mu.Unlock()
	k := key3{account, process, reference}
	r, ok := s.records[k]
	if !ok {
		return store.Record{}, fmt.Errorf("memstore: resolve record %s/%s/%s: %w", account, process, reference, store.ErrNotFound)
	}
	now := s.now()
	if resolved {
		r.Resolved, r.ResolvedBy, r.ResolutionNote, r.ResolvedAt = true, by, note, utc(at)
		if r.ResolvedAt.IsZero() {
			r.ResolvedAt = now
		}
	} else {
		r.Resolved, r.ResolvedBy, r.ResolutionNote, r.ResolvedAt = false, "", "", time.Time{}
	}
	r.UpdatedAt = now
	s.putRecordLocked(k, r)
	return r, nil
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func inRange(t, from, to time.Time) bool {
	return (from.IsZero() || !t.Before(from)) && (to.IsZero() || t.Before(to))
}

func matchRecord(q store.RecordQuery, r store.Record) bool {
	switch {
	case r.Account != q.Account,
		q.Process != "" && r.Process != q.Process,
		len(q.Statuses) > 0 && !slices.Contains(q.Statuses, r.Status),
		q.HideResolved && r.Resolved,
		q.ErrorsOnly && r.Status != store.RecordError && r.Status != store.RecordWarning,
		q.Search != "" && !containsFold(r.Reference, q.Search) && !containsFold(r.Message, q.Search),
		!inRange(r.LastRunAt, q.From, q.To):
		return false
	}
	return true
}

// recordCursor is the decoded RecordQuery.After: the last record of the
// previous page.
type recordCursor struct {
	At        int64  `json:"t"`
	Process   string `json:"p"`
	Reference string `json:"r"`
}

// recordOrder is the page order: LastRunAt descending, then Process and
// Reference ascending.
func recordOrder(a, b recordCursor) int {
	return cmp.Or(cmp.Compare(b.At, a.At), cmp.Compare(a.Process, b.Process), cmp.Compare(a.Reference, b.Reference))
}

func cursorOf(r store.Record) recordCursor {
	return recordCursor{At: r.LastRunAt.UnixNano(), Process: r.Process, Reference: r.Reference}
}

// selectRecordsLocked returns the records q matches: from byStatus when q
// names statuses (the engine's passes ask for the few in error or
// pending), else from every record.
func (s *Store) selectRecordsLocked(q store.RecordQuery) []store.Record {
	var out []store.Record
	if len(q.Statuses) > 0 {
		for _, st := range slices.Compact(slices.Sorted(slices.Values(q.Statuses))) {
			for k := range s.byStatus[key2{q.Account, string(st)}] {
				if r := s.records[k]; matchRecord(q, r) {
					out = append(out, r)
				}
			}
		}
		return out
	}
	for _, r := range s.records {
		if matchRecord(q, r) {
			out = append(out, r)
		}
	}
	return out
}

// QueryRecords implements store.RecordStore.
func (s *Store) QueryRecords(ctx context.Context, q store.RecordQuery) (store.RecordPage, error) {
	if q.Account == "" {
		return store.RecordPage{}, errors.New("memstore: query records: account is required")
	}
	limit, err := pageLimit("query records", q.Limit, defaultRecordLimit)
	if err != nil {
		return store.RecordPage{}, err
	}
	var after *recordCursor
	if q.After != "" {
		var c recordCursor
		if err := store.DecodeCursor(q.After, &c); err != nil {
			return store.RecordPage{}, fmt.Errorf("memstore: query records: After: %w", err)
		}
		after = &c
	}
	if err := s.lock(ctx); err != nil {
		return store.RecordPage{}, err
	}
	defer s.mu.Unlock()
	recs := s.selectRecordsLocked(q)
	if after != nil {
		recs = slices.DeleteFunc(recs, func(r store.Record) bool { return recordOrder(cursorOf(r), *after) <= 0 })
	}
	slices.SortFunc(recs, func(a, b store.Record) int { return recordOrder(cursorOf(a), cursorOf(b)) })
	var page store.RecordPage
	if len(recs) > limit {
		recs = recs[:limit]
		page.Next = store.EncodeCursor(cursorOf(recs[limit-1]))
	}
	page.Records = recs
	return page, nil
}

// CountRecords implements store.RecordStore.
func (s *Store) CountRecords(ctx context.Context, q store.RecordQuery) (store.RecordCounts, error) {
	if q.Account == "" {
		return store.RecordCounts{}, errors.New("memstore: count records: account is required")
	}
	if err := s.lock(ctx); err != nil {
		return store.RecordCounts{}, err
	}
	defer s.mu.Unlock()
	c := store.RecordCounts{ByStatus: map[store.RecordStatus]int{}}
	for _, r := range s.selectRecordsLocked(q) {
		c.Total++
		if !r.Resolved {
			c.Unresolved++
		}
		c.ByStatus[r.Status]++
	}
	return c, nil
}
