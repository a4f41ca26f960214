package veeqo

import (
	"time"

	"github.com/shopspring/decimal"
)

// This file holds the resource types shared by the client and by the fake
// server in veeqotest. Field names follow Veeqo's JSON. Veeqo sends null for
// almost anything, so optional timestamps are pointers, optional objects are
// pointers, and money is decimal.Decimal (which decodes a JSON number, a
// quoted decimal string, or null as zero). Ids are int64: Veeqo ids are
// already well past 10^8.

// OrderStatus is an order's status. It is an open set: Veeqo has added values
// over time (for example "awaiting_amazon_stock"), so decode it as a string
// and compare with the named constants.
type OrderStatus string

// The documented order statuses.
const (
	StatusAwaitingPayment     OrderStatus = "awaiting_payment"
	StatusAwaitingStock       OrderStatus = "awaiting_stock"
	StatusAwaitingFulfillment OrderStatus = "awaiting_fulfillment"
	StatusShipped             OrderStatus = "shipped"
	StatusOnHold              OrderStatus = "on_hold"
	StatusCancelled           OrderStatus = "cancelled"
	StatusRefunded            OrderStatus = "refunded"
)

// ChannelType is a channel's (store's) type_code. It is an open set.
type ChannelType string

// Channel types seen in Veeqo's documentation and live data.
const (
	ChannelDirect            ChannelType = "direct"
	ChannelRetail            ChannelType = "retail"
	ChannelPointOfSale       ChannelType = "point_of_sale"
	ChannelAmazon            ChannelType = "amazon"
	ChannelAmazonFBA         ChannelType = "amazon_fba"
	ChannelCustomIntegration ChannelType = "custom_integration"
)

// PaymentType is the payment_type of an order's payment.
type PaymentType string

// The documented payment types.
const (
	PaymentNone          PaymentType = "none"
	PaymentCash          PaymentType = "cash"
	PaymentCreditCard    PaymentType = "credit_card"
	PaymentBankTransfer  PaymentType = "bank_transfer"
	PaymentPaypal        PaymentType = "paypal"
	PaymentPaypalExpress PaymentType = "paypal_express"
	PaymentSagepay       PaymentType = "sagepay"
	PaymentCheckmo       PaymentType = "checkmo"
	PaymentOnlineFinance PaymentType = "online_finance"
)

// Order is a Veeqo order as returned by GET /orders and GET /orders/{id}.
type Order struct {
	ID                int64       `json:"id"`
	Number            string      `json:"number"`
	SalesRecordNumber string      `json:"sales_record_number,omitempty"`
	Status            OrderStatus `json:"status"`
	CreatedAt         time.Time   `json:"created_at"`
	UpdatedAt         time.Time   `json:"updated_at"`
	ShippedAt         *time.Time  `json:"shipped_at"`
	CancelledAt       *time.Time  `json:"cancelled_at"`
	DueDate           *time.Time  `json:"due_date"`
	DispatchDate      *time.Time  `json:"dispatch_date"`
	CancelReason      string      `json:"cancel_reason,omitempty"`
	// MergedToID is the order this one was merged into in Veeqo (0 when
	// not merged); MergedOrder marks an order that took part in a merge;
	// MergeableID groups orders Veeqo would merge (country and ZIP).
	MergedToID  int64  `json:"merged_to_id,omitempty"`
	MergedOrder bool   `json:"merged_order,omitempty"`
	MergeableID string `json:"mergeable_id,omitempty"`

	CurrencyCode   string          `json:"currency_code,omitempty"`
	DeliveryCost   decimal.Decimal `json:"delivery_cost"`
	SubtotalPrice  decimal.Decimal `json:"subtotal_price"`
	TotalPrice     decimal.Decimal `json:"total_price"`
	TotalTax       decimal.Decimal `json:"total_tax"`
	TotalDiscounts decimal.Decimal `json:"total_discounts"`

	FulfilledByAmazon     bool `json:"fulfilled_by_amazon"`
	IsAmazonPrime         bool `json:"is_amazon_prime"`
	SendNotificationEmail bool `json:"send_notification_email"`
	AllocatedCompletely   bool `json:"allocated_completely"`

	Channel        *Channel        `json:"channel"`
	Customer       *Customer       `json:"customer"`
	DeliverTo      *Address        `json:"deliver_to"`
	BillingAddress *Address        `json:"billing_address"`
	DeliveryMethod *DeliveryMethod `json:"delivery_method"`
	Payment        *Payment        `json:"payment"`
	CustomerNote   *Note           `json:"customer_note"`
	EmployeeNotes  []Note          `json:"employee_notes"`
	Tags           []Tag           `json:"tags"`
	LineItems      []LineItem      `json:"line_items"`
	Allocations    []Allocation    `json:"allocations"`
}

