package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/textproto"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// TLSMode is how the SMTP connection is secured.
type TLSMode string

// The TLS modes.
const (
	// TLSStartTLS upgrades a plain connection with STARTTLS and fails if the server does not offer it (default,
	// port 587).
	TLSStartTLS TLSMode = "starttls"
	// TLSOpportunistic uses STARTTLS when offered and continues in clear text otherwise. Authentication is
	// refused in clear text, so use it only with servers that need no password.
	TLSOpportunistic TLSMode = "starttls-opportunistic"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit TLSMode = "tls"
	// TLSNone is clear text; allowed only to a loopback host (tests, a local relay).
	TLSNone TLSMode = "none"
)

// SMTPConfig configures [NewSMTPMailer]. Its String, GoString and LogValue never show the password.
type SMTPConfig struct {
	// Backoff is the wait before the first retry; it doubles per retry up to MaxBackoff (default 1s).
	Backoff time.Duration
	// HELO is the name sent in EHLO; empty means the machine's host name.
	HELO string
	// Host is the SMTP server's host name or IP address.
	Host string
	// MaxAttempts is the number of tries per Send, the first included (default 3).
	MaxAttempts int
	// MaxBackoff caps the wait between tries (default 30s).
	MaxBackoff time.Duration
	// Password is the SMTP password. It is never logged or printed.
	Password string
	// Port defaults by mode: 587 for STARTTLS, 465 for implicit TLS, 25 for none.
	Port int
	// TLS is the TLS mode; empty means TLSStartTLS.
	TLS TLSMode
	// Timeout bounds connecting and each SMTP exchange (default 30s).
	Timeout time.Duration
	// Username enables authentication, only over TLS; go-mail picks the strongest mechanism the server offers
	// (SCRAM, CRAM-MD5, PLAIN, LOGIN).
	Username string
}

const redacted = "[REDACTED]"

func (c SMTPConfig) safeCopy() SMTPConfig {
	if c.Password != "" {
		c.Password = redacted
	}
	return c
}

// String describes the configuration with the password redacted.
func (c SMTPConfig) String() string {
	s := c.safeCopy()
	return fmt.Sprintf("SMTPConfig{Host:%s Port:%d TLS:%s Username:%s Password:%s Timeout:%s MaxAttempts:%d}",
		s.Host, s.Port, s.TLS, s.Username, s.Password, s.Timeout, s.MaxAttempts)
}

// GoString is String, so %#v does not print the password either.
func (c SMTPConfig) GoString() string { return c.String() }

// LogValue logs the configuration with the password redacted.
func (c SMTPConfig) LogValue() slog.Value {
	s := c.safeCopy()
	return slog.GroupValue(
		slog.String("host", s.Host), slog.Int("port", s.Port), slog.String("tls", string(s.TLS)),
		slog.String("username", s.Username), slog.String("password", s.Password),
	)
}

// SMTPOption configures an [SMTPMailer].
type SMTPOption func(*SMTPMailer) error

// WithTLSConfig sets the TLS configuration (for example a private CA, or a test's self-signed certificate).
// The mailer uses a clone; ServerName defaults to Host.
func WithTLSConfig(cfg *tls.Config) SMTPOption {
	return func(m *SMTPMailer) error {
		if cfg == nil {
			return fmt.Errorf("%w: WithTLSConfig: nil config", ErrInvalidConfig)
		}
		m.tls = cfg.Clone()
		return nil
	}
}

// WithSMTPLogger logs retries and failures (never credentials). The default discards.
func WithSMTPLogger(l *slog.Logger) SMTPOption {
	return func(m *SMTPMailer) error {
		if l != nil {
			m.log = l
		}
		return nil
	}
}

// SMTPMailer is a [Mailer] that delivers through an SMTP server with github.com/wneessen/go-mail. It opens one
// connection per Send. It is safe for concurrent use.
type SMTPMailer struct {
	// cfg is behind a pointer so that printing the mailer (%#v, or the
	// dereferenced value) shows an address, never the password.
	cfg *SMTPConfig
	tls *tls.Config
	log *slog.Logger
}

