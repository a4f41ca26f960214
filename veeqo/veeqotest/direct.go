package veeqotest

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/shopspring/decimal"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// Direct is the Server's state reached in-process: the calls the engine
// makes (vsync.VeeqoAPI's method set, which it satisfies structurally: the
// package does not import sync) answered by the same state code the HTTP
// handlers run, with no HTTP and no JSON. What a *veeqo.Client would hand
// back through the HTTP fake, Direct hands back: values copied, never
// shared with the state; the same errors (a *veeqo.APIError with the status
// the fake answers, matching veeqo.ErrNotFound, ErrInvalidRequest, ...;
// input the client refuses to send matches veeqo.ErrInvalidRequest); the
// same paging (one call per page of 100, Requests counting them as the
// client counts HTTP requests) and Veeqo's search lag (WithSearchLag).
//
// It is for benchmarks of the engine, whose cost it leaves undiluted by the
// fake's HTTP and JSON. It has none of the HTTP side: no faults, latency or
// rate limit, and its calls are not in the request log (Requests, Count).
// A conformance test runs every method through both and compares them.
type Direct struct {
	s        *Server
	requests atomic.Int64
}

// Direct returns an in-process client of the server's state (see Direct).
// Each call returns a new one with its own request count.
func (s *Server) Direct() *Direct { return &Direct{s: s} }

// Requests returns how many calls (pages, for a listing) were made so far,
// as veeqo.Client.Requests counts HTTP requests.
func (d *Direct) Requests() int64 { return d.requests.Load() }

// call counts one request and fails with the context's error when it is
// done, as a client's request would.
func (d *Direct) call(ctx context.Context, method, path string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("veeqo: %s %s: %w", method, path, err)
	}
	d.requests.Add(1)
	return nil
}

// apiErr is the *veeqo.APIError the client makes of the fake's answer.
func (d *Direct) apiErr(method, path string, e *apiError) error {
	return &veeqo.APIError{Method: method, URL: d.s.URL() + path, StatusCode: e.status, Messages: append([]string(nil), e.msgs...), Attempts: 1}
}

func invalidInput(format string, args ...any) error {
	return fmt.Errorf("veeqo: %s: %w", fmt.Sprintf(format, args...), veeqo.ErrInvalidRequest)
}

// listOptions are the paging parameters the client sends.
func listOptions(o veeqo.ListOptions) (url.Values, error) {
	if o.Page < 0 {
		return nil, invalidInput("ListOptions.Page must not be negative, got %d", o.Page)
	}
	if o.PageSize < 0 {
		return nil, invalidInput("ListOptions.PageSize must not be negative, got %d", o.PageSize)
	}
	size := o.PageSize
	if size == 0 {
		size = veeqo.DefaultPageSize
	}
	v := url.Values{}
	v.Set("page", strconv.Itoa(max(o.Page, 1)))
	v.Set("page_size", strconv.Itoa(min(size, veeqo.MaxPageSize)))
	return v, nil
}

// pages walks a listing as the client does: from q's page, one call per
// page, up to a short page or the page count. filter is re-read on each
// page, as each HTTP request filters the state afresh.
func pages[T any](ctx context.Context, d *Direct, path string, q url.Values, headers bool,
	filter func(st *state) []int64, render func(st *state, id int64) T) iter.Seq2[T, error] {
	return cappedPages(ctx, d, path, q, 0, headers, filter, render)
}

// cappedPages is pages with Veeqo's deep-paging bug when pageCap > 0 (the
// page count stops there; /customers).
func cappedPages[T any](ctx context.Context, d *Direct, path string, q url.Values, pageCap int, headers bool,
	filter func(st *state) []int64, render func(st *state, id int64) T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		q := cloneValues(q)
		page, _ := strconv.Atoi(q.Get("page"))
		for {
			if err := d.call(ctx, http.MethodGet, "/"+path); err != nil {
				yield(zero, err)
				return
			}
			q.Set("page", strconv.Itoa(page))
			items, total, pg := pageOf(d.s, q, "page_size", 100, pageCap, headers, filter, render)
			if pg.bad {
				yield(zero, d.apiErr(http.MethodGet, "/"+path, &apiError{status: http.StatusBadRequest, msgs: []string{"Infinity"}}))
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			size, _ := strconv.Atoi(q.Get("page_size"))
			totalPages := 0
			if headers {
				size = pg.size // X-Per-Page
				totalPages = (total + pg.size - 1) / pg.size
				if pg.capPages > 0 {
					totalPages = min(totalPages, pg.capPages)
				}
			}
			if len(items) < size || totalPages > 0 && page >= totalPages {
				return
			}
			page++
		}
	}
}

