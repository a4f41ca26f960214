package veeqotest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

const contentType = "application/json;charset=utf-8"

// veeqoTime is Veeqo's timestamp format: UTC, milliseconds, Z.
const veeqoTime = "2006-01-02T15:04:05.000Z"

// encode marshals v the way Veeqo writes it: timestamps with milliseconds
// and Z, and money as JSON numbers (delivery method lists keep cost as a
// string, as Veeqo does, when moneyAsString is set). The veeqo types marshal
// decimals as strings and times as RFC 3339 with trimmed fractions, so the
// encoded document is rewritten by key.
func encode(v any, moneyAsString bool) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return json.Marshal(rewrite(doc, "", moneyAsString))
}

func rewrite(v any, key string, moneyAsString bool) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = rewrite(e, k, moneyAsString)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = rewrite(e, key, moneyAsString)
		}
		return x
	case string:
		if isTimeKey(key) {
			if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return t.UTC().Format(veeqoTime)
			}
		}
		if !moneyAsString && isMoneyKey(key) {
			if _, err := decimal.NewFromString(x); err == nil {
				return json.Number(x)
			}
		}
		return x
	}
	return v
}

func isTimeKey(k string) bool {
	return strings.HasSuffix(k, "_at") || strings.HasSuffix(k, "_date")
}

func isMoneyKey(k string) bool {
	switch k {
	case "delivery_cost", "subtotal_price", "total_price", "total_tax", "total_discounts",
		"price_per_unit", "tax_rate", "taxless_discount_per_unit", "price", "cost_price",
		"weight_grams", "cost", "value":
		return true
	}
	return false
}

// writeJSON writes a Veeqo-shaped JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeEncoded(w, status, v, false)
}

func writeEncoded(w http.ResponseWriter, status int, v any, moneyAsString bool) {
	b, err := encode(v, moneyAsString)
	if err != nil {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error_messages":"veeqotest: encode response"}`))
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError writes {"error_messages":"msg"}, Veeqo's string shape.
func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"error_messages": msg})
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeErrors writes {"error_messages":[...]}, Veeqo's array shape.
func writeErrors(w http.ResponseWriter, status int, msgs []string) {
	b, _ := json.Marshal(map[string][]string{"error_messages": msgs})
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeNotFound(w http.ResponseWriter) { writeError(w, http.StatusNotFound, "Not found") }

// writeRouteNotFound is Rails' unknown-route answer.
func writeRouteNotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(`{"status":404,"error":"Not Found"}`))
}
