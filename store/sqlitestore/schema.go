package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
)

// migration is one step of the schema. Versions start at 1 and increase by
// one; a step, once released, is never edited: a change is a new step.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the schema's steps, in order.
func migrations() []migration {
	return []migration{
		{version: 1, name: "initial schema", sql: schemaV1},
		{version: 2, name: "exports by number, shipments by Veeqo order", sql: schemaV2},
		{version: 3, name: "lease holder identity", sql: schemaV3},
		{version: 4, name: "records by status", sql: schemaV4},
		{version: 5, name: "pending shipments", sql: schemaV5},
	}
}

// LatestSchemaVersion is the schema version this build migrates files to.
const LatestSchemaVersion = 5

// schemaV5 indexes the pending shipments (a partial index: a shipment is in
// it from its write-ahead to its mark): every fetch and confirmation pass
// starts by listing them to apply them again, which shipments_by_created
// answered by reading every shipment of the account, a table that only
// grows. The pending rows are few, and a page's write-aheads and marks
// each touch the index's same few pages in one transaction.
const schemaV5 = `
CREATE INDEX shipments_pending ON shipments (account, created_at, shipment_id) WHERE state = 'pending';
`

// schemaV4 indexes records by process and status: every confirmation and
// fetch pass lists its process's failing records (error or pending, to
// retry them), which records_by_last_run answered by reading every record
// of the account, a table that only grows.
const schemaV4 = `
CREATE INDEX records_by_status ON records (account, process, status, last_run_at DESC, reference);
`

// schemaV2 indexes exports by Veeqo order number (the engine looks a Veeqo
// order that is not linked by id up by its number to find twins: two Veeqo
// orders for one ERP order) and shipments by Veeqo order (the engine reads a
// Veeqo order's applied shipments to find voided ones). Neither column
// changes after the insert, so each index costs one write per row.
const schemaV2 = `
CREATE INDEX exports_by_number ON exports (account, number);
CREATE INDEX shipments_by_veeqo_order ON shipments (account, veeqo_order_id);
`

// schemaV1 creates every table. Times are INTEGER Unix nanoseconds (NULL for
// the zero time); *_fold columns hold strings.ToLower of the searchable text.
//
// Indexes are few on purpose: every index is one more page written per
// commit on the export path (claim, link, record, log), which is what bounds
// throughput. Exports and records are WITHOUT ROWID (the primary key is the
// table); logs have only (account, seq), and PurgeLogs scans by seq in
// batches instead of keeping an index on time.
// No table references accounts with a foreign key: the engine may keep state
// of a name before AddAccount, and RemoveAccount deletes an account's rows
// explicitly, in one transaction.
const schemaV1 = `
CREATE TABLE accounts (
	name            TEXT PRIMARY KEY,
	base_url        TEXT NOT NULL,
	api_key         TEXT NOT NULL,
	api_key_sealed  INTEGER NOT NULL, -- 1: api_key is store.Sealer output
	settings        BLOB,
	mode            TEXT NOT NULL,
	mode_changed_at INTEGER,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	version         INTEGER NOT NULL
) STRICT;

CREATE TABLE exports (
	account        TEXT NOT NULL,
	erp_ref        TEXT NOT NULL,
	number         TEXT NOT NULL,
	state          TEXT NOT NULL,
	veeqo_order_id INTEGER NOT NULL,
	attempts       INTEGER NOT NULL,
	lines          BLOB,
	last_error     TEXT NOT NULL,
	completed      INTEGER NOT NULL,
	exported_at    INTEGER,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	version        INTEGER NOT NULL,
	PRIMARY KEY (account, erp_ref)
) STRICT, WITHOUT ROWID;
CREATE INDEX exports_by_veeqo_id ON exports (account, veeqo_order_id) WHERE veeqo_order_id <> 0;

CREATE TABLE shipments (
	account        TEXT NOT NULL,
	shipment_id    INTEGER NOT NULL,
	allocation_id  INTEGER NOT NULL,
	veeqo_order_id INTEGER NOT NULL,
	erp_ref        TEXT NOT NULL,
	state          TEXT NOT NULL,
	update_doc     BLOB,
	warning        TEXT NOT NULL,
	created_at     INTEGER NOT NULL,
	applied_at     INTEGER,
	version        INTEGER NOT NULL,
	PRIMARY KEY (account, shipment_id)
) STRICT;
CREATE INDEX shipments_by_created ON shipments (account, created_at, shipment_id);
CREATE INDEX shipments_by_erp_ref ON shipments (account, erp_ref);

CREATE TABLE cursors (
	account    TEXT NOT NULL,
	stream     TEXT NOT NULL,
	position   INTEGER,
	value      TEXT NOT NULL,
	version    INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (account, stream)
) STRICT;

CREATE TABLE leases (
	account     TEXT PRIMARY KEY,
	holder      TEXT NOT NULL, -- '' once released
	token       INTEGER NOT NULL,
	acquired_at INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE records (
	account         TEXT NOT NULL,
	process         TEXT NOT NULL,
	reference       TEXT NOT NULL,
	status          TEXT NOT NULL,
	message         TEXT NOT NULL,
	attempts        INTEGER NOT NULL,
	veeqo_order_id  INTEGER NOT NULL,
	last_run_id     TEXT NOT NULL,
	last_run_at     INTEGER NOT NULL,
	resolved        INTEGER NOT NULL,
	resolved_by     TEXT NOT NULL,
	resolution_note TEXT NOT NULL,
	resolved_at     INTEGER,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	reference_fold  TEXT NOT NULL,
	message_fold    TEXT NOT NULL,
	PRIMARY KEY (account, process, reference)
) STRICT, WITHOUT ROWID;
CREATE INDEX records_by_last_run ON records (account, last_run_at DESC, process, reference);

CREATE TABLE logs (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	time           INTEGER NOT NULL,
	account        TEXT NOT NULL,
	run_id         TEXT NOT NULL,
	process        TEXT NOT NULL,
	level          TEXT NOT NULL,
	reference      TEXT NOT NULL,
	message        TEXT NOT NULL,
	reference_fold TEXT NOT NULL,
	message_fold   TEXT NOT NULL
) STRICT;
CREATE INDEX logs_by_account ON logs (account, seq);

CREATE TABLE runs (
	id          TEXT PRIMARY KEY,
	account     TEXT NOT NULL,
	mode        TEXT NOT NULL,
	trigger     TEXT NOT NULL,
	status      TEXT NOT NULL,
	started_at  INTEGER NOT NULL,
	finished_at INTEGER,
	counts      BLOB,
	veeqo_calls INTEGER NOT NULL,
	error       TEXT NOT NULL
) STRICT;
CREATE INDEX runs_by_account ON runs (account, started_at DESC, id DESC);

CREATE TABLE customers (
	account     TEXT NOT NULL,
	email       TEXT NOT NULL, -- folded
	customer_id INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	PRIMARY KEY (account, email)
) STRICT;

CREATE TABLE notify_state (
	account    TEXT NOT NULL,
	name       TEXT NOT NULL,
	value      BLOB,
	version    INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (account, name)
) STRICT;
`

