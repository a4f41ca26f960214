package mapping

import (
	"errors"
	"fmt"
	"strings"
)

// Errors the package's errors match with errors.Is.
var (
	// ErrUnmapped: a name has no row in its mapping table (and the table's
	// policy is not pass_through). The engine records it against the order.
	ErrUnmapped = errors.New("mapping: unmapped")
	// ErrDuplicate: two rows of a table map the same name (in the same
	// store scope).
	ErrDuplicate = errors.New("mapping: duplicate row")
	// ErrConflict: two rows map different names to the same name, so the
	// reverse direction would be ambiguous.
	ErrConflict = errors.New("mapping: conflicting reverse entry")
	// ErrBadRow: a row is incomplete or malformed, or a table's policy is
	// unknown.
	ErrBadRow = errors.New("mapping: bad row")
	// ErrUnknownChannel: a store row names a channel that Veeqo's channel
	// list does not have.
	ErrUnknownChannel = errors.New("mapping: unknown Veeqo channel")
	// ErrUnknownDeliveryMethod: no Veeqo delivery method has the name.
	ErrUnknownDeliveryMethod = errors.New("mapping: unknown Veeqo delivery method")
	// ErrAmbiguous: a name matches more than one Veeqo record.
	ErrAmbiguous = errors.New("mapping: ambiguous name")
	// ErrItemNotFound: neither a line's identifier nor the default SKU is in
	// Veeqo's catalogue.
	ErrItemNotFound = errors.New("mapping: item not found")
	// ErrBadIdentifier: an item identifier setting is not sku, item_number,
	// upc or custom:<field>.
	ErrBadIdentifier = errors.New("mapping: bad item identifier")
)

// RowProblem is one thing wrong with one row of a table.
type RowProblem struct {
	Row int    // 1-based, as the settings page shows it; 0 for the table itself
	Msg string // what is wrong
	Err error  // the sentinel it matches: ErrDuplicate, ErrConflict, ErrBadRow
}

// Error returns `row 3: ...`.
func (p RowProblem) Error() string {
	if p.Row == 0 {
		return p.Msg
	}
	return fmt.Sprintf("row %d: %s", p.Row, p.Msg)
}

// Unwrap returns the sentinel.
func (p RowProblem) Unwrap() error { return p.Err }

// LoadError lists every problem found while loading one table.
type LoadError struct {
	Table    string // "carrier", "ship service", "store"
	Problems []RowProblem
}

// Error joins the problems: `mapping: carrier table: row 3: ...; row 4: ...`.
func (e *LoadError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Error()
	}
	return fmt.Sprintf("mapping: %s table: %s", e.Table, strings.Join(parts, "; "))
}

// Unwrap returns each problem, so errors.Is(err, ErrDuplicate) works.
func (e *LoadError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// UnmappedError says which name a table lacks. It matches ErrUnmapped.
type UnmappedError struct {
	Table     string // "carrier", "ship service", "store"
	Name      string // the name looked up, as given
	Store     string // the store scope, if any
	Direction Direction
}

// Error names the table, the name and the direction.
func (e *UnmappedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mapping: %s %q", e.Table, e.Name)
	if e.Store != "" {
		fmt.Fprintf(&b, " (store %q)", e.Store)
	}
	fmt.Fprintf(&b, " is not in the %s mapping (%s)", e.Table, e.Direction)
	return b.String()
}

// Is makes errors.Is(err, ErrUnmapped) true.
func (e *UnmappedError) Is(target error) bool { return target == ErrUnmapped }

// LineError is a line that cannot be sent: neither its identifier nor the
// default SKU is in Veeqo's catalogue. It matches ErrItemNotFound.
type LineError struct {
	Line   int    // 1-based position in the order
	Ref    string // the ERP line reference
	Wanted string // the identifier value looked for ("" when the line had none)
	Reason string
}

// Error names the line and why it failed.
func (e *LineError) Error() string {
	return fmt.Sprintf("mapping: line %d%s: %s", e.Line, refSuffix(e.Ref), e.Reason)
}

// Is makes errors.Is(err, ErrItemNotFound) true.
func (e *LineError) Is(target error) bool { return target == ErrItemNotFound }

func refSuffix(ref string) string {
	if ref == "" {
		return ""
	}
	return fmt.Sprintf(" (%s)", ref)
}
