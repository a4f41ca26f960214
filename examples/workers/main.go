// Command workers shows several workers sharing one PostgreSQL state
// (store/pgstore): first with the library's own account leases alone, then
// with the engine run as periodic, per-account unique jobs on River
// (github.com/riverqueue/river with its pgx v5 driver). Veeqo is faked
// (veeqotest, on loopback); PostgreSQL is real.
//
//	VEEQOCONNECT_PG_DSN=postgres://postgres@127.0.0.1:5432/test?sslmode=disable go run ./examples/workers
//
// The three workers are three River clients and three pgstore pools in one
// process, standing in for three machines; each has its own lease holder
// name. The program works in schemas of its own, with a random suffix, and
// drops them at the end. Without VEEQOCONNECT_PG_DSN, or with a database
// that does not answer, it stops at once with a message saying so.
//
// # Leases or a job engine: when to use which
//
// The account lease is not optional: every Engine.Run takes it in the
// store (store.LeaseStore), so one account never runs twice at once,
// whoever calls Run, and a crashed worker's lease expires after
// Config.LeaseTTL. That alone is enough to run several workers: each ticks
// on Schedule.Due (as veeqoctl serve does), the first to take an account's
// lease runs it and the others get vsync.ErrRunInProgress and skip. Use it
// when the host has no job engine, or a few accounts: nothing else to
// deploy, and the store is the only coordination.
//
// Once a host runs a job engine, and especially with many accounts, let it
// schedule: River's leader inserts each account's periodic job once per
// slot for the whole cluster, unique per account (one pending or running
// sync per account, however many machines or cron entries ask), spreads
// the accounts over the workers, retries with backoff and shows every run
// in its job table. The leases stay underneath as the guarantee: River is
// at-least-once (a job whose worker died is rescued and run again), and a
// rescued job that finds the previous run still holding the lease snoozes
// instead of running twice.
//
// Three things to get right with River: leave JobStateCompleted out of
// UniqueOpts.ByState (the default keeps it, which would block the account's
// next periodic job until the completed one is cleaned); give the worker a
// Timeout above the longest run (River's default job timeout is a minute);
// and pass the settings' schedule itself as the periodic schedule, since
// *vsync.Schedule has River's Next method (this demo uses a one-second
// interval instead, to finish in seconds: -interval 0 uses the schedule).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	stdsync "sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/xoroerp/veeqoconnect/store/pgstore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// DSNEnv names the environment variable holding the PostgreSQL DSN.
const DSNEnv = "VEEQOCONNECT_PG_DSN"

func main() {
	interval := flag.Duration("interval", time.Second, "the periodic jobs' interval; 0 uses each account's settings schedule")
	flag.Parse()
	if _, err := run(context.Background(), os.Stdout, os.Getenv(DSNEnv), *interval); err != nil {
		fmt.Fprintln(os.Stderr, "workers:", err)
		os.Exit(1)
	}
}

// The settings' schedule is a River periodic schedule as it is.
var _ river.PeriodicSchedule = (*vsync.Schedule)(nil)

// syncArgs is the job that runs one account's engine once.
type syncArgs struct {
	Account string `json:"account"`
}

// Kind implements river.JobArgs.
func (syncArgs) Kind() string { return "veeqo_sync" }

// InsertOpts makes the job unique per account among the jobs not yet
// finished: completed jobs are left out of ByState, so the next slot's job
// can be inserted.
func (syncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{
		ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
			rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled},
	}}
}

// syncWorker runs the engine of the job's account on one worker.
type syncWorker struct {
	river.WorkerDefaults[syncArgs]
	w   *worker
	log *journal
}

// Timeout is above the longest run (River's default is one minute).
func (syncWorker) Timeout(*river.Job[syncArgs]) time.Duration { return 30 * time.Minute }

