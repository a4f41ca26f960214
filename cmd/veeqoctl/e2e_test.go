package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	stdsync "sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/ops"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// TestExportThenConfirmations: orders from the file are exported, the
// warehouse ships them, and the next run writes one shipments line per
// shipment; a further run adds nothing.
func TestExportThenConfirmations(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), nil)
	unwaved := order("SO-9", "MUG-1:1")
	delete(unwaved, "wave")
	w.writeOrders(order("SO-1", "MUG-1:2", "TEE-1:1"), order("SO-2", "CAP-1:1"), order("SO-3", "UNKNOWN-SKU:4"), unwaved)

	rep, r := w.syncJSON()
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.Equal(t, "succeeded", rep.Status)
	require.Equal(t, 3, rep.Exported)
	require.Equal(t, "export", string(rep.Mode))
	require.Positive(t, rep.VeeqoCalls)
	for _, n := range []string{"SO-1", "SO-2", "SO-3"} {
		require.Len(t, w.srv.OrdersByNumber(n), 1, "order %s in the fake", n)
	}
	require.Empty(t, w.srv.OrdersByNumber("SO-9"), "an order without a wave is not exported")
	require.Empty(t, w.shipmentLines())

	require.Equal(t, 3, w.shipAll())
	rep, r = w.syncJSON()
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.Equal(t, 3, rep.ConfirmationsApplied)
	lines := w.shipmentLines()
	require.Len(t, lines, 3)
	got := map[string]journalLine{}
	for _, l := range lines {
		got[l.OrderRef] = l
	}
	so1 := got["SO-1"]
	require.Equal(t, "shipped", so1.Status)
	require.True(t, so1.Final)
	require.Equal(t, []string{"1ZSO-1"}, so1.TrackingNumbers)
	require.Equal(t, "UPS Ground", so1.Carrier, "the Veeqo carrier mapped back to the ERP's name")
	wantLines := []vsync.LineUpdate{{LineRef: "1", ShipQuantity: 2, ShippedTotal: 2, Close: true}, {LineRef: "2", ShipQuantity: 1, ShippedTotal: 1, Close: true}}
	slices.SortFunc(so1.Lines, func(a, b vsync.LineUpdate) int { return strings.Compare(a.LineRef, b.LineRef) })
	require.Empty(t, cmp.Diff(wantLines, so1.Lines))
	// The default SKU stood in for the unknown item; its shipment maps back
	// to the ERP line through the export's line links.
	require.Equal(t, 4, got["SO-3"].Lines[0].ShipQuantity)

	rep, r = w.syncJSON()
	require.Equal(t, 0, r.code)
	require.Zero(t, rep.ConfirmationsApplied)
	require.Len(t, w.shipmentLines(), 3, "a run with nothing new adds no line")

	// The records and the log of what happened.
	r = w.run("records", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var recs []ops.RecordJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &recs))
	seen := map[string]string{}
	for _, rec := range recs {
		seen[rec.Process+" "+rec.Reference] = rec.Status
	}
	require.Equal(t, "success", seen["export_order SO-1"], "records: %v", seen)
	r = w.run("logs", "--limit", "5")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "MESSAGE")
	require.GreaterOrEqual(t, strings.Count(r.stdout, "\n"), 2)
}

