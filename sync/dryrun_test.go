package sync_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

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
