// Command export shows the export direction the way a host embeds it: the
// host's own ERP behind the vsync.ERP seam and the library's state in an
// SQLite file, against a fake Veeqo (veeqotest) on loopback, offline.
//
//	go run ./examples/export            # state in a temporary directory, removed at the end
//	go run ./examples/export -dir DIR   # state kept in DIR/veeqoconnect.db
//
// The host here is acmeERP, a few dozen lines over the host's own order
// table (its own types, its own ship-via codes); a real host writes the same
// adapter over its database. It shows what the seam asks for:
//
//   - Candidates: the orders on a pick wave, created since the start date,
//     narrowed by a manual run's refs, window or search; current data,
//     never a cached copy.
//   - Order and FindOrder: one order by reference, or by a Veeqo order's
//     number; vsync.ErrERPOrderNotFound when there is none.
//   - ApplyShipment: apply the update the engine computed, once per
//     u.Key() (a repeat is a no-op), in the host's own terms.
//
// The program exports three orders (one with an item Veeqo does not sell,
// which goes through the default SKU with a warning, one with a ship-via
// code nobody mapped, which fails alone with an error naming the setting),
// has the fake warehouse ship one order fully and one in part, closes the
// store and opens it again from its file, as a restarted process would,
// imports the confirmations, and runs once more to show nothing is sent
// twice. The state file is created owner-only (0600): it holds customer
// data and the API key.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/time/rate"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

func main() {
	dir := flag.String("dir", "", "directory for the state file (default: a temporary directory, removed at the end)")
	flag.Parse()
	if err := withDir(*dir, func(d string) error { return run(context.Background(), os.Stdout, d) }); err != nil {
		fmt.Fprintln(os.Stderr, "export:", err)
		os.Exit(1)
	}
}

// withDir calls f with dir, or with a temporary directory removed after f
// when dir is empty.
func withDir(dir string, f func(string) error) error {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		return f(dir)
	}
	tmp, err := os.MkdirTemp("", "veeqoconnect-export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	return f(tmp)
}

// StateFile is the state's file name inside the directory run is given.
const StateFile = "veeqoconnect.db"

