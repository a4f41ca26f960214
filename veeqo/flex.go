package veeqo

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// flexString decodes a JSON string, number or null into a string. Veeqo's
// loosely typed fields (marketplace ids, remote ids) have been seen both ways.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*f = ""
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a string or a number, got %.40s", b)
		}
		*f = flexString(n.String())
		return nil
	}
}

// UnmarshalJSON accepts remote_id as a string or a number: it holds a
// marketplace line id (Amazon's OrderItemId, a numeric string).
func (l *LineItem) UnmarshalJSON(b []byte) error {
	type plain LineItem
	aux := struct {
		*plain
		RemoteID flexString `json:"remote_id"`
	}{plain: (*plain)(l)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	l.RemoteID = string(aux.RemoteID)
	return nil
}

// UnmarshalJSON accepts seller_id and marketplace_id as strings or numbers:
// live data has strings, some third-party schemas integers.
func (a *AmazonChannelSpecific) UnmarshalJSON(b []byte) error {
	type plain AmazonChannelSpecific
	aux := struct {
		*plain
		SellerID      flexString `json:"seller_id"`
		MarketplaceID flexString `json:"marketplace_id"`
	}{plain: (*plain)(a)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	a.SellerID, a.MarketplaceID = string(aux.SellerID), string(aux.MarketplaceID)
	return nil
}
