package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

// This file holds the engine's read views and writes for the operations
// page (package ops) and veeqoctl: Runs, RunByID, Pending and SaveSettings.

// Runs returns the account's runs, newest first (the "previous runs" view).
// q.Account is set to the engine's account.
func (e *Engine) Runs(ctx context.Context, q store.RunQuery) ([]store.Run, error) {
	q.Account = e.cfg.Account
	if q.Limit < 0 {
		return nil, fmt.Errorf("%w: Runs: limit %d is negative", ErrConfig, q.Limit)
	}
	runs, err := e.cfg.Store.QueryRuns(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("vsync: runs of %q: %w", e.cfg.Account, err)
	}
	return runs, nil
}

// RunByID returns one run of the engine's account. A run of another
// account is reported as store.ErrNotFound, as an unknown id is.
func (e *Engine) RunByID(ctx context.Context, id string) (store.Run, error) {
	r, err := e.cfg.Store.GetRun(ctx, id)
	if err == nil && r.Account != e.cfg.Account {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Run{}, fmt.Errorf("vsync: run %q: %w", id, err)
	}
	return r, nil
}

// PendingReason says why a waved ERP order has not been exported yet.
type PendingReason string

// Pending reasons.
const (
	// PendingWaiting: the order passes the filters and has no export yet;
	// the next run exports it.
	PendingWaiting PendingReason = "waiting"
	// PendingFiltered: a filter row leaves the order out; Detail names it.
	PendingFiltered PendingReason = "filtered"
	// PendingInDoubt: an earlier create's outcome is unknown; the next run
	// looks the order up in Veeqo by number before any new create.
	PendingInDoubt PendingReason = "in_doubt"
	// PendingFailed: the last attempt failed (Detail says why); the next run
	// tries again from the ERP's current data.
	PendingFailed PendingReason = "failed"
)

// PendingReasonNames lists every pending reason, as filters offer them.
func PendingReasonNames() []string {
	return []string{string(PendingWaiting), string(PendingFiltered), string(PendingInDoubt), string(PendingFailed)}
}

// PendingOrder is a waved ERP order not yet exported, with why not yet.
type PendingOrder struct {
	Ref       string
	Number    string
	Store     string
	CreatedAt time.Time
	Reason    PendingReason
	// Detail explains Reason in words (the filter row that failed, the
	// last error).
	Detail string
	// NextRun is the next scheduled run (zero when auto_sync is off: the
	// order waits for a manual run).
	NextRun time.Time
}

// PendingQuery narrows Pending. Zero fields do not filter.
type PendingQuery struct {
	// From and To bound the orders' creation time (From <= CreatedAt < To).
	From, To time.Time
	// Search is passed to the ERP as a manual run's search term.
	Search string
	// Reasons keeps only orders pending for these reasons.
	Reasons []PendingReason
}

// Pending yields the waved ERP orders that are not yet exported, each with
// why not yet, in the order the ERP yields its candidates: what the next
// export run will look at. It reads the ERP and the store and never calls
// Veeqo, so mapping problems show only once a run tried (as PendingFailed).
// In fetch mode there is nothing to export: it yields one error.
func (e *Engine) Pending(ctx context.Context, q PendingQuery) iter.Seq2[PendingOrder, error] {
	return func(yield func(PendingOrder, error) bool) {
		if e.mode != store.ModeExport {
			yield(PendingOrder{}, fmt.Errorf("%w: Pending lists orders waiting for export; account %q runs in %s mode", ErrConfig, e.cfg.Account, e.mode))
			return
		}
		for _, reason := range q.Reasons {
			switch reason {
			case PendingWaiting, PendingFiltered, PendingInDoubt, PendingFailed:
			default:
				yield(PendingOrder{}, fmt.Errorf("%w: Pending: reason %q is not one of waiting, filtered, in_doubt, failed", ErrConfig, reason))
				return
			}
		}
		var next time.Time
		if e.settings.AutoSync {
			if sched, err := NewSchedule(e.settings); err == nil {
				next = sched.Next(e.clock())
			}
		}
		cq := CandidateQuery{From: q.From, To: q.To, Search: q.Search}
		if !e.settings.StartDate.IsZero() {
			cq.Since = e.settings.StartDate.In(e.loc).UTC()
		}
		seen := map[string]bool{}
		for o, err := range e.cfg.ERP.Candidates(ctx, cq) {
			if err != nil {
				yield(PendingOrder{}, fmt.Errorf("vsync: ERP candidates: %w", err))
				return
			}
			if seen[o.Ref] {
				continue
			}
			seen[o.Ref] = true
			p, pending, err := e.pendingOf(ctx, o)
			if err != nil {
				yield(PendingOrder{}, err)
				return
			}
			if !pending || (len(q.Reasons) > 0 && !slices.Contains(q.Reasons, p.Reason)) {
				continue
			}
			p.NextRun = next
			if !yield(p, nil) {
				return
			}
		}
	}
}

