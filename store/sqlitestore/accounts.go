package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/xoroerp/veeqoconnect/store"
)

const accountCols = `name, base_url, api_key, api_key_sealed, settings, mode, mode_changed_at, created_at, updated_at, version`

const (
	qAccountInsert = `INSERT INTO accounts (` + accountCols + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (name) DO NOTHING`
	qAccountGet    = `SELECT ` + accountCols + ` FROM accounts WHERE name = ?`
	qAccountList   = `SELECT ` + accountCols + ` FROM accounts ORDER BY name`
	qAccountExists = `SELECT 1 FROM accounts WHERE name = ?`
	qAccountUpdate = `UPDATE accounts
SET base_url = ?, api_key = ?, api_key_sealed = ?, settings = ?, updated_at = ?, version = version + 1
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

// sealKey returns the API key as stored, and whether it is sealed: sealed
// when the store has a sealer, as given otherwise.
func (s *Store) sealKey(key string) (string, int64, error) {
	if s.sealer == nil || key == "" {
		return key, 0, nil
	}
	sealed, err := s.sealer.Seal(key)
	if err != nil {
		return "", 0, fmt.Errorf("sealing the API key: %w", err)
	}
	return sealed, 1, nil
}

// openKey returns the clear API key of a stored one. The sealed flag, not
// the value's look, decides: a clear key may well start with
// store.SealedPrefix.
func (s *Store) openKey(account, key string, sealed int64) (string, error) {
	switch {
	case sealed == 0:
		return key, nil
	case s.sealer == nil:
		return "", fmt.Errorf("account %q: %w: the API key is sealed and the store was opened without WithSealer",
			account, store.ErrSealed)
	}
	// store.Sealer's errors never contain the value.
	clear, err := s.sealer.Open(key)
	if err != nil {
		return "", fmt.Errorf("account %q: API key: %w", account, err)
	}
	return clear, nil
}

// scanAccount reads one accounts row, opening its API key.
func (s *Store) scanAccount(sc scanner) (store.Account, error) {
	var (
		a      store.Account
		key    string
		sealed int64
		mode   string
	)
	err := sc.Scan(&a.Name, &a.BaseURL, &key, &sealed, blobCol{(*[]byte)(&a.Settings)}, &mode,
		timeCol{&a.ModeChangedAt}, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt}, &a.Version)
	if err != nil {
		return store.Account{}, err
	}
	a.Mode = store.Mode(mode)
	if a.APIKey, err = s.openKey(a.Name, key, sealed); err != nil {
		return store.Account{}, err
	}
	return a, nil
}

// sealClearKeys seals the API keys a store without a sealer left in clear,
// when the file is opened with one. The accounts' versions do not change:
// their content does not.
func (s *Store) sealClearKeys(ctx context.Context) error {
	if s.sealer == nil {
		return nil
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT name, api_key FROM accounts WHERE api_key_sealed = 0 AND api_key <> ''`)
		if err != nil {
			return err
		}
		clear := map[string]string{}
		for rows.Next() {
			var name, key string
			if err := rows.Scan(&name, &key); err != nil {
				rows.Close()
				return err
			}
			clear[name] = key
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for name, key := range clear {
			sealed, _, err := s.sealKey(key)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET api_key = ?, api_key_sealed = 1 WHERE name = ?`, sealed, name); err != nil {
				return err
			}
		}
		if len(clear) > 0 {
			s.log.InfoContext(ctx, "sqlitestore: sealed API keys stored in clear", "accounts", len(clear))
		}
		return nil
	})
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
	key, sealed, err := s.sealKey(a.APIKey)
	if err != nil {
		return store.Account{}, wrap(op, err)
	}
	now := s.clock()
	err = s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, qAccountInsert, a.Name, a.BaseURL, key, sealed, settings, string(a.Mode),
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
	a.Settings = slices.Clone(a.Settings) // the caller keeps its buffer
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
	key, sealed, err := s.sealKey(a.APIKey)
	if err != nil {
		return store.Account{}, wrap(op, err)
	}
	var out store.Account
	err = s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, err = s.scanAccount(s.txQueryRow(ctx, tx, qAccountUpdate,
			a.BaseURL, key, sealed, settings, s.clock().UnixNano(), a.Name, a.Version))
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
