package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

func recordCases() []testCase {
	return []testCase{
		{"GetRecordsOfReferences", testGetRecords},
		{"Upsert", testRecordUpsert},
		{"SetResolvedAndReopen", testRecordResolve},
		{"QueryFiltersAndCounts", testRecordQuery},
		{"QueryFollowsStatusChanges", testRecordQueryFollowsStatus},
		{"Paging", testRecordPaging},
		{"ConcurrentUpsertCountsEveryAttempt", testRecordConcurrentUpsert},
	}
}

// testRecordUpsert is one piece on purpose: a conformance scenario is one sequence of
// steps on one store, each step's check beside it.
func testRecordUpsert(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	u := store.RecordUpdate{Account: "acme", Process: "export_order", Reference: "SO-1", Status: store.RecordError,
		Message: "422: address invalid", RunID: "run-1", At: at(1), CountAttempt: true}
	lo := time.Now()
	r1, err := s.UpsertRecord(ctx, u)
	hi := time.Now()
	must(t, "UpsertRecord (create)", err)
	stamped(t, "UpsertRecord: CreatedAt", r1.CreatedAt, lo, hi)
	want := store.Record{Account: "acme", Process: "export_order", Reference: "SO-1", Status: store.RecordError,
		Message: "422: address invalid", Attempts: 1, LastRunID: "run-1", LastRunAt: at(1),
		CreatedAt: r1.CreatedAt, UpdatedAt: r1.UpdatedAt}
	diff(t, "UpsertRecord (create)", want, r1)
	read, err := s.GetRecord(ctx, "acme", "export_order", "SO-1")
	must(t, "GetRecord", err)
	diff(t, "GetRecord", want, read)

	steps := []struct {
		name string
		u    store.RecordUpdate
		want func(r store.Record) store.Record
	}{
		{"second attempt, Veeqo id known",
			store.RecordUpdate{Status: store.RecordSuccess, Message: "exported", VeeqoOrderID: 777, RunID: "run-2", At: at(2), CountAttempt: true},
			func(r store.Record) store.Record {
				r.Status, r.Message, r.VeeqoOrderID, r.LastRunID, r.LastRunAt, r.Attempts = store.RecordSuccess, "exported", 777, "run-2", at(2), 2
				return r
			}},
		{"no attempt counted, zero Veeqo id keeps it",
			store.RecordUpdate{Status: store.RecordWarning, Message: "late shipment", RunID: "run-3", At: at(3)},
			func(r store.Record) store.Record {
				r.Status, r.Message, r.LastRunID, r.LastRunAt = store.RecordWarning, "late shipment", "run-3", at(3)
				return r
			}},
		{"new Veeqo id replaces it",
			store.RecordUpdate{Status: store.RecordSkipped, Message: "", VeeqoOrderID: 888, RunID: "run-4", At: at(4), CountAttempt: true},
			func(r store.Record) store.Record {
				r.Status, r.Message, r.VeeqoOrderID, r.LastRunID, r.LastRunAt, r.Attempts = store.RecordSkipped, "", 888, "run-4", at(4), 3
				return r
			}},
	}
	prev := want
	for _, st := range steps {
		u := st.u
		u.Account, u.Process, u.Reference = "acme", "export_order", "SO-1"
		got, err := s.UpsertRecord(ctx, u)
		must(t, "UpsertRecord "+st.name, err)
		w := st.want(prev)
		w.UpdatedAt = got.UpdatedAt
		diff(t, "UpsertRecord "+st.name, w, got)
		read, err := s.GetRecord(ctx, "acme", "export_order", "SO-1")
		must(t, "GetRecord", err)
		diff(t, "GetRecord after "+st.name, w, read)
		prev = w
	}

	// (account, process, reference) is the key.
	other, err := s.UpsertRecord(ctx, store.RecordUpdate{Account: "acme", Process: "import_confirmation", Reference: "SO-1", Status: store.RecordPending, RunID: "run-5", At: at(5)})
	must(t, "UpsertRecord of another process", err)
	if other.Attempts != 0 || other.Status != store.RecordPending {
		t.Errorf("record of another process = %+v, want a fresh one", other)
	}
	read, err = s.GetRecord(ctx, "acme", "export_order", "SO-1")
	must(t, "GetRecord", err)
	diff(t, "GetRecord after another process's upsert", prev, read)

	for _, k := range [][3]string{{"acme", "export_order", "SO-404"}, {"acme", "fetch_fulfillment", "SO-1"}, {"other", "export_order", "SO-1"}} {
		_, err = s.GetRecord(ctx, k[0], k[1], k[2])
		wantErr(t, fmt.Sprintf("GetRecord%v", k), err, store.ErrNotFound)
	}
}

