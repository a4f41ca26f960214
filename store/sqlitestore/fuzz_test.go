package sqlitestore_test

import (
	"errors"
	"testing"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
)

// FuzzPagingCursors feeds arbitrary strings to the paging cursors of
// QueryRecords (After) and QueryLogs (Before): each either pages or fails
// with ErrInvalid; nothing else, and never a panic.
func FuzzPagingCursors(f *testing.F) {
	s := newStore(f)
	ctx := f.Context()
	for i := range 3 {
		_, err := s.UpsertRecord(ctx, store.RecordUpdate{Account: "a", Process: "p", Reference: string(rune('a' + i)), Status: store.RecordError})
		if err != nil {
			f.Fatal(err)
		}
		if _, err := s.AppendLogs(ctx, store.LogEntry{Account: "a", Message: "m"}); err != nil {
			f.Fatal(err)
		}
	}
	recs, err := s.QueryRecords(ctx, store.RecordQuery{Account: "a", Limit: 1})
	if err != nil {
		f.Fatal(err)
	}
	logs, err := s.QueryLogs(ctx, store.LogQuery{Account: "a", Limit: 1})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{recs.Next, logs.Next, "", "x", "eyJrIjoicmVjb3JkcyJ9", "eyJrIjoibG9ncyIsInMiOi0xfQ", "%%%"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, c string) {
		if _, err := s.QueryRecords(ctx, store.RecordQuery{Account: "a", After: c, Limit: 2}); err != nil && !errors.Is(err, sqlitestore.ErrInvalid) {
			t.Errorf("QueryRecords After %q: %v, want a page or ErrInvalid", c, err)
		}
		if _, err := s.QueryLogs(ctx, store.LogQuery{Account: "a", Before: c, Limit: 2}); err != nil && !errors.Is(err, sqlitestore.ErrInvalid) {
			t.Errorf("QueryLogs Before %q: %v, want a page or ErrInvalid", c, err)
		}
	})
}
