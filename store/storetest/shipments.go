package storetest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

func shipmentCases() []testCase {
	return []testCase{
		{"RecordInsertIfAbsent", testShipmentRecord},
		{"RecordRace", testShipmentRace},
		{"RecordShipmentsBatch", testRecordShipments},
		{"RecordShipmentsInvalidWritesNothing", testRecordShipmentsInvalid},
		{"UpdateCAS", testShipmentUpdateCAS},
		{"CompleteShipment", testCompleteShipment},
		{"CompleteShipmentConflictWritesNothing", testCompleteShipmentConflict},
		{"CompleteShipmentsBatch", testCompleteShipments},
		{"CompleteShipmentsConflictWritesNothing", testCompleteShipmentsConflict},
		{"ListOrderAndFilters", testShipmentList},
		{"FindByVeeqoOrdersAndIDs", testFindShipments},
	}
}

func testShipmentRecord(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	in := store.AppliedShipment{
		Account: "acme", ShipmentID: 9_000_000_001, AllocationID: 77, VeeqoOrderID: 4242, ERPRef: "SO-1",
		State:  store.ShipmentPending,
		Update: json.RawMessage(`{"erp_ref":"SO-1","lines":[{"line":"1","qty":2}],"tracking":"1Z999","carrier":"UPS","final":true,"price":"12.50"}`),
	}
	lo := time.Now()
	got, inserted, err := s.RecordShipment(ctx, in)
	hi := time.Now()
	must(t, "RecordShipment", err)
	if !inserted {
		t.Fatal("RecordShipment on an empty key: inserted = false")
	}
	if got.Version <= 0 {
		t.Errorf("RecordShipment: Version = %d, want > 0", got.Version)
	}
	stamped(t, "RecordShipment: CreatedAt", got.CreatedAt, lo, hi)
	want := in
	want.Version, want.CreatedAt = got.Version, got.CreatedAt
	diff(t, "RecordShipment result", want, got)
	read, err := s.GetShipment(ctx, "acme", in.ShipmentID)
	must(t, "GetShipment", err)
	diff(t, "GetShipment (Update JSON round trip)", want, read)
	var doc map[string]any
	if err := json.Unmarshal(read.Update, &doc); err != nil || doc["tracking"] != "1Z999" {
		t.Errorf("stored Update does not decode: %v (%s)", err, read.Update)
	}

	again, inserted, err := s.RecordShipment(ctx, store.AppliedShipment{Account: "acme", ShipmentID: in.ShipmentID, State: store.ShipmentIgnored, Update: json.RawMessage(`{"other":true}`)})
	must(t, "second RecordShipment", err)
	if inserted {
		t.Error("second RecordShipment of the same key: inserted = true")
	}
	diff(t, "second RecordShipment returns the stored row", want, again)

	_, err = s.GetShipment(ctx, "acme", 404)
	wantErr(t, "GetShipment of a missing shipment", err, store.ErrNotFound)
	addAccount(t, s, "other")
	_, err = s.GetShipment(ctx, "other", in.ShipmentID)
	wantErr(t, "GetShipment through another account", err, store.ErrNotFound)
}

