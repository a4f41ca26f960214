package main

import (
	"context"

	"github.com/xoroerp/veeqoconnect/store"
)

// alertingStore is a host's own store.Store: the library's state kept by
// another store (memstore here, the host's sqlitestore or pgstore in
// production), with one thing added: every error the engine writes to the
// log, once the inner store has durably accepted it, goes to the host's
// on-call pager as well. Whatever a wrapper adds, it must keep every
// guarantee written on store.Store; storetest.Run in store_test.go proves
// this one does.
//
// The four methods that write log entries are wrapped; everything else is
// the inner store's, through the embedded interface.
type alertingStore struct {
	store.Store
	page func(store.LogEntry) // must be safe for concurrent use
}

// newAlertingStore wraps inner; page receives each error log entry after
// it is stored.
func newAlertingStore(inner store.Store, page func(store.LogEntry)) *alertingStore {
	return &alertingStore{Store: inner, page: page}
}

// AppendLogs stores the entries, then pages the errors among them, with
// the Seq the store gave them. Nothing is paged when the append fails.
func (s *alertingStore) AppendLogs(ctx context.Context, entries ...store.LogEntry) ([]store.LogEntry, error) {
	out, err := s.Store.AppendLogs(ctx, entries...)
	if err != nil {
		return out, err
	}
	s.pageErrors(out)
	return out, nil
}

// CompleteExport writes the export, its record and its log entries in one
// transaction (the inner store's), then pages the errors among the
// entries, with their Seq. Nothing is paged when the transaction fails.
func (s *alertingStore) CompleteExport(ctx context.Context, e store.Export, r store.RecordUpdate, logs ...store.LogEntry) (store.Export, []store.LogEntry, error) {
	out, appended, err := s.Store.CompleteExport(ctx, e, r, logs...)
	if err != nil {
		return out, appended, err
	}
	s.pageErrors(appended)
	return out, appended, nil
}

// CompleteShipment writes the shipment, its record and its log entries in
// one transaction (the inner store's), then pages the errors among the
// entries, with their Seq. Nothing is paged when the transaction fails.
func (s *alertingStore) CompleteShipment(ctx context.Context, sh store.AppliedShipment, r *store.RecordUpdate, logs ...store.LogEntry) (store.AppliedShipment, []store.LogEntry, error) {
	out, appended, err := s.Store.CompleteShipment(ctx, sh, r, logs...)
	if err != nil {
		return out, appended, err
	}
	s.pageErrors(appended)
	return out, appended, nil
}

// CompleteShipments writes a batch of shipments, their records and their
// log entries in one transaction (the inner store's), then pages the errors
// among the entries, with their Seq. Nothing is paged when the transaction
// fails.
func (s *alertingStore) CompleteShipments(ctx context.Context, cs []store.ShipmentCompletion) ([]store.ShipmentCompletion, error) {
	out, err := s.Store.CompleteShipments(ctx, cs)
	if err != nil {
		return out, err
	}
	for _, c := range out {
		s.pageErrors(c.Logs)
	}
	return out, nil
}

func (s *alertingStore) pageErrors(entries []store.LogEntry) {
	for _, e := range entries {
		if e.Level == store.LevelError {
			s.page(e)
		}
	}
}
