// Command veeqobench measures veeqoconnect against veeqotest, a fake Veeqo
// with Veeqo's leaky bucket on (capacity 100, draining at -drain requests
// per second; Veeqo's own is 5/s, the default here is 50/s so that a full
// run takes minutes: the ratios are what count). It prints one line of
// key=value pairs per scenario:
//
//	go run ./cmd/veeqobench                 # every scenario, full sizes
//	go run ./cmd/veeqobench -smoke          # small sizes, seconds (CI)
//	go run ./cmd/veeqobench -only fetch_100k -fetch-orders 100000
//
// Keys: scenario, orders, lines_per_order, distinct_skus, veeqo_calls,
// calls_per_order, http_429, wall_s, ceiling_ratio (achieved calls/s ÷ the
// drain, summed over the accounts of a multi-account scenario),
// heap_peak_mib and heap_live_peak_mib (runtime/metrics: the peak of heap
// objects, and of the live heap as the GC marked it), heap_scope (library:
// the fake ran in a child process; process: the fake's state is in the same
// heap; not_sampled: the library ran in veeqoctl's own process), and, for
// the export comparisons, baseline_calls, baseline_wall_s
// and speedup (baseline wall time ÷ ours). The baseline is the usual
// connector (a lookup by number, a product search per line, a customer
// search, the create, at 4 requests/s scaled like the drain) on the same
// fake and limit.
//
// Scenarios: export_cold and export_warm with 1 and 5 lines per order;
// confirm_10pct and confirm_100pct (the poll after that share of an
// exported wave shipped); fetch and fetch_100k (marketplace orders'
// fulfillments, the fake in a child process); fetch_veeqoctl (the same
// through `veeqoctl sync`, built from this tree, with its orders file,
// SQLite state and fsynced shipments file; veeqo_own_s is Veeqo's own time
// for the calls at the drain and vs_veeqo the wall time over it); accounts (several accounts
// in one process, one SQLite store); pg_workers (four accounts, one
// PostgreSQL store from VEEQOCONNECT_PG_DSN; skipped with a note when it is
// unset).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
)

// config is the command line.
type config struct {
	drain       float64
	capacity    int
	orders      int
	fetchOrders int
	skus        int
	accounts    int
	only        []string
	smoke       bool
	dir         string
	pgDSN       string

	childFetch int
	childLines int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run parses args and runs the scenarios; it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, cpuProfile, code, ok := parseFlags(args, stderr)
	if !ok {
		return code
	}
	if cfg.childFetch > 0 {
		if err := runChild(cfg, cfg.childFetch, cfg.childLines, stdin, stdout); err != nil {
			fmt.Fprintln(stderr, "veeqobench child:", err)
			return 1
		}
		return 0
	}
	cfg.pgDSN = os.Getenv("VEEQOCONNECT_PG_DSN")
	if cfg.dir == "" {
		dir, err := os.MkdirTemp("", "veeqobench-")
		if err != nil {
			fmt.Fprintln(stderr, "veeqobench:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		cfg.dir = dir
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "veeqobench:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "veeqobench:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Fprintf(stdout, "# veeqobench: drain=%g/s capacity=%d orders=%d fetch_orders=%d skus=%d (Veeqo: 5/s, 100)\n",
		cfg.drain, cfg.capacity, cfg.orders, cfg.fetchOrders, cfg.skus)
	return runScenarios(ctx, cfg, stdout)
}

// parseFlags reads the command line into a config; ok is false, with the
// exit code, for -help or a bad flag (reported on stderr).
func parseFlags(args []string, stderr io.Writer) (cfg config, cpuProfile string, code int, ok bool) {
	fs := flag.NewFlagSet("veeqobench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var only string
	fs.Float64Var(&cfg.drain, "drain", 50, "the fake's bucket drain in requests/s (Veeqo: 5); the client's pace scales with it")
	fs.IntVar(&cfg.capacity, "capacity", 100, "the fake's bucket capacity (Veeqo: 100)")
	fs.IntVar(&cfg.orders, "orders", 300, "orders per export wave")
	fs.IntVar(&cfg.fetchOrders, "fetch-orders", 100000, "orders of the fetch_100k scenario")
	fs.IntVar(&cfg.skus, "skus", 50, "distinct SKUs in the catalogue and the orders")
	fs.IntVar(&cfg.accounts, "accounts", 3, "accounts of the accounts scenario")
	fs.StringVar(&only, "only", "", "comma-separated scenarios to run (default all): "+strings.Join(scenarioNames(), ","))
	fs.BoolVar(&cfg.smoke, "smoke", false, "small sizes for a quick check: 20 orders, 2,000 to fetch, drain 200/s (flags given explicitly win)")
	fs.StringVar(&cfg.dir, "dir", "", "directory for the SQLite stores (default a temporary one, removed)")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the scenarios to this file")
	fs.IntVar(&cfg.childFetch, "child-fetch", 0, "internal: serve a fake with this many shipped orders")
	fs.IntVar(&cfg.childLines, "lines", 1, "internal: lines per order of -child-fetch")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, "", 0, false
		}
		return cfg, "", 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "veeqobench: unexpected argument %q\n", fs.Arg(0))
		return cfg, "", 2, false
	}
	if cfg.smoke {
		// Small sizes, unless given explicitly.
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]string{"orders": "20", "fetch-orders": "2000", "drain": "200"} {
			if !set[name] {
				_ = fs.Set(name, v)
			}
		}
	}
	if problems := cfg.check(only); len(problems) > 0 {
		fmt.Fprintln(stderr, "veeqobench: "+strings.Join(problems, "; "))
		return cfg, "", 2, false
	}
	return cfg, cpuProfile, 0, true
}

// check lists what is wrong with the sizes and the -only list, which it
// sets.
func (cfg *config) check(only string) []string {
	var problems []string
	if !(cfg.drain > 0) {
		problems = append(problems, "-drain must be positive")
	}
	if cfg.capacity < 1 {
		problems = append(problems, "-capacity must be at least 1")
	}
	if cfg.orders < 1 || cfg.fetchOrders < 1 || cfg.skus < 1 || cfg.accounts < 1 {
		problems = append(problems, "-orders, -fetch-orders, -skus and -accounts must be at least 1")
	}
	for _, s := range strings.Split(only, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(scenarioNames(), s) {
			problems = append(problems, fmt.Sprintf("-only: unknown scenario %q (known: %s)", s, strings.Join(scenarioNames(), ", ")))
		}
		cfg.only = append(cfg.only, s)
	}
	return problems
}

// runScenarios runs the scenarios picked, printing each result line; it
// returns the exit code.
func runScenarios(ctx context.Context, cfg config, stdout io.Writer) int {
	failed := false
	for _, sc := range scenarios() {
		if len(cfg.only) > 0 && !slices.ContainsFunc(cfg.only, func(s string) bool { return sc.covers(s) }) {
			continue
		}
		results, err := sc.run(ctx, cfg)
		for _, r := range results {
			fmt.Fprintln(stdout, r.line())
		}
		if err != nil {
			fmt.Fprintf(stdout, "scenario=%s error=%q\n", sc.name, err.Error())
			failed = true
		}
		if ctx.Err() != nil {
			return 1
		}
	}
	if failed {
		return 1
	}
	return 0
}
