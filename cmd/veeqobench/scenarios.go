package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	stdsync "sync"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/time/rate"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/pgstore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// result is one scenario's line.
type result struct {
	scenario      string
	orders        int
	lines         int
	distinctSKUs  int
	calls         int
	throttled     int
	wall          time.Duration
	drain         float64 // summed over the accounts
	heapPeak      float64
	heapLive      float64
	heapScope     string
	baseCalls     int
	baseWall      time.Duration
	extra         []string // further key=value pairs
	skipped, note string
}

func (r result) line() string {
	if r.skipped != "" {
		return fmt.Sprintf("scenario=%s skipped=true note=%q", r.scenario, r.skipped)
	}
	kv := []string{
		"scenario=" + r.scenario,
		fmt.Sprintf("orders=%d", r.orders),
		fmt.Sprintf("lines_per_order=%d", r.lines),
		fmt.Sprintf("distinct_skus=%d", r.distinctSKUs),
		fmt.Sprintf("veeqo_calls=%d", r.calls),
		fmt.Sprintf("calls_per_order=%.3f", float64(r.calls)/float64(max(r.orders, 1))),
		fmt.Sprintf("http_429=%d", r.throttled),
		fmt.Sprintf("wall_s=%.2f", r.wall.Seconds()),
		fmt.Sprintf("ceiling_ratio=%.3f", float64(r.calls)/r.wall.Seconds()/r.drain),
		fmt.Sprintf("heap_peak_mib=%.1f", r.heapPeak),
		fmt.Sprintf("heap_live_peak_mib=%.1f", r.heapLive),
		"heap_scope=" + r.heapScope,
	}
	if r.baseWall > 0 {
		kv = append(kv, fmt.Sprintf("baseline_calls=%d", r.baseCalls), fmt.Sprintf("baseline_wall_s=%.2f", r.baseWall.Seconds()),
			fmt.Sprintf("speedup=%.2f", r.baseWall.Seconds()/r.wall.Seconds()))
	}
	kv = append(kv, r.extra...)
	if r.note != "" {
		kv = append(kv, fmt.Sprintf("note=%q", r.note))
	}
	return strings.Join(kv, " ")
}

// scenario is a group of measurements run together.
type scenario struct {
	name     string
	produces []string
	run      func(ctx context.Context, cfg config) ([]result, error)
}

func (s scenario) covers(name string) bool {
	if name == s.name {
		return true
	}
	for _, p := range s.produces {
		if p == name {
			return true
		}
	}
	return false
}

func scenarios() []scenario {
	return []scenario{
		{name: "export_l1", produces: []string{"export_cold_l1", "export_warm_l1"}, run: func(ctx context.Context, cfg config) ([]result, error) {
			return exportScenario(ctx, cfg, 1)
		}},
		{name: "export_l5", produces: []string{"export_cold_l5", "export_warm_l5"}, run: func(ctx context.Context, cfg config) ([]result, error) {
			return exportScenario(ctx, cfg, 5)
		}},
		{name: "confirm", produces: []string{"confirm_10pct", "confirm_100pct"}, run: confirmScenario},
		{name: "fetch", run: func(ctx context.Context, cfg config) ([]result, error) {
			r, err := fetchScenario(ctx, cfg, "fetch", min(cfg.orders*10, cfg.fetchOrders))
			return []result{r}, err
		}},
		{name: "fetch_100k", run: func(ctx context.Context, cfg config) ([]result, error) {
			r, err := fetchScenario(ctx, cfg, "fetch_100k", cfg.fetchOrders)
			return []result{r}, err
		}},
		{name: "fetch_veeqoctl", run: func(ctx context.Context, cfg config) ([]result, error) {
			r, err := veeqoctlScenario(ctx, cfg, "fetch_veeqoctl", cfg.fetchOrders)
			return []result{r}, err
		}},
		{name: "accounts", run: func(ctx context.Context, cfg config) ([]result, error) {
			r, err := accountsScenario(ctx, cfg, "accounts", cfg.accounts, nil)
			return []result{r}, err
		}},
		{name: "pg_workers", run: pgScenario},
	}
}

func scenarioNames() []string {
	var out []string
	for _, s := range scenarios() {
		out = append(out, s.name)
		out = append(out, s.produces...)
	}
	return out
}

// exportWorld is one account exporting to one fake.
type exportWorld struct {
	clk    *clock
	srv    *veeqotest.Server
	cnt    *counter
	erp    *vsync.MemoryERP
	engine *vsync.Engine
}

