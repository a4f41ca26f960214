package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// binPath is the veeqoctl binary built once for the test binary.
var binPath string

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		// A fuzz worker runs only the fuzz target: no binary needed.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "veeqoctl-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "veeqoctl")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build veeqoctl:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const keyEnv = "VEEQOCTL_TEST_KEY"

// world is one test's fake Veeqo and working directory.
type world struct {
	t   *testing.T
	srv *veeqotest.Server
	dir string
	key string // the key the binary is given
	env []string
	sku map[string]int64
	chs map[string]veeqo.Channel
}

func newWorld(t *testing.T, opts ...veeqotest.Option) *world {
	t.Helper()
	srv := veeqotest.NewServer(t, append([]veeqotest.Option{veeqotest.WithoutRateLimit()}, opts...)...)
	seeded := srv.Seed(veeqotest.DemoCatalog()) // the catalogue the starter config maps to
	return &world{t: t, srv: srv, dir: t.TempDir(), key: srv.APIKey(), sku: seeded.SKUs, chs: seeded.Channels}
}

// settings returns export-mode settings matching the fake's catalogue.
func exportSettings() map[string]any {
	return map[string]any{
		"export_orders":        true,
		"default_sku":          "MISC-ITEM",
		"store_mapping":        []map[string]string{{"erp_store": "Web", "veeqo_channel": "Web Store"}},
		"ship_service_mapping": []map[string]string{{"erp_name": "Ground", "veeqo_name": "Standard"}},
		"carrier_mapping":      []map[string]string{{"erp_name": "UPS Ground", "veeqo_name": "UPS"}},
		"time_zone":            "America/New_York",
	}
}

// writeConfig writes veeqoctl.json for one account with settings.
func (w *world) writeConfig(settings map[string]any, extra map[string]any) string {
	w.t.Helper()
	acct := map[string]any{
		"name":           "acme",
		"base_url":       w.srv.URL(),
		"api_key_env":    keyEnv,
		"rate_limit":     1000,
		"lease_ttl":      "2s",
		"state":          "state.db",
		"orders_file":    "orders.json",
		"shipments_file": "shipments.jsonl",
		"settings":       settings,
	}
	for k, v := range extra {
		if v == nil { // a nil value leaves the field out
			delete(acct, k)
			continue
		}
		acct[k] = v
	}
	b, err := json.MarshalIndent(map[string]any{"accounts": []any{acct}}, "", "  ")
	require.NoError(w.t, err)
	p := filepath.Join(w.dir, "veeqoctl.json")
	require.NoError(w.t, os.WriteFile(p, b, 0o600))
	return p
}

// order is a waved order of the Web store with lines "SKU:qty".
func order(ref string, lines ...string) map[string]any {
	var ls []map[string]any
	for i, l := range lines {
		sku, q, _ := strings.Cut(l, ":")
		var n int
		fmt.Sscan(q, &n)
		ls = append(ls, map[string]any{"ref": fmt.Sprint(i + 1), "sku": sku, "quantity": n, "unit_price": "10.00"})
	}
	return map[string]any{
		"ref": ref, "number": ref, "store": "Web", "source": "Web", "wave": "W1",
		"created_at":   "2026-11-01T10:00:00Z",
		"customer":     map[string]string{"email": strings.ToLower(ref) + "@example.com", "name": "Ann Buyer"},
		"ship_to":      map[string]string{"first_name": "Ann", "last_name": "Buyer", "address1": "1 Main St", "city": "Albany", "state": "NY", "zip": "12207", "country": "US"},
		"carrier":      "UPS Ground",
		"ship_service": "Ground",
		"lines":        ls,
	}
}

func (w *world) writeOrders(orders ...map[string]any) {
	w.t.Helper()
	if orders == nil {
		orders = []map[string]any{}
	}
	b, err := json.MarshalIndent(orders, "", "  ")
	require.NoError(w.t, err)
	require.NoError(w.t, os.WriteFile(filepath.Join(w.dir, "orders.json"), b, 0o644))
}

// result is one finished run of the binary.
type result struct {
	code           int
	stdout, stderr string
}

func (w *world) cmd(args ...string) *exec.Cmd {
	c := exec.Command(binPath, args...)
	c.Dir = w.dir
	c.Env = append(os.Environ(), keyEnv+"="+w.key)
	c.Env = append(c.Env, w.env...)
	return c
}

func (w *world) run(args ...string) result {
	w.t.Helper()
	c := w.cmd(args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(w.t, ok, "run %v: %v", args, err)
		code = ee.ExitCode()
	}
	r := result{code: code, stdout: out.String(), stderr: errb.String()}
	// The key never appears in any output.
	require.NotContains(w.t, r.stdout, w.key, "key printed on stdout by %v", args)
	require.NotContains(w.t, r.stderr, w.key, "key printed on stderr by %v", args)
	return r
}

// syncJSON runs `sync --json` (plus args), retrying while a killed run's
// lease has not expired, and decodes the report.
func (w *world) syncJSON(args ...string) (reportJSON, result) {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := w.run(append([]string{"sync", "--json", "--quiet"}, args...)...)
		if strings.Contains(r.stdout+r.stderr, "already in progress") && time.Now().Before(deadline) {
			time.Sleep(300 * time.Millisecond)
			continue
		}
		var rep reportJSON
		require.NoError(w.t, json.Unmarshal([]byte(r.stdout), &rep), "sync --json output: %q stderr %q", r.stdout, r.stderr)
		return rep, r
	}
}

// shipmentLines reads the complete lines of the shipments file. A last
// line without its newline is a write still in progress in a running
// worker (a reader can see part of an append), or one a kill cut short; the
// journal's own reader leaves it alone too, so it is not counted here.
func (w *world) shipmentLines() []journalLine {
	w.t.Helper()
	b, err := os.ReadFile(filepath.Join(w.dir, "shipments.jsonl"))
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(w.t, err)
	var out []journalLine
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return out
		}
		line := b[:i]
		b = b[i+1:]
		var s journalLine
		require.NoError(w.t, json.Unmarshal(line, &s), "shipments line %q", line)
		out = append(out, s)
	}
}

// shipAll ships every unshipped order in the fake.
func (w *world) shipAll() int {
	w.t.Helper()
	n := 0
	for _, o := range w.srv.Orders() {
		if o.Status == veeqo.StatusShipped || o.Status == veeqo.StatusCancelled {
			continue
		}
		_, err := w.srv.ShipAll(o.ID, veeqotest.ShipInfo{TrackingNumber: "1Z" + o.Number, CarrierName: "UPS", ServiceName: "Standard"})
		require.NoError(w.t, err)
		n++
	}
	return n
}
