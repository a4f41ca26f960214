package sync_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// fetchCrashWorldOn is a fetch-mode world with three shipped marketplace
// orders: 111-1 in two parcels (its second update is computed after its
// first reaches the ERP), 111-2 and 111-3 in one each.
func fetchCrashWorldOn(t testing.TB, disable bool, k storeKind) *env {
	e := fetchWorld(t).onStore(t, k)
	e.settings.DisableMultishipment = disable
	e.erp.Put(
		vsync.ERPOrder{Ref: "AMZ-1", Number: "111-1", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 2, Allocated: 2}, {Ref: "2", SKU: "TEE-1", Quantity: 1, Allocated: 1}}},
		vsync.ERPOrder{Ref: "AMZ-2", Number: "111-2", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1, Allocated: 1}}},
		vsync.ERPOrder{Ref: "AMZ-3", Number: "111-3", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "CAP-1", Quantity: 1, Allocated: 1}}},
	)
	o1 := e.addMarketplaceOrder("111-1", e.amazon, map[string]int{"MUG-1": 2, "TEE-1": 1})
	o2 := e.addMarketplaceOrder("111-2", e.amazon, map[string]int{"MUG-1": 1})
	o3 := e.addMarketplaceOrder("111-3", e.amazon, map[string]int{"CAP-1": 1})
	ship := veeqotest.ShipInfo{TrackingNumber: "1Z", CarrierID: 5}
	_, err := e.srv.ShipPartial(o1.ID, map[int64]int{e.sku["MUG-1"]: 1}, ship)
	require.NoError(t, err)
	e.clk.Advance(time.Second)
	for _, id := range []int64{o1.ID, o2.ID, o3.ID} {
		_, err = e.srv.ShipAll(id, ship)
		require.NoError(t, err)
	}
	e.clk.Advance(time.Minute)
	return e
}

func checkFetchInvariants(t *testing.T, e *env, disable bool, label string) {
	t.Helper()
	checkShipmentInvariants(t, e, disable, label, vsync.ProcessFetch, [3]string{"AMZ-1", "AMZ-2", "AMZ-3"}, [3]string{"111-1", "111-2", "111-3"})
}

// TestCrashAtEveryFetchStep crashes a fetch pass at each step (before and
// after each store write, the page's write-ahead of pending rows among
// them, and each ERP apply), then reruns: no shipment applied twice or
// lost, records true. It runs on memstore and on sqlitestore.
func TestCrashAtEveryFetchStep(t *testing.T) {
	t.Parallel()
	for _, k := range []storeKind{memStore, sqliteStore} {
		for _, disable := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/disable=%v", k, disable), func(t *testing.T) {
				t.Parallel()
				world := func(t *testing.T) *env { return fetchCrashWorldOn(t, disable, k) }
				c := crashEveryStep(t, k, world, 1, func(t *testing.T, e *env, label string) { checkFetchInvariants(t, e, disable, label) })
				require.Contains(t, c.steps, "RecordShipments", "the page's write-ahead is a step")
			})
		}
	}
}
