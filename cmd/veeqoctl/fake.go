package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// fakeAddr is where `veeqoctl fake` listens by default, and what `init
// --demo` points the config at.
const fakeAddr = "127.0.0.1:8765"

// cmdFake serves the fake Veeqo, or drives a running one: `fake ship` and
// `fake order` act as its warehouse staff and its marketplace.
func (a *app) cmdFake(ctx context.Context, fs *flag.FlagSet, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "ship":
			return a.fakeShip(ctx, fs, args[1:])
		case "order":
			return a.fakeOrder(ctx, fs, args[1:])
		}
	}
	addr := fs.String("addr", fakeAddr, "loopback address to listen on")
	key := fs.String("key", "", "the API key the fake accepts (default: veeqotest's fixed key, printed at start)")
	pos, code, ok := a.parse(fs, args, "[ship|order]", "Serve a fake Veeqo (veeqotest) on loopback with a seeded catalogue, until Ctrl-C: try\nveeqoctl without an account (`veeqoctl init --demo` writes a config pointing at it).\n`veeqoctl fake ship NUMBER` ships an order in it, `veeqoctl fake order` creates a\nmarketplace order; see their --help.")
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return a.fail(exitUsage, "fake: unknown subcommand %q (ship or order)", pos[0])
	}
	srv, err := veeqotest.Start(veeqotest.WithListenAddr(*addr), veeqotest.WithAPIKey(cmp.Or(*key, veeqotest.DefaultAPIKey)), veeqotest.WithStaffAPI(),
		veeqotest.WithCompanyName("Demo Company (veeqoctl fake)"))
	if err != nil {
		return a.fail(exitFailure, "%v (is another fake running? pick another --addr)", err)
	}
	defer srv.Close()
	seeded := srv.Seed(veeqotest.DemoCatalog())
	fmt.Fprintf(a.stdout, "fake Veeqo at %s\nAPI key: %s\n", srv.URL(), srv.APIKey())
	fmt.Fprintf(a.stdout, "catalogue: warehouse %q; channels %s; delivery methods Standard, Express; SKUs %s (MISC-ITEM is the default SKU)\n",
		seeded.Warehouse.Name, strings.Join(slices.Sorted(func(yield func(string) bool) {
			for n := range seeded.Channels {
				if !yield(fmt.Sprintf("%q", n)) {
					return
				}
			}
		}), ", "), strings.Join(slices.Sorted(func(yield func(string) bool) {
			for s := range seeded.SKUs {
				if !yield(s) {
					return
				}
			}
		}), ", "))
	fmt.Fprintf(a.stdout, "state is in memory and lost on exit; Ctrl-C stops it\n")
	sigCtx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-sigCtx.Done()
	fmt.Fprintf(a.stdout, "fake Veeqo stopped\n")
	return exitOK
}

// skuQty is a repeatable --sku SKU:QTY flag.
type skuQty map[string]int

func (m skuQty) String() string { return fmt.Sprint(map[string]int(m)) }

func (m skuQty) Set(v string) error {
	sku, q, ok := strings.Cut(v, ":")
	n, err := strconv.Atoi(q)
	if !ok || strings.TrimSpace(sku) == "" || err != nil || n <= 0 {
		return fmt.Errorf("%q is not SKU:QTY with a positive quantity", v)
	}
	m[strings.TrimSpace(sku)] += n
	return nil
}

// staffFlags are the flags every staff subcommand shares.
type staffFlags struct{ addr, key string }

func (f *staffFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", fakeAddr, "address of the running fake")
	fs.StringVar(&f.key, "key", "", "its API key (default: the fake's fixed key)")
}

