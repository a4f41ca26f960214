package filter

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Errors a CompileError's problems match with errors.Is.
var (
	// ErrUnknownField: a row names a field the schema does not have, or no
	// field at all.
	ErrUnknownField = errors.New("unknown field")
	// ErrUnknownOperator: a row's operator is not one ParseOperator knows,
	// or is missing.
	ErrUnknownOperator = errors.New("unknown operator")
	// ErrOperatorMismatch: the operator does not apply to the field's kind
	// (Contains on a number, Greater Than on text, Is Empty on a number
	// that is never empty).
	ErrOperatorMismatch = errors.New("operator does not apply to field")
	// ErrBadValue: the row's value does not fit the field's kind, or is
	// missing where the operator needs one.
	ErrBadValue = errors.New("bad value")
	// ErrBadGroup: a group's match is neither "all" nor "any", or groups
	// are nested too deeply.
	ErrBadGroup = errors.New("bad group")
	// ErrSchema: the schema or an option is unusable. This is a programming
	// error in the caller, not a problem with the rows.
	ErrSchema = errors.New("bad filter schema")
)

// maxDepth bounds group nesting.
const maxDepth = 16

// Problem is one thing wrong with a filter, located by its row.
type Problem struct {
	// Path locates the problem: "row 2", "group 1, row 3", "group 1.2" (a
	// group's own problem) or "filter" (the top-level group).
	Path string
	// Row is the 1-based row within its group, or 0 for a group's problem.
	Row int
	// Row as written.
	Field, Operator, Value string
	// Msg says what is wrong, e.g. `unknown field "sorce" (known: ...)`.
	Msg string
	// Err is the sentinel the problem matches (ErrUnknownField, ...).
	Err error
}

// Error returns the path and the message: `row 2: unknown field "sorce" ...`.
func (p Problem) Error() string { return p.Path + ": " + p.Msg }

// Unwrap returns the sentinel, so errors.Is(p, ErrBadValue) works.
func (p Problem) Unwrap() error { return p.Err }

// CompileError lists every problem Compile found, in row order.
type CompileError struct {
	Problems []Problem
}

// Error joins the problems: "filter: row 2: ...; row 3: ...".
func (e *CompileError) Error() string {
	var b strings.Builder
	b.WriteString("filter: ")
	if len(e.Problems) > 1 {
		fmt.Fprintf(&b, "%d problems: ", len(e.Problems))
	}
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns each problem, so errors.Is(err, ErrUnknownField) and
// errors.As(err, &problem) work on the whole error.
func (e *CompileError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// Option configures Compile.
type Option func(*config)

type config struct {
	caseSensitive bool
	clock         func() time.Time
	loc           *time.Location
	errs          []string
}

// CaseSensitive makes text comparisons case-sensitive. By default they
// ignore case (Unicode simple folding).
func CaseSensitive() Option { return func(c *config) { c.caseSensitive = true } }

// WithClock sets the clock that relative dates ("today", "now-2h") are
// evaluated against at each Match. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now == nil {
			c.errs = append(c.errs, "WithClock(nil)")
			return
		}
		c.clock = now
	}
}

// WithLocation sets the time zone in which whole-day dates (YYYY-MM-DD,
// today) and zone-less date-times are read. The default is UTC.
func WithLocation(loc *time.Location) Option {
	return func(c *config) {
		if loc == nil {
			c.errs = append(c.errs, "WithLocation(nil)")
			return
		}
		c.loc = loc
	}
}

// Filter is a compiled, validated filter over records of type T. It is
// immutable and safe for concurrent use.
type Filter[T any] struct {
	root     cgroup[T]
	clock    func() time.Time
	loc      *time.Location
	relative bool
	rows     int
}

type cgroup[T any] struct {
	path   string // "" for the top level, "group 1", "group 1.2"
	any    bool
	rows   []crow[T]
	groups []cgroup[T]
}

type crow[T any] struct {
	path string // "row 2", "group 1, row 2"
	num  int
	raw  Row
	f    *field[T]
	op   Operator
	fold bool
	strs []string          // text values (In: the list)
	nums []decimal.Decimal // number values
	dats []dateValue       // date values
	b    bool              // bool value
}

// CompileJSON decodes a filter as a settings page stores it (a plain array
// of rows or a group object) and compiles it.
func CompileJSON[T any](s *Schema[T], data []byte, opts ...Option) (*Filter[T], error) {
	var g Group
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, fmt.Errorf("filter: decode: %w", err)
	}
	return Compile(s, g, opts...)
}