// TestFetchMode: orders born on a marketplace and shipped in Veeqo are
// applied to the ERP orders file's orders.
func TestFetchMode(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := map[string]any{
		"fetch_fulfillments": true,
		"store_mapping":      []map[string]string{{"erp_store": "Amazon", "veeqo_channel": "Amazon US"}},
		"carrier_mapping":    []map[string]string{{"erp_name": "UPS Ground", "veeqo_name": "UPS"}},
		"time_zone":          "UTC",
	}
	w.writeConfig(s, nil)
	var orders []map[string]any
	for i := range 3 {
		num := fmt.Sprintf("114-000000%d", i)
		o := order("AMZ-"+num, "MUG-1:2")
		o["number"], o["store"] = num, "Amazon"
		delete(o, "wave")
		orders = append(orders, o)
		ch := w.chs["Amazon US"]
		vo := w.srv.AddOrder(veeqo.Order{Number: num, Channel: &ch, Customer: &veeqo.Customer{Email: "m" + num + "@marketplace.example"},
			DeliverTo: &veeqo.Address{FirstName: "Bo", Address1: "2 Side St", City: "Austin", Country: "US"},
			LineItems: []veeqo.LineItem{{Sellable: &veeqo.Sellable{ID: w.sku["MUG-1"]}, Quantity: 2}}})
		_, err := w.srv.ShipAll(vo.ID, veeqotest.ShipInfo{TrackingNumber: "TRK" + num, CarrierName: "UPS"})
		require.NoError(t, err)
	}
	w.writeOrders(orders...)
	r := w.run("check")
	require.Equal(t, 0, r.code, "check in fetch mode: %s %s", r.stdout, r.stderr)
	require.Contains(t, r.stdout, "fetch mode, 3 orders")

	rep, r := w.syncJSON()
	require.Equal(t, 0, r.code, "stderr %s; report %+v", r.stderr, rep)
	require.Equal(t, "fetch", string(rep.Mode))
	require.Equal(t, 3, rep.ConfirmationsApplied)
	lines := w.shipmentLines()
	require.Len(t, lines, 3)
	refs := []string{}
	for _, l := range lines {
		refs = append(refs, l.OrderRef)
		require.Equal(t, "shipped", l.Status)
		require.Equal(t, 2, l.Lines[0].ShipQuantity)
	}
	slices.Sort(refs)
	require.Equal(t, []string{"AMZ-114-0000000", "AMZ-114-0000001", "AMZ-114-0000002"}, refs)
	require.Empty(t, w.srv.Count("POST", "/orders"), "fetch mode creates nothing in Veeqo")

	rep, _ = w.syncJSON()
	require.Zero(t, rep.ConfirmationsApplied)
	require.Len(t, w.shipmentLines(), 3)
}

// TestDryRun: filters and mapping are evaluated and reported; nothing is
// written to Veeqo, the ERP file or the records.
func TestDryRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := exportSettings()
	s["filters"] = []map[string]string{{"field": "number", "operator": "not equals", "value": "SO-2"}}
	w.writeConfig(s, nil)
	bad := order("SO-3", "MUG-1:1")
	bad["store"] = "Nowhere"
	w.writeOrders(order("SO-1", "MUG-1:1"), order("SO-2", "TEE-1:1"), bad)

	rep, r := w.syncJSON("--dry-run")
	require.True(t, rep.DryRun)
	require.Equal(t, 1, rep.Skipped, "SO-2 filtered out: %+v", rep.Outcomes)
	require.Equal(t, 1, rep.Failed, "SO-3's store does not map: %+v", rep.Outcomes)
	require.Equal(t, exitPartial, r.code)
	byRef := map[string]ops.OutcomeJSON{}
	for _, o := range rep.Outcomes {
		byRef[o.Reference] = o
	}
	require.Contains(t, byRef["SO-3"].Message, "Nowhere")
	require.Equal(t, "skipped", byRef["SO-2"].Status)
	require.Empty(t, w.srv.Orders(), "a dry run creates nothing in Veeqo")
	require.Zero(t, w.srv.Count("POST", ""), "a dry run sends no POST")
	_, err := os.Stat(filepath.Join(w.dir, "shipments.jsonl"))
	require.True(t, os.IsNotExist(err), "a dry run writes no shipments file")
	r = w.run("records", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	require.JSONEq(t, "[]", r.stdout, "a dry run writes no record")

	// The plain-text summary of a dry run lists every outcome.
	r = w.run("sync", "--dry-run")
	require.Equal(t, exitPartial, r.code)
	require.Contains(t, r.stdout, "dry run (nothing written)")
	require.Contains(t, r.stdout, "SO-2")
	require.Contains(t, r.stdout, "export 1/3 SO-1", "plain progress lines when stdout is not a terminal")
}

