// Package memstore is an in-memory store.Store, for tests, examples and the
// quickstart. It keeps nothing across restarts.
//
// A Store is safe for concurrent use: one mutex guards all state, so every
// compare-and-set, insert-if-absent and multi-part write (CompleteExport,
// CompleteShipment) is atomic. Values are copied in and out (slices, maps
// and json.RawMessage included), so a caller can never change the store's
// state by mutating what it passed or got back. It passes the whole storetest suite under -race.
//
// Options:
//
//   - WithSealer seals Account.APIKey with AES-GCM, as the other stores do at
//     rest; without it the key is kept as given.
//   - WithClock replaces time.Now: it stamps CreatedAt, UpdatedAt and the
//     like, and decides lease expiry, so tests can move time by hand.
//
// Times are kept in UTC at full precision.
//
// Unlike the SQL stores, memstore does not require an account to exist
// before state is written for it; RemoveAccount still deletes all of that
// account's state.
package memstore