// LineItem is one line of an order. Veeqo's line item has no top-level
// sellable_id: the sellable is nested.
type LineItem struct {
	ID                     int64           `json:"id"`
	Sellable               *Sellable       `json:"sellable"`
	Quantity               int             `json:"quantity"`
	PricePerUnit           decimal.Decimal `json:"price_per_unit"`
	TaxRate                decimal.Decimal `json:"tax_rate"`
	TaxlessDiscountPerUnit decimal.Decimal `json:"taxless_discount_per_unit"`
	AdditionalOptions      string          `json:"additional_options,omitempty"`
	// RemoteID is the marketplace's line id (Amazon's OrderItemId).
	RemoteID  string    `json:"remote_id,omitempty"`
	Title     string    `json:"title,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Allocation is the part of an order allocated to one warehouse: one parcel,
// with at most one shipment. An order can have several.
type Allocation struct {
	ID               int64                `json:"id"`
	OrderID          int64                `json:"order_id"`
	CreatedAt        time.Time            `json:"created_at"`
	UpdatedAt        time.Time            `json:"updated_at"`
	PackedCompletely *bool                `json:"packed_completely"`
	Warehouse        *Warehouse           `json:"warehouse"`
	LineItems        []AllocationLineItem `json:"line_items"`
	// Shipment is nil until the allocation is shipped.
	Shipment *Shipment `json:"shipment"`
}

// AllocationLineItem is a quantity of one sellable inside an allocation.
type AllocationLineItem struct {
	ID             int64     `json:"id"`
	Quantity       int       `json:"quantity"`
	PickedQuantity int       `json:"picked_quantity"`
	Sellable       *Sellable `json:"sellable"`
}

// Shipment is the shipment of one allocation. Marketplace-shipped orders
// (Amazon FBA, Seller Central) carry shipments whose tracking number and
// service are null.
type Shipment struct {
	ID                   int64           `json:"id"`
	AllocationID         int64           `json:"allocation_id"`
	OrderID              int64           `json:"order_id"`
	CreatedAt            time.Time       `json:"created_at"`
	UpdatedAt            time.Time       `json:"updated_at"`
	CarrierID            int64           `json:"carrier_id,omitempty"`
	Carrier              *Carrier        `json:"carrier"`
	TrackingNumber       *TrackingNumber `json:"tracking_number"`
	TrackingURL          string          `json:"tracking_url,omitempty"`
	ServiceName          string          `json:"service_name,omitempty"`
	ShortServiceName     string          `json:"short_service_name,omitempty"`
	ServiceCarrierName   string          `json:"service_carrier_name,omitempty"`
	NotifyCustomer       bool            `json:"notify_customer"`
	UpdateRemoteOrder    *bool           `json:"update_remote_order"`
	OutboundLabelCharges *Charge         `json:"outbound_label_charges"`
}

// Service returns the shipment's service name, falling back to the service
// carrier name and then the short name; empty when Veeqo sent none.
func (s *Shipment) Service() string {
	if s == nil {
		return ""
	}
	for _, v := range []string{s.ServiceName, s.ServiceCarrierName, s.ShortServiceName} {
		if v != "" {
			return v
		}
	}
	return ""
}

// Tracking returns the shipment's tracking number, or "" when it has none.
func (s *Shipment) Tracking() string {
	if s == nil || s.TrackingNumber == nil {
		return ""
	}
	return s.TrackingNumber.TrackingNumber
}

// Voided reports whether the shipment's label was voided: its tracking
// number is marked cancelled. (A shipment deleted in Veeqo is gone from its
// allocation instead.)
func (s *Shipment) Voided() bool {
	return s != nil && s.TrackingNumber != nil && (s.TrackingNumber.Cancelled || s.TrackingNumber.CancelledAt != nil)
}

// TrackingNumber is a shipment's tracking number. Veeqo sends an object; some
// integrations have seen a bare string, which decodes into TrackingNumber.
type TrackingNumber struct {
	ID             int64      `json:"id,omitempty"`
	TrackingNumber string     `json:"tracking_number"`
	Status         string     `json:"status,omitempty"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
	// Cancelled and CancelledAt mark a tracking number whose label was
	// voided (the shipment may still be on its allocation).
	Cancelled   bool       `json:"cancelled,omitempty"`
	CancelledAt *time.Time `json:"cancelled_at,omitempty"`
}

