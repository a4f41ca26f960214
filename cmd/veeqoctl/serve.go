package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	stdsync "sync"
	"syscall"
	"time"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// flushNotifier sends events to the email policy (when there is one) and
// to the serve log, and lets the engine flush the policy at the end of a
// run.
type flushNotifier struct {
	policy *notify.EmailPolicy
	log    notify.Notifier
}

func (n flushNotifier) Notify(ctx context.Context, e notify.Event) error {
	var errs []error
	if n.policy != nil {
		errs = append(errs, n.policy.Notify(ctx, e))
	}
	errs = append(errs, n.log.Notify(ctx, e))
	return errors.Join(errs...)
}

func (n flushNotifier) Flush(ctx context.Context) error {
	if n.policy == nil {
		return nil
	}
	return n.policy.Flush(ctx)
}

func (a *app) cmdServe(ctx context.Context, fs *flag.FlagSet, args []string) int {
	tick := fs.Duration("tick", 30*time.Second, "how often to look whether a run is due")
	var of opsFlags
	of.register(fs)
	if _, code, ok := a.parse(fs, args, "", "Run the scheduler: every account with auto_sync on runs when its schedule says so,\nunder the account's lease (so several serve processes sharing a state never run one\naccount twice at once), until SIGINT/SIGTERM. Logs (slog text) go to stderr.\nWith --ops-addr it also serves the operations page (every account of the config) on\nthat address, behind an operator token (--ops-token-env) or HTTP Basic (--ops-user,\n--ops-password-env)."); !ok {
		return code
	}
	if *tick < 10*time.Millisecond {
		return a.fail(exitUsage, "--tick is too short")
	}
	auth, code := of.auth(a)
	if code != exitOK {
		return code
	}
	cfg, code := a.config()
	if cfg == nil {
		return code
	}
	level := slog.LevelInfo
	if a.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	accts := cfg.Accounts
	if a.accountArg != "" {
		acct, err := cfg.pick(a.accountArg)
		if err != nil {
			return a.fail(exitUsage, "%v", err)
		}
		accts = []*account{acct}
	}
	var runners []*runner
	started := a.now()
	var opsOnly []*wired // accounts the page shows but nothing schedules
	closeAll := func() {
		for _, r := range runners {
			r.w.Close()
		}
		for _, w := range opsOnly {
			w.Close()
		}
	}
	for _, acct := range accts {
		if !acct.Settings.AutoSync {
			log.Warn("auto_sync is off: not scheduling this account", "account", acct.Raw.Name)
			if of.addr != "" {
				w, code := a.wire(ctx, acct, wireOptions{veeqo: true, mail: true})
				if w == nil {
					closeAll()
					return code
				}
				opsOnly = append(opsOnly, w)
			}
			continue
		}
		w, code := a.wire(ctx, acct, wireOptions{veeqo: true, mail: true, watchedSince: started})
		if w == nil {
			closeAll()
			return code
		}
		sched, err := acct.Settings.Schedule()
		if err != nil {
			w.Close()
			return a.fail(exitUsage, "%s.settings: %v", acct.Field, err)
		}
		runners = append(runners, &runner{a: a, w: w, sched: sched, log: log.With("account", acct.Raw.Name), events: log, tick: *tick})
	}
	if len(runners) == 0 && of.addr == "" {
		closeAll()
		return a.fail(exitUsage, "no account has auto_sync on: nothing to serve")
	}
	// Engines were built with the policy alone as notifier; rebuild them
	// with the serve log as well.
	for _, r := range runners {
		if err := r.rewire(a); err != nil {
			return a.fail(exitUsage, "%v", err)
		}
	}

	loopCtx, stopLoops := context.WithCancel(ctx)
	defer stopLoops()
	runCtx, cancelRuns := context.WithCancelCause(ctx)
	defer cancelRuns(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case <-sigs:
		case <-loopCtx.Done():
			return
		}
		log.Info("stopping: runs in progress finish the order in hand (signal again to stop at once)")
		stopLoops()
		for _, r := range runners {
			r.w.watch.stopping.Store(true)
		}
		select {
		case <-sigs:
		case <-time.After(stopGrace):
		case <-runCtx.Done():
			return
		}
		cancelRuns(errInterrupted)
	}()

	page, code := a.startOps(of, auth, runners, opsOnly, log)
	if code != exitOK {
		closeAll()
		return code
	}
	log.Info("serving", "accounts", len(runners), "tick", tick.String())
	var wg stdsync.WaitGroup
	for _, r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.loop(loopCtx, runCtx)
		}()
		if r.w.policy != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := r.w.policy.Run(loopCtx); err != nil && !errors.Is(err, context.Canceled) {
					r.log.Warn("email policy stopped", "err", err)
				}
			}()
		}
	}
	wg.Wait()
	if page != nil {
		<-loopCtx.Done()
		page.stop()
	}
	closeAll()
	log.Info("stopped")
	return exitOK
}

