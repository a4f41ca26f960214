package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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

// --- instant ---

type markState struct {
	Seq    int64     `json:"seq"`
	SentAt time.Time `json:"sent_at"`
}

func (p *EmailPolicy) loadJSON(ctx context.Context, name string, into any) (int64, error) {
	b, ver, err := p.state.LoadState(ctx, p.v.cfg.Account, name)
	if err != nil {
		return 0, fmt.Errorf("notify: load state %s: %w", name, err)
	}
	if ver == 0 || len(b) == 0 {
		return ver, nil
	}
	if err := json.Unmarshal(b, into); err != nil {
		return ver, fmt.Errorf("notify: decode state %s: %w", name, err)
	}
	return ver, nil
}

func (p *EmailPolicy) saveJSON(ctx context.Context, name string, val any, ver int64) error {
	b, err := json.Marshal(val)
	if err != nil {
		return fmt.Errorf("notify: encode state %s: %w", name, err)
	}
	if err := p.state.SaveState(ctx, p.v.cfg.Account, name, b, ver); err != nil {
		return fmt.Errorf("notify: save state %s: %w", name, err)
	}
	return nil
}

// instant sends due instant mail. With force it ignores the coalescing window.
func (p *EmailPolicy) instant(ctx context.Context, now time.Time, force bool) error {
	for range p.o.mailsPerTick {
		sent, more, err := p.instantOnce(ctx, now, force)
		if err != nil || !sent || !more {
			return err
		}
		force = true // the rest of a backlog is as due as its first part
	}
	return nil
}

// instantOnce sends at most one mail; more says whether candidates remain.
func (p *EmailPolicy) instantOnce(ctx context.Context, now time.Time, force bool) (sent, more bool, err error) {
	mark, ver, err := p.loadInstantMark(ctx, now)
	if err != nil {
		return false, false, err
	}
	p.mu.Lock()
	snapshot := slices.Clone(p.buf)
	firstSeen := p.pendingSince
	p.mu.Unlock()

	events, ids, more := p.instantCandidates(ctx, snapshot, mark.Seq, now)
	if len(events) == 0 {
		p.dropBuffered(mark.Seq, nil)
		return false, false, nil
	}
	if firstSeen.IsZero() {
		p.mu.Lock()
		if p.pendingSince.IsZero() {
			p.pendingSince = now
		}
		firstSeen = p.pendingSince
		p.mu.Unlock()
	}
	if !force && now.Sub(firstSeen) < p.o.window {
		return false, false, nil
	}

	msg := instantMessage(p.v, events, p.o.maxListed)
	msg.Date = now
	if err := p.mailer.Send(ctx, msg); err != nil {
		return false, false, fmt.Errorf("notify: send instant mail (%d events) for %s: %w", len(events), p.v.cfg.Account, err)
	}
	newMark := mark.Seq
	for _, e := range events {
		newMark = max(newMark, e.Seq)
	}
	if newMark > mark.Seq {
		p.sentMark = max(p.sentMark, newMark)
		if err := p.advanceMark(ctx, newMark, ver, now); err != nil {
			// The mail went out; the next tick saves the mark again. Only a restart before that resends it.
			p.log.ErrorContext(ctx, "notify: instant mail sent but its mark was not saved", slog.String("account", p.v.cfg.Account), slog.Any("error", err))
		}
	}
	p.dropBuffered(newMark, ids)
	return true, more, nil
}

// loadInstantMark loads the saved instant mark and its version, first
// saving a mark this process sent but could not save; the mark returned is
// never below what this process sent.
func (p *EmailPolicy) loadInstantMark(ctx context.Context, now time.Time) (markState, int64, error) {
	var mark markState
	ver, err := p.loadJSON(ctx, StateInstantMark, &mark)
	if err != nil {
		return mark, 0, err
	}
	if p.sentMark > mark.Seq {
		// An earlier save failed after its mail went out: save it now, and never resend meanwhile.
		if err := p.advanceMark(ctx, p.sentMark, ver, now); err != nil {
			p.log.ErrorContext(ctx, "notify: instant mark still not saved", slog.String("account", p.v.cfg.Account), slog.Any("error", err))
		} else {
			ver, err = p.loadJSON(ctx, StateInstantMark, &mark)
			if err != nil {
				return mark, 0, err
			}
		}
		mark.Seq = max(mark.Seq, p.sentMark)
	}
	return mark, ver, nil
}

