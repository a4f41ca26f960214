package sync_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/memstore"
	"github.com/xoroerp/veeqoconnect/store/pgstore"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// benchBatch is how many orders (or shipped orders) one benchmark
// iteration runs through the engine.
const benchBatch = 100

// benchGap is how far the clock moves between iterations: past the
// confirmation overlap (10 minutes), so each run's poll lists the orders of
// that run and not the overlap window's earlier ones (which made the cost
// per order depend on b.N), and inside the catalogue TTL (15 minutes).
const benchGap = 11 * time.Minute

// benchAPIs are the two ways the engine benchmarks reach the fake Veeqo:
// "direct" calls its state in-process (veeqotest.Direct: no HTTP, no JSON),
// so the figure is the engine's and the store's own; "http" goes through
// the real veeqo client and the fake's HTTP server on loopback, so the
// figure includes the client's and the fake's HTTP and JSON (about three
// quarters of the CPU).
func benchAPIs() []struct {
	name string
	api  func(e *env) vsync.VeeqoAPI
} {
	return []struct {
		name string
		api  func(e *env) vsync.VeeqoAPI
	}{
		{"direct", func(e *env) vsync.VeeqoAPI { return e.srv.Direct() }},
		{"http", func(e *env) vsync.VeeqoAPI { return vsync.ClientAPI(e.client) }},
	}
}

// benchStores are the stores the engine benchmarks run on. PostgreSQL runs
// when VEEQOCONNECT_PG_DSN is set (a fresh schema, dropped afterwards).
func benchStores() []struct {
	name string
	open func(b *testing.B, clock func() time.Time) store.Store
} {
	return []struct {
		name string
		open func(b *testing.B, clock func() time.Time) store.Store
	}{
		{"memstore", func(b *testing.B, clock func() time.Time) store.Store { return memstore.New(memstore.WithClock(clock)) }},
		{"sqlite", func(b *testing.B, clock func() time.Time) store.Store {
			st, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlitestore.WithClock(clock))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			return st
		}},
		{"postgres", func(b *testing.B, clock func() time.Time) store.Store {
			dsn := os.Getenv("VEEQOCONNECT_PG_DSN")
			if dsn == "" {
				b.Skip("set VEEQOCONNECT_PG_DSN to benchmark on PostgreSQL")
			}
			var rb [6]byte
			_, _ = rand.Read(rb[:])
			schema := "sync_bench_" + hex.EncodeToString(rb[:])
			st, err := pgstore.Open(context.Background(), dsn, pgstore.WithSchema(schema), pgstore.WithClock(clock))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				_ = st.Close()
				ctx := context.Background()
				if conn, err := pgx.Connect(ctx, dsn); err == nil {
					_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
					_ = conn.Close(ctx)
				}
			})
			return st
		}},
	}
}

// BenchmarkExportRun measures the engine's own cost per exported order,
// end to end: each iteration exports a new wave of benchBatch orders
// (five customers, catalogue cached) and imports the confirmation
// poll's listing of them, against veeqotest with no rate limit (Veeqo's 5
// requests/s is cmd/veeqobench's business), on each store, reached in
// process ("direct": the engine's and the store's cost) and over HTTP
// ("http": the veeqo client's and the fake's HTTP and JSON included; see
// benchAPIs). Metrics: orders/s, Veeqo calls per order, store writes per
// order and the process's CPU time per order (the fake's included; a
// loaded machine blurs orders/s, not this), and engine-orders/s: the
// orders over the run's time less the time spent inside Veeqo's calls
// (timedAPI), the engine's own rate (in process, the fake Veeqo's state
// code is most of a run's time; a deployment spends that time waiting on
// Veeqo).
func BenchmarkExportRun(b *testing.B) {
	for _, sk := range benchStores() {
		for _, ak := range benchAPIs() {
			b.Run(sk.name+"/"+ak.name, func(b *testing.B) { benchExportRun(b, sk.open, ak.api) })
		}
	}
}

