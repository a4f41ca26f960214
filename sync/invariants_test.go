package sync_test

import (
	"context"
	"fmt"
	"path/filepath"
	stdsync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// exportWorld seeds the orders every export crash scenario uses: three
// eligible orders (one through the default SKU, two sharing a customer) and
// one that cannot be mapped (its store is not mapped).
func exportWorld(t testing.TB) *env { return exportWorldOn(t, memStore) }

// storeKind names the store a crash scenario runs on.
type storeKind string

const (
	memStore    storeKind = "memstore"
	sqliteStore storeKind = "sqlitestore" // a real file in t.TempDir()
)

// onStore puts the env on a fresh store of kind k (before any engine ran).
func (e *env) onStore(t testing.TB, k storeKind) *env {
	t.Helper()
	if k == sqliteStore {
		st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"), sqlitestore.WithClock(e.clk.Now))
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		e.st = st
	}
	return e
}

func exportWorldOn(t testing.TB, k storeKind) *env {
	e := newEnv(t).onStore(t, k)
	a, b, c := order("SO-1", "MUG-1:2", "TEE-1:1"), order("SO-2", "GIFT:1"), order("SO-3", "CAP-1:1")
	c.Customer.Email = a.Customer.Email
	f := order("SO-9", "MUG-1:1")
	f.Store = "Nowhere"
	e.erp.Put(a, b, c, f)
	return e
}

// crashPlan lists the crash points of a scenario: every step before and
// after its work (memstore), or every step once, alternately before and
// after (sqlitestore: each kind of step is still hit both ways, at half the
// cost of opening a database file per point).
func crashPlan(k storeKind, steps int) []crashPoint {
	var plan []crashPoint
	for step := 1; step <= steps; step++ {
		if k == sqliteStore {
			plan = append(plan, crashPoint{k: step, after: step%2 == 0})
			continue
		}
		plan = append(plan, crashPoint{k: step}, crashPoint{k: step, after: true})
	}
	return plan
}

// crashPoint is where a crasher crashes: step k, before or after its work.
type crashPoint struct {
	k     int
	after bool
}

// checkExportInvariants: at most one Veeqo order per ERP order, every
// eligible order exported exactly once with a true record and link.
func checkExportInvariants(t *testing.T, e *env, label string) {
	t.Helper()
	for _, ref := range []string{"SO-1", "SO-2", "SO-3"} {
		os := e.srv.OrdersByNumber(ref)
		require.Len(t, os, 1, "%s: Veeqo orders numbered %s", label, ref)
		ex, err := e.st.GetExport(context.Background(), testAccount, ref)
		require.NoError(t, err, label)
		assert.Equal(t, store.ExportExported, ex.State, "%s: %s state", label, ref)
		assert.Equal(t, os[0].ID, ex.VeeqoOrderID, "%s: %s link", label, ref)
		rec := e.record(vsync.ProcessExport, ref)
		assert.Contains(t, []store.RecordStatus{store.RecordSuccess, store.RecordWarning}, rec.Status, "%s: %s record: %s", label, ref, rec.Message)
		assert.Equal(t, os[0].ID, rec.VeeqoOrderID, "%s: %s record id", label, ref)
	}
	assert.Empty(t, e.srv.OrdersByNumber("SO-9"), label)
	assert.Equal(t, 3, len(e.srv.Orders()), label)
}

// searchLags are the delays behind Veeqo's database that the crash and
// fault tests give its order search: current, a little behind, minutes
// behind. None may lead to a second Veeqo order.
var searchLags = []time.Duration{0, 2 * time.Second, 5 * time.Minute}

// checkNoTwins: at most one Veeqo order per ERP order at any moment.
func checkNoTwins(t *testing.T, e *env, label string) {
	t.Helper()
	for _, ref := range []string{"SO-1", "SO-2", "SO-3", "SO-9"} {
		require.LessOrEqual(t, len(e.srv.OrdersByNumber(ref)), 1, "%s: Veeqo orders numbered %s", label, ref)
	}
}

// checkLinkedIfCreated: once a run with Veeqo answering has passed, an ERP
// order that Veeqo has is linked to it, whatever the search shows; only an
// order Veeqo does not have may still be in doubt.
func checkLinkedIfCreated(t *testing.T, e *env, label string) {
	t.Helper()
	for _, ref := range []string{"SO-1", "SO-2", "SO-3"} {
		os := e.srv.OrdersByNumber(ref)
		if len(os) == 0 {
			continue
		}
		ex, err := e.st.GetExport(context.Background(), testAccount, ref)
		require.NoError(t, err, label)
		assert.Equal(t, store.ExportExported, ex.State, "%s: %s is in Veeqo as %d but not linked", label, ref, os[0].ID)
	}
}

// TestCrashAtEveryExportStep crashes a run at each of its steps (before and
// after each store write, each create in Veeqo), then runs again at once as
// a new process, with Veeqo's search current or trailing its database by 2
// seconds or 5 minutes: no duplicate at any point; a create the crash left
// in doubt and that Veeqo does not have is made once the settle time has
// passed; nothing lost, records true. It runs on memstore and on the
// embedded default store (sqlitestore, a real file).
func TestCrashAtEveryExportStep(t *testing.T) {
	t.Parallel()
	for _, k := range []storeKind{memStore, sqliteStore} {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			probe := exportWorldOn(t, k)
			c := &crasher{}
			_, err := probe.crashRun(c)
			require.NoError(t, err)
			steps := c.n
			require.Greater(t, steps, 10, "steps: %v", c.steps)
			checkExportInvariants(t, probe, "no crash")

			for _, lag := range searchLags {
				for _, point := range crashPlan(k, steps) {
					label := fmt.Sprintf("lag %v crash %s step %d (%s)", lag, map[bool]string{false: "before", true: "after"}[point.after], point.k, c.steps[point.k-1])
					t.Run(label, func(t *testing.T) {
						t.Parallel()
						e := exportWorldOn(t, k)
						e.srv.SetSearchLag(lag)
						cr := &crasher{k: point.k, after: point.after}
						_, err := e.crashRun(cr)
						require.True(t, cr.dead(), "crashed")
						require.Error(t, err)
						checkNoTwins(t, e, label+", crashed")
						// The crashed process never released its lease: a new one
						// waits for it to expire, and runs at once.
						e.clk.Advance(2 * time.Minute)
						rep, err := e.engine(withHolder("restarted")).Run(context.Background(), vsync.RunOptions{})
						require.NoError(t, err)
						checkNoTwins(t, e, label+", rerun")
						checkLinkedIfCreated(t, e, label+", rerun")
						// A claim the crash left before its create is in doubt
						// until the settle time has passed; then it is created.
						assert.Equal(t, 1, rep.Failed-rep.InDoubt, "only SO-9 (unmapped store) fails for good: %+v", rep.Outcomes)
						e.clk.Advance(vsync.DefaultInDoubtSettle)
						e.run(e.engine(withHolder("settled")))
						checkExportInvariants(t, e, label)
					})
				}
			}
		})
	}
}

