package veeqotest

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRewriteJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		moneyAsString  bool
	}{
		{"time gets milliseconds", `{"created_at":"2026-01-02T03:04:05Z"}`, `{"created_at":"2026-01-02T03:04:05.000Z"}`, false},
		{"time in offset goes to UTC", `{"due_date":"2026-01-02T03:04:05.5+01:00"}`, `{"due_date":"2026-01-02T02:04:05.500Z"}`, false},
		{"money becomes a number", `{"total_price":"12.5","x":[{"price":"-3"}]}`, `{"total_price":12.5,"x":[{"price":-3}]}`, false},
		{"money kept as string", `{"cost":"3.0"}`, `{"cost":"3.0"}`, true},
		{"not money", `{"cost":"free"}`, `{"cost":"free"}`, false},
		{"other keys untouched", `{"number":"12","title":"2026-01-02T03:04:05Z"}`, `{"number":"12","title":"2026-01-02T03:04:05Z"}`, false},
		{"escaped lookalike inside a string", `{"text":"a\",\"price\":\"5"}`, `{"text":"a\",\"price\":\"5"}`, false},
		{"escaped backslash before quote", `{"text":"a\\","price":"5"}`, `{"text":"a\\","price":5}`, false},
		{"null stays", `{"shipped_at":null,"price":null}`, `{"shipped_at":null,"price":null}`, false},
		{"money no float64 holds stays a string", `{"price":"1e700"}`, `{"price":"1e700"}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(rewriteJSON([]byte(tc.in), tc.moneyAsString))
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
}

// FuzzRewriteJSON checks that rewriting never breaks JSON and only changes
// values of time and money keys.
func FuzzRewriteJSON(f *testing.F) {
	f.Add("text", `a","price":"5`, "12.5")
	f.Add("created_at", "2026-01-02T03:04:05Z", `\"`)
	f.Add("note", `\`, "1e3")
	f.Fuzz(func(t *testing.T, key, val, price string) {
		in, err := json.Marshal(map[string]any{key: val, "price": price, "nested": []any{map[string]string{key: price}}})
		if err != nil {
			t.Skip()
		}
		out := rewriteJSON(in, false)
		var a, b map[string]any
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatalf("invalid output %s from %s: %v", out, in, err)
		}
		if err := json.Unmarshal(in, &a); err != nil {
			t.Fatal(err)
		}
		if !isTimeKey(key) && !isMoneyKey(key) && a[key] != b[key] {
			t.Fatalf("value of %q changed: %v -> %v", key, a[key], b[key])
		}
	})
}