func testRecordResolve(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	up := func(status store.RecordStatus, min int) store.Record {
		t.Helper()
		r, err := s.UpsertRecord(ctx, store.RecordUpdate{Account: "acme", Process: "export_order", Reference: "SO-1", Status: status, Message: string(status), RunID: "run", At: at(min)})
		must(t, "UpsertRecord", err)
		return r
	}
	up(store.RecordError, 1)
	r, err := s.SetResolved(ctx, "acme", "export_order", "SO-1", true, "ops@acme.test", "fixed the address by hand", at(2))
	must(t, "SetResolved true", err)
	if !r.Resolved || r.ResolvedBy != "ops@acme.test" || r.ResolutionNote != "fixed the address by hand" || r.ResolvedAt.Sub(at(2)).Abs() > TimeTolerance {
		t.Errorf("SetResolved true = %+v", r)
	}
	read, err := s.GetRecord(ctx, "acme", "export_order", "SO-1")
	must(t, "GetRecord", err)
	diff(t, "GetRecord after SetResolved", r, read)

	// Success and skipped keep it resolved.
	for i, st := range []store.RecordStatus{store.RecordSuccess, store.RecordSkipped, store.RecordPending} {
		got := up(st, 3+i)
		if !got.Resolved || got.ResolvedBy != "ops@acme.test" {
			t.Errorf("UpsertRecord %s reopened a resolved record: %+v", st, got)
		}
	}
	// Error and warning reopen it.
	for i, st := range []store.RecordStatus{store.RecordError, store.RecordWarning} {
		_, err := s.SetResolved(ctx, "acme", "export_order", "SO-1", true, "ops", "note", at(10+i))
		must(t, "SetResolved", err)
		got := up(st, 11+i)
		if got.Resolved {
			t.Errorf("UpsertRecord %s left the record resolved", st)
		}
		read, err := s.GetRecord(ctx, "acme", "export_order", "SO-1")
		must(t, "GetRecord", err)
		if read.Resolved {
			t.Errorf("after UpsertRecord %s GetRecord says resolved", st)
		}
	}

	_, err = s.SetResolved(ctx, "acme", "export_order", "SO-1", true, "ops", "note", at(20))
	must(t, "SetResolved true", err)
	r, err = s.SetResolved(ctx, "acme", "export_order", "SO-1", false, "ignored", "ignored", at(21))
	must(t, "SetResolved false", err)
	if r.Resolved || r.ResolvedBy != "" || r.ResolutionNote != "" || !r.ResolvedAt.IsZero() {
		t.Errorf("SetResolved false = %+v, want by, note and time cleared", r)
	}
	read, err = s.GetRecord(ctx, "acme", "export_order", "SO-1")
	must(t, "GetRecord", err)
	diff(t, "GetRecord after SetResolved false", r, read)

	_, err = s.SetResolved(ctx, "acme", "export_order", "SO-404", true, "ops", "", at(1))
	wantErr(t, "SetResolved of a missing record", err, store.ErrNotFound)
}

// recordFixture writes a set of records for the query tests and returns them
// keyed by reference.
func recordFixture(t *testing.T, s store.Store) map[string]store.Record {
	t.Helper()
	ctx := t.Context()
	addAccount(t, s, "acme")
	addAccount(t, s, "other")
	type spec struct {
		process, ref string
		status       store.RecordStatus
		msg          string
		min          int
		resolved     bool
	}
	specs := []spec{
		{"export_order", "SO-1", store.RecordSuccess, "exported as 501", 0, false},
		{"export_order", "SO-2", store.RecordError, "422: Address line 1 is MISSING", 10, false},
		{"export_order", "SO-3", store.RecordError, "timeout, outcome unknown", 20, true},
		{"export_order", "SO-4", store.RecordWarning, "default SKU used for line 2", 30, false},
		{"export_order", "so_5", store.RecordSkipped, "filtered out", 40, false},
		{"import_confirmation", "SO-1", store.RecordSuccess, "shipped via UPS", 50, false},
		{"import_confirmation", "SO-2", store.RecordWarning, "late shipment ignored", 60, true},
		{"fetch_fulfillment", "V-100", store.RecordPending, "50% allocated", 70, false},
		{"fetch_fulfillment", "V-101", store.RecordError, "ERP refused: so-1 closed", 80, false},
	}
	out := map[string]store.Record{}
	for _, sp := range specs {
		_, err := s.UpsertRecord(ctx, store.RecordUpdate{Account: "acme", Process: sp.process, Reference: sp.ref, Status: sp.status, Message: sp.msg, RunID: "run", At: at(sp.min), CountAttempt: true})
		must(t, "UpsertRecord", err)
		if sp.resolved {
			_, err = s.SetResolved(ctx, "acme", sp.process, sp.ref, true, "ops", "ok", at(sp.min+1))
			must(t, "SetResolved", err)
		}
		r, err := s.GetRecord(ctx, "acme", sp.process, sp.ref)
		must(t, "GetRecord", err)
		out[sp.process+"/"+sp.ref] = r
		// The same record in another account: never visible to acme.
		_, err = s.UpsertRecord(ctx, store.RecordUpdate{Account: "other", Process: sp.process, Reference: sp.ref, Status: sp.status, Message: sp.msg, RunID: "run", At: at(sp.min)})
		must(t, "UpsertRecord other", err)
	}
	return out
}

