package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// pauseAfterClaim blocks the run right after its export claim landed, as a
// process paused (GC, VM migration, SIGSTOP) between the claim and the POST.
type pauseAfterClaim struct {
	store.Store
	claimed chan struct{}
	resume  chan struct{}
}

func (p pauseAfterClaim) ClaimExport(ctx context.Context, e store.Export) (store.Export, bool, error) {
	out, ins, err := p.Store.ClaimExport(ctx, e)
	close(p.claimed)
	<-p.resume
	return out, ins, err
}

// A run whose lease expired and was taken by another process must not
// create in Veeqo when it wakes up: the other run found the claim in
// doubt, saw no order by number, and created it. Without a fence the
// stale run's POST is a second Veeqo order for the same ERP order
// (invariant 1).
func TestStaleLeaseHolderDoesNotCreateAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.erp.Put(order("SO-1", "MUG-1:1"))
	p := pauseAfterClaim{Store: e.st, claimed: make(chan struct{}), resume: make(chan struct{})}
	stale := e.engine(withStore(p), withHolder("host-a"))
	type result struct {
		rep vsync.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := stale.Run(context.Background(), vsync.RunOptions{Trigger: "test"})
		done <- result{rep, err}
	}()
	<-p.claimed

	// The paused run's lease expires; another process takes the account.
	e.clk.Advance(2 * time.Minute)
	rep, err := e.engine(withHolder("host-b")).Run(context.Background(), vsync.RunOptions{Trigger: "test"})
	require.NoError(t, err)
	require.Equal(t, 1, rep.InDoubt, "the new holder finds the claim in doubt and waits out the settle time")
	require.Zero(t, rep.Exported)

	close(p.resume)
	res := <-done
	assert.Empty(t, e.srv.OrdersByNumber("SO-1"), "the stale run created nothing")
	assert.Zero(t, res.rep.Exported)
	require.Error(t, res.err, "the stale run says it lost its lease")
	assert.ErrorIs(t, res.err, store.ErrLeaseLost)

	e.clk.Advance(vsync.DefaultInDoubtSettle)
	rep, err = e.engine(withHolder("host-b")).Run(context.Background(), vsync.RunOptions{Trigger: "test"})
	require.NoError(t, err)
	require.Equal(t, 1, rep.Exported, "the new holder exports the order once the settle time has passed")
	assert.Len(t, e.srv.OrdersByNumber("SO-1"), 1, "one Veeqo order per ERP order")
	ex, err := e.st.GetExport(context.Background(), testAccount, "SO-1")
	require.NoError(t, err)
	assert.Equal(t, store.ExportExported, ex.State)
	assert.Equal(t, e.veeqoOrder("SO-1").ID, ex.VeeqoOrderID)
}

// RunRefs of a reference another process is exporting right now is
// refused (the lease), and never creates a second order.
func TestRunRefsWhileAnotherProcessRunsIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.erp.Put(order("SO-1", "MUG-1:1"))
	p := pauseAfterClaim{Store: e.st, claimed: make(chan struct{}), resume: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := e.engine(withStore(p), withHolder("host-a")).Run(context.Background(), vsync.RunOptions{Trigger: "test"})
		done <- err
	}()
	<-p.claimed
	_, err := e.engine(withHolder("host-b")).RunRefs(context.Background(), "SO-1")
	assert.ErrorIs(t, err, vsync.ErrRunInProgress)
	close(p.resume)
	require.NoError(t, <-done)
	assert.Len(t, e.srv.OrdersByNumber("SO-1"), 1)
	rep, err := e.engine(withHolder("host-b")).RunRefs(context.Background(), "SO-1")
	require.NoError(t, err)
	assert.Zero(t, rep.Exported, "already exported")
	assert.Len(t, e.srv.OrdersByNumber("SO-1"), 1)
}

// slowAcquire is a store whose lease takes a second to get (a busy
// database, a lock wait): the clock moves while the run waits for it.
type slowAcquire struct {
	store.Store
	clk   *fakeClock
	lease store.Lease
}

func (s *slowAcquire) AcquireLease(ctx context.Context, account string, h store.Holder, ttl time.Duration) (store.Lease, error) {
	s.clk.Advance(time.Second)
	l, err := s.Store.AcquireLease(ctx, account, h, ttl)
	s.lease = l
	return l, err
}

// A run's history says it started once it held the account's lease: the
// run history of an account then never shows two runs overlapping, since
// a run finishes before it releases the lease and the next starts after
// taking it.
func TestRunStartsWhenItHoldsTheLease(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.erp.Put(order("SO-1", "MUG-1:1"))
	s := &slowAcquire{Store: e.st, clk: e.clk}
	rep := e.run(e.engine(withStore(s)))
	require.False(t, s.lease.AcquiredAt.IsZero())
	assert.False(t, rep.Started.Before(s.lease.AcquiredAt), "report started %s, lease acquired %s", rep.Started, s.lease.AcquiredAt)
	runs, err := e.st.QueryRuns(context.Background(), store.RunQuery{Account: testAccount})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.False(t, runs[0].StartedAt.Before(s.lease.AcquiredAt), "run started %s, lease acquired %s", runs[0].StartedAt, s.lease.AcquiredAt)
}