func testRecordShipments(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	old, _, err := s.RecordShipment(ctx, store.AppliedShipment{Account: "acme", ShipmentID: 502, VeeqoOrderID: 9, ERPRef: "SO-0", State: store.ShipmentApplied, Update: json.RawMessage(`{"old":true}`)})
	must(t, "RecordShipment", err)
	in := []store.AppliedShipment{
		{Account: "acme", ShipmentID: 501, AllocationID: 11, VeeqoOrderID: 1, ERPRef: "SO-1", State: store.ShipmentPending, Update: json.RawMessage(`{"n":1}`)},
		{Account: "acme", ShipmentID: 502, AllocationID: 12, VeeqoOrderID: 2, ERPRef: "SO-2", State: store.ShipmentPending, Update: json.RawMessage(`{"n":2}`)},
		{Account: "acme", ShipmentID: 503, AllocationID: 13, VeeqoOrderID: 3, ERPRef: "SO-3", State: store.ShipmentIgnored, Warning: "why", Update: json.RawMessage(`{"n":3}`)},
		{Account: "acme", ShipmentID: 501, VeeqoOrderID: 4, ERPRef: "SO-4", State: store.ShipmentIgnored, Update: json.RawMessage(`{"n":4}`)},
	}
	lo := time.Now()
	got, inserted, err := s.RecordShipments(ctx, in)
	hi := time.Now()
	must(t, "RecordShipments", err)
	if len(got) != len(in) || len(inserted) != len(in) {
		t.Fatalf("RecordShipments of %d rows returned %d rows and %d flags", len(in), len(got), len(inserted))
	}
	if want := []bool{true, false, true, false}; !slices.Equal(inserted, want) {
		t.Errorf("RecordShipments: inserted = %v, want %v (a key stored before, or earlier in the batch, is not inserted again)", inserted, want)
	}
	for _, i := range []int{0, 2} {
		want := in[i]
		if got[i].Version <= 0 {
			t.Errorf("RecordShipments row %d: Version = %d, want > 0", i, got[i].Version)
		}
		stamped(t, fmt.Sprintf("RecordShipments row %d: CreatedAt", i), got[i].CreatedAt, lo, hi)
		want.Version, want.CreatedAt = got[i].Version, got[i].CreatedAt
		diff(t, fmt.Sprintf("RecordShipments row %d", i), want, got[i])
		read, err := s.GetShipment(ctx, "acme", in[i].ShipmentID)
		must(t, "GetShipment", err)
		diff(t, fmt.Sprintf("GetShipment of batch row %d", i), want, read)
	}
	diff(t, "RecordShipments returns the row stored before", old, got[1])
	diff(t, "RecordShipments returns the row inserted earlier in the batch", got[0], got[3])
	if read, err := s.GetShipment(ctx, "acme", 502); err != nil || read.VeeqoOrderID != 9 || read.State != store.ShipmentApplied {
		t.Errorf("a key stored before the batch was overwritten: %+v, %v", read, err)
	}
	got, inserted, err = s.RecordShipments(ctx, nil)
	must(t, "RecordShipments of nothing", err)
	if len(got) != 0 || len(inserted) != 0 {
		t.Errorf("RecordShipments of nothing returned %d rows and %d flags", len(got), len(inserted))
	}
}

func testRecordShipmentsInvalid(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	_, _, err := s.RecordShipments(ctx, []store.AppliedShipment{
		{Account: "acme", ShipmentID: 601, VeeqoOrderID: 1, ERPRef: "SO-1", State: store.ShipmentPending, Update: json.RawMessage(`{}`)},
		{Account: "", ShipmentID: 602, VeeqoOrderID: 2, ERPRef: "SO-2", State: store.ShipmentPending, Update: json.RawMessage(`{}`)},
	})
	if err == nil {
		t.Fatal("RecordShipments with a row without an account: no error")
	}
	_, err = s.GetShipment(ctx, "acme", 601)
	wantErr(t, "GetShipment of a valid row of a batch that failed", err, store.ErrNotFound)
}

func testShipmentRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	won := make([]bool, Race)
	got := make([]store.AppliedShipment, Race)
	errs := race(Race, func(i int) error {
		var err error
		got[i], won[i], err = s.RecordShipment(ctx, store.AppliedShipment{Account: "acme", ShipmentID: 31, ERPRef: "SO-1", State: store.ShipmentPending, Warning: fmt.Sprint(i), Update: json.RawMessage(`{}`)})
		return err
	})
	countWinners(t, "concurrent RecordShipment", errs)
	winners, winner := 0, -1
	for i := range won {
		if won[i] && errs[i] == nil {
			winners++
			winner = i
		}
	}
	if winners != 1 {
		t.Fatalf("%d concurrent RecordShipment of one key: %d returned true, want exactly 1", Race, winners)
	}
	for i := range got {
		if errs[i] == nil && got[i].Warning != fmt.Sprint(winner) {
			t.Errorf("inserter %d got row %q, want the winner's %d", i, got[i].Warning, winner)
		}
	}
}

