// Command scheduled shows a host's scheduler: the settings' schedule
// decides when the engine runs, and errors are mailed through the notify
// package's SMTP mailer, instantly and as a daily digest. Offline: a fake
// Veeqo (veeqotest) and an SMTP server (github.com/emersion/go-smtp), both
// on loopback in this process.
//
//	go run ./examples/scheduled
//
// The library runs nothing on its own: the host owns the loop. Each tick it
// asks Schedule.Due(last scheduled run's start, now), runs the engine when
// it says so, and ticks the email policy (EmailPolicy.Tick, or Run in a
// goroutine). The last run's start comes from the store's run history, so
// a restarted host neither misses a slot nor runs a missed one twice: Due
// is true once however many slots passed.
//
// The settings here: auto_sync from 2026-11-02, 08:00 New York time, five
// minutes early (start_offset_minutes -5), repeated every 4 hours to the
// end of each day; instant error mail to ops, a daily digest to ops and
// the manager at the run time (08:00). The mailer speaks real SMTP to the
// local server (TLS "none" is allowed only to a loopback host).
//
// To show a day in a few seconds the program moves a simulated clock in
// 5-minute steps from Monday 07:00 to Tuesday 08:30, and every part (the
// fake Veeqo, the store, the engine, the policy) reads that clock. A real
// host ticks every 30 seconds or so on time.Now.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	stdsync "sync"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/memstore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

func main() {
	if _, err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scheduled:", err)
		os.Exit(1)
	}
}