// confirmWorld exports SO-1..SO-3 and has the warehouse ship SO-1 in two
// parcels, SO-2 fully and SO-3 partially.
func confirmWorld(t testing.TB, disable bool) (*env, map[string]int64) {
	return confirmWorldOn(t, disable, memStore)
}

func confirmWorldOn(t testing.TB, disable bool, k storeKind) (*env, map[string]int64) {
	e := exportWorldOn(t, k)
	e.settings.DisableMultishipment = disable
	e.run(e.engine())
	ids := map[string]int64{}
	for _, ref := range []string{"SO-1", "SO-2", "SO-3"} {
		ids[ref] = e.veeqoOrder(ref).ID
	}
	e.clk.Advance(time.Minute)
	ship := veeqotest.ShipInfo{TrackingNumber: "1Z", CarrierID: 5, ServiceName: "Standard"}
	_, err := e.srv.ShipPartial(ids["SO-1"], map[int64]int{e.sku["MUG-1"]: 1}, ship)
	require.NoError(t, err)
	_, err = e.srv.ShipAll(ids["SO-1"], ship)
	require.NoError(t, err)
	_, err = e.srv.ShipAll(ids["SO-2"], ship)
	require.NoError(t, err)
	_, err = e.srv.ShipPartial(ids["SO-3"], map[int64]int{e.sku["CAP-1"]: 1}, ship)
	require.NoError(t, err)
	e.clk.Advance(time.Minute)
	return e, ids
}

