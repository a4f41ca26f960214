package sync

import (
	"context"
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