func testShipmentUpdateCAS(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	orig, _, err := s.RecordShipment(ctx, store.AppliedShipment{Account: "acme", ShipmentID: 1, ERPRef: "SO-1", State: store.ShipmentPending, Update: json.RawMessage(`{"a":1}`)})
	must(t, "RecordShipment", err)
	upd := orig
	upd.State = store.ShipmentApplied
	upd.AppliedAt = at(3)
	upd.Warning = "partial: line 2 back-ordered"
	upd.Update = json.RawMessage(`{"a":2,"b":[1,2,3]}`)
	got, err := s.UpdateShipment(ctx, upd)
	must(t, "UpdateShipment", err)
	if got.Version <= orig.Version {
		t.Errorf("UpdateShipment: Version = %d, want > %d", got.Version, orig.Version)
	}
	want := upd
	want.Version = got.Version
	diff(t, "UpdateShipment result", want, got)
	read, err := s.GetShipment(ctx, "acme", 1)
	must(t, "GetShipment", err)
	diff(t, "GetShipment after UpdateShipment", want, read)

	stale := orig
	stale.State = store.ShipmentIgnored
	_, err = s.UpdateShipment(ctx, stale)
	wantErr(t, "UpdateShipment with a stale version", err, store.ErrConflict)
	read, err = s.GetShipment(ctx, "acme", 1)
	must(t, "GetShipment", err)
	diff(t, "GetShipment after a lost UpdateShipment", want, read)

	_, err = s.UpdateShipment(ctx, store.AppliedShipment{Account: "acme", ShipmentID: 404, Version: 1, State: store.ShipmentApplied})
	wantErr(t, "UpdateShipment of a missing shipment", err, store.ErrNotFound, store.ErrConflict)

	// Of concurrent updates from one version exactly one wins.
	errs := race(Race, func(i int) error {
		u := read
		u.Warning = fmt.Sprint(i)
		_, err := s.UpdateShipment(ctx, u)
		return err
	})
	if n := countWinners(t, "concurrent UpdateShipment", errs, store.ErrConflict); n != 1 {
		t.Errorf("concurrent UpdateShipment from one version: %d winners, want 1", n)
	}
}

