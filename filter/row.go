package filter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Row is one filter row as a settings page stores it: a field name, an
// operator and a value, all text. Compile checks it against a Schema.
//
// JSON: {"field": "source", "operator": "Equals", "value": "Amazon"}. When
// decoding, "filter_name" or "name" are accepted for "field" and "op" for
// "operator"; a number or boolean value is kept as its JSON text, and an
// array of values is joined with ", " (for In and Not In).
type Row struct {
	Field    string `json:"field"`
	Operator string `json:"operator"`
	Value    string `json:"value"`
}

// blank reports whether the row is entirely empty, as an unused line on a
// settings page is. Compile skips blank rows.
func (r Row) blank() bool {
	return strings.TrimSpace(r.Field) == "" && strings.TrimSpace(r.Operator) == "" && strings.TrimSpace(r.Value) == ""
}

// UnmarshalJSON decodes a row, accepting the aliases described on Row.
func (r *Row) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("filter row: want an object with field, operator and value, got %.20q", t)
	}
	var aux struct {
		Field      *string         `json:"field"`
		FilterName *string         `json:"filter_name"`
		Name       *string         `json:"name"`
		Operator   *string         `json:"operator"`
		Op         *string         `json:"op"`
		Value      json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return fmt.Errorf("filter row: %w", err)
	}
	var out Row
	for _, p := range []*string{aux.Name, aux.FilterName, aux.Field} {
		if p != nil && *p != "" {
			out.Field = *p
		}
	}
	for _, p := range []*string{aux.Op, aux.Operator} {
		if p != nil && *p != "" {
			out.Operator = *p
		}
	}
	v, err := decodeValue(aux.Value)
	if err != nil {
		return fmt.Errorf("filter row %q: value: %w", out.Field, err)
	}
	out.Value = v
	*r = out
	return nil
}

// decodeValue turns a JSON value into the row's text value.
func decodeValue(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return "", err
		}
		parts := make([]string, 0, len(items))
		for i, it := range items {
			it = bytes.TrimSpace(it)
			if len(it) > 0 && (it[0] == '[' || it[0] == '{') {
				return "", fmt.Errorf("item %d is not a single value", i+1)
			}
			s, err := decodeValue(it)
			if err != nil {
				return "", fmt.Errorf("item %d: %w", i+1, err)
			}
			if strings.Contains(s, ",") {
				return "", fmt.Errorf("item %d (%q) contains a comma, which would split it", i+1, s)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ", "), nil
	case '{':
		return "", fmt.Errorf("want text, a number or a list, not an object")
	}
	// A number or a boolean: keep its JSON text.
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	return string(raw), nil
}

// Match values of a Group.
const (
	MatchAll = "all" // every row and subgroup must match (the default)
	MatchAny = "any" // at least one row or subgroup must match
)

// Group is a set of rows and nested groups combined with "all" (the default,
// also written "and") or "any" ("or"). An empty group matches everything.
//
// JSON: a settings page stores either a plain array of rows, which all must
// match, or an object {"match": "any", "rows": [...], "groups": [...]}. Both
// decode into a Group; a Group with no Match and no subgroups encodes back
// as a plain array, so either shape round-trips unchanged.
type Group struct {
	Match  string  `json:"match,omitempty"`
	Rows   []Row   `json:"rows,omitempty"`
	Groups []Group `json:"groups,omitempty"`
}

// Rows returns a Group in which every one of rows must match.
func Rows(rows ...Row) Group { return Group{Rows: rows} }

// Any returns a Group in which at least one of rows must match.
func Any(rows ...Row) Group { return Group{Match: MatchAny, Rows: rows} }

// UnmarshalJSON accepts a plain array of rows or a group object.
func (g *Group) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return fmt.Errorf("filter: empty JSON")
	case bytes.Equal(b, []byte("null")):
		*g = Group{}
		return nil
	case b[0] == '[':
		rows, err := decodeRows(b)
		if err != nil {
			return err
		}
		*g = Group{Rows: rows}
		return nil
	case b[0] == '{':
		var p struct {
			Match  string          `json:"match"`
			Rows   json.RawMessage `json:"rows"`
			Groups []Group         `json:"groups"`
		}
		if err := json.Unmarshal(b, &p); err != nil {
			return err
		}
		rows, err := decodeRows(p.Rows)
		if err != nil {
			return err
		}
		*g = Group{Match: p.Match, Rows: rows, Groups: p.Groups}
		return nil
	}
	return fmt.Errorf("filter: want an array of rows or a group object, got %.20q", b)
}

// decodeRows decodes an array of rows, naming the 1-based row that fails.
func decodeRows(b []byte) ([]Row, error) {
	if t := bytes.TrimSpace(b); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil, nil
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return nil, err
	}
	if raws == nil {
		return nil, nil
	}
	rows := make([]Row, len(raws))
	for i, r := range raws {
		if err := json.Unmarshal(r, &rows[i]); err != nil {
			return nil, fmt.Errorf("row %d: %w", i+1, err)
		}
	}
	return rows, nil
}

// MarshalJSON writes a plain array for a Group with no Match and no
// subgroups, and an object otherwise.
func (g Group) MarshalJSON() ([]byte, error) {
	if g.Match == "" && len(g.Groups) == 0 {
		rows := g.Rows
		if rows == nil {
			rows = []Row{}
		}
		return json.Marshal(rows)
	}
	type plain Group
	return json.Marshal(plain(g))
}
