package sqlitestore

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

// Times are stored as INTEGER nanoseconds since the Unix epoch, UTC, and the
// zero time as NULL: exact round trips, and integer comparisons for ranges
// and ordering. That covers the years 1678 to 2261; checkTime refuses others.
const maxUnixSeconds = (1<<63 - 1) / int64(time.Second)

// checkTime returns an ErrInvalid naming field if t cannot be stored.
func checkTime(field string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	if u := t.Unix(); u <= -maxUnixSeconds || u >= maxUnixSeconds {
		return invalid("%s %s is out of range (years 1678 to 2261)", field, t.UTC().Format(time.RFC3339))
	}
	return nil
}

// ts encodes t for a nullable time column.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// tsn encodes t for a NOT NULL time column (0 for the zero time).
func tsn(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// timeCol scans a time column (NULL or 0 is the zero time) into *T.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		if x == 0 {
			*c.t = time.Time{}
		} else {
			*c.t = time.Unix(0, x).UTC()
		}
	default:
		return fmt.Errorf("time column holds %T, want INTEGER", v)
	}
	return nil
}

// blobCol scans a nullable BLOB/TEXT column into a byte slice that the
// caller owns (nil for NULL).
type blobCol struct{ b *[]byte }

func (c blobCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.b = nil
	case []byte:
		*c.b = append([]byte{}, x...)
	case string:
		*c.b = []byte(x)
	default:
		return fmt.Errorf("blob column holds %T, want BLOB", v)
	}
	return nil
}

// boolInt is SQLite's boolean.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// fold is the case-insensitive form used by searches (kept in columns so that
// SQLite compares like Go does, beyond ASCII).
func fold(s string) string { return strings.ToLower(s) }

// encodeJSON marshals v, keeping nil as NULL.
func encodeJSON[T any](v []T) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// rawJSON validates a caller's JSON document before it is stored.
func rawJSON(field string, m json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(m)) == 0 {
		return nil, nil // empty is null
	}
	if !json.Valid(m) {
		return nil, invalid("%s is not valid JSON", field)
	}
	return []byte(m), nil
}

// cursor is an opaque paging position: base64url of a small JSON document
// whose kind guards against a cursor of one query being given to another.
type cursor struct {
	Kind string `json:"k"`
	T    int64  `json:"t,omitempty"`
	S    int64  `json:"s,omitempty"`
	P    string `json:"p,omitempty"`
	R    string `json:"r,omitempty"`
}

// decodeCursor reads a paging cursor (store.DecodeCursor) issued for a
// query of this kind.
func decodeCursor(field, kind, s string) (cursor, error) {
	var c cursor
	if err := store.DecodeCursor(s, &c); err != nil || c.Kind != kind {
		return cursor{}, fmt.Errorf("%w (%s): %w", ErrInvalid, field, store.ErrBadCursor)
	}
	return c, nil
}

// where builds a WHERE clause from ANDed conditions.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// in adds "col IN (?, ...)" for a non-empty list.
func in[T ~string](w *where, col string, vals []T) {
	if len(vals) == 0 {
		return
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",")
	w.conds = append(w.conds, col+" IN ("+marks+")")
	for _, v := range vals {
		w.args = append(w.args, string(v))
	}
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// limit resolves a query's Limit: def for 0, at most max, an error when
// negative.
func limit(field string, n, def, max int) (int, error) {
	switch {
	case n < 0:
		return 0, invalid("%s %d is negative", field, n)
	case n == 0:
		return def, nil
	case n > max:
		return max, nil
	}
	return n, nil
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// isNoRows reports whether a one-row query found nothing.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
