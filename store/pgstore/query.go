package pgstore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/xoroerp/veeqoconnect/store"
)

// where builds a conjunction of conditions with positional arguments: each
// "?" in a condition becomes the next $n.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	var b strings.Builder
	i := 0
	for _, r := range cond {
		if r == '?' && i < len(args) {
			w.args = append(w.args, args[i])
			i++
			b.WriteString("$" + strconv.Itoa(len(w.args)))
			continue
		}
		b.WriteRune(r)
	}
	w.conds = append(w.conds, b.String())
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return "true"
	}
	return strings.Join(w.conds, " AND ")
}

// stringsOf converts a slice of string-kinded values for = ANY($n).
func stringsOf[T ~string](in []T) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

// collect scans every row with scan.
func collect[T any](rows pgx.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// containsCI is the SQL of a case-insensitive substring match of ? in col.
func containsCI(col string) string {
	return "strpos(lower(" + col + "), lower(?)) > 0"
}

// decodeCursor reads a paging cursor (store.DecodeCursor) for op.
func decodeCursor(op, c string, v any) error {
	if err := store.DecodeCursor(c, v); err != nil {
		return fmt.Errorf("pgstore: %s: %w", op, err)
	}
	return nil
}
