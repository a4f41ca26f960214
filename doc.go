// Package veeqoconnect connects XoroERP to Veeqo, Amazon's shipping platform.
//
// Per Veeqo account the library runs in exactly one of two modes:
//
//   - Export orders: waved ERP sales orders that pass the account's filter
//     rows are created in Veeqo under the mapped store; Veeqo ships them; the
//     shipment confirmations (tracking, carrier, service, shipped quantities,
//     full or partial) come back and update the ERP's orders and wave lines.
//   - Fetch fulfillments: orders born elsewhere (Amazon, marketplaces) are
//     fulfilled in Veeqo; their fulfillments are read back and applied to the
//     ERP's copy of each order.
//
// The pieces:
//
//   - [github.com/xoroerp/veeqoconnect/veeqo]: a typed Veeqo REST client with
//     rate limiting, safe retries, typed errors and page iterators;
//     veeqo/veeqotest is a stateful fake Veeqo for tests and examples.
//   - [github.com/xoroerp/veeqoconnect/filter]: the settings page's filter rows.
//   - [github.com/xoroerp/veeqoconnect/mapping]: carrier, ship-service, store
//     and item-identifier mappings, with the default SKU.
//   - [github.com/xoroerp/veeqoconnect/store]: the library's state behind one
//     interface, with in-memory, SQLite and PostgreSQL implementations and a
//     conformance suite any host store can run.
//   - [github.com/xoroerp/veeqoconnect/notify]: instant and daily error emails.
//   - github.com/xoroerp/veeqoconnect/sync (imported as vsync): the engine.
//
// The host supplies its ERP through a small interface and may supply its own
// store, scheduler and mailer; the library ships defaults for each.
package veeqoconnect
