package pgstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/pgstore"
)

// childSchemaEnv, when set, makes the test binary a racer process of
// TestTwoProcesses instead of running the tests.
const (
	childSchemaEnv = "PGSTORE_TEST_CHILD_SCHEMA"
	childIDEnv     = "PGSTORE_TEST_CHILD_ID"
)

// Rounds and goroutines per process of TestTwoProcesses.
const (
	processRounds     = 10
	processGoroutines = 6
)

func TestMain(m *testing.M) {
	if schema := os.Getenv(childSchemaEnv); schema != "" {
		os.Exit(runChild(schema, os.Getenv(childIDEnv)))
	}
	os.Exit(m.Run())
}

// runChild opens the store, says "ready", waits for "go" on stdin, then
// races for each round's claim, shipment and lease from several goroutines
// and prints one line per win: "claim <round>", "shipment <round>",
// "lease <round>".
func runChild(schema, id string) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := pgstore.Open(ctx, os.Getenv(dsnEnv), pgstore.WithSchema(schema))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		return 2
	}
	defer s.Close()
	fmt.Println("ready")
	if line, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil || strings.TrimSpace(line) != "go" {
		fmt.Fprintln(os.Stderr, "child: no go:", line, err)
		return 2
	}
	var mu sync.Mutex
	var failed error
	win := func(what string, round int) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf("%s %d\n", what, round)
	}
	var wg sync.WaitGroup
	for g := range processGoroutines {
		wg.Go(func() {
			for round := range processRounds {
				ref := fmt.Sprintf("SO-%d", round)
				_, inserted, err := s.ClaimExport(ctx, store.Export{Account: "acct", ERPRef: ref, Number: id})
				if err == nil && inserted {
					win("claim", round)
				}
				if err == nil {
					_, inserted, err = s.RecordShipment(ctx, store.AppliedShipment{Account: "acct", ShipmentID: int64(round + 1)})
					if err == nil && inserted {
						win("shipment", round)
					}
				}
				if err == nil {
					_, err = s.AcquireLease(ctx, ref, store.Holder{ID: fmt.Sprintf("proc-%s-g%d", id, g)}, time.Minute)
					if err == nil {
						win("lease", round)
					} else if errors.Is(err, store.ErrLeaseHeld) {
						err = nil
					}
				}
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if failed != nil {
		fmt.Fprintln(os.Stderr, "child:", failed)
		return 1
	}
	return 0
}

// TestTwoProcesses starts two OS processes on one schema and releases them
// together: for every round exactly one goroutine of the two processes
// wins the claim, the shipment and the lease.
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
	testDSN(t)
	schema := newSchema(t)
	// Migrate first, so the children race for rows, not for the schema.
	_ = newStoreIn(t, schema)

	type child struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Scanner
		lines []string
		err   error
	}
	children := make([]*child, 2)
	for i := range children {
		cmd := exec.CommandContext(t.Context(), os.Args[0])
		cmd.Env = append(os.Environ(), childSchemaEnv+"="+schema, fmt.Sprintf("%s=%d", childIDEnv, i))
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		require.NoError(t, err)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		c := &child{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
		children[i] = c
		require.True(t, c.out.Scan(), "child %d did not start: %v", i, c.out.Err())
		require.Equal(t, "ready", c.out.Text())
	}
	for _, c := range children {
		_, err := io.WriteString(c.stdin, "go\n")
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	for _, c := range children {
		wg.Go(func() {
			for c.out.Scan() {
				c.lines = append(c.lines, c.out.Text())
			}
			c.err = c.cmd.Wait()
		})
	}
	wg.Wait()
	wins := map[string]int{}
	for i, c := range children {
		require.NoError(t, c.err, "child %d", i)
		for _, l := range c.lines {
			wins[l]++
		}
	}
	for round := range processRounds {
		for _, what := range []string{"claim", "shipment", "lease"} {
			require.Equal(t, 1, wins[fmt.Sprintf("%s %d", what, round)], "%s winners in round %d over both processes", what, round)
		}
	}
}

// newStoreIn returns a store on an existing schema, closed when the test
// ends (the schema's cleanup is the caller's).
func newStoreIn(tb testing.TB, schema string) *pgstore.Store {
	tb.Helper()
	s, err := pgstore.New(context.Background(), newPool(tb, 2), pgstore.WithSchema(schema))
	require.NoError(tb, err)
	return s
}
