package sync_test

import (
	"context"
	"iter"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// hostileAPI passes calls to a real client and then breaks what Veeqo
// answered the way a buggy or changed API might: nulls in nested objects,
// empty arrays, negative and huge numbers, (nil, nil) answers.
type hostileAPI struct {
	vsync.VeeqoAPI
	order     func(*veeqo.Order)
	nilNil    bool
	nilCreate bool
	channel   func(*veeqo.Channel)
}

func (h hostileAPI) mut(o *veeqo.Order) {
	if o != nil && h.order != nil {
		h.order(o)
	}
}

func (h hostileAPI) ListOrders(ctx context.Context, opts veeqo.OrderListOptions) iter.Seq2[veeqo.Order, error] {
	return func(yield func(veeqo.Order, error) bool) {
		for o, err := range h.VeeqoAPI.ListOrders(ctx, opts) {
			h.mut(&o)
			if !yield(o, err) {
				return
			}
		}
	}
}

func (h hostileAPI) GetOrder(ctx context.Context, id int64) (*veeqo.Order, error) {
	o, err := h.VeeqoAPI.GetOrder(ctx, id)
	if h.nilNil && err == nil {
		return nil, nil
	}
	h.mut(o)
	return o, err
}

func (h hostileAPI) CreateOrder(ctx context.Context, in *veeqo.OrderInput) (*veeqo.Order, error) {
	o, err := h.VeeqoAPI.CreateOrder(ctx, in)
	if (h.nilNil || h.nilCreate) && err == nil {
		return nil, nil
	}
	h.mut(o)
	return o, err
}

func (h hostileAPI) FindOrdersByNumber(ctx context.Context, number string) ([]veeqo.Order, error) {
	os, err := h.VeeqoAPI.FindOrdersByNumber(ctx, number)
	for i := range os {
		h.mut(&os[i])
	}
	return os, err
}

func (h hostileAPI) FindCustomerByEmail(ctx context.Context, email string) (*veeqo.Customer, error) {
	c, err := h.VeeqoAPI.FindCustomerByEmail(ctx, email)
	if h.nilNil && err == nil {
		return nil, nil
	}
	return c, err
}

func (h hostileAPI) FindSellableBySKU(ctx context.Context, sku string) (*veeqo.Sellable, error) {
	s, err := h.VeeqoAPI.FindSellableBySKU(ctx, sku)
	if h.nilNil && err == nil {
		return nil, nil
	}
	return s, err
}

func (h hostileAPI) FindSellableByUPC(ctx context.Context, upc string) (*veeqo.Sellable, error) {
	s, err := h.VeeqoAPI.FindSellableByUPC(ctx, upc)
	if h.nilNil && err == nil {
		return nil, nil
	}
	return s, err
}

func (h hostileAPI) Products(ctx context.Context) iter.Seq2[veeqo.Product, error] {
	return func(yield func(veeqo.Product, error) bool) {
		for p, err := range h.VeeqoAPI.Products(ctx) {
			if h.nilNil {
				p.Sellables = append(p.Sellables, veeqo.Sellable{})
			}
			if !yield(p, err) {
				return
			}
		}
	}
}

func (h hostileAPI) Channels(ctx context.Context) ([]veeqo.Channel, error) {
	cs, err := h.VeeqoAPI.Channels(ctx)
	for i := range cs {
		if h.channel != nil {
			h.channel(&cs[i])
		}
	}
	return cs, err
}

func hostileMutations() map[string]func(*veeqo.Order) {
	return map[string]func(*veeqo.Order){
		"null nested objects": func(o *veeqo.Order) {
			o.Channel, o.Customer, o.DeliverTo, o.BillingAddress, o.DeliveryMethod, o.Payment, o.CustomerNote = nil, nil, nil, nil, nil, nil, nil
		},
		"line items with null sellable": func(o *veeqo.Order) {
			for i := range o.LineItems {
				o.LineItems[i].Sellable = nil
			}
		},
		"no line items": func(o *veeqo.Order) { o.LineItems = nil },
		"allocations without line items": func(o *veeqo.Order) {
			for i := range o.Allocations {
				o.Allocations[i].LineItems = nil
			}
		},
		"allocation lines with null sellable": func(o *veeqo.Order) {
			for i := range o.Allocations {
				for j := range o.Allocations[i].LineItems {
					o.Allocations[i].LineItems[j].Sellable = nil
				}
			}
		},
		"shipment with null carrier and tracking": func(o *veeqo.Order) {
			for i := range o.Allocations {
				if s := o.Allocations[i].Shipment; s != nil {
					s.Carrier, s.TrackingNumber, s.OutboundLabelCharges = nil, nil, nil
				}
				o.Allocations[i].Warehouse = nil
			}
		},
		"negative quantities": func(o *veeqo.Order) {
			for i := range o.LineItems {
				o.LineItems[i].Quantity = -5
			}
			for i := range o.Allocations {
				for j := range o.Allocations[i].LineItems {
					o.Allocations[i].LineItems[j].Quantity = -5
				}
			}
		},
		"huge quantities and ids": func(o *veeqo.Order) {
			for i := range o.LineItems {
				o.LineItems[i].Quantity = math.MaxInt
			}
			for i := range o.Allocations {
				o.Allocations[i].ID = math.MaxInt64
				if s := o.Allocations[i].Shipment; s != nil {
					s.ID = math.MaxInt64
				}
				for j := range o.Allocations[i].LineItems {
					o.Allocations[i].LineItems[j].Quantity = math.MaxInt
				}
			}
		},
		"zero id order":         func(o *veeqo.Order) { o.ID = 0 },
		"duplicate allocations": func(o *veeqo.Order) { o.Allocations = append(o.Allocations, o.Allocations...) },
	}
}

// TestHostileVeeqoNoPanic runs export and fetch against a Veeqo whose
// answers are broken in every way above: no run may panic.
func TestHostileVeeqoNoPanic(t *testing.T) {
	t.Parallel()
	cases := hostileMutations()
	names := make([]string, 0, len(cases)+1)
	for n := range cases {
		names = append(names, n)
	}
	names = append(names, "nil answers", "nil create")
	for _, name := range names {
		for _, mode := range []string{"export", "fetch"} {
			t.Run(mode+"/"+name, func(t *testing.T) {
				t.Parallel()
				h := hostileAPI{order: cases[name], nilNil: name == "nil answers", nilCreate: name == "nil create",
					channel: func(c *veeqo.Channel) { c.DefaultWarehouse = nil }}
				var e *env
				if mode == "export" {
					e = newEnv(t)
					e.erp.Put(order("SO-1", "MUG-1:2", "TEE-1:1"), order("SO-2", "GIFT:1"))
				} else {
					e = fetchWorld(t)
					e.erp.Put(vsync.ERPOrder{Ref: "AMZ-1", Number: "111-1", Store: "Amazon", Lines: []vsync.ERPLine{{Ref: "1", SKU: "MUG-1", Quantity: 2, Allocated: 2}}})
					o := e.addMarketplaceOrder("111-1", e.amazon, map[string]int{"MUG-1": 2})
					_, err := e.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z", CarrierID: 7})
					require.NoError(t, err)
				}
				h.VeeqoAPI = vsync.ClientAPI(e.client)
				for i := range 2 {
					require.NotPanics(t, func() {
						rep, err := e.engine(withAPI(h)).Run(context.Background(), vsync.RunOptions{})
						require.NoError(t, err, "a broken answer fails a reference, not the run (%+v)", rep)
					}, "run %d", i+1)
					e.clk.Advance(time.Minute)
				}
			})
		}
	}
}
