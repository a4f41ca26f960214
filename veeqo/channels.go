package veeqo

import (
	"context"
	"iter"
	"net/http"
	"net/url"
)

// ChannelsService handles /channels (Veeqo's "stores").
type ChannelsService service

func (o *ChannelListOptions) values() (url.Values, error) {
	var opts ChannelListOptions
	if o != nil {
		opts = *o
	}
	v, err := opts.ListOptions.values()
	if err != nil {
		return nil, err
	}
	setString(v, "type_code", string(opts.TypeCode))
	return v, nil
}

// List returns one page of channels (GET /channels). Veeqo sends no paging
// headers here, so the Response's totals are zero.
func (s *ChannelsService) List(ctx context.Context, opts *ChannelListOptions) ([]Channel, *Response, error) {
	q, err := opts.values()
	if err != nil {
		return nil, nil, err
	}
	return listPage[Channel](ctx, s.client, "channels", q)
}

// ListIter streams every channel matching opts, page by page.
func (s *ChannelsService) ListIter(ctx context.Context, opts *ChannelListOptions) iter.Seq2[Channel, error] {
	var o ChannelListOptions
	if opts != nil {
		o = *opts
	}
	return iterate(max(o.Page, 1), func(page int) ([]Channel, *Response, error) {
		p := o
		p.Page = page
		return s.List(ctx, &p)
	})
}

// Get returns one channel (GET /channels/{id}).
func (s *ChannelsService) Get(ctx context.Context, id int64) (*Channel, *Response, error) {
	if id <= 0 {
		return nil, nil, invalidInput("channel id must be positive, got %d", id)
	}
	var ch Channel
	resp, err := s.client.do(ctx, request{method: http.MethodGet, path: "channels/" + itoa(id)}, &ch)
	if err != nil {
		return nil, resp, err
	}
	if ch.ID <= 0 {
		return nil, resp, errNoRecord(http.MethodGet, "/channels/"+itoa(id), "channel")
	}
	return &ch, resp, nil
}

// WarehousesService handles /warehouses.
type WarehousesService service

// List returns one page of warehouses (GET /warehouses).
func (s *WarehousesService) List(ctx context.Context, opts *ListOptions) ([]Warehouse, *Response, error) {
	return simpleList[Warehouse](ctx, s.client, "warehouses", opts)
}

// ListIter streams every warehouse, page by page.
func (s *WarehousesService) ListIter(ctx context.Context, opts *ListOptions) iter.Seq2[Warehouse, error] {
	return simpleIter(opts, func(p *ListOptions) ([]Warehouse, *Response, error) { return s.List(ctx, p) })
}

// Get returns one warehouse (GET /warehouses/{id}).
func (s *WarehousesService) Get(ctx context.Context, id int64) (*Warehouse, *Response, error) {
	return getOne[Warehouse](ctx, s.client, "warehouse", "warehouses", id)
}

// DeliveryMethodsService handles /delivery_methods.
type DeliveryMethodsService service

// List returns one page of delivery methods (GET /delivery_methods).
func (s *DeliveryMethodsService) List(ctx context.Context, opts *ListOptions) ([]DeliveryMethod, *Response, error) {
	return simpleList[DeliveryMethod](ctx, s.client, "delivery_methods", opts)
}

// ListIter streams every delivery method, page by page.
func (s *DeliveryMethodsService) ListIter(ctx context.Context, opts *ListOptions) iter.Seq2[DeliveryMethod, error] {
	return simpleIter(opts, func(p *ListOptions) ([]DeliveryMethod, *Response, error) { return s.List(ctx, p) })
}

// Get returns one delivery method (GET /delivery_methods/{id}).
func (s *DeliveryMethodsService) Get(ctx context.Context, id int64) (*DeliveryMethod, *Response, error) {
	return getOne[DeliveryMethod](ctx, s.client, "delivery method", "delivery_methods", id)
}

// CompanyService handles /current_company.
type CompanyService service

// Current returns the account's company (GET /current_company). It is the
// cheapest authenticated call: use it to check credentials (a bad key gives
// an error matching ErrUnauthorized).
func (s *CompanyService) Current(ctx context.Context) (*Company, *Response, error) {
	var c Company
	resp, err := s.client.do(ctx, request{method: http.MethodGet, path: "current_company"}, &c)
	if err != nil {
		return nil, resp, err
	}
	return &c, resp, nil
}

func simpleList[T any](ctx context.Context, c *Client, path string, opts *ListOptions) ([]T, *Response, error) {
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	q, err := o.values()
	if err != nil {
		return nil, nil, err
	}
	return listPage[T](ctx, c, path, q)
}

func simpleIter[T any](opts *ListOptions, list func(*ListOptions) ([]T, *Response, error)) iter.Seq2[T, error] {
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	return iterate(max(o.Page, 1), func(page int) ([]T, *Response, error) {
		p := o
		p.Page = page
		return list(&p)
	})
}

func getOne[T any](ctx context.Context, c *Client, what, path string, id int64) (*T, *Response, error) {
	if id <= 0 {
		return nil, nil, invalidInput("%s id must be positive, got %d", what, id)
	}
	var v T
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path + "/" + itoa(id)}, &v)
	if err != nil {
		return nil, resp, err
	}
	return &v, resp, nil
}