// testShipmentList is one piece on purpose: a conformance scenario is one sequence of
// steps on one store, each step's check beside it.
func testShipmentList(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	addAccount(t, s, "other")
	type spec struct {
		id      int64
		ref     string
		state   store.ShipmentState
		veeqoID int64
	}
	specs := []spec{
		{30, "SO-1", store.ShipmentApplied, 901},
		{10, "SO-2", store.ShipmentPending, 902},
		{20, "SO-1", store.ShipmentPending, 901},
		{50, "SO-3", store.ShipmentIgnored, 903},
		{40, "SO-1", store.ShipmentApplied, 904},
		{60, "SO-3", store.ShipmentVoided, 903},
	}
	byID := map[int64]store.AppliedShipment{}
	for _, sp := range specs {
		sh, _, err := s.RecordShipment(ctx, store.AppliedShipment{Account: "acme", ShipmentID: sp.id, ERPRef: sp.ref, State: sp.state, VeeqoOrderID: sp.veeqoID, Update: json.RawMessage(`{}`)})
		must(t, "RecordShipment", err)
		byID[sp.id] = sh
		time.Sleep(3 * time.Millisecond) // distinct CreatedAt stamps
	}
	_, _, err := s.RecordShipment(ctx, store.AppliedShipment{Account: "other", ShipmentID: 10, ERPRef: "SO-1", State: store.ShipmentPending})
	must(t, "RecordShipment", err)

	tests := []struct {
		name string
		q    store.ShipmentQuery
		want []int64 // as a set; order is checked against the rows' own CreatedAt
		max  int
	}{
		{"all", store.ShipmentQuery{}, []int64{10, 20, 30, 40, 50, 60}, 0},
		{"voided", store.ShipmentQuery{States: []store.ShipmentState{store.ShipmentVoided}}, []int64{60}, 0},
		{"by Veeqo order", store.ShipmentQuery{VeeqoOrderID: 901}, []int64{20, 30}, 0},
		{"by Veeqo order and state", store.ShipmentQuery{VeeqoOrderID: 903, States: []store.ShipmentState{store.ShipmentVoided}}, []int64{60}, 0},
		{"unknown Veeqo order", store.ShipmentQuery{VeeqoOrderID: 999}, nil, 0},
		{"by ref", store.ShipmentQuery{ERPRef: "SO-1"}, []int64{20, 30, 40}, 0},
		{"pending", store.ShipmentQuery{States: []store.ShipmentState{store.ShipmentPending}}, []int64{10, 20}, 0},
		{"applied or ignored", store.ShipmentQuery{States: []store.ShipmentState{store.ShipmentApplied, store.ShipmentIgnored}}, []int64{30, 40, 50}, 0},
		{"ref and state", store.ShipmentQuery{ERPRef: "SO-1", States: []store.ShipmentState{store.ShipmentApplied}}, []int64{30, 40}, 0},
		{"unknown ref", store.ShipmentQuery{ERPRef: "SO-404"}, nil, 0},
	}
	for _, tt := range tests {
		q := tt.q
		q.Account = "acme"
		got, err := s.ListShipments(ctx, q)
		if err != nil {
			t.Errorf("ListShipments %s: %v", tt.name, err)
			continue
		}
		var ids []int64
		for _, sh := range got {
			ids = append(ids, sh.ShipmentID)
			diff(t, fmt.Sprintf("ListShipments %s: row %d", tt.name, sh.ShipmentID), byID[sh.ShipmentID], sh)
		}
		diff(t, "ListShipments "+tt.name+" (set)", tt.want, slices.Sorted(slices.Values(ids)))
		if !slices.IsSortedFunc(got, func(a, b store.AppliedShipment) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ShipmentID, b.ShipmentID))
		}) {
			t.Errorf("ListShipments %s: not oldest first (CreatedAt, then ShipmentID): %v", tt.name, ids)
		}
	}
	all, err := s.ListShipments(ctx, store.ShipmentQuery{Account: "acme"})
	must(t, "ListShipments", err)
	var order []int64
	for _, sh := range all {
		order = append(order, sh.ShipmentID)
	}
	diff(t, "ListShipments order (inserted 3ms apart: insertion order)", []int64{30, 10, 20, 50, 40, 60}, order)
	limited, err := s.ListShipments(ctx, store.ShipmentQuery{Account: "acme", Limit: 2})
	must(t, "ListShipments Limit 2", err)
	if len(all) >= 2 {
		diff(t, "ListShipments Limit 2 (the first two)", all[:2], limited)
	}
	if _, err := s.ListShipments(ctx, store.ShipmentQuery{}); err == nil {
		t.Error("ListShipments without an account: no error")
	}
}

