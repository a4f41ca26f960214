package sync

import (
	"context"
	"iter"

	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// VeeqoAPI is the narrow part of Veeqo the engine uses. ClientAPI adapts a
// *veeqo.Client; tests may wrap it to inject failures. Errors should match
// the veeqo package's sentinels (veeqo.ErrOutcomeUnknown, ErrNotFound,
// ErrInvalidRequest, ErrUnauthorized, ...): the engine decides on them.
type VeeqoAPI interface {
	// ListOrders streams the orders opts selects, every page.
	ListOrders(ctx context.Context, opts veeqo.OrderListOptions) iter.Seq2[veeqo.Order, error]
	// GetOrder reads one order.
	GetOrder(ctx context.Context, id int64) (*veeqo.Order, error)
	// CreateOrder creates an order (a POST never replayed on an unknown
	// outcome: the error then matches veeqo.ErrOutcomeUnknown).
	CreateOrder(ctx context.Context, in *veeqo.OrderInput) (*veeqo.Order, error)
	// CancelOrder cancels an order in Veeqo with a reason (an ERP order
	// cancelled after export, setting erp_cancel_action "cancel").
	CancelOrder(ctx context.Context, id int64, reason string) error
	// AddNote adds an employee note to an order (erp_cancel_action "note").
	AddNote(ctx context.Context, id int64, text string) error
	// FindOrdersByNumber returns the orders whose number is exactly number,
	// cancelled ones included.
	FindOrdersByNumber(ctx context.Context, number string) ([]veeqo.Order, error)
	// FindCustomerByEmail returns the customer with exactly this email
	// (case-insensitive); an error matching veeqo.ErrNotFound if none.
	FindCustomerByEmail(ctx context.Context, email string) (*veeqo.Customer, error)
	// CountCustomers returns the number of customers in one cheap call (-1
	// when Veeqo does not say); Customers streams the customer list, 100 a
	// call, stopping at Veeqo's page count. An export pass with more new
	// emails than the list has pages reads the list instead of looking each
	// email up (see batchBook).
	CountCustomers(ctx context.Context) (int, error)
	Customers(ctx context.Context) iter.Seq2[veeqo.Customer, error]
	// FindSellableBySKU and FindSellableByUPC look a sellable up exactly;
	// veeqo.ErrNotFound if none.
	FindSellableBySKU(ctx context.Context, sku string) (*veeqo.Sellable, error)
	FindSellableByUPC(ctx context.Context, upc string) (*veeqo.Sellable, error)
	// CountProducts returns the number of products in one cheap call (-1
	// when Veeqo does not say); Products streams the catalogue, 100 a call.
	// The item resolver reads the whole catalogue instead of looking items
	// up one by one when that costs fewer calls.
	CountProducts(ctx context.Context) (int, error)
	Products(ctx context.Context) iter.Seq2[veeqo.Product, error]
	// Channels lists every channel; DeliveryMethods every delivery method.
	Channels(ctx context.Context) ([]veeqo.Channel, error)
	DeliveryMethods(ctx context.Context) ([]veeqo.DeliveryMethod, error)
	// Requests returns how many HTTP requests were sent so far (attempts
	// included); the run report's Veeqo calls are its delta.
	Requests() int64
}

// ClientAPI adapts a *veeqo.Client to VeeqoAPI.
func ClientAPI(c *veeqo.Client) VeeqoAPI { return clientAPI{c} }

type clientAPI struct{ c *veeqo.Client }

func (a clientAPI) ListOrders(ctx context.Context, opts veeqo.OrderListOptions) iter.Seq2[veeqo.Order, error] {
	return a.c.Orders.ListIter(ctx, &opts)
}

func (a clientAPI) GetOrder(ctx context.Context, id int64) (*veeqo.Order, error) {
	o, _, err := a.c.Orders.Get(ctx, id)
	return o, err
}

func (a clientAPI) CreateOrder(ctx context.Context, in *veeqo.OrderInput) (*veeqo.Order, error) {
	o, _, err := a.c.Orders.Create(ctx, in)
	return o, err
}

func (a clientAPI) CancelOrder(ctx context.Context, id int64, reason string) error {
	_, _, err := a.c.Orders.Cancel(ctx, id, &veeqo.CancelOrderInput{CancelReason: reason})
	return err
}

func (a clientAPI) AddNote(ctx context.Context, id int64, text string) error {
	_, _, err := a.c.Orders.AddNote(ctx, id, text)
	return err
}

func (a clientAPI) FindOrdersByNumber(ctx context.Context, number string) ([]veeqo.Order, error) {
	return a.c.Orders.FindByNumber(ctx, number)
}

func (a clientAPI) FindCustomerByEmail(ctx context.Context, email string) (*veeqo.Customer, error) {
	return a.c.Customers.FindByEmail(ctx, email)
}

func (a clientAPI) CountCustomers(ctx context.Context) (int, error) {
	return a.c.Customers.Count(ctx)
}

func (a clientAPI) Customers(ctx context.Context) iter.Seq2[veeqo.Customer, error] {
	return a.c.Customers.ListIter(ctx, &veeqo.CustomerListOptions{ListOptions: veeqo.ListOptions{PageSize: veeqo.MaxPageSize}})
}

func (a clientAPI) FindSellableBySKU(ctx context.Context, sku string) (*veeqo.Sellable, error) {
	return a.c.Products.FindSellableBySKU(ctx, sku)
}

func (a clientAPI) FindSellableByUPC(ctx context.Context, upc string) (*veeqo.Sellable, error) {
	return a.c.Products.FindSellableByUPC(ctx, upc)
}

func (a clientAPI) CountProducts(ctx context.Context) (int, error) {
	return mapping.FromClient(a.c).CountProducts(ctx)
}

func (a clientAPI) Products(ctx context.Context) iter.Seq2[veeqo.Product, error] {
	return mapping.FromClient(a.c).Products(ctx)
}

func (a clientAPI) Channels(ctx context.Context) ([]veeqo.Channel, error) {
	var out []veeqo.Channel
	for ch, err := range a.c.Channels.ListIter(ctx, nil) {
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

func (a clientAPI) DeliveryMethods(ctx context.Context) ([]veeqo.DeliveryMethod, error) {
	var out []veeqo.DeliveryMethod
	for dm, err := range a.c.DeliveryMethods.ListIter(ctx, nil) {
		if err != nil {
			return nil, err
		}
		out = append(out, dm)
	}
	return out, nil
}

func (a clientAPI) Requests() int64 { return a.c.Requests() }
