package mapping

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Direction is the way a name is translated.
type Direction uint8

// The two directions.
const (
	ToVeeqo Direction = iota + 1 // XoroERP name -> Veeqo name (export)
	ToERP                        // Veeqo name -> XoroERP name (confirmations, fetch)
)

// String returns "ERP -> Veeqo" or "Veeqo -> ERP".
func (d Direction) String() string {
	switch d {
	case ToVeeqo:
		return "ERP -> Veeqo"
	case ToERP:
		return "Veeqo -> ERP"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// Normalize is the form names are compared in: case folded, surrounding
// white space dropped and inner runs of white space collapsed to one space.
// "  UPS   Ground " and "ups ground" are the same name.
func Normalize(s string) string {
	var buf [64]byte
	return string(appendNormal(buf[:0], s))
}

// appendNormal appends the normal form of s to buf. ASCII is handled byte by
// byte without allocating (beyond buf's growth); anything else goes through
// strings.ToLower and strings.Fields.
func appendNormal(buf []byte, s string) []byte {
	start := len(buf)
	pendingSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			buf = buf[:start]
			return append(buf, strings.ToLower(strings.Join(strings.Fields(s), " "))...)
		}
		switch c {
		case ' ', '\t', '\n', '\v', '\f', '\r':
			pendingSpace = len(buf) > start
			continue
		}
		if pendingSpace {
			buf = append(buf, ' ')
			pendingSpace = false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf
}

// Policy says what a table does with a name it has no row for.
type Policy string

// The policies.
const (
	// PolicyError (the default) returns an error matching ErrUnmapped.
	PolicyError Policy = "error"
	// PolicyPassThrough returns the name unchanged, flagged so that the
	// engine records a warning.
	PolicyPassThrough Policy = "pass_through"
)

func (p Policy) normalized() (Policy, bool) {
	switch strings.ToLower(strings.TrimSpace(string(p))) {
	case "", "error", "fail", "reject":
		return PolicyError, true
	case "pass_through", "passthrough", "pass through", "pass-through":
		return PolicyPassThrough, true
	}
	return "", false
}

// NameRow is one row of a name mapping table (carrier names, ship services).
//
// JSON: {"erp_name": "UPS Ground", "veeqo_name": "UPS® Ground", "store": "Retail"}.
// When decoding, the settings page's column names are accepted too:
// "carrier_name" / "ship_service_name" / "name" for erp_name and
// "third_party_carrier_name" / "third_party_ship_service_name" /
// "third_party_name" for veeqo_name.
type NameRow struct {
	ERPName   string `json:"erp_name"`
	VeeqoName string `json:"veeqo_name"`
	// Store scopes a ship-service row to orders of one ERP store; empty
	// applies to every store not covered by a scoped row. Carrier rows
	// have no store.
	Store string `json:"store,omitempty"`
}

// UnmarshalJSON decodes a row, accepting the aliases described on NameRow.
func (r *NameRow) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("mapping row: %w", err)
	}
	var out NameRow
	var err error
	if out.ERPName, err = pick(m, "erp_name", "carrier_name", "ship_service_name", "xoro_name", "name"); err != nil {
		return err
	}
	if out.VeeqoName, err = pick(m, "veeqo_name", "third_party_carrier_name", "third_party_ship_service_name",
		"third_party_name", "veeqo"); err != nil {
		return err
	}
	if out.Store, err = pick(m, "store", "erp_store", "store_name"); err != nil {
		return err
	}
	*r = out
	return nil
}

// pick returns the first non-empty string among keys (compared without
// regard to case).
func pick(m map[string]json.RawMessage, keys ...string) (string, error) {
	for _, k := range keys {
		for mk, raw := range m {
			if !strings.EqualFold(mk, k) {
				continue
			}
			raw = bytes.TrimSpace(raw)
			if bytes.Equal(raw, []byte("null")) {
				continue
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", fmt.Errorf("mapping row: %q must be text", mk)
			}
			if s != "" {
				return s, nil
			}
		}
	}
	return "", nil
}

// TableConfig is a name mapping table as a settings page stores it: either
// a plain array of rows, or {"unmapped": "pass_through", "rows": [...]}. It
// encodes back in the shape it came in (a plain array when Unmapped is
// empty).
type TableConfig struct {
	// Unmapped is the policy for names without a row: "error" (default)
	// or "pass_through".
	Unmapped Policy    `json:"unmapped,omitempty"`
	Rows     []NameRow `json:"rows"`
}

