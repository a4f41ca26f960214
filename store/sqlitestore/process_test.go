package sqlitestore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
)

// helperEnv carries a helperConfig (JSON) to a child process of
// TestProcessesRace.
const helperEnv = "SQLITESTORE_TEST_HELPER"

// Sizes of the two-process race.
const (
	raceProcs        = 3
	raceRefs         = 200
	raceRefsPerRound = 10 // the children meet at a barrier before each round
	raceLeaseRounds  = 40
	raceSharedRounds = 40
)

type helperConfig struct {
	ID     int    // the child's number; its holder and export Number are "proc-ID"
	DB     string // the database file all children share
	Go     string // the children start racing once this file exists
	Ready  string // the child creates Ready-ID once its store is open
	Dir    string // where the children's barrier files go
	Result string // where the child writes its helperResult
}

type helperClaim struct {
	Ref      string
	Inserted bool
	Number   string // the stored export's Number, as ClaimExport returned it
}

type helperResult struct {
	Claims []helperClaim
	Leases []bool // per round: this child acquired the lease
	// LeaseTokens are the tokens of the rounds this child won (0 elsewhere).
	LeaseTokens []int64
	Shared      []int64 // tokens of the shared lease this child acquired
}

func holderName(id int) string { return fmt.Sprintf("proc-%d", id) }

// TestProcessesRace starts raceProcs OS processes (this test binary running
// TestHelperProcess) on one new database file. They open it at the same
// time (racing to create and migrate it), then race for the same raceRefs
// claims (in rounds, after a barrier), for one lease in raceLeaseRounds
// rounds (all at once after a barrier; the winner releases it after the
// next), and for one shared lease taken and released over and over. Exactly
// one process must win each claim and each round, and no two acquisitions
// of a lease may get one token.
func TestProcessesRace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "shared.db")
	goFile := filepath.Join(dir, "go")
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Second)
	defer cancel()

	type child struct {
		cmd    *exec.Cmd
		out    bytes.Buffer
		result string
	}
	children := make([]*child, raceProcs)
	for i := range children {
		c := &child{result: filepath.Join(dir, fmt.Sprintf("result-%d.json", i))}
		cfg, err := json.Marshal(helperConfig{ID: i, DB: db, Go: goFile, Ready: filepath.Join(dir, "ready"), Dir: dir, Result: c.result})
		require.NoError(t, err)
		c.cmd = exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		c.cmd.Env = append(os.Environ(), helperEnv+"="+string(cfg))
		c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
		require.NoError(t, c.cmd.Start(), "starting child %d", i)
		children[i] = c
	}
	// Release them together once every child has its store open.
	for i := range children {
		waitFile(t, ctx, filepath.Join(dir, fmt.Sprintf("ready-%d", i)))
	}
	require.NoError(t, os.WriteFile(goFile, nil, 0o600))

	results := make([]helperResult, raceProcs)
	for i, c := range children {
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v\n%s", i, err, c.out.String())
		}
		b, err := os.ReadFile(c.result)
		require.NoError(t, err, "child %d wrote no result:\n%s", i, c.out.String())
		require.NoError(t, json.Unmarshal(b, &results[i]))
		require.Len(t, results[i].Claims, raceRefs, "child %d", i)
		require.Len(t, results[i].Leases, raceLeaseRounds, "child %d", i)
	}

	s, err := sqlitestore.Open(ctx, db)
	require.NoError(t, err)
	defer s.Close()

	// Claims: one winner per ref, the stored export is the winner's, and
	// every loser was handed the winner's export.
	for r := range raceRefs {
		winners := 0
		winner := ""
		for i := range results {
			if c := results[i].Claims[r]; c.Inserted {
				winners++
				winner = holderName(i)
			}
		}
		ref := results[0].Claims[r].Ref
		if winners != 1 {
			t.Errorf("claim %s: %d processes inserted it, want exactly 1", ref, winners)
			continue
		}
		for i := range results {
			if got := results[i].Claims[r].Number; got != winner {
				t.Errorf("claim %s: process %d saw the export of %q, want the winner %q", ref, i, got, winner)
			}
		}
		e, err := s.GetExport(ctx, "race", ref)
		require.NoError(t, err)
		if e.Number != winner {
			t.Errorf("claim %s: stored export is %q's, want the winner %q", ref, e.Number, winner)
		}
	}
	list, err := s.ListExports(ctx, store.ExportQuery{Account: "race", Limit: 10 * raceRefs})
	require.NoError(t, err)
	if len(list) != raceRefs {
		t.Errorf("%d exports stored, want %d", len(list), raceRefs)
	}

	// Leases: one holder per round, each round's token above the last.
	var lastToken int64
	for round := range raceLeaseRounds {
		winners := 0
		var token int64
		for i := range results {
			if results[i].Leases[round] {
				winners++
				token = results[i].LeaseTokens[round]
			}
		}
		if winners != 1 {
			t.Errorf("lease round %d: %d processes acquired it, want exactly 1", round, winners)
			continue
		}
		if token <= lastToken {
			t.Errorf("lease round %d: token %d, want above the last round's %d", round, token, lastToken)
		}
		lastToken = token
	}
	// Every winner released it: it is free now.
	if _, err := s.AcquireLease(ctx, "lease", store.Holder{ID: "parent"}, time.Minute); err != nil {
		t.Errorf("AcquireLease after the rounds: %v, want it free", err)
	}

	// The shared lease: every acquisition got its own token.
	seen := map[int64]int{}
	total := 0
	for i := range results {
		for _, tok := range results[i].Shared {
			if prev, dup := seen[tok]; dup {
				t.Errorf("shared lease token %d acquired by process %d and process %d", tok, prev, i)
			}
			seen[tok] = i
			total++
		}
	}
	if total == 0 {
		t.Error("no process ever acquired the shared lease")
	}
	claimWins := make([]int, raceProcs)
	leaseWins := make([]int, raceProcs)
	for i := range results {
		for _, c := range results[i].Claims {
			if c.Inserted {
				claimWins[i]++
			}
		}
		for _, won := range results[i].Leases {
			if won {
				leaseWins[i]++
			}
		}
	}
	t.Logf("%d processes: claims won %v of %d, lease rounds won %v of %d, shared lease acquired %d times",
		raceProcs, claimWins, raceRefs, leaseWins, raceLeaseRounds, total)
}

