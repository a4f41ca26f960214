package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/xoroerp/veeqoconnect/store"
)

const accountCols = `name, base_url, api_key, settings, mode, mode_changed_at, created_at, updated_at, version`

const (
	qAccountInsert = `INSERT INTO accounts (` + accountCols + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (name) DO NOTHING`
	qAccountGet    = `SELECT ` + accountCols + ` FROM accounts WHERE name = ?`
	qAccountList   = `SELECT ` + accountCols + ` FROM accounts ORDER BY name`
	qAccountExists = `SELECT 1 FROM accounts WHERE name = ?`
	qAccountUpdate = `UPDATE accounts
SET base_url = ?, api_key = ?, settings = ?, updated_at = ?, version = version + 1
WHERE name = ? AND version = ?
RETURNING ` + accountCols
	qAccountSetMode = `UPDATE accounts
SET mode = ?, mode_changed_at = ?, updated_at = ?, version = version + 1
WHERE name = ? AND mode = ?
RETURNING ` + accountCols
	qAccountDelete = `DELETE FROM accounts WHERE name = ?`
)

// removeQueries delete an account's rows from every table but accounts.
func removeQueries() []string {
	tables := []string{"exports", "shipments", "cursors", "leases", "records", "logs", "runs", "customers", "notify_state"}
	qs := make([]string, len(tables))
	for i, t := range tables {
		qs[i] = `DELETE FROM ` + t + ` WHERE account = ?`
	}
	return qs
}

func validMode(m store.Mode) bool {
	return m == store.ModeNone || m == store.ModeExport || m == store.ModeFetch
}

func checkAccountName(name string) error {
	if name == "" {
		return invalid("account name is empty")
	}
	return nil
}

// sealKey returns the API key as stored: sealed when the store has a
// sealer, as given otherwise.
func (s *Store) sealKey(key string) (string, error) {
	sealed, err := s.sealer.Seal(key)
	if err != nil {
		return "", fmt.Errorf("sealing the API key: %w", err)
	}
	return sealed, nil
}

// scanAccount reads one accounts row, opening its API key.
func (s *Store) scanAccount(sc scanner) (store.Account, error) {
	var (
		a    store.Account
		key  string
		mode string
	)
	err := sc.Scan(&a.Name, &a.BaseURL, &key, blobCol{(*[]byte)(&a.Settings)}, &mode,
		timeCol{&a.ModeChangedAt}, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt}, &a.Version)
	if err != nil {
		return store.Account{}, err
	}
	a.Mode = store.Mode(mode)
	// store.Sealer's errors never contain the value.
	if a.APIKey, err = s.sealer.Open(key); err != nil {
		return store.Account{}, fmt.Errorf("account %q: API key: %w", a.Name, err)
	}
	return a, nil
}

// AddAccount creates an account. store.ErrExists if the name is taken.
func (s *Store) AddAccount(ctx context.Context, a store.Account) (store.Account, error) {
	const op = "AddAccount"
	if err := checkAccountName(a.Name); err != nil {
		return store.Account{}, wrap(op, err)
	}
	if !validMode(a.Mode) {
		return store.Account{}, wrap(op, invalid("account %q: mode %q is not export, fetch or empty", a.Name, a.Mode))
	}
	if err := checkTime("ModeChangedAt", a.ModeChangedAt); err != nil {
		return store.Account{}, wrap(op, err)
	}
	settings, err := rawJSON("Settings", a.Settings)
	if err != nil {
		return store.Account{}, wrap(op, err)
	}
	key, err := s.sealKey(a.APIKey)
	if err != nil {
		return store.Account{}, wrap(op, err)
	}
	now := s.clock()
	err = s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, qAccountInsert, a.Name, a.BaseURL, key, settings, string(a.Mode),
			ts(a.ModeChangedAt), now.UnixNano(), now.UnixNano())
		if err != nil {
			return err
		}
		if n, err := affected(res); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("account %q: %w", a.Name, store.ErrExists)
		}
		return nil
	})
	if err != nil {
		return store.Account{}, wrap(op, err)
	}
	a.CreatedAt, a.UpdatedAt, a.Version = now, now, 1
	if !a.ModeChangedAt.IsZero() {
		a.ModeChangedAt = a.ModeChangedAt.UTC()
	}
	return a, nil
}

// GetAccount returns an account, its API key opened. store.ErrNotFound.
func (s *Store) GetAccount(ctx context.Context, name string) (store.Account, error) {
	var a store.Account
	err := s.readRow(ctx, func(r *sql.Row) error {
		var err error
		a, err = s.scanAccount(r)
		return err
	}, qAccountGet, name)
	if isNoRows(err) {
		err = fmt.Errorf("account %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return store.Account{}, wrap("GetAccount", err)
	}
	return a, nil
}

// ListAccounts returns every account, ordered by name.
func (s *Store) ListAccounts(ctx context.Context) ([]store.Account, error) {
	var out []store.Account
	err := s.readRows(ctx, func() { out = nil }, func(r *sql.Rows) error {
		a, err := s.scanAccount(r)
		if err != nil {
			return err
		}
		out = append(out, a)
		return nil
	}, qAccountList)
	if err != nil {
		return nil, wrap("ListAccounts", err)
	}
	return out, nil
}

// UpdateAccount writes BaseURL, APIKey and Settings if a.Version is the
// stored version: store.ErrConflict otherwise, store.ErrNotFound if the
// account does not exist. Mode is not changed here.
func (s *Store) UpdateAccount(ctx context.Context, a store.Account) (store.Account, error) {
	const op = "UpdateAccount"
	if err := checkAccountName(a.Name); err != nil {
		return store.Account{}, wrap(op, err)
	}
	settings, err := rawJSON("Settings", a.Settings)
	if err != nil {
		return store.Account{}, wrap(op, err)
	}
	key, err := s.sealKey(a.APIKey)
	if err != nil {
		return store.Account{}, wrap(op, err)
	}
	var out store.Account
	err = s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, err = s.scanAccount(s.txQueryRow(ctx, tx, qAccountUpdate,
			a.BaseURL, key, settings, s.clock().UnixNano(), a.Name, a.Version))
		if isNoRows(err) {
			return s.missingOrConflict(ctx, tx, qAccountExists, fmt.Sprintf("account %q", a.Name), a.Name)
		}
		return err
	})
	if err != nil {
		return store.Account{}, wrap(op, err)
	}
	return out, nil
}

// missingOrConflict tells why a compare-and-set changed no row: the row is
// absent (store.ErrNotFound) or its version moved (store.ErrConflict).
func (s *Store) missingOrConflict(ctx context.Context, tx *sql.Tx, existsQuery, what string, args ...any) error {
	var one int
	err := s.txQueryRow(ctx, tx, existsQuery, args...).Scan(&one)
	switch {
	case isNoRows(err):
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	case err != nil:
		return err
	}
	return fmt.Errorf("%s: %w", what, store.ErrConflict)
}

// RemoveAccount deletes the account and all of its state, in one
// transaction. store.ErrNotFound if absent.
func (s *Store) RemoveAccount(ctx context.Context, name string) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, qAccountDelete, name)
		if err != nil {
			return err
		}
		if n, err := affected(res); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("account %q: %w", name, store.ErrNotFound)
		}
		for _, q := range removeQueries() {
			if _, err := s.txExec(ctx, tx, q, name); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("RemoveAccount", err)
}

// SetMode switches the account's mode from `from` to `to` atomically:
// store.ErrConflict if the stored mode is not `from`, store.ErrNotFound if
// the account does not exist. It stamps ModeChangedAt.
func (s *Store) SetMode(ctx context.Context, account string, from, to store.Mode) (store.Account, error) {
	const op = "SetMode"
	if !validMode(from) {
		return store.Account{}, wrap(op, invalid("from mode %q is not export, fetch or empty", from))
	}
	if !validMode(to) {
		return store.Account{}, wrap(op, invalid("to mode %q is not export, fetch or empty", to))
	}
	var out store.Account
	err := s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := s.clock().UnixNano()
		var err error
		out, err = s.scanAccount(s.txQueryRow(ctx, tx, qAccountSetMode, string(to), now, now, account, string(from)))
		if isNoRows(err) {
			return s.missingOrConflict(ctx, tx, qAccountExists,
				fmt.Sprintf("account %q", account), account)
		}
		return err
	})
	if err != nil {
		return store.Account{}, wrap(op, err)
	}
	return out, nil
}
