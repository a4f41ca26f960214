// Package veeqotest is an in-memory Veeqo for tests, examples and
// benchmarks: a real HTTP server on loopback with state, Veeqo's quirks, its
// rate limit and fault injection.
//
//	srv := veeqotest.NewServer(t, veeqotest.WithPathPrefix("/api"))
//	wh := srv.AddWarehouse(veeqo.Warehouse{Name: "Main"})
//	ch := srv.AddChannel(veeqo.Channel{Name: "Shop", DefaultWarehouse: &wh})
//	p := srv.AddProduct(veeqo.Product{Title: "Mug", Sellables: []veeqo.Sellable{{SKUCode: "MUG-1"}}})
//	// ... point the client at srv.URL() with srv.APIKey(), create an order ...
//	srv.ShipAll(orderID, veeqotest.ShipInfo{TrackingNumber: "1Z999", CarrierID: 5})
//	if n := srv.Count("POST", "/orders"); n != 1 { ... }
//
// # What is faithful to Veeqo
//
// Per the project's reference notes (shared/reference/veeqo-api.md §2-§8):
//
//   - Authentication by x-api-key (WithAPIKey) or Authorization: Bearer
//     (WithBearerToken); otherwise 401 {"error_messages":"You're not authorized"}.
//   - A leaky bucket per credential, capacity 100 draining 5/s by default
//     (WithRateLimit): a request that does not fit gets 429 with an empty
//     body and no rate-limit or Retry-After header. Requests that pass take
//     a slot; nothing is queued or delayed.
//   - Lists are bare JSON arrays, newest first (descending id), with
//     X-Total-Count, X-Total-Pages-Count, X-Page-Index and X-Per-Page, except
//     /channels, which sends none. page_size defaults to 10 and is capped at
//     100 (a request for 500 gets 100); a non-numeric or non-positive
//     page_size gets 400 {"error_messages":["Infinity"]} with the headers.
//     /sellables pages with per_page instead (up to 1000). Veeqo's
//     deep-paging bug on /customers (the page count stops at 100 and later
//     pages repeat page 100) is off unless WithCustomerPageCap (or
//     SetCustomerPageCap) sets where it starts.
//   - GET /orders filters: since_id, created_at_min and updated_at_min
//     ("YYYY-MM-DD HH:MM:SS" as UTC, or RFC 3339; unparseable values are
//     ignored), status (an unknown one gives [] with zero totals), query
//     (case-insensitive substring of number, customer email or a line's
//     SKU), tags (tag names, comma-separated, any), allocated_at (warehouse
//     id), channel_ids[] (or channel_ids, comma-separated). Without status,
//     cancelled orders are left out. /products: query (title, SKU or UPC
//     substring), since_id, created_at_min, updated_at_min. /customers:
//     query (email substring). /channels: type_code.
//   - Errors: unknown record 404 {"error_messages":"Not found"}; unknown
//     route 404 {"status":404,"error":"Not Found"}; validation 422
//     {"error_messages":["Channel can't be blank", ...]}.
//   - POST /orders accepts the wrapped ({"order":{...}}) and flat forms and
//     numbers sent as strings; it checks that every referenced id exists
//     (404), creates the customer and address from customer_attributes and
//     deliver_to_attributes, nests the sellable in each line item (there is
//     no top-level sellable_id), and answers 201 with the order and a
//     Location header. Numbers are not unique: a repeated POST makes a
//     duplicate order, as in Veeqo.
//   - A new order is allocated to its channel's default warehouse (else the
//     lowest-id warehouse) as far as stock allows (WithAutoAllocate).
//   - Status is the roll-up at the least-progressed part of the order:
//     anything unallocated gives awaiting_stock, anything allocated but not
//     shipped awaiting_fulfillment, and every line shipped gives shipped with
//     shipped_at. A payment, or its absence, does not change the status: a
//     deliberate simplification (Veeqo holds unpaid orders in
//     awaiting_payment) so that tests need not send payments.
//     awaiting_payment, on_hold, cancelled and refunded exist only when
//     seeded, set with SetOrderStatus, or by cancelling.
//   - One allocation is one parcel with at most one shipment. POST /shipments
//     needs order_id, allocation_id and carrier_id (Veeqo's carrier table,
//     3 = "Other"), and records tracking_number {id, tracking_number} and
//     carrier {id, name}. DELETE /shipments/{id} answers 204.
//   - Every change to an order (allocation, shipment, cancel, update, note,
//     the staff helpers) moves updated_at, so updated_at_min polling works.
//     Timestamps are UTC with milliseconds and Z; money is a JSON number,
//     except delivery_methods' cost, which is a string as in Veeqo.
//   - Ids are int64 and order ids start above 2^31, so a client that
//     truncates ids to int32 fails.
//
// # What is simplified
//
//   - Stock is infinite in every warehouse unless SetStock sets a level.
//     Allocation takes from available stock, shipping from physical stock.
//   - Totals: subtotal is the sum of quantity × (price − discount) and the
//     total adds delivery cost; tax is whatever was sent.
//   - PUT /orders/{id}/allocations/{id} can move an allocation to another
//     warehouse; line-item edits are ignored (as observed on live Veeqo).
//     DELETE of an allocation removes that one unshipped allocation.
//   - Cancelling releases unshipped allocations; a shipped order cannot be
//     cancelled (422).
//   - Objects carry the fields of the veeqo package's types, not the 60-90
//     fields Veeqo really sends.
//   - Endpoints not listed in the routes (tags, returns, labels, products
//     writes, ...) answer the unknown-route 404.
//
// # Warehouse staff, inspection and faults
//
// Allocate, Ship, ShipAll and ShipPartial act as Veeqo's warehouse staff so
// that fulfilment reading can be tested; ClearAllocations simulates the
// momentary zero-allocation read (the allocations come back with
// RestoreAllocations or the next write). Requests, Count and TotalRequests
// inspect the request log (paths without the prefix); Order, Orders and
// OrdersByNumber inspect the state.
//
// FailNext answers the next matching requests with a status or drops the
// connection, before authentication and rate limiting and without changing
// state; Set429Storm is FailNext with 429. CommitThenFail applies the write
// and then closes the connection without a response: the client cannot know
// the outcome. CorruptNext applies the request and sends a malformed JSON
// body. SetLatency and SetLatencyFor delay requests. Note that net/http's
// Transport silently retries an idempotent request (GET, PUT with a body it
// can rewind) once when a reused connection closes before any response, so
// a dropped GET may show up as two requests in the log with the second one
// succeeding.
//
// A request is in the log before its client can read the response (or see
// its connection dropped); a request the client abandoned while it was
// delayed is logged when the server notices.
//
// # In process
//
// Direct reaches the same state without HTTP or JSON: the calls the sync
// engine makes (vsync.VeeqoAPI's methods), answered by the handlers' own
// state code, with the values, errors, paging and request counts the veeqo
// client gets over HTTP. Engine benchmarks use it so that they measure the
// engine, not the fake's HTTP and JSON; it has no faults, latency, rate
// limit or request log.
//
// The server is safe for concurrent use. It logs nothing unless WithLogger
// is given, and never logs credentials or bodies.
package veeqotest
