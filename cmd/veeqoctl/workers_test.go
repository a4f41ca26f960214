package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/pgstore"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// TestWorkersShareOnePostgreSQLStore: four `veeqoctl serve` processes
// share one PostgreSQL store and serve the same twenty accounts (each its
// own Veeqo, orders file and shipments file). One worker is killed with
// SIGKILL while it runs accounts; the others take them over at once (same
// host: the holder's process is gone). Every account runs, in one worker
// at a time (no two of its runs overlap in the store's run history), every
// worker runs accounts, and nothing is duplicated: one Veeqo order per ERP
// order, every shipment once in its account's shipments file.
func TestWorkersShareOnePostgreSQLStore(t *testing.T) {
	t.Parallel()
	const (
		accounts = 20
		workers  = 4
		perWave  = 5 // orders per account before and after the kill
	)
	// The accounts of a worker share its pool: 16 connections for the four.
	dsn := pgDSN(t, 4)
	dir := t.TempDir()
	type acct struct {
		name   string
		w      *world
		orders []map[string]any
	}
	var accts []*acct
	var shared []any
	env := []string{"VEEQOCTL_TEST_APPLY_DELAY=5ms", serveEnv}
	for i := range accounts {
		name := pgAccountName(t, dsn, fmt.Sprintf("worker%02d", i))
		w := newWorld(t)
		w.dir = filepath.Join(dir, name)
		require.NoError(t, os.Mkdir(w.dir, 0o700))
		extra := map[string]any{"name": name, "postgres_dsn": dsn, "state": nil, "in_doubt_settle": "1ms", "lease_ttl": "30s"}
		// The account's own config, for the checks at the end.
		w.writeConfig(scheduledSettings(), extra)
		w.srv.SetLatencyFor(veeqotest.Match("POST", "/orders"), 10*time.Millisecond)
		keyVar := fmt.Sprintf("VEEQOCTL_TEST_KEY_%02d", i)
		env = append(env, keyVar+"="+w.key)
		shared = append(shared, map[string]any{
			"name": name, "base_url": w.srv.URL(), "api_key_env": keyVar, "rate_limit": 1000,
			"lease_ttl": "30s", "in_doubt_settle": "1ms", "postgres_dsn": dsn,
			"orders_file": name + "/orders.json", "shipments_file": name + "/shipments.jsonl",
			"settings": scheduledSettings(),
		})
		accts = append(accts, &acct{name: name, w: w})
	}
	b, err := json.MarshalIndent(map[string]any{"accounts": shared}, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "veeqoctl.json"), b, 0o600))
	wave := func() {
		for _, a := range accts {
			for range perWave {
				ref := fmt.Sprintf("%s-SO-%02d", a.name, len(a.orders))
				o := order(ref, "MUG-1:1")
				o["created_at"] = time.Now().UTC().Format(time.RFC3339)
				a.orders = append(a.orders, o)
			}
			a.w.writeOrders(a.orders...)
		}
	}
	exported := func() bool {
		for _, a := range accts {
			if len(a.w.srv.Orders()) < len(a.orders) {
				return false
			}
		}
		return true
	}
	applied := func() bool {
		for _, a := range accts {
			if len(a.w.shipmentLines()) < len(a.orders) {
				return false
			}
		}
		return true
	}
	var logs []*lockedBuffer
	var st *pgstore.Store
	// explain says, when a wait gives up, where each account stands: its
	// orders, what reached Veeqo and the shipments file, its records not
	// in success, and the end of each worker's log.
	explain := func() {
		t.Helper()
		ctx := context.Background()
		for _, a := range accts {
			shipped := 0
			for _, o := range a.w.srv.Orders() {
				if o.Status == veeqo.StatusShipped {
					shipped++
				}
			}
			t.Logf("%s: %d orders, %d in Veeqo (%d shipped), %d shipment lines", a.name, len(a.orders), len(a.w.srv.Orders()), shipped, len(a.w.shipmentLines()))
			if st == nil {
				continue
			}
			page, err := st.QueryRecords(ctx, store.RecordQuery{Account: a.name, Statuses: []store.RecordStatus{store.RecordError, store.RecordPending, store.RecordWarning}, Limit: 20})
			if err != nil {
				t.Logf("%s: records: %v", a.name, err)
				continue
			}
			for _, r := range page.Records {
				t.Logf("%s: record %s/%s %s: %s", a.name, r.Process, r.Reference, r.Status, r.Message)
			}
		}
		for i, l := range logs {
			out := l.String()
			t.Logf("worker %d log, last 3000 bytes:\n%s", i, out[max(0, len(out)-3000):])
		}
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		start := time.Now()
		for !cond() {
			if !time.Now().Before(deadline) {
				explain()
				t.Fatalf("%s: never happened", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("%s after %v", what, time.Since(start).Round(time.Millisecond))
	}

	ctx := context.Background()
	st, err = pgstore.Open(ctx, dsn)
	require.NoError(t, err)
	defer st.Close()

	wave()
	procs := make([]*exec.Cmd, workers)
	logs = make([]*lockedBuffer, workers)
	for i := range procs {
		c := exec.Command(binPath, "serve", "--tick", "200ms")
		c.Dir = dir
		c.Env = append(os.Environ(), env...)
		logs[i] = &lockedBuffer{}
		c.Stderr = logs[i]
		require.NoError(t, c.Start())
		procs[i] = c
	}
	defer func() {
		for _, c := range procs {
			if c.ProcessState == nil {
				_ = c.Process.Kill()
				_ = c.Wait()
			}
		}
	}()

	waitFor("the first wave exported", exported)
	for _, a := range accts {
		a.w.shipAll()
	}
	wave()

	// Kill the worker holding the most leases, while it holds them.
	var victim *exec.Cmd
	var held []string
	var expires map[string]time.Time
	waitFor("a worker holding a lease", func() bool {
		byPID := map[int][]string{}
		expires = map[string]time.Time{}
		for _, a := range accts {
			l, err := st.GetLease(ctx, a.name)
			require.NoError(t, err)
			if l.Holder.ID != "" {
				byPID[l.Holder.PID] = append(byPID[l.Holder.PID], a.name)
				expires[a.name] = l.ExpiresAt
			}
		}
		victim, held = nil, nil
		for _, c := range procs {
			if len(byPID[c.Process.Pid]) > len(held) {
				victim, held = c, byPID[c.Process.Pid]
			}
		}
		return victim != nil
	})
	killed := time.Now()
	require.NoError(t, victim.Process.Signal(syscall.SIGKILL))
	require.Error(t, victim.Wait())
	victimIdx := slices.Index(procs, victim)
	// Taken over at once (same host, the holder's process is gone), not
	// when the dead worker's leases expire.
	waitFor("the dead worker's accounts taken over", func() bool {
		for _, name := range held {
			if !slices.ContainsFunc(allRuns(t, st, name), func(r store.Run) bool { return r.StartedAt.After(killed) }) {
				return false
			}
		}
		return true
	})
	for _, name := range held {
		runs := allRuns(t, st, name)
		i := slices.IndexFunc(runs, func(r store.Run) bool { return r.StartedAt.After(killed) })
		first := runs[i]
		for _, r := range runs {
			if r.StartedAt.After(killed) && r.StartedAt.Before(first.StartedAt) {
				first = r
			}
		}
		require.True(t, first.StartedAt.Before(expires[name]), "%s taken over at %s, only when the dead worker's lease expired (%s)",
			name, first.StartedAt.Format(time.RFC3339Nano), expires[name].Format(time.RFC3339Nano))
	}

	waitFor("the second wave exported", exported)
	for _, a := range accts {
		a.w.shipAll()
	}
	waitFor("every shipment applied", applied)
	// Every account runs again after the kill, those the dead worker held
	// included.
	waitFor("every account run after the kill", func() bool {
		for _, a := range accts {
			runs := allRuns(t, st, a.name)
			if !slices.ContainsFunc(runs, func(r store.Run) bool { return r.StartedAt.After(killed) && !r.FinishedAt.IsZero() }) {
				return false
			}
		}
		return true
	})
	for _, c := range procs {
		if c != victim {
			require.NoError(t, c.Process.Signal(syscall.SIGTERM))
		}
	}
	for i, c := range procs {
		if c != victim {
			require.NoError(t, c.Wait(), "worker %d: %s", i, logs[i].String())
		}
	}

	// The run history: no two runs of one account overlap; a run left
	// unfinished is the dead worker's, started before the kill, and it
	// counts as running until the kill.
	finishedRe := regexp.MustCompile(`msg="run finished[^"]*" account=(\S+)`)
	totalRuns, unfinished, overlaps := 0, 0, 0
	for _, a := range accts {
		runs := allRuns(t, st, a.name)
		slices.SortFunc(runs, func(x, y store.Run) int { return x.StartedAt.Compare(y.StartedAt) })
		finished := 0
		for i, r := range runs {
			end := r.FinishedAt
			if end.IsZero() {
				unfinished++
				require.True(t, r.StartedAt.Before(killed), "%s: run %s unfinished but started after the kill", a.name, r.ID)
				end = killed
			} else {
				finished++
			}
			if i+1 < len(runs) && end.After(runs[i+1].StartedAt) {
				overlaps++
				t.Errorf("%s: run %s (%s to %s) overlaps run %s (from %s)", a.name, r.ID, r.StartedAt.Format(time.RFC3339Nano),
					end.Format(time.RFC3339Nano), runs[i+1].ID, runs[i+1].StartedAt.Format(time.RFC3339Nano))
			}
		}
		require.GreaterOrEqual(t, finished, 2, "%s starved: %d finished runs", a.name, finished)
		totalRuns += len(runs)
		a.w.checkConverged(a.orders, &crashFigures{})
	}
	perWorker := make([]int, workers)
	accountsPerWorker := make([]int, workers)
	for i, l := range logs {
		seen := map[string]bool{}
		for _, m := range finishedRe.FindAllStringSubmatch(l.String(), -1) {
			perWorker[i]++
			seen[m[1]] = true
		}
		accountsPerWorker[i] = len(seen)
	}
	// A worker whose run ends with a tick pending runs the account again
	// at once, so one worker may keep most accounts while it lives; the
	// dead worker's accounts were run by others after the kill.
	ran := 0
	for _, n := range perWorker {
		if n > 0 {
			ran++
		}
	}
	require.GreaterOrEqual(t, ran, 2, "finished runs per worker: %v", perWorker)
	t.Logf("%d workers, %d accounts, %d orders and %d shipments each; worker %d killed holding %d account(s); %d runs (%d left unfinished by the kill); finished runs per worker %v over %v accounts; %d overlaps",
		workers, accounts, len(accts[0].orders), len(accts[0].orders), victimIdx, len(held), totalRuns, unfinished, perWorker, accountsPerWorker, overlaps)
}

// allRuns returns every run of the account in the store.
func allRuns(t *testing.T, st store.Store, account string) []store.Run {
	t.Helper()
	var out []store.Run
	q := store.RunQuery{Account: account, Limit: 500}
	for {
		runs, err := st.QueryRuns(context.Background(), q)
		require.NoError(t, err)
		out = append(out, runs...)
		if len(runs) < q.Limit {
			return out
		}
		q.Before = runs[len(runs)-1].StartedAt
	}
}

// TestServeSharesOnePoolPerDatabase: the accounts of a serve that name one
// PostgreSQL DSN share one store and its connection pool, so a worker
// serving many accounts holds at most the pool's connections, not a pool
// per account.
func TestServeSharesOnePoolPerDatabase(t *testing.T) {
	t.Parallel()
	const accounts = 5
	dsn := pgDSN(t, 2)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	appName := "veeqoctl-pool-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	q.Set("application_name", appName)
	u.RawQuery = q.Encode()
	dir := t.TempDir()
	var accts []any
	var servers []*world
	env := []string{serveEnv}
	for i := range accounts {
		name := pgAccountName(t, dsn, fmt.Sprintf("pool%02d", i))
		w := newWorld(t)
		keyVar := fmt.Sprintf("VEEQOCTL_TEST_KEY_%02d", i)
		env = append(env, keyVar+"="+w.key)
		o := order(name+"-SO-1", "MUG-1:1")
		o["created_at"] = time.Now().UTC().Format(time.RFC3339)
		b, err := json.Marshal([]any{o})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+"-orders.json"), b, 0o600))
		accts = append(accts, map[string]any{
			"name": name, "base_url": w.srv.URL(), "api_key_env": keyVar, "rate_limit": 1000, "postgres_dsn": u.String(),
			"orders_file": name + "-orders.json", "shipments_file": name + "-shipments.jsonl", "settings": scheduledSettings(),
		})
		servers = append(servers, w)
	}
	b, err := json.Marshal(map[string]any{"accounts": accts})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "veeqoctl.json"), b, 0o600))

	c := exec.Command(binPath, "serve", "--tick", "100ms")
	c.Dir, c.Env = dir, append(os.Environ(), env...)
	errb := &lockedBuffer{}
	c.Stderr = errb
	require.NoError(t, c.Start())
	defer func() {
		if c.ProcessState == nil {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("VEEQOCONNECT_PG_DSN")) // a plain connection, without the pool setting
	require.NoError(t, err)
	defer conn.Close(ctx)
	peak := 0
	deadline := time.Now().Add(30 * time.Second)
	for done := false; !done; {
		require.True(t, time.Now().Before(deadline), "not every account exported: %s", errb.String())
		var n int
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", appName).Scan(&n))
		peak = max(peak, n)
		done = true
		for _, w := range servers {
			if len(w.srv.Orders()) == 0 {
				done = false
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, c.Process.Signal(syscall.SIGTERM))
	require.NoError(t, c.Wait(), errb.String())
	t.Logf("%d accounts on one DSN (pool_max_conns=2): at most %d connections seen", accounts, peak)
	require.LessOrEqual(t, peak, 2, "the serve's connections to the database")
	require.Positive(t, peak)
}
