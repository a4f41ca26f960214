package veeqo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// transport waits on the rate limiter, counts and logs every attempt, and
// records whether a request may have reached the server.
type transport struct {
	base   http.RoundTripper
	client *Client
}

// logAttempt logs one attempt at debug level, its error redacted.
func (c *Client) logAttempt(ctx context.Context, method, path string, attempt int, dur time.Duration, resp *http.Response, err error) {
	if !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("path", path),
		slog.Int("attempt", attempt),
		slog.Duration("duration", dur),
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", c.redact(err.Error())))
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "veeqo request", attrs...)
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.client
	ctx := req.Context()
	st := stateFrom(ctx)
	attempt, path := 0, req.URL.Path
	if st != nil {
		attempt = int(st.attempts.Add(1))
		path = st.endpoint
	}
	if err := c.limiter.Wait(ctx); err != nil {
		return nil, limiterError(ctx)
	}
	trace := &httptraceHooks{}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	req = req.WithContext(trace.attach(actx))

	c.requests.Add(1)
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	dur := time.Since(start)

	c.logAttempt(ctx, req.Method, path, attempt, dur, resp, err)

	if st != nil {
		st.unknown.Store(err != nil && trace.mayHaveSent() && !idempotent(req.Method))
	}
	if err != nil {
		if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("attempt timed out after %v: %w", c.timeout, err)
		}
		cancel()
		if !trace.mayHaveSent() {
			return nil, &notSentError{err: err}
		}
		if !idempotent(req.Method) {
			return nil, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
		}
		return nil, err
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		c.pace.throttled()
	} else {
		c.pace.passed()
	}
	// The attempt's deadline covers reading the body: release it on Close.
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// limiterWaitError is a rate-limiter wait cut short by the caller's context,
// or refused because it would pass the context's deadline (rate.Limiter's own
// error for that matches nothing): it matches the context's error, or
// context.DeadlineExceeded.
type limiterWaitError struct{ cause error }

func limiterError(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return &limiterWaitError{cause: err}
	}
	return &limiterWaitError{cause: context.DeadlineExceeded}
}

func (e *limiterWaitError) Error() string {
	if e.cause == context.Canceled {
		return "waiting for the rate limiter: context canceled"
	}
	return "waiting for the rate limiter would pass the context deadline"
}

func (e *limiterWaitError) Unwrap() error { return e.cause }

// notSentError marks a transport failure before any byte of the request was
// written: safe to retry whatever the method.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }

func (e *notSentError) Unwrap() error { return e.err }

// pacer adapts a limiter's rate to Veeqo's answers, between its ceiling
// (the rate it was configured with) and ceiling/minRateDivisor. It keeps no
// state of its own besides the ceiling, so clients sharing a limiter
// (WithLimiter) adapt it together.
type pacer struct {
	lim     *rate.Limiter
	ceiling rate.Limit
}

// throttled is Veeqo's 429: slow down and empty the bucket, so that every
// client sharing the limiter restarts from zero at the lower rate.
func (p pacer) throttled() {
	if p.ceiling == rate.Inf || p.lim.Limit() == rate.Inf {
		return
	}
	p.lim.SetLimit(max(p.lim.Limit()/throttleFactor, p.ceiling/minRateDivisor))
	drain(p.lim)
}

// passed is an answer that is not a 429: recover a step towards the
// ceiling.
func (p pacer) passed() {
	if p.ceiling == rate.Inf {
		return
	}
	if l := p.lim.Limit(); l < p.ceiling {
		p.lim.SetLimit(min(l+p.ceiling/recoverySteps, p.ceiling))
	}
}

// drain empties the limiter's bucket so that the next requests of every
// client sharing it are paced from zero after Veeqo said "too many".
func drain(lim *rate.Limiter) {
	if lim.Limit() == rate.Inf {
		return
	}
	now := time.Now()
	if n := int(lim.TokensAt(now)); n > 0 {
		lim.AllowN(now, n)
	}
}
