package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migration is one versioned step of the schema. Steps are append-only:
// never edit a released one, add the next version.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations are applied in order; {s} is the quoted schema.
var migrations = []migration{{
	version: 1,
	name:    "initial schema",
	sql: `
CREATE TABLE {s}.accounts (
	name            text PRIMARY KEY,
	base_url        text NOT NULL,
	api_key         text NOT NULL,
	-- Whether api_key is sealed, kept beside it rather than guessed from
	-- its text: a clear key may look like a sealed one.
	api_key_sealed  boolean NOT NULL,
	settings        bytea,
	mode            text NOT NULL,
	mode_changed_at timestamptz,
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL,
	version         bigint NOT NULL
);

CREATE TABLE {s}.exports (
	account        text NOT NULL,
	erp_ref        text NOT NULL,
	number         text NOT NULL,
	state          text NOT NULL,
	veeqo_order_id bigint NOT NULL,
	attempts       integer NOT NULL,
	lines          jsonb NOT NULL,
	last_error     text NOT NULL,
	completed      boolean NOT NULL,
	exported_at    timestamptz,
	created_at     timestamptz NOT NULL,
	updated_at     timestamptz NOT NULL,
	version        bigint NOT NULL,
	PRIMARY KEY (account, erp_ref)
);
CREATE INDEX exports_veeqo_order ON {s}.exports (account, veeqo_order_id);
CREATE INDEX exports_state ON {s}.exports (account, state, erp_ref);
CREATE INDEX exports_exported_at ON {s}.exports (account, exported_at) WHERE exported_at IS NOT NULL;

CREATE TABLE {s}.shipments (
	account        text NOT NULL,
	shipment_id    bigint NOT NULL,
	allocation_id  bigint NOT NULL,
	veeqo_order_id bigint NOT NULL,
	erp_ref        text NOT NULL,
	state          text NOT NULL,
	erp_update     bytea,
	warning        text NOT NULL,
	created_at     timestamptz NOT NULL,
	applied_at     timestamptz,
	version        bigint NOT NULL,
	PRIMARY KEY (account, shipment_id)
);
CREATE INDEX shipments_created ON {s}.shipments (account, created_at, shipment_id);
CREATE INDEX shipments_erp_ref ON {s}.shipments (account, erp_ref);

CREATE TABLE {s}.cursors (
	account    text NOT NULL,
	stream     text NOT NULL,
	position   timestamptz,
	value      text NOT NULL,
	version    bigint NOT NULL,
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (account, stream)
);

-- A lease row outlives its release (holder '') so that tokens keep
-- increasing across acquisitions.
CREATE TABLE {s}.leases (
	account     text PRIMARY KEY,
	holder      text NOT NULL,
	token       bigint NOT NULL,
	acquired_at timestamptz NOT NULL,
	expires_at  timestamptz NOT NULL
);

CREATE TABLE {s}.records (
	account         text NOT NULL,
	process         text NOT NULL,
	reference       text NOT NULL,
	status          text NOT NULL,
	message         text NOT NULL,
	attempts        integer NOT NULL,
	veeqo_order_id  bigint NOT NULL,
	last_run_id     text NOT NULL,
	last_run_at     timestamptz NOT NULL,
	resolved        boolean NOT NULL,
	resolved_by     text NOT NULL,
	resolution_note text NOT NULL,
	resolved_at     timestamptz,
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL,
	PRIMARY KEY (account, process, reference)
);
CREATE INDEX records_page ON {s}.records (account, last_run_at DESC, process, reference);

CREATE TABLE {s}.logs (
	seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	time      timestamptz NOT NULL,
	account   text NOT NULL,
	run_id    text NOT NULL,
	process   text NOT NULL,
	level     text NOT NULL,
	reference text NOT NULL,
	message   text NOT NULL
);
CREATE INDEX logs_account_seq ON {s}.logs (account, seq);
CREATE INDEX logs_time ON {s}.logs (time);

CREATE TABLE {s}.runs (
	id          text PRIMARY KEY,
	account     text NOT NULL,
	mode        text NOT NULL,
	trigger     text NOT NULL,
	status      text NOT NULL,
	started_at  timestamptz NOT NULL,
	finished_at timestamptz,
	counts      jsonb NOT NULL,
	veeqo_calls bigint NOT NULL,
	error       text NOT NULL
);
CREATE INDEX runs_account_started ON {s}.runs (account, started_at DESC, id DESC);

CREATE TABLE {s}.customers (
	account     text NOT NULL,
	email       text NOT NULL,
	customer_id bigint NOT NULL,
	PRIMARY KEY (account, email)
);

CREATE TABLE {s}.notify_state (
	account text NOT NULL,
	name    text NOT NULL,
	value   bytea,
	version bigint NOT NULL,
	PRIMARY KEY (account, name)
);
`,
}, {
	// The engine looks a Veeqo order that is not linked by id up by its
	// number to find twins (two Veeqo orders for one ERP order), and reads a
	// Veeqo order's applied shipments to find voided ones.
	version: 2,
	name:    "exports by number, shipments by Veeqo order",
	sql: `CREATE INDEX exports_by_number ON {s}.exports (account, number);
CREATE INDEX shipments_by_veeqo_order ON {s}.shipments (account, veeqo_order_id);`,
}, {
	version: 3,
	name:    "lease holder identity",
	// Who holds a lease (host, process id and start, run), so that a run on
	// the same host can take over the lease of a process that is gone.
	sql: `
ALTER TABLE {s}.leases
	ADD COLUMN host          text NOT NULL DEFAULT '',
	ADD COLUMN pid           bigint NOT NULL DEFAULT 0,
	ADD COLUMN process_start timestamptz,
	ADD COLUMN run_id        text NOT NULL DEFAULT '';
`,
}}