// TestHelperProcess is the child of TestProcessesRace; run directly, it
// does nothing.
func TestHelperProcess(t *testing.T) {
	raw := os.Getenv(helperEnv)
	if raw == "" {
		t.Skip("only runs as a child process of TestProcessesRace")
	}
	var cfg helperConfig
	require.NoError(t, json.Unmarshal([]byte(raw), &cfg))
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	me := holderName(cfg.ID)

	s, err := sqlitestore.Open(ctx, cfg.DB)
	require.NoError(t, err, "%s: Open", me)
	defer s.Close()
	require.NoError(t, os.WriteFile(fmt.Sprintf("%s-%d", cfg.Ready, cfg.ID), nil, 0o600))
	waitFile(t, ctx, cfg.Go)

	// Claims, in rounds: every child claims the same refs of a round, each
	// in its own shuffled order, after a barrier.
	res := helperResult{Claims: make([]helperClaim, raceRefs)}
	rng := rand.New(rand.NewPCG(uint64(cfg.ID), 1))
	for first := 0; first < raceRefs; first += raceRefsPerRound {
		barrier(t, ctx, cfg, fmt.Sprintf("claims-%d", first))
		for _, r := range rng.Perm(raceRefsPerRound) {
			r += first
			ref := fmt.Sprintf("SO-%04d", r)
			e, inserted, err := s.ClaimExport(ctx, store.Export{Account: "race", ERPRef: ref, Number: me, State: store.ExportClaimed})
			require.NoError(t, err, "%s: ClaimExport %s", me, ref)
			res.Claims[r] = helperClaim{Ref: ref, Inserted: inserted, Number: e.Number}
		}
	}
	// Leases: every round, everyone tries to take the same lease at once;
	// after a second barrier the round's winner releases it.
	for round := range raceLeaseRounds {
		barrier(t, ctx, cfg, fmt.Sprintf("lease-take-%d", round))
		l, err := s.AcquireLease(ctx, "lease", store.Holder{ID: me}, time.Minute)
		if err != nil && !errors.Is(err, store.ErrLeaseHeld) {
			t.Fatalf("%s: AcquireLease round %d: %v", me, round, err)
		}
		res.Leases = append(res.Leases, err == nil)
		res.LeaseTokens = append(res.LeaseTokens, l.Token)
		barrier(t, ctx, cfg, fmt.Sprintf("lease-release-%d", round))
		if err == nil {
			require.NoError(t, s.ReleaseLease(ctx, l), "%s: ReleaseLease round %d", me, round)
		}
	}
	// One shared lease, taken and released in a loop by everyone.
	barrier(t, ctx, cfg, "shared")
	for range raceSharedRounds {
		l, err := s.AcquireLease(ctx, "shared", store.Holder{ID: me}, time.Minute)
		if errors.Is(err, store.ErrLeaseHeld) {
			continue
		}
		require.NoError(t, err, "%s: AcquireLease shared", me)
		res.Shared = append(res.Shared, l.Token)
		time.Sleep(200 * time.Microsecond) // hold it a moment
		require.NoError(t, s.ReleaseLease(ctx, l), "%s: ReleaseLease shared", me)
	}
	b, err := json.Marshal(res)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cfg.Result, b, 0o600))
}

// barrier creates this child's file for name and waits for every child's.
func barrier(t *testing.T, ctx context.Context, cfg helperConfig, name string) {
	t.Helper()
	file := func(id int) string { return filepath.Join(cfg.Dir, fmt.Sprintf("barrier-%s-%d", name, id)) }
	require.NoError(t, os.WriteFile(file(cfg.ID), nil, 0o600))
	for id := range raceProcs {
		waitFile(t, ctx, file(id))
	}
}

// waitFile waits for path to exist.
func waitFile(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", path, ctx.Err())
		case <-time.After(100 * time.Microsecond):
		}
	}
}
