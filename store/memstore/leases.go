package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

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
