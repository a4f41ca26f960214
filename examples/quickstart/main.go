// Command quickstart runs the whole veeqoconnect loop offline, in seconds:
// a fake Veeqo (veeqotest), an in-memory ERP and an in-memory store. It
// exports waved ERP orders to Veeqo, has the fake warehouse ship some of
// them partially and fully, imports the shipment confirmations under both
// multishipment settings (two accounts, each with its own Veeqo and ERP),
// and prints what happened as the operations page would show it.
//
//	go run ./examples/quickstart
//
// The output is deterministic (a fixed clock, stable ordering): the test in
// main_test.go compares it with testdata/quickstart.golden.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	stdsync "sync"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/xoroerp/veeqoconnect/filter"
	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/memstore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// clock is the fixed, hand-advanced clock every part shares.
type clock struct {
	mu stdsync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// account is one Veeqo account with its own Veeqo (fake) and ERP.
type account struct {
	name    string
	srv     *veeqotest.Server
	erp     *vsync.MemoryERP
	engine  *vsync.Engine
	sku     map[string]int64
	orderID map[string]int64
}

// run is one piece on purpose: an example is read top to bottom as the
// walkthrough it prints, each step beside its output.
func run(ctx context.Context, w io.Writer) error {
	clk := &clock{t: time.Date(2026, 11, 2, 16, 0, 0, 0, time.UTC)} // 08:00 in Los Angeles
	st := memstore.New(memstore.WithClock(clk.Now))
	defer st.Close()
	loc, err := vsync.LoadLocation("(UTC-08:00) Pacific Time (US and Canada)")
	if err != nil {
		return err
	}

	var accounts []*account
	for _, disable := range []bool{false, true} {
		name := "west"
		if disable {
			name = "east"
		}
		a, err := newAccount(name, disable, clk, st)
		if err != nil {
			return err
		}
		defer a.srv.Close()
		accounts = append(accounts, a)
	}

	fmt.Fprintln(w, "veeqoconnect quickstart: two Veeqo accounts, one fake Veeqo and one in-memory ERP each")
	fmt.Fprintln(w, "  west: multishipment allowed   east: disable_multishipment on")
	fmt.Fprintln(w)

	step := func(title string, f func(a *account) error) error {
		fmt.Fprintf(w, "-- %s %s\n", clk.Now().In(loc).Format("15:04"), title)
		for _, a := range accounts {
			if err := f(a); err != nil {
				return fmt.Errorf("%s: %s: %w", a.name, title, err)
			}
		}
		return nil
	}
	runAll := func(a *account) error {
		rep, err := a.engine.Run(ctx, vsync.RunOptions{Trigger: "quickstart"})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "   %-5s %-9s exported %d, skipped %d, failed %d, shipments applied %d, ignored %d, warnings %d, Veeqo calls %d\n",
			a.name, rep.Status, rep.Exported, rep.Skipped, rep.Failed, rep.ConfirmationsApplied, rep.ShipmentsIgnored, rep.Warnings, rep.VeeqoCalls)
		return nil
	}

	if err := step("run 1: export the waved orders", runAll); err != nil {
		return err
	}
	clk.Advance(2 * time.Hour)
	if err := step("warehouse: SO-1001 ships 1 of 2 mugs, SO-1002 ships by DHL (unmapped carrier), SO-1003 ships", func(a *account) error {
		if err := a.ship("SO-1001", map[string]int{"MUG-11OZ": 1}, veeqotest.ShipInfo{TrackingNumber: "1Z-" + a.name + "-01", CarrierID: 5, ServiceName: "Standard"}); err != nil {
			return err
		}
		if err := a.ship("SO-1002", nil, veeqotest.ShipInfo{TrackingNumber: "JD-" + a.name + "-02", CarrierID: 9, ServiceName: "Express"}); err != nil {
			return err
		}
		return a.ship("SO-1003", nil, veeqotest.ShipInfo{TrackingNumber: "9400-" + a.name + "-03", CarrierID: 7, ServiceName: "Standard"})
	}); err != nil {
		return err
	}
	clk.Advance(5 * time.Minute)
	if err := step("run 2: import the confirmations", runAll); err != nil {
		return err
	}
	clk.Advance(3 * time.Hour)
	if err := step("warehouse: the rest of SO-1001 ships in a second parcel", func(a *account) error {
		return a.ship("SO-1001", nil, veeqotest.ShipInfo{TrackingNumber: "1Z-" + a.name + "-04", CarrierID: 5, ServiceName: "Standard"})
	}); err != nil {
		return err
	}
	clk.Advance(5 * time.Minute)
	if err := step("run 3: import the second parcel", runAll); err != nil {
		return err
	}
	fmt.Fprintln(w)

	for _, a := range accounts {
		if err := report(ctx, w, a, st, loc); err != nil {
			return err
		}
	}
	return nil
}

