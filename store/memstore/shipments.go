package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"

	"github.com/xoroerp/veeqoconnect/store"
)

func cloneShipment(sh store.AppliedShipment) store.AppliedShipment {
	sh.Update = cloneRaw(sh.Update)
	return sh
}

// RecordShipment implements store.ShipmentStore. CreatedAt is the caller's
// when set, else the store's clock.
func (s *Store) RecordShipment(ctx context.Context, sh store.AppliedShipment) (store.AppliedShipment, bool, error) {
	if sh.Account == "" {
		return store.AppliedShipment{}, false, errors.New("memstore: record shipment: account is empty")
	}
	if err := s.lock(ctx); err != nil {
		return store.AppliedShipment{}, false, err
	}
	defer s.mu.Unlock()
	out, inserted := s.recordShipmentLocked(sh)
	return out, inserted, nil
}

// recordShipmentLocked inserts sh unless its key exists; s.mu is held.
func (s *Store) recordShipmentLocked(sh store.AppliedShipment) (store.AppliedShipment, bool) {
	k := shipKey{sh.Account, sh.ShipmentID}
	if cur, ok := s.shipments[k]; ok {
		return cloneShipment(cur), false
	}
	sh = cloneShipment(sh)
	sh.CreatedAt = utc(sh.CreatedAt)
	if sh.CreatedAt.IsZero() {
		sh.CreatedAt = s.now()
	}
	sh.AppliedAt = utc(sh.AppliedAt)
	sh.Version = 1
	s.shipments[k] = sh
	s.indexShipment(sh)
	return cloneShipment(sh), true
}

// RecordShipments implements store.ShipmentStore: every row is checked
// before any is written, under one lock.
func (s *Store) RecordShipments(ctx context.Context, ss []store.AppliedShipment) ([]store.AppliedShipment, []bool, error) {
	for _, sh := range ss {
		if sh.Account == "" {
			return nil, nil, errors.New("memstore: record shipments: account is empty")
		}
	}
	if err := s.lock(ctx); err != nil {
		return nil, nil, err
	}
	defer s.mu.Unlock()
	out := make([]store.AppliedShipment, len(ss))
	inserted := make([]bool, len(ss))
	for i, sh := range ss {
		out[i], inserted[i] = s.recordShipmentLocked(sh)
	}
	return out, inserted, nil
}

// UpdateShipment implements store.ShipmentStore. CreatedAt is kept.
func (s *Store) UpdateShipment(ctx context.Context, sh store.AppliedShipment) (store.AppliedShipment, error) {
	if err := s.lock(ctx); err != nil {
		return store.AppliedShipment{}, err
	}
	defer s.mu.Unlock()
	return s.updateShipmentLocked(sh)
}

// CompleteShipment implements store.ShipmentStore: a batch of one
// (CompleteShipments), validated before anything is written, under one lock.
func (s *Store) CompleteShipment(ctx context.Context, sh store.AppliedShipment, r *store.RecordUpdate, logs ...store.LogEntry) (store.AppliedShipment, []store.LogEntry, error) {
	out, err := s.CompleteShipments(ctx, []store.ShipmentCompletion{{Shipment: sh, Record: r, Logs: logs}})
	if err != nil {
		return store.AppliedShipment{}, nil, err
	}
	return out[0].Shipment, out[0].Logs, nil
}

