package main

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/xoroerp/veeqoconnect/internal/display"
)

// problem is one thing wrong with an input file, naming its field.
type problem struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

func (p problem) String() string {
	if p.Field == "" {
		return p.Problem
	}
	return p.Field + ": " + p.Problem
}

// problemsError lists every problem of one file at once.
type problemsError struct {
	// What names the file or document ("config veeqoctl.json").
	What     string
	Problems []problem
}

func (e *problemsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s has %d problem(s):", e.What, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// strictDecoder decodes JSON into Go values field by field so that every
// unknown field and every wrongly typed value is reported, not just the
// first one (encoding/json stops at the first unknown field and reports
// only the first type error). Array elements are numbered from 1, as the
// settings page and the engine's own validation number rows, so one
// convention runs through every message veeqoctl prints.
type strictDecoder struct {
	problems []problem
	// renamed are field names the format used before, by their new name:
	// an old file gets an error that names the new one.
	renamed map[string]string
}

func (d *strictDecoder) add(field, format string, args ...any) {
	d.problems = append(d.problems, problem{Field: field, Problem: fmt.Sprintf(format, args...)})
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	rawMessageType      = reflect.TypeFor[json.RawMessage]()
)

// decode decodes raw into ptr (a non-nil pointer), recording problems under
// path.
func (d *strictDecoder) decode(path string, raw []byte, ptr any) {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		d.add(path, "internal error: decode target is not a pointer")
		return
	}
	d.value(path, raw, v.Elem())
}

func isNull(raw []byte) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

func (d *strictDecoder) value(path string, raw []byte, v reflect.Value) {
	t := v.Type()
	// Types with their own decoding (decimal, time, filter groups, dates,
	// durations, raw messages) decode as a whole.
	if t == rawMessageType || reflect.PointerTo(t).Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		d.leaf(path, raw, v)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if isNull(raw) {
			v.SetZero()
			return
		}
		nv := reflect.New(t.Elem())
		d.value(path, raw, nv.Elem())
		v.Set(nv)
	case reflect.Struct:
		d.object(path, raw, v)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // []byte: base64 string
			d.leaf(path, raw, v)
			return
		}
		if isNull(raw) {
			v.SetZero()
			return
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			d.add(path, "want an array, got %s", kindOf(raw))
			return
		}
		s := reflect.MakeSlice(t, len(items), len(items))
		for i, it := range items {
			d.value(fmt.Sprintf("%s[%d]", path, i+1), it, s.Index(i))
		}
		v.Set(s)
	default:
		d.leaf(path, raw, v)
	}
}

func (d *strictDecoder) leaf(path string, raw []byte, v reflect.Value) {
	p := reflect.New(v.Type())
	if err := json.Unmarshal(raw, p.Interface()); err != nil {
		d.add(path, "%s", describeJSONError(err, raw, v.Type()))
		return
	}
	v.Set(p.Elem())
}

func (d *strictDecoder) object(path string, raw []byte, v reflect.Value) {
	if isNull(raw) {
		return
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		d.add(path, "want an object, got %s", kindOf(raw))
		return
	}
	t := v.Type()
	index := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		index[name] = i
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		sub := k
		if path != "" {
			sub = path + "." + k
		}
		i, ok := index[k]
		if !ok {
			known := make([]string, 0, len(index))
			for n := range index {
				if !strings.HasPrefix(n, "_") {
					known = append(known, n)
				}
			}
			slices.Sort(known)
			if name, was := d.renamed[k]; was {
				d.add(sub, "unknown field: it is now called %q", name)
				continue
			}
			d.add(sub, "unknown field (known fields: %s)", strings.Join(known, ", "))
			continue
		}
		d.value(sub, fields[k], v.Field(i))
	}
}

// kindOf names the JSON kind of raw for messages.
func kindOf(raw []byte) string {
	s := bytes.TrimSpace(raw)
	if len(s) == 0 {
		return "nothing"
	}
	switch s[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func describeJSONError(err error, raw []byte, t reflect.Type) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("want %s, got %s", typeName(t), kindOf(raw))
	}
	return err.Error()
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return t.String()
}

// syntaxProblem turns a JSON syntax error into a problem naming the line and
// column.
func syntaxProblem(data []byte, err error) problem {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, se.Offset)
		return problem{Problem: fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, se)}
	}
	return problem{Problem: "invalid JSON: " + err.Error()}
}

// utf8Problem reports the first byte of data that is not UTF-8, with its
// line and column: encoding/json would turn it into U+FFFD and pass it on.
func utf8Problem(data []byte) (problem, bool) {
	off := display.InvalidUTF8(data)
	if off < 0 {
		return problem{}, false
	}
	line, col := lineCol(data, int64(off))
	return problem{Problem: fmt.Sprintf("not valid UTF-8 at line %d, column %d (byte 0x%02x): save the file as UTF-8", line, col, data[off])}, true
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}
