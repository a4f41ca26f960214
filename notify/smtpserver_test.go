package notify_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

// testCert is a self-signed certificate for localhost and 127.0.0.1, generated per test.
type testCert struct {
	server *tls.Config // for the SMTP server
	client *tls.Config // trusts only this certificate
}

func newTestCert(t *testing.T) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "notify test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return testCert{
		server: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}}, MinVersion: tls.VersionTLS12},
		client: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}
}

// received is one message as the SMTP server got it.
type received struct {
	From     string
	To       []string
	Data     []byte
	TLS      bool
	AuthUser string
}

// parsed returns the message's headers and decoded plain-text body.
func (r received) parsed(t *testing.T) (mail.Header, string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(r.Data))
	require.NoError(t, err)
	var body io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(m.Body)
	}
	b, err := io.ReadAll(body)
	require.NoError(t, err)
	return m.Header, strings.ReplaceAll(string(b), "\r\n", "\n")
}

func decodeHeader(t *testing.T, h mail.Header, key string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(h.Get(key))
	require.NoError(t, err)
	return s
}

// smtpServer is an in-process SMTP server on loopback that records what it receives.
type smtpServer struct {
	Addr string
	Port int

	mu        sync.Mutex
	mails     []received
	dataErrs  []error // returned by the next DATA commands, in order
	user, pwd string
	authFails int
}

type serverOpts struct {
	startTLS   *tls.Config // offer STARTTLS
	implicit   *tls.Config // TLS from the first byte
	user, pass string      // require AUTH PLAIN with these
}

func startSMTP(t *testing.T, o serverOpts) *smtpServer {
	t.Helper()
	srv := &smtpServer{user: o.user, pwd: o.pass}
	s := smtp.NewServer(srv)
	s.Domain = "localhost"
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.MaxRecipients = 50
	s.TLSConfig = o.startTLS
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if o.implicit != nil {
		l = tls.NewListener(l, o.implicit)
	}
	srv.Addr = l.Addr().String()
	srv.Port = l.Addr().(*net.TCPAddr).Port
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return srv
}

// FailData makes the next DATA commands fail with errs, in order.
func (s *smtpServer) FailData(errs ...error) {
	s.mu.Lock()
	s.dataErrs = append(s.dataErrs, errs...)
	s.mu.Unlock()
}

func (s *smtpServer) Mails() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.mails...)
}

func (s *smtpServer) AuthFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authFails
}

var errTempFail = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
var errPermFail = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "rejected"}

func (s *smtpServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{srv: s, conn: c}, nil
}

type smtpSession struct {
	srv    *smtpServer
	conn   *smtp.Conn
	authed string
	cur    received
}

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnsupported
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.srv.user || pass != ss.srv.pwd {
			ss.srv.mu.Lock()
			ss.srv.authFails++
			ss.srv.mu.Unlock()
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		ss.authed = user
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.user != "" && ss.authed == "" {
		return smtp.ErrAuthRequired
	}
	_, isTLS := ss.conn.TLSConnectionState()
	ss.cur = received{From: from, TLS: isTLS, AuthUser: ss.authed}
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.cur.To = append(ss.cur.To, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.srv.mu.Lock()
	defer ss.srv.mu.Unlock()
	if len(ss.srv.dataErrs) > 0 {
		err := ss.srv.dataErrs[0]
		ss.srv.dataErrs = ss.srv.dataErrs[1:]
		return err
	}
	ss.cur.Data = b
	ss.srv.mails = append(ss.srv.mails, ss.cur)
	return nil
}

func (ss *smtpSession) Reset()        { ss.cur = received{} }
func (ss *smtpSession) Logout() error { return nil }
