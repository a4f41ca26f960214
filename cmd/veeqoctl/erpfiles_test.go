package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	vsync "github.com/xoroerp/veeqoconnect/sync"
)

const twoOrders = `[
 {"ref": "SO-1", "store": "Web", "wave": "W1", "created_at": "2026-11-01T10:00:00Z",
  "customer": {"email": "a@example.com"}, "ship_to": {"country": "US"},
  "lines": [{"ref": "1", "sku": "MUG-1", "quantity": 3, "unit_price": "2.50"}, {"ref": "2", "sku": "TEE-1", "quantity": 1, "unit_price": 4}]},
 {"ref": "SO-2", "number": "N-2", "store": "Web", "created_at": "2026-11-02T10:00:00Z",
  "customer": {"email": "b@example.com"}, "ship_to": {"country": "US"},
  "lines": [{"ref": "1", "sku": "CAP-1", "quantity": 1, "unit_price": "1"}]}
]`

func newTestERP(t *testing.T, orders string) (*fileERP, string) {
	t.Helper()
	dir := t.TempDir()
	op, sp := filepath.Join(dir, "orders.json"), filepath.Join(dir, "shipments.jsonl")
	require.NoError(t, os.WriteFile(op, []byte(orders), 0o644))
	e := newFileERP(op, sp)
	e.now = func() time.Time { return time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC) }
	return e, sp
}

func update(key int64, ref string, lines ...vsync.LineUpdate) vsync.ShipmentUpdate {
	return vsync.ShipmentUpdate{ShipmentID: key, OrderRef: ref, Status: vsync.OrderPartiallyShipped, Lines: lines,
		TrackingNumbers: []string{fmt.Sprintf("T%d", key)}, ShippedAt: time.Date(2026, 11, 3, 11, 0, 0, 0, time.UTC)}
}

func TestFileERPOrders(t *testing.T) {
	t.Parallel()
	e, _ := newTestERP(t, twoOrders)
	ctx := context.Background()
	o, err := e.Order(ctx, "SO-1")
	require.NoError(t, err)
	require.Equal(t, "SO-1", o.Number, "the number defaults to the reference")
	require.Equal(t, "11.5", o.Total.String(), "the total defaults to the lines (3 x 2.50 + 1 x 4)")
	require.Equal(t, 3, o.Lines[0].Allocated, "a line starts fully allocated")
	var refs []string
	for c, err := range e.Candidates(ctx, vsync.CandidateQuery{}) {
		require.NoError(t, err)
		refs = append(refs, c.Ref)
	}
	require.Equal(t, []string{"SO-1"}, refs, "only waved orders are candidates")
	got, err := e.FindOrder(ctx, vsync.FindQuery{Number: "N-2"})
	require.NoError(t, err)
	require.Equal(t, "SO-2", got.Ref)
	_, err = e.Order(ctx, "SO-404")
	require.ErrorIs(t, err, vsync.ErrERPOrderNotFound)

	// The file is read again when it changes.
	require.NoError(t, os.WriteFile(e.ordersPath, []byte(strings.Replace(twoOrders, `"number": "N-2", "store": "Web",`, `"number": "N-2", "store": "Web", "wave": "W2",`, 1)), 0o644))
	refs = nil
	for c, err := range e.Candidates(ctx, vsync.CandidateQuery{}) {
		require.NoError(t, err)
		refs = append(refs, c.Ref)
	}
	require.Equal(t, []string{"SO-1", "SO-2"}, refs)
}

