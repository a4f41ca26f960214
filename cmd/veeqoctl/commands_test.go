package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/ops"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// fetchSettings are fetch-mode settings over the fake's Amazon channel.
func fetchSettings() map[string]any {
	return map[string]any{
		"fetch_fulfillments": true,
		"store_mapping":      []map[string]string{{"erp_store": "Amazon", "veeqo_channel": "Amazon US"}},
		"time_zone":          "UTC",
	}
}

// Options that only narrow an export are usage errors in fetch mode, not
// silently ignored.
func TestFetchModeRefusesExportOnlyOptions(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(fetchSettings(), nil)
	w.writeOrders()
	for _, args := range [][]string{{"--search", "114"}, {"--from", "2026-11-01"}, {"--to", "2026-11-01"}} {
		r := w.run(append([]string{"sync"}, args...)...)
		require.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		require.Contains(t, r.stderr, args[0]+" is for export mode; account acme runs in fetch mode")
	}
	require.Zero(t, w.srv.TotalRequests(), "refused before any Veeqo call")
	rep, r := w.syncJSON()
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "fetch", string(rep.Mode))
}

// logs takes --process, --from and --to; records --from and --to; a bad
// level, process or time is a usage error (exit 2) naming the flag.
func TestLogsAndRecordsTimeAndProcessFilters(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), nil)
	bad := order("SO-2", "MUG-1:1")
	bad["store"] = "Nowhere"
	w.writeOrders(order("SO-1", "MUG-1:1"), bad)
	_, r := w.syncJSON()
	require.Equal(t, exitPartial, r.code, r.stderr)

	logs := func(args ...string) []ops.LogJSON {
		t.Helper()
		r := w.run(append([]string{"logs", "--json"}, args...)...)
		require.Equal(t, 0, r.code, r.stderr)
		var out []ops.LogJSON
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
		return out
	}
	all := logs()
	require.NotEmpty(t, all)
	exp := logs("--process", "export_order")
	require.NotEmpty(t, exp)
	require.Less(t, len(exp), len(all), "the run's summary entry is left out")
	for _, e := range exp {
		require.Equal(t, "export_order", e.Process)
	}
	require.Empty(t, logs("--from", "2100-01-01"))
	// Every process a log line carries is a valid filter, settings included.
	require.Empty(t, logs("--process", "settings"))
	require.Len(t, logs("--to", "2100-01-01T00:00:00Z"), len(all))
	require.Empty(t, logs("--to", "2000-01-01"))

	records := func(args ...string) []ops.RecordJSON {
		t.Helper()
		r := w.run(append([]string{"records", "--json"}, args...)...)
		require.Equal(t, 0, r.code, r.stderr)
		var out []ops.RecordJSON
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
		return out
	}
	require.Len(t, records(), 2)
	require.Len(t, records("--from", "2000-01-01", "--to", "2100-01-01"), 2)
	require.Empty(t, records("--from", "2100-01-01"))

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"logs", "--level", "bogus"}, `--level "bogus" is not one of info, warning, error`},
		{[]string{"logs", "--process", "bogus"}, `--process "bogus" is not one of export_order`},
		{[]string{"logs", "--from", "last week"}, `--from: "last week" is neither a date`},
		{[]string{"records", "--to", "2026-13-01"}, `--to: "2026-13-01" is neither a date`},
		{[]string{"records", "--from", "2026-11-02", "--to", "2026-11-01"}, "--to must be after --from"},
	} {
		r := w.run(tc.args...)
		require.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.stderr)
		require.Contains(t, r.stderr, tc.want, "%v", tc.args)
	}
}

