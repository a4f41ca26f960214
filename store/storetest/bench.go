package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/xoroerp/veeqoconnect/store"
)

// Bench runs the store benchmarks as sub-benchmarks of b, each with its own
// store from newStore:
//
//   - ExportCycle: the state writes of one exported order, one after the
//     other: ClaimExport (write-ahead), then CompleteExport with the Veeqo
//     id and line links, the operations record and one log entry.
//   - ExportCycleParallel: the same cycle from GOMAXPROCS goroutines at once
//     (distinct orders), as concurrent workers on several accounts would.
//
// Both report ns/op (one op = one order) and an "orders/s" metric. Keep runs
// short on a shared machine: go test -bench . -benchtime=200ms.
func Bench(b *testing.B, newStore func(b *testing.B) store.Store) {
	b.Run("ExportCycle", func(b *testing.B) {
		s := newStore(b)
		setupBench(b, s, "bench")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			exportCycle(b, s, "bench", fmt.Sprintf("SO-%09d", i), int64(i)+1)
		}
		reportOrdersPerSecond(b)
	})
	b.Run("ExportCycleParallel", func(b *testing.B) {
		s := newStore(b)
		setupBench(b, s, "bench")
		b.ReportAllocs()
		b.ResetTimer()
		var worker atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			w := worker.Add(1)
			for i := 0; pb.Next(); i++ {
				exportCycle(b, s, "bench", fmt.Sprintf("W%03d-SO-%09d", w, i), w<<32+int64(i)+1)
			}
		})
		reportOrdersPerSecond(b)
	})
}

func setupBench(b *testing.B, s store.Store, account string) {
	b.Helper()
	if _, err := s.AddAccount(b.Context(), store.Account{Name: account, APIKey: "Vqt/bench"}); err != nil {
		b.Fatalf("AddAccount: %v", err)
	}
}

// exportCycle writes what exporting one order writes.
func exportCycle(b *testing.B, s store.Store, account, erpRef string, veeqoID int64) {
	ctx := b.Context()
	e, inserted, err := s.ClaimExport(ctx, store.Export{Account: account, ERPRef: erpRef, Number: erpRef, State: store.ExportClaimed, Attempts: 1})
	if err != nil || !inserted {
		b.Fatalf("ClaimExport %s: inserted %v, %v", erpRef, inserted, err)
	}
	e.State = store.ExportExported
	e.VeeqoOrderID = veeqoID
	e.Lines = sampleLines()
	at := base
	_, _, err = s.CompleteExport(ctx, e,
		store.RecordUpdate{Account: account, Process: "export_order", Reference: erpRef, Status: store.RecordSuccess,
			Message: "exported", VeeqoOrderID: e.VeeqoOrderID, RunID: "bench-run", At: at, CountAttempt: true},
		store.LogEntry{Time: at, Account: account, RunID: "bench-run", Process: "export_order", Level: store.LevelInfo,
			Reference: erpRef, Message: "exported as Veeqo order"})
	if err != nil {
		b.Fatalf("CompleteExport %s: %v", erpRef, err)
	}
}

func reportOrdersPerSecond(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "orders/s")
	}
}
