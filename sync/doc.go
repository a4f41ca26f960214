// Package sync is the engine of veeqoconnect: settings, the mode lock, the
// export of ERP orders to Veeqo, the import of shipment confirmations and
// fulfillments, the multishipment rule, operations records, logs, runs and
// the run schedule. Import it as vsync:
//
//	import vsync "github.com/xoroerp/veeqoconnect/sync"
//
// # Wiring
//
// The host supplies its ERP (the ERP interface; MemoryERP is an in-memory
// one), a store.Store (store/memstore, store/sqlitestore, store/pgstore or
// its own), and a Veeqo client adapted with ClientAPI. New builds an Engine
// for the direction its Settings select; Run does one pass under the
// account's lease and returns a Report. A run (not a dry run) also writes
// the engine's Settings to the account's stored settings when they differ
// (store.UpdateAccount, compare-and-set, retried once on a conflict), so the
// stored copy never goes stale.
//
// The module's examples show each way to embed it: examples/export (a
// host's own ERP, state in SQLite), examples/fetch (fetch mode),
// examples/scheduled (a scheduler on Schedule.Due with error mail) and
// examples/workers (several workers: the account leases, and the engine as
// periodic River jobs).
//
// Error emails: build a notify.EmailPolicy from Settings.EmailConfig, with
// NotifyState and NotifySource over the engine's store, and set it as
// Config.Notifier; the engine flushes it at the end of each run (see
// Example_emailNotifications).
//
// # Exactly once
//
// Export writes a claim before each create (store.ClaimExport), persists the
// Veeqo id, line links, record and log in one transaction right after the 2xx
// (store.CompleteExport), and settles any claim whose outcome is unknown
// (crash, timeout, 5xx, dropped connection) before creating anything: at
// most one Veeqo order per ERP order.
//
// # Creates in doubt
//
// Veeqo has no idempotency key, and its order search (?query=) is an index
// that may trail its database by minutes, so a search that misses an order
// created a moment ago proves nothing. A create in doubt is settled from the
// order list without a query, which is served from the database: GET
// /orders?created_at_min=<attempt - Config.InDoubtMargin>, newest first, 100
// a page, the default listing and then status=cancelled (which the default
// leaves out), keeping exact number matches. The attempt's time is the
// claim's UpdatedAt (written just before the POST, and just after it for an
// unknown answer). One walk serves a batch: the doubts a pass leaves are
// settled together at the end of its export pass, and a later run's
// leftovers 200 at a time, so a wave of lost answers costs a few list calls
// (measured: 3 calls for 20 lost answers among 200 orders), and an order
// whose create succeeded costs none. A since_id walk costs the same (every
// order created since) and needs an id seen before the attempt; the order
// list by created_at_min needs nothing but the claim.
//
// An order the list does not show is not created again at once: the
// reference stays in doubt (an error record, logged and notified once;
// Report.InDoubt) and is looked for on every run until Config.InDoubtSettle
// (default DefaultInDoubtSettle, 15 minutes) has passed since the attempt.
// Then the search is asked once more, as a hint, and only if neither knows
// the number is the order created again. InDoubtMargin (default
// DefaultInDoubtMargin, 10 minutes) covers the attempt's own length (at most
// the client's attempt timeout, 60 s by default) and clock skew between this
// machine, the store and Veeqo: keep it above both.
//
// A lookup by number can find orders that are not ours: Veeqo order numbers
// are unique per channel at most, and a marketplace order may share an ERP
// order's number. Only candidates on the channel the ERP order's store maps
// to, with the ERP customer's email when Veeqo returns one, are linked. A
// same-number order elsewhere was not created by this account, so when no
// candidate is ours the earlier attempt created nothing and the order is
// created once the settle time has passed (a warning names the other
// orders). If the ERP order or its channel cannot be read, the claim stays
// in doubt and is retried.
//
// Twins, two or more Veeqo orders of ours for one ERP order (a host's manual
// retry, another tool on the key, or an earlier version of this library),
// are reported wherever they are seen: when a doubt is settled (the oldest
// is linked) and when the confirmation poll lists an order that no export is
// linked to but that carries an exported order's number on its channel
// (store.ExportQuery.Number). The reference's export record becomes an error
// naming every Veeqo id and saying how to resolve it (cancel the extra order
// in Veeqo, then mark the record resolved); it is notified once
// (Report.Twins), and a resolved record is not reopened for the same twins.
// The shipments of every twin are imported into the ERP order like the
// linked order's, each once, so nothing the warehouse ships is lost.
//
// Each Veeqo shipment is one confirmation keyed by its id: the computed ERP
// update is stored as pending (store.RecordShipment), applied, then marked
// applied with its log lines, and with the reference's record when it is the
// order's last (store.CompleteShipment, one transaction); a pending one is
// applied again verbatim by the next run and the ERP deduplicates by
// shipment id. A fetch pass works a page of listed orders at a time: their
// shipment rows and records are read in one query each
// (store.FindShipments, store.GetRecords), their new shipments' pending
// rows written in one transaction (store.RecordShipments) before the ERP
// gets any of them, and their marks in another (store.CompleteShipments).
// A confirmation pass reads its pages the same way: a page's shipment rows
// and its exports (store.ExportQuery.VeeqoOrderIDs) in one query each.
// Shipped is judged per allocation, never by
// the order's roll-up status. A shipment applied and later voided in Veeqo
// (deleted, or its tracking number cancelled) is withdrawn from the ERP
// once (VoidUpdate: its quantities negated, the lines it closed reopened,
// its tracking removed), with a warning; an order read without
// allocations is never judged.
//
// # Customers and items
//
// Export reads the ERP's candidates 200 ahead of their export and settles
// each batch's customers and items together. Emails the store's customer
// cache does not know are looked up one by one, unless Veeqo's customer
// list (a count, then 100 a page) takes fewer calls: then it is read once,
// keeping only the batch's emails; found ones are cached, and when the
// listing was whole (as many distinct customers as the count; Veeqo's page
// count on /customers stops at 100 pages, so a list past 10,000 customers is
// never read) the others are created inline with their order, without a
// lookup. Item identifiers go to mapping.Resolver.Prefetch, which reads the
// catalogue once on the same terms. Orders exported earlier count towards
// neither. A cold wave of one-line orders with new customers costs about a
// create per order.
//
// # Cursors
//
// Confirmations (export mode) and fulfillments (fetch mode) are read by
// polling GET /orders?updated_at_min=<cursor - overlap>, 100 orders per call,
// with no status filter, plus (export mode only) one status=cancelled pass,
// since Veeqo's default list leaves cancelled orders out. The
// cursor advances to the newest updated_at seen once the whole listing was
// read. A reference that fails does not hold the cursor back: it stays a
// retryable error record carrying its Veeqo order id, and every later pass
// reads those orders again by id (at most 100 per pass, the least recently
// tried first, so orders failing for good starve none) until they succeed or
// a person resolves them. A run with From/To (a manual backfill) reads that
// window and leaves the cursor alone.
//
// # Records and logs
//
// Every reference a run acts on gets an operations record (status,
// message, attempts, last run, Veeqo order id) under its process:
// export_order and import_confirmation are keyed by the ERP order ref,
// fetch_fulfillment by the Veeqo order number. A skip (filter row) and a
// mapping error are recorded with their reason; when the next run finds the
// same reason again, the record counts the attempt but no new log line (or
// notification) is written. In fetch mode, an order the filter rows reject
// gets a skipped record naming the rejecting row, written once: when a later
// pass lists it again for the same reason, the record (resolved or not) is
// left as it is, with no new log line. Orders left out for their channel (an
// excluded channel type such as Amazon FBA, or a channel the store mapping
// does not name) are only counted (Report.Excluded), never recorded:
// marketplace accounts have many. Every error and warning log entry goes to
// the Notifier with its Seq as it is written.
//
// # Multishipment
//
// See ComputeUpdate: with multishipment allowed quantities accumulate and
// lines stay open until fully shipped; with it disabled the first
// confirmation is final (every line closed, remainders unallocated) and a
// later one is recorded as an ignored shipment with a warning. Nothing is
// closed or unallocated on an empty read.
//
// # Schedule
//
// Schedule turns the settings' time zone (IANA or the settings page's
// Windows-style labels), start date, hour, minute, negative offset and
// optional repeat interval into run times, correct across DST; Due tells a
// scheduler whether to run now, once however many slots were missed.
package sync
