package filter

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Kind is the type of a field, which decides how its values compare and which
// operators apply to it.
type Kind uint8

// The field kinds.
const (
	KindText   Kind = iota + 1 // one string, compared as text
	KindTexts                  // several strings (tags); a row matches if any value matches
	KindNumber                 // a decimal number
	KindDate                   // an instant; the zero time is empty
	KindBool                   // yes / no
)

// String names the kind in words, as problems and FieldInfo report it.
func (k Kind) String() string {
	switch k {
	case KindText:
		return "text"
	case KindTexts:
		return "text list"
	case KindNumber:
		return "number"
	case KindDate:
		return "date"
	case KindBool:
		return "yes/no"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// allows reports whether op applies to a field of kind k. Optional only
// matters for numbers: a plain number field is never empty.
func (k Kind) allows(op Operator, optional bool) bool {
	switch k {
	case KindText, KindTexts:
		switch op {
		case GreaterThan, LessThan, GreaterOrEqual, LessOrEqual:
			// Text has no useful order ("9" > "10"); a field that
			// should compare by size belongs in the schema as a number
			// or a date.
			return false
		}
		return op.Valid()
	case KindNumber:
		switch op {
		case Equals, NotEquals, In, NotIn, GreaterThan, LessThan, GreaterOrEqual, LessOrEqual:
			return true
		case IsEmpty, IsNotEmpty:
			return optional
		}
	case KindDate:
		switch op {
		case Equals, NotEquals, In, NotIn, GreaterThan, LessThan, GreaterOrEqual, LessOrEqual, IsEmpty, IsNotEmpty:
			return true
		}
	case KindBool:
		return op == Equals || op == NotEquals
	}
	return false
}

// operators lists the operators that apply to a field of kind k.
func (k Kind) operators(optional bool) []Operator {
	var ops []Operator
	for _, op := range Operators() {
		if k.allows(op, optional) {
			ops = append(ops, op)
		}
	}
	return ops
}

// FieldInfo describes one field of a schema, for a settings page's dropdowns.
type FieldInfo struct {
	Name      string     // the name rows use
	Kind      Kind       // how values compare
	Optional  bool       // a number field that may be empty
	Operators []Operator // the operators that apply to it
}

// Schema is the set of fields a filter may name, each with an accessor that
// reads it from a record of type T. Build it once with NewSchema and its
// chained methods, then share it: a built Schema is read-only and safe for
// concurrent use by Compile. Field names are matched without regard to case,
// spaces, underscores or hyphens ("Order Source" names "order_source").
//
// The builder methods never fail; a mistake (an empty or duplicate name, a nil
// accessor) is kept and reported by Compile, wrapped in ErrSchema.
type Schema[T any] struct {
	fields []*field[T]
	byKey  map[string]*field[T]
	errs   []error
}

type field[T any] struct {
	name     string
	kind     Kind
	optional bool
	text     func(T) string
	texts    func(T) []string
	num      func(T) (decimal.Decimal, bool)
	date     func(T) time.Time
	boolean  func(T) bool
}

// NewSchema returns an empty schema for records of type T. For a large
// struct, use a pointer type so that Match does not copy the record.
func NewSchema[T any]() *Schema[T] {
	return &Schema[T]{byKey: make(map[string]*field[T])}
}

func (s *Schema[T]) add(f *field[T], nilAccessor bool) *Schema[T] {
	if s.byKey == nil {
		s.byKey = make(map[string]*field[T])
	}
	key := normalizeKey(f.name)
	switch {
	case strings.TrimSpace(f.name) == "":
		s.errs = append(s.errs, fmt.Errorf("%w: a %s field has no name", ErrSchema, f.kind))
		return s
	case nilAccessor:
		s.errs = append(s.errs, fmt.Errorf("%w: field %q has a nil accessor", ErrSchema, f.name))
		return s
	case s.byKey[key] != nil:
		s.errs = append(s.errs, fmt.Errorf("%w: field %q is declared twice (as %q)", ErrSchema, f.name, s.byKey[key].name))
		return s
	}
	s.byKey[key] = f
	s.fields = append(s.fields, f)
	return s
}

// Text declares a single-valued text field.
func (s *Schema[T]) Text(name string, get func(T) string) *Schema[T] {
	return s.add(&field[T]{name: name, kind: KindText, text: get}, get == nil)
}

// Texts declares a multi-valued text field, such as tags. A row matches if
// any value matches; a negative operator (Not Equals, Does Not Contain,
// Not In) matches when no value matches its positive form; Is Empty matches
// when no value is non-blank.
func (s *Schema[T]) Texts(name string, get func(T) []string) *Schema[T] {
	return s.add(&field[T]{name: name, kind: KindTexts, texts: get}, get == nil)
}

// Number declares a decimal field that always has a value (Is Empty does
// not apply to it).
func (s *Schema[T]) Number(name string, get func(T) decimal.Decimal) *Schema[T] {
	f := &field[T]{name: name, kind: KindNumber}
	if get != nil {
		f.num = func(v T) (decimal.Decimal, bool) { return get(v), true }
	}
	return s.add(f, get == nil)
}

// OptionalNumber declares a decimal field that may be absent: get returns
// false when the record has no value. An absent value is empty, fails every
// comparison and satisfies Not Equals and Not In.
func (s *Schema[T]) OptionalNumber(name string, get func(T) (decimal.Decimal, bool)) *Schema[T] {
	return s.add(&field[T]{name: name, kind: KindNumber, optional: true, num: get}, get == nil)
}

// Date declares a date-time field. The zero time is empty: it fails every
// comparison and satisfies Not Equals and Not In.
func (s *Schema[T]) Date(name string, get func(T) time.Time) *Schema[T] {
	return s.add(&field[T]{name: name, kind: KindDate, date: get}, get == nil)
}

// Bool declares a yes/no field (Equals and Not Equals only; values true,
// false, yes, no, y, n, 1, 0, on, off).
func (s *Schema[T]) Bool(name string, get func(T) bool) *Schema[T] {
	return s.add(&field[T]{name: name, kind: KindBool, boolean: get}, get == nil)
}

// Fields lists the schema's fields in declaration order.
func (s *Schema[T]) Fields() []FieldInfo {
	if s == nil {
		return nil
	}
	out := make([]FieldInfo, len(s.fields))
	for i, f := range s.fields {
		out[i] = FieldInfo{Name: f.name, Kind: f.kind, Optional: f.optional, Operators: f.kind.operators(f.optional)}
	}
	return out
}

// lookup finds a field by its name as a row writes it.
func (s *Schema[T]) lookup(name string) *field[T] { return s.byKey[normalizeKey(name)] }

// knownNames lists the field names, sorted, for an unknown-field problem.
func (s *Schema[T]) knownNames() string {
	names := make([]string, len(s.fields))
	for i, f := range s.fields {
		names[i] = f.name
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// suggest returns the known field closest to name if it is a likely typo.
func (s *Schema[T]) suggest(name string) string {
	key := normalizeKey(name)
	if len(key) > 64 {
		return ""
	}
	best, bestDist := "", 3
	for _, f := range s.fields {
		fk := normalizeKey(f.name)
		if len(fk) > 64 {
			continue
		}
		if d := editDistance(key, fk); d < bestDist {
			best, bestDist = f.name, d
		}
	}
	return best
}

func (s *Schema[T]) err() error {
	if s == nil {
		return fmt.Errorf("%w: schema is nil", ErrSchema)
	}
	return errors.Join(s.errs...)
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