// testRecordQuery is one piece on purpose: a conformance scenario is one sequence of
// steps on one store, each step's check beside it.
func testRecordQuery(t *testing.T, s store.Store) {
	ctx := t.Context()
	all := recordFixture(t, s)
	newestFirst := []string{
		"fetch_fulfillment/V-101", "fetch_fulfillment/V-100", "import_confirmation/SO-2", "import_confirmation/SO-1",
		"export_order/so_5", "export_order/SO-4", "export_order/SO-3", "export_order/SO-2", "export_order/SO-1",
	}
	keep := func(keys ...string) []string {
		return slices.DeleteFunc(slices.Clone(newestFirst), func(k string) bool { return !slices.Contains(keys, k) })
	}
	tests := []struct {
		name string
		q    store.RecordQuery
		want []string
	}{
		{"all", store.RecordQuery{}, newestFirst},
		{"process", store.RecordQuery{Process: "export_order"}, keep("export_order/SO-1", "export_order/SO-2", "export_order/SO-3", "export_order/SO-4", "export_order/so_5")},
		{"statuses", store.RecordQuery{Statuses: []store.RecordStatus{store.RecordSuccess, store.RecordSkipped}}, keep("export_order/SO-1", "export_order/so_5", "import_confirmation/SO-1")},
		{"hide resolved", store.RecordQuery{HideResolved: true}, keep("export_order/SO-1", "export_order/SO-2", "export_order/SO-4", "export_order/so_5", "import_confirmation/SO-1", "fetch_fulfillment/V-100", "fetch_fulfillment/V-101")},
		{"errors only", store.RecordQuery{ErrorsOnly: true}, keep("export_order/SO-2", "export_order/SO-3", "export_order/SO-4", "import_confirmation/SO-2", "fetch_fulfillment/V-101")},
		{"errors only, unresolved", store.RecordQuery{ErrorsOnly: true, HideResolved: true}, keep("export_order/SO-2", "export_order/SO-4", "fetch_fulfillment/V-101")},
		{"search reference, case-insensitive", store.RecordQuery{Search: "so-1"}, keep("export_order/SO-1", "import_confirmation/SO-1", "fetch_fulfillment/V-101")},
		{"search message, case-insensitive", store.RecordQuery{Search: "address LINE"}, keep("export_order/SO-2")},
		{"search message upper", store.RecordQuery{Search: "UPS"}, keep("import_confirmation/SO-1")},
		{"search is literal: underscore", store.RecordQuery{Search: "so_"}, keep("export_order/so_5")},
		{"search is literal: percent", store.RecordQuery{Search: "50%"}, keep("fetch_fulfillment/V-100")},
		{"search no match", store.RecordQuery{Search: "nothing like this"}, nil},
		{"from (inclusive)", store.RecordQuery{From: at(60)}, keep("import_confirmation/SO-2", "fetch_fulfillment/V-100", "fetch_fulfillment/V-101")},
		{"to (exclusive)", store.RecordQuery{To: at(20)}, keep("export_order/SO-1", "export_order/SO-2")},
		{"from-to", store.RecordQuery{From: at(10), To: at(40)}, keep("export_order/SO-2", "export_order/SO-3", "export_order/SO-4")},
		{"process and errors only and search", store.RecordQuery{Process: "export_order", ErrorsOnly: true, Search: "unknown"}, keep("export_order/SO-3")},
	}
	for _, tt := range tests {
		q := tt.q
		q.Account = "acme"
		page, err := s.QueryRecords(ctx, q)
		if err != nil {
			t.Errorf("QueryRecords %s: %v", tt.name, err)
			continue
		}
		var want []store.Record
		c := store.RecordCounts{ByStatus: map[store.RecordStatus]int{}}
		for _, k := range tt.want {
			r := all[k]
			want = append(want, r)
			c.Total++
			if !r.Resolved {
				c.Unresolved++
			}
			c.ByStatus[r.Status]++
		}
		diff(t, "QueryRecords "+tt.name, want, page.Records)
		if page.Next != "" {
			t.Errorf("QueryRecords %s: Next = %q on the only page", tt.name, page.Next)
		}
		// Counts ignore After and Limit.
		q.Limit = 1
		gotCounts, err := s.CountRecords(ctx, q)
		if err != nil {
			t.Errorf("CountRecords %s: %v", tt.name, err)
			continue
		}
		maps.DeleteFunc(gotCounts.ByStatus, func(_ store.RecordStatus, n int) bool { return n == 0 })
		diff(t, "CountRecords "+tt.name, c, gotCounts)
	}
	if _, err := s.QueryRecords(ctx, store.RecordQuery{}); err == nil {
		t.Error("QueryRecords without an account: no error")
	}
	if _, err := s.CountRecords(ctx, store.RecordQuery{}); err == nil {
		t.Error("CountRecords without an account: no error")
	}
}

