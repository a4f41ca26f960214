package veeqotest

import (
	"net/http"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// parseAllocation reads POST /orders/{id}/allocations: the warehouse and
// the quantities wanted by sellable.
func parseAllocation(in obj) (wid int64, want map[int64]int, msgs []string) {
	wid, hasWID, werr := in.int64("warehouse_id")
	lines, _ := in.objs("line_items_attributes")
	switch {
	case werr != nil:
		msgs = append(msgs, "Warehouse is invalid")
	case !hasWID:
		msgs = append(msgs, "Warehouse can't be blank")
	}
	if len(lines) == 0 {
		msgs = append(msgs, "Line items can't be blank")
	}
	want = map[int64]int{}
	for _, l := range lines {
		sid, ok, err := l.int64("sellable_id")
		if err != nil || !ok {
			msgs = append(msgs, "Line items sellable can't be blank")
			continue
		}
		q, ok, err := l.int64("quantity")
		if err != nil || !ok || q <= 0 {
			msgs = append(msgs, "Line items quantity must be greater than 0")
			continue
		}
		want[sid] += int(q)
	}
	return wid, want, msgs
}

func (s *Server) createAllocation(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	in, ok := readBody(w, r, "allocation")
	if !ok {
		return
	}
	wid, want, msgs := parseAllocation(in)
	now := s.now()
	s.act(w, http.StatusCreated, func(st *state) (any, *apiError) {
		switch {
		case st.orders[id] == nil:
			return nil, errNotFound()
		case len(msgs) > 0:
			return nil, errInvalid(dedupe(msgs)...)
		case st.warehouses[wid] == nil:
			return nil, errNotFound()
		}
		rec, err := st.liveOrder(id)
		if err != nil {
			return nil, fromHelperErr(err)
		}
		a, err := st.allocateLines(rec, wid, want)
		if err != nil {
			return nil, fromHelperErr(err)
		}
		a.created, a.updated = now, now
		rec.clearSoftOverride()
		st.touch(rec, now)
		return st.render(rec), nil
	})
}

// updateAllocation moves an unshipped allocation to another warehouse.
// Line-item edits are ignored, as observed on live Veeqo.
func (s *Server) updateAllocation(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	aid, _ := pathID(r, "aid")
	in, ok := readBody(w, r, "allocation")
	if !ok {
		return
	}
	wid, hasWID, werr := in.int64("warehouse_id")
	now := s.now()
	s.act(w, http.StatusOK, func(st *state) (any, *apiError) {
		rec := st.orders[id]
		if rec == nil || rec.alloc(aid) == nil {
			return nil, errNotFound()
		}
		a := rec.alloc(aid)
		rec.hidden = false
		switch {
		case werr != nil:
			return nil, errInvalid("Warehouse is invalid")
		case a.shipment != nil:
			return nil, errInvalid("Allocation has already been shipped")
		case hasWID && st.warehouses[wid] == nil:
			return nil, errNotFound()
		}
		if hasWID && wid != a.warehouseID {
			if aerr := st.moveAlloc(a, wid); aerr != nil {
				return nil, aerr
			}
		}
		a.updated = now
		st.touch(rec, now)
		return st.renderAlloc(rec, a, nil), nil
	})
}

// moveAlloc moves an allocation's stock to warehouse wid, if it has it
// all.
func (st *state) moveAlloc(a *allocRec, wid int64) *apiError {
	for _, l := range a.lines {
		if !st.canAllocate(l.sellableID, wid, l.qty) {
			return errInvalid("Not enough stock")
		}
	}
	for _, l := range a.lines {
		st.allocated[stockKey{l.sellableID, a.warehouseID}] -= l.qty
		st.allocated[stockKey{l.sellableID, wid}] += l.qty
	}
	a.warehouseID = wid
	return nil
}

// deleteAllocation removes one unshipped allocation (Veeqo's docs say all;
// integrations use it per allocation) and returns the order.
func (s *Server) deleteAllocation(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	aid, _ := pathID(r, "aid")
	now := s.now()
	s.act(w, http.StatusOK, func(st *state) (any, *apiError) {
		rec := st.orders[id]
		if rec == nil || rec.alloc(aid) == nil {
			return nil, errNotFound()
		}
		rec.hidden = false
		a := rec.alloc(aid)
		if a.shipment != nil {
			return nil, errInvalid("Allocation has already been shipped")
		}
		st.releaseAlloc(rec, a)
		st.touch(rec, now)
		return st.render(rec), nil
	})
}

// shipmentInput is POST /shipments' body: ids may sit at the top level or
// inside "shipment".
type shipmentInput struct {
	orderID, allocID int64
	info             ShipInfo
	msgs             []string
}

func parseShipment(full obj) shipmentInput {
	sh, ok := full.obj("shipment")
	if !ok {
		sh = full
	}
	pick := func(key string) (int64, bool, error) {
		if v, ok, err := full.int64(key); ok || err != nil {
			return v, ok, err
		}
		return sh.int64(key)
	}
	var in shipmentInput
	need := func(key, label string) int64 {
		v, ok, err := pick(key)
		switch {
		case err != nil:
			in.msgs = append(in.msgs, label+" is invalid")
		case !ok:
			in.msgs = append(in.msgs, label+" can't be blank")
		}
		return v
	}
	in.orderID = need("order_id", "Order")
	in.allocID = need("allocation_id", "Allocation")
	carrierID := need("carrier_id", "Carrier")
	if _, known := veeqo.CarrierName(carrierID); carrierID != 0 && !known {
		in.msgs = append(in.msgs, "Carrier is invalid")
	}
	in.info = ShipInfo{CarrierID: carrierID}
	if tn, ok := sh.obj("tracking_number_attributes"); ok {
		in.info.TrackingNumber, _ = tn.str("tracking_number")
	} else if v, ok := sh.str("tracking_number"); ok {
		in.info.TrackingNumber = v
	}
	in.info.ServiceName, _ = sh.str("service_name")
	in.info.TrackingURL, _ = sh.str("tracking_url")
	in.info.NotifyCustomer, _ = sh.boolean("notify_customer")
	in.info.UpdateRemoteOrder, _ = sh.boolean("update_remote_order")
	return in
}

func (s *Server) createShipment(w http.ResponseWriter, r *http.Request) {
	full, ok := readBody(w, r, "")
	if !ok {
		return
	}
	in := parseShipment(full)
	now := s.now()
	s.act(w, http.StatusCreated, func(st *state) (any, *apiError) {
		if len(in.msgs) > 0 {
			return nil, errInvalid(dedupe(in.msgs)...)
		}
		rec := st.orders[in.orderID]
		if rec == nil || rec.alloc(in.allocID) == nil {
			return nil, errNotFound()
		}
		if _, err := st.liveOrder(in.orderID); err != nil {
			return nil, fromHelperErr(err)
		}
		a := rec.alloc(in.allocID)
		if a.shipment != nil {
			return nil, errInvalid("Allocation has already been shipped")
		}
		out := *st.ship(rec, a, in.info, now)
		rec.clearSoftOverride()
		st.touch(rec, now)
		return out, nil
	})
}

func (s *Server) deleteShipment(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	now := s.now()
	s.act(w, http.StatusNoContent, func(st *state) (any, *apiError) {
		rec, a, err := st.shipped(id)
		if err != nil {
			return nil, fromHelperErr(err)
		}
		rec.hidden = false
		st.unship(rec, a, now)
		st.touch(rec, now)
		return nil, nil
	})
}
