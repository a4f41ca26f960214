package filter

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Verdict is Explain's answer: whether the record passed and, if not, which
// row rejected it and why, in words for the operations log.
type Verdict struct {
	Pass bool
	// Row is the 1-based number of the rejecting row within its group (0
	// when a whole "any" group rejected the record).
	Row int
	// Path locates the rejecting row or group: "row 2", "group 1, row 3",
	// "group 1" ("" when the top-level "any" group rejected it).
	Path string
	// Reason is the path and the failed comparison, e.g.
	// `row 2: source "eBay" does not equal "Amazon"`.
	Reason string
}

// Len returns the number of rows the filter checks (blank rows skipped).
func (f *Filter[T]) Len() int {
	if f == nil {
		return 0
	}
	return f.rows
}

// Match reports whether v passes the filter. It does not allocate in the
// common case (text, number, date and bool fields whose accessors do not
// allocate). A nil or empty Filter passes everything.
func (f *Filter[T]) Match(v T) bool {
	if f == nil {
		return true
	}
	var now time.Time
	if f.relative {
		now = f.clock()
	}
	return f.root.match(v, now, f.loc)
}

// Explain evaluates v like Match and, when it is rejected, says which row
// rejected it and why.
func (f *Filter[T]) Explain(v T) Verdict {
	if f == nil {
		return Verdict{Pass: true}
	}
	var now time.Time
	if f.relative {
		now = f.clock()
	}
	return f.root.explain(v, now, f.loc)
}

func (g *cgroup[T]) match(v T, now time.Time, loc *time.Location) bool {
	if g.any {
		if len(g.rows) == 0 && len(g.groups) == 0 {
			return true
		}
		for i := range g.rows {
			if g.rows[i].match(v, now, loc) {
				return true
			}
		}
		for i := range g.groups {
			if g.groups[i].match(v, now, loc) {
				return true
			}
		}
		return false
	}
	for i := range g.rows {
		if !g.rows[i].match(v, now, loc) {
			return false
		}
	}
	for i := range g.groups {
		if !g.groups[i].match(v, now, loc) {
			return false
		}
	}
	return true
}

func (g *cgroup[T]) explain(v T, now time.Time, loc *time.Location) Verdict {
	if !g.any {
		for i := range g.rows {
			r := &g.rows[i]
			if !r.match(v, now, loc) {
				return Verdict{Row: r.num, Path: r.path, Reason: r.path + ": " + r.reason(v, now, loc)}
			}
		}
		for i := range g.groups {
			if vd := g.groups[i].explain(v, now, loc); !vd.Pass {
				return vd
			}
		}
		return Verdict{Pass: true}
	}
	if g.match(v, now, loc) {
		return Verdict{Pass: true}
	}
	var parts []string
	for i := range g.rows {
		r := &g.rows[i]
		parts = append(parts, r.path+": "+r.reason(v, now, loc))
	}
	for i := range g.groups {
		parts = append(parts, g.groups[i].explain(v, now, loc).Reason)
	}
	where := "no row of the filter matched"
	if g.path != "" {
		where = g.path + ": no row of the group matched"
	}
	return Verdict{Path: g.path, Reason: where + " (any): " + strings.Join(parts, "; ")}
}

func (r *crow[T]) match(v T, now time.Time, loc *time.Location) bool {
	switch r.f.kind {
	case KindText:
		return r.text(r.f.text(v))
	case KindTexts:
		return r.textList(r.f.texts(v))
	case KindNumber:
		d, ok := r.f.num(v)
		return r.number(d, ok)
	case KindDate:
		return r.date(r.f.date(v), now, loc)
	case KindBool:
		b := r.f.boolean(v)
		if r.op == NotEquals {
			return b != r.b
		}
		return b == r.b
	}
	return false
}

func (r *crow[T]) text(s string) bool {
	ok := r.textPositive(s)
	if r.op.Negative() {
		return !ok
	}
	return ok
}

func (r *crow[T]) textList(vals []string) bool {
	switch r.op {
	case IsEmpty, IsNotEmpty:
		some := false
		for _, s := range vals {
			if !blankText(s) {
				some = true
				break
			}
		}
		return some == (r.op == IsNotEmpty)
	}
	hit := false
	for _, s := range vals {
		if r.textPositive(s) {
			hit = true
			break
		}
	}
	if r.op.Negative() {
		return !hit
	}
	return hit
}