// testCompleteShipment: the shipment's new state, its record and its log
// land together; the log entries come back with Seq set, in order; without
// a record only the shipment and the log are written.
func testCompleteShipment(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	pending, _, err := s.RecordShipment(ctx, store.AppliedShipment{Account: "acme", ShipmentID: 7001, AllocationID: 70, VeeqoOrderID: 4242,
		ERPRef: "SO-1", State: store.ShipmentPending, Update: json.RawMessage(`{"erp_ref":"SO-1"}`)})
	must(t, "RecordShipment", err)
	applied := pending
	applied.State, applied.AppliedAt = store.ShipmentApplied, at(5)
	r := store.RecordUpdate{Account: "acme", Process: "fetch_fulfillment", Reference: "111-1", Status: store.RecordWarning,
		Message: "shipment 7001 applied; carrier not mapped", VeeqoOrderID: 4242, RunID: "run-1", At: at(5), CountAttempt: true}
	logs := []store.LogEntry{
		{Time: at(5), Account: "acme", RunID: "run-1", Process: "fetch_fulfillment", Level: store.LevelInfo, Reference: "111-1", Message: "applied shipment 7001"},
		{Time: at(5), Account: "acme", RunID: "run-1", Process: "fetch_fulfillment", Level: store.LevelWarning, Reference: "111-1", Message: "carrier not mapped"},
	}
	got, appended, err := s.CompleteShipment(ctx, applied, &r, logs...)
	must(t, "CompleteShipment", err)
	if got.Version <= pending.Version || got.State != store.ShipmentApplied || !got.AppliedAt.Equal(at(5)) {
		t.Errorf("CompleteShipment result: Version %d (was %d), State %q, AppliedAt %v", got.Version, pending.Version, got.State, got.AppliedAt)
	}
	read, err := s.GetShipment(ctx, "acme", 7001)
	must(t, "GetShipment", err)
	diff(t, "GetShipment after CompleteShipment", got, read)
	if len(appended) != 2 || appended[0].Seq <= 0 || appended[1].Seq <= appended[0].Seq ||
		appended[0].Message != "applied shipment 7001" || appended[1].Message != "carrier not mapped" {
		t.Errorf("CompleteShipment log entries = %+v, want both in order with increasing Seq", appended)
	}
	rec, err := s.GetRecord(ctx, "acme", "fetch_fulfillment", "111-1")
	must(t, "GetRecord after CompleteShipment", err)
	if rec.Status != store.RecordWarning || rec.Message != r.Message || rec.VeeqoOrderID != 4242 || rec.Attempts != 1 || rec.LastRunID != "run-1" {
		t.Errorf("record after CompleteShipment = %+v", rec)
	}
	page, err := s.QueryLogs(ctx, store.LogQuery{Account: "acme", Reference: "111-1"})
	must(t, "QueryLogs", err)
	var gotMsgs []string
	for _, l := range page.Entries {
		gotMsgs = append(gotMsgs, l.Message)
	}
	diff(t, "log messages after CompleteShipment (newest first)", []string{"carrier not mapped", "applied shipment 7001"}, gotMsgs)

	// Without a record (and without logs): only the shipment.
	second, _, err := s.RecordShipment(ctx, store.AppliedShipment{Account: "acme", ShipmentID: 7002, VeeqoOrderID: 4242, ERPRef: "SO-1", State: store.ShipmentPending})
	must(t, "RecordShipment", err)
	second.State = store.ShipmentApplied
	lo := time.Now()
	done, appended, err := s.CompleteShipment(ctx, second, nil)
	hi := time.Now()
	must(t, "CompleteShipment without a record", err)
	if done.State != store.ShipmentApplied || len(appended) != 0 {
		t.Errorf("CompleteShipment without a record: State %q, %d log entries", done.State, len(appended))
	}
	stamped(t, "CompleteShipment: AppliedAt of an applied shipment left zero", done.AppliedAt, lo, hi)
	rec2, err := s.GetRecord(ctx, "acme", "fetch_fulfillment", "111-1")
	must(t, "GetRecord", err)
	diff(t, "record after CompleteShipment without a record", rec, rec2)
}

// testCompleteShipmentConflict: a stale version or a missing shipment
// writes nothing: no shipment change, no record, no log entry.
func testCompleteShipmentConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	orig, _, err := s.RecordShipment(ctx, store.AppliedShipment{Account: "acme", ShipmentID: 7001, VeeqoOrderID: 4242, ERPRef: "SO-1", State: store.ShipmentPending})
	must(t, "RecordShipment", err)
	moved := orig
	moved.Warning = "looked at by another run"
	moved, err = s.UpdateShipment(ctx, moved)
	must(t, "UpdateShipment", err)

	stale := orig
	stale.State = store.ShipmentApplied
	r := store.RecordUpdate{Account: "acme", Process: "fetch_fulfillment", Reference: "111-1", Status: store.RecordSuccess, RunID: "run-1", At: at(5), CountAttempt: true}
	l := store.LogEntry{Time: at(5), Account: "acme", RunID: "run-1", Process: "fetch_fulfillment", Level: store.LevelInfo, Reference: "111-1", Message: "applied"}
	_, _, err = s.CompleteShipment(ctx, stale, &r, l)
	wantErr(t, "CompleteShipment with a stale version", err, store.ErrConflict)

	missing := store.AppliedShipment{Account: "acme", ShipmentID: 404, Version: 1, State: store.ShipmentApplied}
	r404 := r
	r404.Reference = "111-404"
	l404 := l
	l404.Reference = "111-404"
	_, _, err = s.CompleteShipment(ctx, missing, &r404, l404)
	wantErr(t, "CompleteShipment of a missing shipment", err, store.ErrNotFound, store.ErrConflict)

	read, err := s.GetShipment(ctx, "acme", 7001)
	must(t, "GetShipment", err)
	diff(t, "shipment after a lost CompleteShipment", moved, read)
	for _, reference := range []string{"111-1", "111-404"} {
		_, err = s.GetRecord(ctx, "acme", "fetch_fulfillment", reference)
		wantErr(t, "record written by a lost CompleteShipment ("+reference+")", err, store.ErrNotFound)
	}
	page, err := s.QueryLogs(ctx, store.LogQuery{Account: "acme"})
	must(t, "QueryLogs", err)
	if len(page.Entries) != 0 {
		t.Errorf("a lost CompleteShipment appended %d log entries, want none", len(page.Entries))
	}
}