// Compile validates every row of g against the schema and returns a Filter,
// or a *CompileError listing every problem found, each naming its row. A
// filter with no rows (after skipping entirely blank rows) passes every
// record.
func Compile[T any](s *Schema[T], g Group, opts ...Option) (*Filter[T], error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	cfg := config{clock: time.Now, loc: time.UTC}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if len(cfg.errs) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrSchema, strings.Join(cfg.errs, ", "))
	}
	c := compiler[T]{s: s, cfg: &cfg}
	f := &Filter[T]{clock: cfg.clock, loc: cfg.loc}
	f.root = c.group(g, "", 0)
	if len(c.problems) > 0 {
		return nil, &CompileError{Problems: c.problems}
	}
	f.relative, f.rows = c.relative, c.rows
	return f, nil
}

type compiler[T any] struct {
	s        *Schema[T]
	cfg      *config
	problems []Problem
	relative bool
	rows     int
}

func (c *compiler[T]) groupProblem(path string, err error, format string, args ...any) {
	if path == "" {
		path = "filter"
	}
	c.problems = append(c.problems, Problem{Path: path, Msg: fmt.Sprintf(format, args...), Err: err})
}

func (c *compiler[T]) group(g Group, path string, depth int) cgroup[T] {
	out := cgroup[T]{path: path}
	if depth > maxDepth {
		c.groupProblem(path, ErrBadGroup, "groups nested more than %d deep", maxDepth)
		return out
	}
	switch strings.ToLower(strings.TrimSpace(g.Match)) {
	case "", MatchAll, "and", "every":
	case MatchAny, "or", "some":
		out.any = true
	default:
		c.groupProblem(path, ErrBadGroup, "unknown match %q (use %q or %q)", clip(g.Match), MatchAll, MatchAny)
	}
	for i, r := range g.Rows {
		if r.blank() {
			continue
		}
		rowPath := fmt.Sprintf("row %d", i+1)
		if path != "" {
			rowPath = path + ", " + rowPath
		}
		if cr, ok := c.row(r, rowPath, i+1); ok {
			out.rows = append(out.rows, cr)
		}
	}
	for i, sub := range g.Groups {
		subPath := fmt.Sprintf("group %d", i+1)
		if path != "" {
			subPath = fmt.Sprintf("%s.%d", path, i+1)
		}
		cg := c.group(sub, subPath, depth+1)
		if len(cg.rows) > 0 || len(cg.groups) > 0 {
			// An empty subgroup would make an "any" parent match
			// everything; it has no say, so it is dropped.
			out.groups = append(out.groups, cg)
		}
	}
	return out
}

// rowAt says where a row is, for its problems.
type rowAt struct {
	r    Row
	path string
	num  int
}

// problem records a problem of the row at.
func (c *compiler[T]) problem(at rowAt, err error, format string, args ...any) {
	c.problems = append(c.problems, Problem{
		Path: at.path, Row: at.num, Field: at.r.Field, Operator: at.r.Operator, Value: at.r.Value,
		Msg: fmt.Sprintf(format, args...), Err: err,
	})
}

func (c *compiler[T]) row(r Row, path string, num int) (crow[T], bool) {
	at := rowAt{r: r, path: path, num: num}
	f, op, ok := c.fieldAndOperator(at)
	if !ok {
		return crow[T]{}, false
	}
	if !f.kind.allows(op, f.optional) {
		var why string
		switch {
		case f.kind == KindNumber && (op == IsEmpty || op == IsNotEmpty):
			why = fmt.Sprintf("; number field %q always has a value", f.name)
		case (f.kind == KindText || f.kind == KindTexts) && op >= GreaterThan && op <= LessOrEqual:
			why = "; text has no order"
		}
		c.problem(at, ErrOperatorMismatch, "operator %s does not apply to %s field %q%s (use: %s)",
			op, f.kind, f.name, why, opList(f.kind.operators(f.optional)))
		return crow[T]{}, false
	}
	cr := crow[T]{path: path, num: num, raw: r, f: f, op: op, fold: !c.cfg.caseSensitive}
	if !op.takesValue() {
		// The value is ignored: a settings page may keep a stale value
		// in the hidden box after the operator was switched.
		c.rows++
		return cr, true
	}
	value := strings.TrimSpace(r.Value)
	if value == "" {
		c.problem(at, ErrBadValue, "operator %s needs a value (use Is Empty to match an empty %s)", op, f.name)
		return crow[T]{}, false
	}
	items := []string{value}
	if op == In || op == NotIn {
		items = splitList(value)
		if len(items) == 0 {
			c.problem(at, ErrBadValue, "operator %s needs a comma-separated list of values, got %q", op, clip(r.Value))
			return crow[T]{}, false
		}
	}
	if bad := c.parseValues(&cr, items, value); len(bad) > 0 {
		c.problem(at, ErrBadValue, "%s for %s field %q", strings.Join(bad, "; "), f.kind, f.name)
		return crow[T]{}, false
	}
	c.rows++
	return cr, true
}