func newExportWorld(ctx context.Context, cfg config, clk *clock, st store.Store, account string) (*exportWorld, error) {
	srv, err := newFake(cfg, clk, cfg.skus)
	if err != nil {
		return nil, err
	}
	r, burst := defaultPacing(cfg)
	c, cnt, err := newClient(srv.URL(), srv.APIKey(), r, burst)
	if err != nil {
		srv.Close()
		return nil, err
	}
	w := &exportWorld{clk: clk, srv: srv, cnt: cnt, erp: vsync.NewMemoryERP()}
	w.engine, err = vsync.New(vsync.Config{Account: account, Settings: exportSettings(account), Store: st, ERP: w.erp,
		Veeqo: vsync.ClientAPI(c), Clock: clk.Now})
	if err != nil {
		srv.Close()
		return nil, err
	}
	return w, nil
}

// measure runs f and returns what the fake saw meanwhile.
func measure(srv *veeqotest.Server, f func() error) (calls, throttled int, wall time.Duration, err error) {
	calls0, thr0 := srv.TotalRequests(), throttledIn(srv)
	start := time.Now()
	err = f()
	wall = time.Since(start)
	return srv.TotalRequests() - calls0, throttledIn(srv) - thr0, wall, err
}

// runOnce runs the engine and fails on anything but a clean run.
func runOnce(ctx context.Context, eng *vsync.Engine) (vsync.Report, error) {
	rep, err := eng.Run(ctx, vsync.RunOptions{Trigger: "veeqobench"})
	if err != nil {
		return rep, err
	}
	if rep.Failed > 0 {
		return rep, fmt.Errorf("run %s: %d failed (%s)", rep.RunID, rep.Failed, rep.Summary())
	}
	return rep, nil
}

// exportScenario exports a cold wave (new engine, new customers) and then a
// warm one (the same engine and customers, phaseGap later), and the same
// two waves with the baseline on a fresh fake.
func exportScenario(ctx context.Context, cfg config, lines int) ([]result, error) {
	clk := &clock{}
	st, err := openSQLite(ctx, cfg.dir, fmt.Sprintf("export-l%d", lines), clk)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	w, err := newExportWorld(ctx, cfg, clk, st, "bench")
	if err != nil {
		return nil, err
	}
	defer w.srv.Close()
	created := clk.Now().Add(-time.Hour)
	waves := [][]vsync.ERPOrder{
		wave("A", cfg.orders, lines, cfg.skus, 0, created),
		wave("B", cfg.orders, lines, cfg.skus, 0, created), // returning customers
	}
	distinct := min(cfg.skus, cfg.orders*lines)
	var out []result
	for i, wv := range waves {
		name := fmt.Sprintf("export_cold_l%d", lines)
		if i == 1 {
			name = fmt.Sprintf("export_warm_l%d", lines)
			clk.Advance(phaseGap)
		}
		w.erp.Put(wv...)
		heap := startHeapSampler()
		var rep vsync.Report
		calls, thr, wall, err := measure(w.srv, func() (err error) { rep, err = runOnce(ctx, w.engine); return err })
		peak, live := heap.Stop()
		if err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		if rep.Exported != len(wv) {
			return out, fmt.Errorf("%s: exported %d of %d", name, rep.Exported, len(wv))
		}
		out = append(out, result{scenario: name, orders: len(wv), lines: lines, distinctSKUs: distinct, calls: calls, throttled: thr,
			wall: wall, drain: cfg.drain, heapPeak: peak, heapLive: live, heapScope: "process"})
	}

	return out, baselineExport(ctx, cfg, waves, out)
}

