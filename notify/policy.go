package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	stdsync "sync"
	"time"
)

// State names the policy uses, per account.
const (
	StateInstantMark = "notify.instant_mark"
	StateDailyDigest = "notify.daily_digest"
	StateHealthRun   = "notify.health.no_success"
	StateHealthStale = "notify.health.stale_exports"
)

type options struct {
	logger       *slog.Logger
	now          func() time.Time
	health       Health
	watchedSince time.Time
	window       time.Duration
	maxListed    int
	maxPerMail   int
	maxBuffered  int
	catchUpAge   time.Duration
	tickEvery    time.Duration
	claimTTL     time.Duration
	skipEmpty    bool
	mailsPerTick int
}

// Option configures an [EmailPolicy].
type Option func(*options) error

// WithLogger sets where mail failures and bookkeeping problems are logged. The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l != nil {
			o.logger = l
		}
		return nil
	}
}

// WithClock replaces time.Now, for tests. Run still waits on real timers between ticks.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("%w: WithClock: nil clock", ErrInvalidConfig)
		}
		o.now = now
		return nil
	}
}

// WithHealth enables health alerts (NoSuccessAfter, StaleExportAfterDays) using h.
func WithHealth(h Health) Option {
	return func(o *options) error { o.health = h; return nil }
}

// WithWatchedSince says when the host started watching the account (a
// scheduler's start): an account with no successful run on record is not
// alerted ("no successful run recorded") before NoSuccessAfter has passed
// since then, so a scheduler that has just started gives its first run a
// chance. Without it such an account is alerted at once.
func WithWatchedSince(t time.Time) Option {
	return func(o *options) error { o.watchedSince = t; return nil }
}

// WithCoalesceWindow sets how long the policy waits after the first pending error before sending, so a burst
// becomes one mail (default 30s). Flush ignores it.
func WithCoalesceWindow(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("%w: WithCoalesceWindow: negative duration %s", ErrInvalidConfig, d)
		}
		o.window = d
		return nil
	}
}

// WithMaxListed sets how many events an instant mail details; the rest are counted ("and 480 more"). Default 20.
func WithMaxListed(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("%w: WithMaxListed: %d is less than 1", ErrInvalidConfig, n)
		}
		o.maxListed = n
		return nil
	}
}

// WithMaxPerMail sets how many events one instant mail covers at most (listed or counted). Default 1000.
func WithMaxPerMail(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("%w: WithMaxPerMail: %d is less than 1", ErrInvalidConfig, n)
		}
		o.maxPerMail = n
		return nil
	}
}

// WithMaxBuffered bounds the in-memory buffer of Notify (default 10000). Events beyond it are dropped from
// memory; those with a Seq are still found by the catch-up from the Source.
func WithMaxBuffered(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("%w: WithMaxBuffered: %d is less than 1", ErrInvalidConfig, n)
		}
		o.maxBuffered = n
		return nil
	}
}

// WithCatchUpMaxAge limits the catch-up from the Source to events younger than d (default 24h): older unsent
// errors are left to the daily digest rather than mailed as "instant".
func WithCatchUpMaxAge(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: WithCatchUpMaxAge: %s is not positive", ErrInvalidConfig, d)
		}
		o.catchUpAge = d
		return nil
	}
}

// WithTickInterval sets how often Run ticks when nothing wakes it (default 30s).
func WithTickInterval(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: WithTickInterval: %s is not positive", ErrInvalidConfig, d)
		}
		o.tickEvery = d
		return nil
	}
}

// WithDigestClaimTTL sets how long a digest claimed by one instance blocks others (default 10m). A claim is
// left behind only by a crash between claiming and recording the digest.
func WithDigestClaimTTL(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: WithDigestClaimTTL: %s is not positive", ErrInvalidConfig, d)
		}
		o.claimTTL = d
		return nil
	}
}

// WithSkipEmptyDigest sends no daily mail on days without errors. By default an empty digest is sent: it tells
// people the integration is alive.
func WithSkipEmptyDigest() Option {
	return func(o *options) error { o.skipEmpty = true; return nil }
}

// EmailPolicy mails errors for one account: coalesced instant mail, a daily digest, and health alerts.
// It is safe for concurrent use. Create it with [NewEmailPolicy].
type EmailPolicy struct {
	v      *validated
	mailer Mailer
	state  State
	src    Source
	o      options
	log    *slog.Logger
	wake   chan struct{}

	tickMu   stdsync.Mutex // serialises Tick and Flush
	sentMark int64         // highest Seq this instance mailed (guarded by tickMu); covers a failed mark save
	sentUpTo time.Time     // end of the last digest this instance mailed (guarded by tickMu)

	mu           stdsync.Mutex // guards the fields below
	buf          []pending
	nextID       uint64
	pendingSince time.Time
}

type pending struct {
	id uint64
	e  Event
}

