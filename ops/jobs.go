package ops

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// job is a manual run started from the page ("Sync now"), running in the
// background under the account's lease.
type job struct {
	id, account, by string
	opts            vsync.RunOptions
	started         time.Time
	cancel          context.CancelFunc
	done            chan struct{}

	mu        sync.Mutex
	runID     string
	finished  time.Time
	report    vsync.Report
	err       string
	cancelled bool
}

// JobJSON is a manual run's state in the JSON API.
type JobJSON struct {
	ID       string    `json:"id"`
	Account  string    `json:"account"`
	By       string    `json:"started_by"`
	Started  time.Time `json:"started_at"`
	Finished time.Time `json:"finished_at,omitzero"`
	Running  bool      `json:"running"`
	// RunID is the engine's run (empty until it started; a dry run is not
	// recorded, so it has no run page).
	RunID  string   `json:"run_id,omitempty"`
	DryRun bool     `json:"dry_run"`
	From   string   `json:"from,omitempty"`
	To     string   `json:"to,omitempty"`
	Search string   `json:"search,omitempty"`
	Refs   []string `json:"refs,omitempty"`
	// Status is the run's status once finished.
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
	// Counts are the run's counters once finished.
	Counts   map[string]int `json:"counts,omitempty"`
	Outcomes []OutcomeJSON  `json:"outcomes,omitempty"`
	// Progress: the run's log lines so far, newest first (at most 20),
	// and how many references it has written records for.
	LogLines   int       `json:"log_lines"`
	RecentLogs []LogJSON `json:"recent_logs,omitempty"`
	Elapsed    string    `json:"elapsed"`
}

// OutcomeJSON is what a run did with one reference.
type OutcomeJSON struct {
	Process   string `json:"process"`
	Reference string `json:"reference"`
	Status    string `json:"status"`
	Message   string `json:"message,omitempty"`
	// VeeqoOrderID is the linked Veeqo order, when known.
	VeeqoOrderID int64 `json:"veeqo_order_id,omitempty"`
}

// OutcomeOf is a run's outcome for one reference as the JSON API (and
// veeqoctl --json) shows it.
func OutcomeOf(o vsync.Outcome) OutcomeJSON {
	return OutcomeJSON{Process: o.Process, Reference: o.Reference, Status: string(o.Status), Message: o.Message, VeeqoOrderID: o.VeeqoOrderID}
}

// syncInput is a manual run's request.
type syncInput struct {
	From   string   `json:"from"`
	To     string   `json:"to"`
	Search string   `json:"search"`
	Refs   []string `json:"refs"`
	DryRun bool     `json:"dry_run"`
}

// activeJob returns the account's running job (h.mu held).
func (h *Handler) activeJob(account string) (*job, bool) {
	for _, id := range h.jobOrder {
		j := h.jobs[id]
		if j.account != account {
			continue
		}
		select {
		case <-j.done:
		default:
			return j, true
		}
	}
	return nil, false
}

// startSync starts a manual run in the background.
func (h *Handler) startSync(a *acct, user string, in syncInput) (*job, error) {
	loc := a.location()
	p := &params{v: map[string][]string{"from": {in.From}, "to": {in.To}, "search": {in.Search}}}
	opts := vsync.RunOptions{Trigger: manualTrigger(user), From: p.date("from", loc, false), To: p.date("to", loc, true),
		Search: p.str("search", 200), DryRun: in.DryRun}
	p.rangeOK(opts.From, opts.To)
	if p.err != nil {
		return nil, p.err
	}
	if len(in.Refs) > maxBulk {
		return nil, fieldError("refs", "%d references; at most %d at once", len(in.Refs), maxBulk)
	}
	for i, r := range in.Refs {
		r = strings.TrimSpace(r)
		if len([]rune(r)) > 200 {
			return nil, fieldError(fmt.Sprintf("refs[%d]", i+1), "is longer than 200 characters")
		}
		if r != "" {
			opts.Refs = append(opts.Refs, r)
		}
	}
	if h.baseCtx.Err() != nil {
		return nil, &httpError{status: http.StatusServiceUnavailable, msg: "the page is shutting down"}
	}
	h.mu.Lock()
	if j, ok := h.activeJob(a.name); ok {
		h.mu.Unlock()
		return nil, &httpError{status: http.StatusConflict, msg: fmt.Sprintf("a manual run of %s started by %s is in progress (%s); cancel it or wait", a.name, j.by, j.id)}
	}
	ctx, cancel := context.WithCancel(h.baseCtx)
	j := &job{id: "job-" + randomHex(6), account: a.name, by: user, opts: opts, started: time.Now().UTC(), cancel: cancel, done: make(chan struct{})}
	h.jobs[j.id] = j
	h.jobOrder = append(h.jobOrder, j.id)
	h.pruneJobs()
	h.wg.Add(1)
	h.mu.Unlock()

	eng, err := a.jobEngine(func(id string) {
		j.mu.Lock()
		j.runID = id
		j.mu.Unlock()
	})
	if err != nil {
		cancel()
		j.finish(vsync.Report{}, fmt.Errorf("account cannot run with its settings: %w", err))
		h.wg.Done()
		return j, nil
	}
	go func() {
		defer h.wg.Done()
		defer cancel()
		rep, err := eng.Run(ctx, opts)
		j.finish(rep, err)
		h.log.Info("ops: manual run finished", "account", a.name, "job", j.id, "run", rep.RunID, "status", rep.Status, "by", user)
	}()
	return j, nil
}

