package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os/user"
	"slices"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/ops"
	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// stateCmd loads the picked account with its state only (no Veeqo key).
func (a *app) stateCmd(ctx context.Context) (*wired, int) {
	_, acct, code := a.account()
	if acct == nil {
		return nil, code
	}
	return a.wire(ctx, acct, wireOptions{})
}

func (a *app) cmdRecords(ctx context.Context, fs *flag.FlagSet, args []string) int {
	errorsOnly := fs.Bool("errors-only", false, "only error and warning records")
	hideResolved := fs.Bool("hide-resolved", false, "leave out records marked resolved")
	search := fs.String("search", "", "reference or message contains this (case-insensitive)")
	process := fs.String("process", "", "only this process ("+strings.Join(vsync.ProcessNames(), ", ")+")")
	from := fs.String("from", "", "only records last run at or after this date/time (YYYY-MM-DD in the account's zone, or RFC 3339)")
	to := fs.String("to", "", "only records last run before this date/time")
	limit := fs.Int("limit", 50, "at most this many records (0: all)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, code, ok := a.parse(fs, args, "", "Show the operations records, most recently run first: one per reference and process."); !ok {
		return code
	}
	if *limit < 0 {
		return a.fail(exitUsage, "--limit must be 0 (all) or more, not %d", *limit)
	}
	if code, ok := a.checkProcess(*process); !ok {
		return code
	}
	w, code := a.stateCmd(ctx)
	if w == nil {
		return code
	}
	defer w.Close()
	fromT, toT, code, ok := a.timeRange(w.acct, *from, *to)
	if !ok {
		return code
	}
	q := store.RecordQuery{ErrorsOnly: *errorsOnly, HideResolved: *hideResolved, Search: *search, Process: *process, From: fromT, To: toT}
	out, err := collectPages(*limit, func(size int, cursor string) ([]ops.RecordJSON, string, error) {
		q.Limit, q.After = size, cursor
		page, err := w.engine.Records(ctx, q)
		if err != nil {
			return nil, "", err
		}
		var recs []ops.RecordJSON
		for _, r := range page.Records {
			recs = append(recs, ops.RecordOf(r))
		}
		return recs, page.Next, nil
	})
	if err != nil {
		return a.fail(exitFailure, "read records: %v", err)
	}
	if *asJSON {
		_ = writeJSON(a.stdout, out)
		return exitOK
	}
	rows := make([][]string, 0, len(out))
	for _, r := range out {
		res := ""
		if r.Resolved {
			res = "resolved by " + r.ResolvedBy
		}
		rows = append(rows, []string{r.LastRunAt.UTC().Format("2006-01-02 15:04:05"), r.Process, r.Reference, r.Status,
			fmt.Sprint(r.Attempts), res, r.Message})
	}
	table(a.stdout, []string{"LAST RUN (UTC)", "PROCESS", "REFERENCE", "STATUS", "ATTEMPTS", "RESOLVED", "MESSAGE"}, rows)
	return exitOK
}

func (a *app) cmdLogs(ctx context.Context, fs *flag.FlagSet, args []string) int {
	run := fs.String("run", "", "only this run id")
	ref := fs.String("ref", "", "only this reference")
	search := fs.String("search", "", "reference or message contains this")
	var levels multiFlag
	fs.Var(&levels, "level", "only these levels: info, warning, error (repeatable)")
	hideResolved := fs.Bool("hide-resolved", false, "leave out entries of resolved records")
	process := fs.String("process", "", "only this process ("+strings.Join(vsync.ProcessNames(), ", ")+")")
	from := fs.String("from", "", "only entries at or after this date/time (YYYY-MM-DD in the account's zone, or RFC 3339)")
	to := fs.String("to", "", "only entries before this date/time")
	limit := fs.Int("limit", 100, "at most this many entries, newest first (0: all)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, code, ok := a.parse(fs, args, "", "Show the log, newest first."); !ok {
		return code
	}
	if *limit < 0 {
		return a.fail(exitUsage, "--limit must be 0 (all) or more, not %d", *limit)
	}
	if code, ok := a.checkLevels(levels); !ok {
		return code
	}
	if code, ok := a.checkProcess(*process); !ok {
		return code
	}
	w, code := a.stateCmd(ctx)
	if w == nil {
		return code
	}
	defer w.Close()
	fromT, toT, code, ok := a.timeRange(w.acct, *from, *to)
	if !ok {
		return code
	}
	q := store.LogQuery{RunID: *run, Reference: *ref, Search: *search, Levels: levels, HideResolved: *hideResolved,
		Process: *process, From: fromT, To: toT}
	out, err := collectPages(*limit, func(size int, cursor string) ([]ops.LogJSON, string, error) {
		q.Limit, q.Before = size, cursor
		page, err := w.engine.Logs(ctx, q)
		if err != nil {
			return nil, "", err
		}
		var entries []ops.LogJSON
		for _, e := range page.Entries {
			entries = append(entries, ops.LogOf(e))
		}
		return entries, page.Next, nil
	})
	if err != nil {
		return a.fail(exitFailure, "read logs: %v", err)
	}
	a.printLogs(out, *asJSON)
	return exitOK
}

