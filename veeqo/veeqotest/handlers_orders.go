package veeqotest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

func knownStatus(s string) bool {
	switch veeqo.OrderStatus(s) {
	case veeqo.StatusAwaitingPayment, veeqo.StatusAwaitingStock, veeqo.StatusAwaitingFulfillment,
		veeqo.StatusShipped, veeqo.StatusOnHold, veeqo.StatusCancelled, veeqo.StatusRefunded,
		"awaiting_amazon_stock":
		return true
	}
	return false
}

// orderQuery is GET /orders' filters, parsed.
type orderQuery struct {
	status                 string
	sinceID                int64
	createdMin, updatedMin time.Time
	hasCreated, hasUpdated bool
	query                  string
	tags                   []string
	channels               []int64
	hasChannels            bool
	allocAt                int64
	hasAllocAt             bool
}

func parseOrderQuery(q map[string][]string) orderQuery {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	var oq orderQuery
	oq.status = get("status")
	oq.sinceID, _ = strconv.ParseInt(get("since_id"), 10, 64)
	oq.createdMin, oq.hasCreated = parseTimeFilter(get("created_at_min"))
	oq.updatedMin, oq.hasUpdated = parseTimeFilter(get("updated_at_min"))
	oq.query = get("query")
	for _, t := range strings.Split(get("tags"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			oq.tags = append(oq.tags, t)
		}
	}
	oq.channels, oq.hasChannels = idList(q, "channel_ids")
	allocAt, allocErr := strconv.ParseInt(get("allocated_at"), 10, 64)
	oq.allocAt, oq.hasAllocAt = allocAt, allocErr == nil
	return oq
}

// filterOrders returns the ids matching GET /orders' filters, newest first.
// A query (the search) does not see orders created after searchHorizon:
// the search index trails the database (Server.SetSearchLag).
func (st *state) filterOrders(q map[string][]string, searchHorizon time.Time) []int64 {
	oq := parseOrderQuery(q)
	if oq.status != "" && !knownStatus(oq.status) {
		return nil
	}
	var out []int64
	for i := len(st.orderIDs) - 1; i >= 0; i-- { // newest first
		id := st.orderIDs[i]
		if st.orderPasses(id, st.orders[id], oq, searchHorizon) {
			out = append(out, id)
		}
	}
	return out
}

// orderPasses reports whether the order passes every filter of oq.
func (st *state) orderPasses(id int64, rec *orderRec, oq orderQuery, searchHorizon time.Time) bool {
	// Cancelled (like every kept status) is only ever an override: no
	// need to roll the lines up for it.
	switch {
	case oq.status == "":
		if rec.override == veeqo.StatusCancelled {
			return false
		}
	case keptStatus(veeqo.OrderStatus(oq.status)):
		if string(rec.override) != oq.status {
			return false
		}
	case string(rec.status()) != oq.status:
		return false
	}
	switch {
	case id <= oq.sinceID,
		oq.hasCreated && rec.o.CreatedAt.Before(oq.createdMin),
		oq.hasUpdated && rec.o.UpdatedAt.Before(oq.updatedMin),
		oq.hasChannels && !containsID(oq.channels, rec.channelID),
		oq.hasAllocAt && !rec.hasAllocationIn(oq.allocAt),
		len(oq.tags) > 0 && !rec.hasAnyTag(oq.tags),
		oq.query != "" && (rec.o.CreatedAt.After(searchHorizon) || !st.orderMatches(rec, oq.query)):
		return false
	}
	return true
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
	listPage(s, w, r, "page_size", 100, true, false, s.orderFilter(r.URL.Query()), renderOrder)
}

// orderFilter is GET /orders' filters (see filterOrders); the search
// horizon is read under the lock, as the search lag may change.
func (s *Server) orderFilter(q url.Values) func(st *state) []int64 {
	return func(st *state) []int64 { return st.filterOrders(q, s.now().Add(-s.searchLag)) }
}

