package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// TestExportExample runs the example, checks the story it prints, then
// opens the SQLite file it left and checks the state behind that story.
func TestExportExample(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	var buf bytes.Buffer
	require.NoError(t, run(ctx, &buf, dir))
	out := buf.String()
	t.Log("\n" + out)

	assert.Contains(t, out, "state file veeqoconnect.db, mode -rw-------")
	assert.Regexp(t, `run 1, export: partial \(2 exported, 0 skipped, 1 failed`, out)
	assert.Contains(t, out, `ship service "DRONE" is not mapped (ship_service_mapping)`)
	assert.Contains(t, out, `sku "GIFT-BOX" is not in Veeqo's catalogue (sku_code); default SKU "MISC-ITEM" used`)
	assert.Regexp(t, `run 2, confirmations: partial \(0 exported, 0 skipped, 1 failed, 2 confirmations applied`, out)
	assert.Regexp(t, `run 3, nothing new: partial \(0 exported, 0 skipped, 1 failed, 0 confirmations applied`, out)
	assert.Contains(t, out, "Veeqo holds 2 orders; it was asked to create 2")
	// The host's own rows carry what the warehouse did.
	assert.Regexp(t, `ACME-1001\s+shipped\s+1\s+TEE-1\s+1\s+1\s+no\s+1ZACME0001`, out)
	assert.Regexp(t, `ACME-1002\s+partially_shipped\s+1\s+MUG-1\s+3\s+1\s+yes\s+1ZACME0002`, out)
	assert.Regexp(t, `ACME-1004\s+released\s+1\s+CAP-1\s+1\s+0\s+yes`, out, "not released to a wave: untouched")

	// Every file of the state, left by the example, is owner-only.
	matches, err := filepath.Glob(filepath.Join(dir, StateFile+"*"))
	require.NoError(t, err)
	require.NotEmpty(t, matches)
	for _, m := range matches {
		fi, err := os.Stat(m)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), m)
	}

	// The state in the file agrees with the output.
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, StateFile))
	require.NoError(t, err)
	defer st.Close()
	for _, ref := range []string{"ACME-1001", "ACME-1002"} {
		ex, err := st.GetExport(ctx, "acme", ref)
		require.NoError(t, err, ref)
		assert.Equal(t, store.ExportExported, ex.State, ref)
		assert.NotZero(t, ex.VeeqoOrderID, ref)
		rec, err := st.GetRecord(ctx, "acme", vsync.ProcessConfirmation, ref)
		require.NoError(t, err, ref)
		assert.Equal(t, store.RecordSuccess, rec.Status, ref)
	}
	rec, err := st.GetRecord(ctx, "acme", vsync.ProcessExport, "ACME-1003")
	require.NoError(t, err)
	assert.Equal(t, store.RecordError, rec.Status)
	assert.Equal(t, 3, rec.Attempts, "tried on each of the three runs")
	_, err = st.GetRecord(ctx, "acme", vsync.ProcessExport, "ACME-1004")
	assert.ErrorIs(t, err, store.ErrNotFound, "an order on no wave is not a candidate")
	shipped, err := st.ListShipments(ctx, store.ShipmentQuery{Account: "acme"})
	require.NoError(t, err)
	require.Len(t, shipped, 2)
	for _, s := range shipped {
		assert.Equal(t, store.ShipmentApplied, s.State, "shipment %d", s.ShipmentID)
	}
}
