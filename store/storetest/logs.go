package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/xoroerp/veeqoconnect/store"
)

func logCases() []testCase {
	return []testCase{
		{"AppendAssignsSeq", testLogAppend},
		{"ConcurrentAppend", testLogConcurrentAppend},
		{"QueryFilters", testLogQuery},
		{"AfterSeqOldestFirst", testLogAfterSeq},
		{"PagingNewestFirst", testLogPaging},
		{"Purge", testLogPurge},
	}
}

func testLogAppend(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	addAccount(t, s, "other")
	in := []store.LogEntry{
		{Time: at(1), Account: "acme", RunID: "run-1", Process: "export_order", Level: store.LevelInfo, Reference: "SO-1", Message: "claimed"},
		{Time: at(1), Account: "acme", RunID: "run-1", Process: "export_order", Level: store.LevelWarning, Reference: "SO-1", Message: "default SKU"},
		{Time: at(2), Account: "acme", RunID: "run-1", Process: "export_order", Level: store.LevelError, Reference: "SO-2", Message: "422 ünïcødé \"quoted\""},
	}
	got, err := s.AppendLogs(ctx, in...)
	must(t, "AppendLogs", err)
	if len(got) != len(in) {
		t.Fatalf("AppendLogs returned %d entries, want %d", len(got), len(in))
	}
	var last int64
	for i := range got {
		if got[i].Seq <= last {
			t.Errorf("entry %d: Seq %d not above %d", i, got[i].Seq, last)
		}
		last = got[i].Seq
		want := in[i]
		want.Seq = got[i].Seq
		diff(t, fmt.Sprintf("AppendLogs entry %d", i), want, got[i])
	}
	more, err := s.AppendLogs(ctx, store.LogEntry{Time: at(3), Account: "other", Level: store.LevelInfo, Message: "x"}, store.LogEntry{Time: at(3), Account: "acme", Level: store.LevelInfo, Message: "y"})
	must(t, "AppendLogs", err)
	for _, e := range more {
		if e.Seq <= last {
			t.Errorf("Seq %d of a later append not above %d (Seq is store-wide)", e.Seq, last)
		}
		last = e.Seq
	}
	empty, err := s.AppendLogs(ctx)
	must(t, "AppendLogs with no entries", err)
	if len(empty) != 0 {
		t.Errorf("AppendLogs() = %v", empty)
	}
	page, err := s.QueryLogs(ctx, store.LogQuery{Account: "acme"})
	must(t, "QueryLogs", err)
	want := []store.LogEntry{more[1], got[2], got[1], got[0]}
	diff(t, "QueryLogs after appends (newest first)", want, page.Entries)
}

func testLogConcurrentAppend(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	const per = 10
	results := make([][]store.LogEntry, Race/2)
	errs := race(Race/2, func(i int) error {
		var batch []store.LogEntry
		for j := range per {
			batch = append(batch, store.LogEntry{Time: at(0), Account: "acme", Level: store.LevelInfo, Reference: fmt.Sprint(i), Message: fmt.Sprint(j)})
		}
		var err error
		results[i], err = s.AppendLogs(ctx, batch...)
		return err
	})
	if n := countWinners(t, "concurrent AppendLogs", errs); n != len(errs) {
		t.Fatalf("concurrent AppendLogs: %d of %d succeeded", n, len(errs))
	}
	seen := map[int64]bool{}
	for i, res := range results {
		if len(res) != per {
			t.Fatalf("appender %d got %d entries back", i, len(res))
		}
		for j, e := range res {
			if seen[e.Seq] {
				t.Errorf("Seq %d assigned twice", e.Seq)
			}
			seen[e.Seq] = true
			if j > 0 && e.Seq <= res[j-1].Seq {
				t.Errorf("appender %d: Seq not increasing within one append: %d after %d", i, e.Seq, res[j-1].Seq)
			}
		}
	}
	page, err := s.QueryLogs(ctx, store.LogQuery{Account: "acme", Limit: 1000})
	must(t, "QueryLogs", err)
	if len(page.Entries) != len(results)*per {
		t.Errorf("QueryLogs after concurrent appends: %d entries, want %d", len(page.Entries), len(results)*per)
	}
}