// NewEmailPolicy validates cfg and returns a policy. m and st are required; src is required for the daily
// digest and recommended always (it is how unsent errors are found after a restart). Every configuration
// problem is reported at once, each naming its field; the error matches ErrInvalidConfig.
func NewEmailPolicy(cfg EmailConfig, m Mailer, st State, src Source, opts ...Option) (*EmailPolicy, error) {
	o := options{
		logger:       discardLogger(),
		now:          time.Now,
		window:       30 * time.Second,
		maxListed:    20,
		maxPerMail:   1000,
		maxBuffered:  10000,
		catchUpAge:   24 * time.Hour,
		tickEvery:    30 * time.Second,
		claimTTL:     10 * time.Minute,
		mailsPerTick: 20,
	}
	var optErrs []error
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			optErrs = append(optErrs, err)
		}
	}
	v, err := validate(cfg)
	ce, _ := err.(*ConfigError)
	if ce == nil {
		ce = &ConfigError{}
	}
	if m == nil {
		ce.add("Mailer", "is required")
	}
	if st == nil {
		ce.add("State", "is required")
	}
	if src == nil && cfg.DailyEnabled {
		ce.add("Source", "is required for the daily digest")
	}
	if o.health == nil && (cfg.NoSuccessAfter > 0 || cfg.StaleExportAfterDays > 0) {
		ce.add("NoSuccessAfter", "health alerts need a Health (WithHealth)")
	}
	if err := errors.Join(append([]error{ce.err()}, optErrs...)...); err != nil {
		return nil, err
	}
	return &EmailPolicy{v: v, mailer: m, state: st, src: src, o: o, log: o.logger, wake: make(chan struct{}, 1)}, nil
}

// Config returns the configuration the policy was built with.
func (p *EmailPolicy) Config() EmailConfig { return p.v.cfg }

// mailable reports whether events of level l are mailed at all.
func (p *EmailPolicy) mailable(l Level) bool {
	return l == LevelError || (l == LevelWarning && p.v.cfg.IncludeWarnings)
}

func (p *EmailPolicy) levels() []Level {
	if p.v.cfg.IncludeWarnings {
		return []Level{LevelError, LevelWarning}
	}
	return []Level{LevelError}
}

func (p *EmailPolicy) excluded(e Event) bool {
	_, ok := p.v.exclude.Match(e.Message)
	return ok
}

// Notify buffers e for instant mail and returns at once; it never blocks on the network and never fails.
// Events of other accounts, of levels that are not mailed, and those matching the exclude patterns are ignored.
func (p *EmailPolicy) Notify(_ context.Context, e Event) error {
	if !p.v.cfg.InstantEnabled || e.Account != p.v.cfg.Account || !p.mailable(e.Level) || p.excluded(e) {
		return nil
	}
	now := p.o.now()
	if e.Time.IsZero() {
		e.Time = now
	}
	e.Time = e.Time.UTC()
	p.mu.Lock()
	if len(p.buf) < p.o.maxBuffered { // beyond it, the catch-up from the Source finds the event (if it has a Seq)
		p.nextID++
		p.buf = append(p.buf, pending{id: p.nextID, e: e})
	}
	if p.pendingSince.IsZero() {
		p.pendingSince = now
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

// Flush sends every buffered instant error now, ignoring the coalescing window. The engine calls it at the end
// of a run; its error is for logging only and must not fail the run.
func (p *EmailPolicy) Flush(ctx context.Context) error {
	p.tickMu.Lock()
	defer p.tickMu.Unlock()
	return p.logged(ctx, "flush", p.instant(ctx, p.o.now(), true))
}

// logged logs err (once, at Warn) and returns it.
func (p *EmailPolicy) logged(ctx context.Context, op string, err error) error {
	if err != nil {
		p.log.WarnContext(ctx, "notify: "+op+" incomplete; will retry", slog.String("account", p.v.cfg.Account), slog.Any("error", err))
	}
	return err
}

// Tick does one pass at time now: sends instant mail whose coalescing window has passed (after catching up
// from the Source), the daily digest if one is due, and health alerts. A host scheduler may call it instead of
// Run. Failures are logged and returned joined; nothing is marked sent that was not sent, so the next Tick
// retries.
func (p *EmailPolicy) Tick(ctx context.Context, now time.Time) error {
	p.tickMu.Lock()
	defer p.tickMu.Unlock()
	now = now.UTC()
	var errs []error
	if p.v.cfg.InstantEnabled {
		errs = append(errs, p.instant(ctx, now, false))
	}
	if p.v.cfg.DailyEnabled {
		errs = append(errs, p.daily(ctx, now))
	}
	if p.o.health != nil {
		errs = append(errs, p.healthCheck(ctx, now))
	}
	return p.logged(ctx, "tick", errors.Join(errs...))
}

// Run ticks until ctx ends: at once (catching up after a restart), whenever a buffered error's coalescing
// window ends, at the next digest time, and at least every tick interval. Before returning it flushes the
// buffer with a short budget of its own. It returns ctx's error.
func (p *EmailPolicy) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			_ = p.Flush(fctx)
			cancel()
			return ctx.Err()
		case <-p.wake:
		case <-timer.C:
			_ = p.Tick(ctx, p.o.now())
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(p.nextWake(p.o.now()))
	}
}

// nextWake is how long Run may sleep.
func (p *EmailPolicy) nextWake(now time.Time) time.Duration {
	d := p.o.tickEvery
	p.mu.Lock()
	if !p.pendingSince.IsZero() {
		d = min(d, p.pendingSince.Add(p.o.window).Sub(now))
	}
	p.mu.Unlock()
	if p.v.cfg.DailyEnabled {
		d = min(d, nextDigestInstant(now, p.v.cfg.DailyAt, p.v.loc).Sub(now))
	}
	return max(d, 10*time.Millisecond)
}

const staleListed = 50