// ListOrders streams the orders opts selects, every page (GET /orders).
func (d *Direct) ListOrders(ctx context.Context, opts veeqo.OrderListOptions) iter.Seq2[veeqo.Order, error] {
	q, err := orderQueryValues(opts)
	if err != nil {
		return func(yield func(veeqo.Order, error) bool) { yield(veeqo.Order{}, err) }
	}
	return pages(ctx, d, "orders", q, true, d.s.orderFilter(q), renderOrder)
}

// orderQueryValues is the query the client sends for opts.
func orderQueryValues(opts veeqo.OrderListOptions) (url.Values, error) {
	v, err := listOptions(opts.ListOptions)
	if err != nil {
		return nil, err
	}
	if opts.SinceID < 0 {
		return nil, invalidInput("OrderListOptions.SinceID must not be negative, got %d", opts.SinceID)
	}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	if opts.SinceID != 0 {
		set("since_id", strconv.FormatInt(opts.SinceID, 10))
	}
	if !opts.CreatedAtMin.IsZero() {
		set("created_at_min", veeqo.FormatTime(opts.CreatedAtMin))
	}
	if !opts.UpdatedAtMin.IsZero() {
		set("updated_at_min", veeqo.FormatTime(opts.UpdatedAtMin))
	}
	set("status", string(opts.Status))
	set("query", opts.Query)
	set("tags", opts.Tags)
	if opts.AllocatedAt != 0 {
		set("allocated_at", strconv.FormatInt(opts.AllocatedAt, 10))
	}
	for _, id := range opts.ChannelIDs {
		v.Add("channel_ids[]", strconv.FormatInt(id, 10))
	}
	return v, nil
}

// GetOrder reads one order (GET /orders/{id}).
func (d *Direct) GetOrder(ctx context.Context, id int64) (*veeqo.Order, error) {
	if id <= 0 {
		return nil, invalidInput("order id must be positive, got %d", id)
	}
	path := "/orders/" + itoa(id)
	if err := d.call(ctx, http.MethodGet, path); err != nil {
		return nil, err
	}
	var out veeqo.Order
	var aerr *apiError
	d.s.withState(func(st *state) {
		rec, e := st.findOrder(id)
		if aerr = e; e == nil {
			out = st.render(rec)
		}
	})
	if aerr != nil {
		return nil, d.apiErr(http.MethodGet, path, aerr)
	}
	return &out, nil
}

// CreateOrder creates an order (POST /orders) from what the client would
// send for in.
func (d *Direct) CreateOrder(ctx context.Context, in *veeqo.OrderInput) (*veeqo.Order, error) {
	if err := validateOrderCreate(in); err != nil {
		return nil, err
	}
	if err := d.call(ctx, http.MethodPost, "/orders"); err != nil {
		return nil, err
	}
	body := orderInputObj(in)
	now := d.s.now()
	var out veeqo.Order
	var aerr *apiError
	d.s.withState(func(st *state) {
		rec, e := st.createOrder(body, now, d.s.cfg.autoAllocate)
		if aerr = e; e == nil {
			out = st.render(rec)
		}
	})
	if aerr != nil {
		return nil, d.apiErr(http.MethodPost, "/orders", aerr)
	}
	return &out, nil
}

