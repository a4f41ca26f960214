package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// TestSIGKILLThenRerunAtOnce: `veeqoctl sync` killed with SIGKILL while it
// holds the account's lease (an hour-long one here) and run again at once on
// the same machine proceeds: the rerun sees that the holder's process is
// gone and takes the lease over. A run started while another is alive is
// refused, naming the live holder.
func TestSIGKILLThenRerunAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), map[string]any{"lease_ttl": "1h", "in_doubt_settle": "1s"})
	const n = 6
	var orders []map[string]any
	for i := range n {
		orders = append(orders, order(fmt.Sprintf("SO-%02d", i), "MUG-1:1"))
	}
	w.writeOrders(orders...)
	w.srv.SetLatencyFor(veeqotest.Match("POST", "/orders"), 300*time.Millisecond)

	// A live run holds the lease: a second run is refused and says who
	// holds it.
	live := w.cmd("sync", "--quiet")
	require.NoError(t, live.Start())
	require.True(t, waitUntil(30*time.Second, func() bool { return w.srv.Count("POST", "/orders") >= 1 }), "the first run never created an order")
	r := w.run("sync", "--json", "--quiet")
	require.NotEqual(t, 0, r.code, "a second run beside a live one: stdout %s", r.stdout)
	require.Contains(t, r.stderr, "already in progress")
	require.Contains(t, r.stderr, "pid "+strconv.Itoa(live.Process.Pid), "the refusal names the live holder")

	// Killed while it holds the lease; the rerun starts at once.
	require.NoError(t, live.Process.Signal(syscall.SIGKILL))
	require.Error(t, live.Wait())
	require.Less(t, len(w.srv.Orders()), n, "the kill landed before the export finished")
	w.srv.ClearFaults()
	start := time.Now()
	r = w.run("sync", "--json", "--quiet")
	var rep reportJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), "the rerun after SIGKILL: stdout %s stderr %s", r.stdout, r.stderr)
	// The create in flight at the kill is in doubt: it is settled later
	// (in_doubt_settle), so the rerun may be partial; it ran, though.
	require.Contains(t, []int{exitOK, exitPartial}, r.code, "the rerun after SIGKILL: stderr %s", r.stderr)
	require.Contains(t, []string{"succeeded", "partial"}, rep.Status)
	t.Logf("rerun right after SIGKILL: %s, %d exported, finished in %v", rep.Status, rep.Exported, time.Since(start))
	require.False(t, strings.Contains(r.stderr, "already in progress"))
	// Once the create in doubt is settled (1 s here), every order is in
	// Veeqo exactly once.
	time.Sleep(1100 * time.Millisecond)
	r = w.run("sync", "--json", "--quiet")
	require.Equal(t, exitOK, r.code, "the run after the settle time: stdout %s stderr %s", r.stdout, r.stderr)
	for i := range n {
		num := fmt.Sprintf("SO-%02d", i)
		require.Len(t, w.srv.OrdersByNumber(num), 1, "exactly one Veeqo order numbered %s", num)
	}
}

// TestServeTakesOverTheSlotOfAKilledWorker: two `veeqoctl serve` processes
// share a state; one runs the day's slot and the other is refused. The one
// running is killed with SIGKILL: the other runs the slot at once, on the
// real clock (the killed run never finished, so it does not count as the
// slot's run, and a refusal is retried on the next tick, not on the next
// slot).
func TestServeTakesOverTheSlotOfAKilledWorker(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := exportSettings()
	s["auto_sync"], s["start_date"], s["time_zone"], s["hour"] = true, time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02"), "UTC", 0
	w.writeConfig(s, map[string]any{"lease_ttl": "1h", "in_doubt_settle": "1ms"})
	const n = 8
	var orders []map[string]any
	for i := range n {
		o := order(fmt.Sprintf("SO-%02d", i), "MUG-1:1")
		o["created_at"] = time.Now().UTC().Format(time.RFC3339)
		orders = append(orders, o)
	}
	w.writeOrders(orders...)
	w.srv.SetLatencyFor(veeqotest.Match("POST", "/orders"), 300*time.Millisecond)

	var procs []*exec.Cmd
	var logs []*lockedBuffer
	for range 2 {
		c := w.cmd("--verbose", "serve", "--tick", "50ms") // --verbose: the engine says when it takes a lease over
		lb := &lockedBuffer{}
		c.Stderr = lb
		require.NoError(t, c.Start())
		procs, logs = append(procs, c), append(logs, lb)
	}
	defer func() {
		for _, c := range procs {
			if c.ProcessState == nil {
				_ = c.Process.Kill()
				_ = c.Wait()
			}
		}
	}()
	// Both tried the slot: one runs it, the other was refused.
	refused := func() bool {
		return strings.Contains(logs[0].String()+logs[1].String(), "another process is running this account") && w.srv.Count("POST", "/orders") >= 1
	}
	require.True(t, waitUntil(30*time.Second, refused), "no worker refused: %s\n%s", logs[0].String(), logs[1].String())
	victim, other := 0, 1
	if strings.Contains(logs[0].String(), "another process is running this account") {
		victim, other = 1, 0
	}
	require.NoError(t, procs[victim].Process.Signal(syscall.SIGKILL))
	require.Error(t, procs[victim].Wait())
	require.Less(t, len(w.srv.Orders()), n, "the kill landed before the slot's run finished")

	w.srv.ClearFaults()
	ran := func() bool { return strings.Contains(logs[other].String(), "run finished") }
	require.True(t, waitUntil(30*time.Second, ran), "the other worker never ran the slot: %s", logs[other].String())
	require.NoError(t, procs[other].Process.Signal(syscall.SIGTERM))
	require.NoError(t, procs[other].Wait(), logs[other].String())
	require.Contains(t, logs[other].String(), "took over the lease of a process that is gone")
	for i := range n {
		num := fmt.Sprintf("SO-%02d", i)
		require.Len(t, w.srv.OrdersByNumber(num), 1, "exactly one Veeqo order numbered %s", num)
	}
}
