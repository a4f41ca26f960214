package veeqotest

import (
	"errors"
	"net/http"
	"strings"
)

// apiError is a Veeqo error response.
type apiError struct {
	status int
	msgs   []string
	flat   bool // {"error_messages":"..."} rather than an array
}

func errNotFound() *apiError {
	return &apiError{status: http.StatusNotFound, msgs: []string{"Not found"}, flat: true}
}

func errInvalid(msgs ...string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, msgs: msgs}
}

func (e *apiError) write(w http.ResponseWriter) {
	if e.flat {
		writeError(w, e.status, e.msgs[0])
		return
	}
	writeErrors(w, e.status, e.msgs)
}

// fromHelperErr maps a staff-helper error to an API error.
func fromHelperErr(err error) *apiError {
	if errors.Is(err, ErrNotFound) {
		return errNotFound()
	}
	msg, _, _ := strings.Cut(err.Error(), ": veeqotest:")
	if errors.Is(err, ErrNoStock) {
		msg = "Not enough stock: " + msg
	}
	return errInvalid(msg)
}

func badJSON(w http.ResponseWriter, err error) {
	writeErrors(w, http.StatusBadRequest, []string{"Malformed JSON: " + err.Error()})
}

// act is the one shape of a Veeqo handler: f runs with the state locked
// and returns the response body or a Veeqo error, and act writes the one
// or the other. A 204 status writes no body.
func (s *Server) act(w http.ResponseWriter, status int, f func(st *state) (any, *apiError)) {
	s.actEncoded(w, status, false, f)
}

// actEncoded is act with Veeqo's money-as-string encoding selectable (the
// delivery-method endpoints use it).
func (s *Server) actEncoded(w http.ResponseWriter, status int, moneyAsString bool, f func(st *state) (any, *apiError)) {
	var out any
	var aerr *apiError
	s.withState(func(st *state) { out, aerr = f(st) })
	switch {
	case aerr != nil:
		aerr.write(w)
	case status == http.StatusNoContent:
		w.WriteHeader(status)
	default:
		writeEncoded(w, status, out, moneyAsString)
	}
}

// readBody decodes the request's JSON object (the one under root when
// root is not empty), answering a malformed body itself: ok is false then.
func readBody(w http.ResponseWriter, r *http.Request, root string) (in obj, ok bool) {
	in, err := decodeBody(r, root)
	if err != nil {
		badJSON(w, err)
		return nil, false
	}
	return in, true
}

// findOrder is the order a handler acts on, or Veeqo's not-found answer.
func (st *state) findOrder(id int64) (*orderRec, *apiError) {
	rec := st.orders[id]
	if rec == nil {
		return nil, errNotFound()
	}
	return rec, nil
}