// baselineExport exports the same waves with the baseline on a fresh fake
// at the same limit, filling in each result's baseline figures.
func baselineExport(ctx context.Context, cfg config, waves [][]vsync.ERPOrder, out []result) error {
	bclk := &clock{}
	bsrv, err := newFake(cfg, bclk, cfg.skus)
	if err != nil {
		return err
	}
	defer bsrv.Close()
	bc, _, err := newClient(bsrv.URL(), bsrv.APIKey(), rate.Limit(cfg.drain*4/5), 1)
	if err != nil {
		return err
	}
	for i, wv := range waves {
		if i == 1 {
			bclk.Advance(phaseGap)
		}
		calls, _, wall, err := measure(bsrv, func() error {
			b, err := newBaseline(ctx, bc)
			if err != nil {
				return err
			}
			n, err := b.export(ctx, wv)
			if err == nil && n != len(wv) {
				err = fmt.Errorf("baseline created %d of %d", n, len(wv))
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		out[i].baseCalls, out[i].baseWall = calls, wall
	}
	return nil
}

// confirmScenario exports a wave, ships a share of it, and measures the
// run that imports the confirmations.
func confirmScenario(ctx context.Context, cfg config) ([]result, error) {
	var out []result
	for _, pct := range []int{10, 100} {
		r, err := confirmOne(ctx, cfg, pct)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func confirmOne(ctx context.Context, cfg config, pct int) (result, error) {
	name := fmt.Sprintf("confirm_%dpct", pct)
	clk := &clock{}
	st, err := openSQLite(ctx, cfg.dir, name, clk)
	if err != nil {
		return result{}, err
	}
	defer st.Close()
	w, err := newExportWorld(ctx, cfg, clk, st, "bench")
	if err != nil {
		return result{}, err
	}
	defer w.srv.Close()
	wv := wave("C", cfg.orders, 1, cfg.skus, 0, clk.Now().Add(-time.Hour))
	w.erp.Put(wv...)
	if _, err := runOnce(ctx, w.engine); err != nil {
		return result{}, fmt.Errorf("%s: export: %w", name, err)
	}
	clk.Advance(phaseGap)
	ship := cfg.orders * pct / 100
	ids := map[string]int64{}
	for _, o := range w.srv.Orders() {
		ids[o.Number] = o.ID
	}
	for i := range ship {
		if _, err := w.srv.ShipAll(ids[wv[i].Number], veeqotest.ShipInfo{TrackingNumber: fmt.Sprintf("1Z%08d", i), CarrierID: upsCarrierID, ServiceName: "Standard"}); err != nil {
			return result{}, err
		}
	}
	clk.Advance(phaseGap)
	lists0 := w.srv.Count("GET", "/orders")
	heap := startHeapSampler()
	var rep vsync.Report
	calls, thr, wall, err := measure(w.srv, func() (err error) { rep, err = runOnce(ctx, w.engine); return err })
	peak, live := heap.Stop()
	if err != nil {
		return result{}, fmt.Errorf("%s: %w", name, err)
	}
	if rep.ConfirmationsApplied != ship {
		return result{}, fmt.Errorf("%s: %d confirmations applied, %d shipped", name, rep.ConfirmationsApplied, ship)
	}
	lists := w.srv.Count("GET", "/orders") - lists0
	window, err := pollWindow(w.srv, calls)
	if err != nil {
		return result{}, fmt.Errorf("%s: %w", name, err)
	}
	return result{scenario: name, orders: ship, lines: 1, distinctSKUs: min(cfg.skus, cfg.orders), calls: calls, throttled: thr, wall: wall,
		drain: cfg.drain, heapPeak: peak, heapLive: live, heapScope: "process",
		extra: []string{fmt.Sprintf("shipped=%d", ship), fmt.Sprintf("updated_in_window=%d", window), fmt.Sprintf("list_calls=%d", lists),
			fmt.Sprintf("list_calls_per_100_updated=%.2f", float64(lists)*100/float64(max(window, 1)))}}, nil
}

// pollWindow counts the orders the run's poll (among its last calls
// requests) read: every order updated since its cursor less the
// confirmation overlap, the previous wave's orders as well as the shipped
// ones, counted from the fake's own data.
func pollWindow(srv *veeqotest.Server, calls int) (int, error) {
	window := 0
	reqs := srv.Requests()
	for _, rq := range reqs[len(reqs)-calls:] {
		if rq.Method != http.MethodGet || rq.Path != "/orders" || rq.Query.Get("status") != "" {
			continue
		}
		since, err := time.Parse(time.RFC3339, rq.Query.Get("updated_at_min"))
		if err != nil {
			return 0, fmt.Errorf("poll without updated_at_min: %v", rq.Query)
		}
		for _, o := range srv.Orders() {
			if !o.UpdatedAt.Before(since) && o.Status != veeqo.StatusCancelled {
				window++
			}
		}
		break
	}
	return window, nil
}

// fetchScenario imports the fulfillments of n shipped marketplace orders
// (two lines each) from a fake in a child process, into a SQLite store.
func fetchScenario(ctx context.Context, cfg config, name string, n int) (result, error) {
	const lines = 2
	child, err := startChildFake(ctx, cfg, n, lines)
	if err != nil {
		return result{}, err
	}
	clk := &clock{}
	st, err := openSQLite(ctx, cfg.dir, name, clk)
	if err != nil {
		child.kill()
		return result{}, err
	}
	defer st.Close()
	r, burst := defaultPacing(cfg)
	c, cnt, err := newClient(child.ready.URL, child.ready.Key, r, burst)
	if err != nil {
		child.kill()
		return result{}, err
	}
	erp := &numberedERP{lines: lines, skus: cfg.skus}
	eng, err := vsync.New(vsync.Config{Account: "bench", Settings: fetchSettings("bench"), Store: st, ERP: erp, Veeqo: vsync.ClientAPI(c), Clock: clk.Now})
	if err != nil {
		child.kill()
		return result{}, err
	}
	heap := startHeapSampler()
	start := time.Now()
	rep, err := runOnce(ctx, eng)
	wall := time.Since(start)
	peak, live := heap.Stop()
	if err != nil {
		child.kill()
		return result{}, fmt.Errorf("%s: %w", name, err)
	}
	fr, err := child.report()
	if err != nil {
		return result{}, err
	}
	if got := erp.applied.Load(); got != int64(n) || rep.ConfirmationsApplied != n {
		return result{}, fmt.Errorf("%s: %d shipments applied (report %d) of %d", name, got, rep.ConfirmationsApplied, n)
	}
	return result{scenario: name, orders: n, lines: lines, distinctSKUs: min(cfg.skus, n*lines), calls: fr.Requests, throttled: fr.Throttled,
		wall: wall, drain: cfg.drain, heapPeak: peak, heapLive: live, heapScope: "library",
		extra: []string{fmt.Sprintf("shipments=%d", n), fmt.Sprintf("list_calls=%d", fr.Lists),
			fmt.Sprintf("client_calls=%d", cnt.calls.Load()),
			fmt.Sprintf("veeqo_own_s=%.2f", float64(fr.Requests)/cfg.drain)}}, nil
}

// accountsScenario exports a cold wave on each of k accounts at once, each
// account with its own fake Veeqo (its own key and bucket) and all in one
// store: st, or a fresh SQLite file when st is nil.
func accountsScenario(ctx context.Context, cfg config, name string, k int, st store.Store) (result, error) {
	clk := &clock{}
	if st == nil {
		s, err := openSQLite(ctx, cfg.dir, name, clk)
		if err != nil {
			return result{}, err
		}
		defer s.Close()
		st = s
	}
	worlds := make([]*exportWorld, k)
	for i := range k {
		w, err := newExportWorld(ctx, cfg, clk, st, fmt.Sprintf("acct-%d", i+1))
		if err != nil {
			return result{}, err
		}
		defer w.srv.Close()
		w.erp.Put(wave(fmt.Sprintf("K%d", i+1), cfg.orders, 1, cfg.skus, i*cfg.orders, clk.Now().Add(-time.Hour))...)
		worlds[i] = w
	}
	heap := startHeapSampler()
	start := time.Now()
	errs := make([]error, k)
	var wg stdsync.WaitGroup
	for i, w := range worlds {
		wg.Go(func() {
			rep, err := runOnce(ctx, w.engine)
			if err == nil && rep.Exported != cfg.orders {
				err = fmt.Errorf("exported %d of %d", rep.Exported, cfg.orders)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	wall := time.Since(start)
	peak, live := heap.Stop()
	res := result{scenario: name, orders: k * cfg.orders, lines: 1, distinctSKUs: min(cfg.skus, cfg.orders), wall: wall,
		drain: cfg.drain * float64(k), heapPeak: peak, heapLive: live, heapScope: "process",
		extra: []string{fmt.Sprintf("accounts=%d", k)}}
	for i, w := range worlds {
		if errs[i] != nil {
			return res, fmt.Errorf("%s: account %d: %w", name, i+1, errs[i])
		}
		res.calls += w.srv.TotalRequests()
		res.throttled += throttledIn(w.srv)
	}
	return res, nil
}

// pgScenario is accountsScenario with four accounts, each run by its own
// worker, on one PostgreSQL store (a fresh schema, dropped afterwards).
func pgScenario(ctx context.Context, cfg config) ([]result, error) {
	if cfg.pgDSN == "" {
		return []result{{scenario: "pg_workers", skipped: "VEEQOCONNECT_PG_DSN is not set"}}, nil
	}
	schema := fmt.Sprintf("veeqobench_%d", time.Now().UnixNano())
	st, err := pgstore.Open(ctx, cfg.pgDSN, pgstore.WithSchema(schema))
	if err != nil {
		return nil, err
	}
	defer func() {
		st.Close()
		if conn, err := pgx.Connect(context.WithoutCancel(ctx), cfg.pgDSN); err == nil {
			_, _ = conn.Exec(context.WithoutCancel(ctx), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			_ = conn.Close(context.WithoutCancel(ctx))
		}
	}()
	r, err := accountsScenario(ctx, cfg, "pg_workers", 4, st)
	r.extra = append(r.extra, "store=postgresql")
	return []result{r}, err
}