// Work implements river.Worker.
func (sw *syncWorker) Work(ctx context.Context, job *river.Job[syncArgs]) error {
	eng, ok := sw.w.engines[job.Args.Account]
	if !ok {
		return river.JobCancel(fmt.Errorf("no account %q on this worker", job.Args.Account))
	}
	rep, err := eng.Run(ctx, vsync.RunOptions{Trigger: "river"})
	if errors.Is(err, vsync.ErrRunInProgress) {
		// Another run (a rescued duplicate, a manual run) holds the
		// account: try again shortly rather than failing the job.
		sw.log.add(jobRun{worker: sw.w.name, account: job.Args.Account, snoozed: true})
		return river.JobSnooze(time.Second)
	}
	if err != nil {
		return err
	}
	sw.log.add(jobRun{worker: sw.w.name, account: job.Args.Account, exported: rep.Exported, applied: rep.ConfirmationsApplied})
	return nil
}

// jobRun is what one job did.
type jobRun struct {
	worker, account   string
	exported, applied int
	snoozed           bool
}

// journal collects the jobs' runs from every worker.
type journal struct {
	mu   stdsync.Mutex
	runs []jobRun
}

func (j *journal) add(r jobRun) { j.mu.Lock(); j.runs = append(j.runs, r); j.mu.Unlock() }
func (j *journal) all() []jobRun {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.runs)
}

// account is one Veeqo account: its fake Veeqo and its ERP, shared by the
// workers as a host's database would be.
type account struct {
	name     string
	srv      *veeqotest.Server
	erp      *vsync.MemoryERP
	settings vsync.Settings
	orders   int
}

// worker is one machine: its own pool, its store and an engine per
// account, with its own lease holder name.
type worker struct {
	name    string
	pool    *pgxpool.Pool
	engines map[string]*vsync.Engine
}

// Summary is what the program did, for its test.
type Summary struct {
	// LeaseRace: how many of the workers that called Run on one account at
	// once ran it, and how many found the lease held.
	LeaseRan, LeaseHeld int
	// Inserted and Duplicates count the workers' own inserts of the sync
	// jobs: one per account got in, the rest were skipped as duplicates.
	Inserted, Duplicates int
	// Per account: orders in the ERP, orders Veeqo was asked to create,
	// shipments applied to the ERP, and River jobs that ran the engine.
	Orders, Creates, Applied, Jobs map[string]int
	// Workers are the workers that ran at least one job.
	Workers []string
}

// run needs a reachable PostgreSQL at dsn; interval is the periodic jobs'
// interval (0: the settings' schedule).
func run(ctx context.Context, w io.Writer, dsn string, interval time.Duration) (*Summary, error) {
	if err := checkPostgres(ctx, dsn); err != nil {
		return nil, err
	}
	suffix := randomSuffix()
	storeSchema, riverSchema := "veeqo_workers_"+suffix, "river_workers_"+suffix
	defer dropSchemas(dsn, storeSchema, riverSchema)
	sum := &Summary{Orders: map[string]int{}, Creates: map[string]int{}, Applied: map[string]int{}, Jobs: map[string]int{}}

	var accounts []*account
	for i, name := range []string{"east", "west"} {
		a, err := newAccount(name, 8+4*i)
		if err != nil {
			return nil, err
		}
		defer a.srv.Close()
		accounts = append(accounts, a)
		sum.Orders[name] = a.orders
	}

	var workers []*worker
	for i := 1; i <= 3; i++ {
		wk, err := newWorker(ctx, fmt.Sprintf("worker-%d", i), dsn, storeSchema, accounts)
		if err != nil {
			return nil, err
		}
		defer wk.pool.Close()
		workers = append(workers, wk)
	}
	fmt.Fprintf(w, "workers: 3 workers, 2 accounts, one PostgreSQL state (schemas %s, %s)\n", storeSchema, riverSchema)

	// 1. The library's leases alone: three workers run "west" at once.
	if err := leasesAlone(ctx, w, workers, accounts[1], sum); err != nil {
		return nil, err
	}

	// 2. River: periodic, per-account unique jobs.
	clients, jr, err := startRiver(ctx, w, workers, accounts, riverSchema, interval, sum)
	if err != nil {
		return nil, err
	}
	stopAll, err := startClients(ctx, clients)
	if err != nil {
		return nil, err
	}
	err = shipAndWait(ctx, w, accounts)
	stopAll()
	if err != nil {
		return nil, err
	}

	summarize(w, accounts, jr, sum)
	return sum, nil
}

