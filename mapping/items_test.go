package mapping_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

func TestParseIdentifier(t *testing.T) {
	t.Parallel()
	good := map[string]mapping.Identifier{
		"":                  {Kind: mapping.IdentSKU},
		"SKU":               {Kind: mapping.IdentSKU},
		"item_number":       {Kind: mapping.IdentItemNumber},
		"Item Number":       {Kind: mapping.IdentItemNumber},
		"upc":               {Kind: mapping.IdentUPC},
		"custom:style_code": {Kind: mapping.IdentCustom, Field: "style_code"},
		"Custom : Style ":   {Kind: mapping.IdentCustom, Field: "Style"},
	}
	for in, want := range good {
		got, err := mapping.ParseIdentifier(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
		back, err := mapping.ParseIdentifier(got.String())
		require.NoError(t, err)
		require.Equal(t, got, back, "String round-trips")
	}
	for in, msg := range map[string]string{
		"ean":     `mapping: bad item identifier "ean" (use sku, item_number, upc or custom:<field>)`,
		"custom:": `mapping: bad item identifier "custom:": custom: needs a field name, e.g. custom:style_code`,
	} {
		_, err := mapping.ParseIdentifier(in)
		require.ErrorIs(t, err, mapping.ErrBadIdentifier)
		require.EqualError(t, err, msg)
	}
	var id mapping.Identifier
	require.Error(t, json.Unmarshal([]byte(`"gtin"`), &id))
	require.NoError(t, json.Unmarshal([]byte(`"upc"`), &id))
	require.Equal(t, "upc_code", id.VeeqoField())
	out, err := json.Marshal(mapping.Identifier{Kind: mapping.IdentItemNumber})
	require.NoError(t, err)
	require.Equal(t, `"item_number"`, string(out))
	_, err = json.Marshal(mapping.Identifier{Kind: 9})
	require.Error(t, err)
}

func TestIdentifierValue(t *testing.T) {
	t.Parallel()
	l := mapping.Line{SKU: " A-1 ", ItemNumber: "IN-1", UPC: "012345", Custom: map[string]string{"Style Code": "ST-9"}}
	tests := []struct {
		id   mapping.Identifier
		want string
	}{
		{mapping.Identifier{Kind: mapping.IdentSKU}, "A-1"},
		{mapping.Identifier{Kind: mapping.IdentItemNumber}, "IN-1"},
		{mapping.Identifier{Kind: mapping.IdentUPC}, "012345"},
		{mapping.Identifier{Kind: mapping.IdentCustom, Field: "Style Code"}, "ST-9"},
		{mapping.Identifier{Kind: mapping.IdentCustom, Field: "style_code"}, ""},
		{mapping.Identifier{Kind: mapping.IdentCustom, Field: "  style   CODE"}, "ST-9"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.id.Value(l), tt.id.String())
	}
	s := veeqo.Sellable{SKUCode: "A-1", UPCCode: "012345"}
	require.Equal(t, "A-1", mapping.Identifier{Kind: mapping.IdentItemNumber}.FromSellable(s))
	require.Equal(t, "012345", mapping.Identifier{Kind: mapping.IdentUPC}.FromSellable(s))
}

func newResolver(t *testing.T, stub *stubVeeqo, id string, defaultSKU string) *mapping.Resolver {
	t.Helper()
	ident, err := mapping.ParseIdentifier(id)
	require.NoError(t, err)
	r, err := mapping.NewResolver(stub, ident, defaultSKU)
	require.NoError(t, err)
	return r
}

// got is the comparable part of a resolved line.
type got struct {
	Line       int
	Ref        string
	Wanted     string
	SKU        string
	Substitute string
}

func summarize(res []mapping.ResolvedLine) []got {
	var out []got
	for _, r := range res {
		g := got{r.Line, r.Ref, r.Wanted, r.Sellable.SKUCode, ""}
		if r.Substitution != nil {
			g.Substitute = r.Substitution.String()
		}
		out = append(out, g)
	}
	return out
}

func TestResolve(t *testing.T) {
	t.Parallel()
	stub := newStub()
	stub.addSKUs("A-1", "B-2", "MISC")
	tests := []struct {
		name    string
		id      string
		dflt    string
		lines   []mapping.Line
		want    []got
		wantErr string
	}{
		{"by sku", "sku", "MISC", []mapping.Line{{Ref: "L1", SKU: "A-1"}, {Ref: "L2", SKU: " B-2 "}},
			[]got{{1, "L1", "A-1", "A-1", ""}, {2, "L2", "B-2", "B-2", ""}}, ""},
		{"by item number", "item_number", "", []mapping.Line{{Ref: "L1", SKU: "nope", ItemNumber: "B-2"}},
			[]got{{1, "L1", "B-2", "B-2", ""}}, ""},
		{"by upc", "upc", "", []mapping.Line{{Ref: "L1", UPC: "00000002"}},
			[]got{{1, "L1", "00000002", "B-2", ""}}, ""},
		{"by custom field", "custom:style", "", []mapping.Line{{Ref: "L1", Custom: map[string]string{"style": "A-1"}}},
			[]got{{1, "L1", "A-1", "A-1", ""}}, ""},
		{"sku match is case-sensitive", "sku", "MISC", []mapping.Line{{Ref: "L1", SKU: "a-1"}},
			[]got{{1, "L1", "a-1", "MISC", `line 1 (L1): sku "a-1" is not in Veeqo's catalogue (sku_code); default SKU "MISC" used`}}, ""},
		{"missing identifier uses default", "item_number", "MISC", []mapping.Line{{Ref: "L1", SKU: "A-1"}, {ItemNumber: "A-1"}},
			[]got{{1, "L1", "", "MISC", `line 1 (L1): line has no item_number; default SKU "MISC" used`}, {2, "", "A-1", "A-1", ""}}, ""},
		{"no default", "sku", "", []mapping.Line{{Ref: "L1", SKU: "A-1"}, {Ref: "L2", SKU: "Z-9"}, {Ref: "L3"}},
			[]got{{1, "L1", "A-1", "A-1", ""}},
			`mapping: line 2 (L2): sku "Z-9" is not in Veeqo's catalogue (sku_code) and no default SKU is set` + "\n" +
				`mapping: line 3 (L3): line has no sku and no default SKU is set`},
		{"default not in catalogue", "upc", "GONE", []mapping.Line{{UPC: "999"}},
			nil, `mapping: line 1: upc "999" is not in Veeqo's catalogue (upc_code), and the default SKU "GONE" is not in Veeqo's catalogue either`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newResolver(t, stub, tt.id, tt.dflt)
			res, err := r.Resolve(context.Background(), tt.lines)
			if tt.wantErr == "" {
				require.NoError(t, err)
			} else {
				require.EqualError(t, err, tt.wantErr)
				require.ErrorIs(t, err, mapping.ErrItemNotFound)
				var le *mapping.LineError
				require.ErrorAs(t, err, &le)
				require.NotZero(t, le.Line)
			}
			if diff := cmp.Diff(tt.want, summarize(res)); diff != "" {
				t.Errorf("resolved (-want +got):\n%s", diff)
			}
			for _, rl := range res {
				require.NotZero(t, rl.Sellable.ID, "the sellable id the engine remembers")
				require.NotZero(t, rl.Sellable.ProductID)
			}
		})
	}
}

func TestResolveCachesNegativesAndPositives(t *testing.T) {
	t.Parallel()
	stub := newStub()
	stub.addSKUs("A-1", "MISC")
	r := newResolver(t, stub, "sku", "MISC")
	ctx := context.Background()
	for range 5 {
		res, err := r.Resolve(ctx, []mapping.Line{{SKU: "A-1"}, {SKU: "NOPE"}})
		require.NoError(t, err)
		require.Len(t, res, 2)
		require.NotNil(t, res[1].Substitution)
	}
	require.Equal(t, 3, stub.Calls("sku"), "A-1, NOPE and the default SKU once each")
	require.Equal(t, 0, stub.Calls("count"), "two unknowns are never worth a count")
	st := r.Stats()
	require.Equal(t, 3, st.ExactLookups)
	require.Equal(t, 12, st.CacheHits)
}

func TestResolveVeeqoErrorIsNotCached(t *testing.T) {
	t.Parallel()
	stub := newStub()
	stub.addSKUs("A-1")
	stub.err = fmt.Errorf("boom: %w", veeqo.ErrServer)
	r := newResolver(t, stub, "sku", "")
	ctx := context.Background()
	_, err := r.Resolve(ctx, []mapping.Line{{SKU: "A-1"}})
	require.ErrorIs(t, err, veeqo.ErrServer)
	require.False(t, errors.Is(err, mapping.ErrItemNotFound), "a Veeqo failure is not a missing item")
	require.EqualError(t, err, `mapping: look up sku "A-1" in Veeqo: boom: veeqo: server error`)
	stub.mu.Lock()
	stub.err = nil
	stub.mu.Unlock()
	res, err := r.Resolve(ctx, []mapping.Line{{SKU: "A-1"}})
	require.NoError(t, err)
	require.Equal(t, "A-1", res[0].Sellable.SKUCode)
	require.Equal(t, 2, stub.Calls("sku"))
}

