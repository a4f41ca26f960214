package sync_test

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// goneProcess returns the PID of a process of this host that has exited
// (and been reaped).
func goneProcess(t *testing.T) int {
	t.Helper()
	c := exec.Command(os.Args[0], "-test.run=^$")
	require.NoError(t, c.Run())
	return c.Process.Pid
}

// plantLease leaves a lease on the account as a crashed run would: held for
// an hour by h.
func (e *env) plantLease(h store.Holder) store.Lease {
	e.t.Helper()
	l, err := e.st.AcquireLease(context.Background(), testAccount, h, time.Hour)
	require.NoError(e.t, err)
	return l
}

// TestLeaseOfGoneProcessIsTakenOver: a run that finds the account's lease
// held by a process of its own host that no longer exists takes the lease
// over at once, without waiting for the hour-long lease to expire, and the
// dead holder's lease is fenced off.
func TestLeaseOfGoneProcessIsTakenOver(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("only Linux tells that a process is gone; elsewhere the lease expires")
	}
	e := exportWorld(t)
	host, err := os.Hostname()
	require.NoError(t, err)
	pid := goneProcess(t)
	dead := e.plantLease(store.Holder{ID: "crashed/run-0", Host: host, PID: pid, ProcessStart: time.Now().Add(-time.Minute), RunID: "run-0"})

	rep := e.run(e.engine())
	assert.Equal(t, 3, rep.Exported)
	_, err = e.st.RenewLease(context.Background(), dead, time.Hour)
	require.ErrorIs(t, err, store.ErrLeaseLost, "the crashed holder is fenced off")
	l, err := e.st.GetLease(context.Background(), testAccount)
	require.NoError(t, err)
	assert.Empty(t, l.Holder.ID, "the run released the lease it took over")
	checkExportInvariants(t, e, "after a take-over")
}

// TestLeaseOfLiveOrRemoteHolderIsRespected: a lease held by a live process
// (here: this one, as another engine), by a PID now used by another process
// started earlier, or by a process of another host is not taken over; the
// error names the holder.
func TestLeaseOfLiveOrRemoteHolderIsRespected(t *testing.T) {
	t.Parallel()
	host, err := os.Hostname()
	require.NoError(t, err)
	dead := goneProcess(t)
	for name, h := range map[string]store.Holder{
		"live process":               {ID: "live", Host: host, PID: os.Getpid(), RunID: "run-live"},
		"another host":               {ID: "remote", Host: host + "-elsewhere", PID: dead, RunID: "run-remote"},
		"no identity":                {ID: "bare"},
		"live parent, start unknown": {ID: "parent", Host: host, PID: os.Getppid(), RunID: "run-parent"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := exportWorld(t)
			e.plantLease(h)
			before := e.srv.TotalRequests()
			_, err := e.engine().Run(context.Background(), vsync.RunOptions{})
			require.ErrorIs(t, err, vsync.ErrRunInProgress)
			want := h.ID
			if h.RunID != "" {
				want = h.RunID
			}
			assert.Contains(t, err.Error(), want, "the error names the holder")
			assert.Equal(t, before, e.srv.TotalRequests(), "a refused run calls Veeqo not at all")
		})
	}
}

// countingStore counts lease renewals.
type countingStore struct {
	store.Store
	renewals atomic.Int64
}

func (s *countingStore) RenewLease(ctx context.Context, l store.Lease, ttl time.Duration) (store.Lease, error) {
	s.renewals.Add(1)
	return s.Store.RenewLease(ctx, l, ttl)
}

// TestHeartbeatFollowsClock: while a run lasts, its lease is renewed every
// third of the TTL as the engine's Clock tells time, whatever the wall
// clock does: not before a third has passed on the Clock, and soon after.
func TestHeartbeatFollowsClock(t *testing.T) {
	t.Parallel()
	e := exportWorld(t)
	cs := &countingStore{Store: e.st}
	gate := &gatedAPI{VeeqoAPI: vsync.ClientAPI(e.client), inside: make(chan struct{}), release: make(chan struct{})}
	// The renewer wakes every 10ms of real time; the sleeps below last more
	// than a third of the TTL of real time, so a renewer on a real ticker
	// would renew during them.
	const ttl = 600 * time.Millisecond
	eng := e.engine(withStore(cs), withAPI(gate), withCfg(func(c *vsync.Config) { c.LeaseTTL = ttl }))
	done := make(chan error, 1)
	go func() {
		_, err := eng.Run(context.Background(), vsync.RunOptions{})
		done <- err
	}()
	<-gate.inside // the run holds its lease and is parked in a create
	expires := func() time.Time {
		l, err := e.st.GetLease(context.Background(), testAccount)
		require.NoError(t, err)
		return l.ExpiresAt
	}
	// Real time passes (several of the renewer's wake-ups), the Clock does
	// not: nothing to renew.
	time.Sleep(ttl/3 + 50*time.Millisecond)
	assert.Zero(t, cs.renewals.Load(), "renewed with no time passed on the Clock")
	// Just short of a third of the TTL on the Clock: still nothing.
	e.clk.Advance(ttl/3 - 20*time.Millisecond)
	time.Sleep(ttl/3 + 50*time.Millisecond)
	assert.Zero(t, cs.renewals.Load(), "renewed before a third of the TTL passed on the Clock")
	// Past a third: renewed, to a TTL from the Clock's now.
	e.clk.Advance(40 * time.Millisecond)
	require.Eventually(t, func() bool { return cs.renewals.Load() == 1 }, 5*time.Second, 5*time.Millisecond, "no renewal a third of the TTL after the acquisition")
	require.Eventually(t, func() bool { return expires().Equal(e.clk.Now().Add(ttl)) }, 5*time.Second, 5*time.Millisecond)
	// And again a third later.
	e.clk.Advance(ttl / 3)
	require.Eventually(t, func() bool { return cs.renewals.Load() == 2 }, 5*time.Second, 5*time.Millisecond, "no second renewal")
	close(gate.release)
	require.NoError(t, <-done)
	checkExportInvariants(t, e, "heartbeat")
}

// TestDefaultLeaseTTL: an engine without LeaseTTL leases for 30 seconds.
func TestDefaultLeaseTTL(t *testing.T) {
	t.Parallel()
	e := exportWorld(t)
	gate := &gatedAPI{VeeqoAPI: vsync.ClientAPI(e.client), inside: make(chan struct{}), release: make(chan struct{})}
	eng := e.engine(withAPI(gate), withCfg(func(c *vsync.Config) { c.LeaseTTL = 0 }))
	done := make(chan vsync.Report, 1)
	go func() {
		rep, err := eng.Run(context.Background(), vsync.RunOptions{})
		assert.NoError(t, err)
		done <- rep
	}()
	<-gate.inside
	l, err := e.st.GetLease(context.Background(), testAccount)
	require.NoError(t, err)
	close(gate.release)
	rep := <-done
	assert.Equal(t, 30*time.Second, vsync.DefaultLeaseTTL)
	assert.Equal(t, vsync.DefaultLeaseTTL, l.ExpiresAt.Sub(l.AcquiredAt))
	assert.Equal(t, os.Getpid(), l.Holder.PID)
	assert.NotEmpty(t, l.Holder.Host)
	assert.Equal(t, rep.RunID, l.Holder.RunID)
	assert.Equal(t, "test/"+rep.RunID, l.Holder.ID)
}
