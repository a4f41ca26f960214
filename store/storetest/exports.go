package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

func exportCases() []testCase {
	return []testCase{
		{"ClaimInsertIfAbsent", testExportClaim},
		{"ClaimRace", testExportClaimRace},
		{"UpdateCAS", testExportUpdateCAS},
		{"UpdateRace", testExportUpdateRace},
		{"LinesRoundTrip", testExportLines},
		{"ByVeeqoID", testExportByVeeqoID},
		{"ListFilters", testExportListFilters},
		{"ListByNumber", testExportListByNumber},
		{"ListByVeeqoOrder", testExportListByVeeqoOrder},
		{"ListFollowsUpdates", testExportListFollowsUpdates},
		{"ListPaging", testExportListPaging},
		{"CompleteExport", testCompleteExport},
		{"CompleteExportConflictWritesNothing", testCompleteExportConflict},
		{"CompleteExportSeenWhole", testCompleteExportVisibility},
		{"AccountIsolation", testExportIsolation},
	}
}

func sampleLines() []store.LineLink {
	return []store.LineLink{
		{ERPLine: "1", SellableID: 1001, SKU: "RED-S", Quantity: 2},
		{ERPLine: "2", VeeqoLineItemID: 9002, SellableID: 1002, SKU: "MISC", Quantity: 1, Substituted: true},
	}
}

func claim(t *testing.T, s store.Store, account, erpRef string) store.Export {
	t.Helper()
	e, inserted, err := s.ClaimExport(t.Context(), store.Export{Account: account, ERPRef: erpRef, Number: erpRef, State: store.ExportClaimed, Attempts: 1, Lines: sampleLines()})
	must(t, "ClaimExport "+erpRef, err)
	if !inserted {
		t.Fatalf("ClaimExport %s: not inserted on an empty key", erpRef)
	}
	return e
}

func testExportClaim(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	in := store.Export{
		Account: "acme", ERPRef: "SO-1", Number: "SO-1-A", State: store.ExportClaimed,
		Attempts: 1, Lines: sampleLines(), LastError: "", Version: 99, // Version ignored
	}
	lo := time.Now()
	got, inserted, err := s.ClaimExport(ctx, in)
	hi := time.Now()
	must(t, "ClaimExport", err)
	if !inserted {
		t.Fatal("ClaimExport on an empty key: inserted = false")
	}
	if got.Version <= 0 {
		t.Errorf("ClaimExport: Version = %d, want > 0", got.Version)
	}
	stamped(t, "ClaimExport: CreatedAt", got.CreatedAt, lo, hi)
	want := in
	want.Version, want.CreatedAt, want.UpdatedAt = got.Version, got.CreatedAt, got.UpdatedAt
	diff(t, "ClaimExport result", want, got)
	read, err := s.GetExport(ctx, "acme", "SO-1")
	must(t, "GetExport", err)
	diff(t, "GetExport", want, read)

	// A second claim returns the existing export, untouched.
	second, inserted, err := s.ClaimExport(ctx, store.Export{Account: "acme", ERPRef: "SO-1", Number: "OTHER", State: store.ExportFailed})
	must(t, "second ClaimExport", err)
	if inserted {
		t.Error("second ClaimExport of the same key: inserted = true")
	}
	diff(t, "second ClaimExport returns the existing export", want, second)
	read, err = s.GetExport(ctx, "acme", "SO-1")
	must(t, "GetExport", err)
	diff(t, "GetExport after a second claim", want, read)

	// The key is (account, ref): the same ref in another account is its own.
	addAccount(t, s, "other")
	_, inserted, err = s.ClaimExport(ctx, store.Export{Account: "other", ERPRef: "SO-1", Number: "SO-1", State: store.ExportClaimed})
	must(t, "ClaimExport in another account", err)
	if !inserted {
		t.Error("ClaimExport of the same ref in another account: inserted = false")
	}

	_, err = s.GetExport(ctx, "acme", "SO-404")
	wantErr(t, "GetExport of a missing export", err, store.ErrNotFound)
}

func testExportClaimRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	got := make([]store.Export, Race)
	won := make([]bool, Race)
	errs := race(Race, func(i int) error {
		var err error
		got[i], won[i], err = s.ClaimExport(ctx, store.Export{Account: "acme", ERPRef: "SO-RACE", Number: fmt.Sprint(i), State: store.ExportClaimed})
		return err
	})
	countWinners(t, "concurrent ClaimExport", errs)
	winners := 0
	winner := -1
	for i := range won {
		if won[i] && errs[i] == nil {
			winners++
			winner = i
		}
	}
	if winners != 1 {
		t.Fatalf("%d concurrent ClaimExport of one key: %d returned true, want exactly 1", Race, winners)
	}
	for i := range got {
		if errs[i] == nil && got[i].Number != fmt.Sprint(winner) {
			t.Errorf("claimer %d got the export of %q, want the winner's %q", i, got[i].Number, fmt.Sprint(winner))
		}
	}
	read, err := s.GetExport(ctx, "acme", "SO-RACE")
	must(t, "GetExport", err)
	if read.Number != fmt.Sprint(winner) {
		t.Errorf("stored export is claimer %q's, want the winner %d's", read.Number, winner)
	}
}

func testExportUpdateCAS(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	orig := claim(t, s, "acme", "SO-1")

	upd := orig
	upd.State = store.ExportExported
	upd.VeeqoOrderID = 123456789012
	upd.Attempts = 2
	upd.Lines = append(slices.Clone(orig.Lines), store.LineLink{ERPLine: "3", VeeqoLineItemID: 9003, SellableID: 1003, SKU: "BLUE-L", Quantity: 5})
	upd.LastError = "previous attempt: 503"
	upd.Completed = true
	upd.ExportedAt = at(10)
	lo := time.Now()
	got, err := s.UpdateExport(ctx, upd)
	hi := time.Now()
	must(t, "UpdateExport", err)
	if got.Version <= orig.Version {
		t.Errorf("UpdateExport: Version = %d, want > %d", got.Version, orig.Version)
	}
	stamped(t, "UpdateExport: UpdatedAt", got.UpdatedAt, lo, hi)
	want := upd
	want.Version, want.UpdatedAt = got.Version, got.UpdatedAt
	diff(t, "UpdateExport result (CreatedAt kept)", want, got)
	read, err := s.GetExport(ctx, "acme", "SO-1")
	must(t, "GetExport", err)
	diff(t, "GetExport after UpdateExport", want, read)

	stale := orig
	stale.State = store.ExportFailed
	_, err = s.UpdateExport(ctx, stale)
	wantErr(t, "UpdateExport with a stale version", err, store.ErrConflict)
	read, err = s.GetExport(ctx, "acme", "SO-1")
	must(t, "GetExport", err)
	diff(t, "GetExport after a lost UpdateExport", want, read)

	_, err = s.UpdateExport(ctx, store.Export{Account: "acme", ERPRef: "SO-404", Version: 1, State: store.ExportFailed})
	wantErr(t, "UpdateExport of a missing export", err, store.ErrNotFound)
}

func testExportUpdateRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	orig := claim(t, s, "acme", "SO-1")
	errs := race(Race, func(i int) error {
		e := orig
		e.State = store.ExportExported
		e.VeeqoOrderID = int64(1000 + i)
		_, err := s.UpdateExport(ctx, e)
		return err
	})
	if n := countWinners(t, "concurrent UpdateExport", errs, store.ErrConflict); n != 1 {
		t.Fatalf("concurrent UpdateExport from one version: %d winners, want 1", n)
	}
	winner := slices.IndexFunc(errs, func(err error) bool { return err == nil })
	read, err := s.GetExport(ctx, "acme", "SO-1")
	must(t, "GetExport", err)
	if read.VeeqoOrderID != int64(1000+winner) {
		t.Errorf("stored VeeqoOrderID = %d, want the winner's %d", read.VeeqoOrderID, 1000+winner)
	}
}

