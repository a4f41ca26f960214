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
//   - [github.com/xoroerp/veeqoconnect/ops]: the Operations page (records,
//     runs, logs, settings, "Sync now") as an http.Handler for the host's
//     admin.
//   - github.com/xoroerp/veeqoconnect/sync (imported as vsync): the engine.
//
// The host supplies its ERP through a small interface and may supply its own
// store, scheduler and mailer; the library ships defaults for each.
//
// # Embedding it, step by step
//
//  1. Implement vsync.ERP over the host's orders: Candidates (waved orders,
//     current data), Order, FindOrder, and an ApplyShipment that applies each
//     update once per its Key.
//  2. Pick a store: store/sqlitestore (one file, the default),
//     store/pgstore (many workers, many machines), store/memstore (tests),
//     or the host's own, proven with store/storetest.
//  3. Build a Veeqo client (veeqo.New with the account's API key) and adapt
//     it with vsync.ClientAPI.
//  4. Parse the account's settings page (vsync.ParseSettings reports every
//     problem at once) and build the engine with vsync.New.
//  5. Run it: Engine.Run on the host's own scheduler, when Schedule.Due says
//     so, or as jobs of the host's job engine. The account's lease in the
//     store keeps one run per account at a time across processes.
//  6. Mail errors: a notify.EmailPolicy from Settings.EmailConfig as the
//     engine's Notifier, sending through notify.NewSMTPMailer.
//
// # Examples
//
// Each runs offline against veeqotest with `go run` (workers also needs a
// PostgreSQL database), and its test checks what it prints:
//
//   - examples/quickstart: the whole loop, two accounts, in memory.
//   - examples/export: a host's own ERP behind vsync.ERP, state in SQLite.
//   - examples/fetch: Amazon fulfillments into the ERP's copies.
//   - examples/customstore: a host's own store.Store, proven by storetest.
//   - examples/scheduled: the schedule, the engine and error mail over SMTP.
//   - examples/workers: several workers on PostgreSQL, with the account
//     leases and as periodic River jobs, and when to use which.
//
// cmd/veeqoctl is the library wired end to end for the command line, with
// `veeqoctl fake` to try it without a Veeqo account. CONTRIBUTING.md says
// how to run each kind of test.
package veeqoconnect
