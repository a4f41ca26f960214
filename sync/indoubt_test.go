package sync_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// loseAnswers makes Veeqo commit a share of the creates and then drop the
// connection (the answer is lost; the order exists), chosen by a seeded
// random source.
type loseAnswers struct {
	vsync.VeeqoAPI
	srv  *veeqotest.Server
	rng  *rand.Rand
	p    float64
	lost *int
}

func (l loseAnswers) CreateOrder(ctx context.Context, in *veeqo.OrderInput) (*veeqo.Order, error) {
	if l.rng.Float64() < l.p {
		*l.lost++
		l.srv.CommitThenFail(1, veeqotest.Match("POST", "/orders"))
	}
	return l.VeeqoAPI.CreateOrder(ctx, in)
}

// settleCalls counts the order listings by creation time (the lookups of
// creates in doubt) the fake has answered.
func settleCalls(srv *veeqotest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == "GET" && r.Path == "/orders" && r.Query.Get("created_at_min") != "" {
			n++
		}
	}
	return n
}

// With a tenth of the create answers lost and Veeqo's search current,
// 2 seconds or 5 minutes behind, on memstore and SQLite: no Veeqo order is
// created twice, every lost answer is settled from the order list in the
// same run (the order is linked, not created again), and a whole wave of
// doubts costs a few list calls, not one per order.
func TestLostCreateAnswersCreateNoTwinsWhateverTheSearchLag(t *testing.T) {
	t.Parallel()
	const orders = 200
	for _, k := range []storeKind{memStore, sqliteStore} {
		for _, lag := range searchLags {
			t.Run(fmt.Sprintf("%s/lag %v", k, lag), func(t *testing.T) {
				t.Parallel()
				seed := uint64(time.Now().UnixNano())
				t.Logf("seed %d", seed)
				e := newEnv(t, veeqotest.WithSearchLag(lag)).onStore(t, k)
				for i := range orders {
					e.erp.Put(order(fmt.Sprintf("SO-%04d", i), "MUG-1:1"))
				}
				lost := 0
				api := loseAnswers{VeeqoAPI: vsync.ClientAPI(e.client), srv: e.srv, rng: rand.New(rand.NewPCG(seed, 1)), p: 0.1, lost: &lost}
				rep := e.run(e.engine(withAPI(api)))
				e.srv.ClearFaults()
				require.Positive(t, lost, "seed %d: some answers were lost", seed)

				twins := 0
				for i := range orders {
					n := len(e.srv.OrdersByNumber(fmt.Sprintf("SO-%04d", i)))
					require.LessOrEqual(t, n, 1, "seed %d: SO-%04d created twice", seed, i)
					twins += max(n-1, 0)
				}
				assert.Equal(t, orders, rep.Exported, "seed %d: %+v", seed, rep)
				assert.Equal(t, lost, rep.Reconciled, "seed %d: every lost answer linked by number in the same run", seed)
				assert.Zero(t, rep.Failed)
				assert.Equal(t, orders, e.srv.Count("POST", "/orders"), "one create per order")
				lookups := settleCalls(e.srv)
				assert.LessOrEqual(t, lookups, 2*(orders/100+1), "one walk of the order list (default and cancelled) for the run's doubts")
				t.Logf("orders %d, answers lost %d, search lag %v: twins created %d, reconciled %d, settle list calls %d",
					orders, lost, lag, twins, rep.Reconciled, lookups)

				// Every export is linked to its one Veeqo order.
				for i := range orders {
					ref := fmt.Sprintf("SO-%04d", i)
					ex, err := e.st.GetExport(context.Background(), testAccount, ref)
					require.NoError(t, err)
					assert.Equal(t, store.ExportExported, ex.State, ref)
					assert.Equal(t, e.veeqoOrder(ref).ID, ex.VeeqoOrderID, ref)
				}
			})
		}
	}
}

// A create refused before it reached Veeqo (the connection dropped before
// the request was read) leaves the order in doubt: it is looked for on
// every run, never created again inside the settle time, and created once
// after it. The settle time is the engine's Config.InDoubtSettle.
func TestInDoubtCreateWaitsOutTheSettleTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t, veeqotest.WithSearchLag(5*time.Minute))
	e.erp.Put(order("SO-1", "MUG-1:1"))
	e.srv.FailNext(1, veeqotest.Fault{Match: veeqotest.Match("POST", "/orders"), Drop: true})
	settle := 30 * time.Minute
	eng := e.engine(withCfg(func(c *vsync.Config) { c.InDoubtSettle = settle }))
	rep := e.run(eng)
	assert.Equal(t, 1, rep.InDoubt)
	assert.Equal(t, 1, rep.Failed)
	first := e.record(vsync.ProcessExport, "SO-1")
	assert.Equal(t, store.RecordError, first.Status)
	assert.Contains(t, first.Message, "created again after 2026-11-02T15:30:00Z if still absent")

	logsBefore := e.logCount("SO-1")
	for range 3 {
		e.clk.Advance(settle / 4)
		rep = e.run(eng)
		assert.Equal(t, 1, rep.InDoubt)
		assert.Empty(t, e.srv.OrdersByNumber("SO-1"), "not created again inside the settle time")
	}
	assert.Equal(t, logsBefore, e.logCount("SO-1"), "waiting is logged (and notified) once, not on every run")

	e.clk.Advance(settle / 4)
	rep = e.run(eng)
	assert.Equal(t, 1, rep.Exported)
	assert.Zero(t, rep.InDoubt)
	assert.Len(t, e.srv.OrdersByNumber("SO-1"), 1)
	assert.Equal(t, 2, e.srv.Count("POST", "/orders"))
}

// New refuses negative in-doubt durations, naming them.
func TestConfigRejectsNegativeInDoubtDurations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := vsync.New(e.config(withCfg(func(c *vsync.Config) { c.InDoubtSettle, c.InDoubtMargin = -1, -1 })))
	require.ErrorIs(t, err, vsync.ErrConfig)
	assert.ErrorContains(t, err, "InDoubtSettle must not be negative")
	assert.ErrorContains(t, err, "InDoubtMargin must not be negative")
}