// pendingOf says whether o waits for export, and why.
func (e *Engine) pendingOf(ctx context.Context, o ERPOrder) (PendingOrder, bool, error) {
	p := PendingOrder{Ref: o.Ref, Number: o.Number, Store: o.Store, CreatedAt: o.CreatedAt}
	ex, err := e.cfg.Store.GetExport(ctx, e.cfg.Account, o.Ref)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return p, false, fmt.Errorf("vsync: export state of %s: %w", o.Ref, err)
	case ex.State == store.ExportExported:
		return p, false, nil
	case ex.State == store.ExportClaimed || ex.State == store.ExportUnknown:
		p.Reason, p.Detail = PendingInDoubt, "an earlier create's outcome is unknown; the next run looks it up in Veeqo by number before creating anything"
		return p, true, nil
	}
	if v := e.exportFilter.Explain(o); !v.Pass {
		p.Reason, p.Detail = PendingFiltered, "filtered out: "+v.Reason
		return p, true, nil
	}
	rec, err := e.cfg.Store.GetRecord(ctx, e.cfg.Account, ProcessExport, o.Ref)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return p, false, fmt.Errorf("vsync: record of %s: %w", o.Ref, err)
	case rec.Status == store.RecordError:
		p.Reason, p.Detail = PendingFailed, "the last attempt failed: "+rec.Message
		return p, true, nil
	}
	if ex.State == store.ExportFailed {
		p.Reason, p.Detail = PendingFailed, "the last attempt failed: "+ex.LastError
		return p, true, nil
	}
	p.Reason, p.Detail = PendingWaiting, "passes the filters; the next run exports it"
	if !e.settings.AutoSync {
		p.Detail = "passes the filters; auto_sync is off, so it waits for a manual run"
	}
	return p, true, nil
}

// SaveSettings writes s as the account's stored settings (the settings
// page's Save) after validating it, and logs who changed which fields. It
// does not change this engine, whose settings are fixed when it is built:
// build a new engine with s to run with them. s.Account may be empty (it is
// the engine's account) but not another account. A *SettingsError lists
// every problem by field; nothing is written then.
func (e *Engine) SaveSettings(ctx context.Context, s Settings, by string) (store.Account, error) {
	if strings.TrimSpace(by) == "" {
		return store.Account{}, fmt.Errorf("%w: SaveSettings needs who saves them", ErrConfig)
	}
	if s.Account == "" {
		s.Account = e.cfg.Account
	}
	if s.Account != e.cfg.Account {
		return store.Account{}, &SettingsError{Problems: []FieldProblem{{Field: "account", Problem: fmt.Sprintf("%q is not this engine's account %q", s.Account, e.cfg.Account)}}}
	}
	if err := s.Validate(); err != nil {
		return store.Account{}, err
	}
	doc, err := json.Marshal(s)
	if err != nil {
		return store.Account{}, fmt.Errorf("vsync: encode settings: %w", err)
	}
	for attempt := 1; ; attempt++ {
		acct, err := e.account(ctx)
		if err != nil {
			return store.Account{}, err
		}
		changed := changedFields(acct.Settings, doc)
		if len(changed) == 0 {
			return acct, nil
		}
		acct.Settings = doc
		saved, err := e.cfg.Store.UpdateAccount(ctx, acct)
		if errors.Is(err, store.ErrConflict) && attempt < 3 {
			continue
		}
		if err != nil {
			return store.Account{}, fmt.Errorf("vsync: save settings of %q: %w", e.cfg.Account, err)
		}
		e.appendLog(ctx, store.LevelInfo, ProcessSettings, "", fmt.Sprintf("settings changed by %s: %s", by, strings.Join(changed, ", ")))
		return saved, nil
	}
}

// changedFields names the top-level JSON fields that differ between two
// settings documents (every field of want when old is empty or unreadable).
func changedFields(old, want []byte) []string {
	var a, b map[string]json.RawMessage
	_ = json.Unmarshal(old, &a)
	if err := json.Unmarshal(want, &b); err != nil {
		return []string{"(all)"}
	}
	var out []string
	for k, v := range b {
		if ov, ok := a[k]; !ok || !jsonEqual(ov, v) {
			out = append(out, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// InFlight is what a mode switch would leave behind right now (the counts
// SwitchMode reports), so a settings page can show them before asking.
type InFlight struct {
	// AwaitingConfirmation are exported orders with no final confirmation.
	AwaitingConfirmation int
	// InDoubt are export claims whose outcome is unknown.
	InDoubt int
	// PendingShipments are shipment updates not yet applied to the ERP.
	PendingShipments int
}

// InFlight counts what is in flight for the account (see SwitchReport).
func (e *Engine) InFlight(ctx context.Context) (InFlight, error) {
	var f InFlight
	var err error
	if f.AwaitingConfirmation, err = e.countExports(ctx, []store.ExportState{store.ExportExported}, false); err != nil {
		return f, fmt.Errorf("vsync: in flight: %w", err)
	}
	if f.InDoubt, err = e.countExports(ctx, []store.ExportState{store.ExportClaimed, store.ExportUnknown}, true); err != nil {
		return f, fmt.Errorf("vsync: in flight: %w", err)
	}
	rows, err := e.cfg.Store.ListShipments(ctx, store.ShipmentQuery{Account: e.cfg.Account, States: []store.ShipmentState{store.ShipmentPending}})
	if err != nil {
		return f, fmt.Errorf("vsync: in flight: %w", err)
	}
	f.PendingShipments = len(rows)
	return f, nil
}
