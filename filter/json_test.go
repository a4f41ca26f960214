package filter_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/filter"
)

func TestGroupJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    filter.Group
		encoded string // what MarshalJSON writes back
	}{
		{"plain array", `[{"field":"source","operator":"Equals","value":"Amazon"},{"field":"total","operator":">","value":"10"}]`,
			filter.Rows(row("source", "Equals", "Amazon"), row("total", ">", "10")),
			`[{"field":"source","operator":"Equals","value":"Amazon"},{"field":"total","operator":"\u003e","value":"10"}]`},
		{"empty array", `[]`, filter.Group{Rows: []filter.Row{}}, `[]`},
		{"null", `null`, filter.Group{}, `[]`},
		{"group object", `{"match":"any","rows":[{"field":"tags","operator":"Contains","value":"vip"}],` +
			`"groups":[{"rows":[{"field":"total","operator":">=","value":"100"}]}]}`,
			filter.Group{Match: "any", Rows: []filter.Row{row("tags", "Contains", "vip")},
				Groups: []filter.Group{filter.Rows(row("total", ">=", "100"))}},
			`{"match":"any","rows":[{"field":"tags","operator":"Contains","value":"vip"}],` +
				`"groups":[[{"field":"total","operator":"\u003e=","value":"100"}]]}`},
		{"nested group as array", `{"match":"all","groups":[[{"field":"source","operator":"=","value":"x"}]]}`,
			filter.Group{Match: "all", Groups: []filter.Group{filter.Rows(row("source", "=", "x"))}},
			`{"match":"all","groups":[[{"field":"source","operator":"=","value":"x"}]]}`},
		{"aliases and typed values", `[{"filter_name":"total","op":"<","value":99.5},{"name":"prime","operator":"=","value":true},` +
			`{"field":"source","operator":"in","value":["Amazon","eBay",3]},{"field":"source","operator":"is empty","value":null}]`,
			filter.Rows(row("total", "<", "99.5"), row("prime", "=", "true"), row("source", "in", "Amazon, eBay, 3"), row("source", "is empty", "")),
			`[{"field":"total","operator":"\u003c","value":"99.5"},{"field":"prime","operator":"=","value":"true"},` +
				`{"field":"source","operator":"in","value":"Amazon, eBay, 3"},{"field":"source","operator":"is empty","value":""}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var g filter.Group
			require.NoError(t, json.Unmarshal([]byte(tt.in), &g))
			if diff := cmp.Diff(tt.want, g, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("decoded (-want +got):\n%s", diff)
			}
			out, err := json.Marshal(g)
			require.NoError(t, err)
			require.Equal(t, tt.encoded, string(out))
			var back filter.Group
			require.NoError(t, json.Unmarshal(out, &back))
			if diff := cmp.Diff(g, back, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip (-first +second):\n%s", diff)
			}
			_, err = filter.Compile(newSchema(), g)
			require.NoError(t, err, "the decoded filter compiles")
		})
	}
}

func TestGroupJSONErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"string", `"source = x"`, `filter: want an array of rows or a group object, got "\"source = x\""`},
		{"number", `42`, `filter: want an array of rows or a group object, got "42"`},
		{"object value", `[{"field":"source","operator":"=","value":{"a":1}}]`,
			`filter row "source": value: want text, a number or a list, not an object`},
		{"nested list value", `[{"field":"source","operator":"in","value":[["a"]]}]`,
			`filter row "source": value: item 1 is not a single value`},
		{"comma in a list item", `[{"field":"source","operator":"in","value":["a,b"]}]`,
			`filter row "source": value: item 1 ("a,b") contains a comma, which would split it`},
		{"row not an object", `[1]`, `filter row: want an object with field, operator and value, got "1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var g filter.Group
			err := json.Unmarshal([]byte(tt.in), &g)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestCompileJSON(t *testing.T) {
	t.Parallel()
	f, err := filter.CompileJSON(newSchema(), []byte(`[{"field":"source","operator":"=","value":"Amazon"}]`), testOpts()...)
	require.NoError(t, err)
	require.True(t, f.Match(&order{Source: "amazon"}))
	_, err = filter.CompileJSON(newSchema(), []byte(`{"rows":`), testOpts()...)
	require.ErrorContains(t, err, "filter: decode: ")
	_, err = filter.CompileJSON(newSchema(), []byte(`[{"field":"sorce","operator":"=","value":"Amazon"}]`))
	require.ErrorIs(t, err, filter.ErrUnknownField)
}