// logFixture appends entries in time order and returns them with Seq.
func logFixture(t *testing.T, s store.Store) []store.LogEntry {
	t.Helper()
	ctx := t.Context()
	addAccount(t, s, "acme")
	addAccount(t, s, "other")
	specs := []store.LogEntry{
		{RunID: "run-1", Process: "export_order", Level: store.LevelInfo, Reference: "SO-1", Message: "exported as 501"},
		{RunID: "run-1", Process: "export_order", Level: store.LevelError, Reference: "SO-2", Message: "422: Address MISSING"},
		{RunID: "run-1", Process: "export_order", Level: store.LevelWarning, Reference: "SO-3", Message: "default SKU used"},
		{RunID: "run-2", Process: "export_order", Level: store.LevelError, Reference: "SO-2", Message: "422 again"},
		{RunID: "run-2", Process: "import_confirmation", Level: store.LevelInfo, Reference: "SO-1", Message: "shipped via UPS"},
		{RunID: "run-2", Process: "import_confirmation", Level: store.LevelWarning, Reference: "so_4", Message: "late shipment"},
		{RunID: "run-3", Process: "fetch_fulfillment", Level: store.LevelInfo, Reference: "", Message: "run started, 50% done"},
		{RunID: "run-3", Process: "fetch_fulfillment", Level: store.LevelError, Reference: "V-9", Message: "ERP refused so-1"},
		// Same reference as the resolved export record, another process:
		// HideResolved must keep it.
		{RunID: "run-3", Process: "import_confirmation", Level: store.LevelInfo, Reference: "SO-2", Message: "confirmation received"},
	}
	var out []store.LogEntry
	for i, e := range specs {
		e.Account, e.Time = "acme", at(i*10)
		got, err := s.AppendLogs(ctx, e)
		must(t, "AppendLogs", err)
		out = append(out, got[0])
		e.Account = "other"
		_, err = s.AppendLogs(ctx, e)
		must(t, "AppendLogs other", err)
	}
	// Records for HideResolved: SO-2's export record resolved, SO-3's not.
	for _, r := range []string{"SO-2", "SO-3"} {
		_, err := s.UpsertRecord(ctx, store.RecordUpdate{Account: "acme", Process: "export_order", Reference: r, Status: store.RecordError, RunID: "run-2", At: at(100)})
		must(t, "UpsertRecord", err)
	}
	_, err := s.SetResolved(ctx, "acme", "export_order", "SO-2", true, "ops", "", at(101))
	must(t, "SetResolved", err)
	// The same record resolved in the other account must not hide acme's.
	_, err = s.UpsertRecord(ctx, store.RecordUpdate{Account: "other", Process: "export_order", Reference: "SO-3", Status: store.RecordError, RunID: "run-2", At: at(100)})
	must(t, "UpsertRecord", err)
	_, err = s.SetResolved(ctx, "other", "export_order", "SO-3", true, "ops", "", at(101))
	must(t, "SetResolved", err)
	return out
}

func testLogQuery(t *testing.T, s store.Store) {
	ctx := t.Context()
	all := logFixture(t, s)
	pick := func(idx ...int) []store.LogEntry { // newest first
		var out []store.LogEntry
		for _, i := range slices.Backward(idx) {
			out = append(out, all[i])
		}
		return out
	}
	tests := []struct {
		name string
		q    store.LogQuery
		want []store.LogEntry
	}{
		{"all", store.LogQuery{}, pick(0, 1, 2, 3, 4, 5, 6, 7, 8)},
		{"run", store.LogQuery{RunID: "run-2"}, pick(3, 4, 5)},
		{"process", store.LogQuery{Process: "export_order"}, pick(0, 1, 2, 3)},
		{"levels", store.LogQuery{Levels: []string{store.LevelError, store.LevelWarning}}, pick(1, 2, 3, 5, 7)},
		{"level error", store.LogQuery{Levels: []string{store.LevelError}}, pick(1, 3, 7)},
		{"reference (exact)", store.LogQuery{Reference: "SO-1"}, pick(0, 4)},
		{"search reference and message, case-insensitive", store.LogQuery{Search: "so-1"}, pick(0, 4, 7)},
		{"search message", store.LogQuery{Search: "address missing"}, pick(1)},
		{"search is literal: underscore", store.LogQuery{Search: "so_"}, pick(5)},
		{"search is literal: percent", store.LogQuery{Search: "50%"}, pick(6)},
		{"from (inclusive)", store.LogQuery{From: at(50)}, pick(5, 6, 7, 8)},
		{"to (exclusive)", store.LogQuery{To: at(20)}, pick(0, 1)},
		{"from-to", store.LogQuery{From: at(10), To: at(40)}, pick(1, 2, 3)},
		{"hide resolved", store.LogQuery{HideResolved: true}, pick(0, 2, 4, 5, 6, 7, 8)},
		{"hide resolved, errors", store.LogQuery{HideResolved: true, Levels: []string{store.LevelError}}, pick(7)},
		{"combined", store.LogQuery{RunID: "run-1", Levels: []string{store.LevelError, store.LevelInfo}, Search: "5"}, pick(0)},
		{"limit 2", store.LogQuery{Limit: 2}, pick(7, 8)},
		{"no match", store.LogQuery{RunID: "run-404"}, nil},
	}
	for _, tt := range tests {
		q := tt.q
		q.Account = "acme"
		page, err := s.QueryLogs(ctx, q)
		if err != nil {
			t.Errorf("QueryLogs %s: %v", tt.name, err)
			continue
		}
		diff(t, "QueryLogs "+tt.name, tt.want, page.Entries)
		if tt.q.Limit == 0 && page.Next != "" {
			t.Errorf("QueryLogs %s: Next = %q on the only page", tt.name, page.Next)
		}
	}
	if _, err := s.QueryLogs(ctx, store.LogQuery{}); err == nil {
		t.Error("QueryLogs without an account: no error")
	}
}

