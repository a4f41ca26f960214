package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/xoroerp/veeqoconnect/store"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func openTest(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPragmas checks the settings every connection gets.
func TestPragmas(t *testing.T) {
	t.Parallel()
	s := openTest(t, filepath.Join(t.TempDir(), "p.db"))
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "1"}, // NORMAL
		{"foreign_keys", "1"},
		{"busy_timeout", fmt.Sprint(busyTimeout.Milliseconds())},
	}
	for _, db := range []struct {
		name string
		db   *sql.DB
	}{{"writer", s.wdb}, {"reader", s.rdb}} {
		for _, tt := range tests {
			var got string
			require.NoError(t, db.db.QueryRowContext(t.Context(), "PRAGMA "+tt.pragma).Scan(&got))
			if got != tt.want {
				t.Errorf("%s connection: PRAGMA %s = %q, want %q", db.name, tt.pragma, got, tt.want)
			}
		}
	}
	var qo string
	require.NoError(t, s.rdb.QueryRowContext(t.Context(), "PRAGMA query_only").Scan(&qo))
	if qo != "1" {
		t.Errorf("reader: query_only = %s, want 1", qo)
	}
	_, err := s.rdb.ExecContext(t.Context(), "DELETE FROM logs")
	if err == nil {
		t.Error("a write through the reader pool succeeded")
	}
}

// TestDSNPathEscaping opens files whose names hold URI metacharacters.
func TestDSNPathEscaping(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"a?b.db", "c#d.db", "e%20f.db", "with space.db"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), name)
			s := openTest(t, path)
			require.NoError(t, s.PutCustomerID(t.Context(), "acme", "a@b.test", 7))
			require.FileExists(t, path)
		})
	}
}

// testMigrations is a made-up schema history for the migration tests.
func testMigrations(n int) []migration {
	all := []migration{
		{1, "create t", `CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL)`},
		{2, "add b", `ALTER TABLE t ADD COLUMN b TEXT NOT NULL DEFAULT 'x'`},
		{3, "index b", `CREATE INDEX t_b ON t (b)`},
	}
	return all[:n]
}

// bareStore is a Store with only a writer connection, for migrate.
func bareStore(t *testing.T, path string) *Store {
	t.Helper()
	s := &Store{path: path, now: time.Now, log: slog.New(slog.DiscardHandler)}
	var err error
	s.wdb, err = sql.Open("sqlite", dsn(path, false))
	require.NoError(t, err)
	s.wdb.SetMaxOpenConns(1)
	t.Cleanup(func() { s.wdb.Close() })
	return s
}

func TestMigrateUpgradesOlderFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "m.db")

	old := bareStore(t, path)
	require.NoError(t, old.migrate(ctx, testMigrations(1)))
	_, err := old.wdb.ExecContext(ctx, `INSERT INTO t (a) VALUES ('kept')`)
	require.NoError(t, err)
	require.NoError(t, old.wdb.Close())

	s := bareStore(t, path)
	require.NoError(t, s.migrate(ctx, testMigrations(3)))
	var a, b string
	require.NoError(t, s.wdb.QueryRowContext(ctx, `SELECT a, b FROM t`).Scan(&a, &b))
	if a != "kept" || b != "x" {
		t.Errorf("after upgrade: row = (%q, %q), want (kept, x)", a, b)
	}
	var versions []int
	rows, err := s.wdb.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	require.NoError(t, err)
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		versions = append(versions, v)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []int{1, 2, 3}, versions)

	// Migrating again is a no-op.
	require.NoError(t, s.migrate(ctx, testMigrations(3)))
}

func TestMigrateRefusesNewerFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "m.db")
	s := bareStore(t, path)
	require.NoError(t, s.migrate(ctx, testMigrations(3)))

	older := bareStore(t, path)
	err := older.migrate(ctx, testMigrations(2))
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("migrate with an older build: err = %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), "version 3") {
		t.Errorf("error %q does not name the file's version", err)
	}

	// Open, with the real schema, refuses a file from the future too.
	path2 := filepath.Join(t.TempDir(), "future.db")
	s2 := openTest(t, path2)
	_, err = s2.wdb.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 0)`, LatestSchemaVersion+1)
	require.NoError(t, err)
	require.NoError(t, s2.Close())
	_, err = Open(ctx, path2)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a file at version %d: err = %v, want ErrSchemaTooNew", LatestSchemaVersion+1, err)
	}
}

func TestMigrateFailedStepRollsBack(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := bareStore(t, filepath.Join(t.TempDir(), "m.db"))
	bad := append(testMigrations(1), migration{2, "broken", `ALTER TABLE t ADD COLUMN c TEXT; CREATE TABLE nope (`})
	err := s.migrate(ctx, bad)
	require.Error(t, err)
	var v int
	require.NoError(t, s.wdb.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v))
	if v != 1 {
		t.Errorf("after a failed step the file is at version %d, want 1", v)
	}
	var n int
	require.NoError(t, s.wdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('t') WHERE name = 'c'`).Scan(&n))
	if n != 0 {
		t.Error("the failed step's first statement was kept")
	}
}

