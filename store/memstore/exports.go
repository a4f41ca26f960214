package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

const defaultExportLimit = 100

func cloneExport(e store.Export) store.Export {
	e.Lines = slices.Clone(e.Lines)
	return e
}

func normExport(e store.Export) store.Export {
	e = cloneExport(e)
	e.ExportedAt = utc(e.ExportedAt)
	e.CreatedAt = utc(e.CreatedAt)
	e.UpdatedAt = utc(e.UpdatedAt)
	return e
}

func checkExportKey(op string, e store.Export) error {
	if e.Account == "" {
		return fmt.Errorf("memstore: %s: account is empty", op)
	}
	if e.ERPRef == "" {
		return fmt.Errorf("memstore: %s: ERP reference is empty", op)
	}
	return nil
}

// ClaimExport implements store.ExportStore.
func (s *Store) ClaimExport(ctx context.Context, e store.Export) (store.Export, bool, error) {
	if err := checkExportKey("claim export", e); err != nil {
		return store.Export{}, false, err
	}
	if err := s.lock(ctx); err != nil {
		return store.Export{}, false, err
	}
	defer s.mu.Unlock()
	k := key2{e.Account, e.ERPRef}
	if cur, ok := s.exports[k]; ok {
		return cloneExport(cur), false, nil
	}
	now := s.now()
	e = normExport(e)
	if e.State == "" {
		e.State = store.ExportClaimed
	}
	e.CreatedAt, e.UpdatedAt = now, now
	e.Version = 1
	s.exports[k] = e
	s.indexExport(e)
	return cloneExport(e), true, nil
}

// updateExportLocked does UpdateExport with s.mu held.
func (s *Store) updateExportLocked(e store.Export, now time.Time) (store.Export, error) {
	k := key2{e.Account, e.ERPRef}
	cur, ok := s.exports[k]
	if !ok {
		return store.Export{}, fmt.Errorf("memstore: update export %s/%s: %w", e.Account, e.ERPRef, store.ErrNotFound)
	}
	if cur.Version != e.Version {
		return store.Export{}, fmt.Errorf("memstore: update export %s/%s: version %d, stored %d: %w", e.Account, e.ERPRef, e.Version, cur.Version, store.ErrConflict)
	}
	e = normExport(e)
	if e.State == store.ExportExported && e.ExportedAt.IsZero() {
		e.ExportedAt = now
	}
	e.CreatedAt = cur.CreatedAt
	e.UpdatedAt = now
	e.Version = cur.Version + 1
	s.unindexExport(cur)
	s.exports[k] = e
	s.indexExport(e)
	return cloneExport(e), nil
}

// UpdateExport implements store.ExportStore.
func (s *Store) UpdateExport(ctx context.Context, e store.Export) (store.Export, error) {
	if err := checkExportKey("update export", e); err != nil {
		return store.Export{}, err
	}
	if err := s.lock(ctx); err != nil {
		return store.Export{}, err
	}
	defer s.mu.Unlock()
	return s.updateExportLocked(e, s.now())
}

// CompleteExport implements store.ExportStore. Everything is validated
// before anything is written, under one lock, so the three writes land
// together or not at all.
func (s *Store) CompleteExport(ctx context.Context, e store.Export, r store.RecordUpdate, logs ...store.LogEntry) (store.Export, error) {
	if err := checkExportKey("complete export", e); err != nil {
		return store.Export{}, err
	}
	if err := checkRecordUpdate(r); err != nil {
		return store.Export{}, fmt.Errorf("memstore: complete export %s/%s: %w", e.Account, e.ERPRef, err)
	}
	for i, l := range logs {
		if err := checkLog(l); err != nil {
			return store.Export{}, fmt.Errorf("memstore: complete export %s/%s: log %d: %w", e.Account, e.ERPRef, i, err)
		}
	}
	if err := s.lock(ctx); err != nil {
		return store.Export{}, err
	}
	defer s.mu.Unlock()
	now := s.now()
	out, err := s.updateExportLocked(e, now)
	if err != nil {
		return store.Export{}, err
	}
	s.upsertRecordLocked(r, now)
	s.appendLogsLocked(logs, now)
	return out, nil
}

// GetExport implements store.ExportStore.
func (s *Store) GetExport(ctx context.Context, account, erpRef string) (store.Export, error) {
	if err := s.lock(ctx); err != nil {
		return store.Export{}, err
	}
	defer s.mu.Unlock()
	e, ok := s.exports[key2{account, erpRef}]
	if !ok {
		return store.Export{}, fmt.Errorf("memstore: export %s/%s: %w", account, erpRef, store.ErrNotFound)
	}
	return cloneExport(e), nil
}