func testLogAfterSeq(t *testing.T, s store.Store) {
	ctx := t.Context()
	all := logFixture(t, s)
	tests := []struct {
		name string
		q    store.LogQuery
		want []store.LogEntry
	}{
		{"after the first", store.LogQuery{AfterSeq: all[0].Seq}, all[1:]},
		{"after the fifth", store.LogQuery{AfterSeq: all[4].Seq}, all[5:]},
		{"after the last", store.LogQuery{AfterSeq: all[len(all)-1].Seq}, nil},
		{"limit 3", store.LogQuery{AfterSeq: all[0].Seq, Limit: 3}, all[1:4]},
		{"with a filter", store.LogQuery{AfterSeq: all[1].Seq, Levels: []string{store.LevelError}}, []store.LogEntry{all[3], all[7]}},
		{"with a reference", store.LogQuery{AfterSeq: all[0].Seq, Reference: "SO-2"}, []store.LogEntry{all[1], all[3], all[8]}},
	}
	for _, tt := range tests {
		q := tt.q
		q.Account = "acme"
		page, err := s.QueryLogs(ctx, q)
		if err != nil {
			t.Errorf("QueryLogs %s: %v", tt.name, err)
			continue
		}
		diff(t, "QueryLogs AfterSeq "+tt.name+" (oldest first)", tt.want, page.Entries)
	}
	// Catching up page by page with AfterSeq reaches every entry once.
	got := []store.LogEntry{all[0]}
	after := all[0].Seq
	for range len(all) + 1 {
		page, err := s.QueryLogs(ctx, store.LogQuery{Account: "acme", AfterSeq: after, Limit: 3})
		must(t, "QueryLogs", err)
		if len(page.Entries) == 0 {
			break
		}
		got = append(got, page.Entries...)
		after = page.Entries[len(page.Entries)-1].Seq
	}
	diff(t, "catch-up with AfterSeq", all, got)
}

