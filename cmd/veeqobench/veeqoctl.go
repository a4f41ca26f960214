package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/shopspring/decimal"

	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// veeqoctlScenario is the fetch through the command-line tool, as support
// staff run it: `veeqoctl sync` built from this tree, its orders file
// holding the ERP's copy of every marketplace order, its SQLite state, and
// its shipments file (one fsynced line per applied shipment), against the
// child fake with n shipped orders. It reports the wall time against
// Veeqo's own time for the calls at the drain (vs_veeqo).
func veeqoctlScenario(ctx context.Context, cfg config, name string, n int) (result, error) {
	const lines = 2
	dir, err := os.MkdirTemp(cfg.dir, name+"-")
	if err != nil {
		return result{}, err
	}
	bin := filepath.Join(dir, "veeqoctl")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/xoroerp/veeqoconnect/cmd/veeqoctl")
	if out, err := build.CombinedOutput(); err != nil {
		return result{}, fmt.Errorf("%s: build veeqoctl: %v: %s", name, err, out)
	}
	if err := writeFetchOrdersFile(filepath.Join(dir, "orders.json"), n, lines, cfg.skus); err != nil {
		return result{}, err
	}
	child, err := startChildFake(ctx, cfg, n, lines)
	if err != nil {
		return result{}, err
	}
	if err := writeVeeqoctlConfig(filepath.Join(dir, "veeqoctl.json"), child.ready.URL, cfg.drain); err != nil {
		child.kill()
		return result{}, err
	}
	cmd := exec.CommandContext(ctx, bin, "--config", filepath.Join(dir, "veeqoctl.json"), "--account", "bench", "sync", "--json", "--quiet")
	cmd.Env = append(os.Environ(), "VEEQOBENCH_API_KEY="+child.ready.Key)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	wall := time.Since(start)
	fr, err := child.report()
	if runErr != nil {
		return result{}, fmt.Errorf("%s: veeqoctl sync: %v: %s", name, runErr, stderr.String())
	}
	if err != nil {
		return result{}, err
	}
	var rep struct {
		Applied int `json:"confirmations_applied"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return result{}, fmt.Errorf("%s: veeqoctl report: %v", name, err)
	}
	journal, err := countLines(filepath.Join(dir, "shipments.jsonl"))
	if err != nil {
		return result{}, err
	}
	if rep.Applied != n || journal != n {
		return result{}, fmt.Errorf("%s: %d shipments applied, %d in the shipments file, of %d", name, rep.Applied, journal, n)
	}
	own := float64(fr.Requests) / cfg.drain
	return result{scenario: name, orders: n, lines: lines, distinctSKUs: min(cfg.skus, n*lines), calls: fr.Requests, throttled: fr.Throttled,
		wall: wall, drain: cfg.drain, heapScope: "not_sampled", // veeqoctl is its own process
		extra: []string{fmt.Sprintf("shipments=%d", n), fmt.Sprintf("list_calls=%d", fr.Lists),
			fmt.Sprintf("veeqo_own_s=%.2f", own), fmt.Sprintf("vs_veeqo=%.2f", wall.Seconds()/own)}}, nil
}

// writeFetchOrdersFile writes the ERP's copy of the child fake's n
// marketplace orders (the numberedERP's orders) as a veeqoctl orders file.
func writeFetchOrdersFile(path string, n, lines, skus int) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	_, _ = w.WriteString("[\n")
	created := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	for i := range n {
		if i > 0 {
			_, _ = w.WriteString(",")
		}
		number := fetchNumber(i)
		o := vsync.ERPOrder{Ref: number, Number: number, Store: "Amazon", Source: "Amazon", CreatedAt: created}
		for l := range lines {
			o.Lines = append(o.Lines, vsync.ERPLine{Ref: fmt.Sprint(l + 1), SKU: skuName((i*lines + l) % skus), Quantity: 1, Allocated: 1,
				UnitPrice: decimal.NewFromInt(10)})
		}
		if err := enc.Encode(o); err != nil {
			f.Close()
			return err
		}
	}
	_, _ = w.WriteString("]\n")
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeVeeqoctlConfig writes a one-account fetch-mode config for the fake
// at url, paced at the drain.
func writeVeeqoctlConfig(path, url string, drain float64) error {
	b, err := json.MarshalIndent(map[string]any{"accounts": []any{map[string]any{
		"name": "bench", "base_url": url, "api_key_env": "VEEQOBENCH_API_KEY", "rate_limit": drain,
		"state": "state.db", "orders_file": "orders.json", "shipments_file": "shipments.jsonl",
		"settings": fetchSettings("bench"),
	}}}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// countLines counts the newline-terminated lines of a file.
func countLines(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return bytes.Count(data, []byte("\n")), nil
}
