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
// Error emails: build a notify.EmailPolicy from Settings.EmailConfig, with
// NotifyState and NotifySource over the engine's store, and set it as
// Config.Notifier; the engine flushes it at the end of each run (see
// Example_emailNotifications).
//
// # Exactly once
//
// Export writes a claim before each create (store.ClaimExport), persists the
// Veeqo id, line links, record and log in one transaction right after the 2xx
// (store.CompleteExport), and reconciles any claim whose outcome is unknown
// (crash, timeout, 5xx, dropped connection) by an exact lookup by number
// before creating anything: at most one Veeqo order per ERP order.
//
// A lookup by number can find orders that are not ours: Veeqo order numbers
// are unique per channel at most, and a marketplace order may share an ERP
// order's number. Only candidates on the channel the ERP order's store maps
// to, with the ERP customer's email when Veeqo returns one, are linked. A
// same-number order elsewhere was not created by this account, so when no
// candidate is ours the earlier attempt created nothing and the order is
// created now (a warning names the other orders). If the ERP order or its
// channel cannot be read, the claim stays in doubt and is retried.
//
// Each Veeqo shipment is one confirmation keyed by its id: the computed ERP
// update is stored as pending (store.RecordShipment), applied, then marked
// applied; a pending one is applied again verbatim by the next run and the
// ERP deduplicates by shipment id. Shipped is judged per allocation, never by
// the order's roll-up status. A shipment applied and later voided in Veeqo
// (export mode) is not undone in the ERP: it is a warning, once per
// shipment, for a person to act on; an order read without allocations is
// never judged.
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