func benchExportRun(b *testing.B, open func(b *testing.B, clock func() time.Time) store.Store, api func(e *env) vsync.VeeqoAPI) {
	e := newEnv(b)
	raw := open(b, e.clk.Now)
	writes := &writeCounter{Store: raw}
	e.st = writes
	veeqoAPI := &timedAPI{VeeqoAPI: api(e)}
	eng := e.engine(withAPI(veeqoAPI))
	e.erp.Put(manyOrders("WARM", 10)...)
	if _, err := eng.Run(context.Background(), vsync.RunOptions{}); err != nil {
		b.Fatal(err)
	}
	inVeeqo0 := veeqoAPI.inVeeqo()
	calls := 0
	var cpu time.Duration
	var prev []vsync.ERPOrder
	b.ReportAllocs()
	writes0 := writes.n.Load()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		e.clk.Advance(benchGap)
		// The last wave leaves the ERP's waves, and each wave has
		// five customers of its own: otherwise every iteration
		// walks all earlier orders in MemoryERP.Candidates, and the
		// fake renders five customers with ever more delivery
		// addresses, and the cost per order grows with b.N. Its
		// exports are completed first, as their shipments would
		// complete them: an open export whose ERP order is gone is
		// flagged by the ERP-cancel pass (three writes each), which
		// is not what this measures.
		for _, o := range prev {
			ex, err := raw.GetExport(context.Background(), testAccount, o.Ref)
			if err != nil {
				b.Fatal(err)
			}
			ex.Completed = true
			if _, err := raw.UpdateExport(context.Background(), ex); err != nil {
				b.Fatal(err)
			}
			e.erp.Delete(o.Ref)
		}
		prev = manyOrders(fmt.Sprintf("B%d", i), benchBatch)
		for j := range prev {
			prev[j].Customer.Email = fmt.Sprintf("regular-%d-%d@example.com", i, j%5)
		}
		e.erp.Put(prev...)
		b.StartTimer()
		cpu0 := processCPU()
		rep, err := eng.Run(context.Background(), vsync.RunOptions{})
		cpu += processCPU() - cpu0
		if err != nil || rep.Exported != benchBatch {
			b.Fatalf("exported %d: %v", rep.Exported, err)
		}
		calls += int(rep.VeeqoCalls)
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(float64(b.N*benchBatch)/(b.Elapsed()-(veeqoAPI.inVeeqo()-inVeeqo0)).Seconds(), "engine-orders/s")
	b.ReportMetric(float64(calls)/float64(b.N*benchBatch), "calls/order")
	b.ReportMetric(float64(writes.n.Load()-writes0)/float64(b.N*benchBatch), "writes/order")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*benchBatch), "cpu-µs/order")
}

// BenchmarkFetchRun measures the engine's own cost per imported shipment
// in fetch mode: each iteration lists benchBatch marketplace orders shipped
// since the last run (one parcel of two lines each) and applies their
// shipments to the ERP, against veeqotest with no rate limit, on each
// store, "direct" and "http" as in BenchmarkExportRun. Metrics:
// shipments/s, engine-shipments/s (Veeqo's time excluded, as
// engine-orders/s), store writes per shipment and the process's CPU time
// per shipment.
func BenchmarkFetchRun(b *testing.B) {
	for _, sk := range benchStores() {
		for _, ak := range benchAPIs() {
			b.Run(sk.name+"/"+ak.name, func(b *testing.B) { benchFetchRun(b, sk.open, ak.api) })
		}
	}
}

func benchFetchRun(b *testing.B, open func(b *testing.B, clock func() time.Time) store.Store, api func(e *env) vsync.VeeqoAPI) {
	e := newEnv(b)
	writes := &writeCounter{Store: open(b, e.clk.Now)}
	e.st = writes
	e.settings.ExportOrders, e.settings.FetchFulfillments = false, true
	e.settings.StoreMapping = vsync.Stores(vsync.StoreMapping{ERPStore: "Amazon", VeeqoChannel: "Amazon US"})
	veeqoAPI := &timedAPI{VeeqoAPI: api(e)}
	eng := e.engine(withAPI(veeqoAPI))
	n := 0
	seed := func(count int) {
		for range count {
			n++
			number := fmt.Sprintf("111-%07d", n)
			e.erp.Put(vsync.ERPOrder{Ref: "AMZ-" + number, Number: number, Store: "Amazon",
				Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1, Allocated: 1}, {Ref: "2", SKU: "TEE-1", Quantity: 2, Allocated: 2}}})
			o := e.srv.AddOrder(veeqo.Order{Number: number, Channel: &e.amazon, Customer: &veeqo.Customer{Email: "mp-" + number + "@example.com"},
				LineItems: []veeqo.LineItem{{Quantity: 1, Sellable: &veeqo.Sellable{ID: e.sku["MUG-1"]}}, {Quantity: 2, Sellable: &veeqo.Sellable{ID: e.sku["TEE-1"]}}}})
			if _, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z" + number, CarrierID: 5}); err != nil {
				b.Fatal(err)
			}
		}
	}
	seed(10)
	if _, err := eng.Run(context.Background(), vsync.RunOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	writes0 := writes.n.Load()
	inVeeqo0 := veeqoAPI.inVeeqo()
	var cpu time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		e.clk.Advance(benchGap)
		seed(benchBatch)
		e.clk.Advance(time.Second)
		b.StartTimer()
		cpu0 := processCPU()
		rep, err := eng.Run(context.Background(), vsync.RunOptions{})
		cpu += processCPU() - cpu0
		if err != nil || rep.ConfirmationsApplied != benchBatch {
			b.Fatalf("applied %d of %d: %v (%s)", rep.ConfirmationsApplied, benchBatch, err, rep.Summary())
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "shipments/s")
	b.ReportMetric(float64(b.N*benchBatch)/(b.Elapsed()-(veeqoAPI.inVeeqo()-inVeeqo0)).Seconds(), "engine-shipments/s")
	b.ReportMetric(float64(writes.n.Load()-writes0)/float64(b.N*benchBatch), "writes/shipment")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*benchBatch), "cpu-µs/shipment")
}

