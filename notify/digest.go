package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

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
