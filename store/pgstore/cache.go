package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/xoroerp/veeqoconnect/store"
)

// CustomerID returns the cached id for email (compared case-insensitively).
// ErrNotFound.
func (s *Store) CustomerID(ctx context.Context, account, email string) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, s.q(`SELECT customer_id FROM {s}.customers WHERE account = $1 AND email = $2`),
		account, strings.ToLower(email)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("pgstore: customer of %q: %w", email, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("pgstore: CustomerID: %w", err)
	}
	return id, nil
}

// PutCustomerID caches the id for email, replacing any previous one.
func (s *Store) PutCustomerID(ctx context.Context, account, email string, id int64) error {
	if err := required("PutCustomerID", "account", account, "email", email); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, s.q(`INSERT INTO {s}.customers (account, email, customer_id) VALUES ($1, $2, $3)
		ON CONFLICT (account, email) DO UPDATE SET customer_id = excluded.customer_id`),
		account, strings.ToLower(email), id)
	if err != nil {
		return fmt.Errorf("pgstore: PutCustomerID: %w", err)
	}
	return nil
}

// LoadNotifyState returns the value and version, or (nil, 0, nil) when
// absent.
func (s *Store) LoadNotifyState(ctx context.Context, account, name string) ([]byte, int64, error) {
	var value []byte
	var version int64
	err := s.pool.QueryRow(ctx, s.q(`SELECT value, version FROM {s}.notify_state WHERE account = $1 AND name = $2`),
		account, name).Scan(&value, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("pgstore: LoadNotifyState %q/%q: %w", account, name, err)
	}
	return value, version, nil
}

// SaveNotifyState writes the value if version equals the stored version
// (0: absent), ErrConflict otherwise. The stored version becomes version+1.
func (s *Store) SaveNotifyState(ctx context.Context, account, name string, value []byte, version int64) error {
	if err := required("SaveNotifyState", "account", account, "name", name); err != nil {
		return err
	}
	if version < 0 {
		return fmt.Errorf("pgstore: SaveNotifyState %q/%q: version %d is negative", account, name, version)
	}
	var sql string
	if version == 0 {
		sql = `INSERT INTO {s}.notify_state (account, name, value, version) VALUES ($1, $2, $3, 1)
			ON CONFLICT (account, name) DO NOTHING`
	} else {
		sql = `UPDATE {s}.notify_state SET value = $3, version = version + 1
			WHERE account = $1 AND name = $2 AND version = $4`
	}
	args := []any{account, name, value}
	if version != 0 {
		args = append(args, version)
	}
	tag, err := s.pool.Exec(ctx, s.q(sql), args...)
	if err != nil {
		return fmt.Errorf("pgstore: SaveNotifyState %q/%q: %w", account, name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: SaveNotifyState %q/%q version %d: %w", account, name, version, store.ErrConflict)
	}
	return nil
}