func checkConfirmInvariants(t *testing.T, e *env, disable bool, label string) {
	t.Helper()
	checkShipmentInvariants(t, e, disable, label, vsync.ProcessConfirmation, [3]string{"SO-1", "SO-2", "SO-3"}, [3]string{"SO-1", "SO-2", "SO-3"})
}

// checkShipmentInvariants checks a crash world's three orders once a run
// converged: erpRefs[0] has two parcels (the first final under disable),
// the others one each; every shipment reached the ERP once (applied) or was
// ignored on purpose; each order's record (process, under recordRefs) is a
// success or a warning.
func checkShipmentInvariants(t *testing.T, e *env, disable bool, label, process string, erpRefs, recordRefs [3]string) {
	t.Helper()
	want := map[string]map[string]int{erpRefs[0]: {"1": 2, "2": 1}, erpRefs[1]: {"1": 1}, erpRefs[2]: {"1": 1}}
	if disable {
		want[erpRefs[0]] = map[string]int{"1": 1, "2": 0} // first parcel final
	}
	for ref, w := range want {
		assert.Equal(t, w, shippedOf(e.erpOrder(ref)), "%s: %s shipped", label, ref)
	}
	rows, err := e.st.ListShipments(context.Background(), store.ShipmentQuery{Account: testAccount})
	require.NoError(t, err)
	n := map[store.ShipmentState]int{}
	for _, r := range rows {
		n[r.State]++
	}
	if disable {
		assert.Equal(t, map[store.ShipmentState]int{store.ShipmentApplied: 3, store.ShipmentIgnored: 1}, n, label)
	} else {
		assert.Equal(t, map[store.ShipmentState]int{store.ShipmentApplied: 4}, n, label)
	}
	seen := map[int64]bool{}
	for _, u := range e.erp.Applied() {
		assert.False(t, seen[u.ShipmentID], "%s: shipment %d applied twice", label, u.ShipmentID)
		seen[u.ShipmentID] = true
	}
	for _, ref := range recordRefs {
		rec := e.record(process, ref)
		assert.Contains(t, []store.RecordStatus{store.RecordSuccess, store.RecordWarning}, rec.Status, "%s: %s: %s", label, ref, rec.Message)
	}
}

// TestCrashAtEveryConfirmationStep crashes the confirmation import at each
// step (before/after each store write and each ERP apply), then reruns: no
// shipment applied twice or lost, records true. It runs on memstore and on
// sqlitestore.
func TestCrashAtEveryConfirmationStep(t *testing.T) {
	t.Parallel()
	for _, k := range []storeKind{memStore, sqliteStore} {
		for _, disable := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/disable=%v", k, disable), func(t *testing.T) {
				t.Parallel()
				world := func(t *testing.T) *env { e, _ := confirmWorldOn(t, disable, k); return e }
				crashEveryStep(t, k, world, 6, func(t *testing.T, e *env, label string) { checkConfirmInvariants(t, e, disable, label) })
			})
		}
	}
}

// TestCancelBetweenOrders cancels the context part-way; the rerun finishes
// the job without duplicates.
func TestCancelBetweenOrders(t *testing.T) {
	t.Parallel()
	e := exportWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	api := &cancelAfterCreates{VeeqoAPI: vsync.ClientAPI(e.client), n: 1, cancel: cancel}
	rep, err := e.engine(withAPI(api)).Run(ctx, vsync.RunOptions{})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, store.RunCancelled, rep.Status)
	assert.Equal(t, 1, rep.Exported)
	run, err := e.st.GetRun(context.Background(), rep.RunID)
	require.NoError(t, err)
	assert.Equal(t, store.RunCancelled, run.Status)
	e.run(e.engine())
	checkExportInvariants(t, e, "after cancel")
}