// clock is the simulated clock every part shares.
type clock struct {
	mu stdsync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

const settingsJSON = `{
	"account": "acme",
	"export_orders": true,
	"default_sku": "MISC-ITEM",
	"store_mapping": [{"erp_store": "Web", "veeqo_channel": "Web Store"}],
	"ship_service_mapping": [{"erp_name": "Ground", "veeqo_name": "Standard"}],
	"carrier_mapping": [{"erp_name": "UPS Ground", "veeqo_name": "UPS"}],
	"time_zone": "America/New_York",
	"auto_sync": true,
	"start_date": "2026-11-02",
	"hour": 8,
	"minute": 0,
	"start_offset_minutes": -5,
	"repeat_interval": "4h",
	"instant_error_emails": {"enabled": true, "recipients": "ops@acme.example"},
	"daily_error_emails": {"enabled": true, "recipients": "ops@acme.example, manager@acme.example"}
}`

// run simulates the day, printing what happens, and returns the mail the
// SMTP server received.
// It is one piece on purpose: an example is read top to bottom as the
// walkthrough it prints, each step beside its output.
func run(ctx context.Context, w io.Writer) ([]receivedMail, error) {
	settings, err := vsync.ParseSettings([]byte(settingsJSON))
	if err != nil {
		return nil, err
	}
	sch, err := settings.Schedule()
	if err != nil {
		return nil, err
	}
	loc := sch.Location()
	start := time.Date(2026, 11, 2, 7, 0, 0, 0, loc) // Monday 07:00
	end := time.Date(2026, 11, 3, 8, 30, 0, 0, loc)  // Tuesday 08:30
	clk := &clock{t: start}
	local := func(t time.Time) string { return t.In(loc).Format("Mon 15:04") }

	srv, err := veeqotest.Start(veeqotest.WithClock(clk.Now))
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	srv.Seed(veeqotest.DemoCatalog())
	client, err := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()), veeqo.WithRateLimit(rate.Limit(100), 10))
	if err != nil {
		return nil, err
	}
	smtpSrv, err := startMailServer(clk.Now)
	if err != nil {
		return nil, err
	}
	defer smtpSrv.Close()

	st := memstore.New(memstore.WithClock(clk.Now))
	defer st.Close()
	mailer, err := notify.NewSMTPMailer(notify.SMTPConfig{
		Host: "127.0.0.1", Port: smtpSrv.addr.Port, TLS: notify.TLSNone, HELO: "localhost", Timeout: 10 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	mailCfg, err := settings.EmailConfig("veeqo-sync@acme.example")
	if err != nil {
		return nil, err
	}
	policy, err := notify.NewEmailPolicy(mailCfg, mailer, vsync.NotifyState(st), vsync.NotifySource(st), notify.WithClock(clk.Now))
	if err != nil {
		return nil, err
	}

	erp := vsync.NewMemoryERP()
	eng, err := vsync.New(vsync.Config{
		Account: settings.Account, Settings: settings, Store: st, ERP: erp, Veeqo: vsync.ClientAPI(client),
		Clock: clk.Now, Notifier: policy, // the engine flushes the policy at the end of each run
	})
	if err != nil {
		return nil, err
	}

	fmt.Fprintf(w, "scheduled: runs at %s; the day simulated in 5-minute ticks\n", describe(sch, start))

	// What happens during the day, by local time.
	order := func(ref, service, sku string) vsync.ERPOrder {
		return vsync.ERPOrder{Ref: ref, Number: ref, Wave: "W-" + ref, Store: "Web", ShipService: service, Carrier: "UPS Ground", CreatedAt: clk.Now(),
			Customer: vsync.Customer{Email: strings.ToLower(ref) + "@buyer.example", Name: "Lee Buyer"},
			ShipTo:   vsync.Address{FirstName: "Lee", LastName: "Buyer", Address1: "5 Pine St", City: "Boston", State: "MA", Zip: "02108", Country: "US"},
			Lines:    []vsync.ERPLine{{Ref: "1", SKU: sku, Quantity: 1, Allocated: 1, UnitPrice: decimal.NewFromInt(10)}}}
	}
	events := map[string]func() error{
		"Mon 07:30": func() error {
			erp.Put(order("SO-3001", "Ground", "MUG-1"), order("SO-3002", "Courier", "TEE-1")) // Courier: not mapped
			return nil
		},
		"Mon 10:00": func() error {
			o := srv.OrdersByNumber("SO-3001")
			if len(o) != 1 {
				return fmt.Errorf("SO-3001: %d orders in Veeqo", len(o))
			}
			_, err := srv.ShipAll(o[0].ID, veeqotest.ShipInfo{TrackingNumber: "1ZSCHED01", CarrierName: "UPS", ServiceName: "Standard"})
			return err
		},
		"Mon 14:10": func() error {
			erp.Put(order("SO-3003", "Ground", "CAP-1"), order("SO-3004", "Ground", "TEE-1"))
			return nil
		},
		"Mon 14:20": func() error {
			bad := order("SO-3005", "Ground", "MUG-1")
			bad.Store = "Outlet"
			erp.Put(bad)
			return nil
		},
	}
	describeEvent := map[string]string{
		"Mon 07:30": "ERP: SO-3001 and SO-3002 (ship service Courier, not mapped) are waved",
		"Mon 10:00": "warehouse: SO-3001 ships",
		"Mon 14:10": "ERP: SO-3003 and SO-3004 are waved",
		"Mon 14:20": "ERP: SO-3005 is waved in store Outlet (not mapped)",
	}

	sent := 0
	for now := start; !now.After(end); now = now.Add(5 * time.Minute) {
		clk.Set(now)
		if f, ok := events[local(now)]; ok {
			fmt.Fprintf(w, "%s  %s\n", local(now), describeEvent[local(now)])
			if err := f(); err != nil {
				return nil, err
			}
		}
		last, err := lastScheduled(ctx, st, settings.Account)
		if err != nil {
			return nil, err
		}
		if sch.Due(last, now) {
			rep, err := eng.Run(ctx, vsync.RunOptions{Trigger: "schedule"})
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(w, "%s  run %s: %s\n", local(now), rep.Status, rep.Summary())
		}
		if err := policy.Tick(ctx, now); err != nil {
			return nil, err
		}
		for _, m := range smtpSrv.Mails()[sent:] {
			fmt.Fprintf(w, "%s  mail to %s: %s\n", local(m.At), strings.Join(m.To, ", "), m.Subject)
			sent++
		}
	}

	fmt.Fprintln(w)
	mails := smtpSrv.Mails()
	if len(mails) > 0 {
		digest := mails[len(mails)-1]
		fmt.Fprintf(w, "The last mail, as the SMTP server received it (from %s):\n", digest.From)
		fmt.Fprintf(w, "Subject: %s\n\n%s\n", digest.Subject, strings.TrimSpace(digest.Body))
	}
	return mails, nil
}

// lastScheduled is the start of the account's last scheduled run, from the
// store's run history (zero when it never ran).
func lastScheduled(ctx context.Context, st store.Store, account string) (time.Time, error) {
	runs, err := st.QueryRuns(ctx, store.RunQuery{Account: account, Limit: 50})
	if err != nil {
		return time.Time{}, err
	}
	for _, r := range runs {
		if r.Trigger == "schedule" {
			return r.StartedAt, nil
		}
	}
	return time.Time{}, nil
}

// describe lists the run times of from's local day after from.
func describe(sch *vsync.Schedule, from time.Time) string {
	var out []string
	loc := sch.Location()
	for t := sch.Next(from); t.In(loc).YearDay() == from.In(loc).YearDay(); t = sch.Next(t) {
		out = append(out, t.In(loc).Format("15:04"))
	}
	return strings.Join(out, ", ") + " " + from.In(loc).Format("MST")
}
