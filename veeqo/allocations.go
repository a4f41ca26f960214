package veeqo

import (
	"context"
	"net/http"
)

// AllocationsService handles /orders/{id}/allocations.
type AllocationsService service

type allocationDoc struct {
	Allocation *AllocationInput `json:"allocation"`
}

func validateAllocation(in *AllocationInput) error {
	if in == nil {
		return invalidInput("AllocationInput is nil")
	}
	if in.WarehouseID <= 0 {
		return invalidInput("AllocationInput.WarehouseID must be positive, got %d", in.WarehouseID)
	}
	if len(in.LineItems) == 0 {
		return invalidInput("AllocationInput.LineItems is empty")
	}
	for i, l := range in.LineItems {
		if l.SellableID <= 0 {
			return invalidInput("AllocationInput.LineItems[%d].SellableID must be positive, got %d", i, l.SellableID)
		}
		if l.Quantity <= 0 {
			return invalidInput("AllocationInput.LineItems[%d].Quantity must be positive, got %d", i, l.Quantity)
		}
	}
	return nil
}

// Create allocates order lines to a warehouse (POST
// /orders/{orderID}/allocations, body {"allocation": ...}). Veeqo answers
// with the whole order. Not replayed when its outcome is unknown.
func (s *AllocationsService) Create(ctx context.Context, orderID int64, in *AllocationInput) (*Order, *Response, error) {
	if orderID <= 0 {
		return nil, nil, invalidInput("order id must be positive, got %d", orderID)
	}
	if err := validateAllocation(in); err != nil {
		return nil, nil, err
	}
	var o Order
	resp, err := s.client.do(ctx, request{method: http.MethodPost, path: "orders/" + itoa(orderID) + "/allocations", body: allocationDoc{in}}, &o)
	if err != nil {
		return nil, resp, err
	}
	return &o, resp, nil
}

// Update changes an allocation (PUT /orders/{orderID}/allocations/{id}, a
// flat body as documented). Veeqo has been seen to ignore line edits on an
// existing allocation: read the order back when it matters, or delete and
// re-create the allocation.
func (s *AllocationsService) Update(ctx context.Context, orderID, allocationID int64, in *AllocationInput) (*Allocation, *Response, error) {
	if orderID <= 0 {
		return nil, nil, invalidInput("order id must be positive, got %d", orderID)
	}
	if allocationID <= 0 {
		return nil, nil, invalidInput("allocation id must be positive, got %d", allocationID)
	}
	if err := validateAllocation(in); err != nil {
		return nil, nil, err
	}
	var a Allocation
	resp, err := s.client.do(ctx, request{method: http.MethodPut, path: "orders/" + itoa(orderID) + "/allocations/" + itoa(allocationID), body: in}, &a)
	if err != nil {
		return nil, resp, err
	}
	return &a, resp, nil
}

// Delete removes an allocation (DELETE /orders/{orderID}/allocations/{id}),
// unallocating its stock. Veeqo's legacy docs say this "removes all
// allocations from order"; read the order back if the difference matters.
func (s *AllocationsService) Delete(ctx context.Context, orderID, allocationID int64) (*Response, error) {
	if orderID <= 0 {
		return nil, invalidInput("order id must be positive, got %d", orderID)
	}
	if allocationID <= 0 {
		return nil, invalidInput("allocation id must be positive, got %d", allocationID)
	}
	return s.client.do(ctx, request{method: http.MethodDelete, path: "orders/" + itoa(orderID) + "/allocations/" + itoa(allocationID)}, nil)
}
