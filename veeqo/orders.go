package veeqo

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// OrdersService handles /orders.
type OrdersService service

func (o *OrderListOptions) values() (url.Values, error) {
	var opts OrderListOptions
	if o != nil {
		opts = *o
	}
	v, err := opts.ListOptions.values()
	if err != nil {
		return nil, err
	}
	if opts.SinceID < 0 {
		return nil, invalidInput("OrderListOptions.SinceID must not be negative, got %d", opts.SinceID)
	}
	setInt(v, "since_id", opts.SinceID)
	setTime(v, "created_at_min", opts.CreatedAtMin)
	setTime(v, "updated_at_min", opts.UpdatedAtMin)
	setString(v, "status", string(opts.Status))
	setString(v, "query", opts.Query)
	setString(v, "tags", opts.Tags)
	setInt(v, "allocated_at", opts.AllocatedAt)
	for _, id := range opts.ChannelIDs {
		v.Add("channel_ids[]", strconv.FormatInt(id, 10))
	}
	return v, nil
}

// List returns one page of orders (GET /orders), newest first. Without a
// Status filter Veeqo leaves cancelled orders out.
func (s *OrdersService) List(ctx context.Context, opts *OrderListOptions) ([]Order, *Response, error) {
	q, err := opts.values()
	if err != nil {
		return nil, nil, err
	}
	return listPage[Order](ctx, s.client, "orders", q)
}

// ListIter streams every order matching opts, page by page, from opts.Page
// (default 1). It stops at the first error, which it yields. While the
// loop handles a full page, the next one is already being read (one page
// ahead, no more), so a long listing costs Veeqo's time or the loop's,
// whichever is longer, not both; a loop that breaks early cancels that
// read, which costs a call only if it had already been sent.
func (s *OrdersService) ListIter(ctx context.Context, opts *OrderListOptions) iter.Seq2[Order, error] {
	var o OrderListOptions
	if opts != nil {
		o = *opts
		o.ChannelIDs = append([]int64(nil), opts.ChannelIDs...)
	}
	return iterateAhead(ctx, max(o.Page, 1), func(ctx context.Context, page int) ([]Order, *Response, error) {
		p := o
		p.Page = page
		return s.List(ctx, &p)
	})
}

// Get returns one order (GET /orders/{id}).
func (s *OrdersService) Get(ctx context.Context, id int64) (*Order, *Response, error) {
	if id <= 0 {
		return nil, nil, invalidInput("order id must be positive, got %d", id)
	}
	var o Order
	resp, err := s.client.do(ctx, request{method: http.MethodGet, path: "orders/" + itoa(id)}, &o)
	if err != nil {
		return nil, resp, err
	}
	if o.ID <= 0 {
		return nil, resp, errNoRecord(http.MethodGet, "/orders/"+itoa(id), "order")
	}
	return &o, resp, nil
}

type orderDoc struct {
	Order *OrderInput `json:"order"`
}

// Create creates an order (POST /orders, body {"order": ...}). It is never
// replayed once the request may have reached Veeqo: when the outcome is
// unknown the error matches ErrOutcomeUnknown, and the caller should look the
// order up by number (FindByNumber) before creating it again. A success
// answer without a readable order id is an outcome-unknown error too.
func (s *OrdersService) Create(ctx context.Context, in *OrderInput) (*Order, *Response, error) {
	if err := validateOrderCreate(in); err != nil {
		return nil, nil, err
	}
	var o Order
	resp, err := s.client.do(ctx, request{method: http.MethodPost, path: "orders", body: orderDoc{in}}, &o)
	if err != nil {
		return nil, resp, err
	}
	if o.ID <= 0 {
		return nil, resp, errNoID(http.MethodPost, "/orders", resp.StatusCode, "order")
	}
	return &o, resp, nil
}

func validateOrderCreate(in *OrderInput) error {
	if in == nil {
		return invalidInput("OrderInput is nil")
	}
	if in.ChannelID <= 0 {
		return invalidInput("OrderInput.ChannelID is required")
	}
	if in.CustomerID <= 0 && in.Customer == nil {
		return invalidInput("OrderInput needs CustomerID or Customer")
	}
	if in.DeliverToID <= 0 && in.DeliverTo == nil {
		return invalidInput("OrderInput needs DeliverToID or DeliverTo")
	}
	if len(in.LineItems) == 0 {
		return invalidInput("OrderInput.LineItems is empty")
	}
	return validateLines(in.LineItems)
}

