package memstore

import (
	"context"
	"fmt"

	"github.com/xoroerp/veeqoconnect/store"
)

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
