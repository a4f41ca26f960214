package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/xoroerp/veeqoconnect/store"
)

const accountCols = `name, base_url, api_key, api_key_sealed, settings, mode, mode_changed_at, created_at, updated_at, version`

// scanAccount reads an account row, opening its API key.
func (s *Store) scanAccount(row scanner) (store.Account, error) {
	var a store.Account
	var mode, key string
	var sealed bool
	var settings []byte
	if err := row.Scan(&a.Name, &a.BaseURL, &key, &sealed, &settings, &mode, nt(&a.ModeChangedAt),
		nt(&a.CreatedAt), nt(&a.UpdatedAt), &a.Version); err != nil {
		return store.Account{}, err
	}
	a.Mode = store.Mode(mode)
	if settings != nil {
		a.Settings = settings
	}
	plain, err := s.openKey(key, sealed)
	if err != nil {
		return store.Account{}, fmt.Errorf("account %q: %w", a.Name, err)
	}
	a.APIKey = plain
	return a, nil
}

// sealKey returns the API key as stored and whether it is sealed: sealed
// when the store has a sealer and the key is not empty, as given otherwise.
// The error never carries the key.
func (s *Store) sealKey(plain string) (string, bool, error) {
	if s.sealer == nil || plain == "" {
		return plain, false, nil
	}
	sealed, err := s.sealer.Seal(plain)
	if err != nil {
		return "", false, fmt.Errorf("seal the API key: %w", err)
	}
	return sealed, true, nil
}

// openKey returns the clear API key of a stored one. A sealed key without a
// sealer, or a clear one where the store has a sealer (a secret left in
// clear where the host asked for encryption), is refused with
// store.ErrSealed. The error never carries the key.
func (s *Store) openKey(stored string, sealed bool) (string, error) {
	switch {
	case stored == "":
		return "", nil
	case sealed && s.sealer == nil:
		return "", fmt.Errorf("open the API key: %w: it is sealed but the store has no encryption key", store.ErrSealed)
	case !sealed && s.sealer != nil:
		return "", fmt.Errorf("open the API key: %w: it is stored in clear but the store has an encryption key", store.ErrSealed)
	case !sealed:
		return stored, nil
	}
	plain, err := s.sealer.Open(stored)
	if err != nil {
		return "", fmt.Errorf("open the API key: %w", err)
	}
	return plain, nil
}

func validMode(m store.Mode) bool {
	switch m {
	case store.ModeNone, store.ModeExport, store.ModeFetch:
		return true
	}
	return false
}

