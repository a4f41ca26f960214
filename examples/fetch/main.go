// Command fetch shows the fetch direction: orders born on a marketplace
// (Amazon) reach both the ERP and Veeqo on their own; Veeqo's warehouse
// ships them, and the engine brings each shipment back into the ERP's copy
// of the order. Offline, against a fake Veeqo (veeqotest) on loopback.
//
//	go run ./examples/fetch
//
// The ERP (vsync.MemoryERP here; examples/export shows a host's own) holds
// the Amazon orders it imported, each with the Amazon order id as its
// number or as its marketplace reference; the engine finds the ERP order of
// a Veeqo order with ERP.FindOrder by either. The settings select fetch
// mode (fetch_fulfillments) and map the ERP store "Amazon" to the Veeqo
// channel "Amazon US". Only the mapped channels are listed (channel_ids),
// so the orders of the unmapped "Amazon US FBA" channel, fulfilled by
// Amazon rather than by the warehouse, are never read. Without a store
// mapping every channel is listed and the Amazon FBA type is left out by
// default (excluded_channel_types; Report.Excluded counts them).
//
// Four runs: one order ships in two parcels (the quantities add up), one
// is shipped by the marketplace without a tracking number (and by a
// carrier the mapping passes through with a warning), one the ERP does not
// know yet fails alone and is retried until the ERP has it, and an FBA
// order is not read at all.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/time/rate"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/memstore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fetch:", err)
		os.Exit(1)
	}
}

// marketplace is the fake Veeqo with its seeded catalogue, standing in for
// the orders Veeqo imports from Amazon.
type marketplace struct {
	srv    *veeqotest.Server
	seeded veeqotest.Seeded
	fba    veeqo.Channel
}

// order adds an order as Veeqo would import it from the channel, with
// quantities by SKU.
func (m *marketplace) order(number string, ch veeqo.Channel, lines map[string]int) veeqo.Order {
	o := veeqo.Order{Number: number, Channel: &ch, Customer: &veeqo.Customer{Email: "buyer-" + number + "@marketplace.example"},
		DeliverTo: &veeqo.Address{FirstName: "Sam", LastName: "Buyer", Address1: "1 Market St", City: "Seattle", State: "WA", Zip: "98101", Country: "US"}}
	for _, sku := range []string{"MUG-1", "TEE-1", "CAP-1"} { // a stable line order
		if q, ok := lines[sku]; ok {
			o.LineItems = append(o.LineItems, veeqo.LineItem{Sellable: &veeqo.Sellable{ID: m.seeded.SKUs[sku]}, Quantity: q})
		}
	}
	return m.srv.AddOrder(o)
}

