package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/memstore"
	"github.com/xoroerp/veeqoconnect/store/storetest"
)

// TestAlertingStoreConformance: the host's store keeps every guarantee of
// store.Store, checked by the same suite the library's stores run.
func TestAlertingStoreConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		s := newAlertingStore(memstore.New(), (&pager{}).page)
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// TestAlertingStorePagesStoredErrorsOnly: errors are paged with the Seq the
// store gave them, from the three log-writing methods; info and warnings are not
// paged, nor is anything whose write failed.
func TestAlertingStorePagesStoredErrorsOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := &pager{}
	s := newAlertingStore(memstore.New(), p.page)
	defer s.Close()
	_, err := s.AddAccount(ctx, store.Account{Name: "acme"})
	require.NoError(t, err)
	now := time.Now().UTC()

	out, err := s.AppendLogs(ctx,
		store.LogEntry{Account: "acme", Time: now, Level: store.LevelInfo, Process: "run", Message: "started"},
		store.LogEntry{Account: "acme", Time: now, Level: store.LevelError, Process: "export_order", Reference: "SO-1", Message: "boom"},
		store.LogEntry{Account: "acme", Time: now, Level: store.LevelWarning, Process: "export_order", Reference: "SO-2", Message: "hmm"},
	)
	require.NoError(t, err)
	require.Len(t, p.since(0), 1)
	assert.Equal(t, "boom", p.since(0)[0].Message)
	assert.Equal(t, out[1].Seq, p.since(0)[0].Seq, "paged with the stored Seq")

	ex, inserted, err := s.ClaimExport(ctx, store.Export{Account: "acme", ERPRef: "SO-3", State: store.ExportClaimed})
	require.NoError(t, err)
	require.True(t, inserted)
	done := ex
	done.State, done.VeeqoOrderID = store.ExportExported, 42
	errLine := store.LogEntry{Account: "acme", Time: now, Level: store.LevelError, Process: "export_order", Reference: "SO-3", Message: "exported, then a line failed"}
	rec := store.RecordUpdate{Account: "acme", Process: "export_order", Reference: "SO-3", Status: store.RecordError, At: now}
	_, _, err = s.CompleteExport(ctx, done, rec, errLine)
	require.NoError(t, err)
	require.Len(t, p.since(0), 2)
	assert.Equal(t, "SO-3", p.since(0)[1].Reference)

	// The same version again: a conflict, so nothing was written or paged.
	_, _, err = s.CompleteExport(ctx, done, rec, errLine)
	require.ErrorIs(t, err, store.ErrConflict)
	assert.Len(t, p.since(0), 2)

	sh, inserted, err := s.RecordShipment(ctx, store.AppliedShipment{Account: "acme", ShipmentID: 7, ERPRef: "SO-3", State: store.ShipmentPending})
	require.NoError(t, err)
	require.True(t, inserted)
	sh.State = store.ShipmentApplied
	shipErr := store.LogEntry{Account: "acme", Time: now, Level: store.LevelError, Process: "import_confirmation", Reference: "SO-3", Message: "applied, then a line failed"}
	_, appended, err := s.CompleteShipment(ctx, sh, nil,
		store.LogEntry{Account: "acme", Time: now, Level: store.LevelInfo, Process: "import_confirmation", Reference: "SO-3", Message: "applied"}, shipErr)
	require.NoError(t, err)
	require.Len(t, appended, 2)
	require.Len(t, p.since(0), 3)
	assert.Equal(t, shipErr.Message, p.since(0)[2].Message)
	assert.Equal(t, appended[1].Seq, p.since(0)[2].Seq, "paged with the stored Seq")
	_, _, err = s.CompleteShipment(ctx, sh, nil, shipErr)
	require.ErrorIs(t, err, store.ErrConflict)
	assert.Len(t, p.since(0), 3)

	// A closed store fails the append: nothing paged.
	require.NoError(t, s.Close())
	_, err = s.AppendLogs(ctx, store.LogEntry{Account: "acme", Time: now, Level: store.LevelError, Message: "late"})
	require.Error(t, err)
	assert.Len(t, p.since(0), 3)
}
