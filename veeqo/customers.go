package veeqo

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
)

// CustomersService handles /customers.
type CustomersService service

func (o *CustomerListOptions) values() (url.Values, error) {
	var opts CustomerListOptions
	if o != nil {
		opts = *o
	}
	v, err := opts.ListOptions.values()
	if err != nil {
		return nil, err
	}
	setString(v, "query", opts.Query)
	return v, nil
}

// List returns one page of customers (GET /customers).
func (s *CustomersService) List(ctx context.Context, opts *CustomerListOptions) ([]Customer, *Response, error) {
	q, err := opts.values()
	if err != nil {
		return nil, nil, err
	}
	return listPage[Customer](ctx, s.client, "customers", q)
}

// ListIter streams every customer matching opts, page by page. Veeqo's page
// count on /customers stops at 100 pages; narrow deep scans with Query.
func (s *CustomersService) ListIter(ctx context.Context, opts *CustomerListOptions) iter.Seq2[Customer, error] {
	var o CustomerListOptions
	if opts != nil {
		o = *opts
	}
	return iterate(max(o.Page, 1), func(page int) ([]Customer, *Response, error) {
		p := o
		p.Page = page
		return s.List(ctx, &p)
	})
}

// Count returns how many customers Veeqo has, in one call (page_size=1,
// read from X-Total-Count), or -1 when Veeqo did not say. Veeqo's page
// count on /customers stops at 100 pages, so a listing of more than
// 100*MaxPageSize customers is never whole: check the count before relying
// on one.
func (s *CustomersService) Count(ctx context.Context) (int, error) {
	items, resp, err := s.List(ctx, &CustomerListOptions{ListOptions: ListOptions{Page: 1, PageSize: 1}})
	if err != nil {
		return 0, fmt.Errorf("veeqo: count customers: %w", err)
	}
	if resp == nil || resp.Header.Get("X-Total-Count") == "" || (resp.TotalCount == 0 && len(items) > 0) {
		return -1, nil
	}
	return resp.TotalCount, nil
}

// Get returns one customer (GET /customers/{id}).
func (s *CustomersService) Get(ctx context.Context, id int64) (*Customer, *Response, error) {
	return getOne[Customer](ctx, s.client, "customer", "customers", id)
}

type customerDoc struct {
	Customer *CustomerInput `json:"customer"`
}

// Create creates a customer (POST /customers, body {"customer": ...}). Not
// replayed when its outcome is unknown: FindByEmail before trying again.
func (s *CustomersService) Create(ctx context.Context, in *CustomerInput) (*Customer, *Response, error) {
	if in == nil {
		return nil, nil, invalidInput("CustomerInput is nil")
	}
	if strings.TrimSpace(in.Email) == "" {
		return nil, nil, invalidInput("CustomerInput.Email is required")
	}
	var c Customer
	resp, err := s.client.do(ctx, request{method: http.MethodPost, path: "customers", body: customerDoc{in}}, &c)
	if err != nil {
		return nil, resp, err
	}
	if c.ID <= 0 {
		return nil, resp, errNoID(http.MethodPost, "/customers", resp.StatusCode, "customer")
	}
	return &c, resp, nil
}

// FindByEmail returns the first customer whose email equals email, ignoring
// case and surrounding space, searching Veeqo's fuzzy ?query= page by page.
// The error matches ErrNotFound when none does.
func (s *CustomersService) FindByEmail(ctx context.Context, email string) (*Customer, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, invalidInput("customer email is empty")
	}
	for c, err := range s.ListIter(ctx, &CustomerListOptions{Query: email}) {
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(strings.TrimSpace(c.Email), email) {
			return &c, nil
		}
	}
	return nil, fmt.Errorf("veeqo: no customer with email %q: %w", email, ErrNotFound)
}