// fieldAndOperator resolves the row's field and operator, reporting each
// that is missing or unknown.
func (c *compiler[T]) fieldAndOperator(at rowAt) (*field[T], Operator, bool) {
	ok := true
	var f *field[T]
	switch name := strings.TrimSpace(at.r.Field); {
	case name == "":
		c.problem(at, ErrUnknownField, "no field given (known: %s)", c.s.knownNames())
		ok = false
	default:
		if f = c.s.lookup(name); f == nil {
			msg := fmt.Sprintf("unknown field %q", clip(name))
			if sug := c.s.suggest(name); sug != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", sug)
			}
			c.problem(at, ErrUnknownField, "%s (known: %s)", msg, c.s.knownNames())
			ok = false
		}
	}
	var op Operator
	if strings.TrimSpace(at.r.Operator) == "" {
		c.problem(at, ErrUnknownOperator, "no operator given (known: %s)", operatorNames())
		ok = false
	} else {
		var err error
		if op, err = ParseOperator(at.r.Operator); err != nil {
			c.problem(at, ErrUnknownOperator, "unknown operator %q (known: %s)", clip(at.r.Operator), operatorNames())
			ok = false
		}
	}
	return f, op, ok
}

// parseValues parses the row's values as its field's kind into cr; it
// returns what is wrong with each bad one.
func (c *compiler[T]) parseValues(cr *crow[T], items []string, value string) []string {
	var bad []string
	switch cr.f.kind {
	case KindText, KindTexts:
		cr.strs = items
	case KindNumber:
		for _, it := range items {
			d, err := parseNumber(it)
			if err != nil {
				bad = append(bad, fmt.Sprintf("value %q is not a number (%v)", clip(it), err))
				continue
			}
			cr.nums = append(cr.nums, d)
		}
	case KindDate:
		for _, it := range items {
			d, err := parseDate(it, c.cfg.loc)
			if err != nil {
				bad = append(bad, fmt.Sprintf("value %q is not a date (%v; %s)", clip(it), err, dateHelp))
				continue
			}
			if d.relative {
				c.relative = true
			}
			cr.dats = append(cr.dats, d)
		}
	case KindBool:
		b, err := parseBool(value)
		if err != nil {
			bad = append(bad, fmt.Sprintf("value %q is not yes or no (use true/false, yes/no, 1/0)", clip(value)))
		}
		cr.b = b
	}
	return bad
}

func opList(ops []Operator) string {
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = op.String()
	}
	return strings.Join(names, ", ")
}

// splitList splits an In / Not In value on commas, trimming each item and
// dropping empty ones.
func splitList(s string) []string {
	var out []string
	for it := range strings.SplitSeq(s, ",") {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// parseNumber reads a decimal, refusing absurd exponents that would make
// every comparison slow.
func parseNumber(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if len(s) > 64 {
		return decimal.Decimal{}, errors.New("too long")
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, errors.New("want digits with an optional sign and decimal point")
	}
	if e := d.Exponent(); e > 30 || e < -30 {
		return decimal.Decimal{}, errors.New("out of range")
	}
	return d, nil
}

func parseBool(s string) (bool, error) {
	switch normalizeKey(s) {
	case "true", "yes", "y", "1", "on", "t":
		return true, nil
	case "false", "no", "n", "0", "off", "f":
		return false, nil
	}
	return strconv.ParseBool(s)
}

// clip shortens text quoted in messages, so one absurd row cannot flood the
// operations log.
func clip(s string) string {
	const maxLen = 80
	if len(s) <= maxLen {
		return s
	}
	cut := maxLen
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