// instantCandidates gathers the next mail's events: the buffer above the
// mark, plus the durable log after the mark (catch-up after a restart,
// events from other processes, buffer overflow), in Seq order; buffered
// entries without a Seq come last, and ids lists those. At most maxPerMail
// are taken; more says whether others remain.
func (p *EmailPolicy) instantCandidates(ctx context.Context, snapshot []pending, markSeq int64, now time.Time) (events []Event, ids []uint64, more bool) {
	bySeq := map[int64]pending{}
	var noSeq []pending
	for _, pe := range snapshot {
		switch {
		case pe.e.Seq == 0:
			noSeq = append(noSeq, pe)
		case pe.e.Seq > markSeq:
			bySeq[pe.e.Seq] = pe
		}
	}
	if p.src != nil {
		var err error
		more, err = p.readSource(ctx, markSeq, now, bySeq)
		if err != nil {
			// Carry on with what is buffered; the next tick retries the catch-up.
			p.log.WarnContext(ctx, "notify: catch-up from the log failed", slog.String("account", p.v.cfg.Account), slog.Any("error", err))
		}
	}
	cands := make([]pending, 0, len(bySeq)+len(noSeq))
	for _, pe := range bySeq {
		cands = append(cands, pe)
	}
	slices.SortFunc(cands, func(a, b pending) int { return cmp.Compare(a.e.Seq, b.e.Seq) })
	cands = append(cands, noSeq...)
	if len(cands) > p.o.maxPerMail {
		cands, more = cands[:p.o.maxPerMail], true
	}
	events = make([]Event, len(cands))
	for i, pe := range cands {
		events[i] = pe.e
		if pe.e.Seq == 0 {
			ids = append(ids, pe.id)
		}
	}
	return events, ids, more
}

// readSource adds the log's events after afterSeq (and not older than the catch-up age) to bySeq, up to
// maxPerMail of them; it reports whether more remain.
func (p *EmailPolicy) readSource(ctx context.Context, afterSeq int64, now time.Time, bySeq map[int64]pending) (bool, error) {
	q := EventQuery{Account: p.v.cfg.Account, AfterSeq: afterSeq, Since: now.Add(-p.o.catchUpAge), Levels: p.levels()}
	n := 0
	for e, err := range p.src.Events(ctx, q) {
		if err != nil {
			return false, fmt.Errorf("notify: read events: %w", err)
		}
		if e.Seq <= afterSeq || e.Account != p.v.cfg.Account || !p.mailable(e.Level) || p.excluded(e) {
			continue
		}
		if n >= p.o.maxPerMail {
			return true, nil
		}
		if _, ok := bySeq[e.Seq]; !ok {
			e.Time = e.Time.UTC()
			bySeq[e.Seq] = pending{e: e}
		}
		n++
	}
	return false, nil
}

// advanceMark saves the mark, merging with a concurrent writer (the larger mark wins).
func (p *EmailPolicy) advanceMark(ctx context.Context, seq, ver int64, now time.Time) error {
	for range 5 {
		err := p.saveJSON(ctx, StateInstantMark, markState{Seq: seq, SentAt: now}, ver)
		if err == nil || !errors.Is(err, ErrStateConflict) {
			return err
		}
		var cur markState
		ver, err = p.loadJSON(ctx, StateInstantMark, &cur)
		if err != nil {
			return err
		}
		if cur.Seq >= seq {
			return nil
		}
	}
	return fmt.Errorf("notify: save state %s: %w (gave up after 5 attempts)", StateInstantMark, ErrStateConflict)
}

// dropBuffered removes sent entries: those with 0 < Seq <= mark, and the Seq-0 entries in ids.
func (p *EmailPolicy) dropBuffered(mark int64, ids []uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = slices.DeleteFunc(p.buf, func(pe pending) bool {
		if pe.e.Seq == 0 {
			return slices.Contains(ids, pe.id)
		}
		return pe.e.Seq <= mark
	})
	if len(p.buf) == 0 {
		p.pendingSince = time.Time{}
	}
}

// --- daily ---

type digestState struct {
	Last      time.Time `json:"last"`                // end of the period the last digest covered
	Claim     time.Time `json:"claim,omitzero"`      // period end being sent by some instance
	ClaimedAt time.Time `json:"claimed_at,omitzero"` // when it was claimed
	SentAt    time.Time `json:"sent_at,omitzero"`    // when the last digest was accepted
	Count     int       `json:"count,omitempty"`     // entries in the last digest
}

