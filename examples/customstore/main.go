// Command customstore shows a host's own store.Store: alertingStore (in
// store.go) keeps the library's state in another store and pages the
// host's on-call with every error the engine logs. Offline, against a fake
// Veeqo (veeqotest) on loopback.
//
//	go run ./examples/customstore
//	go test ./examples/customstore   # storetest.Run proves the store
//
// A host writes its own store to keep the state in a database the library
// has no store for, or, as here, to add something around one of the
// library's stores. Either way the store must keep every guarantee written
// on store.Store (claims with one winner, compare-and-set, lease fencing,
// CompleteExport all or nothing, the documented orders and paging): the
// library's exactly-once rests on them. storetest.Run checks them all, as
// it does for memstore, sqlitestore and pgstore; store_test.go runs it on
// alertingStore.
//
// The program runs the engine twice over four orders, two of which fail
// (a store nobody mapped, an item Veeqo does not sell): the first run pages
// both errors; the second finds the same reasons and writes no new log line,
// so the pager stays quiet.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	stdsync "sync"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/memstore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "customstore:", err)
		os.Exit(1)
	}
}

// pager stands in for the host's on-call pager.
type pager struct {
	mu    stdsync.Mutex
	pages []store.LogEntry
}

func (p *pager) page(e store.LogEntry) {
	p.mu.Lock()
	p.pages = append(p.pages, e)
	p.mu.Unlock()
}

func (p *pager) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pages)
}

func (p *pager) since(n int) []store.LogEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]store.LogEntry(nil), p.pages[n:]...)
}

// run is one piece on purpose: an example is read top to bottom as the
// walkthrough it prints, each step beside its output.
func run(ctx context.Context, w io.Writer) error {
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

	onCall := &pager{}
	st := newAlertingStore(memstore.New(), onCall.page)
	defer st.Close()

	placed := time.Now().UTC().Add(-time.Hour)
	order := func(ref, storeName, sku string) vsync.ERPOrder {
		return vsync.ERPOrder{Ref: ref, Number: ref, Wave: "W-1", Store: storeName, ShipService: "Standard", CreatedAt: placed,
			Customer: vsync.Customer{Email: "pat@buyer.example", Name: "Pat Buyer"},
			ShipTo:   vsync.Address{FirstName: "Pat", LastName: "Buyer", Address1: "9 Oak St", City: "Denver", State: "CO", Zip: "80202", Country: "US"},
			Lines:    []vsync.ERPLine{{Ref: "1", SKU: sku, Quantity: 1, Allocated: 1, UnitPrice: decimal.NewFromInt(10)}}}
	}
	erp := vsync.NewMemoryERP(
		order("SO-2001", "Web", "MUG-1"),
		order("SO-2002", "Web", "TEE-1"),
		order("SO-2003", "Outlet", "CAP-1"),     // no store mapping for Outlet
		order("SO-2004", "Web", "GIFT-CARD-50"), // not in Veeqo, and no default SKU
	)
	eng, err := vsync.New(vsync.Config{
		Account: "acme",
		Settings: vsync.Settings{
			Account:      "acme",
			ExportOrders: true,
			StoreMapping: vsync.Stores(vsync.StoreMapping{ERPStore: "Web", VeeqoChannel: "Web Store"}),
		},
		Store: st,
		ERP:   erp,
		Veeqo: vsync.ClientAPI(client),
	})
	if err != nil {
		return err
	}

	fmt.Fprintln(w, "customstore: the engine's state in the host's alertingStore (memstore inside, errors paged)")
	for i := 1; i <= 2; i++ {
		before := onCall.count()
		rep, err := eng.Run(ctx, vsync.RunOptions{Trigger: "example"})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "-- run %d: %s (%s)\n", i, rep.Status, rep.Summary())
		pages := onCall.since(before)
		fmt.Fprintf(w, "   paged: %d\n", len(pages))
		for _, p := range pages {
			fmt.Fprintf(w, "   PAGE seq=%d %s %s: %s\n", p.Seq, p.Process, p.Reference, p.Message)
		}
	}

	// The state is the inner store's, read through the wrapper as usual.
	page, err := eng.Records(ctx, store.RecordQuery{ErrorsOnly: true})
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "error records:")
	for _, r := range page.Records {
		fmt.Fprintf(w, "  %s %s, %d attempts\n", r.Reference, r.Status, r.Attempts)
	}
	return nil
}