// check maps the orders file's stores and ship services as the engine
// will, and counts its warnings in the verdict.
func TestCheckOrdersFileMappingsAndWarnings(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := exportSettings()
	s["carrier_mapping"] = []map[string]string{{"erp_name": "Pigeon Post", "veeqo_name": "Pigeon"}} // a warning
	w.writeConfig(s, nil)
	w.writeOrders(order("SO-1", "MUG-1:1"))
	r := w.run("check")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, "warning: accounts[1].settings.carrier_mapping[1].veeqo_name")
	require.Contains(t, r.stdout, "OK: no problems found, 1 warning\n")

	drone := order("SO-2", "MUG-1:1")
	drone["ship_service"] = "Drone"
	nowhere := order("SO-3", "MUG-1:1")
	nowhere["store"] = "Nowhere"
	nowhere2 := order("SO-4", "MUG-1:1")
	nowhere2["store"] = "Nowhere"
	w.writeOrders(order("SO-1", "MUG-1:1"), drone, nowhere, nowhere2)
	r = w.run("check")
	require.Equal(t, exitFailure, r.code, r.stdout)
	require.Contains(t, r.stdout, `problem: orders.json[3].store: store "Nowhere", used by order SO-3 and 1 more: not mapped to a Veeqo channel (store_mapping); those orders would fail`)
	require.Contains(t, r.stdout, `problem: orders.json[2].ship_service: ship service "Drone", used by order SO-2: not mapped (ship_service_mapping) and no Veeqo delivery method has that name`)
	require.Contains(t, r.stdout, "2 problems found, 1 warning\n")

	// The run fails exactly those orders, as check said.
	rep, r := w.syncJSON()
	require.Equal(t, exitPartial, r.code)
	require.Equal(t, 3, rep.Failed)
	require.Equal(t, 1, rep.Exported)
}

// One invalid order in the orders file is its own error record (index and
// field); the valid orders are exported in the same run, and check lists
// every problem.
func TestInvalidOrderFailsAloneInTheOrdersFile(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), nil)
	zero := order("SO-2", "MUG-1:0")
	noRef := order("", "TEE-1:1")
	w.writeOrders(order("SO-1", "MUG-1:1"), zero, noRef, order("SO-4", "CAP-1:2"))
	rep, r := w.syncJSON()
	require.Equal(t, exitPartial, r.code, r.stderr)
	require.Equal(t, 2, rep.Exported)
	require.Equal(t, 2, rep.Failed)
	require.Len(t, w.srv.OrdersByNumber("SO-1"), 1)
	require.Len(t, w.srv.OrdersByNumber("SO-4"), 1)
	msgs := map[string]string{}
	for _, o := range rep.Outcomes {
		if o.Status == "error" {
			msgs[o.Reference] = o.Message
		}
	}
	require.Equal(t, map[string]string{
		"SO-2":           "orders file orders.json: [2].lines[1].quantity: must be positive, got 0",
		"orders.json[3]": "orders file orders.json: [3].ref: is required",
	}, msgs)

	r = w.run("check")
	require.Equal(t, exitFailure, r.code)
	require.Contains(t, r.stdout, "problem: orders.json[2].lines[1].quantity: must be positive, got 0")
	require.Contains(t, r.stdout, "problem: orders.json[3].ref: is required")

	// A file that is not JSON stops the run, and says so once.
	require.NoError(t, os.WriteFile(filepath.Join(w.dir, "orders.json"), []byte("[{"), 0o644))
	r = w.run("sync", "--quiet")
	require.Equal(t, exitFailure, r.code)
	require.Equal(t, 1, strings.Count(r.stdout+r.stderr, "invalid JSON"), "printed once: stdout %q stderr %q", r.stdout, r.stderr)
}

// A dry run says how many orders are candidates and why the others are not;
// it looks each customer up once.
func TestDryRunExplainsNonCandidates(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := exportSettings()
	s["start_date"] = "2026-11-01"
	w.writeConfig(s, nil)
	early := order("SO-0", "MUG-1:1")
	early["created_at"] = "2026-10-01T10:00:00Z"
	unwaved := order("SO-9", "MUG-1:1")
	delete(unwaved, "wave")
	var orders []map[string]any
	for _, ref := range []string{"SO-1", "SO-2", "SO-3"} {
		o := order(ref, "MUG-1:1")
		o["customer"] = map[string]string{"email": "same@example.com", "name": "Ann Buyer"}
		orders = append(orders, o)
	}
	w.writeOrders(append(orders, early, unwaved)...)
	r := w.run("sync", "--dry-run")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "export: 3 candidate orders (of 5 in the orders file: 1 created before the start date, 1 not in a wave)\n")
	require.Equal(t, 1, w.srv.Count("GET", "/customers"), "one customer lookup for three orders of one customer")
	require.Contains(t, r.stdout, "0 exported, 0 skipped, 0 failed, 0 confirmations applied, 0 ignored, 0 warnings")
}

