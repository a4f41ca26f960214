package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/xoroerp/veeqoconnect/store"
)

// CustomerID implements store.CustomerStore.
func (s *Store) CustomerID(ctx context.Context, account, email string) (int64, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	id, ok := s.customers[key2{account, strings.ToLower(email)}]
	if !ok {
		return 0, fmt.Errorf("memstore: customer of %s by email: %w", account, store.ErrNotFound)
	}
	return id, nil
}

// PutCustomerID implements store.CustomerStore.
func (s *Store) PutCustomerID(ctx context.Context, account, email string, id int64) error {
	if account == "" || email == "" {
		return errors.New("memstore: put customer id: account and email are required")
	}
	if id <= 0 {
		return fmt.Errorf("memstore: put customer id: id %d must be positive", id)
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.customers[key2{account, strings.ToLower(email)}] = id
	return nil
}

// LoadNotifyState implements store.NotifyStateStore.
func (s *Store) LoadNotifyState(ctx context.Context, account, name string) ([]byte, int64, error) {
	if err := s.lock(ctx); err != nil {
		return nil, 0, err
	}
	defer s.mu.Unlock()
	st, ok := s.notifyVals[key2{account, name}]
	if !ok {
		return nil, 0, nil
	}
	return slices.Clone(st.value), st.version, nil
}

// SaveNotifyState implements store.NotifyStateStore.
func (s *Store) SaveNotifyState(ctx context.Context, account, name string, value []byte, version int64) error {
	if account == "" || name == "" {
		return fmt.Errorf("memstore: save notify state: account (%q) and name (%q) are required", account, name)
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	k := key2{account, name}
	cur := s.notifyVals[k]
	if cur.version != version {
		return fmt.Errorf("memstore: save notify state %s/%s: version %d, stored %d: %w", account, name, version, cur.version, store.ErrConflict)
	}
	v := slices.Clone(value)
	if v == nil {
		v = []byte{}
	}
	s.notifyVals[k] = notifyState{value: v, version: version + 1}
	return nil
}
