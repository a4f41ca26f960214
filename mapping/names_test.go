package mapping_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/mapping"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"":                      "",
		"   ":                   "",
		"UPS Ground":            "ups ground",
		"  UPS \t  Ground\n ":   "ups ground",
		"ups ground":            "ups ground",
		"Royal  Mail 24":        "royal mail 24",
		"  Économique  Étendu ": "économique étendu",
		"DHL\u00a0Express":      "dhl express", // no-break space is white space too
	}
	for in, want := range tests {
		require.Equal(t, want, mapping.Normalize(in), "Normalize(%q)", in)
	}
}

func rows(pairs ...string) []mapping.NameRow {
	var out []mapping.NameRow
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, mapping.NameRow{ERPName: pairs[i], VeeqoName: pairs[i+1]})
	}
	return out
}

func TestNameTableLookups(t *testing.T) {
	t.Parallel()
	tbl, err := mapping.NewShipServiceTable(mapping.TableConfig{Rows: []mapping.NameRow{
		{ERPName: "Ground", VeeqoName: "Standard"},
		{},
		{ERPName: "Next Day Air", VeeqoName: "Express 24"},
		{ERPName: "ground", VeeqoName: "Amazon Standard", Store: "Amazon"},
		{ERPName: "Economy", VeeqoName: "Standard", Store: "Amazon"},
	}})
	require.NoError(t, err)
	require.Equal(t, 4, tbl.Len())

	tests := []struct {
		name      string
		dir       mapping.Direction
		store, in string
		want      string
		row       int
	}{
		{"forward", mapping.ToVeeqo, "", "Ground", "Standard", 1},
		{"forward normalised", mapping.ToVeeqo, "", "  next   DAY air ", "Express 24", 3},
		{"forward unknown store uses unscoped", mapping.ToVeeqo, "Web", "ground", "Standard", 1},
		{"forward scoped wins", mapping.ToVeeqo, " AMAZON ", "Ground", "Amazon Standard", 4},
		{"forward scoped falls back", mapping.ToVeeqo, "Amazon", "Next Day Air", "Express 24", 3},
		{"reverse", mapping.ToERP, "", "standard", "Ground", 1},
		{"reverse scoped", mapping.ToERP, "Amazon", "Standard", "Economy", 5},
		{"reverse scoped other", mapping.ToERP, "Amazon", "amazon standard", "ground", 4},
		{"reverse other store", mapping.ToERP, "Web", "Express 24", "Next Day Air", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var res mapping.Result
			var err error
			if tt.dir == mapping.ToVeeqo {
				res, err = tbl.ToVeeqo(tt.store, tt.in)
			} else {
				res, err = tbl.ToERP(tt.store, tt.in)
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, res.Name)
			require.Equal(t, tt.row, res.Row)
			require.False(t, res.PassedThrough)
			require.Empty(t, res.Warning())
		})
	}
}

func TestNameTableUnmapped(t *testing.T) {
	t.Parallel()
	strict, err := mapping.NewShipServiceTable(mapping.TableConfig{Rows: rows("Ground", "Standard")})
	require.NoError(t, err)
	_, err = strict.ToVeeqo("Amazon", "Overnight")
	require.ErrorIs(t, err, mapping.ErrUnmapped)
	require.EqualError(t, err, `mapping: ship service "Overnight" (store "Amazon") is not in the ship service mapping (ERP -> Veeqo)`)
	var ue *mapping.UnmappedError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, mapping.UnmappedError{Table: "ship service", Name: "Overnight", Store: "Amazon", Direction: mapping.ToVeeqo}, *ue)

	_, err = strict.ToERP("", "Express")
	require.EqualError(t, err, `mapping: ship service "Express" is not in the ship service mapping (Veeqo -> ERP)`)

	lenient, err := mapping.NewCarrierTable(mapping.TableConfig{Unmapped: "Pass Through", Rows: rows("UPS", "UPS")})
	require.NoError(t, err)
	require.Equal(t, mapping.PolicyPassThrough, lenient.Policy())
	res, err := lenient.ToVeeqo("", "Speedy Couriers")
	require.NoError(t, err)
	require.Equal(t, "Speedy Couriers", res.Name)
	require.True(t, res.PassedThrough)
	require.Zero(t, res.Row)
	require.Equal(t, `carrier "Speedy Couriers" is not in the carrier mapping (ERP -> Veeqo); passed through unchanged`, res.Warning())

	var nilTable *mapping.NameTable
	_, err = nilTable.ToVeeqo("", "x")
	require.ErrorIs(t, err, mapping.ErrUnmapped)
}

// rowProblem is the comparable part of a mapping.RowProblem.
type rowProblem struct {
	Row int
	Err error
	Msg string
}