// UnmarshalJSON accepts a plain array of rows or a table object.
func (c *TableConfig) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*c = TableConfig{}
		return nil
	case len(b) > 0 && b[0] == '[':
		var rows []NameRow
		if err := json.Unmarshal(b, &rows); err != nil {
			return err
		}
		*c = TableConfig{Rows: rows}
		return nil
	case len(b) > 0 && b[0] == '{':
		type plain TableConfig
		var p plain
		if err := json.Unmarshal(b, &p); err != nil {
			return err
		}
		*c = TableConfig(p)
		return nil
	}
	return fmt.Errorf("mapping: want an array of rows or a table object, got %.20q", b)
}

// MarshalJSON writes a plain array when Unmapped is empty.
func (c TableConfig) MarshalJSON() ([]byte, error) {
	rows := c.Rows
	if rows == nil {
		rows = []NameRow{}
	}
	if c.Unmapped == "" {
		return json.Marshal(rows)
	}
	type plain TableConfig
	return json.Marshal(plain{Unmapped: c.Unmapped, Rows: rows})
}

// Result is a translated name.
type Result struct {
	// Name is the translated name, or the name as given when PassedThrough.
	Name string
	// Row is the 1-based row that matched; 0 when passed through.
	Row int
	// PassedThrough is set when the table has no row for the name and its
	// policy is pass_through: the engine records Warning().
	PassedThrough bool
	table         string
	dir           Direction
}

// Warning returns the words to record for a passed-through name, or "".
func (r Result) Warning() string {
	if !r.PassedThrough {
		return ""
	}
	return fmt.Sprintf("%s %q is not in the %s mapping (%s); passed through unchanged", r.table, r.Name, r.table, r.dir)
}

// NameTable translates names both ways with normalised matching. It is
// immutable once loaded and safe for concurrent use. Build one with
// NewCarrierTable or NewShipServiceTable.
type NameTable struct {
	table  string
	policy Policy
	cfg    TableConfig
	rows   []tableRow
	// scope (normalised store, "" for unscoped) -> normalised name -> index
	// into rows.
	toVeeqo map[string]map[string]int
	toERP   map[string]map[string]int
}

type tableRow struct {
	NameRow
	num int // 1-based row on the settings page
}

// NewCarrierTable loads the carrier-name mapping. Rows may not carry a store.
// Every problem is reported at once in a *LoadError naming each row.
func NewCarrierTable(cfg TableConfig) (*NameTable, error) {
	return newNameTable("carrier", cfg, false)
}

// NewShipServiceTable loads the ship-service mapping, whose rows may be
// scoped to an ERP store.
func NewShipServiceTable(cfg TableConfig) (*NameTable, error) {
	return newNameTable("ship service", cfg, true)
}

func newNameTable(table string, cfg TableConfig, scoped bool) (*NameTable, error) {
	t := &NameTable{
		table:   table,
		cfg:     cfg,
		toVeeqo: map[string]map[string]int{},
		toERP:   map[string]map[string]int{},
	}
	var problems []RowProblem
	add := func(row int, err error, format string, args ...any) {
		problems = append(problems, RowProblem{Row: row, Msg: fmt.Sprintf(format, args...), Err: err})
	}
	policy, ok := cfg.Unmapped.normalized()
	if !ok {
		add(0, ErrBadRow, "unknown unmapped policy %q (use %q or %q)", cfg.Unmapped, PolicyError, PolicyPassThrough)
	}
	t.policy = policy
	for i, r := range cfg.Rows {
		t.addRow(i+1, r, scoped, add)
	}
	if len(problems) > 0 {
		return nil, &LoadError{Table: table, Problems: problems}
	}
	return t, nil
}

