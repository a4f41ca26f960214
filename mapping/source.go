package mapping

import (
	"context"
	"fmt"
	"iter"
	"sync"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// Catalogue is the part of Veeqo the item Resolver reads. Each method is one
// kind of call; FromClient adapts a *veeqo.Client.
type Catalogue interface {
	// FindSellableBySKU returns the sellable whose sku_code is exactly sku,
	// or an error matching veeqo.ErrNotFound.
	FindSellableBySKU(ctx context.Context, sku string) (*veeqo.Sellable, error)
	// FindSellableByUPC is FindSellableBySKU on upc_code.
	FindSellableByUPC(ctx context.Context, upc string) (*veeqo.Sellable, error)
	// CountProducts returns the number of products (one cheap call:
	// page_size=1, X-Total-Count), or -1 when Veeqo did not say.
	CountProducts(ctx context.Context) (int, error)
	// Products streams every product, 100 per call.
	Products(ctx context.Context) iter.Seq2[veeqo.Product, error]
}

// ChannelSource lists Veeqo's channels (stores).
type ChannelSource interface {
	Channels(ctx context.Context) iter.Seq2[veeqo.Channel, error]
}

// DeliveryMethodSource lists Veeqo's delivery methods.
type DeliveryMethodSource interface {
	DeliveryMethods(ctx context.Context) iter.Seq2[veeqo.DeliveryMethod, error]
}

// Veeqo is everything the package reads from Veeqo.
type Veeqo interface {
	Catalogue
	ChannelSource
	DeliveryMethodSource
}

// FromClient adapts a veeqo.Client to the interfaces of this package.
func FromClient(c *veeqo.Client) Veeqo { return clientSource{c} }

type clientSource struct{ c *veeqo.Client }

func (s clientSource) FindSellableBySKU(ctx context.Context, sku string) (*veeqo.Sellable, error) {
	return s.c.Products.FindSellableBySKU(ctx, sku)
}

func (s clientSource) FindSellableByUPC(ctx context.Context, upc string) (*veeqo.Sellable, error) {
	return s.c.Products.FindSellableByUPC(ctx, upc)
}

func (s clientSource) CountProducts(ctx context.Context) (int, error) {
	items, resp, err := s.c.Products.List(ctx, &veeqo.ProductListOptions{ListOptions: veeqo.ListOptions{Page: 1, PageSize: 1}})
	if err != nil {
		return 0, fmt.Errorf("mapping: count products: %w", err)
	}
	if resp == nil || (resp.TotalCount == 0 && len(items) > 0) {
		return -1, nil // no X-Total-Count: unknown
	}
	return resp.TotalCount, nil
}

func (s clientSource) Products(ctx context.Context) iter.Seq2[veeqo.Product, error] {
	return s.c.Products.ListIter(ctx, &veeqo.ProductListOptions{ListOptions: veeqo.ListOptions{PageSize: veeqo.MaxPageSize}})
}

func (s clientSource) Channels(ctx context.Context) iter.Seq2[veeqo.Channel, error] {
	return s.c.Channels.ListIter(ctx, &veeqo.ChannelListOptions{ListOptions: veeqo.ListOptions{PageSize: veeqo.MaxPageSize}})
}

func (s clientSource) DeliveryMethods(ctx context.Context) iter.Seq2[veeqo.DeliveryMethod, error] {
	return s.c.DeliveryMethods.ListIter(ctx, &veeqo.ListOptions{PageSize: veeqo.MaxPageSize})
}

// lazy loads a value once, on first use, sharing one load among concurrent
// callers. A failed load is not kept: the next caller tries again. Waiting
// ends with the caller's context.
type lazy[T any] struct {
	mu       sync.Mutex
	done     bool
	val      T
	inflight chan struct{}
}

func (l *lazy[T]) get(ctx context.Context, load func(context.Context) (T, error)) (T, error) {
	for {
		l.mu.Lock()
		if l.done {
			v := l.val
			l.mu.Unlock()
			return v, nil
		}
		if ch := l.inflight; ch != nil {
			l.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				var zero T
				return zero, ctx.Err()
			}
		}
		ch := make(chan struct{})
		l.inflight = ch
		l.mu.Unlock()

		v, err := load(ctx)

		l.mu.Lock()
		l.inflight = nil
		if err == nil {
			l.val, l.done = v, true
		}
		l.mu.Unlock()
		close(ch)
		return v, err
	}
}

// reset forgets a loaded value, so that the next get loads again.
func (l *lazy[T]) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	var zero T
	l.val, l.done = zero, false
}
