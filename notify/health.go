package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
)

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
