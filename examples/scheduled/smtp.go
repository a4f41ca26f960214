package main

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	stdsync "sync"
	"time"

	"github.com/emersion/go-smtp"
)

// mailServer is an SMTP server on loopback, in this process, standing in
// for the host's mail relay: it accepts every message and keeps it.
type mailServer struct {
	srv  *smtp.Server
	addr *net.TCPAddr
	now  func() time.Time

	mu   stdsync.Mutex
	mail []receivedMail
}

// receivedMail is one message as the server got it, decoded.
type receivedMail struct {
	At      time.Time // the (simulated) time it arrived
	From    string
	To      []string
	Subject string
	Body    string
}

// startMailServer listens on 127.0.0.1 on a free port.
func startMailServer(now func() time.Time) (*mailServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &mailServer{addr: l.Addr().(*net.TCPAddr), now: now}
	m.srv = smtp.NewServer(m)
	m.srv.Domain = "localhost"
	m.srv.ReadTimeout = 10 * time.Second
	m.srv.WriteTimeout = 10 * time.Second
	go func() { _ = m.srv.Serve(l) }()
	return m, nil
}

// Close stops the server.
func (m *mailServer) Close() error { return m.srv.Close() }

// Mails returns what was received, in order.
func (m *mailServer) Mails() []receivedMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]receivedMail(nil), m.mail...)
}

// NewSession implements smtp.Backend.
func (m *mailServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{srv: m}, nil }

type mailSession struct {
	srv  *mailServer
	from string
	to   []string
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return err
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	if len(s.to) == 0 {
		return errors.New("no recipients")
	}
	s.srv.mu.Lock()
	s.srv.mail = append(s.srv.mail, receivedMail{At: s.srv.now(), From: s.from, To: append([]string(nil), s.to...),
		Subject: subject, Body: strings.ReplaceAll(string(text), "\r\n", "\n")})
	s.srv.mu.Unlock()
	return nil
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }
