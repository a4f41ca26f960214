package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/notify"
)

const secretPassword = "s3cr3t-P@ss-9f1c"

func testMessage() notify.Message {
	return notify.Message{
		From:    "veeqo@erp.example",
		To:      []string{"ops@shop.example", "boss@shop.example"},
		Subject: "[Veeqo][acme] 1 error: export_order SO-1001",
		Text:    "1. ERROR export_order SO-1001\n   Message: SKU ABC not found ünïcødé\n",
		Date:    time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
	}
}

func TestSMTPMailerDelivers(t *testing.T) {
	t.Parallel()
	cert := newTestCert(t)
	tests := []struct {
		name     string
		server   serverOpts
		cfg      func(port int) notify.SMTPConfig
		wantTLS  bool
		wantUser string
	}{
		{
			name:   "STARTTLS with AUTH PLAIN",
			server: serverOpts{startTLS: cert.server, user: "mailer", pass: secretPassword},
			cfg: func(port int) notify.SMTPConfig {
				return notify.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: notify.TLSStartTLS, Username: "mailer", Password: secretPassword, Timeout: 5 * time.Second}
			},
			wantTLS: true, wantUser: "mailer",
		},
		{
			name:   "implicit TLS with AUTH PLAIN",
			server: serverOpts{implicit: cert.server, user: "mailer", pass: secretPassword},
			cfg: func(port int) notify.SMTPConfig {
				return notify.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: notify.TLSImplicit, Username: "mailer", Password: secretPassword, Timeout: 5 * time.Second}
			},
			wantTLS: true, wantUser: "mailer",
		},
		{
			name:   "opportunistic STARTTLS upgrades when offered",
			server: serverOpts{startTLS: cert.server},
			cfg: func(port int) notify.SMTPConfig {
				return notify.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: notify.TLSOpportunistic, Timeout: 5 * time.Second}
			},
			wantTLS: true,
		},
		{
			name:   "no TLS on loopback",
			server: serverOpts{},
			cfg: func(port int) notify.SMTPConfig {
				return notify.SMTPConfig{Host: "localhost", Port: port, TLS: notify.TLSNone, Timeout: 5 * time.Second}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startSMTP(t, tc.server)
			m, err := notify.NewSMTPMailer(tc.cfg(srv.Port), notify.WithTLSConfig(cert.client))
			require.NoError(t, err)
			msg := testMessage()
			require.NoError(t, m.Send(t.Context(), msg))

			mails := srv.Mails()
			require.Len(t, mails, 1)
			got := mails[0]
			if diff := cmp.Diff(msg.To, got.To); diff != "" {
				t.Errorf("envelope recipients (-want +got):\n%s", diff)
			}
			if got.From != msg.From || got.TLS != tc.wantTLS || got.AuthUser != tc.wantUser {
				t.Errorf("envelope from=%q tls=%v user=%q, want %q %v %q", got.From, got.TLS, got.AuthUser, msg.From, tc.wantTLS, tc.wantUser)
			}
			h, body := got.parsed(t)
			if s := decodeHeader(t, h, "Subject"); s != msg.Subject {
				t.Errorf("Subject = %q, want %q", s, msg.Subject)
			}
			if d, err := h.Date(); err != nil || !d.Equal(msg.Date) {
				t.Errorf("Date = %v (%v), want %v", d, err, msg.Date)
			}
			if !strings.Contains(h.Get("To"), "ops@shop.example") || !strings.Contains(h.Get("To"), "boss@shop.example") {
				t.Errorf("To header = %q", h.Get("To"))
			}
			if !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
				t.Errorf("Content-Type = %q, want text/plain", h.Get("Content-Type"))
			}
			if strings.TrimSpace(body) != strings.TrimSpace(msg.Text) {
				t.Errorf("body = %q, want %q", body, msg.Text)
			}
		})
	}
}

func TestSMTPMailerRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		fail         []error
		maxAttempts  int
		wantErr      bool
		wantDelivers int
	}{
		{name: "a 4xx is retried", fail: []error{errTempFail, errTempFail}, maxAttempts: 3, wantDelivers: 1},
		{name: "gives up after MaxAttempts", fail: []error{errTempFail, errTempFail, errTempFail}, maxAttempts: 3, wantErr: true},
		{name: "a 5xx is not retried (a retry would deliver)", fail: []error{errPermFail}, maxAttempts: 3, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startSMTP(t, serverOpts{})
			srv.FailData(tc.fail...)
			m, err := notify.NewSMTPMailer(notify.SMTPConfig{Host: "127.0.0.1", Port: srv.Port, TLS: notify.TLSNone,
				MaxAttempts: tc.maxAttempts, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Timeout: 5 * time.Second})
			require.NoError(t, err)
			err = m.Send(t.Context(), testMessage())
			if (err != nil) != tc.wantErr {
				t.Fatalf("Send error = %v, want error %v", err, tc.wantErr)
			}
			if got := len(srv.Mails()); got != tc.wantDelivers {
				t.Errorf("delivered %d, want %d", got, tc.wantDelivers)
			}
		})
	}
	t.Run("backoff ends with the context", func(t *testing.T) {
		t.Parallel()
		m, err := notify.NewSMTPMailer(notify.SMTPConfig{Host: "127.0.0.1", Port: 1, TLS: notify.TLSNone, MaxAttempts: 5, Backoff: time.Hour, Timeout: time.Second})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		err = m.Send(ctx, testMessage())
		require.Error(t, err)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Less(t, time.Since(start), 5*time.Second)
	})
}

