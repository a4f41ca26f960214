package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

func checkLog(e store.LogEntry) error {
	if e.Account == "" {
		return errors.New("log entry has no account")
	}
	return nil
}

// AppendLogs implements store.LogStore. A zero Time is the store's clock.
func (s *Store) AppendLogs(ctx context.Context, entries ...store.LogEntry) ([]store.LogEntry, error) {
	for i, e := range entries {
		if err := checkLog(e); err != nil {
			return nil, fmt.Errorf("memstore: append logs: entry %d: %w", i, err)
		}
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return s.appendLogsLocked(entries, s.now()), nil
}

func (s *Store) appendLogsLocked(entries []store.LogEntry, now time.Time) []store.LogEntry {
	out := make([]store.LogEntry, len(entries))
	for i, e := range entries {
		s.lastSeq++
		e.Seq = s.lastSeq
		e.Time = utc(e.Time)
		if e.Time.IsZero() {
			e.Time = now
		}
		s.logs = append(s.logs, e)
		out[i] = e
	}
	return out
}

// QueryLogs implements store.LogStore. Newest first means by Seq
// descending; Next (newest-first paging only) is the Seq to continue below.
// With AfterSeq, entries come oldest first and Next stays empty: the caller
// continues from the last entry's Seq.
func (s *Store) QueryLogs(ctx context.Context, q store.LogQuery) (store.LogPage, error) {
	if q.Account == "" {
		return store.LogPage{}, errors.New("memstore: query logs: account is required")
	}
	limit, err := pageLimit("query logs", q.Limit, defaultLogLimit)
	if err != nil {
		return store.LogPage{}, err
	}
	var before int64
	if q.Before != "" && q.AfterSeq == 0 {
		var c logCursor
		if err := store.DecodeCursor(q.Before, &c); err != nil || c.Seq <= 0 {
			return store.LogPage{}, fmt.Errorf("memstore: query logs: Before: %w", store.ErrBadCursor)
		}
		before = c.Seq
	}
	if err := s.lock(ctx); err != nil {
		return store.LogPage{}, err
	}
	defer s.mu.Unlock()
	match := func(e store.LogEntry) bool { return s.logMatches(e, q) }
	var page store.LogPage
	if q.AfterSeq > 0 {
		// s.logs is ordered by Seq.
		i, _ := slices.BinarySearchFunc(s.logs, q.AfterSeq+1, func(e store.LogEntry, seq int64) int { return cmp.Compare(e.Seq, seq) })
		for _, e := range s.logs[i:] {
			if len(page.Entries) == limit {
				break
			}
			if match(e) {
				page.Entries = append(page.Entries, e)
			}
		}
		return page, nil
	}
	for i := len(s.logs) - 1; i >= 0; i-- {
		e := s.logs[i]
		if before > 0 && e.Seq >= before {
			continue
		}
		if !match(e) {
			continue
		}
		if len(page.Entries) == limit {
			page.Next = store.EncodeCursor(logCursor{Seq: page.Entries[limit-1].Seq})
			break
		}
		page.Entries = append(page.Entries, e)
	}
	return page, nil
}

// logMatches reports whether q selects e (the paging aside). The caller
// holds the lock.
func (s *Store) logMatches(e store.LogEntry, q store.LogQuery) bool {
	switch {
	case e.Account != q.Account,
		q.RunID != "" && e.RunID != q.RunID,
		q.Process != "" && e.Process != q.Process,
		len(q.Levels) > 0 && !slices.Contains(q.Levels, e.Level),
		q.Reference != "" && e.Reference != q.Reference,
		q.Search != "" && !containsFold(e.Reference, q.Search) && !containsFold(e.Message, q.Search),
		!inRange(e.Time, q.From, q.To):
		return false
	}
	if q.HideResolved {
		if r, ok := s.records[key3{e.Account, e.Process, e.Reference}]; ok && r.Resolved {
			return false
		}
	}
	return true
}

// PurgeLogs implements store.LogStore.
func (s *Store) PurgeLogs(ctx context.Context, before time.Time) (int64, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := len(s.logs)
	s.logs = slices.DeleteFunc(s.logs, func(e store.LogEntry) bool { return e.Time.Before(before) })
	return int64(n - len(s.logs)), nil
}

// logCursor is the position of a newest-first log page: the last entry's
// Seq.
type logCursor struct {
	Seq int64 `json:"s"`
}