// leasesAlone has three workers call Run on account west at the same
// moment: one runs, the others find the lease held.
func leasesAlone(ctx context.Context, w io.Writer, workers []*worker, west *account, sum *Summary) error {
	fmt.Fprintln(w, "\n1. leases alone: three workers call Run on account west at the same moment")
	west.srv.SetLatency(10 * time.Millisecond) // a run that lasts, as against the real Veeqo
	type result struct {
		worker string
		rep    vsync.Report
		err    error
	}
	results := make(chan result, len(workers))
	start := make(chan struct{})
	for _, wk := range workers {
		go func() {
			<-start
			rep, err := wk.engines["west"].Run(ctx, vsync.RunOptions{Trigger: "tick"})
			results <- result{wk.name, rep, err}
		}()
	}
	close(start)
	var lines []string
	for range workers {
		r := <-results
		switch {
		case errors.Is(r.err, vsync.ErrRunInProgress):
			sum.LeaseHeld++
			lines = append(lines, fmt.Sprintf("   %s: lease held by another worker, skipped", r.worker))
		case r.err != nil:
			return fmt.Errorf("%s: %w", r.worker, r.err)
		default:
			sum.LeaseRan++
			lines = append(lines, fmt.Sprintf("   %s: ran, %s", r.worker, r.rep.Summary()))
		}
	}
	west.srv.SetLatency(0)
	slices.Sort(lines)
	fmt.Fprintln(w, strings.Join(lines, "\n"))
	fmt.Fprintf(w, "   Veeqo (west) was asked to create %d orders for %d ERP orders\n", west.srv.Count("POST", "/orders"), west.orders)
	return nil
}

// startRiver migrates River's tables, starts a client per worker with a
// periodic sync job per account, and has every worker insert every
// account's sync job at once (River keeps one of each).
func startRiver(ctx context.Context, w io.Writer, workers []*worker, accounts []*account, riverSchema string, interval time.Duration, sum *Summary) ([]*river.Client[pgx.Tx], *journal, error) {
	fmt.Fprintf(w, "\n2. River: a periodic sync job per account (%s), unique per account, on three clients\n", describeInterval(interval))
	migrator, err := rivermigrate.New(riverpgxv5.New(workers[0].pool), &rivermigrate.Config{Schema: riverSchema, Logger: quietLogger()})
	if err != nil {
		return nil, nil, err
	}
	if _, err := workers[0].pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{riverSchema}.Sanitize()); err != nil {
		return nil, nil, fmt.Errorf("create schema %s: %w", riverSchema, err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, nil, fmt.Errorf("migrating River's tables: %w", err)
	}
	jr := &journal{}
	var clients []*river.Client[pgx.Tx]
	for _, wk := range workers {
		c, err := newRiverClient(wk, accounts, riverSchema, interval, jr)
		if err != nil {
			return nil, nil, err
		}
		clients = append(clients, c)
	}
	// Every worker also asks for every account's sync at once (a cron
	// entry on each machine, a button pressed twice): River keeps one.
	for _, c := range clients {
		for _, a := range accounts {
			res, err := c.Insert(ctx, syncArgs{Account: a.name}, nil)
			if err != nil {
				return nil, nil, err
			}
			if res.UniqueSkippedAsDuplicate {
				sum.Duplicates++
			} else {
				sum.Inserted++
			}
		}
	}
	fmt.Fprintf(w, "   each worker inserted a sync job per account: %d inserted, %d skipped as duplicates\n", sum.Inserted, sum.Duplicates)
	return clients, jr, nil
}