// pruneJobs keeps the last 100 jobs (h.mu held); running ones stay.
func (h *Handler) pruneJobs() {
	for len(h.jobOrder) > 100 {
		j := h.jobs[h.jobOrder[0]]
		select {
		case <-j.done:
		default:
			return
		}
		delete(h.jobs, h.jobOrder[0])
		h.jobOrder = h.jobOrder[1:]
	}
}

func (j *job) finish(rep vsync.Report, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.report, j.finished = rep, time.Now().UTC()
	if rep.RunID != "" {
		j.runID = rep.RunID
	}
	if err != nil {
		j.err = err.Error()
	}
	close(j.done)
}

// job returns a job of the account.
func (h *Handler) job(account, id string) (*job, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	j := h.jobs[id]
	if j == nil || j.account != account {
		return nil, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("no manual run %q of account %s (the page keeps the last 100)", visible(truncate(id, 80)), visible(account))}
	}
	return j, nil
}

// jobs lists the account's jobs, newest first.
func (h *Handler) accountJobs(account string) []*job {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*job
	for i := len(h.jobOrder) - 1; i >= 0; i-- {
		if j := h.jobs[h.jobOrder[i]]; j.account == account {
			out = append(out, j)
		}
	}
	return out
}

// cancelJob asks a running job to stop.
func (h *Handler) cancelJob(j *job) bool {
	select {
	case <-j.done:
		return false
	default:
	}
	j.mu.Lock()
	j.cancelled = true
	j.mu.Unlock()
	j.cancel()
	return true
}

// state describes a job, with the run's latest log lines while it runs.
func (h *Handler) state(ctx context.Context, a *acct, j *job, withLogs bool) (JobJSON, error) {
	j.mu.Lock()
	out := JobJSON{ID: j.id, Account: j.account, By: j.by, Started: j.started, Finished: j.finished, RunID: j.runID,
		DryRun: j.opts.DryRun, Search: j.opts.Search, Refs: j.opts.Refs, Error: j.err}
	rep, cancelled := j.report, j.cancelled
	running := true
	select { // read with the report: finish sets both under j.mu
	case <-j.done:
		running = false
	default:
	}
	j.mu.Unlock()
	loc := a.location()
	if !j.opts.From.IsZero() {
		out.From = j.opts.From.In(loc).Format(time.DateOnly)
	}
	if !j.opts.To.IsZero() {
		out.To = j.opts.To.In(loc).AddDate(0, 0, -1).Format(time.DateOnly)
	}
	if !running {
		out.Status = string(rep.Status)
		if out.Status == "" { // refused before it started
			out.Status = string(store.RunFailed)
			if cancelled {
				out.Status = string(store.RunCancelled)
			}
		}
		out.Counts = rep.Counts()
		for _, o := range rep.Outcomes {
			out.Outcomes = append(out.Outcomes, OutcomeOf(o))
		}
		out.Elapsed = out.Finished.Sub(out.Started).Round(time.Millisecond).String()
	} else {
		out.Running = true
		out.Status = string(store.RunRunning)
		out.Elapsed = time.Since(out.Started).Round(time.Second).String()
	}
	if withLogs && out.RunID != "" && !out.DryRun {
		if eng, err := a.engine(); err == nil {
			page, err := eng.Logs(ctx, store.LogQuery{RunID: out.RunID, Limit: 1000})
			if err != nil {
				return out, err
			}
			out.LogLines = len(page.Entries)
			for i, e := range page.Entries {
				if i == 20 {
					break
				}
				out.RecentLogs = append(out.RecentLogs, LogOf(e))
			}
		}
	}
	return out, nil
}

// errJobNotRunning is the answer to cancelling a finished run.
var errJobNotRunning = errors.New("the run has already finished")
