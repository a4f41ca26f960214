package sync

import (
	"context"
	"errors"
	"iter"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xoroerp/veeqoconnect/mapping"
)

// ErrERPOrderNotFound is matched (errors.Is) by the error an ERP returns when
// it has no order for a reference or a Veeqo order.
var ErrERPOrderNotFound = errors.New("vsync: ERP order not found")

// OrderError is one ERP order the host cannot hand over (a malformed record
// in its data). Candidates may yield it in place of the order: the engine
// records Err as Ref's export error and goes on with the other candidates,
// where any other error stops the pass. Order may return it too.
type OrderError struct {
	Ref string // the order's reference (or where it is, when it has none)
	Err error
}

// Error implements error.
func (e *OrderError) Error() string { return "ERP order " + e.Ref + ": " + e.Err.Error() }

// Unwrap returns Err.
func (e *OrderError) Unwrap() error { return e.Err }

// ERP is the seam the host implements: where orders come from and where
// shipments go. Every method is called with the run's context; errors are
// recorded against the reference being processed and never stop the other
// references of a run.
type ERP interface {
	// Candidates yields the orders eligible for export: orders in waves,
	// created on or after q.Since, narrowed by the manual-run fields of q. It
	// yields current data (never a cached payload) and stops at the first
	// error it yields, except an *OrderError: one order the ERP cannot read,
	// recorded as that order's error while the others go on.
	Candidates(ctx context.Context, q CandidateQuery) iter.Seq2[ERPOrder, error]
	// Order returns the current data of one order by reference, an error
	// matching ErrERPOrderNotFound if there is none.
	Order(ctx context.Context, ref string) (ERPOrder, error)
	// FindOrder finds the ERP order a Veeqo order belongs to (fetch mode), by
	// its number or marketplace reference; ErrERPOrderNotFound if none.
	FindOrder(ctx context.Context, q FindQuery) (ERPOrder, error)
	// ApplyShipment applies a computed shipment update. It must be idempotent
	// by u.Key(): applying an update whose key was already applied changes
	// nothing and returns nil. Besides shipments (Kind ""), updates withdraw
	// a voided shipment (KindVoid: negative quantities, lines reopened and
	// re-allocated, its tracking numbers withdrawn) and close the remainder
	// of an order Veeqo cancelled (KindCancel); each is applied as given.
	ApplyShipment(ctx context.Context, u ShipmentUpdate) error
}

// CandidateQuery selects export candidates. Zero fields do not filter.
type CandidateQuery struct {
	// Since is the integration start date (local midnight, as UTC): orders
	// created before it are not candidates.
	Since time.Time
	// From and To bound the order's creation time of a manual run
	// (From <= CreatedAt < To).
	From, To time.Time
	// Search is a manual run's search term (order number or keyword).
	Search string
	// Refs are explicit order references (a manual "run these now"); when
	// set, the ERP yields exactly these orders (waved or not) and ignores the
	// other fields.
	Refs []string
}

// FindQuery identifies a Veeqo order for FindOrder.
type FindQuery struct {
	// Number is the Veeqo order's number (for marketplace orders usually the
	// marketplace's order id).
	Number string
	// MarketplaceRef is the Veeqo order's sales record number, when it
	// differs from Number.
	MarketplaceRef string
	// Store is the ERP store the order's channel maps to ("" if unmapped).
	Store string
	// VeeqoOrderID is the Veeqo order's id.
	VeeqoOrderID int64
}

