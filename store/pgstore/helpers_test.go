package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store/pgstore"
)

// dsnEnv names the database the tests use; requireEnv makes its absence
// fatal (CI) rather than a skip.
const (
	dsnEnv     = "VEEQOCONNECT_PG_DSN"
	requireEnv = "VEEQOCONNECT_REQUIRE_PG"
)

// testDSN returns the test database's DSN, or skips (fails under
// VEEQOCONNECT_REQUIRE_PG) when none is set.
func testDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		if os.Getenv(requireEnv) != "" {
			tb.Fatalf("%s is set but %s is empty: the PostgreSQL tests must run", requireEnv, dsnEnv)
		}
		tb.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run them", dsnEnv)
	}
	return dsn
}

// newSchema returns a fresh random schema name and drops the schema when
// the test ends.
func newSchema(tb testing.TB) string {
	tb.Helper()
	dsn := testDSN(tb)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "pgstore_test_" + hex.EncodeToString(b[:])
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			tb.Errorf("drop schema %s: connect: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// newPool returns a pool of at most maxConns connections, closed when the
// test ends.
func newPool(tb testing.TB, maxConns int32) *pgxpool.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(testDSN(tb))
	require.NoError(tb, err)
	cfg.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(tb, err)
	tb.Cleanup(pool.Close)
	return pool
}

// newStore returns a store in a fresh schema on a pool of its own (four
// connections: the suite runs many stores in parallel), all removed when
// the test ends.
func newStore(tb testing.TB, opts ...pgstore.Option) *pgstore.Store {
	tb.Helper()
	schema := newSchema(tb) // registered first: dropped after the pool closes
	pool := newPool(tb, 4)
	s, err := pgstore.New(context.Background(), pool, append([]pgstore.Option{pgstore.WithSchema(schema)}, opts...)...)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// fakeClock is a settable clock for lease-expiry tests.
type fakeClock struct {
	ch chan time.Time // holds the current time; a channel of one keeps it race-free
}

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{ch: make(chan time.Time, 1)}
	c.ch <- t
	return c
}

func (c *fakeClock) Now() time.Time {
	t := <-c.ch
	c.ch <- t
	return t
}

func (c *fakeClock) Advance(d time.Duration) {
	t := <-c.ch
	c.ch <- t.Add(d)
}