// TestBadConfig: every problem is reported at once, each naming its field,
// with a non-zero exit.
func TestBadConfig(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cfg := `{"accounts": [{
	  "name": "acme", "base_url": "ftp://veeqo.example", "api_key_env": "", "colour": "blue",
	  "orders_file": "", "shipments_file": "s.jsonl", "rate_limit": "fast",
	  "settings": {"export_orders": true, "fetch_fulfillments": true, "hour": 25, "minutes": 3,
	    "store_mapping": [{"erp_store": "", "veeqo_channel": "Web Store"}]}
	}]}`
	require.NoError(t, os.WriteFile(filepath.Join(w.dir, "veeqoctl.json"), []byte(cfg), 0o644))
	r := w.run("check")
	require.Equal(t, exitUsage, r.code)
	for _, field := range []string{
		"accounts[1].base_url", "accounts[1].api_key_env", "accounts[1].colour: unknown field", "accounts[1].orders_file",
		"accounts[1].rate_limit: want a number", "accounts[1].settings.export_orders", "accounts[1].settings.hour",
		"accounts[1].settings.minutes: unknown field", "accounts[1].settings.store_mapping",
	} {
		require.Contains(t, r.stderr, field)
	}
	require.Contains(t, r.stderr, "9 problem(s)")

	// Invalid JSON names the line.
	require.NoError(t, os.WriteFile(filepath.Join(w.dir, "veeqoctl.json"), []byte("{\n \"accounts\": [,]\n}"), 0o644))
	r = w.run("sync")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "line 2")

	// A missing config points at init.
	r = w.run("--config", "nope.json", "records")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "veeqoctl init")
}

// TestBadKey: a key Veeqo rejects gives a clear message and a non-zero
// exit, and is never printed.
func TestBadKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), nil)
	w.writeOrders(order("SO-1", "MUG-1:1"))
	w.key = "wrong-key-0123456789abcdef"
	for _, args := range [][]string{{"sync"}, {"sync", "--json"}, {"check"}, {"channels"}} {
		r := w.run(args...)
		require.Equal(t, exitFailure, r.code, "%v: %s %s", args, r.stdout, r.stderr)
		require.Contains(t, r.stdout+r.stderr, "Veeqo rejected the API key (401)", "%v", args)
	}
	require.Empty(t, w.srv.Orders())

	// A key in the file works, with a warning.
	w.writeConfig(exportSettings(), map[string]any{"api_key_env": "", "api_key": w.srv.APIKey()})
	w.key = "unused-" + w.srv.APIKey()
	r := w.run("channels", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "warning: accounts[1].api_key")
	var chs []veeqo.Channel
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &chs))
	require.Len(t, chs, 2)
}

// TestKillMidExportThenRerun: a process killed with SIGKILL in the middle
// of an export, and again in the middle of applying confirmations, leaves
// no duplicate order in Veeqo and no duplicate line in the shipments file
// once rerun.
func TestKillMidExportThenRerun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// The claim the kill leaves before its create is settled at once by
	// the order list, so the rerun converges.
	w.writeConfig(exportSettings(), map[string]any{"in_doubt_settle": "1ms"})
	const n = 8
	var orders []map[string]any
	for i := range n {
		orders = append(orders, order(fmt.Sprintf("SO-%02d", i), "MUG-1:1"))
	}
	w.writeOrders(orders...)

	// The first create is applied by Veeqo but its answer is lost (the
	// outcome is unknown); later creates are slow, so the kill lands with
	// some orders created and one in flight.
	w.srv.CommitThenFail(1, veeqotest.Match("POST", "/orders"))
	w.srv.SetLatencyFor(veeqotest.Match("POST", "/orders"), 200*time.Millisecond)
	w.killWhen("export", func() bool { return w.srv.Count("POST", "/orders") >= 3 })
	w.srv.ClearFaults()
	require.Less(t, len(w.srv.Orders()), n, "the kill landed before the export finished")

	rep, r := w.syncJSON()
	require.Equal(t, 0, r.code, "stderr %s; report %+v", r.stderr, rep)
	t.Logf("rerun after the kill: %d exported, %d reconciled by number", rep.Exported, rep.Reconciled)
	// The order whose answer was lost was found by number (in the killed run
	// or the rerun), not created again.
	r = w.run("logs", "--ref", "SO-00")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "by number")
	for i := range n {
		num := fmt.Sprintf("SO-%02d", i)
		require.Len(t, w.srv.OrdersByNumber(num), 1, "exactly one Veeqo order numbered %s", num)
	}

	// Kill while confirmations are being applied: each apply pauses after
	// its line is durable, before the engine marks the shipment applied.
	require.Equal(t, n, w.shipAll())
	w.env = []string{"VEEQOCTL_TEST_APPLY_DELAY=300ms"}
	w.killWhen("confirmations", func() bool { return len(w.shipmentLines()) >= 2 })
	w.env = nil
	require.Less(t, len(w.shipmentLines()), n, "the kill landed before every confirmation was applied")

	_, r = w.syncJSON()
	require.Equal(t, 0, r.code, r.stderr)
	_, r = w.syncJSON()
	require.Equal(t, 0, r.code, r.stderr)
	lines := w.shipmentLines()
	keys := map[int64]bool{}
	refs := map[string]int{}
	for _, l := range lines {
		require.False(t, keys[l.ShipmentID], "shipment %d appears twice in the shipments file", l.ShipmentID)
		keys[l.ShipmentID] = true
		refs[l.OrderRef]++
	}
	require.Len(t, lines, n)
	require.Len(t, refs, n, "every order got its confirmation")
}

