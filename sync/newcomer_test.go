package sync_test

import (
	"context"
	"errors"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// unreadableERP yields an *OrderError for one reference among good orders.
type unreadableERP struct {
	*vsync.MemoryERP
	bad string
}

func (u unreadableERP) Candidates(ctx context.Context, q vsync.CandidateQuery) iter.Seq2[vsync.ERPOrder, error] {
	return func(yield func(vsync.ERPOrder, error) bool) {
		if !yield(vsync.ERPOrder{}, &vsync.OrderError{Ref: u.bad, Err: errors.New("[2].lines[1].quantity: must be positive, got 0")}) {
			return
		}
		for o, err := range u.MemoryERP.Candidates(ctx, q) {
			if !yield(o, err) {
				return
			}
		}
	}
}

// One order the ERP cannot read is that order's error record; the others
// are exported in the same run.
func TestUnreadableOrderFailsAloneOthersExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.erp.Put(order("SO-1", "MUG-1:1"), order("SO-3", "TEE-1:1"))
	eng := e.engine(withERP(unreadableERP{MemoryERP: e.erp, bad: "SO-2"}))
	rep, err := eng.Run(context.Background(), vsync.RunOptions{Trigger: "test"})
	require.NoError(t, err)
	require.Equal(t, store.RunPartial, rep.Status)
	require.Equal(t, 2, rep.Exported)
	require.Equal(t, 1, rep.Failed)
	rec := e.record(vsync.ProcessExport, "SO-2")
	require.Equal(t, store.RecordError, rec.Status)
	require.Equal(t, "[2].lines[1].quantity: must be positive, got 0", rec.Message)
	require.Len(t, e.srv.OrdersByNumber("SO-1"), 1)
	require.Len(t, e.srv.OrdersByNumber("SO-3"), 1)
}

// A dry run looks each customer email up once, as a real run does through
// the store's cache.
func TestDryRunLooksEachCustomerUpOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, ref := range []string{"SO-1", "SO-2", "SO-3", "SO-4"} {
		o := order(ref, "MUG-1:1")
		o.Customer.Email = "same@example.com"
		e.erp.Put(o)
	}
	// One known customer and one unknown: both are cached for the run.
	e.srv.AddCustomer(veeqo.Customer{Email: "known@example.com"})
	o := order("SO-5", "MUG-1:1")
	o.Customer.Email = "known@example.com"
	o2 := order("SO-6", "MUG-1:1")
	o2.Customer.Email = "known@example.com"
	e.erp.Put(o, o2)
	eng := e.engine()
	rep, err := eng.Run(context.Background(), vsync.RunOptions{Trigger: "test", DryRun: true})
	require.NoError(t, err)
	require.Len(t, rep.Outcomes, 6)
	require.Equal(t, 2, e.srv.Count("GET", "/customers"), "one lookup per distinct email")
}

// The applied-shipment log line names the carrier and the service, so a
// carrier named after a service ("UPS Ground") does not read "UPS Ground
// Ground".
func TestShipmentLogNamesCarrierAndService(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settings.CarrierMapping = vsync.Names(vsync.NameMapping{ERPName: "UPS Ground", VeeqoName: "UPS"})
	e.erp.Put(order("SO-1", "MUG-1:1"))
	eng := e.engine()
	e.run(eng)
	_, err := e.srv.ShipAll(e.veeqoOrder("SO-1").ID, veeqotest.ShipInfo{TrackingNumber: "1Z1", CarrierName: "UPS", ServiceName: "Standard"})
	require.NoError(t, err)
	e.clk.Advance(time.Minute)
	rep := e.run(eng)
	require.Equal(t, 1, rep.ConfirmationsApplied)
	logs, err := eng.Logs(context.Background(), store.LogQuery{Reference: "SO-1", Process: vsync.ProcessConfirmation})
	require.NoError(t, err)
	var msgs []string
	for _, l := range logs.Entries {
		msgs = append(msgs, l.Message)
	}
	joined := strings.Join(msgs, "\n")
	require.Contains(t, joined, "tracking 1Z1, carrier UPS Ground, service Ground")
	require.NotContains(t, joined, "UPS Ground Ground")
}

// NotCandidates says why the orders Candidates leaves out are not
// candidates.
func TestNotCandidatesCountsReasons(t *testing.T) {
	t.Parallel()
	early := order("SO-OLD", "MUG-1:1")
	early.CreatedAt = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	unwaved := order("SO-NEW", "MUG-1:1")
	unwaved.Wave = ""
	m := vsync.NewMemoryERP(order("SO-1", "MUG-1:1"), early, unwaved, order("SO-2", "MUG-1:1"))
	q := vsync.CandidateQuery{Since: time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC), Search: "so-1"}
	n := 0
	for _, err := range m.Candidates(context.Background(), q) {
		require.NoError(t, err)
		n++
	}
	require.Equal(t, 1, n)
	require.Equal(t, map[string]int{vsync.NotWaved: 1, vsync.BeforeStartDate: 1, vsync.NotMatchedSearch: 1}, m.NotCandidates(q))
	require.Empty(t, m.NotCandidates(vsync.CandidateQuery{Refs: []string{"SO-9"}}))
}

// A fetch-mode dry run of given Veeqo numbers looks at exactly those.
func TestFetchDryRunOfRefs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settings.ExportOrders, e.settings.FetchFulfillments = false, true
	e.settings.StoreMapping = vsync.Stores(vsync.StoreMapping{ERPStore: "Amazon", VeeqoChannel: "Amazon US"})
	for _, n := range []string{"111-1", "111-2"} {
		o := e.srv.AddOrder(veeqo.Order{Number: n, Channel: &e.amazon, LineItems: []veeqo.LineItem{{Sellable: &veeqo.Sellable{ID: e.sku["MUG-1"]}, Quantity: 1}}})
		_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "T" + n, CarrierName: "UPS"})
		require.NoError(t, err)
	}
	eng := e.engine()
	rep, err := eng.Run(context.Background(), vsync.RunOptions{Trigger: "test", DryRun: true, Refs: []string{"111-2", "999"}})
	require.NoError(t, err)
	var refs []string
	for _, o := range rep.Outcomes {
		refs = append(refs, o.Reference+" "+string(o.Status))
	}
	require.Equal(t, []string{"111-2 pending", "999 error"}, refs)
	require.Equal(t, 1, rep.Failed)
}

// The run summary counts in words that agree with their numbers and names
// what the run's mode does.
func TestReportSummaryWording(t *testing.T) {
	t.Parallel()
	exp := vsync.Report{Mode: store.ModeExport, Exported: 3, Reconciled: 1, ConfirmationsApplied: 1, Warnings: 1, VeeqoCalls: 1}
	require.Equal(t, "3 exported (1 reconciled), 0 skipped, 0 failed, 1 confirmation applied, 0 ignored, 1 warning, 1 Veeqo call", exp.Summary())
	exp = vsync.Report{Mode: store.ModeExport, Exported: 2, ConfirmationsApplied: 2, Warnings: 2, VeeqoCalls: 9}
	require.Equal(t, "2 exported, 0 skipped, 0 failed, 2 confirmations applied, 0 ignored, 2 warnings, 9 Veeqo calls", exp.Summary())
	fetch := vsync.Report{Mode: store.ModeFetch, ConfirmationsApplied: 1, Excluded: 4, VeeqoCalls: 3}
	require.Equal(t, "1 fulfillment applied, 0 skipped, 4 excluded, 0 failed, 0 ignored, 0 warnings, 3 Veeqo calls", fetch.Summary())
}