// daily sends the daily digest once it is due, claimed by one instance of
// the policy among those sharing the state (compare-and-set), and records
// what it covered; a digest sent but not recorded is recorded, not sent
// again.
func (p *EmailPolicy) daily(ctx context.Context, now time.Time) error {
	due := lastDigestInstant(now, p.v.cfg.DailyAt, p.v.loc)
	var st digestState
	ver, err := p.loadJSON(ctx, StateDailyDigest, &st)
	if err != nil {
		return err
	}
	if ver == 0 {
		// First run ever: start counting from the last scheduled time; nothing is owed before it.
		err := p.saveJSON(ctx, StateDailyDigest, digestState{Last: due}, 0)
		if errors.Is(err, ErrStateConflict) {
			return nil
		}
		return err
	}
	if !due.After(st.Last) {
		return nil
	}
	if !due.After(p.sentUpTo) {
		// This instance sent it but could not record it: record it now instead of sending it again.
		return p.saveJSON(ctx, StateDailyDigest, digestState{Last: p.sentUpTo, SentAt: now}, ver)
	}
	if !st.Claim.IsZero() && now.Sub(st.ClaimedAt) < p.o.claimTTL {
		return nil // another instance is sending it
	}
	claimed := st
	claimed.Claim, claimed.ClaimedAt = due, now
	if err := p.saveJSON(ctx, StateDailyDigest, claimed, ver); err != nil {
		if errors.Is(err, ErrStateConflict) {
			return nil // another instance got there first
		}
		return err
	}
	return p.sendDigest(ctx, st, ver+1, due, now)
}

// sendDigest sends the digest of (st.Last, due] that this instance has
// claimed (the state at version ver) and records it; on failure it releases
// the claim so that the next tick tries again.
func (p *EmailPolicy) sendDigest(ctx context.Context, st digestState, ver int64, due, now time.Time) error {
	d, err := p.collectDigest(ctx, st.Last, due)
	if err == nil && p.o.skipEmpty && d.errs+d.warns == 0 {
		return p.saveJSON(ctx, StateDailyDigest, digestState{Last: due, SentAt: now}, ver)
	}
	if err == nil {
		msg := digestMessage(p.v, d, st.Last, due, p.healthLine(ctx))
		msg.Date = now
		err = p.mailer.Send(ctx, msg)
		if err != nil {
			err = fmt.Errorf("notify: send daily digest for %s: %w", p.v.cfg.Account, err)
		}
	}
	if err != nil {
		st.Claim, st.ClaimedAt = time.Time{}, time.Time{}
		if uerr := p.saveJSON(ctx, StateDailyDigest, st, ver); uerr != nil {
			p.log.WarnContext(ctx, "notify: could not release the digest claim; it expires by itself", slog.Any("error", uerr))
		}
		return err
	}
	p.sentUpTo = due
	if err := p.saveJSON(ctx, StateDailyDigest, digestState{Last: due, SentAt: now, Count: d.errs + d.warns}, ver); err != nil {
		p.log.ErrorContext(ctx, "notify: daily digest sent but not recorded", slog.String("account", p.v.cfg.Account), slog.Any("error", err))
		return err
	}
	return nil
}

func (p *EmailPolicy) collectDigest(ctx context.Context, from, to time.Time) (*digest, error) {
	d := newDigest()
	q := EventQuery{Account: p.v.cfg.Account, Since: from, Until: to, Levels: p.levels()}
	for e, err := range p.src.Events(ctx, q) {
		if err != nil {
			return nil, fmt.Errorf("notify: read events for the digest: %w", err)
		}
		if e.Account != p.v.cfg.Account || !p.mailable(e.Level) || e.Time.Before(from) || !e.Time.Before(to) {
			continue
		}
		if p.excluded(e) {
			d.excluded++
			continue
		}
		d.add(e)
	}
	return d, nil
}

// healthLine is a line for the digest about the last successful run, when Health is known.
func (p *EmailPolicy) healthLine(ctx context.Context) string {
	if p.o.health == nil {
		return ""
	}
	t, ok, err := p.o.health.LastSuccessfulRun(ctx, p.v.cfg.Account)
	switch {
	case err != nil:
		return ""
	case !ok:
		return "Last successful run: none recorded."
	}
	return "Last successful run: " + t.In(p.v.loc).Format(mailTimeLayout) + "."
}

// --- health ---

type healthState struct {
	Day string `json:"day"` // local date of the last alert
}

