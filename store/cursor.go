package store

import (
	"encoding/base64"
	"encoding/json"
	"errors"
)

// ErrBadCursor is matched (errors.Is) by the error a query returns for a
// paging cursor the store did not issue, or issued for another query.
var ErrBadCursor = errors.New("store: the paging cursor is not one this store issued for this query")

// EncodeCursor makes an opaque paging cursor (RecordPage.Next,
// LogPage.Next) of a small JSON-encodable position: base64url of its JSON.
// It is the one cursor codec of the stores; a host's store may use it too.
func EncodeCursor(position any) string {
	b, err := json.Marshal(position)
	if err != nil {
		return "" // a position is a struct of strings and numbers
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor into position; an error
// matching ErrBadCursor if it is not one.
func DecodeCursor(cursor string, position any) error {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		err = json.Unmarshal(b, position)
	}
	if err != nil {
		return ErrBadCursor
	}
	return nil
}
