package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

func runCases() []testCase {
	return []testCase{
		{"StartFinishGet", testRunLifecycle},
		{"QueryNewestFirst", testRunQuery},
	}
}

func testRunLifecycle(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	in := store.Run{ID: "run-2026-03-02T09:00:00Z-1", Account: "acme", Mode: store.ModeExport, Trigger: "schedule", Status: store.RunRunning, StartedAt: at(0)}
	got, err := s.StartRun(ctx, in)
	must(t, "StartRun", err)
	diff(t, "StartRun result", in, got)
	read, err := s.GetRun(ctx, in.ID)
	must(t, "GetRun", err)
	diff(t, "GetRun of a running run", in, read)

	_, err = s.StartRun(ctx, store.Run{ID: in.ID, Account: "acme", Mode: store.ModeFetch, Trigger: "manual", Status: store.RunRunning, StartedAt: at(1)})
	wantErr(t, "StartRun with a taken ID", err, store.ErrExists)
	read, err = s.GetRun(ctx, in.ID)
	must(t, "GetRun", err)
	diff(t, "GetRun after a refused StartRun", in, read)

	fin := in
	fin.Status = store.RunPartial
	fin.FinishedAt = at(3)
	fin.Counts = map[string]int{"exported": 41, "failed": 2, "skipped": 7, "confirmations": 0}
	fin.VeeqoCalls = 1 << 33
	fin.Error = "2 orders failed"
	fin.Trigger = "changed-by-finish" // FinishRun writes only the final fields
	got, err = s.FinishRun(ctx, fin)
	must(t, "FinishRun", err)
	want := fin
	want.Trigger = in.Trigger
	diff(t, "FinishRun result", want, got)
	fin.Counts["exported"] = 999 // the caller's map is not the store's
	read, err = s.GetRun(ctx, in.ID)
	must(t, "GetRun", err)
	want.Counts = map[string]int{"exported": 41, "failed": 2, "skipped": 7, "confirmations": 0}
	diff(t, "GetRun after FinishRun (Counts round trip)", want, read)
	read.Counts["exported"] = 0
	again, err := s.GetRun(ctx, in.ID)
	must(t, "GetRun", err)
	diff(t, "GetRun after mutating a read", want, again)

	_, err = s.FinishRun(ctx, store.Run{ID: "run-404", Account: "acme", Status: store.RunFailed, FinishedAt: at(1)})
	wantErr(t, "FinishRun of a missing run", err, store.ErrNotFound)
	_, err = s.GetRun(ctx, "run-404")
	wantErr(t, "GetRun of a missing run", err, store.ErrNotFound)

	// Nil counts round-trip as empty.
	_, err = s.StartRun(ctx, store.Run{ID: "run-b", Account: "acme", Mode: store.ModeExport, Trigger: "cli", Status: store.RunRunning, StartedAt: at(5)})
	must(t, "StartRun", err)
	got, err = s.FinishRun(ctx, store.Run{ID: "run-b", Account: "acme", Status: store.RunFailed, FinishedAt: at(6), Error: "veeqo: 401 unauthorized"})
	must(t, "FinishRun", err)
	if len(got.Counts) != 0 || got.Status != store.RunFailed || got.Error != "veeqo: 401 unauthorized" {
		t.Errorf("FinishRun with no counts = %+v", got)
	}
}

func testRunQuery(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	addAccount(t, s, "other")
	statuses := []store.RunStatus{store.RunSucceeded, store.RunFailed, store.RunPartial, store.RunCancelled, store.RunSucceeded}
	var runs []store.Run // oldest first
	for i := range 60 {
		r := store.Run{ID: fmt.Sprintf("run-%03d", i), Account: "acme", Mode: store.ModeExport, Trigger: "schedule", Status: store.RunRunning, StartedAt: at(i)}
		_, err := s.StartRun(ctx, r)
		must(t, "StartRun", err)
		if i < 59 { // the newest is still running
			r.Status, r.FinishedAt, r.Counts = statuses[i%5], at(i).Add(30*time.Second), map[string]int{"exported": i}
			r, err = s.FinishRun(ctx, r)
			must(t, "FinishRun", err)
		}
		runs = append(runs, r)
		_, err = s.StartRun(ctx, store.Run{ID: fmt.Sprintf("other-%03d", i), Account: "other", Mode: store.ModeFetch, Trigger: "schedule", Status: store.RunRunning, StartedAt: at(i)})
		must(t, "StartRun other", err)
	}
	newest := func(filter func(store.Run) bool, n int) []store.Run {
		var out []store.Run
		for i := len(runs) - 1; i >= 0 && len(out) < n; i-- {
			if filter(runs[i]) {
				out = append(out, runs[i])
			}
		}
		return out
	}
	every := func(store.Run) bool { return true }
	tests := []struct {
		name string
		q    store.RunQuery
		want []store.Run
	}{
		{"default limit 50", store.RunQuery{}, newest(every, 50)},
		{"limit 5", store.RunQuery{Limit: 5}, newest(every, 5)},
		{"before", store.RunQuery{Before: at(10), Limit: 100}, newest(func(r store.Run) bool { return r.StartedAt.Before(at(10)) }, 100)},
		{"before, limit 3", store.RunQuery{Before: at(10), Limit: 3}, newest(func(r store.Run) bool { return r.StartedAt.Before(at(10)) }, 3)},
		{"running", store.RunQuery{Statuses: []store.RunStatus{store.RunRunning}}, newest(func(r store.Run) bool { return r.Status == store.RunRunning }, 50)},
		{"failed or partial", store.RunQuery{Statuses: []store.RunStatus{store.RunFailed, store.RunPartial}, Limit: 100}, newest(func(r store.Run) bool { return r.Status == store.RunFailed || r.Status == store.RunPartial }, 100)},
		{"before the first", store.RunQuery{Before: at(0)}, nil},
	}
	for _, tt := range tests {
		q := tt.q
		q.Account = "acme"
		got, err := s.QueryRuns(ctx, q)
		if err != nil {
			t.Errorf("QueryRuns %s: %v", tt.name, err)
			continue
		}
		diff(t, "QueryRuns "+tt.name, tt.want, got)
	}
	if _, err := s.QueryRuns(ctx, store.RunQuery{}); err == nil {
		t.Error("QueryRuns without an account: no error")
	}
}