// migrate brings the file to the last version of list. Each step runs in its
// own BEGIN IMMEDIATE transaction that re-reads the version first, so
// processes opening one file at once apply each step exactly once; a file
// at a version newer than list knows is refused with ErrSchemaTooNew.
func (s *Store) migrate(ctx context.Context, list []migration) error {
	latest := 0
	if n := len(list); n > 0 {
		latest = list[n-1].version
	}
	for i, m := range list {
		if m.version != i+1 {
			return fmt.Errorf("sqlitestore: migration %d (%s) is out of sequence", m.version, m.name)
		}
	}
	for _, m := range list {
		applied := false
		err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			applied = false
			v, err := schemaVersion(ctx, tx)
			if err != nil {
				return err
			}
			if v > latest {
				return fmt.Errorf("%w: %s is at version %d, this build knows up to %d",
					ErrSchemaTooNew, s.path, v, latest)
			}
			if v >= m.version {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, s.clock().UnixNano()); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
			applied = true
			return nil
		})
		if err != nil {
			return wrap("migrate", err)
		}
		if applied {
			s.log.InfoContext(ctx, "sqlitestore: schema migrated", "path", s.path, "version", m.version, "name", m.name)
		}
	}
	if len(list) == 0 {
		// Still refuse a newer file.
		return wrap("migrate", s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			v, err := schemaVersion(ctx, tx)
			if err == nil && v > 0 {
				err = fmt.Errorf("%w: %s is at version %d, this build knows none", ErrSchemaTooNew, s.path, v)
			}
			return err
		}))
	}
	return nil
}

// schemaVersion creates schema_migrations if needed and returns the highest
// version applied (0 for a new file).
func schemaVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return 0, err
	}
	var v int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, err
	}
	return v, nil
}

// SchemaVersion returns the schema version of the open file.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.readRow(ctx, func(r *sql.Row) error { return r.Scan(&v) },
		`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`)
	return v, wrap("SchemaVersion", err)
}

// schemaV3 records who holds a lease (host, process id and start, run), so
// that a run on the same host can take over the lease of a process that is
// gone. process_start is Unix nanoseconds, 0 when unknown.
const schemaV3 = `
ALTER TABLE leases ADD COLUMN host TEXT NOT NULL DEFAULT '';
ALTER TABLE leases ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE leases ADD COLUMN process_start INTEGER NOT NULL DEFAULT 0;
ALTER TABLE leases ADD COLUMN run_id TEXT NOT NULL DEFAULT '';
`