func renderOrder(st *state, id int64) veeqo.Order { return st.render(st.orders[id]) }

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.act(w, http.StatusOK, func(st *state) (any, *apiError) {
		rec, aerr := st.findOrder(id)
		if aerr != nil {
			return nil, aerr
		}
		return st.render(rec), nil
	})
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
	msgs := f.parseHeader(in)
	msgs = append(msgs, f.parseNotes(in)...)
	lines, ok := in.objs("line_items_attributes")
	f.hasLines = ok && len(lines) > 0
	for _, l := range lines {
		li, lmsgs := parseLine(l)
		msgs = append(msgs, lmsgs...)
		f.lines = append(f.lines, li)
	}
	return f, msgs
}

// parseHeader reads the order's own scalars: number, due date, the email
// flag and the money fields.
func (f *orderFields) parseHeader(in obj) []string {
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
	return msgs
}

// parseNotes reads the payment and the customer and employee notes.
func (f *orderFields) parseNotes(in obj) []string {
	var msgs []string
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
	return msgs
}

// parseLine reads one of line_items_attributes.
func parseLine(l obj) (lineInput, []string) {
	var li lineInput
	var msgs []string
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
	return li, msgs
}

// applyHeader sets the order's scalars that were sent.
func (f *orderFields) applyHeader(o *veeqo.Order) {
	if f.number != nil {
		o.Number = *f.number
	}
	if f.dueDate != nil {
		o.DueDate = f.dueDate
	}
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

// unknownSellable reports whether a line names a sellable Veeqo does not
// have.
func (st *state) unknownSellable(lines []lineInput) bool {
	for _, l := range lines {
		if st.sellables[l.sellableID] == nil {
			return true
		}
	}
	return false
}

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) {
	in, ok := readBody(w, r, "order")
	if !ok {
		return
	}
	now := s.now()
	s.act(w, http.StatusCreated, func(st *state) (any, *apiError) {
		rec, aerr := st.createOrder(in, now, s.cfg.autoAllocate)
		if aerr != nil {
			return nil, aerr
		}
		out := st.render(rec)
		w.Header().Set("Location", s.URL()+"/orders/"+itoa(out.ID))
		return out, nil
	})
}

// orderRefs are the records a new order names: by id, or (customer and
// address) by attributes to create.
type orderRefs struct {
	chID, custID, dtID, dmID int64
	hasCust, hasDT, hasDM    bool
	custAttrs, dtAttrs       obj
}

// parseOrderRefs reads the ids POST /orders takes, appending what is wrong
// to msgs.
func parseOrderRefs(in obj, msgs []string) (orderRefs, []string) {
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
	var refs orderRefs
	var hasCustAttrs, hasDTAttrs bool
	refs.chID, _ = idField("channel_id", "Channel", true)
	refs.custAttrs, hasCustAttrs = in.obj("customer_attributes")
	refs.custID, refs.hasCust = idField("customer_id", "Customer", !hasCustAttrs)
	refs.dtAttrs, hasDTAttrs = in.obj("deliver_to_attributes")
	refs.dtID, refs.hasDT = idField("deliver_to_id", "Deliver to", !hasDTAttrs)
	refs.dmID, refs.hasDM = idField("delivery_method_id", "Delivery method", false)
	return refs, msgs
}

// refsExist reports whether every record the new order names by id exists.
func (st *state) refsExist(refs orderRefs) bool {
	return st.channels[refs.chID] != nil &&
		(!refs.hasCust || st.customers[refs.custID] != nil) &&
		(!refs.hasDT || st.addresses[refs.dtID] != nil) &&
		(!refs.hasDM || st.deliveryMethods[refs.dmID] != nil)
}

