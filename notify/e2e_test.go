package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/notify/notifytest"
)

// smtpFixture wires the policy to an SMTP mailer talking STARTTLS + AUTH PLAIN to an in-process server.
func smtpFixture(t *testing.T, cfg notify.EmailConfig) (*smtpServer, *notify.EmailPolicy, *notifytest.Log) {
	t.Helper()
	cert := newTestCert(t)
	srv := startSMTP(t, serverOpts{startTLS: cert.server, user: "mailer", pass: secretPassword})
	m, err := notify.NewSMTPMailer(notify.SMTPConfig{Host: "localhost", Port: srv.Port, TLS: notify.TLSStartTLS,
		Username: "mailer", Password: secretPassword, Timeout: 5 * time.Second}, notify.WithTLSConfig(cert.client))
	require.NoError(t, err)
	lg := &notifytest.Log{}
	p, err := notify.NewEmailPolicy(cfg, m, notifytest.NewState(), lg, notify.WithClock(func() time.Time { return t0 }))
	require.NoError(t, err)
	return srv, p, lg
}

func TestInstantMailOverSMTP(t *testing.T) {
	t.Parallel()
	srv, p, lg := smtpFixture(t, baseConfig(t))
	engine := lg.Notifier(p)
	ctx := t.Context()
	for _, e := range []notify.Event{
		{Process: "export_order", Reference: "SO-1001", Message: "Item not found: SKU ABC-1\nline two of the error"},
		{Process: "import_confirmation", Reference: "SO-0999", Message: "Carrier \"Fedex Ground\" is not mapped"},
	} {
		e.Account, e.Level, e.RunID, e.Time = "acme", notify.LevelError, "run-42", t0
		require.NoError(t, engine.Notify(ctx, e))
	}
	require.NoError(t, p.Flush(ctx))

	mails := srv.Mails()
	require.Len(t, mails, 1)
	got := mails[0]
	require.True(t, got.TLS)
	require.Equal(t, "mailer", got.AuthUser)
	require.Equal(t, "veeqo@erp.example", got.From)
	if diff := cmp.Diff([]string{"ops@shop.example", "boss@shop.example"}, got.To); diff != "" {
		t.Errorf("envelope recipients (-want +got):\n%s", diff)
	}
	h, body := got.parsed(t)
	require.Equal(t, "[Veeqo][acme] 2 errors: export_order SO-1001, import_confirmation SO-0999", decodeHeader(t, h, "Subject"))
	require.Equal(t, `"Veeqo Connector" <veeqo@erp.example>`, h.Get("From"))
	require.Equal(t, `<ops@shop.example>, <boss@shop.example>`, h.Get("To"))
	d, err := h.Date()
	require.NoError(t, err)
	require.True(t, d.Equal(t0))
	require.NotEmpty(t, h.Get("Message-Id"))
	wantBody := `Veeqo integration: 2 errors for account acme.
Logged between 2026-11-27 10:00:00 PST and 2026-11-27 10:00:00 PST.

By process:
  export_order: 1
  import_confirmation: 1

1. ERROR export_order SO-1001
   Time:    2026-11-27 10:00:00 PST
   Run:     run-42
   Message: Item not found: SKU ABC-1
            line two of the error

2. ERROR import_confirmation SO-0999
   Time:    2026-11-27 10:00:00 PST
   Run:     run-42
   Message: Carrier "Fedex Ground" is not mapped

Fix the cause, then retry the failed records from the Operations page.
`
	if diff := cmp.Diff(wantBody, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestDailyDigestOverSMTP(t *testing.T) {
	t.Parallel()
	cfg := baseConfig(t)
	cfg.InstantEnabled = false
	srv, p, lg := smtpFixture(t, cfg)
	ctx := t.Context()
	require.NoError(t, p.Tick(ctx, t0)) // starts the period at 08:00 PST today
	for i, ref := range []string{"SO-1", "SO-1", "SO-2"} {
		lg.Append(notify.Event{Account: "acme", Level: notify.LevelError, Process: "export_order", Reference: ref, Message: "failed", Time: t0.Add(time.Duration(i) * time.Minute)})
	}
	require.NoError(t, p.Tick(ctx, time.Date(2026, 11, 28, 16, 0, 0, 0, time.UTC)))
	mails := srv.Mails()
	require.Len(t, mails, 1)
	require.Equal(t, []string{"daily@shop.example"}, mails[0].To)
	h, body := mails[0].parsed(t)
	require.Equal(t, "[Veeqo][acme] Daily error summary 2026-11-28 (3 errors)", decodeHeader(t, h, "Subject"))
	require.Contains(t, body, "Period: 2026-11-27 08:00:00 PST to 2026-11-28 08:00:00 PST (America/Los_Angeles).\n")
	require.Contains(t, body, "export_order: 3 entries, 2 references\n  SO-1  x2  last 2026-11-27 10:01:00 PST  ERROR: failed\n  SO-2  x1  last 2026-11-27 10:02:00 PST  ERROR: failed\n")
}

func TestHeaderInjectionFromOrderData(t *testing.T) {
	t.Parallel()
	srv, p, lg := smtpFixture(t, baseConfig(t))
	engine := lg.Notifier(p)
	ctx := t.Context()
	require.NoError(t, engine.Notify(ctx, notify.Event{
		Account:   "acme",
		Level:     notify.LevelError,
		Process:   "export_order\r\nSubject: pwned",
		Reference: "SO-1\r\nBcc: evil@attacker.example\r\nX-Injected: yes",
		Message:   "boom\r\nX-Injected: yes\r\n\r\nClick http://attacker.example",
		RunID:     "r\nX-Run: 1",
		Time:      t0,
	}))
	require.NoError(t, p.Flush(ctx))
	mails := srv.Mails()
	require.Len(t, mails, 1)
	require.Equal(t, []string{"ops@shop.example", "boss@shop.example"}, mails[0].To, "an injected Bcc reached the envelope")
	h, body := mails[0].parsed(t)
	for _, k := range []string{"Bcc", "X-Injected", "X-Run"} {
		require.Empty(t, h.Get(k), "header %s was injected", k)
	}
	require.Len(t, h["Subject"], 1)
	subj := decodeHeader(t, h, "Subject")
	require.Equal(t, "[Veeqo][acme] 1 error: export_order Subject: pwned SO-1 Bcc: evil@attacker.example X-Inj...", subj) // references are cut at 40 runes in subjects
	require.Contains(t, body, "1. ERROR export_order Subject: pwned SO-1 Bcc: evil@attacker.example X-Injected: yes\n")
	require.Contains(t, body, "   Message: boom\n            X-Injected: yes\n")
	require.False(t, strings.Contains(string(mails[0].Data), "\r\nBcc:"), "raw message has a Bcc header line")
}

// TestBidiAndEscapesInMail: a reference or message holding a bidirectional
// override (so "SO-1\u202eFDP.exe" would read "SO-1exe.PDF") or a terminal
// escape arrives over SMTP with those characters written as visible
// escapes, in the subject and the body.
func TestBidiAndEscapesInMail(t *testing.T) {
	t.Parallel()
	srv, p, lg := smtpFixture(t, baseConfig(t))
	engine := lg.Notifier(p)
	ctx := t.Context()
	require.NoError(t, engine.Notify(ctx, notify.Event{
		Account: "acme", Level: notify.LevelError, Process: "export_order", RunID: "run-1", Time: t0,
		Reference: "SO-1\u202eFDP.exe",
		Message:   "customer \u2066Ann\u2069 \x1b[2Jcleared\nsecond \u202dline",
	}))
	require.NoError(t, p.Flush(ctx))
	mails := srv.Mails()
	require.Len(t, mails, 1)
	h, body := mails[0].parsed(t)
	subj := decodeHeader(t, h, "Subject")
	require.Equal(t, `[Veeqo][acme] 1 error: export_order SO-1\u202eFDP.exe`, subj)
	require.Contains(t, body, "1. ERROR export_order SO-1\\u202eFDP.exe\n")
	require.Contains(t, body, "   Message: customer \\u2066Ann\\u2069  [2Jcleared\n            second \\u202dline\n")
	for _, r := range []string{"\u202e", "\u2066", "\u2069", "\u202d", "\x1b"} {
		require.NotContains(t, subj, r)
		require.NotContains(t, body, r)
	}
}