func testExportLines(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	tests := []struct {
		name  string
		lines []store.LineLink
	}{
		{"none", nil},
		{"one", []store.LineLink{{ERPLine: "A", SellableID: 1, SKU: "X", Quantity: 1}}},
		{"all fields", sampleLines()},
		{"many", func() []store.LineLink {
			var ls []store.LineLink
			for i := range 200 {
				ls = append(ls, store.LineLink{ERPLine: fmt.Sprint(i), VeeqoLineItemID: int64(1<<40 + i), SellableID: int64(i), SKU: fmt.Sprintf("SKU-%d \"q\" ü", i), Quantity: i % 7, Substituted: i%3 == 0})
			}
			return ls
		}()},
	}
	for i, tt := range tests {
		r := ref(i)
		lines := slices.Clone(tt.lines)
		got, _, err := s.ClaimExport(ctx, store.Export{Account: "acme", ERPRef: r, State: store.ExportClaimed, Lines: lines})
		must(t, "ClaimExport", err)
		diff(t, tt.name+": ClaimExport Lines", tt.lines, got.Lines)
		// Neither the caller's slice nor the returned one aliases the store.
		if len(lines) > 0 {
			lines[0].SKU = "MUTATED"
		}
		if len(got.Lines) > 0 {
			got.Lines[0].SKU = "MUTATED"
		}
		read, err := s.GetExport(ctx, "acme", r)
		must(t, "GetExport", err)
		diff(t, tt.name+": GetExport Lines", tt.lines, read.Lines)
		if len(read.Lines) > 0 {
			read.Lines[0].SKU = "MUTATED"
		}
		read, err = s.GetExport(ctx, "acme", r)
		must(t, "GetExport", err)
		diff(t, tt.name+": GetExport Lines after mutating a read", tt.lines, read.Lines)

		// Lines are replaced by UpdateExport.
		read.Lines = slices.Clone(sampleLines()[:1])
		upd, err := s.UpdateExport(ctx, read)
		must(t, "UpdateExport", err)
		diff(t, tt.name+": UpdateExport Lines", sampleLines()[:1], upd.Lines)
		read, err = s.GetExport(ctx, "acme", r)
		must(t, "GetExport", err)
		diff(t, tt.name+": GetExport Lines after UpdateExport", sampleLines()[:1], read.Lines)
	}
}

func testExportByVeeqoID(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	addAccount(t, s, "other")
	link := func(account, erpRef string, veeqoID int64) store.Export {
		e := claim(t, s, account, erpRef)
		e.State, e.VeeqoOrderID, e.ExportedAt = store.ExportExported, veeqoID, at(1)
		e, err := s.UpdateExport(ctx, e)
		must(t, "UpdateExport", err)
		return e
	}
	a1 := link("acme", "SO-1", 5001)
	a2 := link("acme", "SO-2", 5002)
	o1 := link("other", "SO-9", 5001) // same Veeqo id in another account
	claim(t, s, "acme", "SO-3")       // not linked

	for _, want := range []store.Export{a1, a2, o1} {
		got, err := s.ExportByVeeqoID(ctx, want.Account, want.VeeqoOrderID)
		must(t, "ExportByVeeqoID", err)
		diff(t, fmt.Sprintf("ExportByVeeqoID(%s, %d)", want.Account, want.VeeqoOrderID), want, got)
	}
	_, err := s.ExportByVeeqoID(ctx, "other", 5002)
	wantErr(t, "ExportByVeeqoID of another account's order", err, store.ErrNotFound)
	_, err = s.ExportByVeeqoID(ctx, "acme", 404)
	wantErr(t, "ExportByVeeqoID of an unknown order", err, store.ErrNotFound)
}

// exportFixture writes exports in several states and returns them by ref.
func exportFixture(t *testing.T, s store.Store) map[string]store.Export {
	t.Helper()
	ctx := t.Context()
	addAccount(t, s, "acme")
	addAccount(t, s, "other")
	type spec struct {
		ref       string
		state     store.ExportState
		completed bool
		exported  int // minutes from base; -1: never exported
	}
	specs := []spec{
		{"SO-01", store.ExportClaimed, false, -1},
		{"SO-02", store.ExportUnknown, false, -1},
		{"SO-03", store.ExportExported, false, 0},
		{"SO-04", store.ExportExported, true, 10},
		{"SO-05", store.ExportExported, false, 20},
		{"SO-06", store.ExportFailed, false, -1},
		{"SO-07", store.ExportExported, true, 30},
		{"SO-08", store.ExportUnknown, false, -1},
	}
	out := map[string]store.Export{}
	for i, sp := range specs {
		e := claim(t, s, "acme", sp.ref)
		e.State, e.Completed = sp.state, sp.completed
		if sp.exported >= 0 {
			e.VeeqoOrderID = int64(100 + i)
			e.ExportedAt = at(sp.exported)
		}
		e, err := s.UpdateExport(ctx, e)
		must(t, "UpdateExport", err)
		out[sp.ref] = e
	}
	// Noise in another account, matching every filter.
	for _, r := range []string{"SO-00", "SO-03", "SO-99"} {
		e := claim(t, s, "other", r)
		e.State, e.VeeqoOrderID, e.ExportedAt = store.ExportExported, 1, at(0)
		_, err := s.UpdateExport(ctx, e)
		must(t, "UpdateExport", err)
	}
	return out
}

func testExportListFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	all := exportFixture(t, s)
	yes, no := true, false
	tests := []struct {
		name string
		q    store.ExportQuery
		want []string
	}{
		{"all", store.ExportQuery{}, []string{"SO-01", "SO-02", "SO-03", "SO-04", "SO-05", "SO-06", "SO-07", "SO-08"}},
		{"unknown", store.ExportQuery{States: []store.ExportState{store.ExportUnknown}}, []string{"SO-02", "SO-08"}},
		{"claimed or unknown", store.ExportQuery{States: []store.ExportState{store.ExportClaimed, store.ExportUnknown}}, []string{"SO-01", "SO-02", "SO-08"}},
		{"failed", store.ExportQuery{States: []store.ExportState{store.ExportFailed}}, []string{"SO-06"}},
		{"completed", store.ExportQuery{Completed: &yes}, []string{"SO-04", "SO-07"}},
		{"not completed", store.ExportQuery{Completed: &no}, []string{"SO-01", "SO-02", "SO-03", "SO-05", "SO-06", "SO-08"}},
		{"exported and open", store.ExportQuery{States: []store.ExportState{store.ExportExported}, Completed: &no}, []string{"SO-03", "SO-05"}},
		{"exported before 20m", store.ExportQuery{ExportedBefore: at(20)}, []string{"SO-03", "SO-04"}},
		{"exported before 20m, open", store.ExportQuery{ExportedBefore: at(20), Completed: &no}, []string{"SO-03"}},
		{"exported before base", store.ExportQuery{ExportedBefore: at(0)}, nil},
		{"after SO-04", store.ExportQuery{AfterRef: "SO-04"}, []string{"SO-05", "SO-06", "SO-07", "SO-08"}},
		{"after SO-04, limit 2", store.ExportQuery{AfterRef: "SO-04", Limit: 2}, []string{"SO-05", "SO-06"}},
		{"limit 1", store.ExportQuery{Limit: 1}, []string{"SO-01"}},
		{"after the last", store.ExportQuery{AfterRef: "SO-08"}, nil},
		// Refs: those that exist (not another account's), in ref order,
		// each once; with the other filters and paging.
		{"refs", store.ExportQuery{Refs: []string{"SO-07", "SO-99", "SO-03", "SO-01", "SO-03"}}, []string{"SO-01", "SO-03", "SO-07"}},
		{"refs none exist", store.ExportQuery{Refs: []string{"SO-00", "SO-99"}}, nil},
		{"refs exported", store.ExportQuery{Refs: []string{"SO-01", "SO-03", "SO-05", "SO-08"}, States: []store.ExportState{store.ExportExported}}, []string{"SO-03", "SO-05"}},
		{"refs after SO-03, limit 1", store.ExportQuery{Refs: []string{"SO-08", "SO-01", "SO-05", "SO-03"}, AfterRef: "SO-03", Limit: 1}, []string{"SO-05"}},
		// VeeqoOrderIDs: the exports linked to them (not another
		// account's; 0 links nothing), in ref order, each once.
		{"veeqo ids", store.ExportQuery{VeeqoOrderIDs: []int64{106, 102, 999, 1, 0, 102}}, []string{"SO-03", "SO-07"}},
		{"veeqo id 0", store.ExportQuery{VeeqoOrderIDs: []int64{0}}, nil},
		{"veeqo ids open", store.ExportQuery{VeeqoOrderIDs: []int64{102, 103, 104}, Completed: &no}, []string{"SO-03", "SO-05"}},
		{"veeqo ids and refs", store.ExportQuery{VeeqoOrderIDs: []int64{103, 104, 106}, Refs: []string{"SO-03", "SO-04", "SO-05"}}, []string{"SO-04", "SO-05"}},
		{"veeqo ids after SO-03, limit 1", store.ExportQuery{VeeqoOrderIDs: []int64{106, 104, 102}, AfterRef: "SO-03", Limit: 1}, []string{"SO-05"}},
	}
	for _, tt := range tests {
		q := tt.q
		q.Account = "acme"
		got, err := s.ListExports(ctx, q)
		if err != nil {
			t.Errorf("ListExports %s: %v", tt.name, err)
			continue
		}
		var want []store.Export
		for _, r := range tt.want {
			want = append(want, all[r])
		}
		diff(t, "ListExports "+tt.name, want, got)
	}
	if _, err := s.ListExports(ctx, store.ExportQuery{}); err == nil {
		t.Error("ListExports without an account: no error")
	}
}

func testExportListPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	const n = 250
	var want []string
	for i := n - 1; i >= 0; i-- { // inserted in reverse, listed in ref order
		_, _, err := s.ClaimExport(ctx, store.Export{Account: "acme", ERPRef: ref(i), State: store.ExportClaimed})
		must(t, "ClaimExport", err)
	}
	for i := range n {
		want = append(want, ref(i))
	}
	def, err := s.ListExports(ctx, store.ExportQuery{Account: "acme"})
	must(t, "ListExports", err)
	if len(def) < 100 {
		t.Errorf("ListExports with Limit 0 returned %d of %d, want at least 100 (the store default)", len(def), n)
	}
	var got []string
	after := ""
	for page := 0; ; page++ {
		if page > n {
			t.Fatal("ListExports paging does not end")
		}
		es, err := s.ListExports(ctx, store.ExportQuery{Account: "acme", AfterRef: after, Limit: 100})
		must(t, "ListExports", err)
		if len(es) > 100 {
			t.Fatalf("ListExports Limit 100 returned %d", len(es))
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			got = append(got, e.ERPRef)
		}
		after = es[len(es)-1].ERPRef
	}
	diff(t, "refs paged with AfterRef (no gaps, no duplicates, ref order)", want, got)
}

func testCompleteExport(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	orig := claim(t, s, "acme", "SO-1")
	e := orig
	e.State, e.VeeqoOrderID, e.ExportedAt = store.ExportExported, 4242, at(5)
	r := store.RecordUpdate{Account: "acme", Process: "export_order", Reference: "SO-1", Status: store.RecordSuccess,
		Message: "exported as Veeqo order 4242", VeeqoOrderID: 4242, RunID: "run-1", At: at(5), CountAttempt: true}
	logs := []store.LogEntry{
		{Time: at(5), Account: "acme", RunID: "run-1", Process: "export_order", Level: store.LevelInfo, Reference: "SO-1", Message: "created"},
		{Time: at(5), Account: "acme", RunID: "run-1", Process: "export_order", Level: store.LevelWarning, Reference: "SO-1", Message: "default SKU used"},
	}
	got, gotLogs, err := s.CompleteExport(ctx, e, r, logs...)
	must(t, "CompleteExport", err)
	if got.Version <= orig.Version || got.State != store.ExportExported || got.VeeqoOrderID != 4242 {
		t.Errorf("CompleteExport result: Version %d (was %d), State %q, VeeqoOrderID %d", got.Version, orig.Version, got.State, got.VeeqoOrderID)
	}
	read, err := s.GetExport(ctx, "acme", "SO-1")
	must(t, "GetExport", err)
	diff(t, "GetExport after CompleteExport", got, read)
	byID, err := s.ExportByVeeqoID(ctx, "acme", 4242)
	must(t, "ExportByVeeqoID after CompleteExport", err)
	diff(t, "ExportByVeeqoID after CompleteExport", got, byID)

	rec, err := s.GetRecord(ctx, "acme", "export_order", "SO-1")
	must(t, "GetRecord after CompleteExport", err)
	if rec.Status != store.RecordSuccess || rec.Message != r.Message || rec.VeeqoOrderID != 4242 || rec.Attempts != 1 || rec.LastRunID != "run-1" {
		t.Errorf("record after CompleteExport = %+v", rec)
	}
	page, err := s.QueryLogs(ctx, store.LogQuery{Account: "acme", AfterSeq: 0, Reference: "SO-1"})
	must(t, "QueryLogs", err)
	if len(page.Entries) != 2 {
		t.Fatalf("logs after CompleteExport: %d entries, want 2", len(page.Entries))
	}
	// Newest first: the second entry comes first.
	var gotMsgs []string
	for _, l := range page.Entries {
		gotMsgs = append(gotMsgs, l.Message)
	}
	diff(t, "log messages after CompleteExport (newest first)", []string{"default SKU used", "created"}, gotMsgs)
	// It returns the entries as stored, in the order given, Seq set.
	diff(t, "log entries CompleteExport returned (as stored, oldest first)", []store.LogEntry{page.Entries[1], page.Entries[0]}, gotLogs)
	if len(gotLogs) == 2 && (gotLogs[0].Seq == 0 || gotLogs[1].Seq <= gotLogs[0].Seq) {
		t.Errorf("CompleteExport returned Seqs %d, %d: want set and increasing", gotLogs[0].Seq, gotLogs[1].Seq)
	}

	// Without logs it still writes the export and the record.
	e2 := claim(t, s, "acme", "SO-2")
	e2.State = store.ExportFailed
	e2.LastError = "422: invalid address"
	_, _, err = s.CompleteExport(ctx, e2, store.RecordUpdate{Account: "acme", Process: "export_order", Reference: "SO-2", Status: store.RecordError, Message: "invalid address", RunID: "run-1", At: at(6), CountAttempt: true})
	must(t, "CompleteExport without logs", err)
	rec, err = s.GetRecord(ctx, "acme", "export_order", "SO-2")
	must(t, "GetRecord", err)
	if rec.Status != store.RecordError {
		t.Errorf("record after CompleteExport without logs: Status %q, want error", rec.Status)
	}
}

func testCompleteExportConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	orig := claim(t, s, "acme", "SO-1")
	moved := orig
	moved.Attempts = 2
	moved, err := s.UpdateExport(ctx, moved)
	must(t, "UpdateExport", err)

	stale := orig
	stale.State, stale.VeeqoOrderID = store.ExportExported, 4242
	r := store.RecordUpdate{Account: "acme", Process: "export_order", Reference: "SO-1", Status: store.RecordSuccess, RunID: "run-1", At: at(5), CountAttempt: true}
	l := store.LogEntry{Time: at(5), Account: "acme", RunID: "run-1", Process: "export_order", Level: store.LevelInfo, Reference: "SO-1", Message: "created"}
	_, _, err = s.CompleteExport(ctx, stale, r, l)
	wantErr(t, "CompleteExport with a stale version", err, store.ErrConflict)

	missing := store.Export{Account: "acme", ERPRef: "SO-404", Version: 1, State: store.ExportExported}
	r404 := r
	r404.Reference = "SO-404"
	l404 := l
	l404.Reference = "SO-404"
	_, _, err = s.CompleteExport(ctx, missing, r404, l404)
	wantErr(t, "CompleteExport of a missing export", err, store.ErrNotFound, store.ErrConflict)

	read, err := s.GetExport(ctx, "acme", "SO-1")
	must(t, "GetExport", err)
	diff(t, "export after a lost CompleteExport", moved, read)
	for _, reference := range []string{"SO-1", "SO-404"} {
		_, err = s.GetRecord(ctx, "acme", "export_order", reference)
		wantErr(t, "record written by a lost CompleteExport ("+reference+")", err, store.ErrNotFound)
	}
	page, err := s.QueryLogs(ctx, store.LogQuery{Account: "acme"})
	must(t, "QueryLogs", err)
	if len(page.Entries) != 0 {
		t.Errorf("a lost CompleteExport appended %d log entries, want none", len(page.Entries))
	}
	// A later successful append still gets a Seq; no hole matters, but the
	// log must be usable.
	appended, err := s.AppendLogs(ctx, l)
	must(t, "AppendLogs", err)
	if len(appended) != 1 || appended[0].Seq <= 0 {
		t.Errorf("AppendLogs after a lost CompleteExport = %+v", appended)
	}
}

func testExportIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "a")
	addAccount(t, s, "b")
	claim(t, s, "a", "SO-A")
	claim(t, s, "b", "SO-B")
	_, err := s.GetExport(ctx, "a", "SO-B")
	wantErr(t, "GetExport of b's export through a", err, store.ErrNotFound)
	got, err := s.ListExports(ctx, store.ExportQuery{Account: "a"})
	must(t, "ListExports", err)
	if len(got) != 1 || got[0].ERPRef != "SO-A" {
		t.Errorf("ListExports of a = %v, want only SO-A", got)
	}
}

// testCompleteExportVisibility completes exports while readers look: a
// reader that sees the Veeqo id must also see the record and the log, and a
// reader that sees the record must see the Veeqo id (one transaction, not
// three writes).
// It is one piece on purpose: a conformance scenario is one sequence of
// steps on one store, each step's check beside it.
func testCompleteExportVisibility(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	const n = 30
	var claims []store.Export
	for i := range n {
		claims = append(claims, claim(t, s, "acme", ref(i)))
	}
	done := make(chan struct{})
	readerErrs := make(chan error, 2)
	for r := range 2 {
		go func() {
			for {
				select {
				case <-done:
					readerErrs <- nil
					return
				default:
				}
				for i := range n {
					if r == 0 {
						e, err := s.GetExport(ctx, "acme", ref(i))
						if err != nil {
							readerErrs <- err
							return
						}
						if e.VeeqoOrderID == 0 {
							continue
						}
						if _, err := s.GetRecord(ctx, "acme", "export_order", ref(i)); err != nil {
							readerErrs <- fmt.Errorf("export %s linked but its record not visible: %w", ref(i), err)
							return
						}
						page, err := s.QueryLogs(ctx, store.LogQuery{Account: "acme", Reference: ref(i)})
						if err != nil {
							readerErrs <- err
							return
						}
						if len(page.Entries) == 0 {
							readerErrs <- fmt.Errorf("export %s linked but its log not visible", ref(i))
							return
						}
					} else {
						if _, err := s.GetRecord(ctx, "acme", "export_order", ref(i)); err != nil {
							continue
						}
						e, err := s.GetExport(ctx, "acme", ref(i))
						if err != nil {
							readerErrs <- err
							return
						}
						if e.VeeqoOrderID == 0 {
							readerErrs <- fmt.Errorf("record of %s visible but the export not linked", ref(i))
							return
						}
					}
				}
			}
		}()
	}
	for i, e := range claims {
		e.State, e.VeeqoOrderID = store.ExportExported, int64(9000+i)
		_, _, err := s.CompleteExport(ctx, e,
			store.RecordUpdate{Account: "acme", Process: "export_order", Reference: e.ERPRef, Status: store.RecordSuccess, VeeqoOrderID: e.VeeqoOrderID, RunID: "run", At: at(i), CountAttempt: true},
			store.LogEntry{Time: at(i), Account: "acme", RunID: "run", Process: "export_order", Level: store.LevelInfo, Reference: e.ERPRef, Message: "exported"})
		if err != nil {
			close(done)
			t.Fatalf("CompleteExport %s: %v", e.ERPRef, err)
		}
	}
	close(done)
	for range 2 {
		if err := <-readerErrs; err != nil {
			t.Error(err)
		}
	}
}

// ListExports with Number selects by the Veeqo order number, exactly and
// case-sensitively, within the account, whatever the ERP reference.
func testExportListByNumber(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	addAccount(t, s, "other")
	put := func(account, ref, number string) {
		t.Helper()
		_, inserted, err := s.ClaimExport(ctx, store.Export{Account: account, ERPRef: ref, Number: number, State: store.ExportClaimed, Attempts: 1})
		must(t, "ClaimExport "+ref, err)
		if !inserted {
			t.Fatalf("ClaimExport %s: not inserted on an empty key", ref)
		}
	}
	put("acme", "R-1", "N-7")
	put("acme", "R-2", "N-7")
	put("acme", "R-3", "n-7")
	put("acme", "N-8", "N-70")
	put("other", "R-1", "N-7")
	for _, tt := range []struct {
		number string
		want   []string
	}{
		{"N-7", []string{"R-1", "R-2"}},
		{"n-7", []string{"R-3"}},
		{"N-70", []string{"N-8"}},
		{"N-", nil},
		{"R-1", nil},
	} {
		got, err := s.ListExports(ctx, store.ExportQuery{Account: "acme", Number: tt.number})
		if err != nil {
			t.Fatalf("ListExports Number %q: %v", tt.number, err)
		}
		var refs []string
		for _, e := range got {
			refs = append(refs, e.ERPRef)
			if e.Number != tt.number || e.Account != "acme" {
				t.Errorf("ListExports Number %q returned %s/%s numbered %q", tt.number, e.Account, e.ERPRef, e.Number)
			}
		}
		diff(t, fmt.Sprintf("refs numbered %q", tt.number), tt.want, refs)
	}
}

