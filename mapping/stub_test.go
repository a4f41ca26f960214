package mapping_test

import (
	"context"
	"fmt"
	"iter"
	"sync"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// stubVeeqo is an in-process stand-in for Veeqo that counts calls. gate,
// when set, blocks every call until it is closed (for concurrency tests).
type stubVeeqo struct {
	mu        sync.Mutex
	products  []veeqo.Product
	channels  []veeqo.Channel
	methods   []veeqo.DeliveryMethod
	count     int   // what CountProducts answers; -1 for unknown
	err       error // returned by every call when set
	calls     map[string]int
	gate      chan struct{}
	keyCalled map[string]int
}

func newStub() *stubVeeqo {
	return &stubVeeqo{calls: map[string]int{}, keyCalled: map[string]int{}, count: -2}
}

func (s *stubVeeqo) addSKUs(skus ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sku := range skus {
		id := int64(len(s.products) + 1)
		s.products = append(s.products, veeqo.Product{ID: 1000 + id, Title: "Product " + sku, Sellables: []veeqo.Sellable{
			{ID: 5000 + id, SKUCode: sku, UPCCode: fmt.Sprintf("0000%04d", id)},
		}})
	}
}

func (s *stubVeeqo) call(ctx context.Context, name, key string) error {
	s.mu.Lock()
	s.calls[name]++
	if key != "" {
		s.keyCalled[name+":"+key]++
	}
	gate, err := s.gate, s.err
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}

func (s *stubVeeqo) Calls(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[name]
}

func (s *stubVeeqo) find(ctx context.Context, name, value string, match func(*veeqo.Sellable) bool) (*veeqo.Sellable, error) {
	if err := s.call(ctx, name, value); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.products {
		for _, sl := range p.Sellables {
			if match(&sl) {
				sl.ProductID = p.ID
				return &sl, nil
			}
		}
	}
	return nil, fmt.Errorf("stub: no sellable %q: %w", value, veeqo.ErrNotFound)
}

func (s *stubVeeqo) FindSellableBySKU(ctx context.Context, sku string) (*veeqo.Sellable, error) {
	return s.find(ctx, "sku", sku, func(sl *veeqo.Sellable) bool { return sl.SKUCode == sku })
}

func (s *stubVeeqo) FindSellableByUPC(ctx context.Context, upc string) (*veeqo.Sellable, error) {
	return s.find(ctx, "upc", upc, func(sl *veeqo.Sellable) bool { return sl.UPCCode == upc })
}

func (s *stubVeeqo) CountProducts(ctx context.Context) (int, error) {
	if err := s.call(ctx, "count", ""); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.count != -2 {
		return s.count, nil
	}
	return len(s.products), nil
}

// Products yields the products; each 100 count as one call, like Veeqo's
// pages.
func (s *stubVeeqo) Products(ctx context.Context) iter.Seq2[veeqo.Product, error] {
	return func(yield func(veeqo.Product, error) bool) {
		s.mu.Lock()
		products := append([]veeqo.Product(nil), s.products...)
		s.mu.Unlock()
		for i := 0; i == 0 || i < len(products); i += 100 {
			if err := s.call(ctx, "products", ""); err != nil {
				yield(veeqo.Product{}, err)
				return
			}
			for _, p := range products[i:min(i+100, len(products))] {
				if !yield(p, nil) {
					return
				}
			}
		}
	}
}

func (s *stubVeeqo) Channels(ctx context.Context) iter.Seq2[veeqo.Channel, error] {
	return func(yield func(veeqo.Channel, error) bool) {
		if err := s.call(ctx, "channels", ""); err != nil {
			yield(veeqo.Channel{}, err)
			return
		}
		s.mu.Lock()
		chs := append([]veeqo.Channel(nil), s.channels...)
		s.mu.Unlock()
		for _, c := range chs {
			if !yield(c, nil) {
				return
			}
		}
	}
}

func (s *stubVeeqo) DeliveryMethods(ctx context.Context) iter.Seq2[veeqo.DeliveryMethod, error] {
	return func(yield func(veeqo.DeliveryMethod, error) bool) {
		if err := s.call(ctx, "delivery_methods", ""); err != nil {
			yield(veeqo.DeliveryMethod{}, err)
			return
		}
		s.mu.Lock()
		ms := append([]veeqo.DeliveryMethod(nil), s.methods...)
		s.mu.Unlock()
		for _, m := range ms {
			if !yield(m, nil) {
				return
			}
		}
	}
}