// AddAccount creates an account. ErrExists if the name is taken.
func (s *Store) AddAccount(ctx context.Context, a store.Account) (store.Account, error) {
	if err := required("AddAccount", "Name", a.Name); err != nil {
		return store.Account{}, err
	}
	if !validMode(a.Mode) {
		return store.Account{}, fmt.Errorf("pgstore: AddAccount %q: unknown Mode %q", a.Name, a.Mode)
	}
	key, sealed, err := s.sealKey(a.APIKey)
	if err != nil {
		return store.Account{}, fmt.Errorf("pgstore: AddAccount %q: %w", a.Name, err)
	}
	now := s.now()
	var modeAt any
	if a.Mode != store.ModeNone {
		modeAt = now
	}
	row := s.pool.QueryRow(ctx, s.q(`INSERT INTO {s}.accounts (`+accountCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 1)
		ON CONFLICT (name) DO NOTHING
		RETURNING `+accountCols),
		a.Name, a.BaseURL, key, sealed, []byte(a.Settings), string(a.Mode), modeAt, now)
	got, err := s.scanAccount(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Account{}, fmt.Errorf("pgstore: AddAccount %q: %w", a.Name, store.ErrExists)
	}
	if err != nil {
		return store.Account{}, fmt.Errorf("pgstore: AddAccount %q: %w", a.Name, err)
	}
	return got, nil
}

// GetAccount returns an account, its API key opened. ErrNotFound.
func (s *Store) GetAccount(ctx context.Context, name string) (store.Account, error) {
	row := s.pool.QueryRow(ctx, s.q(`SELECT `+accountCols+` FROM {s}.accounts WHERE name = $1`), name)
	a, err := s.scanAccount(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Account{}, fmt.Errorf("pgstore: account %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return store.Account{}, fmt.Errorf("pgstore: GetAccount %q: %w", name, err)
	}
	return a, nil
}

// ListAccounts returns every account, ordered by name.
func (s *Store) ListAccounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.pool.Query(ctx, s.q(`SELECT `+accountCols+` FROM {s}.accounts ORDER BY name`))
	if err != nil {
		return nil, fmt.Errorf("pgstore: ListAccounts: %w", err)
	}
	defer rows.Close()
	out := []store.Account{}
	for rows.Next() {
		a, err := s.scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("pgstore: ListAccounts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: ListAccounts: %w", err)
	}
	return out, nil
}

// UpdateAccount writes BaseURL, APIKey and Settings if a.Version is the
// stored version: ErrConflict otherwise, ErrNotFound if absent. Mode is not
// changed here.
func (s *Store) UpdateAccount(ctx context.Context, a store.Account) (store.Account, error) {
	if err := required("UpdateAccount", "Name", a.Name); err != nil {
		return store.Account{}, err
	}
	key, sealed, err := s.sealKey(a.APIKey)
	if err != nil {
		return store.Account{}, fmt.Errorf("pgstore: UpdateAccount %q: %w", a.Name, err)
	}
	row := s.pool.QueryRow(ctx, s.q(`UPDATE {s}.accounts
		SET base_url = $3, api_key = $4, api_key_sealed = $5, settings = $6, updated_at = $7, version = version + 1
		WHERE name = $1 AND version = $2
		RETURNING `+accountCols),
		a.Name, a.Version, a.BaseURL, key, sealed, []byte(a.Settings), s.now())
	got, err := s.scanAccount(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Account{}, s.missOrConflict(ctx, "UpdateAccount", `SELECT 1 FROM {s}.accounts WHERE name = $1`,
			fmt.Sprintf("account %q version %d", a.Name, a.Version), a.Name)
	}
	if err != nil {
		return store.Account{}, fmt.Errorf("pgstore: UpdateAccount %q: %w", a.Name, err)
	}
	return got, nil
}

// missOrConflict tells why a compare-and-set matched no row: ErrNotFound if
// the row is absent, else ErrConflict.
func (s *Store) missOrConflict(ctx context.Context, op, existsSQL, what string, args ...any) error {
	var one int
	err := s.pool.QueryRow(ctx, s.q(existsSQL), args...).Scan(&one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("pgstore: %s %s: %w", op, what, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("pgstore: %s %s: %w", op, what, err)
	}
	return fmt.Errorf("pgstore: %s %s: %w", op, what, store.ErrConflict)
}

// accountTables are the tables RemoveAccount clears, by their account
// column.
var accountTables = []string{"exports", "shipments", "cursors", "leases", "records", "logs", "runs", "customers", "notify_state"}

// RemoveAccount deletes the account and all of its state in one
// transaction. ErrNotFound if absent.
func (s *Store) RemoveAccount(ctx context.Context, name string) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, s.q(`DELETE FROM {s}.accounts WHERE name = $1`), name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		for _, t := range accountTables {
			if _, err := tx.Exec(ctx, s.q(`DELETE FROM {s}.`+t+` WHERE account = $1`), name); err != nil {
				return fmt.Errorf("delete %s: %w", t, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pgstore: RemoveAccount %q: %w", name, err)
	}
	return nil
}

// SetMode switches the account's mode from `from` to `to` atomically:
// ErrConflict if the stored mode is not `from`, ErrNotFound if the account
// is absent. It stamps ModeChangedAt.
func (s *Store) SetMode(ctx context.Context, account string, from, to store.Mode) (store.Account, error) {
	if !validMode(from) || !validMode(to) {
		return store.Account{}, fmt.Errorf("pgstore: SetMode %q: unknown mode (from %q, to %q)", account, from, to)
	}
	row := s.pool.QueryRow(ctx, s.q(`UPDATE {s}.accounts
		SET mode = $3, mode_changed_at = $4, updated_at = $4, version = version + 1
		WHERE name = $1 AND mode = $2
		RETURNING `+accountCols),
		account, string(from), string(to), s.now())
	got, err := s.scanAccount(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Account{}, s.missOrConflict(ctx, "SetMode", `SELECT 1 FROM {s}.accounts WHERE name = $1`,
			fmt.Sprintf("account %q from %q", account, from), account)
	}
	if err != nil {
		return store.Account{}, fmt.Errorf("pgstore: SetMode %q: %w", account, err)
	}
	return got, nil
}