// validateOrderCreate is the client's check before it sends a create.
func validateOrderCreate(in *veeqo.OrderInput) error {
	switch {
	case in == nil:
		return invalidInput("OrderInput is nil")
	case in.ChannelID <= 0:
		return invalidInput("OrderInput.ChannelID is required")
	case in.CustomerID <= 0 && in.Customer == nil:
		return invalidInput("OrderInput needs CustomerID or Customer")
	case in.DeliverToID <= 0 && in.DeliverTo == nil:
		return invalidInput("OrderInput needs DeliverToID or DeliverTo")
	case len(in.LineItems) == 0:
		return invalidInput("OrderInput.LineItems is empty")
	}
	for i, l := range in.LineItems {
		if l.SellableID <= 0 {
			return invalidInput("OrderInput.LineItems[%d].SellableID must be positive, got %d", i, l.SellableID)
		}
		if l.Quantity <= 0 {
			return invalidInput("OrderInput.LineItems[%d].Quantity must be positive, got %d", i, l.Quantity)
		}
	}
	return nil
}

// orderInputObj is the request body the client encodes for in, as the
// handlers decode it: keys by veeqo.OrderInput's JSON tags, omitted when
// empty where the tag says omitempty, numbers as json.Number and decimals
// as strings (shopspring's JSON form).
func orderInputObj(in *veeqo.OrderInput) obj {
	o := obj{"send_notification_email": in.SendNotificationEmail}
	setID(o, "channel_id", in.ChannelID)
	setStr(o, "number", in.Number)
	setID(o, "customer_id", in.CustomerID)
	if c := in.Customer; c != nil {
		o["customer_attributes"] = customerInputObj(c)
	}
	setID(o, "deliver_to_id", in.DeliverToID)
	if in.DeliverTo != nil {
		o["deliver_to_attributes"] = addressObj(in.DeliverTo)
	}
	setID(o, "delivery_method_id", in.DeliveryMethodID)
	setStr(o, "due_date", in.DueDate)
	for _, kv := range [...]struct {
		k string
		v *decimal.Decimal
	}{{"delivery_cost", in.DeliveryCost}, {"total_tax", in.TotalTax}, {"total_discounts", in.TotalDiscounts}} {
		if kv.v != nil {
			o[kv.k] = kv.v.String()
		}
	}
	if len(in.LineItems) > 0 {
		o["line_items_attributes"] = lineItemsObj(in.LineItems)
	}
	if p := in.Payment; p != nil {
		m := map[string]any{"payment_type": string(p.PaymentType)}
		setID(m, "id", p.ID)
		setStr(m, "reference_number", p.ReferenceNumber)
		o["payment_attributes"] = m
	}
	if in.CustomerNote != nil {
		o["customer_note_attributes"] = map[string]any{"text": in.CustomerNote.Text}
	}
	if len(in.EmployeeNotes) > 0 {
		notes := make([]any, 0, len(in.EmployeeNotes))
		for _, n := range in.EmployeeNotes {
			notes = append(notes, map[string]any{"text": n.Text})
		}
		o["employee_notes_attributes"] = notes
	}
	return o
}

// customerInputObj is an order's customer_attributes as orderInputObj
// builds them.
func customerInputObj(c *veeqo.CustomerInput) map[string]any {
	m := map[string]any{"email": c.Email}
	setStr(m, "phone", c.Phone)
	setStr(m, "mobile", c.Mobile)
	setStr(m, "notes", c.Notes)
	setStr(m, "customer_type", c.CustomerType)
	if c.BillingAddress != nil {
		m["billing_address_attributes"] = addressObj(c.BillingAddress)
	}
	return m
}

// lineItemsObj is an order's line_items_attributes as orderInputObj builds
// them.
func lineItemsObj(items []veeqo.LineItemInput) []any {
	lines := make([]any, 0, len(items))
	for _, l := range items {
		m := map[string]any{
			"sellable_id":    json.Number(strconv.FormatInt(l.SellableID, 10)),
			"quantity":       json.Number(strconv.Itoa(l.Quantity)),
			"price_per_unit": l.PricePerUnit.String(),
		}
		if v := decString(l.TaxRate); v != nil {
			m["tax_rate"] = *v
		}
		if v := decString(l.TaxlessDiscountPerUnit); v != nil {
			m["taxless_discount_per_unit"] = *v
		}
		setStr(m, "additional_options", l.AdditionalOptions)
		lines = append(lines, m)
	}
	return lines
}

// setID sets an id field as the client encodes it (a JSON number), left
// out when zero.
func setID(m map[string]any, k string, v int64) {
	if v != 0 {
		m[k] = json.Number(strconv.FormatInt(v, 10))
	}
}

