package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/xoroerp/veeqoconnect/ops"
	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// errInterrupted is the cause of a run stopped by a signal; it matches
// context.Canceled so the engine reports the run as cancelled.
var errInterrupted = fmt.Errorf("interrupted by a signal: %w", context.Canceled)

// stopGrace is how long a stop waits for the order in hand before the run
// is cancelled outright.
const stopGrace = 15 * time.Second

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*m = append(*m, s)
		}
	}
	return nil
}

// timeFlag parses --from/--to: an RFC 3339 time, or a date (local midnight
// in the account's time zone).
func parseTimeArg(s string, loc string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := vsync.ParseDate(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (YYYY-MM-DD) nor an RFC 3339 time", s)
	}
	l, err := vsync.LoadLocation(loc)
	if err != nil {
		return time.Time{}, err
	}
	return d.In(l).UTC(), nil
}

// reportJSON is the run report as printed by --json.
type reportJSON struct {
	RunID                string            `json:"run_id"`
	Account              string            `json:"account"`
	Mode                 store.Mode        `json:"mode"`
	Trigger              string            `json:"trigger"`
	DryRun               bool              `json:"dry_run"`
	Status               string            `json:"status"`
	Started              time.Time         `json:"started"`
	Finished             time.Time         `json:"finished"`
	DurationMS           int64             `json:"duration_ms"`
	Exported             int               `json:"exported"`
	Reconciled           int               `json:"reconciled"`
	Skipped              int               `json:"skipped"`
	Failed               int               `json:"failed"`
	ConfirmationsApplied int               `json:"confirmations_applied"`
	ShipmentsIgnored     int               `json:"shipments_ignored"`
	Warnings             int               `json:"warnings"`
	VeeqoCalls           int64             `json:"veeqo_calls"`
	Outcomes             []ops.OutcomeJSON `json:"outcomes"`
	Error                string            `json:"error,omitempty"`
}

func reportOf(r vsync.Report, err error) reportJSON {
	j := reportJSON{RunID: r.RunID, Account: r.Account, Mode: r.Mode, Trigger: r.Trigger, DryRun: r.DryRun,
		Status: string(r.Status), Started: r.Started, Finished: r.Finished, DurationMS: r.Duration.Milliseconds(),
		Exported: r.Exported, Reconciled: r.Reconciled, Skipped: r.Skipped, Failed: r.Failed,
		ConfirmationsApplied: r.ConfirmationsApplied, ShipmentsIgnored: r.ShipmentsIgnored, Warnings: r.Warnings,
		VeeqoCalls: r.VeeqoCalls, Error: r.Error, Outcomes: []ops.OutcomeJSON{}}
	for _, o := range r.Outcomes {
		j.Outcomes = append(j.Outcomes, ops.OutcomeOf(o))
	}
	if j.Status == "" {
		j.Status = "not_started"
	}
	if j.Error == "" && err != nil {
		j.Error = err.Error()
	}
	return j
}

func (a *app) cmdSync(ctx context.Context, fs *flag.FlagSet, args []string) int {
	var o syncFlags
	o.register(fs, true)
	pos, code, ok := a.parse(fs, args, "", "Run one sync in the configured mode: export (orders to Veeqo, then shipment confirmations\nback to the ERP) or fetch (fulfillments of orders born elsewhere). Ctrl-C stops cleanly\nafter the order in hand (twice: at once).")
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return a.fail(exitUsage, "sync takes no arguments (got %q); use --ref for references", pos)
	}
	return a.runSync(ctx, o, "cli")
}

func (a *app) cmdRunRefs(ctx context.Context, fs *flag.FlagSet, args []string) int {
	var o syncFlags
	o.register(fs, false)
	pos, code, ok := a.parse(fs, args, "REF...", "Run the given references now: ERP order references in export mode (exported from the\norders file's current data, or their confirmations read), Veeqo order numbers in fetch mode.")
	if !ok {
		return code
	}
	if len(pos) == 0 {
		return a.fail(exitUsage, "run needs at least one reference")
	}
	o.refs = pos
	return a.runSync(ctx, o, "manual")
}

type syncFlags struct {
	from, to, search string
	refs             multiFlag
	dryRun, asJSON   bool
	quiet            bool
}

func (o *syncFlags) register(fs *flag.FlagSet, all bool) {
	if all {
		fs.StringVar(&o.from, "from", "", "export mode: only orders created at or after this date/time (YYYY-MM-DD in the account's zone, or RFC 3339)")
		fs.StringVar(&o.to, "to", "", "export mode: only orders created before this date/time")
		fs.StringVar(&o.search, "search", "", "export mode: only ERP orders matching this term (reference, number, customer)")
		fs.Var(&o.refs, "ref", "run only this reference (repeatable, or comma-separated)")
	}
	fs.BoolVar(&o.dryRun, "dry-run", false, "evaluate filters and mappings and report what would happen; write nothing to Veeqo, the ERP or the records")
	fs.BoolVar(&o.asJSON, "json", false, "print the run report as one JSON object on stdout")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress output")
}