func TestFileERPApplyOncePerKey(t *testing.T) {
	t.Parallel()
	e, sp := newTestERP(t, twoOrders)
	ctx := context.Background()
	u1 := update(101, "SO-1", vsync.LineUpdate{LineRef: "1", ShipQuantity: 2, ShippedTotal: 2})
	require.NoError(t, e.ApplyShipment(ctx, u1))
	require.NoError(t, e.ApplyShipment(ctx, u1), "the same key again changes nothing")
	o, err := e.Order(ctx, "SO-1")
	require.NoError(t, err)
	require.Equal(t, 2, o.Lines[0].Shipped)
	require.Equal(t, vsync.OrderPartiallyShipped, o.Status)

	// A new process (a fresh fileERP) reads the keys back from the file and
	// the orders' current data with them.
	e2 := newFileERP(e.ordersPath, sp)
	e2.now = e.now
	require.NoError(t, e2.ApplyShipment(ctx, u1))
	o, err = e2.Order(ctx, "SO-1")
	require.NoError(t, err)
	require.Equal(t, 2, o.Lines[0].Shipped, "the journal is applied once on load")
	u2 := update(102, "SO-1", vsync.LineUpdate{LineRef: "1", ShipQuantity: 1, ShippedTotal: 3, Close: true})
	u2.Status, u2.Final = vsync.OrderShipped, true
	require.NoError(t, e2.ApplyShipment(ctx, u2))

	data, err := os.ReadFile(sp)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	require.Len(t, lines, 2)
	want := `{"shipment_id":102,"allocation_id":0,"veeqo_order_id":0,"order_ref":"SO-1","status":"shipped","tracking_numbers":["T102"],"lines":[{"line_ref":"1","ship_quantity":1,"shipped_total":3,"close":true,"unallocate":0}],"final":true,"shipped_at":"2026-11-03T11:00:00Z","applied_at":"` +
		e2.now().UTC().Format(time.RFC3339Nano) + `"}`
	require.JSONEq(t, want, lines[1])

	// An update for an unknown order is refused and writes nothing.
	err = e2.ApplyShipment(ctx, update(103, "SO-404"))
	require.ErrorIs(t, err, vsync.ErrERPOrderNotFound)
	data2, err := os.ReadFile(sp)
	require.NoError(t, err)
	require.Equal(t, data, data2)
}