// testRecordPaging pages 250 records with ties on LastRunAt through several
// page sizes and filters, and checks the documented order with no gaps and
// no duplicates.
// It is one piece on purpose: a conformance scenario is one sequence of
// steps on one store, each step's check beside it.
func testRecordPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	const n = 250
	var all []store.Record
	for i := range n {
		proc := []string{"export_order", "import_confirmation"}[i%2]
		status := []store.RecordStatus{store.RecordSuccess, store.RecordError, store.RecordWarning, store.RecordSkipped, store.RecordPending}[i%5]
		// Groups of 4 share a LastRunAt: the tie-break decides their order.
		r, err := s.UpsertRecord(ctx, store.RecordUpdate{Account: "acme", Process: proc, Reference: ref(n - i), Status: status, Message: "m", RunID: "run", At: at(i / 4)})
		must(t, "UpsertRecord", err)
		all = append(all, r)
	}
	order := func(a, b store.Record) int {
		return cmp.Or(b.LastRunAt.Compare(a.LastRunAt), cmp.Compare(a.Process, b.Process), cmp.Compare(a.Reference, b.Reference))
	}
	tests := []struct {
		name  string
		q     store.RecordQuery
		pages int
	}{
		{"limit 100", store.RecordQuery{Limit: 100}, 3},
		{"limit 50 (exact multiple)", store.RecordQuery{Limit: 50}, 5},
		{"limit 0 (default 50)", store.RecordQuery{}, 5},
		{"limit 7", store.RecordQuery{Limit: 7}, 36},
		{"limit 1000", store.RecordQuery{Limit: 1000}, 1},
		{"limit above the maximum", store.RecordQuery{Limit: 5000}, 1},
		{"errors only, limit 30", store.RecordQuery{ErrorsOnly: true, Limit: 30}, 4},
		{"process, limit 40", store.RecordQuery{Process: "import_confirmation", Limit: 40}, 4},
	}
	for _, tt := range tests {
		var want []store.Record
		for _, r := range all {
			if tt.q.ErrorsOnly && r.Status != store.RecordError && r.Status != store.RecordWarning {
				continue
			}
			if tt.q.Process != "" && r.Process != tt.q.Process {
				continue
			}
			want = append(want, r)
		}
		slices.SortFunc(want, order)
		var got []store.Record
		q := tt.q
		q.Account = "acme"
		pages := 0
		for {
			pages++
			if pages > n+1 {
				t.Fatalf("%s: paging does not end", tt.name)
			}
			page, err := s.QueryRecords(ctx, q)
			must(t, "QueryRecords "+tt.name, err)
			limit := cmp.Or(tt.q.Limit, 50)
			if len(page.Records) > min(limit, 1000) {
				t.Errorf("%s: page %d has %d records, limit %d", tt.name, pages, len(page.Records), limit)
			}
			got = append(got, page.Records...)
			if page.Next == "" {
				break
			}
			if len(page.Records) == 0 {
				t.Fatalf("%s: empty page %d with a Next cursor", tt.name, pages)
			}
			q.After = page.Next
		}
		if len(got) != len(want) {
			t.Errorf("%s: paged %d records, want %d", tt.name, len(got), len(want))
		}
		diff(t, "paged records "+tt.name+" (order, no gaps, no duplicates)", want, got)
		if pages != tt.pages {
			t.Errorf("%s: %d pages, want %d (Next must be empty on the last page)", tt.name, pages, tt.pages)
		}
	}
	if _, err := s.QueryRecords(ctx, store.RecordQuery{Account: "acme", After: "not a cursor !!"}); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("QueryRecords with a garbage After cursor: err = %v, want store.ErrBadCursor", err)
	}
}

