package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// requireProblems checks that a refused input is a *problemsError whose
// every problem says something.
func requireProblems(t *testing.T, what string, err error) {
	t.Helper()
	var pe *problemsError
	if !errors.As(err, &pe) || len(pe.Problems) == 0 {
		t.Fatalf("%s: error is not a problemsError with problems: %v", what, err)
	}
	for _, p := range pe.Problems {
		if strings.TrimSpace(p.Problem) == "" {
			t.Fatalf("%s: a problem without a message: %+v", what, p)
		}
	}
	_ = pe.Error()
}

// FuzzParseOrders: any orders file is either orders, each with a reference,
// a creation time and lines, all valid UTF-8, and invalid orders each with
// problems that say what is wrong, or an error with such problems; never a
// panic.
func FuzzParseOrders(f *testing.F) {
	for _, s := range []string{
		`[{"ref":"SO-1","number":"SO-1","store":"Web","created_at":"2026-11-01T10:00:00Z","lines":[{"ref":"1","sku":"MUG-1","quantity":2,"unit_price":"10.00"}]}]`,
		`[{"ref":"SO-1","created_at":"x","lines":[{"quantity":-1,"unit_price":"-1"}]},{"ref":"SO-1"}]`,
		`[{"ref":"SO-\xff"}]`, `{"not":"an array"}`, `[null, 1, "x"]`, `[`, ``, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		f, err := parseOrders("orders.json", data)
		if err != nil {
			requireProblems(t, "parseOrders", err)
			return
		}
		if !utf8.Valid(data) {
			t.Fatalf("parseOrders accepted bytes that are not UTF-8: %q", data)
		}
		for _, inv := range f.invalid {
			requireProblems(t, "parseOrders: invalid order "+inv.Ref, &problemsError{What: "x", Problems: inv.Problems})
		}
		for _, o := range f.orders {
			if strings.TrimSpace(o.Ref) == "" || o.CreatedAt.IsZero() || len(o.Lines) == 0 {
				t.Fatalf("parseOrders accepted an order without reference, time or lines: %+v", o)
			}
			for _, l := range o.Lines {
				if l.Quantity <= 0 || l.UnitPrice.IsNegative() {
					t.Fatalf("parseOrders accepted a line with quantity %d, price %s", l.Quantity, l.UnitPrice)
				}
			}
		}
	})
}

// FuzzParseConfig: any config document is either a config with at least
// one account or problems that each say what is wrong; never a panic.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{"accounts":[{"name":"acme","api_key_env":"K","orders_file":"o.json","shipments_file":"s.jsonl","settings":{"export_orders":true,"store_mapping":[{"erp_store":"Web","veeqo_channel":"Web"}]}}]}`,
		`{"accounts":[{"name":"a","api_key":"k","postgres_dsn":"postgres://u:p@h/d","state":"x","lease_ttl":"1ms","smtp":{"host":"h","port":99999}}]}`,
		`{"accounts":[]}`, `{"accounts":null}`, `[]`, `{`, "{\"accounts\":[{\"name\":\"\xff\"}]}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseConfig("veeqoctl.json", data)
		if err != nil {
			requireProblems(t, "parseConfig", err)
			return
		}
		if len(cfg.Accounts) == 0 {
			t.Fatalf("parseConfig accepted a config without accounts: %q", data)
		}
		for _, a := range cfg.Accounts {
			if a.Raw.Name == "" || a.OrdersPath == "" || a.ShipmentsPath == "" {
				t.Fatalf("parseConfig accepted an account without name or files: %+v", a.Raw)
			}
		}
	})
}

// FuzzShipmentsFile: any shipments file (the journal veeqoctl appends and
// a person may edit) is read into updates that each have a key, or refused
// with an error naming its line; never a panic.
func FuzzShipmentsFile(f *testing.F) {
	for _, s := range []string{
		`{"key":5,"order_reference":"SO-1","status":"shipped","final":true,"tracking_numbers":["1Z"],"lines":[{"line_reference":"1","shipped":1,"shipped_total":1,"closed":true}]}` + "\n",
		"{\"key\":0}\n", "{\"key\":5}\n{\"key\":5}\n", "not json\n", "{\"key\":7", "\n\n", "{\"key\":\"x\"}\n", "{\"key\":1,\"order_reference\":\"\xff\"}\n",
	} {
		f.Add([]byte(s))
	}
	orders := `[{"ref":"SO-1","number":"SO-1","store":"Web","created_at":"2026-11-01T10:00:00Z","lines":[{"ref":"1","sku":"MUG-1","quantity":2,"unit_price":"10.00"}]}]`
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		op, sp := filepath.Join(dir, "orders.json"), filepath.Join(dir, "shipments.jsonl")
		if err := os.WriteFile(op, []byte(orders), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		e := newFileERP(op, sp)
		if err := e.refresh(); err != nil {
			if !strings.Contains(err.Error(), "line ") {
				t.Fatalf("a refused shipments file: error %q names no line", err)
			}
			return
		}
		for _, u := range e.journal {
			if u.ShipmentID == 0 {
				t.Fatalf("an update without key was read: %+v", u)
			}
		}
	})
}