// writeCounter counts the store's write calls (each one transaction in
// sqlitestore and pgstore): the benchmarks report them per order or
// shipment, a figure the machine's load does not blur.
type writeCounter struct {
	store.Store
	n atomic.Int64
}

func (w *writeCounter) count() { w.n.Add(1) }

func (w *writeCounter) AddAccount(ctx context.Context, a store.Account) (store.Account, error) {
	w.count()
	return w.Store.AddAccount(ctx, a)
}
func (w *writeCounter) UpdateAccount(ctx context.Context, a store.Account) (store.Account, error) {
	w.count()
	return w.Store.UpdateAccount(ctx, a)
}
func (w *writeCounter) SetMode(ctx context.Context, account string, from, to store.Mode) (store.Account, error) {
	w.count()
	return w.Store.SetMode(ctx, account, from, to)
}
func (w *writeCounter) ClaimExport(ctx context.Context, e store.Export) (store.Export, bool, error) {
	w.count()
	return w.Store.ClaimExport(ctx, e)
}
func (w *writeCounter) UpdateExport(ctx context.Context, e store.Export) (store.Export, error) {
	w.count()
	return w.Store.UpdateExport(ctx, e)
}
func (w *writeCounter) CompleteExport(ctx context.Context, e store.Export, r store.RecordUpdate, logs ...store.LogEntry) (store.Export, []store.LogEntry, error) {
	w.count()
	return w.Store.CompleteExport(ctx, e, r, logs...)
}
func (w *writeCounter) RecordShipment(ctx context.Context, s store.AppliedShipment) (store.AppliedShipment, bool, error) {
	w.count()
	return w.Store.RecordShipment(ctx, s)
}
func (w *writeCounter) RecordShipments(ctx context.Context, ss []store.AppliedShipment) ([]store.AppliedShipment, []bool, error) {
	w.count()
	return w.Store.RecordShipments(ctx, ss)
}
func (w *writeCounter) UpdateShipment(ctx context.Context, s store.AppliedShipment) (store.AppliedShipment, error) {
	w.count()
	return w.Store.UpdateShipment(ctx, s)
}
func (w *writeCounter) CompleteShipment(ctx context.Context, s store.AppliedShipment, r *store.RecordUpdate, logs ...store.LogEntry) (store.AppliedShipment, []store.LogEntry, error) {
	w.count()
	return w.Store.CompleteShipment(ctx, s, r, logs...)
}
func (w *writeCounter) CompleteShipments(ctx context.Context, cs []store.ShipmentCompletion) ([]store.ShipmentCompletion, error) {
	w.count()
	return w.Store.CompleteShipments(ctx, cs)
}
func (w *writeCounter) SetCursor(ctx context.Context, c store.Cursor) (store.Cursor, error) {
	w.count()
	return w.Store.SetCursor(ctx, c)
}
func (w *writeCounter) AcquireLease(ctx context.Context, account string, h store.Holder, ttl time.Duration) (store.Lease, error) {
	w.count()
	return w.Store.AcquireLease(ctx, account, h, ttl)
}
func (w *writeCounter) TakeOverLease(ctx context.Context, from store.Lease, h store.Holder, ttl time.Duration) (store.Lease, error) {
	w.count()
	return w.Store.TakeOverLease(ctx, from, h, ttl)
}
func (w *writeCounter) RenewLease(ctx context.Context, l store.Lease, ttl time.Duration) (store.Lease, error) {
	w.count()
	return w.Store.RenewLease(ctx, l, ttl)
}
func (w *writeCounter) ReleaseLease(ctx context.Context, l store.Lease) error {
	w.count()
	return w.Store.ReleaseLease(ctx, l)
}
func (w *writeCounter) UpsertRecord(ctx context.Context, u store.RecordUpdate) (store.Record, error) {
	w.count()
	return w.Store.UpsertRecord(ctx, u)
}
func (w *writeCounter) AppendLogs(ctx context.Context, entries ...store.LogEntry) ([]store.LogEntry, error) {
	w.count()
	return w.Store.AppendLogs(ctx, entries...)
}
func (w *writeCounter) StartRun(ctx context.Context, r store.Run) (store.Run, error) {
	w.count()
	return w.Store.StartRun(ctx, r)
}
func (w *writeCounter) FinishRun(ctx context.Context, r store.Run) (store.Run, error) {
	w.count()
	return w.Store.FinishRun(ctx, r)
}
func (w *writeCounter) PutCustomerID(ctx context.Context, account, email string, id int64) error {
	w.count()
	return w.Store.PutCustomerID(ctx, account, email, id)
}
func (w *writeCounter) SaveNotifyState(ctx context.Context, account, name string, value []byte, version int64) error {
	w.count()
	return w.Store.SaveNotifyState(ctx, account, name, value, version)
}