// NewSMTPMailer validates cfg (every problem at once, each naming its field; the error matches
// ErrInvalidConfig) and returns a mailer. It does not connect.
func NewSMTPMailer(cfg SMTPConfig, opts ...SMTPOption) (*SMTPMailer, error) {
	ce := checkSMTPConfig(&cfg)
	setSMTPDefaults(&cfg)
	m := &SMTPMailer{cfg: &cfg, log: discardLogger()}
	var errs []error
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(m); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(append([]error{ce.err()}, errs...)...); err != nil {
		return nil, err
	}
	if m.tls == nil {
		m.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if m.tls.ServerName == "" {
		m.tls.ServerName = cfg.Host
	}
	return m, nil
}

// checkSMTPConfig checks cfg, filling in the TLS mode and the port its
// mode implies; each problem names its field.
func checkSMTPConfig(cfg *SMTPConfig) ConfigError {
	var e ConfigError
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	cfg.Host = strings.TrimSpace(cfg.Host)
	if cfg.Host == "" {
		e.add("Host", "is required")
	} else if strings.ContainsFunc(cfg.Host, isControl) || strings.ContainsAny(cfg.Host, " /") {
		e.add("Host", "%q is not a host name", sanitizeLine(cfg.Host))
	}
	switch cfg.TLS {
	case TLSStartTLS, TLSOpportunistic:
		if cfg.Port == 0 {
			cfg.Port = 587
		}
	case TLSImplicit:
		if cfg.Port == 0 {
			cfg.Port = 465
		}
	case TLSNone:
		if cfg.Port == 0 {
			cfg.Port = 25
		}
		if cfg.Host != "" && !isLoopback(cfg.Host) {
			e.add("TLS", "%q is allowed only for a loopback host, not %q", TLSNone, cfg.Host)
		}
	default:
		e.add("TLS", "%q is not one of starttls, starttls-opportunistic, tls, none", sanitizeLine(string(cfg.TLS)))
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		e.add("Port", "%d is not in 1-65535", cfg.Port)
	}
	if cfg.Password != "" && cfg.Username == "" {
		e.add("Username", "is required when a password is set")
	}
	if cfg.Username != "" && (cfg.TLS == TLSNone || cfg.TLS == TLSOpportunistic) {
		e.add("TLS", "authentication needs %q or %q, so the password never travels in clear text", TLSStartTLS, TLSImplicit)
	}
	for name, d := range map[string]time.Duration{"Timeout": cfg.Timeout, "Backoff": cfg.Backoff, "MaxBackoff": cfg.MaxBackoff} {
		if d < 0 {
			e.add(name, "must not be negative")
		}
	}
	if cfg.MaxAttempts < 0 {
		e.add("MaxAttempts", "must not be negative")
	}
	return e
}

// setSMTPDefaults fills in the timeout, attempts and backoffs left zero.
func setSMTPDefaults(cfg *SMTPConfig) {
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
}

// String describes the mailer without the password.
func (m *SMTPMailer) String() string { return "SMTPMailer(" + m.cfg.String() + ")" }

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func (m *SMTPMailer) client() (*mail.Client, error) {
	opts := []mail.Option{
		mail.WithPort(m.cfg.Port),
		mail.WithTimeout(m.cfg.Timeout),
		mail.WithTLSConfig(m.tls),
	}
	switch m.cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case TLSImplicit:
		opts = append(opts, mail.WithSSL(), mail.WithTLSPolicy(mail.TLSMandatory))
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if m.cfg.HELO != "" {
		opts = append(opts, mail.WithHELO(m.cfg.HELO))
	}
	if m.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(m.cfg.Username), mail.WithPassword(m.cfg.Password))
	}
	c, err := mail.NewClient(m.cfg.Host, opts...)
	if err != nil {
		return nil, m.redact(fmt.Errorf("notify: smtp client for %s:%d: %w", m.cfg.Host, m.cfg.Port, err))
	}
	return c, nil
}

func buildMsg(msg Message) (*mail.Msg, error) {
	gm := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := gm.From(msg.From); err != nil {
		return nil, fmt.Errorf("notify: from %q: %w", sanitizeLine(msg.From), err)
	}
	if len(msg.To) == 0 {
		return nil, fmt.Errorf("%w: message %q has no recipients", ErrInvalidConfig, SanitizeHeader(msg.Subject))
	}
	if err := gm.To(msg.To...); err != nil {
		return nil, fmt.Errorf("notify: recipients: %w", err)
	}
	gm.Subject(SanitizeHeader(msg.Subject))
	if msg.Date.IsZero() {
		gm.SetDate()
	} else {
		gm.SetDateWithValue(msg.Date)
	}
	gm.SetMessageID()
	gm.SetGenHeader(mail.HeaderXMailer, "veeqoconnect")
	gm.SetBodyString(mail.TypeTextPlain, msg.Text)
	return gm, nil
}

// Send delivers msgs over one connection, retrying temporary failures (connection problems, 4xx replies) with
// exponential backoff up to MaxAttempts; a retry resends only the messages not yet accepted. Permanent failures
// (5xx replies, authentication or certificate errors) are returned at once. Waits end when ctx ends.
func (m *SMTPMailer) Send(ctx context.Context, msgs ...Message) error {
	if len(msgs) == 0 {
		return nil
	}
	todo := make([]*mail.Msg, 0, len(msgs))
	for _, msg := range msgs {
		gm, err := buildMsg(msg)
		if err != nil {
			return err
		}
		todo = append(todo, gm)
	}
	wait := m.cfg.Backoff
	var lastErr error
	for attempt := 1; ; attempt++ {
		c, err := m.client()
		if err != nil {
			return err
		}
		err = c.DialAndSendWithContext(ctx, todo...)
		if err == nil {
			return nil
		}
		lastErr = m.redact(fmt.Errorf("notify: smtp %s:%d (attempt %d of %d): %w", m.cfg.Host, m.cfg.Port, attempt, m.cfg.MaxAttempts, err))
		undelivered := todo[:0:0]
		for _, gm := range todo {
			if !gm.IsDelivered() {
				undelivered = append(undelivered, gm)
			}
		}
		todo = undelivered
		if len(todo) == 0 {
			return nil // everything was accepted; the error came from closing the connection
		}
		if ctx.Err() != nil || attempt >= m.cfg.MaxAttempts || permanent(err) {
			return lastErr
		}
		m.log.WarnContext(ctx, "notify: smtp send failed; retrying", slog.String("host", m.cfg.Host),
			slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.String("error", lastErr.Error()))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(lastErr, ctx.Err())
		case <-t.C:
		}
		wait = min(wait*2, m.cfg.MaxBackoff)
	}
}

// permanent reports whether retrying cannot help: a 5xx reply, a bad certificate, or a missing capability.
func permanent(err error) bool {
	var tp *textproto.Error
	if errors.As(err, &tp) && tp.Code >= 500 {
		return true
	}
	var se *mail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
		return true
	}
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "does not support STARTTLS") || strings.Contains(s, "does not support SMTP AUTH") ||
		strings.Contains(s, "unencrypted connection")
}

// redactedError hides the password in an error's text while keeping the chain for errors.Is/As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (m *SMTPMailer) redact(err error) error {
	if err == nil || m.cfg.Password == "" || !strings.Contains(err.Error(), m.cfg.Password) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), m.cfg.Password, redacted), err: err}
}