// ListExports with VeeqoOrderIDs returns every export linked to each id,
// two linked to one order included (ExportByVeeqoID answers the smaller
// ref), in ref order.
func testExportListByVeeqoOrder(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	link := func(ref string, id int64) {
		t.Helper()
		e := claim(t, s, "acme", ref)
		e.State, e.VeeqoOrderID = store.ExportExported, id
		_, err := s.UpdateExport(ctx, e)
		must(t, "UpdateExport "+ref, err)
	}
	link("R-2", 7)
	link("R-1", 7)
	link("R-3", 8)
	link("R-4", 9)
	got, err := s.ListExports(ctx, store.ExportQuery{Account: "acme", VeeqoOrderIDs: []int64{9, 7}})
	must(t, "ListExports", err)
	var refs []string
	for _, e := range got {
		refs = append(refs, e.ERPRef)
	}
	diff(t, "refs linked to 9 and 7", []string{"R-1", "R-2", "R-4"}, refs)
	// Relinked: listed under its new order only.
	e, err := s.GetExport(ctx, "acme", "R-2")
	must(t, "GetExport", err)
	e.VeeqoOrderID = 9
	_, err = s.UpdateExport(ctx, e)
	must(t, "UpdateExport R-2", err)
	for id, want := range map[int64][]string{7: {"R-1"}, 9: {"R-2", "R-4"}} {
		got, err := s.ListExports(ctx, store.ExportQuery{Account: "acme", VeeqoOrderIDs: []int64{id}})
		must(t, "ListExports", err)
		refs = nil
		for _, e := range got {
			refs = append(refs, e.ERPRef)
		}
		diff(t, fmt.Sprintf("refs linked to %d after the relink", id), want, refs)
	}
}

// ListExports' state and completion filters follow an export through its
// updates: claimed, exported, completed (settled), reopened.
func testExportListFollowsUpdates(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	yes, no := true, false
	listed := func(q store.ExportQuery) bool {
		t.Helper()
		q.Account = "acme"
		got, err := s.ListExports(ctx, q)
		must(t, "ListExports", err)
		return len(got) == 1 && got[0].ERPRef == "SO-1"
	}
	claimedQ := store.ExportQuery{States: []store.ExportState{store.ExportClaimed, store.ExportUnknown}}
	openQ := store.ExportQuery{States: []store.ExportState{store.ExportExported}, Completed: &no}
	notDoneQ := store.ExportQuery{Completed: &no}
	doneQ := store.ExportQuery{Completed: &yes}
	check := func(step string, claimed, open, notDone, done bool) {
		t.Helper()
		for _, c := range []struct {
			name string
			q    store.ExportQuery
			want bool
		}{{"claimed or unknown", claimedQ, claimed}, {"exported and open", openQ, open}, {"not completed", notDoneQ, notDone}, {"completed", doneQ, done}} {
			if got := listed(c.q); got != c.want {
				t.Errorf("%s: listed by %q: %v, want %v", step, c.name, got, c.want)
			}
		}
	}
	e := claim(t, s, "acme", "SO-1")
	check("claimed", true, false, true, false)
	e.State, e.VeeqoOrderID = store.ExportExported, 5
	e, err := s.UpdateExport(ctx, e)
	must(t, "UpdateExport exported", err)
	check("exported", false, true, true, false)
	e.Completed = true
	e, err = s.UpdateExport(ctx, e)
	must(t, "UpdateExport completed", err)
	check("completed", false, false, false, true)
	e.Completed = false
	_, err = s.UpdateExport(ctx, e)
	must(t, "UpdateExport reopened", err)
	check("reopened", false, true, true, false)
}
