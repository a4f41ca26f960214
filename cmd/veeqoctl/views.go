package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/ops"
	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

func (a *app) cmdRuns(ctx context.Context, fs *flag.FlagSet, args []string) int {
	limit := fs.Int("limit", 20, "at most this many runs, newest first (1-500)")
	var statuses multiFlag
	fs.Var(&statuses, "status", "only runs with this status: "+strings.Join(store.RunStatusNames(), ", ")+" (repeatable)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, code, ok := a.parse(fs, args, "", "Show the previous runs, newest first: trigger, start, duration, counts, Veeqo calls."); !ok {
		return code
	}
	if *limit < 1 || *limit > 500 {
		return a.fail(exitUsage, "--limit must be in 1-500, not %d", *limit)
	}
	q := store.RunQuery{Limit: *limit}
	var code int
	var ok bool
	if q.Statuses, code, ok = enumFlag[store.RunStatus](a, "status", statuses, store.RunStatusNames()); !ok {
		return code
	}
	w, code := a.stateCmd(ctx)
	if w == nil {
		return code
	}
	defer w.Close()
	runs, err := w.engine.Runs(ctx, q)
	if err != nil {
		return a.fail(exitFailure, "read runs: %v", err)
	}
	out := []ops.RunJSON{}
	for _, r := range runs {
		out = append(out, ops.RunOf(r))
	}
	if *asJSON {
		_ = writeJSON(a.stdout, out)
		return exitOK
	}
	rows := make([][]string, 0, len(out))
	for _, r := range out {
		dur := "running"
		if !r.FinishedAt.IsZero() {
			dur = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
		}
		trigger := r.Trigger
		if r.StartedBy != "" {
			trigger += " by " + r.StartedBy
		}
		rows = append(rows, []string{r.StartedAt.UTC().Format("2006-01-02 15:04:05"), r.ID, trigger, r.Status, dur,
			r.CountsText(), fmt.Sprint(r.VeeqoCalls), r.Error})
	}
	table(a.stdout, []string{"START (UTC)", "RUN", "TRIGGER", "STATUS", "DURATION", "COUNTS", "VEEQO CALLS", "ERROR"}, rows)
	return exitOK
}

func (a *app) cmdPending(ctx context.Context, fs *flag.FlagSet, args []string) int {
	var reasons multiFlag
	fs.Var(&reasons, "reason", "only orders pending for this reason: "+strings.Join(vsync.PendingReasonNames(), ", ")+" (repeatable)")
	search := fs.String("search", "", "only orders the ERP finds for this search term")
	limit := fs.Int("limit", 100, "at most this many orders (0: all)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, code, ok := a.parse(fs, args, "", "Show the waved ERP orders not yet exported, and why not yet (filtered, waiting for the\nnext run, in doubt, failed): what the next export run will look at. Export mode only."); !ok {
		return code
	}
	if *limit < 0 {
		return a.fail(exitUsage, "--limit must be 0 (all) or more, not %d", *limit)
	}
	q := vsync.PendingQuery{Search: *search}
	var code int
	var ok bool
	if q.Reasons, code, ok = enumFlag[vsync.PendingReason](a, "reason", reasons, vsync.PendingReasonNames()); !ok {
		return code
	}
	w, code := a.stateCmd(ctx)
	if w == nil {
		return code
	}
	defer w.Close()
	out := []ops.PendingJSON{}
	for p, err := range w.engine.Pending(ctx, q) {
		if err != nil {
			return a.fail(exitFailure, "%v", err)
		}
		out = append(out, ops.PendingOf(p))
		if *limit > 0 && len(out) == *limit {
			break
		}
	}
	if *asJSON {
		_ = writeJSON(a.stdout, out)
		return exitOK
	}
	rows := make([][]string, 0, len(out))
	for _, p := range out {
		next := "manual run"
		if !p.NextRun.IsZero() {
			next = p.NextRun.UTC().Format("2006-01-02 15:04 UTC")
		}
		rows = append(rows, []string{p.Ref, p.Number, p.Store, p.CreatedAt.UTC().Format("2006-01-02 15:04"), p.Reason, next, p.Detail})
	}
	table(a.stdout, []string{"REF", "NUMBER", "STORE", "CREATED (UTC)", "REASON", "NEXT RUN", "DETAIL"}, rows)
	return exitOK
}

// enumFlag converts the values of a repeatable flag with a closed set of
// values, refusing one that is not allowed with a usage error naming the
// flag and the allowed values.
func enumFlag[T ~string](a *app, flag string, vals, allowed []string) ([]T, int, bool) {
	var out []T
	for _, v := range vals {
		if !slices.Contains(allowed, v) {
			return nil, a.fail(exitUsage, "--%s %q is not one of %s", flag, v, strings.Join(allowed, ", ")), false
		}
		out = append(out, T(v))
	}
	return out, exitOK, true
}
