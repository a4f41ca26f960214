package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/xoroerp/veeqoconnect/store"
)

// RunRefs runs the given references now (the operations page's "Run"): in
// export mode ERP order refs, exported (or re-examined) from the ERP's
// current data, never from a stored payload; in fetch mode Veeqo order
// numbers. It is Run with Refs set and Trigger "manual".
func (e *Engine) RunRefs(ctx context.Context, refs ...string) (Report, error) {
	var clean []string
	for _, r := range refs {
		if r = strings.TrimSpace(r); r != "" {
			clean = append(clean, r)
		}
	}
	if len(clean) == 0 {
		return Report{}, fmt.Errorf("%w: RunRefs needs at least one reference", ErrConfig)
	}
	return e.Run(ctx, RunOptions{Trigger: "manual", Refs: clean})
}

// Resolve marks a record resolved by a person, with a note ("Mark as
// Resolved"). Resolved records leave the retry list and the error views.
func (e *Engine) Resolve(ctx context.Context, process, ref, by, note string) (store.Record, error) {
	if strings.TrimSpace(by) == "" {
		return store.Record{}, fmt.Errorf("%w: Resolve needs who resolves it", ErrConfig)
	}
	rec, err := e.cfg.Store.SetResolved(ctx, e.cfg.Account, process, ref, true, by, note, e.clock())
	if err != nil {
		return rec, fmt.Errorf("vsync: resolve %s %s: %w", process, ref, err)
	}
	e.appendLog(ctx, store.LevelInfo, process, ref, fmt.Sprintf("marked resolved by %s: %s", by, note))
	return rec, nil
}

// Unresolve reopens a resolved record ("Mark as Unresolved").
func (e *Engine) Unresolve(ctx context.Context, process, ref, by string) (store.Record, error) {
	rec, err := e.cfg.Store.SetResolved(ctx, e.cfg.Account, process, ref, false, "", "", e.clock())
	if err != nil {
		return rec, fmt.Errorf("vsync: unresolve %s %s: %w", process, ref, err)
	}
	e.appendLog(ctx, store.LevelInfo, process, ref, "marked unresolved by "+by)
	return rec, nil
}

// Records returns one page of the account's operations records.
func (e *Engine) Records(ctx context.Context, q store.RecordQuery) (store.RecordPage, error) {
	q.Account = e.cfg.Account
	return e.cfg.Store.QueryRecords(ctx, q)
}

// Logs returns one page of the account's log.
func (e *Engine) Logs(ctx context.Context, q store.LogQuery) (store.LogPage, error) {
	q.Account = e.cfg.Account
	return e.cfg.Store.QueryLogs(ctx, q)
}

func (e *Engine) appendLog(ctx context.Context, level, process, ref, msg string) {
	if _, err := e.cfg.Store.AppendLogs(ctx, store.LogEntry{Time: e.clock(), Account: e.cfg.Account, Process: process,
		Level: level, Reference: ref, Message: e.scrub(msg)}); err != nil {
		e.log.Warn("vsync: append log", "err", err)
	}
}

// SwitchReport says what a mode switch left in flight.
type SwitchReport struct {
	From, To store.Mode
	// AwaitingConfirmation are exported orders with no final confirmation
	// yet: their shipments will no longer be imported in fetch mode.
	AwaitingConfirmation int
	// InDoubt are export claims whose outcome is unknown.
	InDoubt int
	// PendingShipments are shipment updates not yet applied to the ERP.
	PendingShipments int
	// Message is the logged summary.
	Message string
}

// SwitchMode switches the account's stored mode to `to` on purpose (the
// mode lock), logging who asked and why and reporting what is in flight. It
// is the only way to run an account in the other direction. Switching to the
// current mode does nothing.
func (e *Engine) SwitchMode(ctx context.Context, to store.Mode, reason string) (SwitchReport, error) {
	if to != store.ModeExport && to != store.ModeFetch {
		return SwitchReport{}, fmt.Errorf("%w: SwitchMode to %q: want %q or %q", ErrConfig, to, store.ModeExport, store.ModeFetch)
	}
	if strings.TrimSpace(reason) == "" {
		return SwitchReport{}, fmt.Errorf("%w: SwitchMode needs a reason (it is logged)", ErrConfig)
	}
	acct, err := e.account(ctx)
	if err != nil {
		return SwitchReport{}, err
	}
	rep := SwitchReport{From: acct.Mode, To: to}
	if acct.Mode == to {
		rep.Message = fmt.Sprintf("mode is already %s", to)
		return rep, nil
	}
	if n, err := e.countExports(ctx, []store.ExportState{store.ExportExported}, false); err == nil {
		rep.AwaitingConfirmation = n
	}
	if n, err := e.countExports(ctx, []store.ExportState{store.ExportClaimed, store.ExportUnknown}, true); err == nil {
		rep.InDoubt = n
	}
	if rows, err := e.cfg.Store.ListShipments(ctx, store.ShipmentQuery{Account: e.cfg.Account, States: []store.ShipmentState{store.ShipmentPending}}); err == nil {
		rep.PendingShipments = len(rows)
	}
	if _, err := e.cfg.Store.SetMode(ctx, e.cfg.Account, acct.Mode, to); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return rep, fmt.Errorf("vsync: mode changed meanwhile, read it again: %w", err)
		}
		return rep, fmt.Errorf("vsync: switch mode: %w", err)
	}
	from := string(acct.Mode)
	if from == "" {
		from = "none"
	}
	rep.Message = fmt.Sprintf("mode switched from %s to %s (%s); in flight: %d exported orders awaiting confirmations, %d exports in doubt, %d shipments pending",
		from, to, reason, rep.AwaitingConfirmation, rep.InDoubt, rep.PendingShipments)
	level := store.LevelInfo
	if rep.AwaitingConfirmation+rep.InDoubt+rep.PendingShipments > 0 {
		level = store.LevelWarning
	}
	e.appendLog(ctx, level, ProcessMode, "", rep.Message)
	return rep, nil
}

// countExports counts exports in states; with all false only those not
// completed.
func (e *Engine) countExports(ctx context.Context, states []store.ExportState, all bool) (int, error) {
	n := 0
	after := ""
	f := false
	for {
		q := store.ExportQuery{Account: e.cfg.Account, States: states, AfterRef: after, Limit: 500}
		if !all {
			q.Completed = &f
		}
		list, err := e.cfg.Store.ListExports(ctx, q)
		if err != nil {
			return n, err
		}
		n += len(list)
		if len(list) < 500 {
			return n, nil
		}
		after = list[len(list)-1].ERPRef
	}
}
