package sync_test

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// TestFaultRuns: under 429 storms, 5xx, commit-then-fail on create and
// malformed bodies, with Veeqo's search current or trailing by 2 seconds or
// 5 minutes, on memstore and on SQLite, every eligible order ends exported
// exactly once or as a visible error record; a clean rerun after the settle
// time exports the rest, still exactly once.
func TestFaultRuns(t *testing.T) {
	t.Parallel()
	post := veeqotest.Match("POST", "/orders")
	list := veeqotest.Match("GET", "/orders")
	tests := []struct {
		name   string
		inject func(s *veeqotest.Server)
	}{
		{"429 storm on everything", func(s *veeqotest.Server) { s.Set429Storm(30) }},
		{"429 on creates beyond retries", func(s *veeqotest.Server) {
			s.FailNext(6, veeqotest.Fault{Match: post, Status: http.StatusTooManyRequests})
		}},
		{"500 on creates", func(s *veeqotest.Server) {
			s.FailNext(2, veeqotest.Fault{Match: post, Status: http.StatusInternalServerError})
		}},
		{"503 on every request", func(s *veeqotest.Server) { s.FailNext(12, veeqotest.Fault{Status: http.StatusServiceUnavailable}) }},
		{"dropped connection on creates", func(s *veeqotest.Server) { s.FailNext(2, veeqotest.Fault{Match: post, Drop: true}) }},
		{"commit then fail on creates", func(s *veeqotest.Server) { s.CommitThenFail(3, post) }},
		{"commit then fail, lookups down too", func(s *veeqotest.Server) {
			s.CommitThenFail(1, post)
			s.FailNext(8, veeqotest.Fault{Match: list, Status: http.StatusBadGateway})
		}},
		{"malformed create bodies", func(s *veeqotest.Server) { s.CorruptNext(2, post) }},
		{"malformed list bodies", func(s *veeqotest.Server) { s.CorruptNext(3, list) }},
		{"422 refusal", func(s *veeqotest.Server) {
			s.FailNext(1, veeqotest.Fault{Match: post, Status: http.StatusUnprocessableEntity, Body: `{"error_messages":["Channel can't be blank"]}`})
		}},
	}
	for _, k := range []storeKind{memStore, sqliteStore} {
		for _, lag := range searchLags {
			for _, tc := range tests {
				t.Run(fmt.Sprintf("%s/lag %v/%s", k, lag, tc.name), func(t *testing.T) {
					t.Parallel()
					faultRun(t, exportWorldOn(t, k), lag, tc.name, tc.inject)
				})
			}
		}
	}
}

func faultRun(t *testing.T, e *env, lag time.Duration, name string, inject func(s *veeqotest.Server)) {
	e.srv.SetSearchLag(lag)
	inject(e.srv)
	rep, _ := e.engine().Run(context.Background(), vsync.RunOptions{})
	for _, ref := range []string{"SO-1", "SO-2", "SO-3"} {
		n := len(e.srv.OrdersByNumber(ref))
		require.LessOrEqual(t, n, 1, "%s created twice", ref)
		ex, err := e.st.GetExport(context.Background(), testAccount, ref)
		if err == nil && ex.State == store.ExportExported {
			assert.Equal(t, 1, n)
			continue
		}
		rec, err := e.st.GetRecord(context.Background(), testAccount, vsync.ProcessExport, ref)
		if err != nil || rec.Status != store.RecordError {
			// The run may have stopped (run-level failure) before the
			// order; then the report says so.
			assert.NotEqual(t, store.RunSucceeded, rep.Status, "%s neither exported nor an error record: %+v", ref, rep)
		}
	}
	e.srv.ClearFaults()
	e.clk.Advance(time.Minute)
	_, err := e.engine().Run(context.Background(), vsync.RunOptions{})
	require.NoError(t, err)
	checkNoTwins(t, e, name+", clean rerun")
	e.clk.Advance(vsync.DefaultInDoubtSettle)
	_, err = e.engine().Run(context.Background(), vsync.RunOptions{})
	require.NoError(t, err)
	checkExportInvariants(t, e, name)
}