// printLogs prints log entries as JSON or as a table.
func (a *app) printLogs(out []ops.LogJSON, asJSON bool) {
	if asJSON {
		_ = writeJSON(a.stdout, out)
		return
	}
	rows := make([][]string, 0, len(out))
	for _, e := range out {
		rows = append(rows, []string{e.Time.UTC().Format("2006-01-02 15:04:05"), e.Level, e.Process, e.Reference, e.Message})
	}
	table(a.stdout, []string{"TIME (UTC)", "LEVEL", "PROCESS", "REFERENCE", "MESSAGE"}, rows)
}

// collectPages reads pages of at most 1000 through read (given the page
// size and the cursor, "" at first) until none is left or limit items are
// read (limit 0: all).
func collectPages[T any](limit int, read func(size int, cursor string) ([]T, string, error)) ([]T, error) {
	out := []T{}
	cursor := ""
	for {
		size := 1000
		if limit > 0 {
			size = min(1000, limit-len(out))
		}
		items, next, err := read(size, cursor)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == "" || (limit > 0 && len(out) >= limit) {
			return out, nil
		}
		cursor = next
	}
}

// checkLevels refuses a --level that names no log level (a usage error).
func (a *app) checkLevels(levels []string) (int, bool) {
	for _, l := range levels {
		if !slices.Contains(store.LevelNames(), l) {
			return a.fail(exitUsage, "--level %q is not one of %s", l, strings.Join(store.LevelNames(), ", ")), false
		}
	}
	return exitOK, true
}

// recordProcesses are the processes whose records name one reference
// (resolve and unresolve look through them when --process is not given).
func recordProcesses() []string {
	return []string{vsync.ProcessExport, vsync.ProcessConfirmation, vsync.ProcessFetch}
}

// checkProcess refuses a --process that names no process (a usage error).
func (a *app) checkProcess(p string) (int, bool) {
	if p == "" || slices.Contains(vsync.ProcessNames(), p) {
		return exitOK, true
	}
	return a.fail(exitUsage, "--process %q is not one of %s", p, strings.Join(vsync.ProcessNames(), ", ")), false
}

// timeRange parses --from and --to (dates in the account's zone, or RFC
// 3339); a bad value or an empty range is a usage error.
func (a *app) timeRange(acct *account, from, to string) (time.Time, time.Time, int, bool) {
	f, err := parseTimeArg(from, acct.Settings.TimeZone)
	if err != nil {
		return time.Time{}, time.Time{}, a.fail(exitUsage, "--from: %v", err), false
	}
	t, err := parseTimeArg(to, acct.Settings.TimeZone)
	if err != nil {
		return time.Time{}, time.Time{}, a.fail(exitUsage, "--to: %v", err), false
	}
	if !f.IsZero() && !t.IsZero() && !t.After(f) {
		return time.Time{}, time.Time{}, a.fail(exitUsage, "--to must be after --from"), false
	}
	return f, t, exitOK, true
}

func whoami(getenv func(string) string) string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := getenv("USER"); u != "" {
		return u
	}
	return "veeqoctl"
}

func (a *app) cmdResolve(ctx context.Context, fs *flag.FlagSet, args []string) int {
	return a.resolveCmd(ctx, fs, args, true)
}

func (a *app) cmdUnresolve(ctx context.Context, fs *flag.FlagSet, args []string) int {
	return a.resolveCmd(ctx, fs, args, false)
}

func (a *app) resolveCmd(ctx context.Context, fs *flag.FlagSet, args []string, resolve bool) int {
	process := fs.String("process", "", "only the record of this process (default: every process with a record for REF)")
	by := fs.String("by", whoami(a.getenv), "who resolves it")
	note := new(string)
	summary := "Reopen the resolved records of a reference (\"Mark as Unresolved\")."
	if resolve {
		note = fs.String("note", "", "why it is resolved")
		summary = "Mark the records of a reference resolved (\"Mark as Resolved\"): they leave the retry list and the error views."
	}
	pos, code, ok := a.parse(fs, args, "REF", summary)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return a.fail(exitUsage, "%s needs exactly one reference", strings.TrimPrefix(fs.Name(), "veeqoctl "))
	}
	ref := pos[0]
	w, code := a.stateCmd(ctx)
	if w == nil {
		return code
	}
	defer w.Close()
	procs := recordProcesses()
	if *process != "" {
		procs = []string{*process}
	}
	changed := 0
	for _, p := range procs {
		did, code := a.resolveOne(ctx, w, p, ref, *by, *note, resolve)
		if code != exitOK {
			return code
		}
		if did {
			changed++
		}
	}
	if changed == 0 {
		state := "unresolved"
		if !resolve {
			state = "resolved"
		}
		return a.fail(exitFailure, "no %s record for %q", state, ref)
	}
	return exitOK
}

