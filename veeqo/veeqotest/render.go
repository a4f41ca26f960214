package veeqotest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

const contentType = "application/json;charset=utf-8"

// veeqoTime is Veeqo's timestamp format: UTC, milliseconds, Z.
const veeqoTime = "2006-01-02T15:04:05.000Z"

// encode marshals v the way Veeqo writes it: timestamps with milliseconds
// and Z, and money as JSON numbers (delivery method endpoints keep cost as
// a string, as Veeqo does, when moneyAsString is set). The veeqo types
// marshal decimals as strings and times as RFC 3339 with trimmed fractions,
// so the compact output of encoding/json is rewritten by key in one pass.
func encode(v any, moneyAsString bool) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return rewriteJSON(raw, moneyAsString), nil
}

// stringEnd returns the index of the quote closing the JSON string that
// opens at in[i], or -1.
func stringEnd(in []byte, i int) int {
	for j := i + 1; j < len(in); j++ {
		switch in[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}

// rewriteJSON walks compact JSON string by string; a string followed by
// ':' and another string is a key with a string value.
func rewriteJSON(in []byte, moneyAsString bool) []byte {
	out := make([]byte, 0, len(in)+len(in)/8)
	for i := 0; i < len(in); {
		if in[i] != '"' {
			out = append(out, in[i])
			i++
			continue
		}
		end := stringEnd(in, i)
		if end < 0 {
			return append(out, in[i:]...)
		}
		if end+2 < len(in) && in[end+1] == ':' && in[end+2] == '"' {
			vEnd := stringEnd(in, end+2)
			if vEnd < 0 {
				return append(out, in[i:]...)
			}
			key, val := string(in[i+1:end]), in[end+3:vEnd]
			out = append(out, in[i:end+2]...)
			out = append(out, rewriteValue(key, val, in[end+2:vEnd+1], moneyAsString)...)
			i = vEnd + 1
			continue
		}
		out = append(out, in[i:end+1]...)
		i = end + 1
	}
	return out
}

// rewriteValue returns the replacement of a quoted value (quoted is the
// value with its quotes).
func rewriteValue(key string, val, quoted []byte, moneyAsString bool) []byte {
	if isTimeKey(key) {
		if t, err := time.Parse(time.RFC3339Nano, string(val)); err == nil {
			return []byte(`"` + t.UTC().Format(veeqoTime) + `"`)
		}
	}
	if !moneyAsString && isMoneyKey(key) {
		// A number only when a JSON decoder can hold it: 1e700 is a
		// decimal and valid JSON, but no float64.
		if _, err := decimal.NewFromString(string(val)); err == nil && json.Valid(val) && finite(val) {
			return val
		}
	}
	return quoted
}

// finite reports whether a number's text fits a float64.
func finite(num []byte) bool {
	_, err := strconv.ParseFloat(string(num), 64)
	return err == nil
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

// writeRouteNotFound is Rails' unknown-route answer.
func writeRouteNotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(`{"status":404,"error":"Not Found"}`))
}