// textPositive evaluates the positive form of the row's operator on s.
func (r *crow[T]) textPositive(s string) bool {
	s = strings.TrimSpace(s)
	switch r.op.positive() {
	case Equals:
		return textEqual(s, r.strs[0], r.fold)
	case Contains:
		return contains(s, r.strs[0], r.fold)
	case StartsWith:
		return hasPrefix(s, r.strs[0], r.fold)
	case EndsWith:
		return hasSuffix(s, r.strs[0], r.fold)
	case In:
		for _, w := range r.strs {
			if textEqual(s, w, r.fold) {
				return true
			}
		}
		return false
	case IsEmpty:
		return s == ""
	case Matches:
		return wildcard(r.strs[0], s, r.fold)
	}
	return false
}

func (r *crow[T]) number(d decimal.Decimal, ok bool) bool {
	if !ok {
		switch r.op {
		case IsEmpty, NotEquals, NotIn:
			return true
		}
		return false
	}
	switch r.op {
	case IsEmpty:
		return false
	case IsNotEmpty:
		return true
	case Equals:
		return cmpDecimal(d, r.nums[0]) == 0
	case NotEquals:
		return cmpDecimal(d, r.nums[0]) != 0
	case GreaterThan:
		return cmpDecimal(d, r.nums[0]) > 0
	case LessThan:
		return cmpDecimal(d, r.nums[0]) < 0
	case GreaterOrEqual:
		return cmpDecimal(d, r.nums[0]) >= 0
	case LessOrEqual:
		return cmpDecimal(d, r.nums[0]) <= 0
	case In, NotIn:
		in := false
		for _, w := range r.nums {
			if cmpDecimal(d, w) == 0 {
				in = true
				break
			}
		}
		return in == (r.op == In)
	}
	return false
}

func (r *crow[T]) date(t time.Time, now time.Time, loc *time.Location) bool {
	if t.IsZero() {
		switch r.op {
		case IsEmpty, NotEquals, NotIn:
			return true
		}
		return false
	}
	switch r.op {
	case IsEmpty:
		return false
	case IsNotEmpty:
		return true
	case In, NotIn:
		in := false
		for i := range r.dats {
			if dateEqual(t, &r.dats[i], now, loc) {
				in = true
				break
			}
		}
		return in == (r.op == In)
	}
	d := &r.dats[0]
	start, end := d.bounds(now, loc)
	if !d.day {
		switch r.op {
		case Equals:
			return t.Equal(start)
		case NotEquals:
			return !t.Equal(start)
		case GreaterThan:
			return t.After(start)
		case LessThan:
			return t.Before(start)
		case GreaterOrEqual:
			return !t.Before(start)
		case LessOrEqual:
			return !t.After(start)
		}
		return false
	}
	switch r.op {
	case Equals:
		return !t.Before(start) && t.Before(end)
	case NotEquals:
		return t.Before(start) || !t.Before(end)
	case GreaterThan: // after the whole day
		return !t.Before(end)
	case LessThan: // before the day begins
		return t.Before(start)
	case GreaterOrEqual:
		return !t.Before(start)
	case LessOrEqual: // up to the end of the day
		return t.Before(end)
	}
	return false
}

func dateEqual(t time.Time, d *dateValue, now time.Time, loc *time.Location) bool {
	start, end := d.bounds(now, loc)
	if !d.day {
		return t.Equal(start)
	}
	return !t.Before(start) && t.Before(end)
}

// pow10 returns 10^k for 0 <= k <= 18.
func pow10(k int) int64 {
	p := int64(1)
	for range k {
		p *= 10
	}
	return p
}

// cmpDecimal compares like decimal.Cmp but without allocating when both
// coefficients, scaled to a common exponent, fit in an int64 (decimal.Cmp
// allocates whenever the exponents differ, e.g. 12.5 against 100).
func cmpDecimal(a, b decimal.Decimal) int {
	ea, eb := a.Exponent(), b.Exponent()
	if ea == eb {
		return a.Cmp(b)
	}
	na, nb := a.NumDigits(), b.NumDigits()
	if na > 18 || nb > 18 {
		return a.Cmp(b)
	}
	ca, cb := a.CoefficientInt64(), b.CoefficientInt64()
	if ea > eb {
		k := int(ea - eb)
		if na+k > 18 {
			return a.Cmp(b)
		}
		ca *= pow10(k)
	} else {
		k := int(eb - ea)
		if nb+k > 18 {
			return a.Cmp(b)
		}
		cb *= pow10(k)
	}
	switch {
	case ca < cb:
		return -1
	case ca > cb:
		return 1
	}
	return 0
}