// runner schedules one account.
type runner struct {
	a     *app
	w     *wired
	sched *vsync.Schedule
	log   *slog.Logger // the runner's own lines, with the account
	// events logs the engine's events, which carry their account already.
	events *slog.Logger
	tick   time.Duration
	// attempted is the start of the last attempt that did not record a run
	// (refused at the start), so a refused slot is not retried every tick.
	attempted time.Time

	// mu guards the engine, the settings and the schedule, which the
	// operations page replaces when it saves settings.
	mu stdsync.Mutex
}

// config is the engine config of the runner's account.
func (r *runner) config(a *app) vsync.Config {
	n := flushNotifier{policy: r.w.policy, log: notify.NewSlogNotifier(r.events)}
	return vsync.Config{Account: r.w.acct.Raw.Name, ERP: r.w.watch, LeaseTTL: time.Duration(r.w.acct.Raw.LeaseTTL),
		InDoubtSettle: time.Duration(r.w.acct.Raw.InDoubtSettle), Logger: a.logger(), Notifier: n,
		Settings: r.w.acct.Settings, Store: r.w.store, Veeqo: r.w.api}
}

func (r *runner) rewire(a *app) error {
	eng, err := vsync.New(r.config(a))
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.w.engine = eng
	r.mu.Unlock()
	return nil
}

// setSettings puts settings saved on the operations page in force for
// the scheduler (the config file is not rewritten).
func (r *runner) setSettings(a *app, s vsync.Settings) error {
	sched, err := s.Schedule()
	if err != nil {
		return err
	}
	r.mu.Lock()
	old := r.w.acct.Settings
	r.w.acct.Settings = s
	r.mu.Unlock()
	if err := r.rewire(a); err != nil {
		r.mu.Lock()
		r.w.acct.Settings = old
		r.mu.Unlock()
		return err
	}
	r.mu.Lock()
	r.sched = sched
	r.mu.Unlock()
	r.log.Info("settings changed on the operations page; the config file is not rewritten", "auto_sync", s.AutoSync)
	return nil
}

// current returns the engine, schedule and auto_sync in force.
func (r *runner) current() (*vsync.Engine, *vsync.Schedule, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.w.engine, r.sched, r.w.acct.Settings.AutoSync
}

// lastScheduled returns the start of the account's last finished
// scheduled run. A run that never finished (its process was killed, or it
// is still running elsewhere) does not count: the slot it started for is
// tried again, and the account's lease decides who runs it.
func (r *runner) lastScheduled(ctx context.Context) (time.Time, error) {
	q := store.RunQuery{Account: r.w.acct.Raw.Name, Limit: 50}
	for range 20 {
		runs, err := r.w.store.QueryRuns(ctx, q)
		if err != nil {
			return time.Time{}, err
		}
		for _, run := range runs {
			if run.Trigger == "schedule" && !run.FinishedAt.IsZero() {
				return run.StartedAt, nil
			}
		}
		if len(runs) < q.Limit {
			break
		}
		q.Before = runs[len(runs)-1].StartedAt
	}
	return time.Time{}, nil
}

func (r *runner) loop(loopCtx, runCtx context.Context) {
	t := time.NewTicker(r.tick)
	defer t.Stop()
	for {
		r.maybeRun(loopCtx, runCtx)
		select {
		case <-loopCtx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *runner) maybeRun(loopCtx, runCtx context.Context) {
	if loopCtx.Err() != nil {
		return
	}
	last, err := r.lastScheduled(loopCtx)
	if err != nil {
		r.log.Error("reading the run history failed", "err", err)
		return
	}
	if r.attempted.After(last) {
		last = r.attempted
	}
	eng, sched, auto := r.current()
	now := r.a.now()
	if !auto || !sched.Due(last, now) {
		return
	}
	r.log.Info("run due", "next_after", sched.Next(now).Format(time.RFC3339))
	if _, _, err := r.w.client.Company.Current(loopCtx); err != nil {
		r.attempted = now
		r.log.Error("credential check failed; run skipped", "err", keyError(err))
		return
	}
	ctx, cancel := context.WithCancelCause(runCtx)
	defer cancel(nil)
	r.w.watch.arm(nil, cancel)
	if loopCtx.Err() != nil {
		return
	}
	rep, err := eng.Run(ctx, vsync.RunOptions{Trigger: "schedule"})
	// A slot refused because another process runs the account is tried
	// again on the next tick: that process may die before it finishes.
	if (rep.RunID == "" || err != nil && rep.Status == "") && !errors.Is(err, vsync.ErrRunInProgress) {
		r.attempted = now
	}
	attrs := []any{"run", rep.RunID, "status", rep.Status, "exported", rep.Exported, "skipped", rep.Skipped,
		"failed", rep.Failed, "confirmations", rep.ConfirmationsApplied, "warnings", rep.Warnings,
		"veeqo_calls", rep.VeeqoCalls, "duration", rep.Duration.Round(time.Millisecond).String()}
	switch {
	case errors.Is(err, vsync.ErrRunInProgress):
		r.log.Info("another process is running this account; skipped", "err", err)
	case err != nil:
		r.log.Error("run failed", append(attrs, "err", err)...)
	case rep.Status == store.RunPartial:
		r.log.Warn("run finished with failed references", attrs...)
	default:
		r.log.Info("run finished", attrs...)
	}
}