// Carrier is the carrier of a shipment. Veeqo sends an object; a bare string
// decodes into Name.
type Carrier struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug,omitempty"`
}

// Charge is an amount with its currency unit.
type Charge struct {
	Unit  string          `json:"unit"`
	Value decimal.Decimal `json:"value"`
}

// Sellable is a product variant (or kit): what an order line references.
type Sellable struct {
	ID           int64           `json:"id"`
	Type         string          `json:"type,omitempty"`
	Title        string          `json:"title,omitempty"`
	SKUCode      string          `json:"sku_code"`
	UPCCode      string          `json:"upc_code,omitempty"`
	ModelNumber  string          `json:"model_number,omitempty"`
	Price        decimal.Decimal `json:"price"`
	CostPrice    decimal.Decimal `json:"cost_price"`
	ProductTitle string          `json:"product_title,omitempty"`
	FullTitle    string          `json:"full_title,omitempty"`
	WeightGrams  decimal.Decimal `json:"weight_grams"`
	ProductID    int64           `json:"product_id,omitempty"`
	StockEntries []StockEntry    `json:"stock_entries,omitempty"`
}

// StockEntry is a sellable's stock in one warehouse.
type StockEntry struct {
	SellableID          int64  `json:"sellable_id"`
	WarehouseID         int64  `json:"warehouse_id"`
	PhysicalStockLevel  int    `json:"physical_stock_level"`
	AllocatedStockLevel int    `json:"allocated_stock_level"`
	AvailableStockLevel int    `json:"available_stock_level"`
	Infinite            bool   `json:"infinite"`
	IncomingStockLevel  int    `json:"incoming_stock_level"`
	Location            string `json:"location,omitempty"`
}