// reason describes, for the operations log, why the row rejected v.
func (r *crow[T]) reason(v T, now time.Time, loc *time.Location) string {
	name := r.f.name
	switch r.f.kind {
	case KindText:
		s := strings.TrimSpace(r.f.text(v))
		if r.op == IsNotEmpty {
			return name + " is empty"
		}
		return fmt.Sprintf("%s %q %s", name, clip(s), r.textPhrase(false))
	case KindTexts:
		vals := r.f.texts(v)
		return fmt.Sprintf("%s %s %s", name, quoteList(vals), r.textPhrase(true))
	case KindNumber:
		d, ok := r.f.num(v)
		if !ok {
			return name + " is empty"
		}
		return fmt.Sprintf("%s %s %s", name, d.String(), r.comparePhrase())
	case KindDate:
		t := r.f.date(v)
		if t.IsZero() {
			return name + " is empty"
		}
		return fmt.Sprintf("%s %s %s", name, t.In(loc).Format(time.RFC3339), r.datePhrase(now, loc))
	case KindBool:
		return fmt.Sprintf("%s is %t (wanted %s %s)", name, r.f.boolean(v), r.op, r.raw.Value)
	}
	return "did not match"
}

func (r *crow[T]) value() string { return fmt.Sprintf("%q", clip(strings.TrimSpace(r.raw.Value))) }

// textPhrase words a failed text comparison; multi says the subject is a
// list of values.
func (r *crow[T]) textPhrase(multi bool) string {
	val := r.value()
	if !multi {
		switch r.op {
		case Equals:
			return "does not equal " + val
		case NotEquals:
			return "equals " + val
		case Contains:
			return "does not contain " + val
		case NotContains:
			return "contains " + val
		case StartsWith:
			return "does not start with " + val
		case EndsWith:
			return "does not end with " + val
		case In:
			return "is not one of " + val
		case NotIn:
			return "is one of " + val
		case IsEmpty:
			return "is not empty"
		case Matches:
			return "does not match " + val
		}
		return "does not satisfy " + r.op.String()
	}
	switch r.op {
	case Equals:
		return "has no value equal to " + val
	case NotEquals:
		return "has a value equal to " + val
	case Contains:
		return "has no value containing " + val
	case NotContains:
		return "has a value containing " + val
	case StartsWith:
		return "has no value starting with " + val
	case EndsWith:
		return "has no value ending with " + val
	case In:
		return "has no value in " + val
	case NotIn:
		return "has a value in " + val
	case IsEmpty:
		return "has a value"
	case IsNotEmpty:
		return "has no value"
	case Matches:
		return "has no value matching " + val
	}
	return "does not satisfy " + r.op.String()
}

func (r *crow[T]) comparePhrase() string {
	val := strings.TrimSpace(r.raw.Value)
	switch r.op {
	case Equals:
		return "does not equal " + val
	case NotEquals:
		return "equals " + val
	case GreaterThan:
		return "is not greater than " + val
	case LessThan:
		return "is not less than " + val
	case GreaterOrEqual:
		return "is less than " + val
	case LessOrEqual:
		return "is greater than " + val
	case In:
		return "is not one of " + val
	case NotIn:
		return "is one of " + val
	case IsEmpty:
		return "is not empty"
	}
	return "does not satisfy " + r.op.String()
}

func (r *crow[T]) datePhrase(now time.Time, loc *time.Location) string {
	val := clip(strings.TrimSpace(r.raw.Value))
	if len(r.dats) == 1 && r.dats[0].relative {
		start, _ := r.dats[0].bounds(now, loc)
		if r.dats[0].day {
			val = fmt.Sprintf("%s (%s)", val, start.Format(time.DateOnly))
		} else {
			val = fmt.Sprintf("%s (%s)", val, start.In(loc).Format(time.RFC3339))
		}
	}
	switch r.op {
	case Equals:
		return "is not on " + val
	case NotEquals:
		return "is on " + val
	case GreaterThan:
		return "is not after " + val
	case LessThan:
		return "is not before " + val
	case GreaterOrEqual:
		return "is before " + val
	case LessOrEqual:
		return "is after " + val
	case In:
		return "is not on any of " + val
	case NotIn:
		return "is on one of " + val
	case IsEmpty:
		return "is not empty"
	}
	return "does not satisfy " + r.op.String()
}

func quoteList(vals []string) string {
	const maxShown = 10
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range vals {
		if i == maxShown {
			fmt.Fprintf(&b, ", … %d more", len(vals)-maxShown)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", clip(s))
	}
	b.WriteByte(']')
	return b.String()
}