// run is one piece on purpose: an example is read top to bottom as the
// walkthrough it prints, each step beside its output.
func run(ctx context.Context, w io.Writer) error {
	srv, err := veeqotest.Start()
	if err != nil {
		return err
	}
	defer srv.Close()
	m := &marketplace{srv: srv, seeded: srv.Seed(veeqotest.DemoCatalog())}
	wh := m.seeded.Warehouse
	m.fba = srv.AddChannel(veeqo.Channel{Name: "Amazon US FBA", TypeCode: veeqo.ChannelAmazonFBA, DefaultWarehouse: &wh})
	amazon := m.seeded.Channels["Amazon US"]

	// The ERP's copies of the Amazon orders. AMZ-5001 carries the Amazon
	// order id as its number; AMZ-5002 as its marketplace reference.
	placed := time.Now().UTC().Add(-2 * time.Hour)
	line := func(ref, sku string, q int) vsync.ERPLine {
		return vsync.ERPLine{Ref: ref, SKU: sku, Quantity: q, Allocated: q}
	}
	erp := vsync.NewMemoryERP(
		vsync.ERPOrder{Ref: "AMZ-5001", Number: "113-0000001-0000001", Store: "Amazon", Source: "Amazon", CreatedAt: placed,
			Lines: []vsync.ERPLine{line("1", "MUG-1", 2), line("2", "TEE-1", 1)}},
		vsync.ERPOrder{Ref: "AMZ-5002", Number: "AMZ-5002", MarketplaceRef: "113-0000002-0000002", Store: "Amazon", Source: "Amazon", CreatedAt: placed,
			Lines: []vsync.ERPLine{line("1", "CAP-1", 1)}},
	)

	settings, err := vsync.ParseSettings([]byte(`{
		"account": "amazon",
		"fetch_fulfillments": true,
		"store_mapping": [{"erp_store": "Amazon", "veeqo_channel": "Amazon US"}],
		"carrier_mapping": {"unmapped": "pass_through", "rows": [{"erp_name": "UPS Ground", "veeqo_name": "UPS"}]},
		"ship_service_mapping": [{"erp_name": "Ground", "veeqo_name": "Standard"}]
	}`))
	if err != nil {
		return err
	}
	client, err := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()), veeqo.WithRateLimit(rate.Limit(100), 10))
	if err != nil {
		return err
	}
	st := memstore.New()
	defer st.Close()
	eng, err := vsync.New(vsync.Config{Account: settings.Account, Settings: settings, Store: st, ERP: erp, Veeqo: vsync.ClientAPI(client)})
	if err != nil {
		return err
	}
	runOnce := func(title string) error {
		rep, err := eng.Run(ctx, vsync.RunOptions{Trigger: "example"})
		if err != nil {
			return fmt.Errorf("%s: %w", title, err)
		}
		fmt.Fprintf(w, "-- %s: %s (%s)\n", title, rep.Status, rep.Summary())
		for _, o := range rep.Outcomes {
			fmt.Fprintf(w, "   %-19s %-7s %s\n", o.Reference, o.Status, o.Message)
		}
		return nil
	}

	fmt.Fprintln(w, "fetch: Amazon orders shipped from Veeqo, their fulfillments applied to the ERP")
	o1 := m.order("113-0000001-0000001", amazon, map[string]int{"MUG-1": 2, "TEE-1": 1})
	o2 := m.order("113-0000002-0000002", amazon, map[string]int{"CAP-1": 1})
	o3 := m.order("113-0000003-0000003", amazon, map[string]int{"MUG-1": 1}) // not in the ERP yet
	fba := m.order("113-0000004-0000004", m.fba, map[string]int{"TEE-1": 1}) // fulfilled by Amazon
	if _, err := srv.ShipPartial(o1.ID, map[int64]int{m.seeded.SKUs["MUG-1"]: 1}, veeqotest.ShipInfo{TrackingNumber: "1ZAMZ0001", CarrierName: "UPS", ServiceName: "Standard"}); err != nil {
		return err
	}
	if _, err := srv.ShipAll(o2.ID, veeqotest.ShipInfo{CarrierName: "Amazon Shipping"}); err != nil { // no tracking number
		return err
	}
	for _, id := range []int64{o3.ID, fba.ID} {
		if _, err := srv.ShipAll(id, veeqotest.ShipInfo{TrackingNumber: fmt.Sprintf("TBA%d", id), CarrierName: "UPS", ServiceName: "Standard"}); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "-- Veeqo: 113-...-0001 ships 1 mug of 2, 113-...-0002 ships (by the marketplace), 113-...-0003 ships, an FBA order ships")
	if err := runOnce("run 1"); err != nil {
		return err
	}

	if _, err := srv.ShipAll(o1.ID, veeqotest.ShipInfo{TrackingNumber: "1ZAMZ0002", CarrierName: "UPS", ServiceName: "Standard"}); err != nil {
		return err
	}
	fmt.Fprintln(w, "-- Veeqo: the rest of 113-...-0001 ships in a second parcel")
	if err := runOnce("run 2"); err != nil {
		return err
	}

	erp.Put(vsync.ERPOrder{Ref: "AMZ-5003", Number: "113-0000003-0000003", Store: "Amazon", Source: "Amazon", CreatedAt: placed,
		Lines: []vsync.ERPLine{line("1", "MUG-1", 1)}})
	fmt.Fprintln(w, "-- ERP: imports Amazon order 113-...-0003 as AMZ-5003")
	if err := runOnce("run 3"); err != nil {
		return err
	}
	if err := runOnce("run 4, nothing new"); err != nil {
		return err
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "ERP orders")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER\tAMAZON ORDER\tSTATUS\tLINE\tSKU\tORDERED\tSHIPPED\tCLOSED\tTRACKING")
	for _, o := range erp.Orders() {
		amz := o.Number
		if o.MarketplaceRef != "" {
			amz = o.MarketplaceRef
		}
		tracking := strings.Join(erp.Tracking(o.Ref), ",")
		if tracking == "" {
			tracking = "-"
		}
		for i, l := range o.Lines {
			ref, a, s, tr := o.Ref, amz, o.Status, tracking
			if i > 0 {
				ref, a, s, tr = "", "", "", ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%v\t%s\n", ref, a, s, l.Ref, l.SKU, l.Quantity, l.Shipped, l.Closed, tr)
		}
	}
	tw.Flush()

	page, err := eng.Records(ctx, store.RecordQuery{Process: vsync.ProcessFetch, Limit: 100})
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Operations records (%s, by Veeqo order number)\n", vsync.ProcessFetch)
	for _, r := range page.Records {
		fmt.Fprintf(w, "  %s %s after %d attempt(s)\n", r.Reference, r.Status, r.Attempts)
	}
	return nil
}