func TestResolvePlan(t *testing.T) {
	t.Parallel()
	skus := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("SKU-%03d", i))
		}
		return out
	}
	linesFor := func(values []string) []mapping.Line {
		var out []mapping.Line
		for _, v := range values {
			out = append(out, mapping.Line{SKU: v}, mapping.Line{SKU: v}) // repeats are one identifier
		}
		return out
	}
	tests := []struct {
		name      string
		catalogue int // products
		count     int // what the count says; -2 for the real size
		wanted    int // distinct identifiers in the batch
		preload   bool
		calls     map[string]int
	}{
		{"two unknowns: no count", 50, -2, 2, false, map[string]int{"sku": 2}},
		{"small catalogue: preload", 50, -2, 3, true, map[string]int{"count": 1, "products": 1}},
		{"pages equal unknowns: exact", 250, -2, 3, false, map[string]int{"count": 1, "sku": 3}},
		{"pages fewer than unknowns: preload", 250, -2, 4, true, map[string]int{"count": 1, "products": 3}},
		{"big catalogue: exact", 5000, -2, 20, false, map[string]int{"count": 1, "sku": 20}},
		{"unknown size: exact", 50, -1, 5, false, map[string]int{"count": 1, "sku": 5}},
		{"empty catalogue: one page", 0, -2, 5, true, map[string]int{"count": 1, "products": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stub := newStub()
			all := skus(tt.catalogue)
			stub.addSKUs(all...)
			stub.count = tt.count
			r := newResolver(t, stub, "sku", "")
			want := skus(tt.wanted)
			res, err := r.Resolve(context.Background(), linesFor(want))
			if tt.catalogue >= tt.wanted {
				require.NoError(t, err)
				require.Len(t, res, 2*tt.wanted)
			} else {
				require.ErrorIs(t, err, mapping.ErrItemNotFound)
			}
			for _, name := range []string{"sku", "count", "products"} {
				require.Equal(t, tt.calls[name], stub.Calls(name), name)
			}
			require.Equal(t, tt.preload, r.Stats().Preloads == 1)
			// Everything is cached now: a second pass costs nothing.
			before := stub.Calls("sku") + stub.Calls("products") + stub.Calls("count")
			_, _ = r.Resolve(context.Background(), linesFor(want))
			require.Equal(t, before, stub.Calls("sku")+stub.Calls("products")+stub.Calls("count"))
		})
	}
}

func TestPreloadIndexesUPCAndSkipsDeleted(t *testing.T) {
	t.Parallel()
	stub := newStub()
	stub.addSKUs("A", "B", "C", "D")
	deleted := veeqo.Product{ID: 1, DeletedAt: &[]veeqo.Product{{}}[0].CreatedAt,
		Sellables: []veeqo.Sellable{{ID: 1, SKUCode: "OLD", UPCCode: "111"}}}
	stub.products = append(stub.products, deleted)
	r := newResolver(t, stub, "upc", "")
	lines := []mapping.Line{{UPC: "00000001"}, {UPC: "00000002"}, {UPC: "00000003"}, {UPC: "111"}}
	require.NoError(t, r.Prefetch(context.Background(), lines))
	require.Equal(t, 1, r.Stats().Preloads)
	res, err := r.Resolve(context.Background(), lines)
	require.ErrorIs(t, err, mapping.ErrItemNotFound, "the deleted product's UPC is not served")
	require.Len(t, res, 3)
	require.Equal(t, "C", res[2].Sellable.SKUCode)
	require.Equal(t, "Product C", res[2].Sellable.ProductTitle)
	require.Equal(t, 0, stub.Calls("upc"), "after a preload nothing is looked up one by one")
}

func TestResolveConcurrent(t *testing.T) {
	t.Parallel()
	stub := newStub()
	stub.addSKUs("A-1", "B-2")
	stub.gate = make(chan struct{})
	r := newResolver(t, stub, "sku", "")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			sku := []string{"A-1", "B-2"}[i%2]
			res, err := r.Resolve(context.Background(), []mapping.Line{{SKU: sku}})
			if err == nil && res[0].Sellable.SKUCode != sku {
				err = fmt.Errorf("got %q for %q", res[0].Sellable.SKUCode, sku)
			}
			errs <- err
		})
	}
	close(stub.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 2, stub.Calls("sku"), "concurrent lookups of one SKU share one call")
}

func TestNewResolverErrors(t *testing.T) {
	t.Parallel()
	_, err := mapping.NewResolver(nil, mapping.Identifier{}, "")
	require.Error(t, err)
	_, err = mapping.NewResolver(newStub(), mapping.Identifier{Kind: mapping.IdentCustom}, "")
	require.ErrorIs(t, err, mapping.ErrBadIdentifier)
}
