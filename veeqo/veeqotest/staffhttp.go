package veeqotest

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// StaffShipRequest is the body of POST /_staff/ship (WithStaffAPI): ship
// the order numbered Number, the given quantities by SKU as one parcel, or
// everything left when Lines is empty.
type StaffShipRequest struct {
	Number         string         `json:"number"`
	Lines          map[string]int `json:"lines,omitempty"`
	TrackingNumber string         `json:"tracking_number,omitempty"`
	Carrier        string         `json:"carrier,omitempty"` // a Veeqo carrier name, e.g. "UPS"
	Service        string         `json:"service,omitempty"`
}

// StaffOrderRequest is the body of POST /_staff/orders (WithStaffAPI): an
// order as if Veeqo had imported it from a marketplace, on the channel
// named Channel, with quantities by SKU; Ship (optional) ships it at once.
type StaffOrderRequest struct {
	Number        string            `json:"number"`
	Channel       string            `json:"channel"`
	CustomerEmail string            `json:"customer_email,omitempty"`
	Lines         map[string]int    `json:"lines"`
	Ship          *StaffShipRequest `json:"ship,omitempty"`
}

func decodeStaff(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeErrors(w, http.StatusUnprocessableEntity, []string{"bad staff request: " + err.Error()})
		return false
	}
	return true
}

func staffError(w http.ResponseWriter, err error) {
	status := http.StatusUnprocessableEntity
	if errors.Is(err, ErrNotFound) {
		status = http.StatusNotFound
	}
	writeErrors(w, status, []string{err.Error()})
}

func (s *Server) staffShip(w http.ResponseWriter, r *http.Request) {
	var in StaffShipRequest
	if !decodeStaff(w, r, &in) {
		return
	}
	list := s.OrdersByNumber(in.Number)
	if len(list) != 1 {
		staffError(w, fmt.Errorf("order number %q: %d orders have it: %w", in.Number, len(list), ErrNotFound))
		return
	}
	shipments, err := s.shipBySKU(list[0], in)
	if err != nil {
		staffError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, shipments)
}

// shipBySKU ships an order's lines named by SKU (all that is left when
// none are named).
func (s *Server) shipBySKU(o veeqo.Order, in StaffShipRequest) ([]veeqo.Shipment, error) {
	info := ShipInfo{TrackingNumber: in.TrackingNumber, CarrierName: in.Carrier, ServiceName: in.Service}
	if len(in.Lines) == 0 {
		return s.ShipAll(o.ID, info)
	}
	by := map[int64]int{}
	for sku, q := range in.Lines {
		var id int64
		for _, li := range o.LineItems {
			if li.Sellable != nil && strings.EqualFold(li.Sellable.SKUCode, sku) {
				id = li.Sellable.ID
			}
		}
		if id == 0 {
			return nil, fmt.Errorf("order %s has no line with SKU %q: %w", o.Number, sku, ErrInvalid)
		}
		by[id] = q
	}
	sh, err := s.ShipPartial(o.ID, by, info)
	if err != nil {
		return nil, err
	}
	return []veeqo.Shipment{sh}, nil
}

func (s *Server) staffOrder(w http.ResponseWriter, r *http.Request) {
	var in StaffOrderRequest
	if !decodeStaff(w, r, &in) {
		return
	}
	var ch *veeqo.Channel
	var missing []string
	s.withState(func(st *state) {
		for _, id := range sortedKeys(st.channels, false) {
			if strings.EqualFold(st.channels[id].ch.Name, in.Channel) {
				c := st.channels[id].ch
				ch = &c
				break
			}
		}
		for sku := range in.Lines {
			if st.sellableBySKU(sku) == 0 {
				missing = append(missing, sku)
			}
		}
	})
	switch {
	case strings.TrimSpace(in.Number) == "":
		staffError(w, fmt.Errorf("number is required: %w", ErrInvalid))
		return
	case ch == nil:
		staffError(w, fmt.Errorf("no channel named %q: %w", in.Channel, ErrNotFound))
		return
	case len(in.Lines) == 0:
		staffError(w, fmt.Errorf("lines are required (SKU -> quantity): %w", ErrInvalid))
		return
	case len(missing) > 0:
		staffError(w, fmt.Errorf("SKUs not in the catalogue: %s: %w", strings.Join(missing, ", "), ErrNotFound))
		return
	}
	email := in.CustomerEmail
	if email == "" {
		email = "buyer-" + in.Number + "@marketplace.example"
	}
	o := veeqo.Order{Number: in.Number, Channel: ch, Customer: &veeqo.Customer{Email: email},
		DeliverTo: &veeqo.Address{FirstName: "Marketplace", LastName: "Buyer", Address1: "1 Market St", City: "Seattle", State: "WA", Zip: "98101", Country: "US"}}
	for _, sku := range slices.Sorted(maps.Keys(in.Lines)) {
		o.LineItems = append(o.LineItems, veeqo.LineItem{Sellable: &veeqo.Sellable{SKUCode: sku}, Quantity: in.Lines[sku]})
	}
	got := s.AddOrder(o)
	if in.Ship != nil {
		if _, err := s.shipBySKU(got, *in.Ship); err != nil {
			staffError(w, err)
			return
		}
		got, _ = s.Order(got.ID)
	}
	writeJSON(w, http.StatusCreated, got)
}