// Counts agree with their nouns, and fetch mode's summary speaks of
// fulfillments, not exports.
func TestSummaryWording(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), nil)
	w.writeOrders(order("SO-1", "MUG-1:1", "GIFT-WRAP:1")) // one substitution: one warning
	r := w.run("sync", "--quiet")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "1 exported, 0 skipped, 0 failed, 0 confirmations applied, 0 ignored, 1 warning, ")
	require.NotContains(t, r.stdout, "1 warnings")
	w.shipAll()
	r = w.run("sync", "--quiet")
	require.Contains(t, r.stdout, "1 confirmation applied, ")

	f := newWorld(t)
	f.writeConfig(fetchSettings(), nil)
	f.writeOrders()
	r = f.run("sync")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "0 fulfillments applied, 0 skipped, 0 excluded, 0 failed")
	require.NotContains(t, r.stdout, "exported")
}

// Fetch mode shows a total of Veeqo orders to read.
func TestFetchProgressHasATotal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(fetchSettings(), nil)
	w.writeOrders()
	ch := w.chs["Amazon US"]
	for range 3 {
		w.srv.AddOrder(veeqo.Order{Channel: &ch, LineItems: []veeqo.LineItem{{Sellable: &veeqo.Sellable{ID: w.sku["MUG-1"]}, Quantity: 1}}})
	}
	r := w.run("sync")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "fetch: 3 Veeqo orders to read\n")
}

// serve does not send "no successful run recorded" the moment it starts:
// the first run gets its chance; its log names the account once per line.
func TestServeGivesTheFirstRunAChance(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	sink := startMailSink(t)
	s := exportSettings()
	// The first slot is tomorrow: nothing runs while serve is up.
	s["auto_sync"], s["start_date"], s["time_zone"], s["hour"] = true, time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02"), "UTC", 0
	s["instant_error_emails"] = map[string]any{"enabled": true, "recipients": "ops@example.com"}
	w.writeConfig(s, map[string]any{"smtp": map[string]any{"host": "127.0.0.1", "port": sink.port, "tls": "none",
		"from": "veeqo-alerts@example.com", "no_success_after": "1h"}})
	w.writeOrders(order("SO-1", "MUG-1:1"))
	c := w.cmd("serve", "--tick", "50ms")
	errb := &lockedBuffer{}
	c.Stderr = errb
	require.NoError(t, c.Start())
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(errb.String(), "serving") {
		if time.Now().After(deadline) {
			_ = c.Process.Kill()
			t.Fatalf("serve did not start: %s", errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // several ticks of the scheduler and the policy
	require.NoError(t, c.Process.Signal(syscall.SIGTERM))
	require.NoError(t, c.Wait(), errb.String())
	require.Empty(t, sink.Mails(), "no health alert before the first run had its chance")
	for _, line := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		require.LessOrEqual(t, strings.Count(line, "account="), 1, line)
	}
}

// check resolves the orders file's items the way an export does: an item
// Veeqo does not have is a warning when the default SKU stands in for it,
// and a problem naming the order when there is no default SKU.
func TestCheckOrdersFileItems(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := exportSettings()
	w.writeConfig(s, nil)
	w.writeOrders(order("SO-1", "MUG-1:1"), order("SO-2", "GHOST-9:1"), order("SO-3", "GHOST-9:2"))
	r := w.run("check")
	require.Equal(t, "MISC-ITEM", s["default_sku"])
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, `warning: orders.json[2].lines: sku "GHOST-9", used by order SO-2 and 1 more: not in Veeqo's catalogue; the default SKU "MISC-ITEM" is sent instead`)
	s["default_sku"] = ""
	w.writeConfig(s, nil)
	r = w.run("check")
	require.Equal(t, exitFailure, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, `problem: orders.json[2].lines: sku "GHOST-9", used by order SO-2 and 1 more:`)
	require.Contains(t, r.stdout, "those orders would fail (set default_sku")
	require.NotContains(t, r.stdout, `"MUG-1"`, "an item Veeqo has is no problem")
}