func validateLines(lines []LineItemInput) error {
	for i, l := range lines {
		if l.SellableID <= 0 {
			return invalidInput("OrderInput.LineItems[%d].SellableID must be positive, got %d", i, l.SellableID)
		}
		if l.Quantity <= 0 {
			return invalidInput("OrderInput.LineItems[%d].Quantity must be positive, got %d", i, l.Quantity)
		}
	}
	return nil
}

// Update changes an order (PUT /orders/{id}, body {"order": ...}). Send only
// what changes; Veeqo upserts line items by sellable_id.
func (s *OrdersService) Update(ctx context.Context, id int64, in *OrderInput) (*Order, *Response, error) {
	if id <= 0 {
		return nil, nil, invalidInput("order id must be positive, got %d", id)
	}
	if in == nil {
		return nil, nil, invalidInput("OrderInput is nil")
	}
	for i, l := range in.LineItems {
		if l.SellableID <= 0 {
			return nil, nil, invalidInput("OrderInput.LineItems[%d].SellableID must be positive, got %d", i, l.SellableID)
		}
	}
	var o Order
	resp, err := s.client.do(ctx, request{method: http.MethodPut, path: "orders/" + itoa(id), body: orderDoc{in}}, &o)
	if err != nil {
		return nil, resp, err
	}
	return &o, resp, nil
}

type cancelBody struct {
	ID             int64  `json:"id"`
	SendVeeqoEmail bool   `json:"send_veeqo_email"`
	CancelReason   string `json:"cancel_reason,omitempty"`
}

// Cancel cancels an order (PUT /orders/{id}/cancel). in may be nil (no
// email, no reason). The returned order is nil if Veeqo answers without a
// body.
func (s *OrdersService) Cancel(ctx context.Context, id int64, in *CancelOrderInput) (*Order, *Response, error) {
	if id <= 0 {
		return nil, nil, invalidInput("order id must be positive, got %d", id)
	}
	body := cancelBody{ID: id}
	if in != nil {
		body.SendVeeqoEmail, body.CancelReason = in.SendVeeqoEmail, in.CancelReason
	}
	var o *Order
	resp, err := s.client.do(ctx, request{method: http.MethodPut, path: "orders/" + itoa(id) + "/cancel", body: body}, &o)
	if err != nil {
		return nil, resp, err
	}
	return o, resp, nil
}

type noteDoc struct {
	Note NoteInput `json:"note"`
}

// AddNote adds an employee note to an order (POST /orders/{id}/notes, body
// {"note":{"text": ...}}). Like every POST it is not replayed when its
// outcome is unknown.
func (s *OrdersService) AddNote(ctx context.Context, id int64, text string) (*Note, *Response, error) {
	if id <= 0 {
		return nil, nil, invalidInput("order id must be positive, got %d", id)
	}
	if strings.TrimSpace(text) == "" {
		return nil, nil, invalidInput("note text is empty")
	}
	var n Note
	resp, err := s.client.do(ctx, request{method: http.MethodPost, path: "orders/" + itoa(id) + "/notes", body: noteDoc{NoteInput{Text: text}}}, &n)
	if err != nil {
		return nil, resp, err
	}
	return &n, resp, nil
}

// FindByNumber returns the orders whose number is exactly number. Veeqo's
// ?query= is fuzzy (number and email), so the client pages through its
// results and keeps exact matches; it searches the default list and then
// status=cancelled, which the default list leaves out. Veeqo does not enforce
// unique numbers, so there may be several; none is not an error.
func (s *OrdersService) FindByNumber(ctx context.Context, number string) ([]Order, error) {
	if strings.TrimSpace(number) == "" {
		return nil, invalidInput("order number is empty")
	}
	var out []Order
	seen := map[int64]bool{}
	for _, status := range []OrderStatus{"", StatusCancelled} {
		for o, err := range s.ListIter(ctx, &OrderListOptions{Query: number, Status: status}) {
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

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// decodeOrder decodes one order document; the fuzz target drives it.
func decodeOrder(b []byte, o *Order) error { return json.Unmarshal(b, o) }
