package sync

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/store"
)

// NotifyState adapts a store to notify.State (the email policy's
// bookkeeping): a store.ErrConflict becomes a notify.ErrStateConflict.
func NotifyState(s store.NotifyStateStore) notify.State { return notifyState{s} }

type notifyState struct{ s store.NotifyStateStore }

func (n notifyState) LoadState(ctx context.Context, account, name string) ([]byte, int64, error) {
	return n.s.LoadNotifyState(ctx, account, name)
}

func (n notifyState) SaveState(ctx context.Context, account, name string, value []byte, version int64) error {
	err := n.s.SaveNotifyState(ctx, account, name, value, version)
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %w", notify.ErrStateConflict, err)
	}
	return err
}

// NotifySource adapts a store's log to notify.Source: events in ascending
// Seq order, for the email policy's catch-up and daily digest.
func NotifySource(s store.LogStore) notify.Source { return notifySource{s} }

type notifySource struct{ s store.LogStore }

func (n notifySource) Events(ctx context.Context, q notify.EventQuery) iter.Seq2[notify.Event, error] {
	return func(yield func(notify.Event, error) bool) {
		lq := store.LogQuery{Account: q.Account, From: q.Since, To: q.Until, AfterSeq: q.AfterSeq, Limit: 1000}
		for _, l := range q.Levels {
			lq.Levels = append(lq.Levels, string(l))
		}
		if lq.AfterSeq <= 0 {
			// The store reads AfterSeq 0 as "newest first". Find the oldest
			// matching entry by paging newest first (constant memory), yield
			// it, and go on oldest first after it.
			oldest, ok, err := oldestEntry(ctx, n.s, lq)
			if err != nil {
				yield(notify.Event{}, err)
				return
			}
			if !ok {
				return
			}
			if !yield(eventOf(oldest), nil) {
				return
			}
			lq.AfterSeq = oldest.Seq
		}
		for {
			page, err := n.s.QueryLogs(ctx, lq)
			if err != nil {
				yield(notify.Event{}, err)
				return
			}
			for _, en := range page.Entries {
				if !yield(eventOf(en), nil) {
					return
				}
				lq.AfterSeq = en.Seq
			}
			if len(page.Entries) == 0 || (page.Next == "" && len(page.Entries) < lq.Limit) {
				return
			}
		}
	}
}

func oldestEntry(ctx context.Context, s store.LogStore, q store.LogQuery) (store.LogEntry, bool, error) {
	q.AfterSeq = 0
	var last store.LogEntry
	found := false
	for {
		page, err := s.QueryLogs(ctx, q)
		if err != nil {
			return last, false, err
		}
		if len(page.Entries) > 0 {
			last = page.Entries[len(page.Entries)-1]
			found = true
		}
		if page.Next == "" {
			return last, found, nil
		}
		q.Before = page.Next
	}
}

func eventOf(en store.LogEntry) notify.Event {
	return notify.Event{Seq: en.Seq, Account: en.Account, RunID: en.RunID, Process: en.Process, Level: notify.Level(en.Level),
		Reference: en.Reference, Message: en.Message, Time: en.Time}
}

// NotifyHealth adapts a store to notify.Health: the last successful run and
// exported orders with no final confirmation.
func NotifyHealth(s store.Store) notify.Health { return notifyHealth{s} }

type notifyHealth struct{ s store.Store }

func (n notifyHealth) LastSuccessfulRun(ctx context.Context, account string) (time.Time, bool, error) {
	runs, err := n.s.QueryRuns(ctx, store.RunQuery{Account: account, Statuses: []store.RunStatus{store.RunSucceeded, store.RunPartial}, Limit: 1})
	if err != nil || len(runs) == 0 {
		return time.Time{}, false, err
	}
	t := runs[0].FinishedAt
	if t.IsZero() {
		t = runs[0].StartedAt
	}
	return t, true, nil
}

func (n notifyHealth) StaleExports(ctx context.Context, account string, olderThan time.Time) ([]string, error) {
	f := false
	var out []string
	after := ""
	for {
		list, err := n.s.ListExports(ctx, store.ExportQuery{Account: account, States: []store.ExportState{store.ExportExported},
			Completed: &f, ExportedBefore: olderThan, AfterRef: after, Limit: 500})
		if err != nil {
			return out, err
		}
		for _, ex := range list {
			out = append(out, ex.ERPRef)
		}
		if len(list) < 500 {
			return out, nil
		}
		after = list[len(list)-1].ERPRef
	}
}