func (a *app) fakeShip(ctx context.Context, fs *flag.FlagSet, args []string) int {
	var sf staffFlags
	sf.register(fs)
	lines := skuQty{}
	fs.Var(lines, "sku", "ship this quantity of a SKU (SKU:QTY, repeatable); none ships everything left")
	tracking := fs.String("tracking", "", "tracking number (default: made up)")
	carrier := fs.String("carrier", "UPS", "Veeqo carrier name")
	service := fs.String("service", "Standard", "shipment service name")
	pos, code, ok := a.parse(fs, args, "NUMBER", "Ship an order in the running fake as its warehouse staff would: the given quantities as\none parcel, or everything left. The next `veeqoctl sync` imports the confirmation.")
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return a.fail(exitUsage, "fake ship needs exactly one order number")
	}
	if *tracking == "" {
		*tracking = fmt.Sprintf("1ZDEMO%d", a.now().UnixNano()%1_000_000_000)
	}
	req := veeqotest.StaffShipRequest{Number: pos[0], Lines: lines, TrackingNumber: *tracking, Carrier: *carrier, Service: *service}
	var out []veeqo.Shipment
	if code := a.staffCall(ctx, sf, "/_staff/ship", req, &out); code != exitOK {
		return code
	}
	for _, sh := range out {
		tn := ""
		if sh.TrackingNumber != nil {
			tn = sh.TrackingNumber.TrackingNumber
		}
		fmt.Fprintf(a.stdout, "shipped order %s: shipment %d, tracking %s\n", pos[0], sh.ID, tn)
	}
	return exitOK
}

func (a *app) fakeOrder(ctx context.Context, fs *flag.FlagSet, args []string) int {
	var sf staffFlags
	sf.register(fs)
	number := fs.String("number", "", "the order number (a marketplace order id, e.g. 113-0000001-0000001)")
	channel := fs.String("channel", "Amazon US", "the channel the order comes from")
	lines := skuQty{}
	fs.Var(lines, "sku", "a line: SKU:QTY (repeatable)")
	ship := fs.Bool("ship", false, "ship it at once, as a marketplace order shipped by the warehouse")
	pos, code, ok := a.parse(fs, args, "", "Create a marketplace order in the running fake, as if Veeqo had imported it (fetch mode\nreads its fulfillments).")
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return a.fail(exitUsage, "fake order takes no arguments (got %q)", pos)
	}
	if *number == "" || len(lines) == 0 {
		return a.fail(exitUsage, "fake order needs --number and at least one --sku SKU:QTY")
	}
	req := veeqotest.StaffOrderRequest{Number: *number, Channel: *channel, Lines: lines}
	if *ship {
		req.Ship = &veeqotest.StaffShipRequest{TrackingNumber: "1ZMKT" + strings.ReplaceAll(*number, "-", ""), Carrier: "UPS", Service: "Standard"}
	}
	var out veeqo.Order
	if code := a.staffCall(ctx, sf, "/_staff/orders", req, &out); code != exitOK {
		return code
	}
	fmt.Fprintf(a.stdout, "created Veeqo order %d (number %s) on %s, status %s\n", out.ID, out.Number, *channel, out.Status)
	return exitOK
}

// staffCall posts a staff request to the running fake.
func (a *app) staffCall(ctx context.Context, sf staffFlags, path string, in, out any) int {
	body, err := json.Marshal(in)
	if err != nil {
		return a.fail(exitFailure, "%v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+sf.addr+path, bytes.NewReader(body))
	if err != nil {
		return a.fail(exitUsage, "--addr %q: %v", sf.addr, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", cmp.Or(sf.key, veeqotest.DefaultAPIKey))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return a.fail(exitFailure, "the fake Veeqo does not answer at %s (start it with `veeqoctl fake`): %v", sf.addr, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		var e struct {
			Messages []string `json:"error_messages"`
		}
		msg := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &e) == nil && len(e.Messages) > 0 {
			msg = strings.Join(e.Messages, "; ")
		}
		return a.fail(exitFailure, "the fake refused: %s (%d)", msg, resp.StatusCode)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return a.fail(exitFailure, "the fake's answer: %v", err)
	}
	return exitOK
}

// waitForFake waits until a fake (or any Veeqo) answers at baseURL with the
// fake's default key, and returns its company name.
func waitForFake(baseURL string, wait time.Duration) (string, error) {
	c, err := veeqo.New(veeqotest.DefaultAPIKey, veeqo.WithBaseURL(baseURL))
	if err != nil {
		return "", err
	}
	deadline := time.Now().Add(wait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		co, _, err := c.Company.Current(ctx)
		cancel()
		if err == nil {
			return co.Name, nil
		}
		if time.Now().After(deadline) {
			return "", err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