// resolveOne marks the record of process p for ref resolved (or
// unresolved), saying so; did is false when there is no such record or it
// is marked so already.
func (a *app) resolveOne(ctx context.Context, w *wired, p, ref, by, note string, resolve bool) (did bool, code int) {
	rec, err := w.store.GetRecord(ctx, w.acct.Raw.Name, p, ref)
	if errors.Is(err, store.ErrNotFound) {
		return false, exitOK
	}
	if err != nil {
		return false, a.fail(exitFailure, "read record %s %s: %v", p, ref, err)
	}
	if rec.Resolved == resolve {
		return false, exitOK
	}
	verb := "resolved"
	if resolve {
		_, err = w.engine.Resolve(ctx, p, ref, by, note)
	} else {
		_, err = w.engine.Unresolve(ctx, p, ref, by)
		verb = "unresolved"
	}
	if err != nil {
		return false, a.fail(exitFailure, "%v", err)
	}
	fmt.Fprintf(a.stdout, "%s %s: %s\n", p, ref, verb)
	return true, exitOK
}

func (a *app) cmdSchedule(ctx context.Context, fs *flag.FlagSet, args []string) int {
	n := fs.Int("n", 5, "how many run times")
	after := fs.String("after", "", "list run times after this RFC 3339 time (default now)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, code, ok := a.parse(fs, args, "", "Show the next scheduled run times, in the account's time zone."); !ok {
		return code
	}
	if *n <= 0 || *n > 10000 {
		return a.fail(exitUsage, "--n must be in 1-10000")
	}
	_, acct, code := a.account()
	if acct == nil {
		return code
	}
	from := a.now()
	if *after != "" {
		t, err := time.Parse(time.RFC3339, *after)
		if err != nil {
			return a.fail(exitUsage, "--after: %q is not an RFC 3339 time", *after)
		}
		from = t
	}
	sched, err := acct.Settings.Schedule()
	if err != nil {
		return a.fail(exitUsage, "%s.settings: %v", acct.Field, err)
	}
	times := sched.NextN(from, *n)
	loc := sched.Location()
	if *asJSON {
		type slot struct {
			Local string    `json:"local"`
			UTC   time.Time `json:"utc"`
		}
		out := struct {
			Account  string `json:"account"`
			TimeZone string `json:"time_zone"`
			AutoSync bool   `json:"auto_sync"`
			Runs     []slot `json:"runs"`
		}{Account: acct.Raw.Name, TimeZone: loc.String(), AutoSync: acct.Settings.AutoSync, Runs: []slot{}}
		for _, t := range times {
			out.Runs = append(out.Runs, slot{Local: t.In(loc).Format(time.RFC3339), UTC: t.UTC()})
		}
		_ = writeJSON(a.stdout, out)
		return exitOK
	}
	if !acct.Settings.AutoSync {
		fmt.Fprintf(a.stdout, "note: auto_sync is off: serve does not run account %s on this schedule\n", acct.Raw.Name)
	}
	rows := make([][]string, 0, len(times))
	for _, t := range times {
		rows = append(rows, []string{t.In(loc).Format("Mon 2006-01-02 15:04 MST"), t.UTC().Format("2006-01-02 15:04 UTC")})
	}
	table(a.stdout, []string{"LOCAL (" + loc.String() + ")", "UTC"}, rows)
	return exitOK
}

func (a *app) cmdSwitchMode(ctx context.Context, fs *flag.FlagSet, args []string) int {
	reason := fs.String("reason", "", "why (logged; required)")
	if _, code, ok := a.parse(fs, args, "", "Switch the account's stored direction (the mode lock) to the one its settings select:\nexport_orders or fetch_fulfillments. A run in the other direction is refused until this\nis done on purpose. Prints what is left in flight (orders awaiting confirmation, creates\nin doubt, shipments not yet applied)."); !ok {
		return code
	}
	if strings.TrimSpace(*reason) == "" {
		return a.fail(exitUsage, "switch-mode needs --reason")
	}
	w, code := a.stateCmd(ctx)
	if w == nil {
		return code
	}
	defer w.Close()
	rep, err := w.engine.SwitchMode(ctx, w.engine.Mode(), whoami(a.getenv)+": "+*reason)
	if err != nil {
		return a.fail(exitFailure, "%v", err)
	}
	if rep.From == rep.To {
		fmt.Fprintf(a.stdout, "account %s already runs in %s mode\n", w.acct.Raw.Name, rep.To)
		return exitOK
	}
	fmt.Fprintf(a.stdout, "account %s switched from %q to %s mode: %s awaiting confirmation, %s in doubt, %s not yet applied\n",
		w.acct.Raw.Name, rep.From, rep.To, plural(rep.AwaitingConfirmation, "exported order", "exported orders"),
		plural(rep.InDoubt, "create", "creates"), plural(rep.PendingShipments, "shipment", "shipments"))
	return exitOK
}
