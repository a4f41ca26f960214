package veeqo

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
)

// ProductsService handles /products.
type ProductsService service

func (o *ProductListOptions) values() (url.Values, error) {
	var opts ProductListOptions
	if o != nil {
		opts = *o
	}
	v, err := opts.ListOptions.values()
	if err != nil {
		return nil, err
	}
	setInt(v, "since_id", opts.SinceID)
	setInt(v, "warehouse_id", opts.WarehouseID)
	setTime(v, "created_at_min", opts.CreatedAtMin)
	setTime(v, "updated_at_min", opts.UpdatedAtMin)
	setString(v, "query", opts.Query)
	return v, nil
}

// List returns one page of products (GET /products).
func (s *ProductsService) List(ctx context.Context, opts *ProductListOptions) ([]Product, *Response, error) {
	q, err := opts.values()
	if err != nil {
		return nil, nil, err
	}
	return listPage[Product](ctx, s.client, "products", q)
}

// ListIter streams every product matching opts, page by page.
func (s *ProductsService) ListIter(ctx context.Context, opts *ProductListOptions) iter.Seq2[Product, error] {
	var o ProductListOptions
	if opts != nil {
		o = *opts
	}
	return iterate(max(o.Page, 1), func(page int) ([]Product, *Response, error) {
		p := o
		p.Page = page
		return s.List(ctx, &p)
	})
}

// Get returns one product (GET /products/{id}).
func (s *ProductsService) Get(ctx context.Context, id int64) (*Product, *Response, error) {
	if id <= 0 {
		return nil, nil, invalidInput("product id must be positive, got %d", id)
	}
	var p Product
	resp, err := s.client.do(ctx, request{method: http.MethodGet, path: "products/" + itoa(id)}, &p)
	if err != nil {
		return nil, resp, err
	}
	if p.ID <= 0 {
		return nil, resp, errNoRecord(http.MethodGet, "/products/"+itoa(id), "product")
	}
	return &p, resp, nil
}

// Search returns every product Veeqo's fuzzy ?query= matches (name or SKU),
// reading as many pages as there are.
func (s *ProductsService) Search(ctx context.Context, query string) ([]Product, error) {
	if strings.TrimSpace(query) == "" {
		return nil, invalidInput("product search query is empty")
	}
	var out []Product
	for p, err := range s.ListIter(ctx, &ProductListOptions{Query: query}) {
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// FindSellableBySKU returns the sellable whose sku_code is exactly sku
// (case-sensitive), searching GET /products?query=sku page by page and
// stopping at the first match. Deleted products are skipped. The error
// matches ErrNotFound when nothing matches.
func (s *ProductsService) FindSellableBySKU(ctx context.Context, sku string) (*Sellable, error) {
	if strings.TrimSpace(sku) == "" {
		return nil, invalidInput("SKU is empty")
	}
	return s.findSellable(ctx, sku, "SKU", func(sl *Sellable) bool { return sl.SKUCode == sku })
}

// FindSellableByUPC returns the sellable whose upc_code is exactly upc, like
// FindSellableBySKU. Whether Veeqo's ?query= searches UPCs is not
// documented; the client filters exactly either way.
func (s *ProductsService) FindSellableByUPC(ctx context.Context, upc string) (*Sellable, error) {
	if strings.TrimSpace(upc) == "" {
		return nil, invalidInput("UPC is empty")
	}
	return s.findSellable(ctx, upc, "UPC", func(sl *Sellable) bool { return sl.UPCCode == upc })
}

func (s *ProductsService) findSellable(ctx context.Context, query, what string, match func(*Sellable) bool) (*Sellable, error) {
	for p, err := range s.ListIter(ctx, &ProductListOptions{Query: query}) {
		if err != nil {
			return nil, err
		}
		if p.DeletedAt != nil {
			continue
		}
		for i := range p.Sellables {
			sl := p.Sellables[i]
			if match(&sl) {
				if sl.ProductID == 0 {
					sl.ProductID = p.ID
				}
				if sl.ProductTitle == "" {
					sl.ProductTitle = p.Title
				}
				return &sl, nil
			}
		}
	}
	return nil, fmt.Errorf("veeqo: no sellable with %s %q: %w", what, query, ErrNotFound)
}