// testCompleteShipments: a batch lands whole, in order: every shipment's
// new state, the export a completion carries, the records (one reference
// written twice keeps the later one) and the logs, with Seq increasing
// across the batch; a completion without a record writes only its shipment
// and logs; an empty batch is no error.
// It is one piece on purpose: a conformance scenario is one sequence of
// steps on one store, each step's check beside it.
func testCompleteShipments(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	var cs []store.ShipmentCompletion
	for i, ref := range []string{"111-1", "111-2", "111-2", "111-3"} {
		id := int64(7101 + i)
		pending, _, err := s.RecordShipment(ctx, store.AppliedShipment{Account: "acme", ShipmentID: id, VeeqoOrderID: 4300 + int64(i),
			ERPRef: "SO-" + ref, State: store.ShipmentPending, Update: json.RawMessage(`{"n":1}`)})
		must(t, "RecordShipment", err)
		c := store.ShipmentCompletion{Shipment: pending}
		c.Shipment.State, c.Shipment.AppliedAt = store.ShipmentApplied, at(5+i)
		if i == 0 {
			// The settled order's export, completed in the same write.
			ex := claim(t, s, "acme", "SO-"+ref)
			ex.State, ex.VeeqoOrderID = store.ExportExported, 4300
			ex, err = s.UpdateExport(ctx, ex)
			must(t, "UpdateExport", err)
			ex.Completed = true
			c.Export = &ex
		}
		if ref != "111-3" {
			c.Record = &store.RecordUpdate{Account: "acme", Process: "fetch_fulfillment", Reference: ref, Status: store.RecordSuccess,
				Message: fmt.Sprintf("shipment %d applied", id), VeeqoOrderID: 4300 + int64(i), RunID: "run-1", At: at(5 + i), CountAttempt: true}
		}
		c.Logs = []store.LogEntry{{Time: at(5 + i), Account: "acme", RunID: "run-1", Process: "fetch_fulfillment", Level: store.LevelInfo,
			Reference: ref, Message: fmt.Sprintf("applied shipment %d", id)}}
		cs = append(cs, c)
	}
	got, err := s.CompleteShipments(ctx, cs)
	must(t, "CompleteShipments", err)
	if len(got) != len(cs) {
		t.Fatalf("CompleteShipments returned %d completions, want %d", len(got), len(cs))
	}
	var lastSeq int64
	for i, g := range got {
		want := cs[i].Shipment
		if g.Shipment.ShipmentID != want.ShipmentID || g.Shipment.Version <= want.Version || g.Shipment.State != store.ShipmentApplied || !g.Shipment.AppliedAt.Equal(want.AppliedAt) {
			t.Errorf("CompleteShipments result %d: %+v, want shipment %d applied at %v with a new version", i, g.Shipment, want.ShipmentID, want.AppliedAt)
		}
		read, err := s.GetShipment(ctx, "acme", want.ShipmentID)
		must(t, "GetShipment", err)
		diff(t, fmt.Sprintf("GetShipment %d after CompleteShipments", want.ShipmentID), g.Shipment, read)
		if len(g.Logs) != 1 || g.Logs[0].Seq <= lastSeq || g.Logs[0].Message != cs[i].Logs[0].Message {
			t.Errorf("CompleteShipments logs of %d = %+v, want its one entry with a Seq above %d", want.ShipmentID, g.Logs, lastSeq)
		} else {
			lastSeq = g.Logs[0].Seq
		}
	}
	if ex := got[0].Export; ex == nil || !ex.Completed || ex.Version <= cs[0].Export.Version {
		t.Errorf("CompleteShipments export = %+v, want it completed with a new version", ex)
	} else {
		read, err := s.GetExport(ctx, "acme", "SO-111-1")
		must(t, "GetExport", err)
		diff(t, "GetExport after CompleteShipments", *ex, read)
	}
	for i, g := range got[1:] {
		if g.Export != nil {
			t.Errorf("CompleteShipments result %d: export %+v, want none", i+1, g.Export)
		}
	}
	rec, err := s.GetRecord(ctx, "acme", "fetch_fulfillment", "111-1")
	must(t, "GetRecord 111-1", err)
	if rec.Message != "shipment 7101 applied" || rec.Attempts != 1 {
		t.Errorf("record 111-1 after CompleteShipments = %+v", rec)
	}
	rec, err = s.GetRecord(ctx, "acme", "fetch_fulfillment", "111-2")
	must(t, "GetRecord 111-2", err)
	if rec.Message != "shipment 7103 applied" || rec.VeeqoOrderID != 4302 || rec.Attempts != 2 {
		t.Errorf("record 111-2 after CompleteShipments = %+v, want the later completion's, two attempts", rec)
	}
	_, err = s.GetRecord(ctx, "acme", "fetch_fulfillment", "111-3")
	wantErr(t, "record of a completion without one", err, store.ErrNotFound)
	page, err := s.QueryLogs(ctx, store.LogQuery{Account: "acme"})
	must(t, "QueryLogs", err)
	if len(page.Entries) != 4 {
		t.Errorf("CompleteShipments appended %d log entries, want 4", len(page.Entries))
	}
	none, err := s.CompleteShipments(ctx, nil)
	must(t, "CompleteShipments of nothing", err)
	if len(none) != 0 {
		t.Errorf("CompleteShipments of nothing returned %+v", none)
	}
}