// ERPOrder is an ERP sales order as the engine sees it.
type ERPOrder struct {
	// Ref is the ERP's unique reference of the order (the export key).
	Ref string `json:"ref"`
	// Number is the order number sent to Veeqo as the order's number.
	Number string `json:"number"`
	// MarketplaceRef is a marketplace order id, for orders born elsewhere.
	MarketplaceRef string `json:"marketplace_ref,omitempty"`
	// Wave is the wave the order is in ("" when not waved).
	Wave string `json:"wave,omitempty"`
	// Store is the ERP store (mapped to a Veeqo channel).
	Store string `json:"store"`
	// Source is the order source (e.g. "Web", "Phone", "Amazon").
	Source    string    `json:"source,omitempty"`
	Status    string    `json:"status,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Carrier and ShipService are the ERP's names (mapped to Veeqo).
	Carrier     string `json:"carrier,omitempty"`
	ShipService string `json:"ship_service,omitempty"`

	Customer Customer `json:"customer"`
	ShipTo   Address  `json:"ship_to"`
	BillTo   Address  `json:"bill_to"`

	DeliveryCost decimal.Decimal `json:"delivery_cost"`
	Total        decimal.Decimal `json:"total"`
	Currency     string          `json:"currency,omitempty"`
	Tags         []string        `json:"tags,omitempty"`
	Notes        string          `json:"notes,omitempty"`
	// CustomFields are the order's custom fields.
	CustomFields map[string]string `json:"custom_fields,omitempty"`

	Lines []ERPLine `json:"lines"`
}

// Customer is the ERP order's customer.
type Customer struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Address is a postal address of an ERP order.
type Address struct {
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Company   string `json:"company,omitempty"`
	Address1  string `json:"address1,omitempty"`
	Address2  string `json:"address2,omitempty"`
	City      string `json:"city,omitempty"`
	State     string `json:"state,omitempty"`
	Zip       string `json:"zip,omitempty"`
	Country   string `json:"country,omitempty"` // ISO 3166-1 alpha-2
	Phone     string `json:"phone,omitempty"`
	Email     string `json:"email,omitempty"`
}

// ERPLine is one order (wave) line.
type ERPLine struct {
	// Ref identifies the line within its order (e.g. "1", "SO-1001/2").
	Ref        string `json:"ref"`
	SKU        string `json:"sku,omitempty"`
	ItemNumber string `json:"item_number,omitempty"`
	UPC        string `json:"upc,omitempty"`
	// CustomFields hold identifiers selected by "custom:<field>".
	CustomFields map[string]string `json:"custom_fields,omitempty"`
	Description  string            `json:"description,omitempty"`
	Quantity     int               `json:"quantity"`
	UnitPrice    decimal.Decimal   `json:"unit_price"`
	TaxRate      decimal.Decimal   `json:"tax_rate"`
	// Shipped is the quantity shipped so far (current ERP data).
	Shipped int `json:"shipped"`
	// Allocated is the quantity still allocated on the wave line.
	Allocated int `json:"allocated"`
	// Closed is true once the wave line is closed.
	Closed bool `json:"closed"`
}

// mappingLine is the line as the mapping package reads its identifiers
// (mapping.Identifier.Value): the one conversion, for export and fetch.
func (l ERPLine) mappingLine() mapping.Line {
	return mapping.Line{Ref: l.Ref, SKU: l.SKU, ItemNumber: l.ItemNumber, UPC: l.UPC, Custom: l.CustomFields}
}

// ERP order statuses the engine sets through ShipmentUpdate.Status.
const (
	OrderPartiallyShipped = "partially_shipped"
	OrderShipped          = "shipped"
	// OrderClosed is an order finalised by its first shipment under "disable
	// multishipment" with some quantity unshipped (and unallocated), or whose
	// remainder was closed when Veeqo cancelled it after a partial shipment.
	OrderClosed = "closed"
	// OrderOpen is an order with nothing shipped any more: a void withdrew
	// its only shipments.
	OrderOpen = "open"
	// OrderCancelled is the status an ERP gives a cancelled order
	// (ERPOrder.Status): the engine applies no shipment to it and flags it.
	OrderCancelled = "cancelled"
)

// Kinds of ShipmentUpdate.
const (
	// KindShipment (the zero value) applies a Veeqo shipment.
	KindShipment = ""
	// KindVoid withdraws an applied shipment whose label was voided in Veeqo
	// (the shipment deleted, or its tracking number cancelled): its line
	// quantities negated, lines it closed reopened, quantities it
	// unallocated re-allocated, and its TrackingNumbers to be removed from
	// the order. ShipmentID is the voided shipment's.
	KindVoid = "void"
	// KindCancel closes and unallocates the unshipped remainder of an order
	// Veeqo cancelled after a partial shipment (setting
	// veeqo_cancel_remainder "close"). ShipmentID is 0; the key is the
	// Veeqo order id.
	KindCancel = "cancel"
)

// ShipmentUpdate is what one Veeqo shipment does to an ERP order, computed
// fully by the engine. ERP.ApplyShipment applies it as given, once per
// ShipmentID.
type ShipmentUpdate struct {
	// Kind is KindShipment (""), KindVoid or KindCancel; with ShipmentID (or
	// VeeqoOrderID for KindCancel) it makes the idempotency key, Key().
	Kind string `json:"kind,omitempty"`
	// ShipmentID is the Veeqo shipment id.
	ShipmentID   int64 `json:"shipment_id"`
	AllocationID int64 `json:"allocation_id"`
	VeeqoOrderID int64 `json:"veeqo_order_id"`
	// VeeqoOrderNumber is the Veeqo order's number.
	VeeqoOrderNumber string `json:"veeqo_order_number,omitempty"`
	OrderRef         string `json:"order_ref"`
	// Lines are the lines this update changes.
	Lines []LineUpdate `json:"lines"`
	// Status is the order's new status (OrderPartiallyShipped, OrderShipped,
	// OrderClosed).
	Status string `json:"status"`
	// TrackingNumbers of the shipment (none for marketplace-shipped ones).
	TrackingNumbers []string `json:"tracking_numbers,omitempty"`
	// Carrier and ShipService are mapped back to the ERP's names;
	// VeeqoCarrier and VeeqoService are what Veeqo said.
	Carrier      string    `json:"carrier,omitempty"`
	ShipService  string    `json:"ship_service,omitempty"`
	VeeqoCarrier string    `json:"veeqo_carrier,omitempty"`
	VeeqoService string    `json:"veeqo_service,omitempty"`
	ShippedAt    time.Time `json:"shipped_at"`
	// Final is true when the order needs no further confirmations (fully
	// shipped, or finalised under "disable multishipment").
	Final bool `json:"final"`
	// Warnings say what was adjusted (over-shipment capped, unmapped carrier
	// passed through, unknown lines).
	Warnings []string `json:"warnings,omitempty"`
}

// LineUpdate is the change to one ERP line.
type LineUpdate struct {
	LineRef string `json:"line_ref"`
	// ShipQuantity is the quantity this shipment ships on the line.
	ShipQuantity int `json:"ship_quantity"`
	// ShippedTotal is the line's shipped quantity after the update.
	ShippedTotal int `json:"shipped_total"`
	// Close closes the wave line.
	Close bool `json:"close"`
	// Reopen reopens a wave line a voided shipment had closed (KindVoid).
	Reopen bool `json:"reopen,omitempty"`
	// Unallocate is the quantity to unallocate (the unshipped remainder of a
	// line closed by a final first shipment).
	Unallocate int `json:"unallocate"`
}

// Key is the update's idempotency key: "shipment:<id>", "void:<id>" or
// "cancel:<veeqo order id>". An ERP applies each key at most once.
func (u ShipmentUpdate) Key() string {
	switch u.Kind {
	case KindVoid:
		return "void:" + strconv.FormatInt(u.ShipmentID, 10)
	case KindCancel:
		return "cancel:" + strconv.FormatInt(u.VeeqoOrderID, 10)
	}
	return "shipment:" + strconv.FormatInt(u.ShipmentID, 10)
}
