package filter_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/filter"
)

// TestRowDecodeErrorNamesRow: a row that does not decode was reported as
// "filter row: ..." with no position, leaving the user to guess which row of
// the settings page is wrong.
func TestRowDecodeErrorNamesRow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`[{"field":"source","operator":"=","value":"a"}, null]`, `row 2: filter row: want an object`},
		{`[{"field":"source","operator":"=","value":"a"}, {"field":"x","operator":"=","value":"b"}, 7]`, `row 3: filter row: want an object`},
		{`{"match":"any","rows":[{"field":"source","operator":"in","value":[["a"]]}]}`, `row 1: filter row "source": value: item 1 is not a single value`},
	} {
		var g filter.Group
		err := json.Unmarshal([]byte(tc.in), &g)
		require.ErrorContains(t, err, tc.want, tc.in)
	}
	var g filter.Group
	require.NoError(t, json.Unmarshal([]byte(`{"match":"any","rows":[{"field":"source","operator":"=","value":"a"}],"groups":[[{"field":"b","operator":"=","value":"c"}]]}`), &g))
	require.Equal(t, filter.Group{Match: "any", Rows: []filter.Row{{Field: "source", Operator: "=", Value: "a"}},
		Groups: []filter.Group{{Rows: []filter.Row{{Field: "b", Operator: "=", Value: "c"}}}}}, g)
}
