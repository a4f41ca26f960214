package main

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testDSN returns the test database, or skips when none is set (fails
// under VEEQOCONNECT_REQUIRE_PG, as in CI).
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(DSNEnv)
	if dsn == "" {
		if os.Getenv("VEEQOCONNECT_REQUIRE_PG") != "" {
			t.Fatalf("VEEQOCONNECT_REQUIRE_PG is set but %s is empty: the PostgreSQL tests must run", DSNEnv)
		}
		t.Skipf("needs PostgreSQL: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", DSNEnv)
	}
	return dsn
}

// TestWorkersExample runs the example on PostgreSQL: the lease lets one
// of three simultaneous runs through, River keeps one sync job per account
// however many workers insert it, and at the end every order was created
// in Veeqo once and every shipment reached the ERP, by periodic jobs.
func TestWorkersExample(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	var buf bytes.Buffer
	sum, err := run(context.Background(), &buf, dsn, time.Second)
	require.NoError(t, err)
	out := buf.String()
	t.Log("\n" + out)

	assert.GreaterOrEqual(t, sum.LeaseRan, 1)
	assert.Equal(t, 3, sum.LeaseRan+sum.LeaseHeld)
	assert.Contains(t, out, "Veeqo (west) was asked to create 12 orders for 12 ERP orders", "three racing runs, each order created once")
	assert.Equal(t, 2, sum.Inserted, "one job per account")
	assert.Equal(t, 4, sum.Duplicates, "the other workers' inserts were duplicates")
	for _, a := range []string{"east", "west"} {
		assert.Equal(t, sum.Orders[a], sum.Creates[a], "%s: one create per order", a)
		assert.Equal(t, sum.Orders[a], sum.Applied[a], "%s: every shipment applied", a)
		assert.GreaterOrEqual(t, sum.Jobs[a], 2, "%s: the export and, on a later tick, the confirmations", a)
	}
	assert.NotEmpty(t, sum.Workers)
	assert.Regexp(t, `east: 8 orders, 8 creates in Veeqo, 8 shipments applied to the ERP, \d+ River jobs`, out)
	assert.Regexp(t, `west: 12 orders, 12 creates in Veeqo, 12 shipments applied to the ERP, \d+ River jobs`, out)
}

// TestWorkersExampleSaysWhenPostgresIsMissing: no DSN, a malformed one and
// a database that does not answer each stop the example at once with a
// message naming the variable, never the password.
func TestWorkersExampleSaysWhenPostgresIsMissing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, err := run(ctx, &bytes.Buffer{}, "", time.Second)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "VEEQOCONNECT_PG_DSN is not set")

	_, err = run(ctx, &bytes.Buffer{}, "postgres://app:s3cret-pw@127.0.0.1:notaport/erp", time.Second)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "VEEQOCONNECT_PG_DSN is not a valid PostgreSQL DSN")
	assert.NotContains(t, err.Error(), "s3cret-pw")

	_, err = run(ctx, &bytes.Buffer{}, "postgres://app:s3cret-pw@127.0.0.1:1/erp?sslmode=disable&connect_timeout=5", time.Second)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `PostgreSQL is unreachable at 127.0.0.1:1 (database "erp", from VEEQOCONNECT_PG_DSN)`)
	assert.NotContains(t, err.Error(), "s3cret-pw")
}