// startClients starts the River clients; stop stops them (each within
// 30s) and ends their context.
func startClients(ctx context.Context, clients []*river.Client[pgx.Tx]) (stop func(), err error) {
	runCtx, cancel := context.WithCancel(ctx)
	for _, c := range clients {
		if err := c.Start(runCtx); err != nil {
			cancel()
			return nil, err
		}
	}
	return func() {
		for _, c := range clients {
			sctx, cancelStop := context.WithTimeout(context.Background(), 30*time.Second)
			_ = c.Stop(sctx)
			cancelStop()
		}
		cancel()
	}, nil
}

// shipAndWait waits for both accounts' orders in Veeqo, has the
// warehouses ship them, and waits for the confirmations in the ERPs.
func shipAndWait(ctx context.Context, w io.Writer, accounts []*account) error {
	if err := waitFor(ctx, 60*time.Second, "every order exported", func() bool {
		for _, a := range accounts {
			if len(a.srv.Orders()) < a.orders {
				return false
			}
		}
		return true
	}); err != nil {
		return err
	}
	for _, a := range accounts {
		for _, o := range a.srv.Orders() {
			if _, err := a.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: fmt.Sprintf("1Z%d", o.ID), CarrierName: "UPS", ServiceName: "Standard"}); err != nil {
				return err
			}
		}
	}
	fmt.Fprintln(w, "   warehouses: every order shipped")
	if err := waitFor(ctx, 60*time.Second, "every shipment applied to the ERP", func() bool {
		for _, a := range accounts {
			if len(a.erp.Applied()) < a.orders {
				return false
			}
		}
		return true
	}); err != nil {
		return err
	}
	return nil
}

// summarize counts the jobs that ran the engine, by account and worker,
// and prints each account's figures.
func summarize(w io.Writer, accounts []*account, jr *journal, sum *Summary) {
	byWorker := map[string]bool{}
	for _, r := range jr.all() {
		if r.snoozed {
			continue
		}
		sum.Jobs[r.account]++
		byWorker[r.worker] = true
	}
	for name := range byWorker {
		sum.Workers = append(sum.Workers, name)
	}
	slices.Sort(sum.Workers)
	for _, a := range accounts {
		sum.Creates[a.name] = a.srv.Count("POST", "/orders")
		sum.Applied[a.name] = len(a.erp.Applied())
		fmt.Fprintf(w, "   %s: %d orders, %d creates in Veeqo, %d shipments applied to the ERP, %d River jobs ran the engine\n",
			a.name, a.orders, sum.Creates[a.name], sum.Applied[a.name], sum.Jobs[a.name])
	}
	fmt.Fprintf(w, "   jobs ran on: %s\n", strings.Join(sum.Workers, ", "))
}

