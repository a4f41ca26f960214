package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/xoroerp/veeqoconnect/store"
)

const (
	qCustomerGet = `SELECT customer_id FROM customers WHERE account = ? AND email = ?`
	qCustomerPut = `INSERT INTO customers (account, email, customer_id, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (account, email) DO UPDATE SET customer_id = excluded.customer_id, updated_at = excluded.updated_at`

	qNotifyGet    = `SELECT value, version FROM notify_state WHERE account = ? AND name = ?`
	qNotifyInsert = `INSERT INTO notify_state (account, name, value, version, updated_at) VALUES (?, ?, ?, 1, ?)
ON CONFLICT (account, name) DO NOTHING`
	qNotifyUpdate = `UPDATE notify_state SET value = ?, version = version + 1, updated_at = ?
WHERE account = ? AND name = ? AND version = ?`
)

// CustomerID returns the cached Veeqo customer id for email (compared
// case-insensitively). store.ErrNotFound.
func (s *Store) CustomerID(ctx context.Context, account, email string) (int64, error) {
	var id int64
	err := s.readRow(ctx, func(r *sql.Row) error { return r.Scan(&id) }, qCustomerGet, account, fold(email))
	if isNoRows(err) {
		// The address is personal data: it is not repeated in the error.
		err = fmt.Errorf("customer of account %q: %w", account, store.ErrNotFound)
	}
	if err != nil {
		return 0, wrap("CustomerID", err)
	}
	return id, nil
}

// PutCustomerID caches the id for email, replacing any previous one.
func (s *Store) PutCustomerID(ctx context.Context, account, email string, id int64) error {
	const op = "PutCustomerID"
	switch {
	case account == "":
		return wrap(op, invalid("account is empty"))
	case email == "":
		return wrap(op, invalid("email is empty"))
	case id <= 0:
		return wrap(op, invalid("customer id %d is not positive", id))
	}
	err := s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, qCustomerPut, account, fold(email), id, s.clock().UnixNano())
		return err
	})
	return wrap(op, err)
}

// LoadNotifyState returns the value and version, or (nil, 0, nil) when
// absent.
func (s *Store) LoadNotifyState(ctx context.Context, account, name string) ([]byte, int64, error) {
	var (
		value   []byte
		version int64
	)
	err := s.readRow(ctx, func(r *sql.Row) error { return r.Scan(blobCol{&value}, &version) }, qNotifyGet, account, name)
	if isNoRows(err) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, wrap("LoadNotifyState", err)
	}
	if value == nil {
		value = []byte{}
	}
	return value, version, nil
}

// SaveNotifyState writes the value if version equals the stored version (0:
// absent), store.ErrConflict otherwise.
func (s *Store) SaveNotifyState(ctx context.Context, account, name string, value []byte, version int64) error {
	const op = "SaveNotifyState"
	switch {
	case account == "":
		return wrap(op, invalid("account is empty"))
	case name == "":
		return wrap(op, invalid("name is empty"))
	case version < 0:
		return wrap(op, invalid("version %d is negative", version))
	}
	if value == nil {
		value = []byte{}
	}
	err := s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := s.clock().UnixNano()
		var (
			res sql.Result
			err error
		)
		if version == 0 {
			res, err = s.txExec(ctx, tx, qNotifyInsert, account, name, value, now)
		} else {
			res, err = s.txExec(ctx, tx, qNotifyUpdate, value, now, account, name, version)
		}
		if err != nil {
			return err
		}
		if n, err := affected(res); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("notify state %q of account %q at version %d: %w", name, account, version, store.ErrConflict)
		}
		return nil
	})
	return wrap(op, err)
}
