package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
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
	s.records[k] = r
	return r
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
	s.records[k] = r
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

func (s *Store) selectRecordsLocked(q store.RecordQuery) []store.Record {
	var out []store.Record
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

// ---- logs

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
	match := func(e store.LogEntry) bool {
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

// ---- runs

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

// ---- customers and notification state

// CustomerID implements store.CustomerStore.
func (s *Store) CustomerID(ctx context.Context, account, email string) (int64, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	id, ok := s.customers[key2{account, strings.ToLower(email)}]
	if !ok {
		return 0, fmt.Errorf("memstore: customer of %s by email: %w", account, store.ErrNotFound)
	}
	return id, nil
}

// PutCustomerID implements store.CustomerStore.
func (s *Store) PutCustomerID(ctx context.Context, account, email string, id int64) error {
	if account == "" || email == "" {
		return errors.New("memstore: put customer id: account and email are required")
	}
	if id <= 0 {
		return fmt.Errorf("memstore: put customer id: id %d must be positive", id)
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.customers[key2{account, strings.ToLower(email)}] = id
	return nil
}

// LoadNotifyState implements store.NotifyStateStore.
func (s *Store) LoadNotifyState(ctx context.Context, account, name string) ([]byte, int64, error) {
	if err := s.lock(ctx); err != nil {
		return nil, 0, err
	}
	defer s.mu.Unlock()
	st, ok := s.notifyVals[key2{account, name}]
	if !ok {
		return nil, 0, nil
	}
	return slices.Clone(st.value), st.version, nil
}

// SaveNotifyState implements store.NotifyStateStore.
func (s *Store) SaveNotifyState(ctx context.Context, account, name string, value []byte, version int64) error {
	if account == "" || name == "" {
		return fmt.Errorf("memstore: save notify state: account (%q) and name (%q) are required", account, name)
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	k := key2{account, name}
	cur := s.notifyVals[k]
	if cur.version != version {
		return fmt.Errorf("memstore: save notify state %s/%s: version %d, stored %d: %w", account, name, version, cur.version, store.ErrConflict)
	}
	v := slices.Clone(value)
	if v == nil {
		v = []byte{}
	}
	s.notifyVals[k] = notifyState{value: v, version: version + 1}
	return nil
}

// logCursor is the position of a newest-first log page: the last entry's
// Seq.
type logCursor struct {
	Seq int64 `json:"s"`
}
