package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/xoroerp/veeqoconnect/store"
)

// ModeLockedError says which mode the account is locked to. It matches
// ErrModeLocked.
type ModeLockedError struct {
	Account string
	Locked  store.Mode // the stored mode
	Wanted  store.Mode // the engine's mode
}

// Error implements error.
func (e *ModeLockedError) Error() string {
	return fmt.Sprintf("vsync: account %q is locked to %s mode; this engine runs %s mode (call SwitchMode to change it on purpose)", e.Account, e.Locked, e.Wanted)
}

// Is makes errors.Is(err, ErrModeLocked) true.
func (e *ModeLockedError) Is(target error) bool { return target == ErrModeLocked }

// checkMode creates the account if needed and enforces the mode lock. With
// writeSettings it also brings the account's stored settings up to date.
func (e *Engine) checkMode(ctx context.Context, writeSettings bool) error {
	acct, err := e.account(ctx)
	if err != nil {
		return err
	}
	switch acct.Mode {
	case e.mode:
	case store.ModeNone:
		acct, err = e.cfg.Store.SetMode(ctx, e.cfg.Account, store.ModeNone, e.mode)
		if errors.Is(err, store.ErrConflict) {
			return e.checkMode(ctx, writeSettings)
		}
		if err != nil {
			return fmt.Errorf("vsync: set mode: %w", err)
		}
	default:
		return &ModeLockedError{Account: e.cfg.Account, Locked: acct.Mode, Wanted: e.mode}
	}
	if writeSettings {
		e.storeSettings(ctx, acct)
	}
	return nil
}

// storeSettings writes the engine's settings to the account when the stored
// document says something else (stale settings would mislead whoever reads
// the account: a settings page, veeqoctl, an operator). The write is a
// compare-and-set on the account's version, tried again once on a
// conflict; a failure is logged and does not stop the run.
func (e *Engine) storeSettings(ctx context.Context, acct store.Account) {
	want, err := json.Marshal(e.settings)
	if err != nil {
		e.log.Warn("vsync: encode settings", "err", err)
		return
	}
	for attempt := 1; ; attempt++ {
		if sameSettings(acct.Settings, want) {
			return
		}
		acct.Settings = want
		_, err := e.cfg.Store.UpdateAccount(ctx, acct)
		if err == nil {
			e.log.Info("vsync: stored settings updated", "account", e.cfg.Account)
			return
		}
		if !errors.Is(err, store.ErrConflict) || attempt == 2 {
			e.log.Warn("vsync: update stored settings", "account", e.cfg.Account, "err", err)
			return
		}
		if acct, err = e.cfg.Store.GetAccount(ctx, e.cfg.Account); err != nil {
			e.log.Warn("vsync: update stored settings", "account", e.cfg.Account, "err", err)
			return
		}
	}
}

// sameSettings reports whether a stored settings document means the same
// as want (the engine's settings, encoded): formatting and key order do not
// count.
func sameSettings(stored, want []byte) bool {
	if len(stored) == 0 {
		return false
	}
	var s Settings
	if err := json.Unmarshal(stored, &s); err != nil {
		return false
	}
	got, err := json.Marshal(s)
	return err == nil && bytes.Equal(got, want)
}

func (e *Engine) account(ctx context.Context) (store.Account, error) {
	acct, err := e.cfg.Store.GetAccount(ctx, e.cfg.Account)
	if errors.Is(err, store.ErrNotFound) {
		doc, _ := json.Marshal(e.settings)
		acct, err = e.cfg.Store.AddAccount(ctx, store.Account{Name: e.cfg.Account, Settings: doc})
		if errors.Is(err, store.ErrExists) {
			acct, err = e.cfg.Store.GetAccount(ctx, e.cfg.Account)
		}
	}
	if err != nil {
		return acct, fmt.Errorf("vsync: account %q: %w", e.cfg.Account, err)
	}
	return acct, nil
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
