package main

import (
	"io"
	"net"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

// mailSink is an SMTP server on loopback that keeps what it receives.
type mailSink struct {
	mu    stdsync.Mutex
	mails []string
	port  int
}

func startMailSink(t *testing.T) *mailSink {
	t.Helper()
	m := &mailSink{}
	s := smtp.NewServer(m)
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	m.port = l.Addr().(*net.TCPAddr).Port
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return m
}

func (m *mailSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{m: m}, nil }

func (m *mailSink) Mails() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.mails...)
}

type sinkSession struct{ m *mailSink }

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *sinkSession) Reset()                               {}
func (s *sinkSession) Logout() error                        { return nil }

func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	s.m.mails = append(s.m.mails, string(b))
	s.m.mu.Unlock()
	return nil
}

// TestErrorEmail: with instant error emails on, a run that fails an order
// mails it through the configured SMTP server by the end of the run.
func TestErrorEmail(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	sink := startMailSink(t)
	s := exportSettings()
	s["instant_error_emails"] = map[string]any{"enabled": true, "recipients": "ops@example.com"}
	w.writeConfig(s, map[string]any{"smtp": map[string]any{"host": "127.0.0.1", "port": sink.port, "tls": "none",
		"from": "veeqo-alerts@example.com"}})
	bad := order("SO-2", "MUG-1:1")
	bad["store"] = "Nowhere"
	w.writeOrders(order("SO-1", "MUG-1:1"), bad)

	rep, r := w.syncJSON()
	require.Equal(t, exitPartial, r.code, r.stderr)
	require.Equal(t, 1, rep.Failed)
	mails := sink.Mails()
	require.Len(t, mails, 1, "one instant mail for the failed order")
	require.Contains(t, mails[0], "ops@example.com")
	require.Contains(t, mails[0], "SO-2")
	require.False(t, strings.Contains(mails[0], "SO-1:"), "the exported order is not in the error mail")

	// A dry run mails nothing.
	_, r = w.syncJSON("--dry-run")
	require.Equal(t, exitPartial, r.code)
	require.Len(t, sink.Mails(), 1)
}