func newAccount(name string, disable bool, clk *clock, st store.Store) (*account, error) {
	srv, err := veeqotest.Start(veeqotest.WithClock(clk.Now))
	if err != nil {
		return nil, err
	}
	price := decimal.NewFromInt(12)
	seeded := srv.Seed(veeqotest.Catalog{
		Warehouse:       "Reno DC",
		Channels:        []veeqo.Channel{{Name: "XoroERP Web", TypeCode: veeqo.ChannelDirect}},
		DeliveryMethods: []veeqo.DeliveryMethod{{Name: "Standard", Cost: decimal.NewFromInt(5)}, {Name: "Express", Cost: decimal.NewFromInt(15)}},
		Products: []veeqotest.CatalogProduct{{SKU: "MUG-11OZ", Title: "Mug 11oz", Price: price}, {SKU: "TEE-BLK-M", Title: "T-shirt black M", Price: price},
			{SKU: "CAP-RED", Title: "Cap red", Price: price}, {SKU: "MISC-ITEM", Title: "Miscellaneous item", Price: price}},
	})
	a := &account{name: name, srv: srv, sku: seeded.SKUs, orderID: map[string]int64{}}

	a.erp = vsync.NewMemoryERP(erpOrders()...)
	settings := vsync.Settings{
		Account:              name,
		ExportOrders:         true,
		DisableMultishipment: disable,
		ItemIdentifier:       vsync.IdentifierSKU,
		DefaultSKU:           "MISC-ITEM",
		Filters:              filter.Rows(filter.Row{Field: "source", Operator: "Does Not Contain", Value: "Phone"}),
		StoreMapping:         vsync.Stores(vsync.StoreMapping{ERPStore: "WEB", VeeqoChannel: "XoroERP Web"}),
		ShipServiceMapping:   vsync.Names(vsync.NameMapping{ERPName: "Ground", VeeqoName: "Standard"}, vsync.NameMapping{ERPName: "Overnight", VeeqoName: "Express"}),
		CarrierMapping:       vsync.Names(vsync.NameMapping{ERPName: "UPS", VeeqoName: "UPS"}, vsync.NameMapping{ERPName: "USPS", VeeqoName: "USPS"}),
		TimeZone:             "(UTC-08:00) Pacific Time (US and Canada)",
		AutoSync:             true,
		StartDate:            vsync.Date{Year: 2026, Month: 11, Day: 1},
		Hour:                 8,
		StartOffsetMinutes:   -5,
	}
	// The fake has no real rate limit to respect; against Veeqo keep the
	// client's default pacing (a little under 5 requests per second).
	client, err := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()), veeqo.WithRateLimit(rate.Limit(200), 20))
	if err != nil {
		return nil, err
	}
	runs := 0
	a.engine, err = vsync.New(vsync.Config{
		Account:  name,
		Settings: settings,
		Store:    st,
		ERP:      a.erp,
		Veeqo:    vsync.ClientAPI(client),
		Clock:    clk.Now,
		Holder:   "quickstart",
		NewRunID: func() string { runs++; return fmt.Sprintf("%s-run-%d", name, runs) },
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// erpOrders are the ERP's sales orders: five in a wave with a few edge
// cases, one not yet waved.
func erpOrders() []vsync.ERPOrder {
	created := time.Date(2026, 11, 2, 7, 0, 0, 0, time.UTC)
	mk := func(ref, service, source string, lines ...vsync.ERPLine) vsync.ERPOrder {
		for i := range lines {
			lines[i].Ref = fmt.Sprint(i + 1)
			lines[i].Allocated = lines[i].Quantity
			lines[i].UnitPrice = decimal.NewFromInt(12)
		}
		return vsync.ERPOrder{Ref: ref, Number: ref, Wave: "WAVE-11-02", Store: "WEB", Source: source, ShipService: service, Carrier: "UPS",
			CreatedAt: created, Customer: vsync.Customer{Email: strings.ToLower(ref) + "@customer.example", Name: "Pat Customer"},
			ShipTo: vsync.Address{FirstName: "Pat", LastName: "Customer", Address1: "500 Market St", City: "San Francisco", State: "CA", Zip: "94105", Country: "US"},
			Lines:  lines}
	}
	line := func(sku string, qty int) vsync.ERPLine { return vsync.ERPLine{SKU: sku, Quantity: qty} }
	notWaved := mk("SO-1007", "Ground", "Web", line("MUG-11OZ", 1))
	notWaved.Wave = ""
	return []vsync.ERPOrder{
		mk("SO-1001", "Ground", "Web", line("MUG-11OZ", 2), line("TEE-BLK-M", 1)),
		mk("SO-1002", "Overnight", "Web", line("CAP-RED", 3)),
		mk("SO-1003", "Ground", "Web", line("MUG-11OZ", 1), line("GIFT-WRAP", 1)), // not in Veeqo: default SKU
		mk("SO-1004", "Ground", "Phone", line("CAP-RED", 1)),                      // filtered out
		mk("SO-1005", "Drone", "Web", line("TEE-BLK-M", 1)),                       // ship service not mapped
		notWaved,
	}
}

// ship has the fake warehouse ship lines (SKU -> quantity) of an exported
// order, or everything left when lines is nil.
func (a *account) ship(ref string, lines map[string]int, info veeqotest.ShipInfo) error {
	os := a.srv.OrdersByNumber(ref)
	if len(os) != 1 {
		return fmt.Errorf("order %s: %d in Veeqo", ref, len(os))
	}
	if lines == nil {
		_, err := a.srv.ShipAll(os[0].ID, info)
		return err
	}
	by := map[int64]int{}
	for sku, q := range lines {
		by[a.sku[sku]] = q
	}
	_, err := a.srv.ShipPartial(os[0].ID, by, info)
	return err
}

// report is one piece on purpose: an example is read top to bottom as the
// walkthrough it prints, each step beside its output.
func report(ctx context.Context, w io.Writer, a *account, st store.Store, loc *time.Location) error {
	rule := "multishipment allowed"
	if a.engine.Settings().DisableMultishipment {
		rule = "disable_multishipment on"
	}
	fmt.Fprintf(w, "== account %s (%s)\n\n", a.name, rule)

	page, err := a.engine.Records(ctx, store.RecordQuery{Limit: 100})
	if err != nil {
		return err
	}
	recs := page.Records
	slices.SortFunc(recs, func(x, y store.Record) int {
		if c := strings.Compare(x.Reference, y.Reference); c != 0 {
			return c
		}
		return strings.Compare(x.Process, y.Process)
	})
	fmt.Fprintln(w, "Operations")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REFERENCE\tPROCESS\tSTATUS\tVEEQO ORDER\tATTEMPTS\tLAST RUN\tMESSAGE")
	for _, r := range recs {
		id := "-"
		if r.VeeqoOrderID != 0 {
			id = fmt.Sprint(r.VeeqoOrderID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Reference, r.Process, r.Status, id, r.Attempts, r.LastRunAt.In(loc).Format("15:04"), r.Message)
	}
	tw.Flush()
	fmt.Fprintln(w)

	fmt.Fprintln(w, "ERP orders")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER\tSTATUS\tLINE\tSKU\tORDERED\tSHIPPED\tALLOCATED\tCLOSED")
	for _, o := range a.erp.Orders() {
		status := o.Status
		if status == "" {
			status = "open"
		}
		for i, l := range o.Lines {
			ref, s := o.Ref, status
			if i > 0 {
				ref, s = "", ""
			}
			closed := "no"
			if l.Closed {
				closed = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", ref, s, l.Ref, l.SKU, l.Quantity, l.Shipped, l.Allocated, closed)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Tracking applied to the ERP")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER\tSHIPMENT\tTRACKING\tCARRIER\tSERVICE\tSTATUS")
	applied := a.erp.Applied()
	slices.SortStableFunc(applied, func(x, y vsync.ShipmentUpdate) int {
		if c := strings.Compare(x.OrderRef, y.OrderRef); c != 0 {
			return c
		}
		return int(x.ShipmentID - y.ShipmentID)
	})
	for _, u := range applied {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", u.OrderRef, u.ShipmentID, strings.Join(u.TrackingNumbers, ","), u.Carrier, u.ShipService, u.Status)
	}
	tw.Flush()
	fmt.Fprintln(w)

	logs, err := a.engine.Logs(ctx, store.LogQuery{Limit: 1000})
	if err != nil {
		return err
	}
	entries := logs.Entries
	slices.Reverse(entries) // oldest first
	fmt.Fprintln(w, "Log")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tLEVEL\tPROCESS\tREFERENCE\tMESSAGE")
	for _, l := range entries {
		ref := l.Reference
		if ref == "" {
			ref = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Time.In(loc).Format("15:04"), l.Level, l.Process, ref, l.Message)
	}
	tw.Flush()
	fmt.Fprintln(w)

	sch, err := a.engine.Settings().Schedule()
	if err != nil {
		return err
	}
	fmt.Fprint(w, "Next scheduled runs (08:00 local, 5 minutes early):")
	for _, t := range sch.NextN(time.Date(2026, 11, 2, 23, 0, 0, 0, time.UTC), 2) {
		fmt.Fprintf(w, " %s", t.In(loc).Format("Mon 2006-01-02 15:04 MST"))
	}
	fmt.Fprint(w, "\n\n")
	return nil
}
