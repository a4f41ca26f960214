package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/xoroerp/veeqoconnect/store"
)

const cursorCols = `account, stream, position, value, version, updated_at`

func scanCursor(row scanner) (store.Cursor, error) {
	var c store.Cursor
	err := row.Scan(&c.Account, &c.Stream, nt(&c.Position), &c.Value, &c.Version, nt(&c.UpdatedAt))
	return c, err
}

// GetCursor returns the cursor, or a zero Cursor (Version 0, with Account
// and Stream filled in) when none was written.
func (s *Store) GetCursor(ctx context.Context, account, stream string) (store.Cursor, error) {
	c, err := scanCursor(s.pool.QueryRow(ctx, s.q(`SELECT `+cursorCols+` FROM {s}.cursors
		WHERE account = $1 AND stream = $2`), account, stream))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Cursor{Account: account, Stream: stream}, nil
	}
	if err != nil {
		return store.Cursor{}, fmt.Errorf("pgstore: GetCursor %q/%q: %w", account, stream, err)
	}
	return c, nil
}

// SetCursor writes c if c.Version equals the stored version (0: none stored
// yet); ErrConflict otherwise. It returns c with the new version.
func (s *Store) SetCursor(ctx context.Context, c store.Cursor) (store.Cursor, error) {
	if err := required("SetCursor", "Account", c.Account, "Stream", c.Stream); err != nil {
		return store.Cursor{}, err
	}
	if c.Version < 0 {
		return store.Cursor{}, fmt.Errorf("pgstore: SetCursor %q/%q: Version %d is negative", c.Account, c.Stream, c.Version)
	}
	var row pgx.Row
	if c.Version == 0 {
		row = s.pool.QueryRow(ctx, s.q(`INSERT INTO {s}.cursors (`+cursorCols+`) VALUES ($1, $2, $3, $4, 1, $5)
			ON CONFLICT (account, stream) DO NOTHING
			RETURNING `+cursorCols), c.Account, c.Stream, tsArg(c.Position), c.Value, s.now())
	} else {
		row = s.pool.QueryRow(ctx, s.q(`UPDATE {s}.cursors SET position = $4, value = $5, version = version + 1, updated_at = $6
			WHERE account = $1 AND stream = $2 AND version = $3
			RETURNING `+cursorCols), c.Account, c.Stream, c.Version, tsArg(c.Position), c.Value, s.now())
	}
	got, err := scanCursor(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Cursor{}, fmt.Errorf("pgstore: SetCursor %q/%q version %d: %w", c.Account, c.Stream, c.Version, store.ErrConflict)
	}
	if err != nil {
		return store.Cursor{}, fmt.Errorf("pgstore: SetCursor %q/%q: %w", c.Account, c.Stream, err)
	}
	return got, nil
}
