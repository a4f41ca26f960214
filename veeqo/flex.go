package veeqo

import (
	"bytes"
	"encoding/json"
)

// UnmarshalJSON accepts Veeqo's object form and the bare string form some
// integrations have seen.
func (t *TrackingNumber) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = TrackingNumber{TrackingNumber: s}
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	type plain TrackingNumber
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*t = TrackingNumber(p)
	return nil
}

// UnmarshalJSON accepts Veeqo's object form and a bare carrier name.
func (c *Carrier) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = Carrier{Name: s}
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	type plain Carrier
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = Carrier(p)
	return nil
}