func TestFileERPTornLastLine(t *testing.T) {
	t.Parallel()
	e, sp := newTestERP(t, twoOrders)
	ctx := context.Background()
	require.NoError(t, e.ApplyShipment(ctx, update(201, "SO-1", vsync.LineUpdate{LineRef: "1", ShipQuantity: 1, ShippedTotal: 1})))
	// A crash cut the next line short.
	f, err := os.OpenFile(sp, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"key":202,"order_ref":"SO-1","sta`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	e2 := newFileERP(e.ordersPath, sp)
	o, err := e2.Order(ctx, "SO-1")
	require.NoError(t, err, "a torn last line is tolerated")
	require.Equal(t, 1, o.Lines[0].Shipped, "and not applied")
	// The engine offers 202 again; it is written whole, after the cut.
	require.NoError(t, e2.ApplyShipment(ctx, update(202, "SO-1", vsync.LineUpdate{LineRef: "1", ShipQuantity: 1, ShippedTotal: 2})))
	data, err := os.ReadFile(sp)
	require.NoError(t, err)
	require.Equal(t, 2, bytes.Count(data, []byte("\n")))
	require.NotContains(t, string(data), `"sta{`)
	e3 := newFileERP(e.ordersPath, sp)
	o, err = e3.Order(ctx, "SO-1")
	require.NoError(t, err)
	require.Equal(t, 2, o.Lines[0].Shipped)
}

func TestFileERPBadJournalLine(t *testing.T) {
	t.Parallel()
	e, sp := newTestERP(t, twoOrders)
	require.NoError(t, os.WriteFile(sp, []byte("{\"key\":1,\"order_ref\":\"SO-1\",\"lines\":[]}\nnot json\n"), 0o644))
	_, err := e.Order(context.Background(), "SO-1")
	require.ErrorContains(t, err, "line 2")
	err = e.ApplyShipment(context.Background(), update(5, "SO-1"))
	require.ErrorContains(t, err, "line 2", "nothing is appended after a line that cannot be read")
}

func TestParseOrdersProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		doc     string
		fatal   []problem // the file as a whole is unusable
		invalid []invalidOrder
		valid   []string
	}{
		{name: "empty file", doc: ``},
		{name: "empty array", doc: `[]`},
		{name: "not JSON", doc: "[\n{\"reference\": }\n]", fatal: []problem{{Problem: "invalid JSON at line 2, column 16: invalid character '}' looking for beginning of value"}}},
		{name: "not an array", doc: `{"ref": "A"}`, fatal: []problem{{Problem: "want a JSON array of orders, got an object"}}},
		{name: "every problem at once, each order on its own", doc: `[
		  {"ref": "", "created_at": "2026-11-01T00:00:00Z", "lines": [{"ref": "1", "quantity": 0, "unit_price": "-1"}], "colour": "red"},
		  {"ref": "A", "created_at": "yesterday", "lines": [{"ref": "1", "quantity": "two"}]},
		  {"ref": "B", "created_at": "2026-11-01T00:00:00Z", "lines": []},
		  {"ref": "B", "created_at": "2026-11-01T00:00:00Z", "lines": [{"ref": "1", "quantity": 1}, {"ref": "1", "quantity": 1}]},
		  {"ref": "OK", "created_at": "2026-11-01T00:00:00Z", "lines": [{"ref": "1", "quantity": 1}]}
		]`, invalid: []invalidOrder{
			{Ref: "orders.json[1]", Problems: []problem{
				{Field: "[1].colour", Problem: "unknown field (known fields: bill_to, carrier, created_at, currency, custom_fields, customer, delivery_cost, lines, marketplace_ref, notes, number, ref, ship_service, ship_to, source, status, store, tags, total, wave)"},
				{Field: "[1].ref", Problem: "is required"},
				{Field: "[1].lines[1].quantity", Problem: "must be positive, got 0"},
				{Field: "[1].lines[1].unit_price", Problem: "must not be negative"}}},
			{Ref: "A", Problems: []problem{
				{Field: "[2].created_at", Problem: `parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
				{Field: "[2].lines[1].quantity", Problem: "want an integer, got a string"}}},
			{Ref: "B", Problems: []problem{
				{Field: "[3].lines", Problem: "an order needs at least one line"},
				{Field: "[3].ref", Problem: `"B" is also the reference of [4]`},
				{Field: "[4].lines[2].ref", Problem: `"1" is used by another line of the order`},
				{Field: "[4].ref", Problem: `"B" is also the reference of [3]`}}},
		}, valid: []string{"OK"}},
		{name: "the names of the format before it used vsync.ERPOrder", doc: `[
		  {"reference": "SO-9", "created_at": "2026-11-01T00:00:00Z", "lines": [{"ref": "1", "quantity": 1, "price": "2", "shipped": 3}]}
		]`, invalid: []invalidOrder{
			{Ref: "orders.json[1]", Problems: []problem{
				{Field: "[1].lines[1].price", Problem: `unknown field: it is now called "unit_price"`},
				{Field: "[1].reference", Problem: `unknown field: it is now called "ref"`},
				{Field: "[1].ref", Problem: "is required"},
				{Field: "[1].lines[1].shipped", Problem: "must be between 0 and the quantity (1), got 3"}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseOrders("dir/orders.json", []byte(tt.doc))
			if tt.fatal != nil {
				var pe *problemsError
				require.True(t, errors.As(err, &pe), "error %v", err)
				require.Empty(t, cmp.Diff(tt.fatal, pe.Problems))
				return
			}
			require.NoError(t, err)
			require.Empty(t, cmp.Diff(tt.invalid, got.invalid))
			var refs []string
			for _, o := range got.orders {
				refs = append(refs, o.Ref)
			}
			require.Equal(t, tt.valid, refs)
		})
	}
}

func TestParseConfigProblems(t *testing.T) {
	t.Parallel()
	ok := `{"name": "a", "api_key_env": "K", "orders_file": "o.json", "shipments_file": "s.jsonl", "settings": {"export_orders": true}}`
	tests := []struct {
		name     string
		doc      string
		want     []string // fields with problems
		warnings int
	}{
		{"valid", `{"_comment": "x", "accounts": [` + ok + `]}`, nil, 0},
		{"no accounts", `{"accounts": []}`, []string{"accounts"}, 0},
		{"duplicate names", `{"accounts": [` + ok + `,` + ok + `]}`, []string{"accounts[2].name"}, 0},
		{"key in the file", `{"accounts": [{"name": "a", "api_key": "k", "orders_file": "o", "shipments_file": "s", "settings": {"fetch_fulfillments": true}}]}`, nil, 1},
		{"both stores", `{"accounts": [{"name": "a", "api_key_env": "K", "state": "x.db", "postgres_dsn": "postgres://x", "orders_file": "o", "shipments_file": "s", "settings": {"export_orders": true}}]}`,
			[]string{"accounts[1].postgres_dsn"}, 0},
		{"no direction, no settings", `{"accounts": [{"name": "a", "api_key_env": "K", "orders_file": "o", "shipments_file": "s", "settings": {}}, {"name": "b", "api_key_env": "K", "orders_file": "o", "shipments_file": "s"}]}`,
			[]string{"accounts[1].settings.export_orders", "accounts[2].settings"}, 0},
		{"mail without smtp", `{"accounts": [{"name": "a", "api_key_env": "K", "orders_file": "o", "shipments_file": "s", "settings": {"export_orders": true, "instant_error_emails": {"enabled": true, "recipients": "ops@example.com"}}}]}`,
			[]string{"accounts[1].smtp"}, 0},
		{"bad smtp", `{"accounts": [{"name": "a", "api_key_env": "K", "orders_file": "o", "shipments_file": "s", "settings": {"export_orders": true}, "smtp": {"host": "", "tls": "ssl", "from": "nobody", "username": "u", "daily_at": "25:00"}}]}`,
			[]string{"accounts[1].smtp.host", "accounts[1].smtp.tls", "accounts[1].smtp.from", "accounts[1].smtp.password_env", "accounts[1].smtp.daily_at"}, 0},
		{"bad lease", `{"accounts": [{"name": "a", "api_key_env": "K", "orders_file": "o", "shipments_file": "s", "lease_ttl": "10ms", "settings": {"export_orders": true}}]}`,
			[]string{"accounts[1].lease_ttl"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := parseConfig("veeqoctl.json", []byte(tt.doc))
			if tt.want == nil {
				require.NoError(t, err)
				require.Len(t, cfg.Warnings, tt.warnings)
				return
			}
			var pe *problemsError
			require.True(t, errors.As(err, &pe), "error %v", err)
			var fields []string
			for _, p := range pe.Problems {
				fields = append(fields, p.Field)
			}
			require.Empty(t, cmp.Diff(tt.want, fields), "problems: %v", pe.Problems)
		})
	}
}

func TestProgressOnTerminal(t *testing.T) {
	t.Parallel()
	clk := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	now := func() time.Time { return clk }
	var buf bytes.Buffer
	p := &progress{w: &buf, tty: true, now: now}
	p.start("export", 4, "")
	clk = clk.Add(2 * time.Second)
	p.step("SO-1")
	clk = clk.Add(2 * time.Second)
	p.step("SO-22")
	p.note("stopping")
	p.end()
	want := "export: 4 candidate orders\n" +
		"\rexport [#######.......................] 1/4 (elapsed 2s, 0.5/s, about 6s left) SO-1" +
		"\rexport [###############...............] 2/4 (elapsed 4s, 0.5/s, about 4s left) SO-22" +
		"\nstopping\n"
	require.Equal(t, want, buf.String())

	// A silent phase says what it is doing, then how far.
	buf.Reset()
	p = &progress{w: &buf, tty: true, now: now}
	p.doing("loading the catalogue (products)", 0, 250)
	p.doing("loading the catalogue (products)", 100, 250)
	p.end()
	require.Equal(t, "\rloading the catalogue (products): 0/250\rloading the catalogue (products): 100/250\n", buf.String())

	// Fetch mode has a total of orders to read.
	buf.Reset()
	p = &progress{w: &buf, tty: true, now: now}
	p.counted("fetch", "orders read", 10)
	clk = clk.Add(time.Second)
	p.tick("111-1")
	p.shipment("111-1", 5)
	p.end()
	require.Equal(t, "fetch: 10 Veeqo orders to read\n"+
		"\rfetch [###...........................] 1/10 orders read (elapsed 1s, 1.0/s, about 9s left) 111-1"+
		"\rfetch [###...........................] 1/10 orders read (elapsed 1s, 1.0/s, about 9s left), 1 shipment applied 111-1\n", buf.String())

	var plain bytes.Buffer
	p = &progress{w: &plain}
	p.start("export", 2, "of 4 in the orders file: 1 created before the start date, 1 not in a wave")
	p.step("SO-1")
	p.doing("listing Veeqo orders", 1, 0)
	p.doing("listing Veeqo orders", 2, 0)
	p.shipment("SO-1", 7)
	p.end()
	require.Equal(t, "export: 2 candidate orders (of 4 in the orders file: 1 created before the start date, 1 not in a wave)\n"+
		"export 1/2 SO-1\nlisting Veeqo orders...\nshipment 7 applied to SO-1 (1 so far)\n", plain.String())

	var nilp *progress // a nil progress shows nothing and does not panic
	nilp.start("export", 1, "")
	nilp.step("x")
	nilp.doing("x", 1, 1)
	nilp.end()
}

func TestExplainCandidates(t *testing.T) {
	t.Parallel()
	require.Equal(t, "", explainCandidates(3, nil))
	require.Equal(t, "of 6 in the orders file: 1 invalid (see the errors), 2 not in a wave",
		explainCandidates(3, map[string]int{"not in a wave": 2, "invalid (see the errors)": 1}))
}

// A voided shipment's withdrawal and the closing of an order Veeqo
// cancelled are journal lines of their own kind: applied once each, even
// though a void carries its shipment's id, and read back by a new process.
func TestFileERPVoidAndCancelKinds(t *testing.T) {
	t.Parallel()
	e, sp := newTestERP(t, twoOrders)
	ctx := context.Background()
	ship := update(101, "SO-1", vsync.LineUpdate{LineRef: "1", ShipQuantity: 2, ShippedTotal: 2, Close: true})
	require.NoError(t, e.ApplyShipment(ctx, ship))
	void := vsync.ShipmentUpdate{Kind: vsync.KindVoid, ShipmentID: 101, OrderRef: "SO-1", Status: vsync.OrderOpen, TrackingNumbers: []string{"T101"},
		Lines: []vsync.LineUpdate{{LineRef: "1", ShipQuantity: -2, ShippedTotal: 0, Reopen: true}}}
	require.NoError(t, e.ApplyShipment(ctx, void), "same shipment id, another kind")
	require.NoError(t, e.ApplyShipment(ctx, void), "a void again changes nothing")
	o, err := e.Order(ctx, "SO-1")
	require.NoError(t, err)
	require.Equal(t, 0, o.Lines[0].Shipped)
	require.False(t, o.Lines[0].Closed)
	require.Equal(t, vsync.OrderOpen, o.Status)

	cancel := vsync.ShipmentUpdate{Kind: vsync.KindCancel, VeeqoOrderID: 7001, OrderRef: "SO-1", Status: vsync.OrderClosed, Final: true,
		Lines: []vsync.LineUpdate{{LineRef: "1", ShippedTotal: 0, Close: true, Unallocate: 2}}}
	require.NoError(t, e.ApplyShipment(ctx, cancel))
	require.NoError(t, e.ApplyShipment(ctx, cancel))

	e2 := newFileERP(e.ordersPath, sp)
	o, err = e2.Order(ctx, "SO-1")
	require.NoError(t, err)
	require.True(t, o.Lines[0].Closed)
	require.Equal(t, vsync.OrderClosed, o.Status)
	require.NoError(t, e2.ApplyShipment(ctx, void))
	require.NoError(t, e2.ApplyShipment(ctx, cancel))
	data, err := os.ReadFile(sp)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	require.Len(t, lines, 3, "one line per key")
	require.Contains(t, lines[1], `"kind":"void","shipment_id":101`)
	require.Contains(t, lines[2], `"kind":"cancel"`)
	require.Contains(t, lines[2], `"veeqo_order_id":7001`)
}

// TestJournalWrittenBeforeTheLibraryShapeIsRead: a shipments journal written
// by an earlier veeqoctl (fields key, service, shipped, closed, reopened,
// unallocated) is read as the same updates, keys and all, so nothing it
// recorded is applied twice; new lines are written in the library's shape.
func TestJournalWrittenBeforeTheLibraryShapeIsRead(t *testing.T) {
	t.Parallel()
	legacy := []string{
		`{"key":90000001,"order_ref":"SO-1","status":"partially_shipped","tracking_numbers":["1Z1"],"carrier":"UPS Ground","service":"Ground","veeqo_carrier":"UPS","veeqo_service":"Standard","lines":[{"line_ref":"1","shipped":2,"shipped_total":2,"closed":true,"unallocated":1}],"final":false,"allocation_id":80000001,"veeqo_order_id":2147483700,"veeqo_order_number":"SO-1","shipped_at":"2026-11-02T16:00:00Z","applied_at":"2026-11-02T16:05:00Z"}`,
		`{"kind":"void","key":90000001,"order_ref":"SO-1","status":"open","lines":[{"line_ref":"1","shipped":-2,"shipped_total":0,"closed":false,"reopened":true,"unallocated":-1}],"final":false,"veeqo_order_id":2147483700,"shipped_at":"2026-11-02T17:00:00Z","applied_at":"2026-11-02T17:05:00Z"}`,
		`{"kind":"cancel","key":2147483700,"order_ref":"SO-1","status":"closed","lines":[{"line_ref":"1","shipped":0,"shipped_total":0,"closed":true,"unallocated":3}],"final":true,"shipped_at":"2026-11-02T18:00:00Z","applied_at":"2026-11-02T18:05:00Z"}`,
	}
	at := func(h int) time.Time { return time.Date(2026, 11, 2, h, 0, 0, 0, time.UTC) }
	want := []vsync.ShipmentUpdate{
		{ShipmentID: 90000001, AllocationID: 80000001, VeeqoOrderID: 2147483700, VeeqoOrderNumber: "SO-1", OrderRef: "SO-1",
			Lines:  []vsync.LineUpdate{{LineRef: "1", ShipQuantity: 2, ShippedTotal: 2, Close: true, Unallocate: 1}},
			Status: vsync.OrderPartiallyShipped, TrackingNumbers: []string{"1Z1"}, Carrier: "UPS Ground", ShipService: "Ground",
			VeeqoCarrier: "UPS", VeeqoService: "Standard", ShippedAt: at(16)},
		{Kind: vsync.KindVoid, ShipmentID: 90000001, VeeqoOrderID: 2147483700, OrderRef: "SO-1", Status: vsync.OrderOpen,
			Lines: []vsync.LineUpdate{{LineRef: "1", ShipQuantity: -2, Reopen: true, Unallocate: -1}}, ShippedAt: at(17)},
		{Kind: vsync.KindCancel, VeeqoOrderID: 2147483700, OrderRef: "SO-1", Status: vsync.OrderClosed, Final: true,
			Lines: []vsync.LineUpdate{{LineRef: "1", Close: true, Unallocate: 3}}, ShippedAt: at(18)},
	}
	for i, line := range legacy {
		got, err := decodeJournalLine([]byte(line))
		require.NoError(t, err, "line %d", i+1)
		require.Empty(t, cmp.Diff(want[i], got), "line %d", i+1)
		// The same update in the library's shape reads the same.
		cur, err := json.Marshal(journalLine{ShipmentUpdate: journalForm(want[i]), AppliedAt: at(19)})
		require.NoError(t, err)
		again, err := decodeJournalLine(cur)
		require.NoError(t, err)
		require.Empty(t, cmp.Diff(want[i], again), "line %d in the library's shape", i+1)
	}

	// A journal with the legacy lines: each key is known, so offering the
	// same updates again writes nothing; a new one is written in the
	// library's shape.
	e, sp := newTestERP(t, twoOrders)
	require.NoError(t, os.WriteFile(sp, []byte(strings.Join(legacy, "\n")+"\n"), 0o600))
	e2 := newFileERP(e.ordersPath, sp)
	ctx := context.Background()
	for _, u := range want {
		require.NoError(t, e2.ApplyShipment(ctx, u))
	}
	data, err := os.ReadFile(sp)
	require.NoError(t, err)
	require.Equal(t, strings.Join(legacy, "\n")+"\n", string(data), "no update applied twice")
	require.NoError(t, e2.ApplyShipment(ctx, update(90000003, "SO-2", vsync.LineUpdate{LineRef: "1", ShipQuantity: 1, ShippedTotal: 1})))
	data, err = os.ReadFile(sp)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	require.Len(t, lines, 4)
	require.Contains(t, lines[3], `"shipment_id":90000003`)
	require.Contains(t, lines[3], `"ship_quantity":1`)
}

// TestJournalLineProblems: a journal line without its key, or with an
// unknown kind or field, is an error naming what is wrong.
func TestJournalLineProblems(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]string{
		`{"order_ref":"SO-1","status":"shipped","lines":[]}`:                 "shipment_id (the Veeqo shipment id) is missing",
		`{"kind":"cancel","order_ref":"SO-1","status":"closed","lines":[]}`:  "veeqo_order_id (the key of kind cancel) is missing",
		`{"kind":"return","shipment_id":4,"order_ref":"SO-1","lines":[]}`:    `kind "return" is not "", void or cancel`,
		`{"shipment_id":4,"order_ref":"SO-1","lines":[],"colour":"red"}`:     `unknown field "colour"`,
		`{"key":4,"order_ref":"SO-1","lines":[{"line_ref":"1","shiped":1}]}`: `unknown field "shiped"`,
	} {
		_, err := decodeJournalLine([]byte(line))
		require.ErrorContains(t, err, want, line)
	}
}
