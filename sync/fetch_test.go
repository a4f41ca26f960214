package sync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/filter"
	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

func fetchWorld(t testing.TB) *env {
	e := newEnv(t)
	e.settings.ExportOrders = false
	e.settings.FetchFulfillments = true
	e.settings.StoreMapping = vsync.Stores(vsync.StoreMapping{ERPStore: "Amazon", VeeqoChannel: "Amazon US"}, vsync.StoreMapping{ERPStore: "Amazon FBA", VeeqoChannel: "Amazon US FBA"})
	e.settings.CarrierMapping.Rows = append(e.settings.CarrierMapping.Rows, vsync.NameMapping{ERPName: "Marketplace", VeeqoName: "Other"})
	return e
}

func TestFetchFulfillments(t *testing.T) {
	t.Parallel()
	e := fetchWorld(t)
	e.settings.Filters = filter.Rows(filter.Row{Field: "customer_email", Operator: "Does Not Contain", Value: "blocked"})
	e.erp.Put(
		vsync.ERPOrder{Ref: "AMZ-1", Number: "111-0000001", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 2, Allocated: 2}, {Ref: "2", SKU: "TEE-1", Quantity: 1, Allocated: 1}}},
		vsync.ERPOrder{Ref: "AMZ-3", MarketplaceRef: "111-0000003", Number: "X3", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "CAP-1", Quantity: 1, Allocated: 1}}},
	)
	o1 := e.addMarketplaceOrder("111-0000001", e.amazon, map[string]int{"MUG-1": 2, "TEE-1": 1})
	o2 := e.addMarketplaceOrder("111-0000002", e.amazon, map[string]int{"MUG-1": 1}) // unknown to the ERP
	o3 := e.addMarketplaceOrder("111-0000003", e.amazon, map[string]int{"CAP-1": 1}) // matched by marketplace ref
	fba := e.addMarketplaceOrder("111-0000004", e.fba, map[string]int{"MUG-1": 1})   // excluded channel type
	blocked := e.addMarketplaceOrder("111-0000005", e.amazon, map[string]int{"MUG-1": 1})
	_ = blocked
	for _, id := range []int64{o2.ID, o3.ID, fba.ID} {
		_, err := e.srv.ShipAll(id, veeqotest.ShipInfo{CarrierID: 3}) // marketplace-shipped: no tracking
		require.NoError(t, err)
	}
	_, err := e.srv.ShipPartial(o1.ID, map[int64]int{e.sku["MUG-1"]: 1}, veeqotest.ShipInfo{TrackingNumber: "9400", CarrierID: 7, ServiceName: "Priority"})
	require.NoError(t, err)

	eng := e.engine()
	rep := e.run(eng)
	assert.Equal(t, 2, rep.ConfirmationsApplied)
	assert.Equal(t, 1, rep.Failed)
	assert.Equal(t, map[string]int{"1": 1, "2": 0}, shippedOf(e.erpOrder("AMZ-1")))
	assert.Equal(t, vsync.OrderPartiallyShipped, e.erpOrder("AMZ-1").Status)
	assert.Equal(t, map[string]int{"1": 1}, shippedOf(e.erpOrder("AMZ-3")))
	var noTracking vsync.ShipmentUpdate
	for _, u := range e.erp.Applied() {
		if u.OrderRef == "AMZ-3" {
			noTracking = u
		}
	}
	assert.Empty(t, noTracking.TrackingNumbers, "shipments without tracking are tolerated")
	for _, u := range e.erp.Applied() {
		want := map[string]string{"AMZ-1": "USPS Mail", "AMZ-3": "Marketplace"}[u.OrderRef]
		assert.Equal(t, want, u.Carrier, "carrier of %s mapped back", u.OrderRef)
	}

	r2 := e.record(vsync.ProcessFetch, "111-0000002")
	assert.Equal(t, store.RecordError, r2.Status)
	assert.Contains(t, r2.Message, "the ERP has no order for Veeqo order")
	_, err = e.st.GetRecord(context.Background(), testAccount, vsync.ProcessFetch, "111-0000004")
	assert.ErrorIs(t, err, store.ErrNotFound, "FBA orders are not fetched")

	// Later updates move the cursor past the failed order: it is retried by
	// id on every run while it fails, and succeeds once the ERP knows it.
	e.clk.Advance(2 * time.Hour)
	require.NoError(t, e.srv.TouchOrder(o1.ID))
	rep = e.run(eng)
	assert.Equal(t, 1, rep.Failed, "still failing, still inside the listing window")
	assert.Equal(t, 0, e.srv.Count("GET", "/orders/{id}"))
	e.clk.Advance(time.Hour)
	e.erp.Put(vsync.ERPOrder{Ref: "AMZ-2", Number: "111-0000002", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1}}})
	rep = e.run(eng)
	assert.Equal(t, 1, rep.ConfirmationsApplied)
	assert.Equal(t, map[string]int{"1": 1}, shippedOf(e.erpOrder("AMZ-2")))
	assert.Equal(t, store.RecordSuccess, e.record(vsync.ProcessFetch, "111-0000002").Status)
	assert.Equal(t, 1, e.srv.Count("GET", "/orders/{id}"), "out of the listing window: retried by id")

	// The rest of order 1 ships: it accumulates (multishipment allowed).
	e.clk.Advance(time.Minute)
	_, err = e.srv.ShipAll(o1.ID, veeqotest.ShipInfo{TrackingNumber: "9401", CarrierID: 7})
	require.NoError(t, err)
	e.run(eng)
	assert.Equal(t, map[string]int{"1": 2, "2": 1}, shippedOf(e.erpOrder("AMZ-1")))
	assert.Equal(t, vsync.OrderShipped, e.erpOrder("AMZ-1").Status)
}

