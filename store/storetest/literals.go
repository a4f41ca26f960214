package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

func literalCases() []testCase {
	return []testCase{
		{"SQLMetacharactersInSearchAndFilters", testSQLMetacharacters},
	}
}

// metacharacterRefs are references a user or a marketplace can send: SQL
// quoting, comment and pattern characters, an injection attempt, and the
// characters LIKE escapes use.
var metacharacterRefs = []string{
	`O'Brien-1`,
	`SO"2`,
	`SO\3`,
	`SO%4`,
	`SO_5`,
	`SO[6]`,
	`SO*7?`,
	`x'); DROP TABLE records; --`,
	`' OR '1'='1`,
	`SO-8 /* c */`,
	`\%_`,
	`SO$1::text`,
	"SO\u202e9",
	`日本-10`,
}

// testSQLMetacharacters: every search and filter field matches its value
// literally, on every store: a search or filter holding SQL quoting,
// comment or pattern characters finds exactly the rows holding that text,
// and breaks nothing.
// It is one piece on purpose: a conformance scenario is one sequence of
// steps on one store, each step's check beside it.
func testSQLMetacharacters(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	at0 := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	var entries []store.LogEntry
	for i, ref := range metacharacterRefs {
		_, err := s.UpsertRecord(ctx, store.RecordUpdate{Account: "acme", Process: "export_order", Reference: ref,
			Status: store.RecordError, Message: "failed: " + ref, RunID: "run-" + ref, At: at0.Add(time.Duration(i) * time.Second)})
		must(t, "UpsertRecord "+ref, err)
		entries = append(entries, store.LogEntry{Account: "acme", RunID: "run-" + ref, Process: "export_order", Level: store.LevelError,
			Reference: ref, Message: "failed: " + ref, Time: at0.Add(time.Duration(i) * time.Second)})
	}
	_, err := s.AppendLogs(ctx, entries...)
	must(t, "AppendLogs", err)

	// The table is intact and every row is there.
	all, err := s.QueryRecords(ctx, store.RecordQuery{Account: "acme", Limit: 1000})
	must(t, "QueryRecords (all)", err)
	if len(all.Records) != len(metacharacterRefs) {
		t.Fatalf("QueryRecords: %d records, want %d", len(all.Records), len(metacharacterRefs))
	}

	for _, ref := range metacharacterRefs {
		// Search: the reference itself and the message holding it. Other
		// references contain this one only where it is a real substring.
		want := []string{}
		for _, other := range metacharacterRefs {
			if containsFold(other, ref) {
				want = append(want, other)
			}
		}
		slices.Sort(want)
		page, err := s.QueryRecords(ctx, store.RecordQuery{Account: "acme", Search: ref, Limit: 1000})
		must(t, "QueryRecords Search "+ref, err)
		var got []string
		for _, r := range page.Records {
			got = append(got, r.Reference)
		}
		slices.Sort(got)
		diff(t, "QueryRecords Search "+ref, want, got)
		n, err := s.CountRecords(ctx, store.RecordQuery{Account: "acme", Search: ref})
		must(t, "CountRecords Search "+ref, err)
		if n.Total != len(want) {
			t.Errorf("CountRecords Search %q = %d, want %d", ref, n.Total, len(want))
		}

		lp, err := s.QueryLogs(ctx, store.LogQuery{Account: "acme", Search: ref, Limit: 1000})
		must(t, "QueryLogs Search "+ref, err)
		got = got[:0]
		for _, e := range lp.Entries {
			got = append(got, e.Reference)
		}
		slices.Sort(got)
		diff(t, "QueryLogs Search "+ref, want, got)

		// Exact filters: the reference, the run id, the process.
		lp, err = s.QueryLogs(ctx, store.LogQuery{Account: "acme", Reference: ref, Limit: 1000})
		must(t, "QueryLogs Reference "+ref, err)
		if len(lp.Entries) != 1 || lp.Entries[0].Reference != ref {
			t.Errorf("QueryLogs Reference %q: %d entries %+v, want the one", ref, len(lp.Entries), lp.Entries)
		}
		lp, err = s.QueryLogs(ctx, store.LogQuery{Account: "acme", RunID: "run-" + ref, Limit: 1000})
		must(t, "QueryLogs RunID "+ref, err)
		if len(lp.Entries) != 1 || lp.Entries[0].Reference != ref {
			t.Errorf("QueryLogs RunID %q: %d entries, want the one", "run-"+ref, len(lp.Entries))
		}
		r, err := s.GetRecord(ctx, "acme", "export_order", ref)
		must(t, "GetRecord "+ref, err)
		if r.Reference != ref || r.Message != "failed: "+ref {
			t.Errorf("GetRecord %q = %+v", ref, r)
		}
		page, err = s.QueryRecords(ctx, store.RecordQuery{Account: "acme", Process: ref, Limit: 1000})
		must(t, "QueryRecords Process "+ref, err)
		if len(page.Records) != 0 {
			t.Errorf("QueryRecords Process %q: %d records, want none", ref, len(page.Records))
		}
	}
	// An account name is a filter too.
	for _, acct := range []string{`acme' OR '1'='1`, `acm%`, `acm_`} {
		page, err := s.QueryRecords(ctx, store.RecordQuery{Account: acct, Limit: 1000})
		if err == nil && len(page.Records) != 0 {
			t.Errorf("QueryRecords Account %q: %d records of another account", acct, len(page.Records))
		}
	}
}

// containsFold is strings.Contains, ignoring case as the stores' searches do.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