// runSync runs one pass of the picked account.
func (a *app) runSync(ctx context.Context, o syncFlags, trigger string) int {
	_, acct, code := a.account()
	if acct == nil {
		return code
	}
	if code := a.checkFetchFlags(acct, o); code != exitOK {
		return code
	}
	from, to, code, ok := a.timeRange(acct, o.from, o.to)
	if !ok {
		return code
	}
	w, code := a.wire(ctx, acct, wireOptions{veeqo: true, mail: !o.dryRun})
	if w == nil {
		return code
	}
	defer w.Close()
	if _, code := a.checkKey(ctx, w.client); code != exitOK {
		return code
	}
	var out io.Writer = a.stdout
	if o.asJSON {
		out = a.stderr
	}
	var p *progress
	if !o.quiet {
		p = newProgress(out)
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w.watch.arm(p, cancel)
	// Catch signals before the run starts, so an early Ctrl-C is not the
	// default (immediate) exit.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go watchSignals(sigs, done, w.watch, cancel, p)

	opts := vsync.RunOptions{Trigger: trigger, From: from, To: to, Search: o.search, Refs: o.refs, DryRun: o.dryRun}
	if o.dryRun {
		opts.Trigger = "dry-run"
	}
	rep, err := w.engine.Run(runCtx, opts)
	p.end()
	if o.asJSON {
		if werr := writeJSON(a.stdout, reportOf(rep, err)); werr != nil {
			return a.fail(exitFailure, "%v", werr)
		}
	} else {
		a.printSummary(rep, err)
	}
	return a.runExit(acct, rep, err, o.asJSON)
}

// checkFetchFlags refuses the options that only narrow an export when the
// account runs in fetch mode, which reads every order of the mapped
// channels updated since its cursor.
func (a *app) checkFetchFlags(acct *account, o syncFlags) int {
	if acct.Settings.Mode() != store.ModeFetch {
		return exitOK
	}
	for _, f := range []struct{ name, v string }{{"--search", o.search}, {"--from", o.from}, {"--to", o.to}} {
		if f.v != "" {
			return a.fail(exitUsage, "%s is for export mode; account %s runs in fetch mode (use --ref NUMBER to run one Veeqo order)", f.name, acct.Raw.Name)
		}
	}
	return exitOK
}

// runExit is a run's exit code, explaining on stderr a run that could
// not start (mode lock, lease) or failed.
func (a *app) runExit(acct *account, rep vsync.Report, err error, asJSON bool) int {
	var locked *vsync.ModeLockedError
	switch {
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &locked):
		fmt.Fprintf(a.stderr, "veeqoctl: account %s is locked to %s mode but its settings now select %s mode; "+
			"run `veeqoctl switch-mode --reason \"...\"` to switch it on purpose (it prints what is left in flight)\n",
			acct.Raw.Name, locked.Locked, locked.Wanted)
		return exitFailure
	case errors.Is(err, vsync.ErrModeLocked):
		fmt.Fprintf(a.stderr, "veeqoctl: %v (see `veeqoctl switch-mode`)\n", err)
		return exitFailure
	case errors.Is(err, vsync.ErrRunInProgress):
		fmt.Fprintf(a.stderr, "veeqoctl: %v (if that run crashed on another machine, its lease expires after lease_ttl, default 30s)\n", err)
		return exitFailure
	case err != nil:
		if !asJSON {
			// The summary does not repeat it (it goes to stdout).
			fmt.Fprintf(a.stderr, "veeqoctl: run failed: %s\n", oneLine(err.Error()))
		}
		return exitFailure
	case rep.Status == store.RunPartial || rep.Failed > 0:
		return exitPartial
	}
	return exitOK
}

// watchSignals stops the run on SIGINT/SIGTERM: the first signal at the
// next order boundary (at once outside the export loop), a second one, or
// stopGrace later, at once.
func watchSignals(sigs <-chan os.Signal, done <-chan struct{}, w *watchedERP, cancel context.CancelCauseFunc, p *progress) {
	select {
	case <-done:
		return
	case <-sigs:
	}
	if w.exporting.Load() {
		p.note("stopping after the order in hand (press Ctrl-C again to stop now)")
		w.stopping.Store(true)
	} else {
		p.note("stopping")
		cancel(errInterrupted)
	}
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-sigs:
		cancel(errInterrupted)
	case <-t.C:
		cancel(errInterrupted)
	}
}

func (a *app) printSummary(r vsync.Report, err error) {
	w := a.stdout
	if r.RunID == "" && err != nil {
		return
	}
	what := "run"
	if r.DryRun {
		what = "dry run (nothing written)"
	}
	fmt.Fprintf(w, "%s %s %s in %s: %s\n", what, r.RunID, r.Status, r.Duration.Round(time.Millisecond), r.Summary())
	var rows [][]string
	for _, o := range r.Outcomes {
		if !r.DryRun && o.Status == store.RecordSuccess {
			continue
		}
		rows = append(rows, []string{o.Process, o.Reference, string(o.Status), o.Message})
	}
	if len(rows) > 0 {
		table(w, []string{"PROCESS", "REFERENCE", "STATUS", "MESSAGE"}, rows)
	}
	// A run-level error is printed once, on stderr, by runSync.
}
