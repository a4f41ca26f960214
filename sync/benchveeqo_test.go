package sync_test

import (
	"context"
	"iter"
	"sync/atomic"
	"time"

	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// timedAPI measures the wall time the engine spends inside Veeqo's calls
// (in a listing, from resuming it to its next order: the engine's handling
// of what it yields is not counted), so that the engine benchmarks can
// report the engine's own rate apart from the fake Veeqo's, which in
// process (veeqotest.Direct) is most of a run's time: a deployment spends
// that time waiting on Veeqo's servers instead.
type timedAPI struct {
	vsync.VeeqoAPI
	ns atomic.Int64
}

// inVeeqo returns the time spent inside Veeqo's calls so far.
func (t *timedAPI) inVeeqo() time.Duration { return time.Duration(t.ns.Load()) }

func (t *timedAPI) since(start time.Time) { t.ns.Add(int64(time.Since(start))) }

// timedSeq times a listing's producer, not its consumer.
func timedSeq[T any](t *timedAPI, seq iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		start := time.Now()
		defer func() { t.since(start) }()
		for v, err := range seq {
			t.since(start)
			ok := yield(v, err)
			start = time.Now()
			if !ok {
				return
			}
		}
	}
}

func (t *timedAPI) ListOrders(ctx context.Context, opts veeqo.OrderListOptions) iter.Seq2[veeqo.Order, error] {
	return timedSeq(t, t.VeeqoAPI.ListOrders(ctx, opts))
}

func (t *timedAPI) GetOrder(ctx context.Context, id int64) (*veeqo.Order, error) {
	defer t.since(time.Now())
	return t.VeeqoAPI.GetOrder(ctx, id)
}

func (t *timedAPI) CreateOrder(ctx context.Context, in *veeqo.OrderInput) (*veeqo.Order, error) {
	defer t.since(time.Now())
	return t.VeeqoAPI.CreateOrder(ctx, in)
}

func (t *timedAPI) CancelOrder(ctx context.Context, id int64, reason string) error {
	defer t.since(time.Now())
	return t.VeeqoAPI.CancelOrder(ctx, id, reason)
}

func (t *timedAPI) AddNote(ctx context.Context, id int64, text string) error {
	defer t.since(time.Now())
	return t.VeeqoAPI.AddNote(ctx, id, text)
}

func (t *timedAPI) FindOrdersByNumber(ctx context.Context, number string) ([]veeqo.Order, error) {
	defer t.since(time.Now())
	return t.VeeqoAPI.FindOrdersByNumber(ctx, number)
}

func (t *timedAPI) FindCustomerByEmail(ctx context.Context, email string) (*veeqo.Customer, error) {
	defer t.since(time.Now())
	return t.VeeqoAPI.FindCustomerByEmail(ctx, email)
}

func (t *timedAPI) CountCustomers(ctx context.Context) (int, error) {
	defer t.since(time.Now())
	return t.VeeqoAPI.CountCustomers(ctx)
}

func (t *timedAPI) Customers(ctx context.Context) iter.Seq2[veeqo.Customer, error] {
	return timedSeq(t, t.VeeqoAPI.Customers(ctx))
}

func (t *timedAPI) FindSellableBySKU(ctx context.Context, sku string) (*veeqo.Sellable, error) {
	defer t.since(time.Now())
	return t.VeeqoAPI.FindSellableBySKU(ctx, sku)
}

func (t *timedAPI) FindSellableByUPC(ctx context.Context, upc string) (*veeqo.Sellable, error) {
	defer t.since(time.Now())
	return t.VeeqoAPI.FindSellableByUPC(ctx, upc)
}

func (t *timedAPI) CountProducts(ctx context.Context) (int, error) {
	defer t.since(time.Now())
	return t.VeeqoAPI.CountProducts(ctx)
}

func (t *timedAPI) Products(ctx context.Context) iter.Seq2[veeqo.Product, error] {
	return timedSeq(t, t.VeeqoAPI.Products(ctx))
}

func (t *timedAPI) Channels(ctx context.Context) ([]veeqo.Channel, error) {
	defer t.since(time.Now())
	return t.VeeqoAPI.Channels(ctx)
}

func (t *timedAPI) DeliveryMethods(ctx context.Context) ([]veeqo.DeliveryMethod, error) {
	defer t.since(time.Now())
	return t.VeeqoAPI.DeliveryMethods(ctx)
}