// ExportByVeeqoID implements store.ExportStore. Should two exports name the
// same Veeqo order, the one with the smallest ERPRef is returned.
func (s *Store) ExportByVeeqoID(ctx context.Context, account string, veeqoOrderID int64) (store.Export, error) {
	if err := s.lock(ctx); err != nil {
		return store.Export{}, err
	}
	defer s.mu.Unlock()
	best := ""
	if veeqoOrderID != 0 {
		for ref := range s.byVeeqo[veeqoKey{account, veeqoOrderID}] {
			if best == "" || ref < best {
				best = ref
			}
		}
	}
	if best == "" {
		return store.Export{}, fmt.Errorf("memstore: export of %s for Veeqo order %d: %w", account, veeqoOrderID, store.ErrNotFound)
	}
	return cloneExport(s.exports[key2{account, best}]), nil
}

// veeqoKey is an account's Veeqo order id, the key of byVeeqo.
type veeqoKey struct {
	a  string
	id int64
}

// indexExport and unindexExport keep byVeeqo (the exports linked to each
// Veeqo order, by ERP ref) in step with exports; s.mu is held.
func (s *Store) indexExport(e store.Export) {
	if e.VeeqoOrderID == 0 {
		return
	}
	k := veeqoKey{e.Account, e.VeeqoOrderID}
	if s.byVeeqo[k] == nil {
		s.byVeeqo[k] = map[string]struct{}{}
	}
	s.byVeeqo[k][e.ERPRef] = struct{}{}
}

func (s *Store) unindexExport(e store.Export) {
	k := veeqoKey{e.Account, e.VeeqoOrderID}
	if refs := s.byVeeqo[k]; refs != nil {
		delete(refs, e.ERPRef)
		if len(refs) == 0 {
			delete(s.byVeeqo, k)
		}
	}
}

// ListExports implements store.ExportStore.
func (s *Store) ListExports(ctx context.Context, q store.ExportQuery) ([]store.Export, error) {
	if q.Account == "" {
		return nil, errors.New("memstore: list exports: account is required")
	}
	if q.Limit < 0 {
		return nil, fmt.Errorf("memstore: list exports: negative limit %d", q.Limit)
	}
	limit := q.Limit
	if limit == 0 {
		limit = defaultExportLimit
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Export
	for k, e := range s.exports {
		switch {
		case k.a != q.Account,
			len(q.States) > 0 && !slices.Contains(q.States, e.State),
			q.Completed != nil && e.Completed != *q.Completed,
			!q.ExportedBefore.IsZero() && (e.ExportedAt.IsZero() || !e.ExportedAt.Before(q.ExportedBefore)),
			q.Number != "" && e.Number != q.Number,
			q.AfterRef != "" && e.ERPRef <= q.AfterRef:
			continue
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b store.Export) int { return cmp.Compare(a.ERPRef, b.ERPRef) })
	if len(out) > limit {
		out = out[:limit]
	}
	for i := range out {
		out[i] = cloneExport(out[i])
	}
	return out, nil
}

// ---- shipments

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
	k := shipKey{sh.Account, sh.ShipmentID}
	if cur, ok := s.shipments[k]; ok {
		return cloneShipment(cur), false, nil
	}
	sh = cloneShipment(sh)
	sh.CreatedAt = utc(sh.CreatedAt)
	if sh.CreatedAt.IsZero() {
		sh.CreatedAt = s.now()
	}
	sh.AppliedAt = utc(sh.AppliedAt)
	sh.Version = 1
	s.shipments[k] = sh
	return cloneShipment(sh), true, nil
}