// TestCommitThenFailIsLinkedNotDuplicated: the create committed but the
// answer was lost, and Veeqo's search does not show the order yet: it is
// found in the order list by number and linked in the same run.
func TestCommitThenFailIsLinkedNotDuplicated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, veeqotest.WithSearchLag(5*time.Minute))
	e.erp.Put(order("SO-1", "MUG-1:1"))
	e.srv.CommitThenFail(1, veeqotest.Match("POST", "/orders"))
	rep := e.run(e.engine())
	assert.Equal(t, 1, rep.Exported)
	assert.Equal(t, 1, rep.Reconciled)
	assert.Equal(t, 1, e.srv.Count("POST", "/orders"))
	rec := e.record(vsync.ProcessExport, "SO-1")
	assert.Equal(t, store.RecordWarning, rec.Status)
	assert.Contains(t, rec.Message, "found in Veeqo's order list by number after an unknown outcome (not created again)")
	assert.Equal(t, e.veeqoOrder("SO-1").ID, rec.VeeqoOrderID)
}

// TestUnknownOutcomeReconciledNextRun: a 5xx on create leaves the claim
// unknown; while the settle time runs the order is looked for and not
// created; after it, absent from the order list and the search, it is
// created once.
func TestUnknownOutcomeReconciledNextRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.erp.Put(order("SO-1", "MUG-1:1"))
	e.srv.FailNext(1, veeqotest.Fault{Match: veeqotest.Match("POST", "/orders"), Status: 500})
	rep := e.run(e.engine())
	assert.Equal(t, 1, rep.Failed)
	ex, err := e.st.GetExport(context.Background(), testAccount, "SO-1")
	require.NoError(t, err)
	assert.Equal(t, store.ExportUnknown, ex.State)
	assert.Contains(t, e.record(vsync.ProcessExport, "SO-1").Message, "outcome of the create is unknown")
	assert.Empty(t, e.srv.OrdersByNumber("SO-1"))

	e.clk.Advance(vsync.DefaultInDoubtSettle - time.Second)
	rep = e.run(e.engine())
	assert.Equal(t, 1, rep.InDoubt)
	assert.Empty(t, e.srv.OrdersByNumber("SO-1"), "not created again inside the settle time")
	assert.Contains(t, e.record(vsync.ProcessExport, "SO-1").Message, "created again after 2026-11-02T15:15:00Z if still absent")

	e.clk.Advance(time.Second)
	e.run(e.engine())
	e.veeqoOrder("SO-1")
	assert.Equal(t, 2, e.srv.Count("POST", "/orders"), "one failed attempt, one create after the lookup said absent")
	ex, err = e.st.GetExport(context.Background(), testAccount, "SO-1")
	require.NoError(t, err)
	assert.Equal(t, store.ExportExported, ex.State)
	assert.Equal(t, 2, ex.Attempts)
}

// TestListingFailureHoldsCursor: a failed confirmation listing fails the run
// and leaves the cursor where it was; the next run sees the shipment.
func TestListingFailureHoldsCursor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eng := e.engine()
	o := e.exportSO1(t, eng)
	cur0, err := e.st.GetCursor(context.Background(), testAccount, vsync.StreamConfirmations)
	require.NoError(t, err)
	e.clk.Advance(time.Hour)
	_, err = e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z", CarrierID: 5})
	require.NoError(t, err)
	e.srv.CorruptNext(1, veeqotest.Match("GET", "/orders"))
	rep, err := eng.Run(context.Background(), vsync.RunOptions{})
	require.Error(t, err)
	assert.Equal(t, store.RunFailed, rep.Status)
	cur1, err := e.st.GetCursor(context.Background(), testAccount, vsync.StreamConfirmations)
	require.NoError(t, err)
	assert.Equal(t, cur0.Position, cur1.Position)
	e.clk.Advance(time.Hour)
	rep = e.run(eng)
	assert.Equal(t, 1, rep.ConfirmationsApplied)
}

