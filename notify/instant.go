package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

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