// migrate creates the schema if absent and applies the migrations it lacks,
// all in one transaction under a transaction-scoped advisory lock keyed by
// the schema name, so that concurrent openers (on any machine) apply each
// step exactly once and none sees a half-built schema.
func (s *Store) migrate(ctx context.Context) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, s.migrateLockKey); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		// DDL only when something is missing, so that a role with no CREATE
		// privilege can open a schema already migrated by another.
		// (CREATE SCHEMA IF NOT EXISTS checks the privilege first.)
		var hasSchema, hasTable bool
		if err := tx.QueryRow(ctx, `SELECT
				EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1),
				to_regclass($2) IS NOT NULL`,
			s.rawName, s.schema+".schema_migrations").Scan(&hasSchema, &hasTable); err != nil {
			return fmt.Errorf("inspect: %w", err)
		}
		if !hasSchema {
			if _, err := tx.Exec(ctx, s.q(`CREATE SCHEMA {s}`)); err != nil {
				return fmt.Errorf("create schema: %w", err)
			}
		}
		if !hasTable {
			if _, err := tx.Exec(ctx, s.q(`CREATE TABLE {s}.schema_migrations (
				version    integer PRIMARY KEY,
				name       text NOT NULL,
				applied_at timestamptz NOT NULL DEFAULT now()
			)`)); err != nil {
				return fmt.Errorf("create schema_migrations: %w", err)
			}
		}
		var current int
		if err := tx.QueryRow(ctx, s.q(`SELECT coalesce(max(version), 0) FROM {s}.schema_migrations`)).Scan(&current); err != nil {
			return fmt.Errorf("read version: %w", err)
		}
		if latest := migrations[len(migrations)-1].version; current > latest {
			return fmt.Errorf("schema %s is at version %d, newer than this code's %d: upgrade the library", s.rawName, current, latest)
		}
		for _, m := range migrations {
			if m.version <= current {
				continue
			}
			if _, err := tx.Exec(ctx, s.q(m.sql)); err != nil {
				return fmt.Errorf("apply %d (%s): %w", m.version, m.name, err)
			}
			if _, err := tx.Exec(ctx, s.q(`INSERT INTO {s}.schema_migrations (version, name) VALUES ($1, $2)`), m.version, m.name); err != nil {
				return fmt.Errorf("record %d: %w", m.version, err)
			}
			s.log.InfoContext(ctx, "pgstore: migration applied",
				"schema", s.rawName, "version", m.version, "name", m.name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pgstore: migrate schema %s: %w", s.rawName, err)
	}
	return nil
}
