package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"
	stdsync "sync"
)

// MemoryERP is an in-memory ERP for tests, examples and the command-line
// tool (which loads and saves it as JSON). It is safe for concurrent use.
// Candidates are the orders with a Wave, in Ref order; ApplyShipment is
// idempotent by the update's Key.
type MemoryERP struct {
	mu      stdsync.Mutex
	orders  map[string]*ERPOrder
	applied map[string]ShipmentUpdate
	log     []ShipmentUpdate
	// byKey indexes the orders by Number and by MarketplaceRef (the keys
	// FindOrder matches), so a lookup does not scan every order.
	byKey map[string]map[string]struct{}
}

// NewMemoryERP returns an ERP holding copies of orders.
func NewMemoryERP(orders ...ERPOrder) *MemoryERP {
	m := &MemoryERP{orders: map[string]*ERPOrder{}, applied: map[string]ShipmentUpdate{}, byKey: map[string]map[string]struct{}{}}
	m.Put(orders...)
	return m
}

// Put adds or replaces orders (by Ref).
func (m *MemoryERP) Put(orders ...ERPOrder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range orders {
		c := cloneOrder(o)
		m.unindex(m.orders[o.Ref])
		m.orders[o.Ref] = &c
		m.index(&c)
	}
}

// index adds o under its Number and MarketplaceRef; unindex removes it.
func (m *MemoryERP) index(o *ERPOrder) {
	for _, k := range []string{o.Number, o.MarketplaceRef} {
		if k == "" {
			continue
		}
		refs := m.byKey[k]
		if refs == nil {
			refs = map[string]struct{}{}
			m.byKey[k] = refs
		}
		refs[o.Ref] = struct{}{}
	}
}

func (m *MemoryERP) unindex(o *ERPOrder) {
	if o == nil {
		return
	}
	for _, k := range []string{o.Number, o.MarketplaceRef} {
		if refs := m.byKey[k]; refs != nil {
			delete(refs, o.Ref)
			if len(refs) == 0 {
				delete(m.byKey, k)
			}
		}
	}
}

func cloneOrder(o ERPOrder) ERPOrder {
	o.Lines = slices.Clone(o.Lines)
	o.Tags = slices.Clone(o.Tags)
	return o
}

// Candidates implements ERP.
func (m *MemoryERP) Candidates(ctx context.Context, q CandidateQuery) iter.Seq2[ERPOrder, error] {
	return func(yield func(ERPOrder, error) bool) {
		m.mu.Lock()
		n := len(m.orders)
		if len(q.Refs) > 0 {
			n = min(n, len(q.Refs))
		}
		list := make([]ERPOrder, 0, n)
		if len(q.Refs) > 0 {
			for _, ref := range q.Refs {
				if o, ok := m.orders[ref]; ok {
					list = append(list, cloneOrder(*o))
				}
			}
		} else {
			for _, o := range m.orders {
				if notCandidate(o, q) != "" {
					continue
				}
				list = append(list, cloneOrder(*o))
			}
			slices.SortFunc(list, func(a, b ERPOrder) int { return strings.Compare(a.Ref, b.Ref) })
		}
		m.mu.Unlock()
		for _, o := range list {
			if err := ctx.Err(); err != nil {
				yield(ERPOrder{}, err)
				return
			}
			if !yield(o, nil) {
				return
			}
		}
	}
}

// Reasons an order is not an export candidate, as NotCandidates counts them.
const (
	NotWaved         = "not in a wave"
	BeforeStartDate  = "created before the start date"
	OutsideFromTo    = "created outside the run's from/to window"
	NotMatchedSearch = "not matching the search"
)

// notCandidate says why o is not a candidate for q (a q without Refs), or
// "" when it is one.
func notCandidate(o *ERPOrder, q CandidateQuery) string {
	switch {
	case o.Wave == "":
		return NotWaved
	case !q.Since.IsZero() && o.CreatedAt.Before(q.Since):
		return BeforeStartDate
	case (!q.From.IsZero() && o.CreatedAt.Before(q.From)) || (!q.To.IsZero() && !o.CreatedAt.Before(q.To)):
		return OutsideFromTo
	}
	if s := strings.ToLower(strings.TrimSpace(q.Search)); s != "" &&
		!strings.Contains(strings.ToLower(o.Ref+" "+o.Number+" "+o.Customer.Email+" "+o.Customer.Name), s) {
		return NotMatchedSearch
	}
	return ""
}

// NotCandidates counts, by reason (NotWaved, BeforeStartDate, ...), the
// orders that Candidates(q) leaves out, so a host can say why an order is
// not exported. With q.Refs (explicit references) it counts nothing.
func (m *MemoryERP) NotCandidates(q CandidateQuery) map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	if len(q.Refs) > 0 {
		return out
	}
	for _, o := range m.orders {
		if why := notCandidate(o, q); why != "" {
			out[why]++
		}
	}
	return out
}