// testLogPaging is one piece on purpose: a conformance scenario is one sequence of
// steps on one store, each step's check beside it.
func testLogPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	const n = 250
	var batch []store.LogEntry
	for i := range n {
		batch = append(batch, store.LogEntry{Time: at(i), Account: "acme", RunID: fmt.Sprintf("run-%d", i%3), Process: "export_order",
			Level: []string{store.LevelInfo, store.LevelWarning, store.LevelError}[i%3], Reference: ref(i), Message: "m"})
	}
	all, err := s.AppendLogs(ctx, batch...)
	must(t, "AppendLogs", err)
	newestFirst := slices.Clone(all)
	slices.SortFunc(newestFirst, func(a, b store.LogEntry) int { return cmp.Compare(b.Seq, a.Seq) })

	tests := []struct {
		name  string
		q     store.LogQuery
		pages int
	}{
		{"limit 100", store.LogQuery{Limit: 100}, 3},
		{"limit 0 (default 100)", store.LogQuery{}, 3},
		{"limit 50 (exact multiple)", store.LogQuery{Limit: 50}, 5},
		{"limit 9", store.LogQuery{Limit: 9}, 28},
		{"limit above the maximum", store.LogQuery{Limit: 5000}, 1},
		{"errors, limit 20", store.LogQuery{Levels: []string{store.LevelError}, Limit: 20}, 5},
	}
	for _, tt := range tests {
		var want []store.LogEntry
		for _, e := range newestFirst {
			if len(tt.q.Levels) > 0 && !slices.Contains(tt.q.Levels, e.Level) {
				continue
			}
			want = append(want, e)
		}
		q := tt.q
		q.Account = "acme"
		var got []store.LogEntry
		pages := 0
		for {
			pages++
			if pages > n+1 {
				t.Fatalf("%s: paging does not end", tt.name)
			}
			page, err := s.QueryLogs(ctx, q)
			must(t, "QueryLogs "+tt.name, err)
			limit := cmp.Or(tt.q.Limit, 100)
			if len(page.Entries) > min(limit, 1000) {
				t.Errorf("%s: page %d has %d entries, limit %d", tt.name, pages, len(page.Entries), limit)
			}
			got = append(got, page.Entries...)
			if page.Next == "" {
				break
			}
			if len(page.Entries) == 0 {
				t.Fatalf("%s: empty page %d with a Next cursor", tt.name, pages)
			}
			q.Before = page.Next
		}
		diff(t, "paged log "+tt.name+" (newest first, no gaps, no duplicates)", want, got)
		if pages != tt.pages {
			t.Errorf("%s: %d pages, want %d (Next must be empty on the last page)", tt.name, pages, tt.pages)
		}
	}
	// Entries appended after the first page do not disturb paging down.
	first, err := s.QueryLogs(ctx, store.LogQuery{Account: "acme", Limit: 100})
	must(t, "QueryLogs", err)
	_, err = s.AppendLogs(ctx, store.LogEntry{Time: at(n), Account: "acme", Level: store.LevelInfo, Message: "new"})
	must(t, "AppendLogs", err)
	second, err := s.QueryLogs(ctx, store.LogQuery{Account: "acme", Limit: 100, Before: first.Next})
	must(t, "QueryLogs", err)
	diff(t, "second page after a new append", newestFirst[100:200], second.Entries)
	if _, err := s.QueryLogs(ctx, store.LogQuery{Account: "acme", Before: "garbage !!"}); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("QueryLogs with a garbage Before cursor: err = %v, want store.ErrBadCursor", err)
	}
}

func testLogPurge(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "a")
	addAccount(t, s, "b")
	var kept []store.LogEntry
	for i := range 10 {
		for _, acct := range []string{"a", "b"} {
			got, err := s.AppendLogs(ctx, store.LogEntry{Time: at(i * 60), Account: acct, Level: store.LevelInfo, Message: fmt.Sprint(i)})
			must(t, "AppendLogs", err)
			if i >= 4 && acct == "a" {
				kept = append(kept, got[0])
			}
		}
	}
	n, err := s.PurgeLogs(ctx, at(4*60))
	must(t, "PurgeLogs", err)
	if n != 8 {
		t.Errorf("PurgeLogs deleted %d entries, want 8 (4 per account, strictly older)", n)
	}
	page, err := s.QueryLogs(ctx, store.LogQuery{Account: "a", AfterSeq: 0})
	must(t, "QueryLogs", err)
	slices.Reverse(kept)
	diff(t, "entries left after PurgeLogs", kept, page.Entries)
	page, err = s.QueryLogs(ctx, store.LogQuery{Account: "b"})
	must(t, "QueryLogs", err)
	if len(page.Entries) != 6 {
		t.Errorf("account b has %d entries after PurgeLogs, want 6", len(page.Entries))
	}
	n, err = s.PurgeLogs(ctx, at(4*60))
	must(t, "PurgeLogs again", err)
	if n != 0 {
		t.Errorf("second PurgeLogs deleted %d, want 0", n)
	}
	// Appending after a purge still gives increasing Seq.
	last := kept[0].Seq
	got, err := s.AppendLogs(ctx, store.LogEntry{Time: at(1000), Account: "a", Level: store.LevelInfo, Message: "after"})
	must(t, "AppendLogs", err)
	if got[0].Seq <= last {
		t.Errorf("Seq after purge %d, not above %d", got[0].Seq, last)
	}
}