func problemsOf(t *testing.T, err error) (string, []rowProblem) {
	t.Helper()
	var le *mapping.LoadError
	require.ErrorAs(t, err, &le)
	var out []rowProblem
	for _, p := range le.Problems {
		out = append(out, rowProblem{p.Row, p.Err, p.Msg})
		require.True(t, errors.Is(err, p.Err))
	}
	return le.Table, out
}

func TestNameTableLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		carrier bool
		cfg     mapping.TableConfig
		want    []rowProblem
	}{
		{"duplicate row", true, mapping.TableConfig{Rows: rows("UPS", "UPS", "Fed Ex", "FedEx", "ups ", "UPS")},
			[]rowProblem{{3, mapping.ErrDuplicate, `duplicates row 1 (erp_name "ups ")`}}},
		{"same ERP name mapped twice", true, mapping.TableConfig{Rows: rows("UPS", "UPS", "UPS", "UPS Mail Innovations")},
			[]rowProblem{{2, mapping.ErrDuplicate, `erp_name "UPS" is already mapped by row 1 (to "UPS", here to "UPS Mail Innovations")`}}},
		{"conflicting reverse", true, mapping.TableConfig{Rows: rows("Fed Ex", "FedEx", "Federal Express", "fedex")},
			[]rowProblem{{2, mapping.ErrConflict, `veeqo_name "fedex" is already mapped from "Fed Ex" by row 1; mapping it from ` +
				`"Federal Express" too would make the reverse direction (Veeqo -> ERP) ambiguous`}}},
		{"scoped duplicate", false, mapping.TableConfig{Rows: []mapping.NameRow{
			{ERPName: "Ground", VeeqoName: "A", Store: "Web"}, {ERPName: "Ground", VeeqoName: "B"},
			{ERPName: "GROUND", VeeqoName: "C", Store: "web"},
		}}, []rowProblem{{3, mapping.ErrDuplicate, `erp_name "GROUND" for store "web" is already mapped by row 1 (to "A", here to "C")`}}},
		{"scoped conflict", false, mapping.TableConfig{Rows: []mapping.NameRow{
			{ERPName: "Ground", VeeqoName: "Std", Store: "Web"}, {ERPName: "Economy", VeeqoName: "std", Store: "Web"},
		}}, []rowProblem{{2, mapping.ErrConflict, `veeqo_name "std" for store "Web" is already mapped from "Ground" by row 1; ` +
			`mapping it from "Economy" too would make the reverse direction (Veeqo -> ERP) ambiguous`}}},
		{"empty names", true, mapping.TableConfig{Rows: rows("UPS", "", "", "FedEx")},
			[]rowProblem{{1, mapping.ErrBadRow, `veeqo_name is empty (erp_name "UPS")`}, {2, mapping.ErrBadRow, `erp_name is empty (veeqo_name "FedEx")`}}},
		{"store on a carrier row", true, mapping.TableConfig{Rows: []mapping.NameRow{{ERPName: "UPS", VeeqoName: "UPS", Store: "Web"}}},
			[]rowProblem{{1, mapping.ErrBadRow, `carrier rows cannot be scoped to a store (store "Web")`}}},
		{"bad policy", true, mapping.TableConfig{Unmapped: "ignore", Rows: rows("UPS", "UPS")},
			[]rowProblem{{0, mapping.ErrBadRow, `unknown unmapped policy "ignore" (use "error" or "pass_through")`}}},
		{"every problem at once", true, mapping.TableConfig{Unmapped: "?", Rows: rows("A", "X", "a", "Y", "B", "x", "", "")},
			[]rowProblem{
				{0, mapping.ErrBadRow, `unknown unmapped policy "?" (use "error" or "pass_through")`},
				{2, mapping.ErrDuplicate, `erp_name "a" is already mapped by row 1 (to "X", here to "Y")`},
				{3, mapping.ErrConflict, `veeqo_name "x" is already mapped from "A" by row 1; mapping it from "B" too ` +
					`would make the reverse direction (Veeqo -> ERP) ambiguous`},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			load := mapping.NewShipServiceTable
			table := "ship service"
			if tt.carrier {
				load, table = mapping.NewCarrierTable, "carrier"
			}
			tbl, err := load(tt.cfg)
			require.Error(t, err)
			require.Nil(t, tbl)
			gotTable, got := problemsOf(t, err)
			require.Equal(t, table, gotTable)
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
	_, err := mapping.NewCarrierTable(mapping.TableConfig{Rows: rows("UPS", "UPS", "ups", "UPS")})
	require.EqualError(t, err, `mapping: carrier table: row 2: duplicates row 1 (erp_name "ups")`)
}

func TestTableConfigJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     mapping.TableConfig
		encoded  string
	}{
		{"plain array", `[{"erp_name":"UPS","veeqo_name":"UPS"},{"erp_name":"Ground","veeqo_name":"Std","store":"Web"}]`,
			mapping.TableConfig{Rows: []mapping.NameRow{{ERPName: "UPS", VeeqoName: "UPS"}, {ERPName: "Ground", VeeqoName: "Std", Store: "Web"}}},
			`[{"erp_name":"UPS","veeqo_name":"UPS"},{"erp_name":"Ground","veeqo_name":"Std","store":"Web"}]`},
		{"object with policy", `{"unmapped":"pass_through","rows":[{"erp_name":"UPS","veeqo_name":"UPS"}]}`,
			mapping.TableConfig{Unmapped: mapping.PolicyPassThrough, Rows: []mapping.NameRow{{ERPName: "UPS", VeeqoName: "UPS"}}},
			`{"unmapped":"pass_through","rows":[{"erp_name":"UPS","veeqo_name":"UPS"}]}`},
		{"settings page column names", `[{"Carrier_Name":"Fed Ex","Third_Party_Carrier_Name":"FedEx"},` +
			`{"ship_service_name":"Ground","third_party_ship_service_name":"Std","store":null}]`,
			mapping.TableConfig{Rows: []mapping.NameRow{{ERPName: "Fed Ex", VeeqoName: "FedEx"}, {ERPName: "Ground", VeeqoName: "Std"}}},
			`[{"erp_name":"Fed Ex","veeqo_name":"FedEx"},{"erp_name":"Ground","veeqo_name":"Std"}]`},
		{"null", `null`, mapping.TableConfig{}, `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var c mapping.TableConfig
			require.NoError(t, json.Unmarshal([]byte(tt.in), &c))
			if diff := cmp.Diff(tt.want, c, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("decoded (-want +got):\n%s", diff)
			}
			out, err := json.Marshal(c)
			require.NoError(t, err)
			require.Equal(t, tt.encoded, string(out))
			var back mapping.TableConfig
			require.NoError(t, json.Unmarshal(out, &back))
			if diff := cmp.Diff(c, back, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip (-first +second):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{`"UPS"`, `[{"erp_name":1}]`, `[1]`, `{"rows":{}}`} {
		var c mapping.TableConfig
		require.Error(t, json.Unmarshal([]byte(bad), &c), bad)
	}
}

func TestCarrierIDThroughTable(t *testing.T) {
	t.Parallel()
	strict, err := mapping.NewCarrierTable(mapping.TableConfig{Rows: rows("Fed Ex Ground", "FedEx", "Local Courier", "Bob's Vans", "Misc", "Other")})
	require.NoError(t, err)
	lenient, err := mapping.NewCarrierTable(mapping.TableConfig{Unmapped: mapping.PolicyPassThrough, Rows: rows("Fed Ex Ground", "FedEx")})
	require.NoError(t, err)

	tests := []struct {
		name    string
		tbl     *mapping.NameTable
		in      string
		id      int64
		other   bool
		warning string
	}{
		{"mapped to a known carrier", strict, "fed ex ground", 2, false, ""},
		{"mapped to a name Veeqo has no id for", strict, "Local Courier", 3, true,
			`carrier "Bob's Vans" has no Veeqo carrier id; sent as Other (3)`},
		{"mapped to Other on purpose", strict, "Misc", 3, false, ""},
		{"passed through, known to Veeqo", lenient, "UPS", 5, false,
			`carrier "UPS" is not in the carrier mapping (ERP -> Veeqo); passed through unchanged`},
		{"passed through, unknown", lenient, "Speedy", 3, true,
			`carrier "Speedy" is not in the carrier mapping (ERP -> Veeqo); passed through unchanged; carrier "Speedy" has no Veeqo carrier id; sent as Other (3)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := tt.tbl.CarrierID(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.id, m.ID)
			require.Equal(t, tt.other, m.Other)
			require.Equal(t, tt.warning, m.Warning())
		})
	}
	_, err = strict.CarrierID("Speedy")
	require.ErrorIs(t, err, mapping.ErrUnmapped)

	back, err := strict.CarrierFromVeeqo(2, "")
	require.NoError(t, err)
	require.Equal(t, "Fed Ex Ground", back.Name)
	back, err = strict.CarrierFromVeeqo(0, "fedex")
	require.NoError(t, err)
	require.Equal(t, "Fed Ex Ground", back.Name)
	_, err = strict.CarrierFromVeeqo(99, "")
	require.EqualError(t, err, `mapping: carrier "carrier id 99" is not in the carrier mapping (Veeqo -> ERP)`)
}
