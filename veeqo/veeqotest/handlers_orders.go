package veeqotest

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// apiError is a Veeqo error response.
type apiError struct {
	status int
	msgs   []string
	flat   bool // {"error_messages":"..."} rather than an array
}

func errNotFound() *apiError {
	return &apiError{status: http.StatusNotFound, msgs: []string{"Not found"}, flat: true}
}

func errInvalid(msgs ...string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, msgs: msgs}
}

func (e *apiError) write(w http.ResponseWriter) {
	if e.flat {
		writeError(w, e.status, e.msgs[0])
		return
	}
	writeErrors(w, e.status, e.msgs)
}

// fromHelperErr maps a staff-helper error to an API error.
func fromHelperErr(err error) *apiError {
	if errors.Is(err, ErrNotFound) {
		return errNotFound()
	}
	msg, _, _ := strings.Cut(err.Error(), ": veeqotest:")
	if errors.Is(err, ErrNoStock) {
		msg = "Not enough stock: " + msg
	}
	return errInvalid(msg)
}

func badJSON(w http.ResponseWriter, err error) {
	writeErrors(w, http.StatusBadRequest, []string{"Malformed JSON: " + err.Error()})
}

func knownStatus(s string) bool {
	switch veeqo.OrderStatus(s) {
	case veeqo.StatusAwaitingPayment, veeqo.StatusAwaitingStock, veeqo.StatusAwaitingFulfillment,
		veeqo.StatusShipped, veeqo.StatusOnHold, veeqo.StatusCancelled, veeqo.StatusRefunded,
		"awaiting_amazon_stock":
		return true
	}
	return false
}