// run is one piece on purpose: an example is read top to bottom as the
// walkthrough it prints, each step beside its output.
func run(ctx context.Context, w io.Writer, dir string) error {
	// The fake Veeqo with veeqoctl's demo catalogue: warehouse "Main",
	// channel "Web Store", delivery methods Standard and Express, SKUs
	// MUG-1, TEE-1, CAP-1 and the default SKU MISC-ITEM.
	srv, err := veeqotest.Start()
	if err != nil {
		return err
	}
	defer srv.Close()
	srv.Seed(veeqotest.DemoCatalog())
	client, err := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()), veeqo.WithRateLimit(rate.Limit(100), 10))
	if err != nil {
		return err
	}

	erp := newAcmeERP(time.Now().UTC().Add(-time.Hour))
	settings, err := vsync.ParseSettings([]byte(`{
		"account": "acme",
		"export_orders": true,
		"default_sku": "MISC-ITEM",
		"store_mapping": [{"erp_store": "web", "veeqo_channel": "Web Store"}],
		"ship_service_mapping": [
			{"erp_name": "GROUND", "veeqo_name": "Standard"},
			{"erp_name": "NEXTDAY", "veeqo_name": "Express"}
		],
		"carrier_mapping": [{"erp_name": "UPS Ground", "veeqo_name": "UPS"}]
	}`))
	if err != nil {
		return err
	}

	path := filepath.Join(dir, StateFile)
	open := func() (*sqlitestore.Store, *vsync.Engine, error) {
		st, err := sqlitestore.Open(ctx, path)
		if err != nil {
			return nil, nil, err
		}
		eng, err := vsync.New(vsync.Config{
			Account:  settings.Account,
			Settings: settings,
			Store:    st,
			ERP:      erp,
			Veeqo:    vsync.ClientAPI(client),
		})
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		return st, eng, nil
	}
	runOnce := func(eng *vsync.Engine, title string) error {
		rep, err := eng.Run(ctx, vsync.RunOptions{Trigger: "example"})
		if err != nil {
			return fmt.Errorf("%s: %w", title, err)
		}
		fmt.Fprintf(w, "-- %s: %s (%s)\n", title, rep.Status, rep.Summary())
		for _, o := range rep.Outcomes {
			fmt.Fprintf(w, "   %-9s %-19s %-7s %s\n", o.Reference, o.Process, o.Status, o.Message)
		}
		return nil
	}

	fmt.Fprintln(w, "export: the host's ERP (acmeERP) to a fake Veeqo, the state in SQLite")
	st, eng, err := open()
	if err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		st.Close()
		return err
	}
	fmt.Fprintf(w, "state file %s, mode %v\n", StateFile, fi.Mode().Perm())
	if err := runOnce(eng, "run 1, export"); err != nil {
		st.Close()
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}

	// The warehouse ships ACME-1001 in full and one mug of ACME-1002.
	if err := ship(srv, "ACME-1001", nil, "1ZACME0001"); err != nil {
		return err
	}
	if err := ship(srv, "ACME-1002", map[string]int{"MUG-1": 1}, "1ZACME0002"); err != nil {
		return err
	}
	fmt.Fprintln(w, "-- warehouse: ACME-1001 shipped in full, ACME-1002 one mug of three")

	fmt.Fprintln(w, "-- restart: the store is opened again from its file")
	st, eng, err = open()
	if err != nil {
		return err
	}
	defer st.Close()
	if err := runOnce(eng, "run 2, confirmations"); err != nil {
		return err
	}
	if err := runOnce(eng, "run 3, nothing new"); err != nil {
		return err
	}
	fmt.Fprintf(w, "Veeqo holds %d orders; it was asked to create %d\n", len(srv.Orders()), srv.Count("POST", "/orders"))

	fmt.Fprintln(w)
	erp.print(w)

	page, err := eng.Records(ctx, store.RecordQuery{ErrorsOnly: true, Limit: 100})
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Needs attention (errors and warnings)")
	for _, r := range page.Records {
		fmt.Fprintf(w, "  %s %s %s: %s\n", r.Reference, r.Process, r.Status, r.Message)
	}
	return nil
}

// ship has the fake warehouse ship an exported order: the given quantities
// by SKU as one parcel, or everything left when lines is nil.
func ship(srv *veeqotest.Server, number string, lines map[string]int, tracking string) error {
	list := srv.OrdersByNumber(number)
	if len(list) != 1 {
		return fmt.Errorf("order %s: %d in Veeqo", number, len(list))
	}
	info := veeqotest.ShipInfo{TrackingNumber: tracking, CarrierName: "UPS", ServiceName: "Standard"}
	if lines == nil {
		_, err := srv.ShipAll(list[0].ID, info)
		return err
	}
	by := map[int64]int{}
	for _, li := range list[0].LineItems {
		if q, ok := lines[li.Sellable.SKUCode]; ok {
			by[li.Sellable.ID] = q
		}
	}
	_, err := srv.ShipPartial(list[0].ID, by, info)
	return err
}

// print shows the host's order table as the host's own screens would.
func (e *acmeERP) print(w io.Writer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fmt.Fprintln(w, "The host's orders after the runs")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER\tSTATUS\tLINE\tITEM\tQTY\tSHIPPED\tOPEN\tTRACKING")
	for _, no := range slices.Sorted(maps.Keys(e.orders)) {
		so := e.orders[no]
		for i, it := range so.Items {
			order, status, tracking := so.No, so.Status, strings.Join(so.Tracking, ",")
			if i > 0 {
				order, status, tracking = "", "", ""
			}
			open := "yes"
			if it.Closed {
				open = "no"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d\t%s\t%s\n", order, status, it.Line, it.Item, it.Qty, it.Shipped, open, tracking)
		}
	}
	tw.Flush()
}
