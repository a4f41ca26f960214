// Package pgstore is a store.Store kept in PostgreSQL (jackc/pgx/v5), for
// hosts that run many workers, on one machine or many, against one
// database.
//
//	s, err := pgstore.Open(ctx, "postgres://app@db:5432/erp?sslmode=verify-full",
//		pgstore.WithSchema("veeqoconnect"), pgstore.WithSealer(sealer))
//
// Open makes its own pgxpool (pool settings such as pool_max_conns may be
// given in the DSN) and Close closes it; New uses the host's pool and leaves
// it open.
//
// # Schema and migrations
//
// Every table lives in one schema (DefaultSchema unless WithSchema names
// another), created if absent, so the store never collides with the host's
// tables and two stores can share a database. The schema's layout is
// versioned in code; the versions applied are kept in its
// schema_migrations table. Open applies what is missing in one transaction
// under pg_advisory_xact_lock keyed by the schema name, so any number of
// processes may open the same schema at once: one migrates, the others wait
// and then find nothing to do. A schema newer than the code is refused.
//
// # Guarantees across machines, and how
//
// Nothing is held in process memory; every guarantee comes from the
// database, so it holds for every process that shares it:
//
//   - Claims (ClaimExport, RecordShipment) are INSERT ... ON CONFLICT DO
//     NOTHING RETURNING on the primary key, then a read-back of the existing
//     row when nothing was returned. The unique index decides: of N
//     concurrent claims of one key exactly one inserts.
//   - Compare-and-set writes (accounts, exports, shipments, cursors,
//     notification state) are UPDATE ... WHERE version = $n RETURNING; the
//     row lock makes a second writer with the same version match nothing,
//     which is reported as store.ErrConflict (or store.ErrNotFound when the
//     row is gone). SetMode compares the mode itself.
//   - Leases are one conditional upsert: INSERT ... ON CONFLICT (account) DO
//     UPDATE ... WHERE the lease is released, expired, or already the
//     caller's, RETURNING. Concurrent acquirers serialise on the row, and
//     each re-checks the condition against the winner's write, so exactly
//     one holds the lease. The lease row outlives a release, so Token grows
//     with every new acquisition (a fencing token); renewing or releasing
//     checks holder and token.
//   - CompleteExport writes the export, its operations record and its log
//     entries in one transaction: all or none. CompleteShipment does the
//     same for a shipment.
//   - Log entries get Seq from an identity column. Appends take a
//     transaction-scoped advisory lock first, so they commit in Seq order
//     and a reader catching up with AfterSeq never misses an entry that
//     commits after a higher one. The price is that appends (and
//     CompleteExport's and CompleteShipment's commits) are serialised per
//     schema.
//
// # Clock
//
// All times the store stamps itself (CreatedAt, UpdatedAt, ModeChangedAt,
// lease AcquiredAt and ExpiresAt, a zero LastRunAt or log Time) come from
// the store's clock: time.Now unless WithClock gives another, sent to the
// database as a parameter. One clock for everything keeps the stores alike
// and lets tests move time. Across machines, lease expiry is therefore
// judged by each caller's clock: keep the machines' clocks synchronised
// (NTP) to well within the lease TTL. Clock skew can only make a lease
// expire early (or late) by the skew; it never lets two acquisitions of a
// live lease both succeed at one instant, and a holder whose lease was
// taken learns it at its next renewal (store.ErrLeaseLost) and by the
// higher Token.
//
// # Precision and encoding
//
// Times are timestamptz, kept to the microsecond and returned in UTC.
// Account settings and shipment updates are kept byte for byte (bytea);
// export lines and run counts as jsonb. Paging cursors (RecordPage.Next,
// LogPage.Next) are opaque keyset positions: rows written between pages
// neither repeat nor shift the rest.
//
// # Secrets
//
// With WithSealer, Account.APIKey is sealed with AES-GCM (store.Sealer)
// before it is written; without, it is stored as given. No error or log
// line of the store's contains an API key, and Open never quotes its DSN.
package pgstore