func (st *state) createOrder(in obj, now time.Time, auto bool) (*orderRec, *apiError) {
	f, msgs := parseOrderFields(in)
	refs, msgs := parseOrderRefs(in, msgs)
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
	if !st.refsExist(refs) || st.unknownSellable(f.lines) {
		return nil, errNotFound()
	}
	o := veeqo.Order{Channel: &veeqo.Channel{ID: refs.chID}}
	st.linkCustomer(&o, refs, now)
	if refs.hasDM {
		o.DeliveryMethod = &veeqo.DeliveryMethod{ID: refs.dmID}
	}
	f.applyHeader(&o)
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

// linkCustomer sets the new order's customer and delivery address, each
// named by id or created from its attributes (a new address joins the
// customer's shipping addresses).
func (st *state) linkCustomer(o *veeqo.Order, refs orderRefs, now time.Time) {
	custID := refs.custID
	if refs.hasCust {
		custID = st.customers[custID].ID
	} else {
		custID = st.addCustomer(customerFrom(refs.custAttrs), now).ID
	}
	o.Customer = &veeqo.Customer{ID: custID}
	if refs.hasDT {
		o.DeliverTo = copyAddr(st.addresses[refs.dtID])
	} else {
		o.DeliverTo = st.addAddress(addrFrom(refs.dtAttrs))
		c := st.customers[custID]
		c.ShippingAddresses = append(c.ShippingAddresses, *o.DeliverTo)
	}
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
	in, ok := readBody(w, r, "order")
	if !ok {
		return
	}
	now := s.now()
	s.act(w, http.StatusOK, func(st *state) (any, *apiError) {
		rec, aerr := st.findOrder(id)
		if aerr != nil {
			return nil, aerr
		}
		if aerr := st.updateOrder(rec, in, now, s.cfg.autoAllocate); aerr != nil {
			return nil, aerr
		}
		return st.render(rec), nil
	})
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
	msgs = append(msgs, st.lineUpdateProblems(rec, f.lines)...)
	if len(msgs) > 0 {
		return errInvalid(dedupe(msgs)...)
	}
	if hasDM && st.deliveryMethods[dmID] == nil || hasDT && st.addresses[dtID] == nil || st.unknownSellable(f.lines) {
		return errNotFound()
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
	f.applyHeader(&rec.o)
	st.updateNotes(rec, &f, now)
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

// lineUpdateProblems checks PUT's lines against the order: a new line
// needs a quantity, and none may drop below what is allocated.
func (st *state) lineUpdateProblems(rec *orderRec, lines []lineInput) []string {
	var msgs []string
	_, allocated, _ := rec.quantities()
	for _, l := range lines {
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
	return msgs
}

// updateNotes applies PUT's payment (which releases an awaiting-payment
// hold) and notes: the customer note is edited in place, employee notes
// are added.
func (st *state) updateNotes(rec *orderRec, f *orderFields, now time.Time) {
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
	in, ok := readBody(w, r, "order")
	if !ok {
		return
	}
	reason, _ := in.str("cancel_reason")
	if reason == "" {
		reason, _ = in.str("reason")
	}
	now := s.now()
	s.act(w, http.StatusOK, func(st *state) (any, *apiError) {
		rec, aerr := st.findOrder(id)
		if aerr != nil {
			return nil, aerr
		}
		if err := st.cancel(rec, reason, now); err != nil {
			return nil, errInvalid("Order can't be cancelled once shipped")
		}
		return st.render(rec), nil
	})
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	in, ok := readBody(w, r, "note")
	if !ok {
		return
	}
	text, _ := in.str("text")
	now := s.now()
	s.act(w, http.StatusCreated, func(st *state) (any, *apiError) {
		rec, aerr := st.findOrder(id)
		switch {
		case aerr != nil:
			return nil, aerr
		case strings.TrimSpace(text) == "":
			return nil, errInvalid("Text can't be blank")
		}
		out := veeqo.Note{ID: st.id("note"), OrderID: id, Text: text, CreatedAt: now}
		rec.o.EmployeeNotes = append(rec.o.EmployeeNotes, out)
		st.touch(rec, now)
		return out, nil
	})
}