func TestSMTPMailerNeverShowsPassword(t *testing.T) {
	t.Parallel()
	cert := newTestCert(t)
	srv := startSMTP(t, serverOpts{startTLS: cert.server, user: "mailer", pass: "the-right-one"})
	cfg := notify.SMTPConfig{Host: "127.0.0.1", Port: srv.Port, Username: "mailer", Password: secretPassword, MaxAttempts: 2, Backoff: time.Millisecond, Timeout: 5 * time.Second}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m, err := notify.NewSMTPMailer(cfg, notify.WithTLSConfig(cert.client), notify.WithSMTPLogger(logger))
	require.NoError(t, err)
	sendErr := m.Send(t.Context(), testMessage())
	require.Error(t, sendErr, "wrong password must fail")
	require.Equal(t, 1, srv.AuthFailures(), "a 535 is permanent and must not be retried")
	logger.Info("config", slog.Any("smtp", cfg))

	outputs := map[string]string{
		"error":       sendErr.Error(),
		"String":      cfg.String(),
		"%v":          fmt.Sprintf("%v", cfg),
		"%+v":         fmt.Sprintf("%+v", cfg),
		"%#v":         fmt.Sprintf("%#v", cfg),
		"%v pointer":  fmt.Sprintf("%v", &cfg),
		"mailer %v":   fmt.Sprintf("%v", m),
		"slog output": logs.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, secretPassword) {
			t.Errorf("%s shows the password: %s", name, out)
		}
	}
	require.Contains(t, outputs["%v"], "[REDACTED]")
	require.Contains(t, outputs["slog output"], "[REDACTED]")
}

func TestNewSMTPMailerValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		cfg        notify.SMTPConfig
		wantFields []string
	}{
		{name: "empty", cfg: notify.SMTPConfig{}, wantFields: []string{"Host"}},
		{name: "no TLS to a remote host", cfg: notify.SMTPConfig{Host: "smtp.example.com", TLS: notify.TLSNone}, wantFields: []string{"TLS"}},
		{name: "auth in clear text", cfg: notify.SMTPConfig{Host: "localhost", TLS: notify.TLSNone, Username: "u", Password: "p"}, wantFields: []string{"TLS"}},
		{name: "unknown mode and bad port", cfg: notify.SMTPConfig{Host: "h", TLS: "ssl3", Port: 70000}, wantFields: []string{"TLS", "Port"}},
		{name: "password without user, negative durations", cfg: notify.SMTPConfig{Host: "h", Password: secretPassword, Timeout: -1, MaxAttempts: -1}, wantFields: []string{"Username", "Timeout", "MaxAttempts"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := notify.NewSMTPMailer(tc.cfg)
			require.ErrorIs(t, err, notify.ErrInvalidConfig)
			var ce *notify.ConfigError
			require.True(t, errors.As(err, &ce))
			var fields []string
			for _, p := range ce.Problems {
				fields = append(fields, p.Field)
			}
			for _, f := range tc.wantFields {
				require.Contains(t, fields, f)
			}
			require.NotContains(t, err.Error(), secretPassword)
		})
	}
}

// TestSMTPMailerFormattingHidesPassword: a host printing its mailer with %#v,
// or the dereferenced value, must not print the SMTP password.
func TestSMTPMailerFormattingHidesPassword(t *testing.T) {
	t.Parallel()
	m, err := notify.NewSMTPMailer(notify.SMTPConfig{Host: "smtp.example.com", Username: "u", Password: secretPassword})
	require.NoError(t, err)
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("mailer", "m", m, "v", *m)
	for _, out := range []string{
		fmt.Sprintf("%v", m), fmt.Sprintf("%+v", m), fmt.Sprintf("%#v", m),
		fmt.Sprintf("%v", *m), fmt.Sprintf("%+v", *m), fmt.Sprintf("%#v", *m), logs.String(),
	} {
		require.NotContains(t, out, secretPassword)
	}
}