// CompleteShipments implements store.ShipmentStore. Everything is
// validated, every version compared, before anything is written, under one
// lock.
func (s *Store) CompleteShipments(ctx context.Context, cs []store.ShipmentCompletion) ([]store.ShipmentCompletion, error) {
	if err := checkCompletions(cs); err != nil {
		return nil, err
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if err := s.checkCompletionVersionsLocked(cs); err != nil {
		return nil, err
	}
	out := make([]store.ShipmentCompletion, len(cs))
	now := s.now()
	for i, c := range cs {
		sh, err := s.updateShipmentLocked(c.Shipment)
		if err != nil {
			return nil, err // checked above: cannot happen
		}
		out[i] = store.ShipmentCompletion{Shipment: sh, Record: c.Record}
		if c.Export != nil {
			ex, err := s.updateExportLocked(*c.Export, now)
			if err != nil {
				return nil, err // checked above: cannot happen
			}
			out[i].Export = &ex
		}
		if c.Record != nil {
			s.upsertRecordLocked(*c.Record, now)
		}
		out[i].Logs = s.appendLogsLocked(c.Logs, now)
	}
	return out, nil
}

// checkCompletions validates a batch of completions before the lock.
func checkCompletions(cs []store.ShipmentCompletion) error {
	for _, c := range cs {
		sh := c.Shipment
		if c.Export != nil {
			if err := checkExportKey("complete shipments", *c.Export); err != nil {
				return err
			}
		}
		if c.Record != nil {
			if err := checkRecordUpdate(*c.Record); err != nil {
				return fmt.Errorf("memstore: complete shipment %s/%d: %w", sh.Account, sh.ShipmentID, err)
			}
		}
		for i, l := range c.Logs {
			if err := checkLog(l); err != nil {
				return fmt.Errorf("memstore: complete shipment %s/%d: log %d: %w", sh.Account, sh.ShipmentID, i, err)
			}
		}
	}
	return nil
}

// checkCompletionVersionsLocked compares every version of a batch with the
// stored ones before anything is written. A batch may name a shipment (or
// an export) twice: each completion must find the version the one before
// it leaves.
func (s *Store) checkCompletionVersionsLocked(cs []store.ShipmentCompletion) error {
	versions := map[shipKey]int64{}
	exportVersions := map[key2]int64{}
	for _, c := range cs {
		sh := c.Shipment
		k := shipKey{sh.Account, sh.ShipmentID}
		v, seen := versions[k]
		if !seen {
			cur, ok := s.shipments[k]
			if !ok {
				return fmt.Errorf("memstore: update shipment %s/%d: %w", sh.Account, sh.ShipmentID, store.ErrNotFound)
			}
			v = cur.Version
		}
		if v != sh.Version {
			return fmt.Errorf("memstore: update shipment %s/%d: version %d, stored %d: %w", sh.Account, sh.ShipmentID, sh.Version, v, store.ErrConflict)
		}
		versions[k] = v + 1
		if c.Export == nil {
			continue
		}
		ex := *c.Export
		ek := key2{ex.Account, ex.ERPRef}
		v, seen = exportVersions[ek]
		if !seen {
			cur, ok := s.exports[ek]
			if !ok {
				return fmt.Errorf("memstore: update export %s/%s: %w", ex.Account, ex.ERPRef, store.ErrNotFound)
			}
			v = cur.Version
		}
		if v != ex.Version {
			return fmt.Errorf("memstore: update export %s/%s: version %d, stored %d: %w", ex.Account, ex.ERPRef, ex.Version, v, store.ErrConflict)
		}
		exportVersions[ek] = v + 1
	}
	return nil
}

func (s *Store) updateShipmentLocked(sh store.AppliedShipment) (store.AppliedShipment, error) {
	k := shipKey{sh.Account, sh.ShipmentID}
	cur, ok := s.shipments[k]
	if !ok {
		return store.AppliedShipment{}, fmt.Errorf("memstore: update shipment %s/%d: %w", sh.Account, sh.ShipmentID, store.ErrNotFound)
	}
	if cur.Version != sh.Version {
		return store.AppliedShipment{}, fmt.Errorf("memstore: update shipment %s/%d: version %d, stored %d: %w", sh.Account, sh.ShipmentID, sh.Version, cur.Version, store.ErrConflict)
	}
	sh = cloneShipment(sh)
	sh.CreatedAt = cur.CreatedAt
	sh.AppliedAt = utc(sh.AppliedAt)
	if sh.State == store.ShipmentApplied && sh.AppliedAt.IsZero() {
		sh.AppliedAt = s.now()
	}
	sh.Version = cur.Version + 1
	s.unindexShipment(cur)
	s.shipments[k] = sh
	s.indexShipment(sh)
	return cloneShipment(sh), nil
}

// indexShipment adds sh to the indexes by Veeqo order and by ERP order,
// and to the pending ones when it is pending.
func (s *Store) indexShipment(sh store.AppliedShipment) {
	add := func(set map[int64]struct{}) map[int64]struct{} {
		if set == nil {
			set = map[int64]struct{}{}
		}
		set[sh.ShipmentID] = struct{}{}
		return set
	}
	vk, ek := veeqoKey{sh.Account, sh.VeeqoOrderID}, key2{sh.Account, sh.ERPRef}
	s.shipsByVeeqo[vk] = add(s.shipsByVeeqo[vk])
	s.shipsByERP[ek] = add(s.shipsByERP[ek])
	if sh.State == store.ShipmentPending {
		s.shipsPending[sh.Account] = add(s.shipsPending[sh.Account])
	}
}

// unindexShipment removes sh from the indexes.
func (s *Store) unindexShipment(sh store.AppliedShipment) {
	vk, ek := veeqoKey{sh.Account, sh.VeeqoOrderID}, key2{sh.Account, sh.ERPRef}
	if set := s.shipsByVeeqo[vk]; set != nil {
		delete(set, sh.ShipmentID)
		if len(set) == 0 {
			delete(s.shipsByVeeqo, vk)
		}
	}
	if set := s.shipsByERP[ek]; set != nil {
		delete(set, sh.ShipmentID)
		if len(set) == 0 {
			delete(s.shipsByERP, ek)
		}
	}
	if set := s.shipsPending[sh.Account]; set != nil {
		delete(set, sh.ShipmentID)
		if len(set) == 0 {
			delete(s.shipsPending, sh.Account)
		}
	}
}

// indexed yields the shipments of account whose ids are in set.
func (s *Store) indexed(account string, set map[int64]struct{}) iter.Seq2[shipKey, store.AppliedShipment] {
	return func(yield func(shipKey, store.AppliedShipment) bool) {
		for id := range set {
			k := shipKey{account, id}
			if !yield(k, s.shipments[k]) {
				return
			}
		}
	}
}

// FindShipments implements store.ShipmentStore, from the index by Veeqo
// order and the shipments' keys.
func (s *Store) FindShipments(ctx context.Context, account string, veeqoOrderIDs, shipmentIDs []int64) ([]store.AppliedShipment, error) {
	if account == "" {
		return nil, errors.New("memstore: find shipments: account is required")
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	found := map[int64]store.AppliedShipment{}
	for _, vid := range veeqoOrderIDs {
		for id := range s.shipsByVeeqo[veeqoKey{account, vid}] {
			found[id] = s.shipments[shipKey{account, id}]
		}
	}
	for _, id := range shipmentIDs {
		if sh, ok := s.shipments[shipKey{account, id}]; ok {
			found[id] = sh
		}
	}
	out := make([]store.AppliedShipment, 0, len(found))
	for _, sh := range found {
		out = append(out, cloneShipment(sh))
	}
	slices.SortFunc(out, func(a, b store.AppliedShipment) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ShipmentID, b.ShipmentID))
	})
	return out, nil
}

