// Package storetest is the conformance suite of store.Store. Every store
// runs it: memstore, sqlitestore, pgstore, and a host's own store.
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s := openFreshStore(t) // empty, isolated: a new file or schema
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
//	func BenchmarkMyStore(b *testing.B) {
//		storetest.Bench(b, func(b *testing.B) store.Store { ... })
//	}
//
// Run follows River's riverdrivertest: one exported entry point, one
// parallel subtest per behaviour, each with a fresh store. It checks every
// guarantee written on the store.Store methods: compare-and-set on every
// versioned value, insert-if-absent claims with exactly one winner among
// concurrent callers, lease fencing and expiry, CompleteExport's,
// CompleteShipment's and CompleteShipments' all-or-nothing writes, record
// and log filters, the documented orders, and
// paging with no gaps or duplicates, account isolation, and RemoveAccount
// deleting all of an account's state.
//
// Where store.go leaves a choice to the store, the suite accepts either
// choice: times are compared within TimeTolerance (stores may truncate to
// microseconds), store-stamped times within StampTolerance of the test's
// clock, JSON documents by meaning (a jsonb column may reorder keys), nil and
// empty slices and maps as equal, and ErrNotFound or ErrConflict for a
// compare-and-set on a row that does not exist.
//
// Ordering of strings (account names, ERP refs, processes) is tested only on
// values whose byte order and common collations agree; stores should still
// compare bytes (COLLATE "C" in PostgreSQL) so that paging cursors are
// consistent.
package storetest
