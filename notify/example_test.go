package notify_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/notify/notifytest"
)

// Example wires the email policy the way the engine does: each log entry is stored first (the store assigns its
// sequence number), then passed to the notifiers; the engine flushes at the end of a run, and a scheduler (or
// policy.Run) ticks for the coalescing window, the daily digest and health alerts.
func Example() {
	ctx := context.Background()
	loc, _ := time.LoadLocation("America/Los_Angeles")
	now := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC) // 10:00 PST

	// The host's store provides these two seams; here, in memory.
	store := &notifytest.Log{}
	state := notifytest.NewState()
	// In production: notify.NewSMTPMailer(notify.SMTPConfig{Host: "smtp.example.com", Username: ..., Password: ...}).
	mailer := &notifytest.Mailbox{}

	policy, err := notify.NewEmailPolicy(notify.EmailConfig{
		Account:         "acme",
		From:            "veeqo@erp.example",
		InstantEnabled:  true,
		InstantTo:       "ops@shop.example",
		DailyEnabled:    true,
		DailyTo:         "manager@shop.example",
		DailyAt:         notify.TimeOfDay{Hour: 8},
		Location:        loc,
		ExcludePatterns: "rate limit",
	}, mailer, state, store, notify.WithClock(func() time.Time { return now }))
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = policy.Tick(ctx, now) // what Run does first: catch up, start the digest period

	// The engine's notifier: store, then tell everyone who listens.
	engine := store.Notifier(notify.Multi(notify.NewSlogNotifier(slog.New(slog.DiscardHandler)), policy))
	for i := 1; i <= 25; i++ {
		_ = engine.Notify(ctx, notify.Event{Account: "acme", RunID: "run-7", Process: "export_order", Level: notify.LevelError,
			Reference: fmt.Sprintf("SO-%d", 1000+i), Message: "SKU not found in Veeqo", Time: now})
	}
	_ = engine.Notify(ctx, notify.Event{Account: "acme", Process: "export_order", Level: notify.LevelError, Message: "Veeqo rate limit, retrying", Time: now})
	_ = policy.Flush(ctx) // end of the run

	_ = policy.Tick(ctx, time.Date(2026, 11, 28, 16, 0, 0, 0, time.UTC)) // 08:00 PST next day

	for _, m := range mailer.Messages() {
		fmt.Println(strings.Join(m.To, ","), "|", m.Subject)
	}
	// Output:
	// ops@shop.example | [Veeqo][acme] 25 errors: export_order SO-1001, export_order SO-1002, export_order SO-1003, ...
	// manager@shop.example | [Veeqo][acme] Daily error summary 2026-11-28 (25 errors)
}

// ExampleNewSMTPMailer shows the mailer's configuration; its String never shows the password.
func ExampleNewSMTPMailer() {
	cfg := notify.SMTPConfig{
		Host:     "smtp.example.com",
		TLS:      notify.TLSStartTLS,
		Username: "veeqo@erp.example",
		Password: "correct horse battery staple",
	}
	m, err := notify.NewSMTPMailer(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m)
	// Output:
	// SMTPMailer(SMTPConfig{Host:smtp.example.com Port:587 TLS:starttls Username:veeqo@erp.example Password:[REDACTED] Timeout:30s MaxAttempts:3})
}

// ExampleCompileExclude shows keywords and wildcards.
func ExampleCompileExclude() {
	ex, err := notify.CompileExclude("rate limit, SKU * not found, *timeout?")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, msg := range []string{"Veeqo Rate Limit hit", "sku ABC-1 not found", "read timeout!", "SKU ABC-1 not found in channel"} {
		p, ok := ex.Match(msg)
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%-32q excluded=%v %s", msg, ok, p)))
	}
	_, err = notify.CompileExclude("timeout, *")
	fmt.Println(err)
	// Output:
	// "Veeqo Rate Limit hit"           excluded=true rate limit
	// "sku ABC-1 not found"            excluded=true SKU * not found
	// "read timeout!"                  excluded=true *timeout?
	// "SKU ABC-1 not found in channel" excluded=false
	// notify: invalid configuration: invalid pattern "*" would exclude every message
}