func TestFetchFilterOnVeeqoFields(t *testing.T) {
	t.Parallel()
	e := fetchWorld(t)
	e.settings.Filters = filter.Rows(filter.Row{Field: "number", Operator: "Starts With", Value: "111-"})
	e.erp.Put(vsync.ERPOrder{Ref: "A", Number: "111-1", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1}}},
		vsync.ERPOrder{Ref: "B", Number: "222-1", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1}}})
	for _, n := range []string{"111-1", "222-1"} {
		o := e.addMarketplaceOrder(n, e.amazon, map[string]int{"MUG-1": 1})
		_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{CarrierID: 3})
		require.NoError(t, err)
	}
	rep := e.run(e.engine())
	assert.Equal(t, 1, rep.ConfirmationsApplied)
	assert.Equal(t, 1, rep.Skipped)
	assert.Equal(t, 0, e.erpOrder("B").Lines[0].Shipped)
}

func TestFetchInvalidFilterFieldNamed(t *testing.T) {
	t.Parallel()
	e := fetchWorld(t)
	e.settings.Filters = filter.Rows(filter.Row{Field: "wave", Operator: "Equals", Value: "W1"}) // an export-only field
	_, err := vsync.New(e.config())
	require.ErrorIs(t, err, vsync.ErrInvalidSettings)
	assert.Contains(t, err.Error(), "filters: row 1")
}

// TestFetchBackfillWindow: a manual run over a date range reads that window
// and leaves the cursor where it was.
func TestFetchBackfillWindow(t *testing.T) {
	t.Parallel()
	e := fetchWorld(t)
	e.erp.Put(vsync.ERPOrder{Ref: "A", Number: "111-1", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1}}})
	eng := e.engine()
	e.run(eng) // nothing yet; sets no cursor
	cur0, err := e.st.GetCursor(context.Background(), testAccount, vsync.StreamFulfillments)
	require.NoError(t, err)

	o := e.addMarketplaceOrder("111-1", e.amazon, map[string]int{"MUG-1": 1})
	_, err = e.srv.ShipAll(o.ID, veeqotest.ShipInfo{CarrierID: 3})
	require.NoError(t, err)
	from := e.clk.Now().Add(-time.Hour)
	rep, err := eng.Run(context.Background(), vsync.RunOptions{Trigger: "backfill", From: from, To: e.clk.Now().Add(time.Second)})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.ConfirmationsApplied)
	cur1, err := e.st.GetCursor(context.Background(), testAccount, vsync.StreamFulfillments)
	require.NoError(t, err)
	assert.Equal(t, cur0, cur1, "a backfill does not move the cursor")
	req := e.srv.Requests()
	last := req[len(req)-1]
	assert.NotEmpty(t, last.Query.Get("updated_at_min"), "the window is sent to Veeqo")
}

