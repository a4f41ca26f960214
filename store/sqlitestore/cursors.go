package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/xoroerp/veeqoconnect/store"
)

const (
	qCursorGet    = `SELECT position, value, version, updated_at FROM cursors WHERE account = ? AND stream = ?`
	qCursorInsert = `INSERT INTO cursors (account, stream, position, value, version, updated_at)
VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (account, stream) DO NOTHING`
	qCursorUpdate = `UPDATE cursors SET position = ?, value = ?, version = version + 1, updated_at = ?
WHERE account = ? AND stream = ? AND version = ?`
)

// GetCursor returns the cursor, or a zero Cursor (Version 0, with Account and
// Stream filled in) when none was written.
func (s *Store) GetCursor(ctx context.Context, account, stream string) (store.Cursor, error) {
	c := store.Cursor{Account: account, Stream: stream}
	err := s.readRow(ctx, func(r *sql.Row) error {
		return r.Scan(timeCol{&c.Position}, &c.Value, &c.Version, timeCol{&c.UpdatedAt})
	}, qCursorGet, account, stream)
	if isNoRows(err) {
		return store.Cursor{Account: account, Stream: stream}, nil
	}
	if err != nil {
		return store.Cursor{}, wrap("GetCursor", err)
	}
	return c, nil
}

// SetCursor writes c if c.Version equals the stored version (0: none stored
// yet); store.ErrConflict otherwise. It returns c with the new version.
func (s *Store) SetCursor(ctx context.Context, c store.Cursor) (store.Cursor, error) {
	const op = "SetCursor"
	switch {
	case c.Account == "":
		return store.Cursor{}, wrap(op, invalid("cursor: Account is empty"))
	case c.Stream == "":
		return store.Cursor{}, wrap(op, invalid("cursor of account %q: Stream is empty", c.Account))
	case c.Version < 0:
		return store.Cursor{}, wrap(op, invalid("cursor %q: Version %d is negative", c.Stream, c.Version))
	}
	if err := checkTime("cursor "+c.Stream+": Position", c.Position); err != nil {
		return store.Cursor{}, wrap(op, err)
	}
	now := s.clock()
	err := s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var (
			res sql.Result
			err error
		)
		if c.Version == 0 {
			res, err = s.txExec(ctx, tx, qCursorInsert, c.Account, c.Stream, ts(c.Position), c.Value, now.UnixNano())
		} else {
			res, err = s.txExec(ctx, tx, qCursorUpdate, ts(c.Position), c.Value, now.UnixNano(), c.Account, c.Stream, c.Version)
		}
		if err != nil {
			return err
		}
		if n, err := affected(res); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("cursor %q of account %q at version %d: %w", c.Stream, c.Account, c.Version, store.ErrConflict)
		}
		return nil
	})
	if err != nil {
		return store.Cursor{}, wrap(op, err)
	}
	c.Version++
	c.UpdatedAt = now
	if !c.Position.IsZero() {
		c.Position = c.Position.UTC()
	}
	return c, nil
}