// GetShipment implements store.ShipmentStore.
func (s *Store) GetShipment(ctx context.Context, account string, shipmentID int64) (store.AppliedShipment, error) {
	if err := s.lock(ctx); err != nil {
		return store.AppliedShipment{}, err
	}
	defer s.mu.Unlock()
	sh, ok := s.shipments[shipKey{account, shipmentID}]
	if !ok {
		return store.AppliedShipment{}, fmt.Errorf("memstore: shipment %s/%d: %w", account, shipmentID, store.ErrNotFound)
	}
	return cloneShipment(sh), nil
}

// ListShipments implements store.ShipmentStore. Limit 0 returns every match.
func (s *Store) ListShipments(ctx context.Context, q store.ShipmentQuery) ([]store.AppliedShipment, error) {
	if q.Account == "" {
		return nil, errors.New("memstore: list shipments: account is required")
	}
	if q.Limit < 0 {
		return nil, fmt.Errorf("memstore: list shipments: negative limit %d", q.Limit)
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	// One order's shipments come from its index; anything else is a scan.
	candidates := maps.All(s.shipments)
	switch {
	case q.VeeqoOrderID != 0:
		candidates = s.indexed(q.Account, s.shipsByVeeqo[veeqoKey{q.Account, q.VeeqoOrderID}])
	case q.ERPRef != "":
		candidates = s.indexed(q.Account, s.shipsByERP[key2{q.Account, q.ERPRef}])
	case len(q.States) == 1 && q.States[0] == store.ShipmentPending:
		candidates = s.indexed(q.Account, s.shipsPending[q.Account])
	}
	var out []store.AppliedShipment
	for k, sh := range candidates {
		if k.account != q.Account ||
			(q.ERPRef != "" && sh.ERPRef != q.ERPRef) ||
			(q.VeeqoOrderID != 0 && sh.VeeqoOrderID != q.VeeqoOrderID) ||
			(len(q.States) > 0 && !slices.Contains(q.States, sh.State)) {
			continue
		}
		out = append(out, sh)
	}
	slices.SortFunc(out, func(a, b store.AppliedShipment) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ShipmentID, b.ShipmentID))
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	for i := range out {
		out[i] = cloneShipment(out[i])
	}
	return out, nil
}
