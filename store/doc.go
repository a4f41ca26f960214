// Package store defines the library's own state behind one interface, Store,
// and the types it holds.
//
// The state is what makes the integration exactly-once and what the
// operations page shows:
//
//   - the account's mode lock (export or fetch, switched only on purpose);
//   - export claims and links: a write-ahead claim per (account, ERP order),
//     unique in the store, then the Veeqo order id and the ERP-line to
//     Veeqo-line map;
//   - applied shipments, one per (account, Veeqo shipment id), so that a
//     shipment changes the ERP at most once;
//   - cursors per account and stream, advanced by compare-and-set;
//   - leases, one run per account at a time across processes;
//   - operations records, logs and run history, with the queries the
//     operations page needs;
//   - a customer-id cache and the notifier's bookkeeping.
//
// Implementations: store/memstore (tests, examples), store/sqlitestore (the
// embedded default), store/pgstore (many workers). store/storetest is the
// conformance suite every implementation runs, the host's included
// (examples/customstore is a host's store that runs it):
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return newMyStore(t) })
//	}
package store
