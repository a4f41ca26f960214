package veeqo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// RetryPolicy says how often and how patiently the client retries.
//
// What is retried does not depend on the policy: a 429 is retried for every
// method (Veeqo refused the request, so it was not applied); a 5xx or a
// transport error is retried only for GET, PUT and DELETE; a POST whose
// request may have reached Veeqo is never sent again (see ErrOutcomeUnknown).
// A transport error before any byte was written (e.g. connection refused) is
// retried for every method.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts per call, the first included.
	// 1 disables retries.
	MaxAttempts int
	// MinBackoff is the first wait; it doubles per retry, with jitter.
	MinBackoff time.Duration
	// MaxBackoff caps the exponential wait.
	MaxBackoff time.Duration
	// MaxRetryAfter caps a Retry-After header Veeqo might send (it usually
	// sends none). Zero means DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
}

// DefaultMaxRetryAfter caps a server-sent Retry-After.
const DefaultMaxRetryAfter = 30 * time.Second

// DefaultRetryPolicy returns the policy New uses: 4 attempts, waiting 1 s,
// 2 s, 4 s (with jitter, at most 15 s).
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, MinBackoff: time.Second, MaxBackoff: 15 * time.Second, MaxRetryAfter: DefaultMaxRetryAfter}
}

func (p *RetryPolicy) validate() error {
	switch {
	case p.MaxAttempts < 1:
		return fmt.Errorf("veeqo: RetryPolicy.MaxAttempts must be at least 1 (it includes the first attempt), got %d", p.MaxAttempts)
	case p.MaxAttempts > 100:
		return fmt.Errorf("veeqo: RetryPolicy.MaxAttempts must be at most 100, got %d", p.MaxAttempts)
	case p.MinBackoff < 0:
		return fmt.Errorf("veeqo: RetryPolicy.MinBackoff must not be negative, got %v", p.MinBackoff)
	case p.MaxBackoff < p.MinBackoff:
		return fmt.Errorf("veeqo: RetryPolicy.MaxBackoff (%v) must be at least MinBackoff (%v)", p.MaxBackoff, p.MinBackoff)
	case p.MaxRetryAfter < 0:
		return fmt.Errorf("veeqo: RetryPolicy.MaxRetryAfter must not be negative, got %v", p.MaxRetryAfter)
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = DefaultMaxRetryAfter
	}
	return nil
}

// checkRetry is the client's retryablehttp.CheckRetry.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := stateFrom(ctx)
	method, attempts := "", 0
	if st != nil {
		method, attempts = st.method, int(st.attempts.Load())
	}
	retry, reason := classify(ctx, method, resp, err)
	if retry && attempts < c.retry.MaxAttempts && c.logger.Enabled(ctx, slog.LevelDebug) {
		c.logger.DebugContext(ctx, "veeqo retry", "method", method, "path", endpointOf(st), "attempt", attempts, "reason", reason)
	}
	if err != nil && !retry {
		return false, err
	}
	return retry, nil
}

func endpointOf(st *callState) string {
	if st == nil {
		return ""
	}
	return st.endpoint
}

// classify decides whether one attempt's outcome is worth another attempt.
func classify(ctx context.Context, method string, resp *http.Response, err error) (bool, string) {
	if err != nil {
		var tooLarge *bodyTooLargeError
		var notSent *notSentError
		var limErr *limiterWaitError
		switch {
		case ctx.Err() != nil, errors.As(err, &limErr):
			// The caller's context ended (an attempt's own timeout, with
			// the caller's context alive, is retried below).
			return false, ""
		case errors.Is(err, ErrOutcomeUnknown):
			return false, ""
		case errors.As(err, &tooLarge):
			return false, ""
		case permanentTransportError(err):
			return false, ""
		case errors.As(err, &notSent):
			return true, "connection failed before the request was sent"
		case idempotent(method):
			return true, "transport error"
		default:
			return false, ""
		}
	}
	if ctx.Err() != nil || resp == nil {
		return false, ""
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return true, "429 rate limited"
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented && idempotent(method):
		return true, fmt.Sprintf("status %d", resp.StatusCode)
	}
	return false, ""
}

func permanentTransportError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"unsupported protocol scheme", "invalid header", "stopped after", "certificate is not trusted"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// backoff is the client's retryablehttp.Backoff: Retry-After when Veeqo
// sends it (clamped), else exponential with jitter between min and max.
func (c *Client) backoff(minWait, maxWait time.Duration, attemptNum int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return min(d, c.retry.MaxRetryAfter)
		}
	}
	return expBackoff(minWait, maxWait, attemptNum)
}

// expBackoff returns min*2^n capped at max, jittered into [d/2, d].
func expBackoff(minWait, maxWait time.Duration, n int) time.Duration {
	if minWait <= 0 {
		return 0
	}
	d := minWait
	for i := 0; i < n && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// parseRetryAfter reads delta-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// keepLastResponse is the client's retryablehttp.ErrorHandler: it hands back
// the final response (status and body intact) instead of discarding it.
func keepLastResponse(resp *http.Response, err error, _ int) (*http.Response, error) {
	return resp, err
}

// httptraceHooks records how far an attempt got. A request counts as "not
// sent" only when the transport asked for a connection and never got one (a
// dial or DNS failure); a transport that reports no hooks at all (a custom
// RoundTripper) is assumed to have sent it.
type httptraceHooks struct {
	getConn atomic.Bool
	gotConn atomic.Bool
}

func (h *httptraceHooks) attach(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn: func(string) { h.getConn.Store(true) },
		GotConn: func(httptrace.GotConnInfo) { h.gotConn.Store(true) },
	})
}

// mayHaveSent reports whether the server may have received the request.
func (h *httptraceHooks) mayHaveSent() bool {
	return !h.getConn.Load() || h.gotConn.Load()
}