func testRecordConcurrentUpsert(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	errs := race(Race, func(i int) error {
		_, err := s.UpsertRecord(ctx, store.RecordUpdate{Account: "acme", Process: "export_order", Reference: "SO-1", Status: store.RecordError, Message: fmt.Sprint(i), RunID: "run", At: at(1), CountAttempt: true})
		return err
	})
	if n := countWinners(t, "concurrent UpsertRecord", errs); n != Race {
		t.Fatalf("concurrent UpsertRecord: %d of %d succeeded", n, Race)
	}
	r, err := s.GetRecord(ctx, "acme", "export_order", "SO-1")
	must(t, "GetRecord", err)
	if r.Attempts != Race {
		t.Errorf("after %d concurrent counted upserts Attempts = %d (lost updates)", Race, r.Attempts)
	}
}

func testGetRecords(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	addAccount(t, s, "other")
	want := map[string]store.Record{}
	for _, u := range []store.RecordUpdate{
		{Account: "acme", Process: "fetch", Reference: "R-1", Status: store.RecordSuccess, Message: "one", VeeqoOrderID: 1},
		{Account: "acme", Process: "fetch", Reference: "R-2", Status: store.RecordError, Message: "two", VeeqoOrderID: 2},
		{Account: "acme", Process: "fetch", Reference: "R-3", Status: store.RecordWarning, Message: "three"},
		{Account: "acme", Process: "export", Reference: "R-4", Status: store.RecordSuccess, Message: "other process"},
		{Account: "other", Process: "fetch", Reference: "R-5", Status: store.RecordSuccess, Message: "other account"},
	} {
		rec, err := s.UpsertRecord(ctx, u)
		must(t, "UpsertRecord", err)
		want[u.Account+"/"+u.Process+"/"+u.Reference] = rec
	}
	got, err := s.GetRecords(ctx, "acme", "fetch", []string{"R-3", "R-1", "R-1", "R-4", "R-5", "R-9"})
	must(t, "GetRecords", err)
	var refs []string
	for _, rec := range got {
		refs = append(refs, rec.Reference)
		read, err := s.GetRecord(ctx, "acme", "fetch", rec.Reference)
		must(t, "GetRecord", err)
		diff(t, "GetRecords row "+rec.Reference, read, rec)
		diff(t, "GetRecords row "+rec.Reference+" as upserted", want["acme/fetch/"+rec.Reference], rec)
	}
	slices.Sort(refs)
	if w := []string{"R-1", "R-3"}; !slices.Equal(refs, w) {
		t.Errorf("GetRecords(fetch; R-3, R-1, R-1, R-4, R-5, R-9) = %v, want %v (each once, this process and account only)", refs, w)
	}
	got, err = s.GetRecords(ctx, "acme", "fetch", nil)
	must(t, "GetRecords of nothing", err)
	if len(got) != 0 {
		t.Errorf("GetRecords of nothing returned %d records", len(got))
	}
}

// QueryRecords' and CountRecords' status filters follow a record through
// its upserts: error, pending, success, error again.
func testRecordQueryFollowsStatus(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	statuses := []store.RecordStatus{store.RecordError, store.RecordPending, store.RecordSuccess}
	for i, st := range []store.RecordStatus{store.RecordError, store.RecordPending, store.RecordSuccess, store.RecordError} {
		_, err := s.UpsertRecord(ctx, store.RecordUpdate{Account: "acme", Process: "import_confirmation", Reference: "SO-1",
			Status: st, Message: string(st), RunID: "run", At: at(i)})
		must(t, "UpsertRecord "+string(st), err)
		for _, q := range statuses {
			page, err := s.QueryRecords(ctx, store.RecordQuery{Account: "acme", Statuses: []store.RecordStatus{q}})
			must(t, "QueryRecords", err)
			c, err := s.CountRecords(ctx, store.RecordQuery{Account: "acme", Statuses: []store.RecordStatus{q, q}})
			must(t, "CountRecords", err)
			want := 0
			if q == st {
				want = 1
			}
			if len(page.Records) != want || c.Total != want {
				t.Errorf("after an upsert to %s: %d record(s) listed and %d counted as %s, want %d", st, len(page.Records), c.Total, q, want)
			}
		}
	}
}
