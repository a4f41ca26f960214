package sync

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	stdsync "sync"
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
//
// The store reads LogQuery.AfterSeq 0 as "newest first", so a query without
// AfterSeq (the policy's catch-up before its first mail, and every digest)
// needs the oldest matching entry first. The first such query of an account
// and level set finds it by paging newest first; the source then remembers
// a Seq floor (every entry of that account and those levels at or after the
// query's Since has a larger Seq) and raises it as later queries read, so a
// later query with the same or a later Since reads oldest first from the
// floor: one cheap probe for the newest Seq plus what it yields, never the
// whole log again. The floor relies on the store handing out Seq in
// increasing order and making entries visible in that order (memstore and
// sqlitestore do; a store where a lower Seq can become visible after a
// higher one can make the policy miss an entry anyway, floor or not). The
// floors live in the returned source: build one per process and reuse it.
func NotifySource(s store.LogStore) notify.Source {
	return &notifySource{s: s, floors: map[string]logFloor{}}
}

// maxFloors bounds the floors a source remembers (one per account and
// level set; a policy uses one or two).
const maxFloors = 256

// logPage is the page size of the source's reads.
const logPage = 1000

type notifySource struct {
	s store.LogStore

	mu     stdsync.Mutex
	floors map[string]logFloor
}

// logFloor says: every entry of its account and levels with Time >= since
// has Seq > after.
type logFloor struct {
	since time.Time
	after int64
}

func floorKey(account string, levels []string) string {
	l := slices.Clone(levels)
	slices.Sort(l)
	return account + "\x00" + strings.Join(slices.Compact(l), ",")
}

// floor returns the floor usable for a query from since, if any.
func (n *notifySource) floor(key string, since time.Time) (int64, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	f, ok := n.floors[key]
	if !ok || f.after <= 0 || since.Before(f.since) {
		return 0, false
	}
	return f.after, true
}

func (n *notifySource) setFloor(key string, since time.Time, after int64) {
	if after <= 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.floors[key]; !ok && len(n.floors) >= maxFloors {
		clear(n.floors)
	}
	n.floors[key] = logFloor{since: since, after: after}
}

func (n *notifySource) Events(ctx context.Context, q notify.EventQuery) iter.Seq2[notify.Event, error] {
	return func(yield func(notify.Event, error) bool) {
		lq := store.LogQuery{Account: q.Account, From: q.Since, To: q.Until, Limit: logPage}
		for _, l := range q.Levels {
			lq.Levels = append(lq.Levels, string(l))
		}
		if q.AfterSeq > 0 {
			lq.AfterSeq = q.AfterSeq
			if _, _, err := ascend(ctx, n.s, lq, yield); err != nil {
				yield(notify.Event{}, err)
			}
			return
		}
		// Entries appended after this probe have a larger Seq than newest.
		newest, err := newestSeq(ctx, n.s, q.Account)
		if err != nil {
			yield(notify.Event{}, err)
			return
		}
		if newest == 0 {
			return // the account has no log
		}
		key := floorKey(q.Account, lq.Levels)
		after, ok := n.floor(key, q.Since)
		keepFloor := true // whether this read may raise the floor
		if !ok {
			var more bool
			after, keepFloor, more, err = n.firstFloor(ctx, q, lq.Levels, key, newest, yield)
			if err != nil {
				yield(notify.Event{}, err)
				return
			}
			if !more {
				return
			}
		}
		lq.AfterSeq = after
		first, complete, err := ascend(ctx, n.s, lq, yield)
		if err != nil {
			yield(notify.Event{}, err)
			return
		}
		if !keepFloor || !q.Until.IsZero() {
			// With Until, the first entry read is the oldest before Until,
			// not necessarily the oldest from Since.
			return
		}
		switch {
		case first > 1:
			n.setFloor(key, q.Since, first-1)
		case first == 0 && complete:
			n.setFloor(key, q.Since, newest)
		}
	}
}

// firstFloor starts the first query of its shape: it finds the oldest
// match by paging newest first (To left out, so the floor serves any
// Until) and sets the floor below it. It returns the Seq to read on after,
// whether the read may raise the floor, and whether there is more to read.
func (n *notifySource) firstFloor(ctx context.Context, q notify.EventQuery, levels []string, key string, newest int64, yield func(notify.Event, error) bool) (after int64, keepFloor, more bool, err error) {
	oldest, found, err := oldestEntry(ctx, n.s, store.LogQuery{Account: q.Account, Levels: levels, From: q.Since, Limit: logPage})
	if err != nil {
		return 0, false, false, err
	}
	if !found {
		n.setFloor(key, q.Since, newest)
		return 0, false, false, nil
	}
	if after = oldest.Seq - 1; after != 0 {
		n.setFloor(key, q.Since, after)
		return after, true, true, nil
	}
	// Seq 1 cannot be read oldest first (AfterSeq 0 means newest first):
	// yield it here, read on after it, and keep no floor that would hide
	// it from the next query.
	if q.Until.IsZero() || oldest.Time.Before(q.Until) {
		if !yield(eventOf(oldest), nil) {
			return 0, false, false, nil
		}
	}
	return oldest.Seq, false, true, nil
}

// ascend yields the entries lq selects after lq.AfterSeq (> 0), oldest
// first. It returns the Seq of the first entry yielded (0 if none), and
// whether the listing was read to its end.
func ascend(ctx context.Context, s store.LogStore, lq store.LogQuery, yield func(notify.Event, error) bool) (first int64, complete bool, err error) {
	for {
		page, err := s.QueryLogs(ctx, lq)
		if err != nil {
			return first, false, err
		}
		for _, en := range page.Entries {
			if first == 0 {
				first = en.Seq
			}
			if !yield(eventOf(en), nil) {
				return first, false, nil
			}
			lq.AfterSeq = en.Seq
		}
		if len(page.Entries) == 0 || (page.Next == "" && len(page.Entries) < lq.Limit) {
			return first, true, nil
		}
	}
}

// newestSeq returns the Seq of the account's newest log entry (0 if none):
// one entry read newest first, without filters.
func newestSeq(ctx context.Context, s store.LogStore, account string) (int64, error) {
	page, err := s.QueryLogs(ctx, store.LogQuery{Account: account, Limit: 1})
	if err != nil || len(page.Entries) == 0 {
		return 0, err
	}
	return page.Entries[0].Seq, nil
}

// oldestEntry finds the oldest entry q selects by paging newest first
// (constant memory).
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