func TestMigrationsInSequence(t *testing.T) {
	t.Parallel()
	ms := migrations()
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("migration %d has version %d", i, m.version)
		}
	}
	if got := ms[len(ms)-1].version; got != LatestSchemaVersion {
		t.Errorf("LatestSchemaVersion = %d, last migration is %d", LatestSchemaVersion, got)
	}
	s := bareStore(t, filepath.Join(t.TempDir(), "m.db"))
	err := s.migrate(t.Context(), []migration{{2, "gap", `SELECT 1`}})
	require.Error(t, err, "a migration list with a gap must be refused")
}

// TestConcurrentOpen opens one new file from many goroutines (separate
// Stores, separate connections): each migration is applied exactly once.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "c.db")
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			s, err := Open(context.WithoutCancel(t.Context()), path)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "Open %d", i)
	}
	s := openTest(t, path)
	var rows int
	require.NoError(t, s.rdb.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&rows))
	require.Equal(t, LatestSchemaVersion, rows)
	v, err := s.SchemaVersion(t.Context())
	require.NoError(t, err)
	require.Equal(t, LatestSchemaVersion, v)
}

// TestQueryPlans checks that the lookups on hot paths use their index.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	s := openTest(t, filepath.Join(t.TempDir(), "plans.db"))
	tests := []struct {
		name, query string
		args        []any
		want        string
	}{
		{"ExportByVeeqoID", qExportByVeeqoID, []any{"a", int64(5)}, "USING INDEX exports_by_veeqo_id (account=? AND veeqo_order_id=?)"},
		{"GetExport", qExportGet, []any{"a", "SO-1"}, "USING PRIMARY KEY (account=? AND erp_ref=?)"},
		{"PurgeLogs scan", qLogPurgeScan, []any{int64(0), int64(5), 10}, "USING INTEGER PRIMARY KEY (rowid>?)"},
		{"GetRecord", qRecordGet, []any{"a", "p", "r"}, "USING PRIMARY KEY (account=? AND process=? AND reference=?)"},
		{"GetRecords", qRecordGetMany, []any{"a", "p", `["r"]`}, "USING PRIMARY KEY (account=? AND process=? AND reference=?)"},
		{"FindShipments by order", qShipmentFind, []any{"a", "[1]", "[2]"}, "USING INDEX shipments_by_veeqo_order (account=? AND veeqo_order_id=?)"},
		{"FindShipments by id", qShipmentFind, []any{"a", "[1]", "[2]"}, "USING INDEX sqlite_autoindex_shipments_1 (account=? AND shipment_id=?)"},
	}
	pending, pargs := shipmentListQuery(store.ShipmentQuery{Account: "a", States: []store.ShipmentState{store.ShipmentPending}})
	tests = append(tests, struct {
		name, query string
		args        []any
		want        string
	}{"ListShipments pending", pending, pargs, "USING INDEX shipments_pending (account=?)"})
	for _, tt := range tests {
		rows, err := s.rdb.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tt.query, tt.args...)
		require.NoError(t, err, tt.name)
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rows.Err())
		rows.Close()
		if !strings.Contains(strings.Join(plan, "; "), tt.want) {
			t.Errorf("%s: plan %q, want %q", tt.name, plan, tt.want)
		}
	}
}

// TestLeaseHolderMigration: a file written before leases recorded their
// holder's identity keeps its lease (held, same token) after Open migrates
// it; the identity reads as unknown.
func TestLeaseHolderMigration(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v1.db")
	old := bareStore(t, path)
	require.NoError(t, old.migrate(ctx, migrations()[:1]))
	exp := time.Now().Add(time.Hour).UnixNano()
	_, err := old.wdb.ExecContext(ctx, `INSERT INTO leases (account, holder, token, acquired_at, expires_at) VALUES ('acme', 'old-run', 7, 1, ?)`, exp)
	require.NoError(t, err)
	require.NoError(t, old.wdb.Close())

	s := openTest(t, path)
	l, err := s.GetLease(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, store.Lease{Account: "acme", Holder: store.Holder{ID: "old-run"}, Token: 7,
		AcquiredAt: time.Unix(0, 1).UTC(), ExpiresAt: time.Unix(0, exp).UTC()}, l)
	_, err = s.AcquireLease(ctx, "acme", store.Holder{ID: "new"}, time.Minute)
	require.ErrorIs(t, err, store.ErrLeaseHeld, "the migrated lease is still held")
}