// killWhen starts `sync`, kills it with SIGKILL once cond holds, and waits.
func (w *world) killWhen(what string, cond func() bool) {
	w.t.Helper()
	c := w.cmd("sync", "--quiet")
	require.NoError(w.t, c.Start())
	require.True(w.t, waitUntil(30*time.Second, cond), "%s: condition never held", what)
	require.NoError(w.t, c.Process.Signal(syscall.SIGKILL))
	err := c.Wait()
	require.Error(w.t, err, "%s: the process was killed, not finished", what)
}

// TestInterruptStopsBetweenOrders: SIGINT stops the run after the order in
// hand, with exit 130 and a cancelled report; a rerun finishes the rest.
func TestInterruptStopsBetweenOrders(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), nil)
	const n = 6
	var orders []map[string]any
	for i := range n {
		orders = append(orders, order(fmt.Sprintf("SO-%02d", i), "MUG-1:1"))
	}
	w.writeOrders(orders...)
	w.srv.SetLatencyFor(veeqotest.Match("POST", "/orders"), 200*time.Millisecond)
	c := w.cmd("sync", "--json", "--quiet")
	out := &lockedBuffer{}
	c.Stdout = out
	require.NoError(t, c.Start())
	require.True(t, waitUntil(20*time.Second, func() bool { return w.srv.Count("POST", "/orders") >= 2 }), "the run never created two orders")
	require.NoError(t, c.Process.Signal(syscall.SIGINT))
	err := c.Wait()
	require.Error(t, err)
	require.Equal(t, exitInterrupted, c.ProcessState.ExitCode())
	var rep reportJSON
	require.NoError(t, json.Unmarshal([]byte(out.String()), &rep), out.String())
	require.Equal(t, "cancelled", rep.Status)
	// The order in hand finished: nothing is left in doubt.
	require.Equal(t, rep.Exported, len(w.srv.Orders()))
	require.Zero(t, rep.Failed, "no create was cut off: %+v", rep.Outcomes)
	require.Less(t, rep.Exported, n)

	w.srv.ClearFaults()
	before := rep.Exported
	rep, r := w.syncJSON()
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, n-before, rep.Exported, "the rerun exports the rest")
	require.Len(t, w.srv.Orders(), n)
}

// TestInitThenCheck: the starter config checks clean against a Veeqo that
// has its names, and check lists every unresolved mapping otherwise.
func TestInitThenCheck(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run("init", "--dir", "cfg", "--base-url", w.srv.URL(), "--api-key-env", keyEnv)
	require.Equal(t, 0, r.code, r.stderr)
	for _, f := range []string{"veeqoctl.json", "veeqoctl.config.md", "orders.json", "shipments.example.jsonl"} {
		require.FileExists(t, filepath.Join(w.dir, "cfg", f))
	}
	r = w.run("init", "--dir", "cfg")
	require.Equal(t, exitFailure, r.code, "init does not overwrite without --force")

	r = w.run("--config", "cfg/veeqoctl.json", "check")
	require.Equal(t, 0, r.code, "stdout %s stderr %s", r.stdout, r.stderr)
	require.Contains(t, r.stdout, "API key OK")
	require.Contains(t, r.stdout, "2 orders in the orders file")
	require.Contains(t, r.stdout, "OK: no problems found")

	// A Veeqo without the mapped names: every problem, each naming its field.
	bare := veeqotest.NewServer(t, veeqotest.WithoutRateLimit())
	w2 := &world{t: t, srv: bare, dir: w.dir, key: bare.APIKey()}
	r = w2.run("init", "--dir", "cfg2", "--base-url", bare.URL(), "--api-key-env", keyEnv)
	require.Equal(t, 0, r.code, r.stderr)
	r = w2.run("--config", "cfg2/veeqoctl.json", "check", "--json")
	require.Equal(t, exitFailure, r.code)
	var rep checkReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	var fields []string
	for _, p := range rep.Problems {
		fields = append(fields, p.Field)
	}
	require.Equal(t, []string{
		"accounts[1].settings.store_mapping[1].veeqo_channel",
		"accounts[1].settings.ship_service_mapping[1].veeqo_name",
		"accounts[1].settings.default_sku",
		"orders.json[1].store",        // the orders those mappings serve, by their first order
		"orders.json[1].ship_service", // (SO-1001 and SO-1002 share the store and the service)
		"orders.json[1].lines",        // and every item, by the first order that has it: a Veeqo
		"orders.json[1].lines",        // without the catalogue (nor the default SKU) has none of
		"orders.json[2].lines",        // the starter orders' three items
	}, fields)
	require.Contains(t, rep.Problems[3].Problem, `store "Web", used by order SO-1001 and 1 more: store table: row 1: Veeqo has no channel named "Web Store"`)
}