// setStr sets a string field, left out when empty (omitempty).
func setStr(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

func addressObj(a *veeqo.Address) map[string]any {
	m := map[string]any{}
	for _, kv := range [...][2]string{{"first_name", a.FirstName}, {"last_name", a.LastName}, {"company", a.Company},
		{"address1", a.Address1}, {"address2", a.Address2}, {"city", a.City}, {"state", a.State}, {"zip", a.Zip},
		{"country", a.Country}, {"phone", a.Phone}, {"email", a.Email}} {
		if kv[1] != "" {
			m[kv[0]] = kv[1]
		}
	}
	if a.ID != 0 {
		m["id"] = json.Number(strconv.FormatInt(a.ID, 10))
	}
	return m
}

func decString(d *decimal.Decimal) *string {
	if d == nil {
		return nil
	}
	s := d.String()
	return &s
}

// CancelOrder cancels an order with a reason (PUT /orders/{id}/cancel).
func (d *Direct) CancelOrder(ctx context.Context, id int64, reason string) error {
	if id <= 0 {
		return invalidInput("order id must be positive, got %d", id)
	}
	path := "/orders/" + itoa(id) + "/cancel"
	if err := d.call(ctx, http.MethodPut, path); err != nil {
		return err
	}
	now := d.s.now()
	var aerr *apiError
	d.s.withState(func(st *state) {
		rec, e := st.findOrder(id)
		if aerr = e; e != nil {
			return
		}
		if err := st.cancel(rec, reason, now); err != nil {
			aerr = errInvalid("Order can't be cancelled once shipped")
		}
	})
	if aerr != nil {
		return d.apiErr(http.MethodPut, path, aerr)
	}
	return nil
}

// AddNote adds an employee note to an order (POST /orders/{id}/notes).
func (d *Direct) AddNote(ctx context.Context, id int64, text string) error {
	if id <= 0 {
		return invalidInput("order id must be positive, got %d", id)
	}
	if strings.TrimSpace(text) == "" {
		return invalidInput("note text is empty")
	}
	path := "/orders/" + itoa(id) + "/notes"
	if err := d.call(ctx, http.MethodPost, path); err != nil {
		return err
	}
	now := d.s.now()
	var aerr *apiError
	d.s.withState(func(st *state) {
		rec, e := st.findOrder(id)
		if aerr = e; e != nil {
			return
		}
		rec.o.EmployeeNotes = append(rec.o.EmployeeNotes, veeqo.Note{ID: st.id("note"), OrderID: id, Text: text, CreatedAt: now})
		st.touch(rec, now)
	})
	if aerr != nil {
		return d.apiErr(http.MethodPost, path, aerr)
	}
	return nil
}

// FindOrdersByNumber returns the orders numbered exactly number, as
// veeqo's Orders.FindByNumber does: the search, then the cancelled ones.
func (d *Direct) FindOrdersByNumber(ctx context.Context, number string) ([]veeqo.Order, error) {
	if strings.TrimSpace(number) == "" {
		return nil, invalidInput("order number is empty")
	}
	var out []veeqo.Order
	seen := map[int64]bool{}
	for _, status := range []veeqo.OrderStatus{"", veeqo.StatusCancelled} {
		for o, err := range d.ListOrders(ctx, veeqo.OrderListOptions{Query: number, Status: status}) {
			if err != nil {
				return nil, err
			}
			if o.Number == number && !seen[o.ID] {
				seen[o.ID] = true
				out = append(out, o)
			}
		}
	}
	return out, nil
}

// FindCustomerByEmail returns the first customer whose email is email,
// ignoring case and surrounding space (the customers search, page by
// page); an error matching veeqo.ErrNotFound if none.
func (d *Direct) FindCustomerByEmail(ctx context.Context, email string) (*veeqo.Customer, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, invalidInput("customer email is empty")
	}
	q, _ := listOptions(veeqo.ListOptions{})
	q.Set("query", email)
	for c, err := range pages(ctx, d, "customers", q, true, customerFilter(q), renderCustomer) {
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(strings.TrimSpace(c.Email), email) {
			return &c, nil
		}
	}
	return nil, fmt.Errorf("veeqo: no customer with email %q: %w", email, veeqo.ErrNotFound)
}