// Product is the parent of one or more sellables.
type Product struct {
	ID          int64      `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	DeletedAt   *time.Time `json:"deleted_at"`
	Sellables   []Sellable `json:"sellables"`
}

// Channel is a Veeqo channel ("store"): a direct store, a marketplace
// account, a point of sale. Amazon appears as two channels, amazon and
// amazon_fba.
type Channel struct {
	ID                    int64                  `json:"id"`
	TypeCode              ChannelType            `json:"type_code"`
	Name                  string                 `json:"name"`
	ShortName             string                 `json:"short_name,omitempty"`
	CurrencyCode          string                 `json:"currency_code,omitempty"`
	State                 string                 `json:"state,omitempty"`
	Remote                bool                   `json:"remote"`
	WithFBA               bool                   `json:"with_fba"`
	MarketplaceCountry    string                 `json:"marketplace_country,omitempty"`
	DefaultWarehouse      *Warehouse             `json:"default_warehouse"`
	AmazonChannelSpecific *AmazonChannelSpecific `json:"amazon_channel_specific,omitempty"`
	CreatedAt             time.Time              `json:"created_at"`
	UpdatedAt             time.Time              `json:"updated_at"`
}

// AmazonChannelSpecific links an Amazon channel to its FBA twin.
type AmazonChannelSpecific struct {
	ID            int64  `json:"id"`
	SellerID      string `json:"seller_id,omitempty"`
	MarketplaceID string `json:"marketplace_id,omitempty"`
	ChannelID     int64  `json:"channel_id,omitempty"`
	FBAChannelID  int64  `json:"fba_channel_id,omitempty"`
}

// Warehouse is a Veeqo warehouse.
type Warehouse struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	AddressLine1 string    `json:"address_line_1,omitempty"`
	AddressLine2 string    `json:"address_line_2,omitempty"`
	City         string    `json:"city,omitempty"`
	Region       string    `json:"region,omitempty"`
	Country      string    `json:"country,omitempty"`
	PostCode     string    `json:"post_code,omitempty"`
	Phone        string    `json:"phone,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// DeliveryMethod is one of the seller's shipping-method labels (not a
// carrier). Its cost is a string in lists and a number inside an order;
// decimal.Decimal decodes both.
type DeliveryMethod struct {
	ID        int64           `json:"id"`
	Name      string          `json:"name"`
	Cost      decimal.Decimal `json:"cost"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// Customer is a Veeqo customer.
type Customer struct {
	ID                int64     `json:"id"`
	Email             string    `json:"email"`
	Phone             string    `json:"phone,omitempty"`
	Mobile            string    `json:"mobile,omitempty"`
	Notes             string    `json:"notes,omitempty"`
	CustomerType      string    `json:"customer_type,omitempty"`
	FullName          string    `json:"full_name,omitempty"`
	BillingAddress    *Address  `json:"billing_address"`
	ShippingAddresses []Address `json:"shipping_addresses,omitempty"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// Address is a postal address (deliver_to, billing_address). Country is an
// ISO 3166-1 alpha-2 code. It is also the input shape of *_attributes.
type Address struct {
	ID        int64  `json:"id,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Company   string `json:"company,omitempty"`
	Address1  string `json:"address1,omitempty"`
	Address2  string `json:"address2,omitempty"`
	City      string `json:"city,omitempty"`
	State     string `json:"state,omitempty"`
	Zip       string `json:"zip,omitempty"`
	Country   string `json:"country,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Email     string `json:"email,omitempty"`
}

// Payment is an order's payment.
type Payment struct {
	ID              int64       `json:"id,omitempty"`
	PaymentType     PaymentType `json:"payment_type"`
	ReferenceNumber string      `json:"reference_number,omitempty"`
}

// Note is an order note (customer note or employee note).
type Note struct {
	ID        int64     `json:"id,omitempty"`
	OrderID   int64     `json:"order_id,omitempty"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// Tag is an order or product tag.
type Tag struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Colour string `json:"colour,omitempty"`
}

// Company is the account's company, as returned by GET /current_company.
type Company struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// OrderInput is the body of POST /orders and PUT /orders/{id}; the client
// wraps it as {"order": ...}. For create, ChannelID, a customer (CustomerID or
// Customer), a delivery address (DeliverToID or DeliverTo) and at least one
// line are required. For update, send only what changes: line items are
// upserted by sellable_id.
type OrderInput struct {
	ChannelID             int64            `json:"channel_id,omitempty"`
	Number                string           `json:"number,omitempty"`
	CustomerID            int64            `json:"customer_id,omitempty"`
	Customer              *CustomerInput   `json:"customer_attributes,omitempty"`
	DeliverToID           int64            `json:"deliver_to_id,omitempty"`
	DeliverTo             *Address         `json:"deliver_to_attributes,omitempty"`
	DeliveryMethodID      int64            `json:"delivery_method_id,omitempty"`
	DueDate               string           `json:"due_date,omitempty"` // Veeqo's "DD/MM/YYYY"
	SendNotificationEmail bool             `json:"send_notification_email"`
	DeliveryCost          *decimal.Decimal `json:"delivery_cost,omitempty"`
	TotalTax              *decimal.Decimal `json:"total_tax,omitempty"`
	TotalDiscounts        *decimal.Decimal `json:"total_discounts,omitempty"`
	LineItems             []LineItemInput  `json:"line_items_attributes,omitempty"`
	Payment               *Payment         `json:"payment_attributes,omitempty"`
	CustomerNote          *NoteInput       `json:"customer_note_attributes,omitempty"`
	EmployeeNotes         []NoteInput      `json:"employee_notes_attributes,omitempty"`
}

// LineItemInput is one line of an OrderInput.
type LineItemInput struct {
	SellableID             int64            `json:"sellable_id"`
	Quantity               int              `json:"quantity"`
	PricePerUnit           decimal.Decimal  `json:"price_per_unit"`
	TaxRate                *decimal.Decimal `json:"tax_rate,omitempty"`
	TaxlessDiscountPerUnit *decimal.Decimal `json:"taxless_discount_per_unit,omitempty"`
	AdditionalOptions      string           `json:"additional_options,omitempty"`
}

// NoteInput is the text of a note to create.
type NoteInput struct {
	Text string `json:"text"`
}

// CustomerInput is the body of POST /customers (wrapped as {"customer": ...})
// and of an order's customer_attributes.
type CustomerInput struct {
	Email          string   `json:"email"`
	Phone          string   `json:"phone,omitempty"`
	Mobile         string   `json:"mobile,omitempty"`
	Notes          string   `json:"notes,omitempty"`
	CustomerType   string   `json:"customer_type,omitempty"`
	BillingAddress *Address `json:"billing_address_attributes,omitempty"`
}

// CancelOrderInput is the body of PUT /orders/{id}/cancel.
type CancelOrderInput struct {
	SendVeeqoEmail bool   `json:"send_veeqo_email"`
	CancelReason   string `json:"cancel_reason,omitempty"`
}

// AllocationInput is the body of POST/PUT /orders/{id}/allocations (wrapped
// as {"allocation": ...} on create).
type AllocationInput struct {
	WarehouseID int64                 `json:"warehouse_id"`
	LineItems   []AllocationLineInput `json:"line_items_attributes"`
}

// AllocationLineInput is a sellable and quantity to allocate.
type AllocationLineInput struct {
	SellableID int64 `json:"sellable_id"`
	Quantity   int   `json:"quantity"`
}

// ShipmentInput marks one allocation shipped with the seller's own tracking
// (POST /shipments). The client encodes it in Veeqo's documented shape:
// {"shipment":{"tracking_number_attributes":{...},"carrier_id":...,
// "notify_customer":...,"update_remote_order":...},"allocation_id":...,
// "order_id":...}.
type ShipmentInput struct {
	OrderID           int64
	AllocationID      int64
	CarrierID         int64 // Veeqo carrier id; 3 is "Other"
	TrackingNumber    string
	NotifyCustomer    bool
	UpdateRemoteOrder bool
}

// ListOptions are the paging parameters every list endpoint takes. Page
// starts at 1; PageSize is capped at 100 by Veeqo (the client always sends
// it, since Veeqo's default differs between its docs and live behaviour).
type ListOptions struct {
	Page     int
	PageSize int
}

// OrderListOptions are the filters of GET /orders. Zero values are not sent.
// Times are sent in UTC with an explicit zone, as "YYYY-MM-DDTHH:MM:SSZ".
type OrderListOptions struct {
	ListOptions
	SinceID      int64
	CreatedAtMin time.Time
	UpdatedAtMin time.Time
	// Status filters by status. Without it Veeqo leaves cancelled orders out.
	Status      OrderStatus
	Query       string // fuzzy over number and email: filter exact matches yourself
	Tags        string // a tag name
	AllocatedAt int64  // a warehouse id
	ChannelIDs  []int64
}

// ProductListOptions are the filters of GET /products.
type ProductListOptions struct {
	ListOptions
	SinceID      int64
	WarehouseID  int64
	CreatedAtMin time.Time
	UpdatedAtMin time.Time
	Query        string // name or SKU code, fuzzy
}

// CustomerListOptions are the filters of GET /customers.
type CustomerListOptions struct {
	ListOptions
	Query string // e.g. an email, fuzzy
}

// ChannelListOptions are the filters of GET /channels.
type ChannelListOptions struct {
	ListOptions
	TypeCode ChannelType
}