// testCompleteShipmentsConflict: one stale version (of a shipment or an
// export) or missing shipment in a batch writes nothing of the batch: no shipment change, no record, no log
// entry, the completions before it included.
func testCompleteShipmentsConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	var rows []store.AppliedShipment
	for _, id := range []int64{7201, 7202} {
		row, _, err := s.RecordShipment(ctx, store.AppliedShipment{Account: "acme", ShipmentID: id, VeeqoOrderID: 4242, ERPRef: "SO-1", State: store.ShipmentPending})
		must(t, "RecordShipment", err)
		rows = append(rows, row)
	}
	moved := rows[1]
	moved.Warning = "looked at by another run"
	moved, err := s.UpdateShipment(ctx, moved)
	must(t, "UpdateShipment", err)
	completion := func(sh store.AppliedShipment, ref string) store.ShipmentCompletion {
		sh.State = store.ShipmentApplied
		return store.ShipmentCompletion{Shipment: sh,
			Record: &store.RecordUpdate{Account: "acme", Process: "fetch_fulfillment", Reference: ref, Status: store.RecordSuccess, RunID: "run-1", At: at(5), CountAttempt: true},
			Logs:   []store.LogEntry{{Time: at(5), Account: "acme", RunID: "run-1", Process: "fetch_fulfillment", Level: store.LevelInfo, Reference: ref, Message: "applied"}}}
	}
	_, err = s.CompleteShipments(ctx, []store.ShipmentCompletion{completion(rows[0], "111-1"), completion(rows[1], "111-2")})
	wantErr(t, "CompleteShipments with a stale version", err, store.ErrConflict)
	_, err = s.CompleteShipments(ctx, []store.ShipmentCompletion{completion(rows[0], "111-1"),
		completion(store.AppliedShipment{Account: "acme", ShipmentID: 404, Version: 1}, "111-404")})
	wantErr(t, "CompleteShipments with a missing shipment", err, store.ErrNotFound, store.ErrConflict)
	ex := claim(t, s, "acme", "SO-1")
	stale := ex
	ex.LastError = "written by another run"
	ex, err = s.UpdateExport(ctx, ex)
	must(t, "UpdateExport", err)
	stale.Completed = true
	withStale := completion(rows[0], "111-1")
	withStale.Export = &stale
	_, err = s.CompleteShipments(ctx, []store.ShipmentCompletion{withStale})
	wantErr(t, "CompleteShipments with a stale export", err, store.ErrConflict)
	read, err := s.GetExport(ctx, "acme", "SO-1")
	must(t, "GetExport", err)
	diff(t, "export after a lost CompleteShipments", ex, read)

	for _, want := range []store.AppliedShipment{rows[0], moved} {
		read, err := s.GetShipment(ctx, "acme", want.ShipmentID)
		must(t, "GetShipment", err)
		diff(t, fmt.Sprintf("shipment %d after a lost CompleteShipments", want.ShipmentID), want, read)
	}
	for _, reference := range []string{"111-1", "111-2", "111-404"} {
		_, err = s.GetRecord(ctx, "acme", "fetch_fulfillment", reference)
		wantErr(t, "record written by a lost CompleteShipments ("+reference+")", err, store.ErrNotFound)
	}
	page, err := s.QueryLogs(ctx, store.LogQuery{Account: "acme"})
	must(t, "QueryLogs", err)
	if len(page.Entries) != 0 {
		t.Errorf("a lost CompleteShipments appended %d log entries, want none", len(page.Entries))
	}
}