type cancelAfterCreates struct {
	vsync.VeeqoAPI
	mu     stdsync.Mutex
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfterCreates) CreateOrder(ctx context.Context, in *veeqoOrderInput) (*veeqoOrder, error) {
	o, err := c.VeeqoAPI.CreateOrder(ctx, in)
	c.mu.Lock()
	c.n--
	if c.n == 0 {
		c.cancel()
	}
	c.mu.Unlock()
	return o, err
}

// TestConcurrentRunsOneWins: two Run calls on one account at once: one
// gets ErrRunInProgress (the lease), and nothing is exported twice.
func TestConcurrentRunsOneWins(t *testing.T) {
	t.Parallel()
	e := exportWorld(t)
	gate := &gatedAPI{VeeqoAPI: vsync.ClientAPI(e.client), inside: make(chan struct{}), release: make(chan struct{})}
	engA := e.engine(withHolder("worker-a"), withAPI(gate))
	engB := e.engine(withHolder("worker-b"))
	var wg stdsync.WaitGroup
	var errA error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, errA = engA.Run(context.Background(), vsync.RunOptions{})
	}()
	<-gate.inside // A holds the lease and is creating an order
	_, errB := engB.Run(context.Background(), vsync.RunOptions{})
	close(gate.release)
	wg.Wait()
	require.NoError(t, errA)
	require.ErrorIs(t, errB, vsync.ErrRunInProgress)
	assert.Equal(t, 3, gate.creates, "B created nothing")
	// B again, after A: nothing left to do, nothing created twice.
	_, err := engB.Run(context.Background(), vsync.RunOptions{})
	require.NoError(t, err)
	checkExportInvariants(t, e, "concurrent")
}

// gatedAPI parks the first create until released.
type gatedAPI struct {
	vsync.VeeqoAPI
	once    stdsync.Once
	inside  chan struct{}
	release chan struct{}
	creates int
}

func (g *gatedAPI) CreateOrder(ctx context.Context, in *veeqoOrderInput) (*veeqoOrder, error) {
	g.once.Do(func() {
		close(g.inside)
		<-g.release
	})
	g.creates++
	return g.VeeqoAPI.CreateOrder(ctx, in)
}

func TestModeLock(t *testing.T) {
	t.Parallel()
	e := exportWorld(t)
	exp := e.engine()
	e.run(exp)

	fetchSettings := e.settings
	fetchSettings.ExportOrders, fetchSettings.FetchFulfillments = false, true
	fetch := e.engine(withCfg(func(c *vsync.Config) { c.Settings = fetchSettings }))
	before := e.srv.TotalRequests()
	_, err := fetch.Run(context.Background(), vsync.RunOptions{})
	require.ErrorIs(t, err, vsync.ErrModeLocked)
	var ml *vsync.ModeLockedError
	require.ErrorAs(t, err, &ml)
	assert.Equal(t, store.ModeExport, ml.Locked)
	assert.Equal(t, before, e.srv.TotalRequests(), "a refused run calls Veeqo not at all")

	sw, err := fetch.SwitchMode(context.Background(), store.ModeFetch, "moving to marketplace orders")
	require.NoError(t, err)
	assert.Equal(t, 3, sw.AwaitingConfirmation, "exported orders still awaiting confirmations are reported")
	assert.Contains(t, sw.Message, "3 exported orders awaiting confirmations")
	logs, err := e.st.QueryLogs(context.Background(), store.LogQuery{Account: testAccount, Process: vsync.ProcessMode})
	require.NoError(t, err)
	require.Len(t, logs.Entries, 1)
	assert.Equal(t, store.LevelWarning, logs.Entries[0].Level)

	_, err = fetch.Run(context.Background(), vsync.RunOptions{})
	require.NoError(t, err)
	_, err = exp.Run(context.Background(), vsync.RunOptions{})
	require.ErrorIs(t, err, vsync.ErrModeLocked, "now the export engine is the one refused")
}

func TestSettingsBothModesRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settings.FetchFulfillments = true
	_, err := vsync.New(e.config())
	require.ErrorIs(t, err, vsync.ErrInvalidSettings)
	assert.Contains(t, err.Error(), "export_orders: cannot be on together with fetch_fulfillments")
}

// TestConcurrentRunsSameEngine: two goroutines on one Engine (one holder
// id): the second is refused too.
func TestConcurrentRunsSameEngine(t *testing.T) {
	t.Parallel()
	e := exportWorld(t)
	gate := &gatedAPI{VeeqoAPI: vsync.ClientAPI(e.client), inside: make(chan struct{}), release: make(chan struct{})}
	eng := e.engine(withAPI(gate))
	done := make(chan error, 1)
	go func() {
		_, err := eng.Run(context.Background(), vsync.RunOptions{})
		done <- err
	}()
	<-gate.inside
	_, err := eng.Run(context.Background(), vsync.RunOptions{})
	require.ErrorIs(t, err, vsync.ErrRunInProgress)
	// Another engine of the same process, configured with the same holder
	// id, is refused by the lease.
	other := e.engine(withAPI(gate))
	_, err = other.Run(context.Background(), vsync.RunOptions{})
	require.ErrorIs(t, err, vsync.ErrRunInProgress)
	close(gate.release)
	require.NoError(t, <-done)
	checkExportInvariants(t, e, "same engine")
}

// changeWorldOn exports SO-1..SO-5, has the warehouse ship SO-1 in part and
// SO-2 in full (applied by a clean run), and then changes them in Veeqo
// while nothing runs: SO-2's label is voided (the shipment deleted) and it
// is reshipped; SO-1 is cancelled with its remainder unshipped; SO-5 is
// merged into SO-4, which ships.
func changeWorldOn(t testing.TB, disable bool, k storeKind) *env {
	e := exportWorldOn(t, k)
	e.settings.DisableMultishipment = disable
	d, f := order("SO-4", "MUG-1:1"), order("SO-5", "TEE-1:1")
	f.Customer = d.Customer
	e.erp.Put(d, f)
	e.run(e.engine())
	e.clk.Advance(time.Minute)
	ship := func(ref, tracking string, lines map[string]int) {
		id := e.veeqoOrder(ref).ID
		var err error
		if lines == nil {
			_, err = e.srv.ShipAll(id, veeqotest.ShipInfo{TrackingNumber: tracking, CarrierID: 5})
		} else {
			byID := map[int64]int{}
			for sku, q := range lines {
				byID[e.sku[sku]] = q
			}
			_, err = e.srv.ShipPartial(id, byID, veeqotest.ShipInfo{TrackingNumber: tracking, CarrierID: 5})
		}
		require.NoError(t, err)
	}
	ship("SO-1", "1Z-1A", map[string]int{"MUG-1": 1})
	ship("SO-2", "1Z-2OLD", nil)
	e.clk.Advance(time.Minute)
	e.run(e.engine())

	e.clk.Advance(time.Minute)
	so2 := e.veeqoOrder("SO-2")
	require.NoError(t, e.srv.DeleteShipment(so2.Allocations[0].Shipment.ID))
	ship("SO-2", "1Z-2NEW", nil)
	require.NoError(t, e.srv.CancelOrder(e.veeqoOrder("SO-1").ID, "rest out of stock"))
	require.NoError(t, e.srv.MergeOrders(e.veeqoOrder("SO-5").ID, e.veeqoOrder("SO-4").ID, veeqotest.MergeCancelled))
	ship("SO-4", "1Z-4", nil)
	e.clk.Advance(time.Minute)
	return e
}

