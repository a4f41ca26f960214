package sync_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"time"

	vsync "github.com/xoroerp/veeqoconnect/sync"
)

func TestMemoryERP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := vsync.NewMemoryERP(order("SO-2", "MUG-1:2"), order("SO-1", "TEE-1:1"))
	amz := vsync.ERPOrder{Ref: "AMZ-1", Number: "X-1", MarketplaceRef: "111-222", Lines: []vsync.ERPLine{{Ref: "1", Quantity: 1, Allocated: 1}}}
	m.Put(amz)

	var refs []string
	for o, err := range m.Candidates(ctx, vsync.CandidateQuery{}) {
		require.NoError(t, err)
		refs = append(refs, o.Ref)
	}
	assert.Equal(t, []string{"SO-1", "SO-2"}, refs, "waved only, in ref order")

	got, err := m.FindOrder(ctx, vsync.FindQuery{Number: "111-222"})
	require.NoError(t, err)
	assert.Equal(t, "AMZ-1", got.Ref)
	_, err = m.FindOrder(ctx, vsync.FindQuery{Number: "nope"})
	require.ErrorIs(t, err, vsync.ErrERPOrderNotFound)
	_, err = m.Order(ctx, "nope")
	require.ErrorIs(t, err, vsync.ErrERPOrderNotFound)

	u := vsync.ShipmentUpdate{ShipmentID: 9, OrderRef: "SO-2", Status: vsync.OrderPartiallyShipped,
		Lines: []vsync.LineUpdate{{LineRef: "1", ShipQuantity: 1, ShippedTotal: 1}}}
	require.NoError(t, m.ApplyShipment(ctx, u))
	require.NoError(t, m.ApplyShipment(ctx, u), "idempotent")
	o, err := m.Order(ctx, "SO-2")
	require.NoError(t, err)
	assert.Equal(t, 1, o.Lines[0].Shipped, "applied once")
	assert.Equal(t, 1, o.Lines[0].Allocated)

	data, err := json.Marshal(m)
	require.NoError(t, err)
	back := vsync.NewMemoryERP()
	require.NoError(t, json.Unmarshal(data, back))
	if d := cmp.Diff(m.Orders(), back.Orders()); d != "" {
		t.Errorf("orders after round trip (-want +got):\n%s", d)
	}
	require.NoError(t, back.ApplyShipment(ctx, u), "still idempotent after a reload")
	o, err = back.Order(ctx, "SO-2")
	require.NoError(t, err)
	assert.Equal(t, 1, o.Lines[0].Shipped)
	require.ErrorContains(t, json.Unmarshal([]byte(`{"orders":[{"ref":"A"},{"ref":"A"}]}`), back), `orders[1]: duplicate ref "A"`)
}

// FuzzParseSettings: any document either parses into settings that
// validate and round-trip, or fails with an invalid-settings error; never a
// panic.
func FuzzParseSettings(f *testing.F) {
	f.Add([]byte(`{"account":"a","export_orders":true,"hour":6,"time_zone":"(UTC-08:00) Pacific Time (US and Canada)"}`))
	f.Add([]byte(`{"account":"a","fetch_fulfillments":true,"filters":[{"field":"number","operator":"Starts With","value":"111-"}]}`))
	f.Add([]byte(`{"account":"a","export_orders":true,"carrier_mapping":[{"erp_name":"UPS","veeqo_name":"UPS"}],"repeat_interval":3600}`))
	f.Add([]byte(`{"start_date":"2026-13-01","minute":99}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := vsync.ParseSettings(data)
		if err != nil {
			require.ErrorIs(t, err, vsync.ErrInvalidSettings)
			return
		}
		out, err := json.Marshal(s)
		require.NoError(t, err)
		back, err := vsync.ParseSettings(out)
		require.NoError(t, err, "%s", out)
		out2, err := json.Marshal(back)
		require.NoError(t, err)
		require.JSONEq(t, string(out), string(out2))
	})
}

// FindOrder answers from the orders as they are now: a replaced order is
// found by its new number only, a deleted one not at all, and of several
// orders sharing a number (or a marketplace ref) the lowest Ref wins.
func TestMemoryERPFindOrderFollowsPutAndDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := vsync.NewMemoryERP(
		vsync.ERPOrder{Ref: "B", Number: "N-1"},
		vsync.ERPOrder{Ref: "A", Number: "N-2", MarketplaceRef: "N-1"},
		vsync.ERPOrder{Ref: "C", Number: "N-3"},
	)
	got, err := m.FindOrder(ctx, vsync.FindQuery{Number: "N-1"})
	require.NoError(t, err)
	assert.Equal(t, "A", got.Ref, "the lowest ref of those matching by number or marketplace ref")

	m.Put(vsync.ERPOrder{Ref: "A", Number: "N-2"}) // marketplace ref dropped
	got, err = m.FindOrder(ctx, vsync.FindQuery{Number: "N-1"})
	require.NoError(t, err)
	assert.Equal(t, "B", got.Ref)

	m.Put(vsync.ERPOrder{Ref: "C", Number: "N-9"})
	_, err = m.FindOrder(ctx, vsync.FindQuery{Number: "N-3"})
	require.ErrorIs(t, err, vsync.ErrERPOrderNotFound, "the old number no longer finds the replaced order")
	got, err = m.FindOrder(ctx, vsync.FindQuery{MarketplaceRef: "N-9"})
	require.NoError(t, err)
	assert.Equal(t, "C", got.Ref)

	m.Delete("B")
	_, err = m.FindOrder(ctx, vsync.FindQuery{Number: "N-1"})
	require.ErrorIs(t, err, vsync.ErrERPOrderNotFound)

	var back vsync.MemoryERP
	b, err := json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &back))
	got, err = back.FindOrder(ctx, vsync.FindQuery{Number: "N-2"})
	require.NoError(t, err, "a loaded ERP is indexed too")
	assert.Equal(t, "A", got.Ref)
}

// NotCandidates says why the orders Candidates leaves out are not
// candidates.
func TestNotCandidatesCountsReasons(t *testing.T) {
	t.Parallel()
	early := order("SO-OLD", "MUG-1:1")
	early.CreatedAt = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	unwaved := order("SO-NEW", "MUG-1:1")
	unwaved.Wave = ""
	m := vsync.NewMemoryERP(order("SO-1", "MUG-1:1"), early, unwaved, order("SO-2", "MUG-1:1"))
	q := vsync.CandidateQuery{Since: time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC), Search: "so-1"}
	n := 0
	for _, err := range m.Candidates(context.Background(), q) {
		require.NoError(t, err)
		n++
	}
	require.Equal(t, 1, n)
	require.Equal(t, map[string]int{vsync.NotWaved: 1, vsync.BeforeStartDate: 1, vsync.NotMatchedSearch: 1}, m.NotCandidates(q))
	require.Empty(t, m.NotCandidates(vsync.CandidateQuery{Refs: []string{"SO-9"}}))
}
