package memstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

func validMode(m store.Mode) bool {
	return m == store.ModeNone || m == store.ModeExport || m == store.ModeFetch
}

// AddAccount implements store.AccountStore.
func (s *Store) AddAccount(ctx context.Context, a store.Account) (store.Account, error) {
	if a.Name == "" {
		return store.Account{}, errors.New("memstore: add account: name is empty")
	}
	if !validMode(a.Mode) {
		return store.Account{}, fmt.Errorf("memstore: add account %q: unknown mode %q", a.Name, a.Mode)
	}
	sealed, err := s.sealer.Seal(a.APIKey)
	if err != nil {
		return store.Account{}, fmt.Errorf("memstore: add account %q: %w", a.Name, err)
	}
	if err := s.lock(ctx); err != nil {
		return store.Account{}, err
	}
	defer s.mu.Unlock()
	if _, ok := s.accounts[a.Name]; ok {
		return store.Account{}, fmt.Errorf("memstore: add account %q: %w", a.Name, store.ErrExists)
	}
	now := s.now()
	a.Settings = cloneRaw(a.Settings)
	a.CreatedAt, a.UpdatedAt = now, now
	a.ModeChangedAt = time.Time{}
	if a.Mode != store.ModeNone {
		a.ModeChangedAt = now
	}
	a.Version = 1
	plain := a.APIKey
	a.APIKey = sealed
	s.accounts[a.Name] = a
	a.Settings = cloneRaw(a.Settings)
	a.APIKey = plain
	return a, nil
}

// accountOut copies a stored account for a caller, opening its API key.
func (s *Store) accountOut(a store.Account) (store.Account, error) {
	key, err := s.sealer.Open(a.APIKey)
	if err != nil {
		return store.Account{}, fmt.Errorf("memstore: account %q: api key: %w", a.Name, err)
	}
	a.APIKey = key
	a.Settings = cloneRaw(a.Settings)
	return a, nil
}

// GetAccount implements store.AccountStore.
func (s *Store) GetAccount(ctx context.Context, name string) (store.Account, error) {
	if err := s.lock(ctx); err != nil {
		return store.Account{}, err
	}
	defer s.mu.Unlock()
	a, ok := s.accounts[name]
	if !ok {
		return store.Account{}, fmt.Errorf("memstore: account %q: %w", name, store.ErrNotFound)
	}
	return s.accountOut(a)
}

// ListAccounts implements store.AccountStore.
func (s *Store) ListAccounts(ctx context.Context) ([]store.Account, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	names := slices.Sorted(maps.Keys(s.accounts))
	out := make([]store.Account, 0, len(names))
	for _, n := range names {
		a, err := s.accountOut(s.accounts[n])
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// UpdateAccount implements store.AccountStore.
func (s *Store) UpdateAccount(ctx context.Context, a store.Account) (store.Account, error) {
	sealed, err := s.sealer.Seal(a.APIKey)
	if err != nil {
		return store.Account{}, fmt.Errorf("memstore: update account %q: %w", a.Name, err)
	}
	if err := s.lock(ctx); err != nil {
		return store.Account{}, err
	}
	defer s.mu.Unlock()
	cur, ok := s.accounts[a.Name]
	if !ok {
		return store.Account{}, fmt.Errorf("memstore: update account %q: %w", a.Name, store.ErrNotFound)
	}
	if cur.Version != a.Version {
		return store.Account{}, fmt.Errorf("memstore: update account %q: version %d, stored %d: %w", a.Name, a.Version, cur.Version, store.ErrConflict)
	}
	cur.BaseURL = a.BaseURL
	cur.APIKey = sealed
	cur.Settings = cloneRaw(a.Settings)
	cur.UpdatedAt = s.now()
	cur.Version++
	s.accounts[a.Name] = cur
	return s.accountOut(cur)
}

// RemoveAccount implements store.AccountStore.
func (s *Store) RemoveAccount(ctx context.Context, name string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.accounts[name]; !ok {
		return fmt.Errorf("memstore: remove account %q: %w", name, store.ErrNotFound)
	}
	delete(s.accounts, name)
	maps.DeleteFunc(s.exports, func(k key2, _ store.Export) bool { return k.a == name })
	maps.DeleteFunc(s.byVeeqo, func(k veeqoKey, _ map[string]struct{}) bool { return k.a == name })
	delete(s.openExports, name)
	maps.DeleteFunc(s.shipments, func(k shipKey, _ store.AppliedShipment) bool { return k.account == name })
	maps.DeleteFunc(s.shipsByVeeqo, func(k veeqoKey, _ map[int64]struct{}) bool { return k.a == name })
	maps.DeleteFunc(s.shipsByERP, func(k key2, _ map[int64]struct{}) bool { return k.a == name })
	delete(s.shipsPending, name)
	maps.DeleteFunc(s.cursors, func(k key2, _ store.Cursor) bool { return k.a == name })
	delete(s.leases, name)
	maps.DeleteFunc(s.records, func(k key3, _ store.Record) bool { return k.a == name })
	maps.DeleteFunc(s.byStatus, func(k key2, _ map[key3]struct{}) bool { return k.a == name })
	s.logs = slices.DeleteFunc(s.logs, func(e store.LogEntry) bool { return e.Account == name })
	maps.DeleteFunc(s.runs, func(_ string, r store.Run) bool { return r.Account == name })
	maps.DeleteFunc(s.customers, func(k key2, _ int64) bool { return k.a == name })
	maps.DeleteFunc(s.notifyVals, func(k key2, _ notifyState) bool { return k.a == name })
	return nil
}

// SetMode implements store.AccountStore.
func (s *Store) SetMode(ctx context.Context, account string, from, to store.Mode) (store.Account, error) {
	if !validMode(from) || !validMode(to) {
		return store.Account{}, fmt.Errorf("memstore: set mode of %q: unknown mode (from %q, to %q)", account, from, to)
	}
	if err := s.lock(ctx); err != nil {
		return store.Account{}, err
	}
	defer s.mu.Unlock()
	cur, ok := s.accounts[account]
	if !ok {
		return store.Account{}, fmt.Errorf("memstore: set mode of %q: %w", account, store.ErrNotFound)
	}
	if cur.Mode != from {
		return store.Account{}, fmt.Errorf("memstore: set mode of %q from %q: stored mode is %q: %w", account, from, cur.Mode, store.ErrConflict)
	}
	now := s.now()
	cur.Mode = to
	cur.ModeChangedAt = now
	cur.UpdatedAt = now
	cur.Version++
	s.accounts[account] = cur
	return s.accountOut(cur)
}