func (p *EmailPolicy) healthCheck(ctx context.Context, now time.Time) error {
	var errs []error
	if p.v.cfg.NoSuccessAfter > 0 {
		errs = append(errs, p.healthOnce(ctx, now, StateHealthRun, p.noSuccessAlert))
	}
	if p.v.cfg.StaleExportAfterDays > 0 {
		errs = append(errs, p.healthOnce(ctx, now, StateHealthStale, p.staleAlert))
	}
	return errors.Join(errs...)
}

// healthOnce sends the alert built by check at most once per local day.
func (p *EmailPolicy) healthOnce(ctx context.Context, now time.Time, name string, check func(context.Context, time.Time) (*Message, error)) error {
	day := now.In(p.v.loc).Format("2006-01-02")
	var st healthState
	ver, err := p.loadJSON(ctx, name, &st)
	if err != nil {
		return err
	}
	if st.Day == day {
		return nil
	}
	msg, err := check(ctx, now)
	if err != nil || msg == nil {
		return err
	}
	msg.Date = now
	if err := p.mailer.Send(ctx, *msg); err != nil {
		return fmt.Errorf("notify: send health alert for %s: %w", p.v.cfg.Account, err)
	}
	if err := p.saveJSON(ctx, name, healthState{Day: day}, ver); err != nil && !errors.Is(err, ErrStateConflict) {
		return err
	}
	return nil
}

func (p *EmailPolicy) noSuccessAlert(ctx context.Context, now time.Time) (*Message, error) {
	last, ok, err := p.o.health.LastSuccessfulRun(ctx, p.v.cfg.Account)
	if err != nil {
		return nil, fmt.Errorf("notify: health: last successful run: %w", err)
	}
	if ok && now.Sub(last) < p.v.cfg.NoSuccessAfter {
		return nil, nil
	}
	if !ok && !p.o.watchedSince.IsZero() && now.Sub(p.o.watchedSince) < p.v.cfg.NoSuccessAfter {
		return nil, nil // give the first run a chance
	}
	acct := sanitizeLine(p.v.cfg.Account)
	var subj, body string
	if ok {
		ago := humanDuration(now.Sub(last))
		subj = fmt.Sprintf("%sHealth: no successful run for %s", prefix(acct), ago)
		body = fmt.Sprintf("The Veeqo integration for account %s has not completed a run successfully since %s (%s ago; the alert threshold is %s).\n",
			acct, last.In(p.v.loc).Format(mailTimeLayout), ago, humanDuration(p.v.cfg.NoSuccessAfter))
	} else {
		subj = fmt.Sprintf("%sHealth: no successful run recorded", prefix(acct))
		body = fmt.Sprintf("The Veeqo integration for account %s has no successful run on record.\n", acct)
	}
	body += "\nCheck that automatic import/export is enabled and that the scheduler is running, then look at the latest runs on the Operations page.\n"
	return &Message{From: p.v.from, To: p.v.healthTo(), Subject: SanitizeHeader(subj), Text: body}, nil
}

const staleListed = 50

func (p *EmailPolicy) staleAlert(ctx context.Context, now time.Time) (*Message, error) {
	days := p.v.cfg.StaleExportAfterDays
	refs, err := p.o.health.StaleExports(ctx, p.v.cfg.Account, now.AddDate(0, 0, -days))
	if err != nil {
		return nil, fmt.Errorf("notify: health: stale exports: %w", err)
	}
	if len(refs) == 0 {
		return nil, nil
	}
	acct := sanitizeLine(p.v.cfg.Account)
	subj := fmt.Sprintf("%sHealth: %s without confirmation for %d+ days", prefix(acct), plural(len(refs), "exported order", "exported orders"), days)
	var b []byte
	b = fmt.Appendf(b, "These orders were exported to Veeqo more than %s ago and no shipment confirmation has come back:\n\n", plural(days, "day", "days"))
	for i, r := range refs {
		if i == staleListed {
			b = fmt.Appendf(b, "  ... and %d more\n", len(refs)-i)
			break
		}
		b = fmt.Appendf(b, "  %s\n", orDash(truncate(sanitizeLine(r), referenceMax)))
	}
	b = fmt.Appendf(b, "\nCheck them in Veeqo (still awaiting fulfilment? shipped outside Veeqo?) and on the Operations page.\n")
	return &Message{From: p.v.from, To: p.v.healthTo(), Subject: SanitizeHeader(subj), Text: string(b)}, nil
}

// humanDuration is "45m", "30h" or "44h30m".
func humanDuration(d time.Duration) string {
	d = d.Truncate(time.Minute)
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}