// UpdateShipment implements store.ShipmentStore. CreatedAt is kept.
func (s *Store) UpdateShipment(ctx context.Context, sh store.AppliedShipment) (store.AppliedShipment, error) {
	if err := s.lock(ctx); err != nil {
		return store.AppliedShipment{}, err
	}
	defer s.mu.Unlock()
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
	s.shipments[k] = sh
	return cloneShipment(sh), nil
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
	var out []store.AppliedShipment
	for k, sh := range s.shipments {
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

// ---- cursors

// GetCursor implements store.CursorStore.
func (s *Store) GetCursor(ctx context.Context, account, stream string) (store.Cursor, error) {
	if err := s.lock(ctx); err != nil {
		return store.Cursor{}, err
	}
	defer s.mu.Unlock()
	c, ok := s.cursors[key2{account, stream}]
	if !ok {
		return store.Cursor{Account: account, Stream: stream}, nil
	}
	return c, nil
}

// SetCursor implements store.CursorStore.
func (s *Store) SetCursor(ctx context.Context, c store.Cursor) (store.Cursor, error) {
	if c.Account == "" || c.Stream == "" {
		return store.Cursor{}, fmt.Errorf("memstore: set cursor: account (%q) and stream (%q) are required", c.Account, c.Stream)
	}
	if err := s.lock(ctx); err != nil {
		return store.Cursor{}, err
	}
	defer s.mu.Unlock()
	k := key2{c.Account, c.Stream}
	cur := s.cursors[k] // Version 0 when absent
	if cur.Version != c.Version {
		return store.Cursor{}, fmt.Errorf("memstore: set cursor %s/%s: version %d, stored %d: %w", c.Account, c.Stream, c.Version, cur.Version, store.ErrConflict)
	}
	c.Position = utc(c.Position)
	c.UpdatedAt = s.now()
	c.Version++
	s.cursors[k] = c
	return c, nil
}

// ---- leases

// AcquireLease implements store.LeaseStore. Expiry is decided by the
// store's clock: a lease is expired once now >= ExpiresAt.
func (s *Store) AcquireLease(ctx context.Context, account string, holder store.Holder, ttl time.Duration) (store.Lease, error) {
	if account == "" || holder.ID == "" {
		return store.Lease{}, fmt.Errorf("memstore: acquire lease: account (%q) and holder ID (%q) are required", account, holder.ID)
	}
	if ttl <= 0 {
		return store.Lease{}, fmt.Errorf("memstore: acquire lease on %q: ttl %v must be positive", account, ttl)
	}
	if err := s.lock(ctx); err != nil {
		return store.Lease{}, err
	}
	defer s.mu.Unlock()
	now := s.now()
	cur, ok := s.leases[account]
	if ok && now.Before(cur.ExpiresAt) {
		if cur.Holder.ID != holder.ID {
			return store.Lease{}, fmt.Errorf("memstore: acquire lease on %q for %q: held by %s until %s: %w",
				account, holder.ID, cur.Holder, cur.ExpiresAt.Format(time.RFC3339Nano), store.ErrLeaseHeld)
		}
		cur.ExpiresAt = now.Add(ttl)
		cur.Holder = holder
		s.leases[account] = cur
		return cur, nil
	}
	s.lastToken++
	l := store.Lease{Account: account, Holder: holder, Token: s.lastToken, AcquiredAt: now, ExpiresAt: now.Add(ttl)}
	s.leases[account] = l
	return l, nil
}

// GetLease implements store.LeaseStore.
func (s *Store) GetLease(ctx context.Context, account string) (store.Lease, error) {
	if account == "" {
		return store.Lease{}, fmt.Errorf("memstore: get lease: account is required")
	}
	if err := s.lock(ctx); err != nil {
		return store.Lease{}, err
	}
	defer s.mu.Unlock()
	if l, ok := s.leases[account]; ok {
		return l, nil
	}
	return store.Lease{Account: account}, nil
}

// TakeOverLease implements store.LeaseStore.
func (s *Store) TakeOverLease(ctx context.Context, from store.Lease, holder store.Holder, ttl time.Duration) (store.Lease, error) {
	if from.Account == "" || from.Holder.ID == "" || holder.ID == "" {
		return store.Lease{}, fmt.Errorf("memstore: take over lease: account (%q), the old holder ID (%q) and the new (%q) are required", from.Account, from.Holder.ID, holder.ID)
	}
	if ttl <= 0 {
		return store.Lease{}, fmt.Errorf("memstore: take over lease on %q: ttl %v must be positive", from.Account, ttl)
	}
	if err := s.lock(ctx); err != nil {
		return store.Lease{}, err
	}
	defer s.mu.Unlock()
	if !s.heldLocked(from) {
		return store.Lease{}, fmt.Errorf("memstore: take over lease on %q (token %d): %w", from.Account, from.Token, store.ErrLeaseLost)
	}
	now := s.now()
	s.lastToken++
	l := store.Lease{Account: from.Account, Holder: holder, Token: s.lastToken, AcquiredAt: now, ExpiresAt: now.Add(ttl)}
	s.leases[from.Account] = l
	return l, nil
}

// heldLocked reports whether l is still the stored lease of its account
// (same holder and token). A lease that expired but was not taken by anyone
// is still held: nobody else ran in between, and its token still fences.
func (s *Store) heldLocked(l store.Lease) bool {
	cur, ok := s.leases[l.Account]
	return ok && cur.Holder.ID == l.Holder.ID && cur.Token == l.Token
}

// RenewLease implements store.LeaseStore.
func (s *Store) RenewLease(ctx context.Context, l store.Lease, ttl time.Duration) (store.Lease, error) {
	if ttl <= 0 {
		return store.Lease{}, fmt.Errorf("memstore: renew lease on %q: ttl %v must be positive", l.Account, ttl)
	}
	if err := s.lock(ctx); err != nil {
		return store.Lease{}, err
	}
	defer s.mu.Unlock()
	if !s.heldLocked(l) {
		return store.Lease{}, fmt.Errorf("memstore: renew lease on %q (token %d): %w", l.Account, l.Token, store.ErrLeaseLost)
	}
	cur := s.leases[l.Account]
	cur.ExpiresAt = s.now().Add(ttl)
	s.leases[l.Account] = cur
	return cur, nil
}

// ReleaseLease implements store.LeaseStore.
func (s *Store) ReleaseLease(ctx context.Context, l store.Lease) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if !s.heldLocked(l) {
		return fmt.Errorf("memstore: release lease on %q (token %d): %w", l.Account, l.Token, store.ErrLeaseLost)
	}
	delete(s.leases, l.Account)
	return nil
}