// checkPostgres fails with a clear message when dsn is missing, malformed
// or names a database that does not answer.
func checkPostgres(ctx context.Context, dsn string) error {
	if strings.TrimSpace(dsn) == "" {
		return fmt.Errorf("%s is not set: this example needs PostgreSQL; set it to a database's DSN, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", DSNEnv)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("%s is not a valid PostgreSQL DSN: %w", DSNEnv, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("PostgreSQL is unreachable at %s:%d (database %q, from %s): %w", cfg.Host, cfg.Port, cfg.Database, DSNEnv, err)
	}
	return conn.Close(ctx)
}

// newAccount starts the account's fake Veeqo and fills its ERP with n
// waved orders.
func newAccount(name string, n int) (*account, error) {
	srv, err := veeqotest.Start()
	if err != nil {
		return nil, err
	}
	srv.Seed(veeqotest.DemoCatalog())
	a := &account{name: name, srv: srv, erp: vsync.NewMemoryERP(), orders: n}
	placed := time.Now().UTC().Add(-time.Hour)
	for i := 1; i <= n; i++ {
		ref := fmt.Sprintf("%s-%04d", strings.ToUpper(name), i)
		a.erp.Put(vsync.ERPOrder{Ref: ref, Number: ref, Wave: "W-1", Store: "Web", ShipService: "Ground", CreatedAt: placed,
			Customer: vsync.Customer{Email: fmt.Sprintf("buyer%d@%s.example", i, name), Name: "Kim Buyer"},
			ShipTo:   vsync.Address{FirstName: "Kim", LastName: "Buyer", Address1: "3 Bay St", City: "Miami", State: "FL", Zip: "33101", Country: "US"},
			Lines:    []vsync.ERPLine{{Ref: "1", SKU: []string{"MUG-1", "TEE-1", "CAP-1"}[i%3], Quantity: 1, Allocated: 1, UnitPrice: decimal.NewFromInt(10)}}})
	}
	a.settings, err = vsync.ParseSettings([]byte(`{
		"account": "` + name + `",
		"export_orders": true,
		"store_mapping": [{"erp_store": "Web", "veeqo_channel": "Web Store"}],
		"ship_service_mapping": [{"erp_name": "Ground", "veeqo_name": "Standard"}],
		"carrier_mapping": [{"erp_name": "UPS Ground", "veeqo_name": "UPS"}],
		"time_zone": "America/Chicago",
		"auto_sync": true, "start_date": "2026-01-01", "hour": 6, "repeat_interval": "15m"
	}`))
	if err != nil {
		srv.Close()
		return nil, err
	}
	return a, nil
}

// newWorker opens the worker's pool and store and builds its engines.
func newWorker(ctx context.Context, name, dsn, schema string, accounts []*account) (*worker, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 6
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	st, err := pgstore.New(ctx, pool, pgstore.WithSchema(schema))
	if err != nil {
		pool.Close()
		return nil, err
	}
	wk := &worker{name: name, pool: pool, engines: map[string]*vsync.Engine{}}
	for _, a := range accounts {
		client, err := veeqo.New(a.srv.APIKey(), veeqo.WithBaseURL(a.srv.URL()), veeqo.WithRateLimit(rate.Limit(200), 20))
		if err != nil {
			pool.Close()
			return nil, err
		}
		eng, err := vsync.New(vsync.Config{Account: a.name, Settings: a.settings, Store: st, ERP: a.erp,
			Veeqo: vsync.ClientAPI(client), Holder: name})
		if err != nil {
			pool.Close()
			return nil, err
		}
		wk.engines[a.name] = eng
	}
	return wk, nil
}

// newRiverClient is the worker's River client: the sync worker, and a
// periodic job per account (run by whichever client is River's leader).
func newRiverClient(wk *worker, accounts []*account, schema string, interval time.Duration, jr *journal) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &syncWorker{w: wk, log: jr})
	var periodic []*river.PeriodicJob
	for _, a := range accounts {
		var sch river.PeriodicSchedule = river.PeriodicInterval(interval)
		if interval <= 0 {
			s, err := a.settings.Schedule()
			if err != nil {
				return nil, err
			}
			sch = s
		}
		periodic = append(periodic, river.NewPeriodicJob(sch, func() (river.JobArgs, *river.InsertOpts) {
			return syncArgs{Account: a.name}, nil
		}, &river.PeriodicJobOpts{ID: "veeqo_sync_" + a.name}))
	}
	return river.NewClient(riverpgxv5.New(wk.pool), &river.Config{
		ID:                wk.name,
		Logger:            quietLogger(),
		FetchPollInterval: 200 * time.Millisecond,
		PeriodicJobs:      periodic,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Schema:            schema,
		Workers:           workers,
	})
}

func describeInterval(d time.Duration) string {
	if d <= 0 {
		return "on each account's settings schedule"
	}
	return "every " + d.String()
}

// quietLogger keeps River's warnings and errors, on stderr.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func waitFor(ctx context.Context, limit time.Duration, what string, done func() bool) error {
	deadline := time.Now().Add(limit)
	for !done() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", limit, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

func randomSuffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// dropSchemas removes the example's schemas.
func dropSchemas(dsn string, schemas ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, "workers: dropping the example's schemas:", err)
		return
	}
	defer conn.Close(ctx)
	for _, s := range schemas {
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{s}.Sanitize()+" CASCADE"); err != nil {
			fmt.Fprintln(os.Stderr, "workers: dropping schema", s+":", err)
		}
	}
}
