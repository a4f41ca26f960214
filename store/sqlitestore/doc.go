// Package sqlitestore is the embedded default store.Store: one SQLite file,
// through modernc.org/sqlite (pure Go, no cgo).
//
//	s, err := sqlitestore.Open(ctx, "/var/lib/veeqoconnect/state.db",
//		sqlitestore.WithSealer(sealer), sqlitestore.WithLogger(logger))
//
// Open creates the file if needed (owner-only, 0600: it holds customer data
// and API keys; SQLite gives the -wal and -shm files the same mode; a file
// the host created keeps its own), switches it to WAL and migrates its
// schema. Migrations are versioned in code and recorded in the file's
// schema_migrations table; each runs in its own transaction, so a file left
// by an older build is brought up to date on open, by exactly one of the
// processes opening it, and a file written by a newer build is refused with
// ErrSchemaTooNew rather than misread.
//
// # Safe across processes, and why
//
// Several processes on one machine may open the same file: every guarantee
// of store.Store holds across them, because each is decided by SQLite inside
// one write transaction, and SQLite lets one writer at a time hold the
// file's write lock (POSIX locks on the file and its WAL index, which is why
// the file must be on a local file system, not NFS):
//
//   - Claims (ClaimExport, RecordShipment), AddAccount and StartRun are
//     INSERT ... ON CONFLICT DO NOTHING on the primary key, then a read-back
//     of the row that won: the key, not the caller, decides; of any number
//     of racing inserts exactly one inserts.
//   - Compare-and-set updates (UpdateExport, UpdateShipment, UpdateAccount,
//     SetMode, SetCursor, SaveNotifyState) are UPDATE ... WHERE version = ?
//     (or WHERE mode = ?), judged by the rows they changed.
//   - AcquireLease is one conditional upsert (INSERT ... ON CONFLICT DO
//     UPDATE ... WHERE the lease is free, expired or the caller's), so the
//     test and the take cannot be separated; the token only ever grows, and
//     lease expiry is compared with the acquirer's clock, so processes
//     sharing a file must share a clock (the machine's).
//   - CompleteExport, CompleteShipment, AppendLogs of several entries and
//     RemoveAccount are one transaction each: all of it lands, or none.
//
// A multi-statement write begins with BEGIN IMMEDIATE, taking the write lock
// up front: a deferred transaction that read first could not upgrade to a
// writer once another connection had written, and would fail with
// SQLITE_BUSY however long it waited. A single-statement write runs in
// autocommit, which waits for the lock the same way. Waiting for another
// process's lock uses busy_timeout (5 s), ended early by the context; a
// write that still finds the database busy is retried a few times with a
// backoff that also ends with the context.
//
// Inside one process, writes go through one connection (database/sql pool
// of one) and reads through a small pool of read-only connections; in WAL
// readers never block the writer nor each other, and see every committed
// write. Log sequence numbers come from an AUTOINCREMENT key, so they
// increase across processes and are never reused, even after PurgeLogs.
//
// Durability: synchronous=NORMAL in WAL mode. A committed write survives a
// crash of the process; a power loss may lose the last transactions before
// a checkpoint, never corrupt the file. Checkpoints (the only writes that
// sync to disk) run about every 8000 WAL pages rather than SQLite's 1000,
// so a busy disk's fsync latency is paid rarely; the WAL file is kept under
// about 32 MB.
//
// # Throughput
//
// The state writes of one exported order (ClaimExport, then CompleteExport
// with its record and log line) are two transactions touching about eight
// pages; a fetched shipment's are two as well (RecordShipment pending before
// the ERP apply, then CompleteShipment with its record and log lines).
// Indexes are kept to what the queries need, since each one is a page
// more per commit. storetest.Bench measures it (BenchmarkStore); on a
// two-core machine it sustains well over the 2,000 orders/s the integration
// asks for, one order after another.
//
// API keys are sealed with AES-GCM at rest when the store is opened
// WithSealer (store.NewSealer); a file opened WithSealer has any key an
// earlier run left in clear sealed on open. Keys never appear in the store's
// errors or logs. Times are kept as UTC nanoseconds since 1970 (years 1678
// to 2261).
package sqlitestore
