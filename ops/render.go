package ops

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	vsync "github.com/xoroerp/veeqoconnect/sync"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// httpError is an error with the status and the message shown to the
// user; Fields name the form fields at fault.
type httpError struct {
	status int
	msg    string
	fields []vsync.FieldProblem
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) *httpError {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// fieldError is a 422 naming one field.
func fieldError(field, format string, args ...any) *httpError {
	p := vsync.FieldProblem{Field: field, Problem: fmt.Sprintf(format, args...)}
	return &httpError{status: http.StatusUnprocessableEntity, msg: p.String(), fields: []vsync.FieldProblem{p}}
}

// errorJSON is the JSON API's error body.
type errorJSON struct {
	Error  string      `json:"error"`
	Fields []fieldJSON `json:"fields,omitempty"`
}

type fieldJSON struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

// asHTTPError classifies err: an *httpError as is, an oversize body as
// 413, anything else as 500 with a generic message (logged).
func (h *Handler) asHTTPError(r *http.Request, err error) *httpError {
	var he *httpError
	if errors.As(err, &he) {
		return he
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body is larger than %d bytes", mb.Limit)}
	}
	var se *vsync.SettingsError
	if errors.As(err, &se) {
		return &httpError{status: http.StatusUnprocessableEntity, msg: "the settings have problems", fields: se.Problems}
	}
	h.log.Error("ops: request failed", "path", r.URL.Path, "err", err)
	return &httpError{status: http.StatusInternalServerError, msg: "internal error: " + err.Error()}
}

// isAPI reports whether the request is for the JSON API.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// fail answers an error as JSON (API) or as an error page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	he := h.asHTTPError(r, err)
	if isAPI(r) || h.pages == nil {
		body := errorJSON{Error: he.msg}
		for _, f := range he.fields {
			body.Fields = append(body.Fields, fieldJSON(f))
		}
		writeJSON(w, he.status, body)
		return
	}
	h.render(w, r, he.status, "error", &view{Title: http.StatusText(he.status), Error: he.msg, Problems: he.fields})
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"internal error: encoding the response failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// decodeJSON decodes a JSON request body into v strictly (unknown fields
// and trailing data are errors naming what is wrong).
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &httpError{status: http.StatusUnsupportedMediaType, msg: fmt.Sprintf("Content-Type %q: want application/json", ct)}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return badRequest("the request body is empty: want a JSON object")
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fieldError(te.Field, "want a %s, not a JSON %s", te.Type, te.Value)
		}
		return badRequest("the request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("the request body has data after the JSON object")
	}
	return nil
}

// parseForm parses a form body, turning an oversize body into a 413.
func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return badRequest("the form is not valid: %v", err)
	}
	return nil
}

// root is the relative path from the request's page to the handler's
// root ("./", "../../"), so links work under any mount prefix.
func root(r *http.Request) string {
	n := strings.Count(r.URL.Path, "/") - 1
	if n <= 0 {
		return "./"
	}
	return strings.Repeat("../", n)
}

// seeOther redirects a POST to a page given relative to the handler's
// root. The Location is relative, so it works under any mount prefix.
func seeOther(w http.ResponseWriter, r *http.Request, page string) {
	w.Header().Set("Location", root(r)+page)
	w.WriteHeader(http.StatusSeeOther)
}

// esc escapes a path segment.
func esc(s string) string { return url.PathEscape(s) }

// visible shows control, format (bidirectional overrides, zero-width) and
// invalid characters as ⟨U+XXXX⟩, so a reference or message cannot reorder
// or hide the text around it.
func visible(s string) string {
	if !strings.ContainsFunc(s, hidden) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				fmt.Fprintf(&b, "⟨0x%02X⟩", s[i])
				continue
			}
		}
		if hidden(r) {
			fmt.Fprintf(&b, "⟨U+%04X⟩", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func hidden(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// view is what every page template gets.
type view struct {
	Title    string
	Root     string
	User     string
	Account  string   // the account in view ("" on the Accounts view)
	Accounts []string // for the account switcher
	Tab      string
	Notice   string
	Error    string
	Problems []vsync.FieldProblem
	Loc      *time.Location
	Data     any
}

// pages are the parsed templates, one set per page.
type pages struct {
	byName map[string]*template.Template
}

var funcs = template.FuncMap{
	"visible": visible,
	"list":    func(s ...string) []string { return s },
	"esc":     esc,
	"when": func(t time.Time, loc *time.Location) string {
		if t.IsZero() {
			return "—"
		}
		if loc == nil {
			loc = time.UTC
		}
		return t.In(loc).Format("2006-01-02 15:04:05 MST")
	},
	"dur": func(d time.Duration) string {
		if d <= 0 {
			return "—"
		}
		return d.Round(time.Millisecond).String()
	},
	"fieldid": func(s string) string { return "f-" + strings.NewReplacer(".", "-", "[", "-", "]", "").Replace(s) },
}

func loadPages() (*pages, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("ops: templates: %w", err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("ops: template %s: %w", n, err)
		}
		p.byName[base] = t
	}
	return p, nil
}

// render renders a page into a buffer first, so a template error becomes
// a clean 500.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	v.Root = root(r)
	v.User = userOf(r)
	if v.Loc == nil {
		v.Loc = time.UTC
	}
	for _, a := range h.configured() {
		v.Accounts = append(v.Accounts, a.name)
	}
	t := h.pages.byName[page]
	var buf bytes.Buffer
	if t == nil {
		h.log.Error("ops: no template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.Execute(&buf, v); err != nil {
		h.log.Error("ops: render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
