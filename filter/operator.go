package filter

import (
	"fmt"
	"strings"
)

// Operator is a filter row's comparison. The zero value is not a valid
// operator. Parse a settings page's text with ParseOperator.
type Operator uint8

// The operators, by the names a settings page shows. Symbols and a few common
// spellings are accepted too; see ParseOperator.
const (
	Equals         Operator = iota + 1 // =, ==
	NotEquals                          // !=, <>
	Contains                           // text contains the value
	NotContains                        // "Does Not Contain"
	StartsWith                         // text starts with the value
	EndsWith                           // text ends with the value
	In                                 // equals one of a comma-separated list
	NotIn                              // equals none of a comma-separated list
	GreaterThan                        // >
	LessThan                           // <
	GreaterOrEqual                     // >=
	LessOrEqual                        // <=
	IsEmpty                            // no value (the row's value is ignored)
	IsNotEmpty                         // some value (the row's value is ignored)
	Matches                            // wildcards: * any run of characters, ? one character
	numOperators
)

// Operators returns every operator in the order a settings page lists them.
func Operators() []Operator {
	ops := make([]Operator, 0, numOperators-1)
	for op := Equals; op < numOperators; op++ {
		ops = append(ops, op)
	}
	return ops
}

// String returns the operator's name as a settings page shows it, e.g.
// "Does Not Contain".
func (op Operator) String() string {
	switch op {
	case Equals:
		return "Equals"
	case NotEquals:
		return "Not Equals"
	case Contains:
		return "Contains"
	case NotContains:
		return "Does Not Contain"
	case StartsWith:
		return "Starts With"
	case EndsWith:
		return "Ends With"
	case In:
		return "In"
	case NotIn:
		return "Not In"
	case GreaterThan:
		return "Greater Than"
	case LessThan:
		return "Less Than"
	case GreaterOrEqual:
		return "Greater Or Equal"
	case LessOrEqual:
		return "Less Or Equal"
	case IsEmpty:
		return "Is Empty"
	case IsNotEmpty:
		return "Is Not Empty"
	case Matches:
		return "Matches"
	}
	return fmt.Sprintf("Operator(%d)", uint8(op))
}

// Valid reports whether op is one of the defined operators.
func (op Operator) Valid() bool { return op >= Equals && op < numOperators }

// Negative reports whether op is a negation (Not Equals, Does Not Contain,
// Not In, Is Not Empty). On a multi-valued field a negative operator holds
// when no value satisfies its positive form.
func (op Operator) Negative() bool {
	switch op {
	case NotEquals, NotContains, NotIn, IsNotEmpty:
		return true
	}
	return false
}

// positive maps a negative operator to the operator it negates.
func (op Operator) positive() Operator {
	switch op {
	case NotEquals:
		return Equals
	case NotContains:
		return Contains
	case NotIn:
		return In
	case IsNotEmpty:
		return IsEmpty
	}
	return op
}

// takesValue reports whether the operator compares against the row's value.
func (op Operator) takesValue() bool { return op != IsEmpty && op != IsNotEmpty }

// ParseOperator reads an operator as a settings page stores it: its name
// ("Does Not Contain"), a symbol ("!=", "<>", ">="), or a common spelling
// ("not_equals", "gte", "begins with", "is one of", "after"). Case, spaces,
// underscores and hyphens do not matter.
func ParseOperator(s string) (Operator, error) {
	switch normalizeKey(s) {
	case "equals", "equal", "eq", "is", "=", "==":
		return Equals, nil
	case "notequals", "notequal", "doesnotequal", "ne", "neq", "isnot", "!=", "<>":
		return NotEquals, nil
	case "contains", "contain", "includes":
		return Contains, nil
	case "doesnotcontain", "notcontains", "notcontain", "excludes":
		return NotContains, nil
	case "startswith", "startwith", "beginswith", "beginwith":
		return StartsWith, nil
	case "endswith", "endwith":
		return EndsWith, nil
	case "in", "isin", "oneof", "isoneof", "anyof":
		return In, nil
	case "notin", "isnotin", "notoneof", "isnotoneof", "noneof":
		return NotIn, nil
	case "greaterthan", "gt", ">", "after", "isafter", "morethan":
		return GreaterThan, nil
	case "lessthan", "lt", "<", "before", "isbefore":
		return LessThan, nil
	case "greaterorequal", "greaterthanorequal", "greaterthanorequalto", "greaterorequalto", "ge", "gte", ">=", "=>",
		"onorafter", "atleast":
		return GreaterOrEqual, nil
	case "lessorequal", "lessthanorequal", "lessthanorequalto", "lessorequalto", "le", "lte", "<=", "=<",
		"onorbefore", "atmost":
		return LessOrEqual, nil
	case "isempty", "empty", "isblank", "blank":
		return IsEmpty, nil
	case "isnotempty", "notempty", "isnotblank", "notblank":
		return IsNotEmpty, nil
	case "matches", "match", "like", "wildcard":
		return Matches, nil
	}
	return 0, fmt.Errorf("%w %q (known: %s)", ErrUnknownOperator, s, operatorNames())
}

func operatorNames() string {
	ops := Operators()
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = op.String()
	}
	return strings.Join(names, ", ")
}

// normalizeKey lowercases s and drops spaces, underscores and hyphens, so
// that "Not_Equals", "not equals" and "NotEquals" compare equal.
func normalizeKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		switch r {
		case ' ', '\t', '\n', '\r', '_', '-':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