// filterOrders returns the ids matching GET /orders' filters, newest first.
// A query (the search) does not see orders created after searchHorizon:
// the search index trails the database (Server.SetSearchLag).
func (st *state) filterOrders(q map[string][]string, searchHorizon time.Time) []int64 {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	status := get("status")
	if status != "" && !knownStatus(status) {
		return nil
	}
	sinceID, _ := strconv.ParseInt(get("since_id"), 10, 64)
	createdMin, hasCreated := parseTimeFilter(get("created_at_min"))
	updatedMin, hasUpdated := parseTimeFilter(get("updated_at_min"))
	query := get("query")
	var tags []string
	for _, t := range strings.Split(get("tags"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	channels, hasChannels := idList(q, "channel_ids")
	allocAt, allocErr := strconv.ParseInt(get("allocated_at"), 10, 64)
	hasAllocAt := allocErr == nil

	var out []int64
	for i := len(st.orderIDs) - 1; i >= 0; i-- { // newest first
		id := st.orderIDs[i]
		rec := st.orders[id]
		// Cancelled (like every kept status) is only ever an override: no
		// need to roll the lines up for it.
		switch {
		case status == "":
			if rec.override == veeqo.StatusCancelled {
				continue
			}
		case keptStatus(veeqo.OrderStatus(status)):
			if string(rec.override) != status {
				continue
			}
		case string(rec.status()) != status:
			continue
		}
		if id <= sinceID ||
			hasCreated && rec.o.CreatedAt.Before(createdMin) ||
			hasUpdated && rec.o.UpdatedAt.Before(updatedMin) {
			continue
		}
		if hasChannels && !containsID(channels, rec.channelID) {
			continue
		}
		if hasAllocAt && !rec.hasAllocationIn(allocAt) {
			continue
		}
		if len(tags) > 0 && !rec.hasAnyTag(tags) {
			continue
		}
		if query != "" && (rec.o.CreatedAt.After(searchHorizon) || !st.orderMatches(rec, query)) {
			continue
		}
		out = append(out, id)
	}
	return out
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func (rec *orderRec) hasAllocationIn(wid int64) bool {
	for _, a := range rec.allocs {
		if a.warehouseID == wid {
			return true
		}
	}
	return false
}

func (rec *orderRec) hasAnyTag(names []string) bool {
	for _, t := range rec.o.Tags {
		for _, n := range names {
			if strings.EqualFold(t.Name, n) {
				return true
			}
		}
	}
	return false
}

// orderMatches is the query filter: a case-insensitive substring of the
// number, the customer's email or a line's SKU (Veeqo's is fuzzy too).
func (st *state) orderMatches(rec *orderRec, q string) bool {
	if containsFold(rec.o.Number, q) {
		return true
	}
	if c := st.customers[rec.customerID]; c != nil && containsFold(c.Email, q) {
		return true
	}
	for _, l := range rec.lines {
		if s := st.sellables[l.sellableID]; s != nil && containsFold(s.SKUCode, q) {
			return true
		}
	}
	return false
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pg := parsePaging(q, "page_size", 100)
	var page []veeqo.Order
	total := 0
	s.withState(func(st *state) {
		ids := st.filterOrders(q, s.now().Add(-s.searchLag))
		total = len(ids)
		if pg.bad {
			return
		}
		lo, hi := pg.window(total)
		for _, id := range ids[lo:hi] {
			page = append(page, st.render(st.orders[id]))
		}
	})
	setPageHeaders(w, pg, total)
	if pg.bad {
		writeErrors(w, http.StatusBadRequest, []string{"Infinity"})
		return
	}
	if page == nil {
		page = []veeqo.Order{}
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	o, ok := s.Order(id)
	if !ok {
		writeNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func addrFrom(o obj) *veeqo.Address {
	get := func(k string) string { v, _ := o.str(k); return v }
	return &veeqo.Address{
		FirstName: get("first_name"), LastName: get("last_name"), Company: get("company"),
		Address1: get("address1"), Address2: get("address2"), City: get("city"), State: get("state"),
		Zip: get("zip"), Country: get("country"), Phone: get("phone"), Email: get("email"),
	}
}

func customerFrom(o obj) veeqo.Customer {
	get := func(k string) string { v, _ := o.str(k); return v }
	c := veeqo.Customer{
		Email: get("email"), Phone: get("phone"), Mobile: get("mobile"), Notes: get("notes"),
		CustomerType: get("customer_type"),
	}
	if b, ok := o.obj("billing_address_attributes"); ok {
		c.BillingAddress = addrFrom(b)
	}
	return c
}

// orderFields holds the validated scalar fields shared by create and update.
type orderFields struct {
	number                            *string
	dueDate                           *time.Time
	sendEmail                         *bool
	deliveryCost, totalTax, discounts *decimal.Decimal
	payment                           *veeqo.Payment
	customerNote                      *string
	employeeNotes                     []string
	lines                             []lineInput
	hasLines                          bool
}

type lineInput struct {
	sellableID               int64
	qty                      *int
	price, taxRate, discount *decimal.Decimal
	options                  *string
	qtySent, priceSent       bool // present, even if invalid
}

// parseOrderFields validates the fields both POST and PUT accept.
func parseOrderFields(in obj) (orderFields, []string) {
	var f orderFields
	var msgs []string
	if v, ok := in.str("number"); ok {
		f.number = &v
	}
	if v, ok := in.str("due_date"); ok && v != "" {
		t, ok := parseDueDate(v)
		if !ok {
			msgs = append(msgs, "Due date is invalid")
		} else {
			f.dueDate = &t
		}
	}
	if v, ok := in.boolean("send_notification_email"); ok {
		f.sendEmail = &v
	}
	decField := func(key, label string) *decimal.Decimal {
		d, ok, err := in.dec(key)
		if err != nil {
			msgs = append(msgs, label+" is not a number")
			return nil
		}
		if !ok {
			return nil
		}
		return &d
	}
	f.deliveryCost = decField("delivery_cost", "Delivery cost")
	f.totalTax = decField("total_tax", "Total tax")
	f.discounts = decField("total_discounts", "Total discounts")
	if p, ok := in.obj("payment_attributes"); ok {
		t, _ := p.str("payment_type")
		if t == "" {
			msgs = append(msgs, "Payment type can't be blank")
		}
		ref, _ := p.str("reference_number")
		f.payment = &veeqo.Payment{PaymentType: veeqo.PaymentType(t), ReferenceNumber: ref}
	}
	if n, ok := in.obj("customer_note_attributes"); ok {
		t, _ := n.str("text")
		f.customerNote = &t
	}
	for _, key := range []string{"employee_notes_attributes", "employee_note_attributes"} {
		notes, _ := in.objs(key)
		for _, n := range notes {
			if t, _ := n.str("text"); t != "" {
				f.employeeNotes = append(f.employeeNotes, t)
			}
		}
	}
	lines, ok := in.objs("line_items_attributes")
	f.hasLines = ok && len(lines) > 0
	for _, l := range lines {
		var li lineInput
		sid, ok, err := l.int64("sellable_id")
		switch {
		case err != nil:
			msgs = append(msgs, "Line items sellable is invalid")
		case !ok:
			msgs = append(msgs, "Line items sellable can't be blank")
		}
		li.sellableID = sid
		q, ok, err := l.int64("quantity")
		li.qtySent = ok
		switch {
		case err != nil:
			msgs = append(msgs, "Line items quantity is not a number")
		case ok && q <= 0:
			msgs = append(msgs, "Line items quantity must be greater than 0")
		case ok:
			n := int(q)
			li.qty = &n
		}
		for _, d := range []struct {
			key, label string
			dst        **decimal.Decimal
		}{
			{"price_per_unit", "Line items price per unit", &li.price},
			{"tax_rate", "Line items tax rate", &li.taxRate},
			{"taxless_discount_per_unit", "Line items taxless discount per unit", &li.discount},
		} {
			v, ok, err := l.dec(d.key)
			if d.key == "price_per_unit" {
				li.priceSent = ok
			}
			if err != nil {
				msgs = append(msgs, d.label+" is not a number")
			} else if ok {
				*d.dst = &v
			}
		}
		if v, ok := l.str("additional_options"); ok {
			li.options = &v
		}
		f.lines = append(f.lines, li)
	}
	return f, msgs
}

// applyLine sets a line's optional fields from input.
func applyLine(li *veeqo.LineItem, in lineInput) {
	if in.qty != nil {
		li.Quantity = *in.qty
	}
	if in.price != nil {
		li.PricePerUnit = *in.price
	}
	if in.taxRate != nil {
		li.TaxRate = *in.taxRate
	}
	if in.discount != nil {
		li.TaxlessDiscountPerUnit = *in.discount
	}
	if in.options != nil {
		li.AdditionalOptions = *in.options
	}
}

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) {
	in, err := decodeBody(r, "order")
	if err != nil {
		badJSON(w, err)
		return
	}
	now := s.now()
	var out veeqo.Order
	var aerr *apiError
	s.withState(func(st *state) {
		var rec *orderRec
		rec, aerr = st.createOrder(in, now, s.cfg.autoAllocate)
		if aerr == nil {
			out = st.render(rec)
		}
	})
	if aerr != nil {
		aerr.write(w)
		return
	}
	w.Header().Set("Location", s.URL()+"/orders/"+itoa(out.ID))
	writeJSON(w, http.StatusCreated, out)
}

func (st *state) createOrder(in obj, now time.Time, auto bool) (*orderRec, *apiError) {
	f, msgs := parseOrderFields(in)
	idField := func(key, label string, required bool) (int64, bool) {
		v, ok, err := in.int64(key)
		if err != nil {
			msgs = append(msgs, label+" is invalid")
			return 0, false
		}
		if !ok && required {
			msgs = append(msgs, label+" can't be blank")
		}
		return v, ok
	}
	chID, _ := idField("channel_id", "Channel", true)
	custAttrs, hasCustAttrs := in.obj("customer_attributes")
	custID, hasCust := idField("customer_id", "Customer", !hasCustAttrs)
	dtAttrs, hasDTAttrs := in.obj("deliver_to_attributes")
	dtID, hasDT := idField("deliver_to_id", "Deliver to", !hasDTAttrs)
	dmID, hasDM := idField("delivery_method_id", "Delivery method", false)
	if !f.hasLines {
		msgs = append(msgs, "Line items can't be blank")
	}
	for _, l := range f.lines {
		if !l.qtySent {
			msgs = append(msgs, "Line items quantity can't be blank")
		}
		if !l.priceSent {
			msgs = append(msgs, "Line items price per unit can't be blank")
		}
	}
	if len(msgs) > 0 {
		return nil, errInvalid(dedupe(msgs)...)
	}
	// Referenced records must exist.
	if st.channels[chID] == nil ||
		hasCust && st.customers[custID] == nil ||
		hasDT && st.addresses[dtID] == nil ||
		hasDM && st.deliveryMethods[dmID] == nil {
		return nil, errNotFound()
	}
	for _, l := range f.lines {
		if st.sellables[l.sellableID] == nil {
			return nil, errNotFound()
		}
	}

	o := veeqo.Order{Channel: &veeqo.Channel{ID: chID}}
	if hasCust {
		custID = st.customers[custID].ID
	} else {
		custID = st.addCustomer(customerFrom(custAttrs), now).ID
	}
	o.Customer = &veeqo.Customer{ID: custID}
	if hasDT {
		o.DeliverTo = copyAddr(st.addresses[dtID])
	} else {
		o.DeliverTo = st.addAddress(addrFrom(dtAttrs))
		c := st.customers[custID]
		c.ShippingAddresses = append(c.ShippingAddresses, *o.DeliverTo)
	}
	if hasDM {
		o.DeliveryMethod = &veeqo.DeliveryMethod{ID: dmID}
	}
	if f.number != nil {
		o.Number = *f.number
	}
	o.DueDate = f.dueDate
	if f.sendEmail != nil {
		o.SendNotificationEmail = *f.sendEmail
	}
	if f.deliveryCost != nil {
		o.DeliveryCost = *f.deliveryCost
	}
	if f.totalTax != nil {
		o.TotalTax = *f.totalTax
	}
	if f.discounts != nil {
		o.TotalDiscounts = *f.discounts
	}
	o.Payment = f.payment
	if f.customerNote != nil {
		o.CustomerNote = &veeqo.Note{Text: *f.customerNote}
	}
	for _, t := range f.employeeNotes {
		o.EmployeeNotes = append(o.EmployeeNotes, veeqo.Note{Text: t})
	}
	for _, l := range f.lines {
		li := veeqo.LineItem{Sellable: &veeqo.Sellable{ID: l.sellableID}}
		applyLine(&li, l)
		o.LineItems = append(o.LineItems, li)
	}
	o.CreatedAt, o.UpdatedAt = now, now
	return st.addOrder(o, now, auto), nil
}

func dedupe(msgs []string) []string {
	seen := map[string]bool{}
	out := msgs[:0]
	for _, m := range msgs {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

func (s *Server) updateOrder(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	in, err := decodeBody(r, "order")
	if err != nil {
		badJSON(w, err)
		return
	}
	now := s.now()
	var out veeqo.Order
	var aerr *apiError
	s.withState(func(st *state) {
		rec := st.orders[id]
		if rec == nil {
			aerr = errNotFound()
			return
		}
		if aerr = st.updateOrder(rec, in, now, s.cfg.autoAllocate); aerr == nil {
			out = st.render(rec)
		}
	})
	if aerr != nil {
		aerr.write(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// updateOrder applies a partial PUT /orders/{id}. Line items are upserted
// by sellable_id; a quantity cannot drop below what is already allocated.
func (st *state) updateOrder(rec *orderRec, in obj, now time.Time, auto bool) *apiError {
	f, msgs := parseOrderFields(in)
	dmID, hasDM, err := in.int64("delivery_method_id")
	if err != nil {
		msgs = append(msgs, "Delivery method is invalid")
	}
	dtID, hasDT, err := in.int64("deliver_to_id")
	if err != nil {
		msgs = append(msgs, "Deliver to is invalid")
	}
	_, allocated, _ := rec.quantities()
	for _, l := range f.lines {
		if st.sellables[l.sellableID] == nil {
			continue
		}
		existing := rec.line(l.sellableID)
		if existing == nil && !l.qtySent {
			msgs = append(msgs, "Line items quantity can't be blank")
		}
		if existing != nil && l.qty != nil && *l.qty < allocated[l.sellableID] {
			msgs = append(msgs, "Line items quantity can't be less than the allocated quantity")
		}
	}
	if len(msgs) > 0 {
		return errInvalid(dedupe(msgs)...)
	}
	if hasDM && st.deliveryMethods[dmID] == nil || hasDT && st.addresses[dtID] == nil {
		return errNotFound()
	}
	for _, l := range f.lines {
		if st.sellables[l.sellableID] == nil {
			return errNotFound()
		}
	}
	rec.hidden = false
	if hasDM {
		rec.deliveryMethodID = dmID
	}
	if hasDT {
		rec.o.DeliverTo = copyAddr(st.addresses[dtID])
	}
	if a, ok := in.obj("deliver_to_attributes"); ok {
		rec.o.DeliverTo = st.addAddress(addrFrom(a))
	}
	if f.number != nil {
		rec.o.Number = *f.number
	}
	if f.dueDate != nil {
		rec.o.DueDate = f.dueDate
	}
	if f.sendEmail != nil {
		rec.o.SendNotificationEmail = *f.sendEmail
	}
	if f.deliveryCost != nil {
		rec.o.DeliveryCost = *f.deliveryCost
	}
	if f.totalTax != nil {
		rec.o.TotalTax = *f.totalTax
	}
	if f.discounts != nil {
		rec.o.TotalDiscounts = *f.discounts
	}
	if f.payment != nil {
		p := *f.payment
		p.ID = st.id("payment")
		rec.o.Payment = &p
		if rec.override == veeqo.StatusAwaitingPayment {
			rec.override = ""
		}
	}
	if f.customerNote != nil {
		n := veeqo.Note{ID: st.id("note"), OrderID: rec.o.ID, Text: *f.customerNote, CreatedAt: now}
		if rec.o.CustomerNote != nil {
			n.ID, n.CreatedAt = rec.o.CustomerNote.ID, rec.o.CustomerNote.CreatedAt
		}
		rec.o.CustomerNote = &n
	}
	for _, t := range f.employeeNotes {
		rec.o.EmployeeNotes = append(rec.o.EmployeeNotes, veeqo.Note{ID: st.id("note"), OrderID: rec.o.ID, Text: t, CreatedAt: now})
	}
	for _, l := range f.lines {
		line := rec.line(l.sellableID)
		if line == nil {
			line = st.newLine(l.sellableID, 0, decimal.Zero, now)
			rec.lines = append(rec.lines, line)
		}
		applyLine(&line.li, l)
		line.li.UpdatedAt = now
	}
	if f.hasLines || f.deliveryCost != nil {
		rec.recomputeTotals()
	}
	if f.hasLines && auto && rec.override == "" {
		st.autoAllocate(rec, now)
	}
	st.touch(rec, now)
	return nil
}

func (rec *orderRec) line(sid int64) *lineRec {
	for _, l := range rec.lines {
		if l.sellableID == sid {
			return l
		}
	}
	return nil
}

func (s *Server) cancelOrderHTTP(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	in, err := decodeBody(r, "order")
	if err != nil {
		badJSON(w, err)
		return
	}
	reason, _ := in.str("cancel_reason")
	if reason == "" {
		reason, _ = in.str("reason")
	}
	now := s.now()
	var out veeqo.Order
	var aerr *apiError
	s.withState(func(st *state) {
		rec := st.orders[id]
		if rec == nil {
			aerr = errNotFound()
			return
		}
		if err := st.cancel(rec, reason, now); err != nil {
			aerr = errInvalid("Order can't be cancelled once shipped")
			return
		}
		out = st.render(rec)
	})
	if aerr != nil {
		aerr.write(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	in, err := decodeBody(r, "note")
	if err != nil {
		badJSON(w, err)
		return
	}
	text, _ := in.str("text")
	now := s.now()
	var out veeqo.Note
	var aerr *apiError
	s.withState(func(st *state) {
		rec := st.orders[id]
		switch {
		case rec == nil:
			aerr = errNotFound()
		case strings.TrimSpace(text) == "":
			aerr = errInvalid("Text can't be blank")
		default:
			out = veeqo.Note{ID: st.id("note"), OrderID: id, Text: text, CreatedAt: now}
			rec.o.EmployeeNotes = append(rec.o.EmployeeNotes, out)
			st.touch(rec, now)
		}
	})
	if aerr != nil {
		aerr.write(w)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) createAllocation(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	in, err := decodeBody(r, "allocation")
	if err != nil {
		badJSON(w, err)
		return
	}
	wid, hasWID, werr := in.int64("warehouse_id")
	lines, _ := in.objs("line_items_attributes")
	var msgs []string
	switch {
	case werr != nil:
		msgs = append(msgs, "Warehouse is invalid")
	case !hasWID:
		msgs = append(msgs, "Warehouse can't be blank")
	}
	if len(lines) == 0 {
		msgs = append(msgs, "Line items can't be blank")
	}
	want := map[int64]int{}
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
	now := s.now()
	var out veeqo.Order
	var aerr *apiError
	s.withState(func(st *state) {
		if st.orders[id] == nil {
			aerr = errNotFound()
			return
		}
		if len(msgs) > 0 {
			aerr = errInvalid(dedupe(msgs)...)
			return
		}
		if st.warehouses[wid] == nil {
			aerr = errNotFound()
			return
		}
		rec, err := st.liveOrder(id)
		if err != nil {
			aerr = fromHelperErr(err)
			return
		}
		a, err := st.allocateLines(rec, wid, want)
		if err != nil {
			aerr = fromHelperErr(err)
			return
		}
		a.created, a.updated = now, now
		rec.clearSoftOverride()
		st.touch(rec, now)
		out = st.render(rec)
	})
	if aerr != nil {
		aerr.write(w)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

// updateAllocation moves an unshipped allocation to another warehouse.
// Line-item edits are ignored, as observed on live Veeqo.
func (s *Server) updateAllocation(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	aid, _ := pathID(r, "aid")
	in, err := decodeBody(r, "allocation")
	if err != nil {
		badJSON(w, err)
		return
	}
	wid, hasWID, werr := in.int64("warehouse_id")
	now := s.now()
	var out veeqo.Allocation
	var aerr *apiError
	s.withState(func(st *state) {
		rec := st.orders[id]
		if rec == nil || rec.alloc(aid) == nil {
			aerr = errNotFound()
			return
		}
		a := rec.alloc(aid)
		rec.hidden = false
		switch {
		case werr != nil:
			aerr = errInvalid("Warehouse is invalid")
			return
		case a.shipment != nil:
			aerr = errInvalid("Allocation has already been shipped")
			return
		case hasWID && st.warehouses[wid] == nil:
			aerr = errNotFound()
			return
		}
		if hasWID && wid != a.warehouseID {
			for _, l := range a.lines {
				if !st.canAllocate(l.sellableID, wid, l.qty) {
					aerr = errInvalid("Not enough stock")
					return
				}
			}
			for _, l := range a.lines {
				st.allocated[stockKey{l.sellableID, a.warehouseID}] -= l.qty
				st.allocated[stockKey{l.sellableID, wid}] += l.qty
			}
			a.warehouseID = wid
		}
		a.updated = now
		st.touch(rec, now)
		out = st.renderAlloc(rec, a)
	})
	if aerr != nil {
		aerr.write(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// deleteAllocation removes one unshipped allocation (Veeqo's docs say all;
// integrations use it per allocation) and returns the order.
func (s *Server) deleteAllocation(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	aid, _ := pathID(r, "aid")
	now := s.now()
	var out veeqo.Order
	var aerr *apiError
	s.withState(func(st *state) {
		rec := st.orders[id]
		if rec == nil || rec.alloc(aid) == nil {
			aerr = errNotFound()
			return
		}
		rec.hidden = false
		a := rec.alloc(aid)
		if a.shipment != nil {
			aerr = errInvalid("Allocation has already been shipped")
			return
		}
		st.releaseAlloc(rec, a)
		st.touch(rec, now)
		out = st.render(rec)
	})
	if aerr != nil {
		aerr.write(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createShipment(w http.ResponseWriter, r *http.Request) {
	full, err := decodeBody(r, "")
	if err != nil {
		badJSON(w, err)
		return
	}
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
	var msgs []string
	need := func(key, label string) int64 {
		v, ok, err := pick(key)
		switch {
		case err != nil:
			msgs = append(msgs, label+" is invalid")
		case !ok:
			msgs = append(msgs, label+" can't be blank")
		}
		return v
	}
	orderID := need("order_id", "Order")
	allocID := need("allocation_id", "Allocation")
	carrierID := need("carrier_id", "Carrier")
	if _, known := veeqo.CarrierName(carrierID); carrierID != 0 && !known {
		msgs = append(msgs, "Carrier is invalid")
	}
	info := ShipInfo{CarrierID: carrierID}
	if tn, ok := sh.obj("tracking_number_attributes"); ok {
		info.TrackingNumber, _ = tn.str("tracking_number")
	} else if v, ok := sh.str("tracking_number"); ok {
		info.TrackingNumber = v
	}
	info.ServiceName, _ = sh.str("service_name")
	info.TrackingURL, _ = sh.str("tracking_url")
	info.NotifyCustomer, _ = sh.boolean("notify_customer")
	info.UpdateRemoteOrder, _ = sh.boolean("update_remote_order")

	now := s.now()
	var out veeqo.Shipment
	var aerr *apiError
	s.withState(func(st *state) {
		if len(msgs) > 0 {
			aerr = errInvalid(dedupe(msgs)...)
			return
		}
		rec := st.orders[orderID]
		if rec == nil || rec.alloc(allocID) == nil {
			aerr = errNotFound()
			return
		}
		if _, err := st.liveOrder(orderID); err != nil {
			aerr = fromHelperErr(err)
			return
		}
		a := rec.alloc(allocID)
		if a.shipment != nil {
			aerr = errInvalid("Allocation has already been shipped")
			return
		}
		out = *st.ship(rec, a, info, now)
		rec.clearSoftOverride()
		st.touch(rec, now)
	})
	if aerr != nil {
		aerr.write(w)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) deleteShipment(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	now := s.now()
	found := false
	s.withState(func(st *state) {
		ref, ok := st.shipments[id]
		if !ok {
			return
		}
		rec := st.orders[ref[0]]
		a := rec.alloc(ref[1])
		if a == nil || a.shipment == nil {
			return
		}
		found = true
		rec.hidden = false
		st.unship(rec, a, now)
		st.touch(rec, now)
	})
	if !found {
		writeNotFound(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
