package veeqo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func addTestdataSeeds(f *testing.F, prefix string) {
	f.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", prefix+"*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzDecodeError feeds arbitrary bodies to the error decoder: it must never
// panic, and every message it returns must be non-empty.
func FuzzDecodeError(f *testing.F) {
	addTestdataSeeds(f, "error_")
	for _, s := range []string{`{"error_messages":[["a"],{"b":1},null,true]}`, `{"errors":{"a":{"b":{"c":{"d":{"e":"deep"}}}}}}`, `{"error":7}`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msgs := decodeErrorMessages(body)
		for _, m := range msgs {
			if strings.TrimSpace(m) == "" {
				t.Fatalf("empty message from %q", body)
			}
		}
		e := &APIError{Method: "GET", URL: "https://api.veeqo.com/x", StatusCode: 400, Messages: msgs, Body: snippet(body, maxErrorSnippet)}
		if !utf8.ValidString(e.Body) {
			t.Fatalf("snippet is not UTF-8: %q", e.Body)
		}
		_ = e.Error()
	})
}

// FuzzDecodeOrder feeds arbitrary JSON to the order decoder (custom
// tracking-number and carrier decoders, decimals, times): it must never
// panic, and the accessors must work on whatever decodes.
func FuzzDecodeOrder(f *testing.F) {
	addTestdataSeeds(f, "order_")
	for _, s := range []string{`{"allocations":[{"shipment":{"tracking_number":"x","carrier":"y"}}]}`,
		`{"allocations":[{"shipment":{"tracking_number":{"tracking_number":null},"carrier":null}}]}`,
		`{"total_price":"1e3","delivery_cost":null}`, `[]`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 1<<16 {
			return
		}
		var o Order
		if err := decodeOrder(body, &o); err != nil {
			return
		}
		for _, a := range o.Allocations {
			_ = a.Shipment.Tracking()
			_ = a.Shipment.Service()
		}
		if o.Number != "" && !utf8.ValidString(o.Number) {
			t.Fatalf("number is not UTF-8: %q", o.Number)
		}
	})
}