func testFindShipments(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	addAccount(t, s, "other")
	rows := []struct {
		account     string
		id, veeqoID int64
	}{
		{"acme", 10, 1}, {"acme", 11, 1}, {"acme", 20, 2}, {"acme", 30, 3}, {"acme", 40, 4}, {"other", 50, 1}, {"other", 60, 6},
	}
	for _, r := range rows {
		_, _, err := s.RecordShipment(ctx, store.AppliedShipment{Account: r.account, ShipmentID: r.id, VeeqoOrderID: r.veeqoID, ERPRef: "SO", State: store.ShipmentPending, Update: json.RawMessage(`{}`)})
		must(t, "RecordShipment", err)
	}
	ids := func(got []store.AppliedShipment) []int64 {
		var out []int64
		for _, sh := range got {
			out = append(out, sh.ShipmentID)
		}
		return out
	}
	sorted := func(got []store.AppliedShipment) bool {
		return slices.IsSortedFunc(got, func(a, b store.AppliedShipment) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ShipmentID, b.ShipmentID))
		})
	}
	// Orders 1 and 3, shipments 11 (of order 1 too), 40, 60 (another
	// account's) and 99 (none): each row once, this account's only.
	got, err := s.FindShipments(ctx, "acme", []int64{1, 3, 77}, []int64{11, 40, 60, 99})
	must(t, "FindShipments", err)
	gotIDs := ids(got)
	slices.Sort(gotIDs)
	if want := []int64{10, 11, 30, 40}; !slices.Equal(gotIDs, want) {
		t.Errorf("FindShipments(orders 1, 3, 77; shipments 11, 40, 60, 99) = %v, want %v", gotIDs, want)
	}
	if !sorted(got) {
		t.Errorf("FindShipments: rows not oldest first: %v", ids(got))
	}
	for _, sh := range got {
		read, err := s.GetShipment(ctx, "acme", sh.ShipmentID)
		must(t, "GetShipment", err)
		diff(t, fmt.Sprintf("FindShipments row %d", sh.ShipmentID), read, sh)
	}
	got, err = s.FindShipments(ctx, "acme", nil, []int64{20})
	must(t, "FindShipments by shipment only", err)
	if want := []int64{20}; !slices.Equal(ids(got), want) {
		t.Errorf("FindShipments(shipment 20) = %v, want %v", ids(got), want)
	}
	got, err = s.FindShipments(ctx, "acme", []int64{2}, nil)
	must(t, "FindShipments by order only", err)
	if want := []int64{20}; !slices.Equal(ids(got), want) {
		t.Errorf("FindShipments(order 2) = %v, want %v", ids(got), want)
	}
	got, err = s.FindShipments(ctx, "acme", nil, nil)
	must(t, "FindShipments of nothing", err)
	if len(got) != 0 {
		t.Errorf("FindShipments of nothing = %v, want none", ids(got))
	}
}