// addRow checks row n and adds it to the table, or reports through add
// why it cannot be added (a blank row is skipped).
func (t *NameTable) addRow(n int, r NameRow, scoped bool, add func(row int, err error, format string, args ...any)) {
	erp, veeqo, store := Normalize(r.ERPName), Normalize(r.VeeqoName), Normalize(r.Store)
	if erp == "" && veeqo == "" && store == "" {
		return // an unused line on the settings page
	}
	bad := false
	if erp == "" {
		add(n, ErrBadRow, "erp_name is empty (veeqo_name %q)", r.VeeqoName)
		bad = true
	}
	if veeqo == "" {
		add(n, ErrBadRow, "veeqo_name is empty (erp_name %q)", r.ERPName)
		bad = true
	}
	if store != "" && !scoped {
		add(n, ErrBadRow, "%s rows cannot be scoped to a store (store %q)", t.table, r.Store)
		bad = true
	}
	if bad {
		return
	}
	scope := ""
	if store != "" {
		scope = fmt.Sprintf(" for store %q", r.Store)
	}
	if idx, dup := t.toVeeqo[store][erp]; dup {
		prev := t.rows[idx]
		if Normalize(prev.VeeqoName) == veeqo {
			add(n, ErrDuplicate, "duplicates row %d (erp_name %q%s)", prev.num, r.ERPName, scope)
		} else {
			add(n, ErrDuplicate, "erp_name %q%s is already mapped by row %d (to %q, here to %q)",
				r.ERPName, scope, prev.num, prev.VeeqoName, r.VeeqoName)
		}
		return
	}
	if idx, dup := t.toERP[store][veeqo]; dup {
		prev := t.rows[idx]
		add(n, ErrConflict, "veeqo_name %q%s is already mapped from %q by row %d; mapping it from %q too "+
			"would make the reverse direction (Veeqo -> ERP) ambiguous", r.VeeqoName, scope, prev.ERPName, prev.num, r.ERPName)
		return
	}
	t.rows = append(t.rows, tableRow{NameRow: r, num: n})
	if t.toVeeqo[store] == nil {
		t.toVeeqo[store] = map[string]int{}
		t.toERP[store] = map[string]int{}
	}
	t.toVeeqo[store][erp] = len(t.rows) - 1
	t.toERP[store][veeqo] = len(t.rows) - 1
}

// Config returns the table as it was loaded, for saving.
func (t *NameTable) Config() TableConfig { return t.cfg }

// Len returns the number of rows in use (blank rows skipped).
func (t *NameTable) Len() int { return len(t.rows) }

// Policy returns the table's policy for unmapped names.
func (t *NameTable) Policy() Policy { return t.policy }

// ToVeeqo translates an ERP name (a carrier or ship service) to its Veeqo
// name. For a ship-service table, store scopes the lookup: a row for that
// store wins over an unscoped row. A name without a row is an
// *UnmappedError, or passed through under the pass_through policy.
func (t *NameTable) ToVeeqo(store, erpName string) (Result, error) {
	if t == nil {
		return t.lookup(nil, ToVeeqo, store, erpName)
	}
	return t.lookup(t.toVeeqo, ToVeeqo, store, erpName)
}

// ToERP translates a Veeqo name back to the ERP name, with the same store
// scoping and policy as ToVeeqo.
func (t *NameTable) ToERP(store, veeqoName string) (Result, error) {
	if t == nil {
		return t.lookup(nil, ToERP, store, veeqoName)
	}
	return t.lookup(t.toERP, ToERP, store, veeqoName)
}

func (t *NameTable) lookup(index map[string]map[string]int, dir Direction, store, name string) (Result, error) {
	if t == nil {
		return Result{}, &UnmappedError{Table: "name", Name: name, Store: store, Direction: dir}
	}
	var sbuf, nbuf [64]byte
	key := appendNormal(nbuf[:0], name)
	if store != "" && len(index) > 1 {
		scope := appendNormal(sbuf[:0], store)
		if len(scope) > 0 {
			if i, ok := index[string(scope)][string(key)]; ok {
				return t.result(i, dir), nil
			}
		}
	}
	if i, ok := index[""][string(key)]; ok {
		return t.result(i, dir), nil
	}
	if t.policy == PolicyPassThrough {
		return Result{Name: name, PassedThrough: true, table: t.table, dir: dir}, nil
	}
	return Result{}, &UnmappedError{Table: t.table, Name: name, Store: store, Direction: dir}
}

func (t *NameTable) result(i int, dir Direction) Result {
	r := t.rows[i]
	name := r.VeeqoName
	if dir == ToERP {
		name = r.ERPName
	}
	return Result{Name: strings.TrimSpace(name), Row: r.num, table: t.table, dir: dir}
}