// Order implements ERP.
func (m *MemoryERP) Order(ctx context.Context, ref string) (ERPOrder, error) {
	if err := ctx.Err(); err != nil {
		return ERPOrder{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[ref]
	if !ok {
		return ERPOrder{}, fmt.Errorf("%w: %s", ErrERPOrderNotFound, ref)
	}
	return cloneOrder(*o), nil
}

// FindOrder implements ERP: an order whose Number or MarketplaceRef equals
// q.Number or q.MarketplaceRef (exactly), the lowest Ref first.
func (m *MemoryERP) FindOrder(ctx context.Context, q FindQuery) (ERPOrder, error) {
	if err := ctx.Err(); err != nil {
		return ERPOrder{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var best *ERPOrder
	for _, k := range []string{q.Number, q.MarketplaceRef} {
		if k == "" {
			continue
		}
		for ref := range m.byKey[k] {
			if o := m.orders[ref]; o != nil && (best == nil || o.Ref < best.Ref) {
				best = o
			}
		}
	}
	if best == nil {
		return ERPOrder{}, fmt.Errorf("%w: number %q", ErrERPOrderNotFound, q.Number)
	}
	return cloneOrder(*best), nil
}

// ApplyShipment implements ERP: it adds each line's ShipQuantity, closes
// and unallocates as told, sets the status and tracking, once per
// ShipmentID.
func (m *MemoryERP) ApplyShipment(ctx context.Context, u ShipmentUpdate) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.applied[u.Key()]; dup {
		return nil
	}
	o, ok := m.orders[u.OrderRef]
	if !ok {
		return fmt.Errorf("%w: %s", ErrERPOrderNotFound, u.OrderRef)
	}
	for _, lu := range u.Lines {
		for i := range o.Lines {
			l := &o.Lines[i]
			if l.Ref != lu.LineRef {
				continue
			}
			l.Shipped += lu.ShipQuantity
			l.Allocated = max(l.Allocated-lu.ShipQuantity-lu.Unallocate, 0)
			if lu.Close {
				l.Closed = true
			}
			if lu.Reopen {
				l.Closed = false
			}
		}
	}
	if u.Status != "" {
		o.Status = u.Status
	}
	m.applied[u.Key()] = u
	m.log = append(m.log, u)
	return nil
}

// Tracking returns the tracking numbers an order carries: those of its
// applied shipments, less those a void withdrew, in the order applied.
func (m *MemoryERP) Tracking(ref string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, u := range m.log {
		if u.OrderRef != ref {
			continue
		}
		switch u.Kind {
		case KindShipment:
			out = append(out, u.TrackingNumbers...)
		case KindVoid:
			for _, t := range u.TrackingNumbers {
				if i := slices.Index(out, t); i >= 0 {
					out = slices.Delete(out, i, i+1)
				}
			}
		}
	}
	return out
}

// Cancel marks an order cancelled in the ERP (Status OrderCancelled), as a
// user cancelling it after export would.
func (m *MemoryERP) Cancel(ref string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[ref]
	if !ok {
		return fmt.Errorf("%w: %s", ErrERPOrderNotFound, ref)
	}
	o.Status = OrderCancelled
	return nil
}

// Delete removes an order from the ERP, as a user deleting it would.
func (m *MemoryERP) Delete(ref string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unindex(m.orders[ref])
	delete(m.orders, ref)
}

// Orders returns copies of every order, in Ref order.
func (m *MemoryERP) Orders() []ERPOrder {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]ERPOrder, 0, len(m.orders))
	for _, o := range m.orders {
		out = append(out, cloneOrder(*o))
	}
	slices.SortFunc(out, func(a, b ERPOrder) int { return strings.Compare(a.Ref, b.Ref) })
	return out
}

// Applied returns the updates applied so far, in order (each shipment once).
func (m *MemoryERP) Applied() []ShipmentUpdate {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.log)
}

// memoryERPDoc is MemoryERP's JSON form.
type memoryERPDoc struct {
	Orders  []ERPOrder       `json:"orders"`
	Applied []ShipmentUpdate `json:"applied,omitempty"`
}

// MarshalJSON writes the orders and the applied updates.
func (m *MemoryERP) MarshalJSON() ([]byte, error) {
	return json.Marshal(memoryERPDoc{Orders: m.Orders(), Applied: m.Applied()})
}

// UnmarshalJSON loads orders and applied updates (replacing the content).
func (m *MemoryERP) UnmarshalJSON(b []byte) error {
	var d memoryERPDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("memory ERP: %w", err)
	}
	seen := map[string]bool{}
	for i, o := range d.Orders {
		if strings.TrimSpace(o.Ref) == "" {
			return fmt.Errorf("memory ERP: orders[%d]: ref is required", i)
		}
		if seen[o.Ref] {
			return fmt.Errorf("memory ERP: orders[%d]: duplicate ref %q", i, o.Ref)
		}
		seen[o.Ref] = true
	}
	m.mu.Lock()
	m.orders = map[string]*ERPOrder{}
	m.applied = map[string]ShipmentUpdate{}
	m.byKey = map[string]map[string]struct{}{}
	m.log = nil
	m.mu.Unlock()
	m.Put(d.Orders...)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, u := range d.Applied {
		m.applied[u.Key()] = u
		m.log = append(m.log, u)
	}
	return nil
}

var _ ERP = (*MemoryERP)(nil)