// TestSecretsNeverLeak: the API key appears in no log, record, run,
// notification or report, even when a host error carries it.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	const key = "sk-live-SECRET-9d8f7"
	e := newEnv(t, veeqotest.WithAPIKey(key))
	var events []string
	rec := notifyFunc(func(msg string) { events = append(events, msg) })
	leaky := &leakyERP{MemoryERP: e.erp, key: key}
	e.erp.Put(order("SO-1", "MUG-1:1"), order("SO-2", "NOPE:1"))
	e.settings.DefaultSKU = ""
	e.srv.FailNext(1, veeqotest.Fault{Match: veeqotest.Match("POST", "/orders"), Status: 500, Body: `{"error_messages":"bad"}`})
	rep, _ := e.engine(withERP(leaky), withCfg(func(c *vsync.Config) { c.Notifier = rec })).Run(context.Background(), vsync.RunOptions{})
	e.clk.Advance(time.Minute)
	rep2, _ := e.engine(withERP(leaky), withCfg(func(c *vsync.Config) { c.Notifier = rec })).Run(context.Background(), vsync.RunOptions{})
	var all []string
	all = append(all, events...)
	all = append(all, fmt.Sprintf("%+v %+v", rep, rep2))
	logs, err := e.st.QueryLogs(context.Background(), store.LogQuery{Account: testAccount, Limit: 1000})
	require.NoError(t, err)
	for _, l := range logs.Entries {
		all = append(all, l.Message)
	}
	recs, err := e.st.QueryRecords(context.Background(), store.RecordQuery{Account: testAccount, Limit: 1000})
	require.NoError(t, err)
	for _, r := range recs.Records {
		all = append(all, r.Message)
	}
	runs, err := e.st.QueryRuns(context.Background(), store.RunQuery{Account: testAccount})
	require.NoError(t, err)
	for _, r := range runs {
		all = append(all, r.Error)
	}
	require.NotEmpty(t, events, "errors were notified")
	joined := strings.Join(all, "\n")
	assert.NotContains(t, joined, key)
	assert.Contains(t, joined, "[redacted]", "the leaking host error was scrubbed, not dropped")
}

// leakyERP fails with an error that carries the key, as a careless host
// might.
type leakyERP struct {
	*vsync.MemoryERP
	key string
}

func (l *leakyERP) Candidates(ctx context.Context, q vsync.CandidateQuery) iter.Seq2[vsync.ERPOrder, error] {
	return func(yield func(vsync.ERPOrder, error) bool) {
		for o, err := range l.MemoryERP.Candidates(ctx, q) {
			if !yield(o, err) {
				return
			}
		}
		yield(vsync.ERPOrder{}, fmt.Errorf("erp cursor failed; request had x-api-key: %s", l.key))
	}
}

func (l *leakyERP) ApplyShipment(ctx context.Context, u vsync.ShipmentUpdate) error {
	return fmt.Errorf("erp rejected request with x-api-key: %s", l.key)
}

func (l *leakyERP) Order(ctx context.Context, ref string) (vsync.ERPOrder, error) {
	if ref == "SO-1" {
		return l.MemoryERP.Order(ctx, ref)
	}
	return vsync.ERPOrder{}, fmt.Errorf("lookup with Authorization: Bearer %s failed", l.key)
}

type notifyFunc func(msg string)

func (f notifyFunc) Notify(_ context.Context, ev notify.Event) error {
	f(ev.Message + " " + ev.Reference)
	return nil
}

// TestConfirmationFaultRuns: faults while reading confirmations lose
// nothing: after a clean rerun every shipment reached the ERP once.
func TestConfirmationFaultRuns(t *testing.T) {
	t.Parallel()
	list := veeqotest.Match("GET", "/orders")
	tests := []struct {
		name   string
		inject func(s *veeqotest.Server)
	}{
		{"429 storm", func(s *veeqotest.Server) { s.Set429Storm(10) }},
		{"5xx beyond retries", func(s *veeqotest.Server) { s.FailNext(8, veeqotest.Fault{Match: list, Status: 503}) }},
		{"dropped connections", func(s *veeqotest.Server) { s.FailNext(8, veeqotest.Fault{Match: list, Drop: true}) }},
		{"malformed list body", func(s *veeqotest.Server) { s.CorruptNext(1, list) }},
	}
	for _, tc := range tests {
		for _, disable := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s disable=%v", tc.name, disable), func(t *testing.T) {
				t.Parallel()
				e, _ := confirmWorld(t, disable)
				tc.inject(e.srv)
				_, _ = e.engine().Run(context.Background(), vsync.RunOptions{})
				e.srv.ClearFaults()
				e.clk.Advance(time.Minute)
				_, err := e.engine().Run(context.Background(), vsync.RunOptions{})
				require.NoError(t, err)
				checkConfirmInvariants(t, e, disable, tc.name)
			})
		}
	}
}