// TestSchedule: the next run times in the account's zone, across the
// spring-forward change (US, 8 March 2026): 09:30 is 14:30Z in EST and
// 13:30Z in EDT.
func TestSchedule(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := exportSettings()
	s["time_zone"], s["hour"], s["minute"], s["start_date"], s["auto_sync"] = "America/New_York", 9, 30, "2026-03-01", true
	w.writeConfig(s, nil)
	r := w.run("schedule", "--n", "3", "--after", "2026-03-07T15:00:00Z", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var got struct {
		TimeZone string `json:"time_zone"`
		Runs     []struct {
			Local string    `json:"local"`
			UTC   time.Time `json:"utc"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	require.Equal(t, "America/New_York", got.TimeZone)
	var utc, local []string
	for _, x := range got.Runs {
		utc = append(utc, x.UTC.Format(time.RFC3339))
		local = append(local, x.Local)
	}
	require.Equal(t, []string{"2026-03-08T13:30:00Z", "2026-03-09T13:30:00Z", "2026-03-10T13:30:00Z"}, utc)
	require.Equal(t, []string{"2026-03-08T09:30:00-04:00", "2026-03-09T09:30:00-04:00", "2026-03-10T09:30:00-04:00"}, local)

	r = w.run("schedule", "--n", "2", "--after", "2026-03-06T00:00:00Z")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "Fri 2026-03-06 09:30 EST  2026-03-06 14:30 UTC")
	require.Contains(t, r.stdout, "Sat 2026-03-07 09:30 EST  2026-03-07 14:30 UTC")
}

// TestRecordsResolve: a failed reference shows in the error view, leaves
// it when resolved and comes back when unresolved.
func TestRecordsResolve(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), nil)
	bad := order("SO-2", "MUG-1:1")
	bad["store"] = "Nowhere"
	w.writeOrders(order("SO-1", "MUG-1:1"), bad)
	rep, r := w.syncJSON()
	require.Equal(t, exitPartial, r.code)
	require.Equal(t, 1, rep.Failed)

	errorsView := func(extra ...string) []string {
		r := w.run(append([]string{"records", "--errors-only", "--json"}, extra...)...)
		require.Equal(t, 0, r.code, r.stderr)
		var recs []ops.RecordJSON
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &recs))
		var refs []string
		for _, x := range recs {
			refs = append(refs, x.Reference)
		}
		return refs
	}
	require.Equal(t, []string{"SO-2"}, errorsView())
	require.Equal(t, []string{"SO-2"}, errorsView("--search", "nowhere"))
	require.Empty(t, errorsView("--search", "SO-1"))

	r = w.run("resolve", "SO-2", "--note", "store retired", "--by", "tester")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "export_order SO-2: resolved")
	require.Empty(t, errorsView("--hide-resolved"))
	require.Equal(t, []string{"SO-2"}, errorsView())
	r = w.run("resolve", "SO-2")
	require.Equal(t, exitFailure, r.code, "nothing left to resolve")
	r = w.run("unresolve", "SO-2")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, []string{"SO-2"}, errorsView("--hide-resolved"))

	// run REF re-examines one reference from the current file: fixed, it
	// exports.
	fixed := order("SO-2", "MUG-1:1")
	w.writeOrders(order("SO-1", "MUG-1:1"), fixed)
	r = w.run("run", "SO-2", "--json")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	var rr reportJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rr))
	require.Equal(t, 1, rr.Exported)
	require.Equal(t, "manual", rr.Trigger)
	require.Len(t, w.srv.OrdersByNumber("SO-2"), 1)
	require.Len(t, w.srv.OrdersByNumber("SO-1"), 1)
}

// TestCatalogue: the listings as tables and JSON.
func TestCatalogue(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), nil)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"channels"}, []string{"NAME", "Web Store", "Amazon US", "amazon"}},
		{[]string{"warehouses"}, []string{"Main"}},
		{[]string{"delivery-methods"}, []string{"Standard"}},
		{[]string{"products", "--search", "MUG"}, []string{"MUG-1", "Mug"}},
	}
	for _, tt := range tests {
		r := w.run(tt.args...)
		require.Equal(t, 0, r.code, "%v: %s", tt.args, r.stderr)
		for _, s := range tt.want {
			require.Contains(t, r.stdout, s, "%v", tt.args)
		}
	}
	r := w.run("products", "--search", "MUG", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var ps []veeqo.Product
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ps))
	require.Len(t, ps, 1)
	require.Equal(t, "MUG-1", ps[0].Sellables[0].SKUCode)
}

// TestServe: the scheduler runs a due account, then stops cleanly on
// SIGTERM.
func TestServe(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := exportSettings()
	s["auto_sync"], s["start_date"], s["time_zone"], s["hour"] = true, time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02"), "UTC", 0
	w.writeConfig(s, nil)
	o1, o2 := order("SO-1", "MUG-1:1"), order("SO-2", "TEE-1:1")
	o1["created_at"] = time.Now().UTC().Format(time.RFC3339)
	o2["created_at"] = o1["created_at"]
	w.writeOrders(o1, o2)
	c := w.cmd("serve", "--tick", "100ms")
	errb := &lockedBuffer{}
	c.Stderr = errb
	require.NoError(t, c.Start())
	deadline := time.Now().Add(20 * time.Second)
	for len(w.srv.Orders()) < 2 || !strings.Contains(errb.String(), "run finished") {
		if time.Now().After(deadline) {
			_ = c.Process.Kill()
			t.Fatalf("serve did not run the account: %s", errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Once run for the slot, it does not run again on every tick.
	time.Sleep(400 * time.Millisecond)
	require.NoError(t, c.Process.Signal(syscall.SIGTERM))
	require.NoError(t, c.Wait(), errb.String())
	require.Equal(t, 1, strings.Count(errb.String(), "run finished"), errb.String())
	require.Contains(t, errb.String(), "stopped")
	require.Len(t, w.srv.Orders(), 2)
}

// lockedBuffer is a buffer a running command writes to while the test
// reads it.
type lockedBuffer struct {
	mu  stdsync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestModeLockAndSwitch: an account that exported is refused a fetch run
// until switch-mode is run on purpose.
func TestModeLockAndSwitch(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), nil)
	w.writeOrders(order("SO-1", "MUG-1:1"))
	_, r := w.syncJSON()
	require.Equal(t, 0, r.code, r.stderr)

	fetch := map[string]any{"fetch_fulfillments": true, "time_zone": "UTC",
		"store_mapping": []map[string]string{{"erp_store": "Amazon", "veeqo_channel": "Amazon US"}}}
	w.writeConfig(fetch, nil)
	r = w.run("sync")
	require.Equal(t, exitFailure, r.code)
	require.Contains(t, r.stderr, "locked to export mode")
	require.Contains(t, r.stderr, "veeqoctl switch-mode --reason", "the message names the command, not the library call")
	require.NotContains(t, r.stderr, "SwitchMode")

	r = w.run("switch-mode")
	require.Equal(t, exitUsage, r.code, "a reason is required")
	r = w.run("switch-mode", "--reason", "moving to marketplace fulfilment")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "switched from \"export\" to fetch mode: 1 exported order awaiting confirmation")
	rep, r := w.syncJSON()
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "fetch", string(rep.Mode))
}

// TestHelp: every command is listed and has --help; help goes to stdout,
// a usage error to stderr with exit 2.
func TestHelp(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run("help")
	require.Equal(t, 0, r.code)
	for _, c := range commands() {
		require.Contains(t, r.stdout, c.name)
		h := w.run(c.name, "--help")
		require.Equal(t, 0, h.code, c.name)
		require.Contains(t, h.stdout, "Usage: veeqoctl "+c.name, c.name)
	}
	r = w.run("frobnicate")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, `unknown command "frobnicate"`)
	r = w.run("sync", "--no-such-flag")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "no-such-flag")
}

// TestExportCallBudget: what an export costs in Veeqo calls through the
// tool (a new customer per order: one customer lookup and one create each,
// plus the catalogue once).
func TestExportCallBudget(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), nil)
	const n = 30
	var orders []map[string]any
	for i := range n {
		orders = append(orders, order(fmt.Sprintf("SO-%03d", i), "MUG-1:1", "TEE-1:2"))
	}
	w.writeOrders(orders...)
	start := time.Now()
	rep, r := w.syncJSON()
	elapsed := time.Since(start)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, n, rep.Exported)
	t.Logf("export of %d orders through veeqoctl: %d Veeqo calls (%.2f per order), %s wall time including process start", n, rep.VeeqoCalls, float64(rep.VeeqoCalls)/n, elapsed.Round(time.Millisecond))
	require.LessOrEqual(t, rep.VeeqoCalls, int64(2*n+10))
	require.Equal(t, int(rep.VeeqoCalls)+1, w.srv.TotalRequests(), "the report counts every request but the credential check")
}

// TestSeveralAccounts: with several accounts, --account picks one and its
// absence is a clear usage error.
func TestSeveralAccounts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	acct := func(name string) map[string]any {
		return map[string]any{"name": name, "base_url": w.srv.URL(), "api_key_env": keyEnv, "state": name + ".db",
			"orders_file": name + "-orders.json", "shipments_file": name + "-shipments.jsonl", "settings": exportSettings()}
	}
	b, err := json.Marshal(map[string]any{"accounts": []any{acct("east"), acct("west")}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(w.dir, "veeqoctl.json"), b, 0o644))
	r := w.run("records")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "the config has 2 accounts (east, west): choose one with --account")
	r = w.run("--account", "north", "records")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, `no account named "north"`)
	r = w.run("records", "--account", "west", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	require.JSONEq(t, "[]", r.stdout)
	require.FileExists(t, filepath.Join(w.dir, "west.db"))
}

// TestManualRunFilters: --from/--to (dates in the account's zone), --search
// and --ref narrow a manual run.
func TestManualRunFilters(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), nil) // America/New_York
	mk := func(ref, created string) map[string]any {
		o := order(ref, "MUG-1:1")
		o["created_at"] = created
		return o
	}
	w.writeOrders(
		mk("SO-1", "2026-11-02T04:59:00Z"), // 1 Nov 23:59 in New York
		mk("SO-2", "2026-11-02T05:00:00Z"), // 2 Nov 00:00 in New York
		mk("SO-3", "2026-11-03T04:59:59Z"), // 2 Nov 23:59:59
		mk("SO-4", "2026-11-03T05:00:00Z"), // 3 Nov
	)
	refsOf := func(rep reportJSON) []string {
		var out []string
		for _, o := range rep.Outcomes {
			out = append(out, o.Reference)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--from", "2026-11-02", "--to", "2026-11-03"}, []string{"SO-2", "SO-3"}},
		{[]string{"--from", "2026-11-03T04:59:59Z"}, []string{"SO-3", "SO-4"}},
		{[]string{"--search", "so-4"}, []string{"SO-4"}},
		{[]string{"--ref", "SO-1", "--ref", "SO-4"}, []string{"SO-1", "SO-4"}},
		{[]string{"--ref", "SO-1,SO-2"}, []string{"SO-1", "SO-2"}},
	}
	for _, tt := range tests {
		rep, r := w.syncJSON(append([]string{"--dry-run"}, tt.args...)...)
		require.Equal(t, 0, r.code, "%v: %s", tt.args, r.stderr)
		require.Equal(t, tt.want, refsOf(rep), "%v", tt.args)
	}
	r := w.run("sync", "--from", "2026-11-03", "--to", "2026-11-02")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "--to must be after --from")
	r = w.run("sync", "--from", "last tuesday")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "--from")
	require.Empty(t, w.srv.Orders())
}
