package sync_test

import (
	"context"
	"fmt"
	"iter"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// cancelDuringListing cancels one already-listed order of the default
// (not cancelled) listing once its first page has been handed out: the
// order leaves the filtered set while the listing is paged.
type cancelDuringListing struct {
	vsync.VeeqoAPI
	srv  *veeqotest.Server
	done atomic.Bool
}

func (c *cancelDuringListing) ListOrders(ctx context.Context, opts veeqo.OrderListOptions) iter.Seq2[veeqo.Order, error] {
	inner := c.VeeqoAPI.ListOrders(ctx, opts)
	if opts.Status != "" {
		return inner
	}
	return func(yield func(veeqo.Order, error) bool) {
		n := 0
		var first int64
		for o, err := range inner {
			if !yield(o, err) || err != nil {
				return
			}
			n++
			if n == 1 {
				first = o.ID
			}
			if n == opts.PageSize && c.done.CompareAndSwap(false, true) {
				if err := c.srv.CancelOrder(first, "customer changed their mind"); err != nil {
					panic(err)
				}
			}
		}
	}
}

// Veeqo pages /orders newest id first. An order that leaves the listed set
// while the listing is paged (cancelled: the default listing leaves
// cancelled orders out) shifts every later order up by one, so the first
// order of the next page lands on the page already read and is never
// handed out. The cursor must not advance past it: an exported order whose
// shipment was missed that way is never listed again (its updated_at falls
// before the next window), and the shipment never reaches the ERP
// (invariant 2).
func TestConfirmationNotMissedWhenAnOrderIsCancelledDuringPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eng := e.engine()
	o := e.exportSO1(t, eng) // the oldest order: last in the newest-first listing

	e.clk.Advance(time.Minute)
	_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z", CarrierID: 5})
	require.NoError(t, err)

	// A busy hour of marketplace orders: a full page newer than SO-1.
	e.clk.Advance(time.Hour)
	for i := range veeqo.MaxPageSize {
		e.srv.AddOrder(veeqo.Order{Number: fmt.Sprintf("AMZ-%03d", i), Channel: &e.amazon})
	}
	e.clk.Advance(time.Minute)
	api := &cancelDuringListing{VeeqoAPI: vsync.ClientAPI(e.client), srv: e.srv}
	_, err = e.engine(withAPI(api)).Run(context.Background(), vsync.RunOptions{Trigger: "test"})
	require.NoError(t, err)
	require.True(t, api.done.Load(), "an order was cancelled while the listing was paged")

	for range 2 {
		e.clk.Advance(time.Minute)
		e.run(eng)
	}
	assert.Equal(t, map[string]int{"1": 2, "2": 1}, shippedOf(e.erpOrder("SO-1")), "the shipment reached the ERP")
	assert.Len(t, e.erp.Applied(), 1)
}

// The same in fetch mode, which lists only the default status: a
// marketplace order cancelled while the listing is paged must not cost an
// older order its fulfillment.
func TestFetchNotMissedWhenAnOrderIsCancelledDuringPaging(t *testing.T) {
	t.Parallel()
	e := fetchWorld(t)
	e.erp.Put(vsync.ERPOrder{Ref: "AMZ-1", Number: "111-0000001", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1, Allocated: 1}}})
	o := e.addMarketplaceOrder("111-0000001", e.amazon, map[string]int{"MUG-1": 1})
	eng := e.engine()
	e.run(eng)

	e.clk.Advance(time.Minute)
	_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{CarrierID: 3})
	require.NoError(t, err)
	e.clk.Advance(time.Hour)
	for i := range veeqo.MaxPageSize {
		num := fmt.Sprintf("111-1%06d", i)
		e.erp.Put(vsync.ERPOrder{Ref: "AMZ-N" + num, Number: num, Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 1, Allocated: 1}}})
		e.addMarketplaceOrder(num, e.amazon, map[string]int{"MUG-1": 1})
	}
	e.clk.Advance(time.Minute)
	api := &cancelDuringListing{VeeqoAPI: vsync.ClientAPI(e.client), srv: e.srv}
	_, err = e.engine(withAPI(api)).Run(context.Background(), vsync.RunOptions{Trigger: "test"})
	require.NoError(t, err)
	require.True(t, api.done.Load(), "an order was cancelled while the listing was paged")

	for range 2 {
		e.clk.Advance(time.Minute)
		e.run(eng)
	}
	assert.Equal(t, map[string]int{"1": 1}, shippedOf(e.erpOrder("AMZ-1")), "the fulfillment reached the ERP")
}