// FindSellableBySKU returns the sellable whose sku_code is exactly sku
// (the products search, page by page); veeqo.ErrNotFound if none.
func (d *Direct) FindSellableBySKU(ctx context.Context, sku string) (*veeqo.Sellable, error) {
	if strings.TrimSpace(sku) == "" {
		return nil, invalidInput("SKU is empty")
	}
	return d.findSellable(ctx, sku, "SKU", func(sl *veeqo.Sellable) bool { return sl.SKUCode == sku })
}

// FindSellableByUPC is FindSellableBySKU on upc_code.
func (d *Direct) FindSellableByUPC(ctx context.Context, upc string) (*veeqo.Sellable, error) {
	if strings.TrimSpace(upc) == "" {
		return nil, invalidInput("UPC is empty")
	}
	return d.findSellable(ctx, upc, "UPC", func(sl *veeqo.Sellable) bool { return sl.UPCCode == upc })
}

func (d *Direct) findSellable(ctx context.Context, query, what string, match func(*veeqo.Sellable) bool) (*veeqo.Sellable, error) {
	q, _ := listOptions(veeqo.ListOptions{})
	q.Set("query", query)
	for p, err := range pages(ctx, d, "products", q, true, productFilter(q), renderProduct) {
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
	return nil, fmt.Errorf("veeqo: no sellable with %s %q: %w", what, query, veeqo.ErrNotFound)
}

// CountProducts returns the number of products in one call (page_size=1
// and the total count).
func (d *Direct) CountProducts(ctx context.Context) (int, error) {
	if err := d.call(ctx, http.MethodGet, "/products"); err != nil {
		return 0, fmt.Errorf("mapping: count products: %w", err)
	}
	q, _ := listOptions(veeqo.ListOptions{Page: 1, PageSize: 1})
	_, total, _ := pageOf(d.s, q, "page_size", 100, 0, true, productFilter(q), renderProduct)
	return total, nil
}

// CountCustomers returns the number of customers in one call (page_size=1
// and the total count).
func (d *Direct) CountCustomers(ctx context.Context) (int, error) {
	if err := d.call(ctx, http.MethodGet, "/customers"); err != nil {
		return 0, fmt.Errorf("veeqo: count customers: %w", err)
	}
	q, _ := listOptions(veeqo.ListOptions{Page: 1, PageSize: 1})
	_, total, _ := pageOf(d.s, q, "page_size", 100, 0, true, customerFilter(q), renderCustomer)
	return total, nil
}

// Customers streams the customer list, 100 a call, stopping at the page
// count (which the deep-paging cap, when set, stops short).
func (d *Direct) Customers(ctx context.Context) iter.Seq2[veeqo.Customer, error] {
	q, _ := listOptions(veeqo.ListOptions{PageSize: veeqo.MaxPageSize})
	return cappedPages(ctx, d, "customers", q, d.s.customerPageCap(), true, customerFilter(q), renderCustomer)
}

// Products streams the catalogue, 100 products a call.
func (d *Direct) Products(ctx context.Context) iter.Seq2[veeqo.Product, error] {
	q, _ := listOptions(veeqo.ListOptions{PageSize: veeqo.MaxPageSize})
	return pages(ctx, d, "products", q, true, productFilter(q), renderProduct)
}

// Channels lists every channel (up to Veeqo's page, as the client reads
// the header-less listing).
func (d *Direct) Channels(ctx context.Context) ([]veeqo.Channel, error) {
	q, _ := listOptions(veeqo.ListOptions{PageSize: veeqo.MaxPageSize})
	return collect(pages(ctx, d, "channels", q, false, channelFilter(q), renderChannel))
}

// DeliveryMethods lists every delivery method.
func (d *Direct) DeliveryMethods(ctx context.Context) ([]veeqo.DeliveryMethod, error) {
	q, _ := listOptions(veeqo.ListOptions{PageSize: veeqo.MaxPageSize})
	return collect(pages(ctx, d, "delivery_methods", q, true, allDeliveryMethods, renderDeliveryMethod))
}

func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
