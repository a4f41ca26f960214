package veeqo

import (
	"context"
	"net/http"
)

// ShipmentsService handles /shipments.
type ShipmentsService service

type shipmentDoc struct {
	Shipment     shipmentFields `json:"shipment"`
	AllocationID int64          `json:"allocation_id"`
	OrderID      int64          `json:"order_id"`
}

type shipmentFields struct {
	TrackingNumber    *trackingAttrs `json:"tracking_number_attributes,omitempty"`
	CarrierID         int64          `json:"carrier_id"`
	NotifyCustomer    bool           `json:"notify_customer"`
	UpdateRemoteOrder bool           `json:"update_remote_order"`
}

type trackingAttrs struct {
	TrackingNumber string `json:"tracking_number"`
}

// Create marks one allocation shipped with the seller's own tracking (POST
// /shipments). Not replayed when its outcome is unknown.
func (s *ShipmentsService) Create(ctx context.Context, in *ShipmentInput) (*Shipment, *Response, error) {
	switch {
	case in == nil:
		return nil, nil, invalidInput("ShipmentInput is nil")
	case in.OrderID <= 0:
		return nil, nil, invalidInput("ShipmentInput.OrderID must be positive, got %d", in.OrderID)
	case in.AllocationID <= 0:
		return nil, nil, invalidInput("ShipmentInput.AllocationID must be positive, got %d", in.AllocationID)
	case in.CarrierID <= 0:
		return nil, nil, invalidInput("ShipmentInput.CarrierID must be positive (3 is Other), got %d", in.CarrierID)
	}
	doc := shipmentDoc{
		Shipment: shipmentFields{
			CarrierID:         in.CarrierID,
			NotifyCustomer:    in.NotifyCustomer,
			UpdateRemoteOrder: in.UpdateRemoteOrder,
		},
		AllocationID: in.AllocationID,
		OrderID:      in.OrderID,
	}
	if in.TrackingNumber != "" {
		doc.Shipment.TrackingNumber = &trackingAttrs{TrackingNumber: in.TrackingNumber}
	}
	var sh Shipment
	resp, err := s.client.do(ctx, request{method: http.MethodPost, path: "shipments", body: doc}, &sh)
	if err != nil {
		return nil, resp, err
	}
	if sh.ID <= 0 {
		return nil, resp, errNoID(http.MethodPost, "/shipments", resp.StatusCode, "shipment")
	}
	return &sh, resp, nil
}

// Delete deletes a shipment (DELETE /shipments/{id}).
func (s *ShipmentsService) Delete(ctx context.Context, id int64) (*Response, error) {
	if id <= 0 {
		return nil, invalidInput("shipment id must be positive, got %d", id)
	}
	return s.client.do(ctx, request{method: http.MethodDelete, path: "shipments/" + itoa(id)}, nil)
}