// TestFetchSkipRecordedOnce: an order the filter rows reject gets a skipped
// record naming the row, written once: later passes that list it again
// (unchanged) write nothing and log nothing. Orders left out for their
// channel (FBA) are only counted.
func TestFetchSkipRecordedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := fetchWorld(t)
	e.settings.Filters = filter.Rows(filter.Row{Field: "number", Operator: "Starts With", Value: "111-"})
	e.erp.Put(vsync.ERPOrder{Ref: "A", Number: "111-1", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1}}})
	kept := e.addMarketplaceOrder("111-1", e.amazon, map[string]int{"MUG-1": 1})
	rejected := e.addMarketplaceOrder("222-1", e.amazon, map[string]int{"MUG-1": 1})
	fba := e.srv.AddOrder(veeqo.Order{Number: "333-1", Channel: &e.amazon, FulfilledByAmazon: true,
		LineItems: []veeqo.LineItem{{Sellable: &veeqo.Sellable{ID: e.sku["MUG-1"]}, Quantity: 1}}})
	for _, id := range []int64{kept.ID, rejected.ID, fba.ID} {
		_, err := e.srv.ShipAll(id, veeqotest.ShipInfo{CarrierID: 3})
		require.NoError(t, err)
	}
	eng := e.engine()
	rep := e.run(eng)
	assert.Equal(t, 1, rep.ConfirmationsApplied)
	assert.Equal(t, 1, rep.Skipped)
	assert.Equal(t, 1, rep.Excluded, "the FBA order is counted")

	rec := e.record(vsync.ProcessFetch, "222-1")
	assert.Equal(t, store.RecordSkipped, rec.Status)
	assert.Contains(t, rec.Message, "filtered out: ")
	assert.Contains(t, rec.Message, "number", "the record names the rejecting row")
	assert.Equal(t, rejected.ID, rec.VeeqoOrderID)
	assert.Equal(t, 1, rec.Attempts)
	_, err := e.st.GetRecord(ctx, testAccount, vsync.ProcessFetch, "333-1")
	assert.ErrorIs(t, err, store.ErrNotFound, "channel exclusions are not recorded")

	skipLogs := func() int {
		page, err := e.st.QueryLogs(ctx, store.LogQuery{Account: testAccount, Process: vsync.ProcessFetch, Reference: "222-1"})
		require.NoError(t, err)
		return len(page.Entries)
	}
	require.Equal(t, 1, skipLogs())

	// Listed again on later passes (updated in Veeqo), nothing changed.
	for range 2 {
		e.clk.Advance(time.Hour)
		require.NoError(t, e.srv.TouchOrder(rejected.ID))
		rep = e.run(eng)
		assert.Equal(t, 1, rep.Skipped, "still counted")
	}
	again := e.record(vsync.ProcessFetch, "222-1")
	assert.Equal(t, rec.Attempts, again.Attempts, "not rewritten")
	assert.Equal(t, rec.LastRunID, again.LastRunID, "not rewritten")
	assert.Equal(t, 1, skipLogs(), "one log line for the skip, not one per pass")

	// A resolved skip stays resolved.
	_, err = eng.Resolve(ctx, vsync.ProcessFetch, "222-1", "ops", "not ours to ship")
	require.NoError(t, err)
	e.clk.Advance(time.Hour)
	require.NoError(t, e.srv.TouchOrder(rejected.ID))
	e.run(eng)
	assert.True(t, e.record(vsync.ProcessFetch, "222-1").Resolved)
}

// TestRetryFailedDoesNotStarve: more failing orders than a pass retries by
// id (100): a pass retries the least recently tried first, so orders that
// keep failing cannot keep the others from being retried.
func TestRetryFailedDoesNotStarve(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := fetchWorld(t)
	const n = 120
	numbers := make([]string, n)
	for i := range n {
		numbers[i] = fmt.Sprintf("111-%07d", i)
		o := e.addMarketplaceOrder(numbers[i], e.amazon, map[string]int{"MUG-1": 1})
		_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{CarrierID: 3})
		require.NoError(t, err)
	}
	eng := e.engine()
	rep := e.run(eng) // the ERP knows none of them yet
	require.Equal(t, n, rep.Failed)
	// A later update moves the cursor past them.
	e.clk.Advance(time.Hour)
	e.addMarketplaceOrder("999-0000001", e.amazon, map[string]int{"MUG-1": 1})
	e.run(eng)
	first := e.record(vsync.ProcessFetch, numbers[0]).LastRunID

	// Out of the listing window now: failures are retried by id only.
	e.clk.Advance(time.Hour)
	e.srv.ResetRequests()
	e.run(eng)
	assert.Equal(t, 100, e.srv.Count("GET", "/orders/{id}"), "at most 100 retries by id per pass")
	var starved []string
	for _, num := range numbers {
		if e.record(vsync.ProcessFetch, num).LastRunID == first {
			starved = append(starved, num)
		}
	}
	require.Len(t, starved, n-100)

	// The ERP learns the orders the last pass did not get to; the other 100
	// keep failing.
	for _, num := range starved {
		e.erp.Put(vsync.ERPOrder{Ref: "AMZ-" + num, Number: num, Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1}}})
	}
	e.clk.Advance(time.Hour)
	rep = e.run(eng)
	assert.Equal(t, len(starved), rep.ConfirmationsApplied, "the least recently tried are retried first")
	for _, num := range starved {
		rec, err := e.st.GetRecord(ctx, testAccount, vsync.ProcessFetch, num)
		require.NoError(t, err)
		assert.Equal(t, store.RecordSuccess, rec.Status, "%s: %s", num, rec.Message)
	}
}
