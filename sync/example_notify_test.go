package sync_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/notify/notifytest"
	"github.com/xoroerp/veeqoconnect/store/memstore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// Example_emailNotifications wires the notify package's email policy to the
// engine: the policy is the engine's Notifier, its bookkeeping and its log
// source are the engine's store (NotifyState, NotifySource), and its
// configuration comes from the settings page (Settings.EmailConfig). A run
// with two failing orders sends one instant mail at its end (the engine
// flushes the policy); an error matching exclude_logs is left out; the next
// day's digest at the scheduled time lists what went wrong.
func Example_emailNotifications() {
	now := time.Date(2026, 11, 2, 16, 0, 0, 0, time.UTC) // 08:00 in Los Angeles
	clock := func() time.Time { return now }
	srv, err := veeqotest.Start(veeqotest.WithClock(clock))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	wh := srv.AddWarehouse(veeqo.Warehouse{Name: "Main"})
	srv.AddChannel(veeqo.Channel{Name: "Web Shop", DefaultWarehouse: &wh})
	srv.AddProduct(veeqo.Product{Title: "Mug", Sellables: []veeqo.Sellable{{SKUCode: "MUG-1"}}})
	client, err := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()), veeqo.WithRateLimit(rate.Limit(100), 10))
	if err != nil {
		fmt.Println(err)
		return
	}

	order := func(ref, store, sku string) vsync.ERPOrder {
		return vsync.ERPOrder{Ref: ref, Number: ref, Wave: "W1", Store: store, CreatedAt: now,
			Customer: vsync.Customer{Email: "ann@example.com", Name: "Ann Lee"},
			ShipTo:   vsync.Address{Address1: "1 Main St", City: "Portland", Zip: "97201", Country: "US"},
			Lines:    []vsync.ERPLine{{Ref: "1", SKU: sku, Quantity: 1, UnitPrice: decimal.NewFromInt(9)}}}
	}
	erp := vsync.NewMemoryERP(
		order("SO-1", "Web", "MUG-1"),     // exported
		order("SO-2", "Web", "GIFT-CARD"), // not in Veeqo, no default SKU: an error
		order("SO-3", "Outlet", "MUG-1"),  // store not mapped: an error
		order("SO-4", "Web", "TEST-ITEM"), // an error that exclude_logs leaves out of mail
	)
	settings := vsync.Settings{
		Account:            "acme",
		ExportOrders:       true,
		StoreMapping:       vsync.Stores(vsync.StoreMapping{ERPStore: "Web", VeeqoChannel: "Web Shop"}),
		TimeZone:           "(UTC-08:00) Pacific Time (US and Canada)",
		Hour:               7,
		InstantErrorEmails: vsync.EmailSetting{Enabled: true, Recipients: "ops@acme.example"},
		DailyErrorEmails:   vsync.EmailSetting{Enabled: true, Recipients: "boss@acme.example, ops@acme.example"},
		ExcludeLogs:        "*TEST-ITEM*",
	}

	st := memstore.New(memstore.WithClock(clock))
	mailCfg, err := settings.EmailConfig("veeqo-sync@acme.example")
	if err != nil {
		fmt.Println(err)
		return
	}
	mailbox := &notifytest.Mailbox{} // a notify.SMTPMailer in production
	policy, err := notify.NewEmailPolicy(mailCfg, mailbox, vsync.NotifyState(st), vsync.NotifySource(st),
		notify.WithClock(clock), notify.WithSkipEmptyDigest())
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	// A host runs policy.Run(ctx) in the background; here the ticks are
	// explicit. The first one starts the digest's period.
	if err := policy.Tick(ctx, now); err != nil {
		fmt.Println(err)
		return
	}

	eng, err := vsync.New(vsync.Config{Account: "acme", Settings: settings, Store: st, ERP: erp,
		Veeqo: vsync.ClientAPI(client), Clock: clock, Notifier: policy})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := eng.Run(ctx, vsync.RunOptions{Trigger: "example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("run:", rep.Status, "exported", rep.Exported, "failed", rep.Failed)
	// Run flushed the policy already; a host may flush again at shutdown.
	if err := policy.Flush(ctx); err != nil {
		fmt.Println(err)
		return
	}

	now = now.Add(24 * time.Hour) // 08:00 the next day: the 07:00 digest is due
	if err := policy.Tick(ctx, now); err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range mailbox.Messages() {
		fmt.Println(m.To, m.Subject)
	}
	// Output:
	// run: partial exported 1 failed 3
	// [ops@acme.example] [Veeqo][acme] 2 errors: export_order SO-2, export_order SO-3
	// [boss@acme.example ops@acme.example] [Veeqo][acme] Daily error summary 2026-11-03 (2 errors)
}