// checkChangeInvariants: each change reached the ERP once: the void
// withdrawn and its replacement applied, the cancelled order's remainder
// closed, the merged-away order flagged; no update applied twice.
func checkChangeInvariants(t *testing.T, e *env, label string) {
	t.Helper()
	assert.Equal(t, map[string]int{"1": 1}, shippedOf(e.erpOrder("SO-2")), "%s: SO-2 shipped once, by the replacement", label)
	assert.Equal(t, []string{"1Z-2NEW"}, e.erp.Tracking("SO-2"), "%s: SO-2 tracking", label)
	so1 := e.erpOrder("SO-1")
	assert.Equal(t, map[string]int{"1": 1, "2": 0}, shippedOf(so1), "%s: SO-1 shipped", label)
	for _, l := range so1.Lines {
		assert.True(t, l.Closed, "%s: SO-1 line %s closed after Veeqo's cancel", label, l.Ref)
	}
	assert.Equal(t, vsync.OrderClosed, so1.Status, label)
	assert.Equal(t, map[string]int{"1": 1}, shippedOf(e.erpOrder("SO-4")), "%s: SO-4", label)
	assert.Equal(t, []string{"1Z-4"}, e.erp.Tracking("SO-4"), label)
	assert.Equal(t, map[string]int{"1": 0}, shippedOf(e.erpOrder("SO-5")), label)
	r5 := e.record(vsync.ProcessConfirmation, "SO-5")
	assert.Contains(t, r5.Message, "merged into Veeqo order", label)
	keys := map[string]int{}
	for _, u := range e.erp.Applied() {
		keys[u.Key()]++
	}
	for k, n := range keys {
		assert.Equal(t, 1, n, "%s: update %s applied %d times", label, k, n)
	}
	rows, err := e.st.ListShipments(context.Background(), store.ShipmentQuery{Account: testAccount, States: []store.ShipmentState{store.ShipmentVoided}})
	require.NoError(t, err)
	assert.Len(t, rows, 1, "%s: one shipment voided", label)
}

// TestCrashAtEveryChangeStep crashes the run that meets a void, a cancel in
// Veeqo and a merge at each of its steps (before and after each store
// write and each ERP apply), then reruns: every change reaches the ERP once.
// It runs on memstore and sqlitestore, under both multishipment rules.
func TestCrashAtEveryChangeStep(t *testing.T) {
	t.Parallel()
	for _, k := range []storeKind{memStore, sqliteStore} {
		for _, disable := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/disable=%v", k, disable), func(t *testing.T) {
				t.Parallel()
				world := func(t *testing.T) *env { return changeWorldOn(t, disable, k) }
				crashEveryStep(t, k, world, 6, checkChangeInvariants)
			})
		}
	}
}

// crashEveryStep runs a world once to list its steps (at least minSteps;
// check must hold, "no crash"), then, for each point of crashPlan, crashes
// a fresh world there, reruns it as a restarted process once the lease has
// expired, and checks it again. It returns the uncrashed run's crasher.
func crashEveryStep(t *testing.T, k storeKind, world func(t *testing.T) *env, minSteps int, check func(t *testing.T, e *env, label string)) *crasher {
	t.Helper()
	probe := world(t)
	c := &crasher{}
	_, err := probe.crashRun(c)
	require.NoError(t, err)
	check(t, probe, "no crash")
	require.GreaterOrEqual(t, c.n, minSteps, "steps: %v", c.steps)
	for _, point := range crashPlan(k, c.n) {
		label := fmt.Sprintf("crash %s step %d (%s)", map[bool]string{false: "before", true: "after"}[point.after], point.k, c.steps[point.k-1])
		t.Run(label, func(t *testing.T) {
			t.Parallel()
			e := world(t)
			cr := &crasher{k: point.k, after: point.after}
			_, err := e.crashRun(cr)
			require.True(t, cr.dead())
			require.Error(t, err)
			e.clk.Advance(2 * time.Minute)
			_, err = e.engine(withHolder("restarted")).Run(context.Background(), vsync.RunOptions{})
			require.NoError(t, err)
			check(t, e, label)
		})
	}
	return c
}
