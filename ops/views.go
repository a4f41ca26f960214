package ops

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// RecordJSON is one operations record in the JSON API.
type RecordJSON struct {
	Process        string    `json:"process"`
	Reference      string    `json:"reference"`
	Status         string    `json:"status"`
	Message        string    `json:"message"`
	Attempts       int       `json:"attempts"`
	VeeqoOrderID   int64     `json:"veeqo_order_id,omitempty"`
	LastRunID      string    `json:"last_run_id,omitempty"`
	LastRunAt      time.Time `json:"last_run_at"`
	Resolved       bool      `json:"resolved"`
	ResolvedBy     string    `json:"resolved_by,omitempty"`
	ResolutionNote string    `json:"resolution_note,omitempty"`
	ResolvedAt     time.Time `json:"resolved_at,omitzero"`
}

// RecordOf is a record as the JSON API (and veeqoctl --json) shows it.
func RecordOf(r store.Record) RecordJSON {
	return RecordJSON{Process: r.Process, Reference: r.Reference, Status: string(r.Status), Message: r.Message,
		Attempts: r.Attempts, VeeqoOrderID: r.VeeqoOrderID, LastRunID: r.LastRunID, LastRunAt: r.LastRunAt,
		Resolved: r.Resolved, ResolvedBy: r.ResolvedBy, ResolutionNote: r.ResolutionNote, ResolvedAt: r.ResolvedAt}
}

// Key is the record's key in forms: process ":" the query-escaped
// reference (so no control character reaches the page, even in an
// attribute).
func (r RecordJSON) Key() string { return r.Process + ":" + url.QueryEscape(r.Reference) }

// LogJSON is one log line in the JSON API.
type LogJSON struct {
	Seq       int64     `json:"seq"`
	Time      time.Time `json:"time"`
	RunID     string    `json:"run_id,omitempty"`
	Process   string    `json:"process"`
	Level     string    `json:"level"`
	Reference string    `json:"reference,omitempty"`
	Message   string    `json:"message"`
}

// LogOf is a log entry as the JSON API (and veeqoctl --json) shows it.
func LogOf(e store.LogEntry) LogJSON {
	return LogJSON{Seq: e.Seq, Time: e.Time, RunID: e.RunID, Process: e.Process, Level: e.Level, Reference: e.Reference, Message: e.Message}
}

// RunJSON is one run in the JSON API. StartedBy is the user who started a
// run from this page (its trigger is "manual by USER").
type RunJSON struct {
	ID         string         `json:"id"`
	Mode       string         `json:"mode"`
	Trigger    string         `json:"trigger"`
	StartedBy  string         `json:"started_by,omitempty"`
	Status     string         `json:"status"`
	StartedAt  time.Time      `json:"started_at"`
	FinishedAt time.Time      `json:"finished_at,omitzero"`
	Duration   time.Duration  `json:"duration_ns,omitempty"`
	Counts     map[string]int `json:"counts"`
	VeeqoCalls int64          `json:"veeqo_calls"`
	Error      string         `json:"error,omitempty"`
}

// manualTrigger is the trigger of a run started from the page.
func manualTrigger(user string) string { return "manual by " + user }

// RunOf is a run as the JSON API (and veeqoctl --json) shows it: a
// trigger "T by USER" is split into Trigger and StartedBy.
func RunOf(r store.Run) RunJSON {
	out := RunJSON{ID: r.ID, Mode: string(r.Mode), Trigger: r.Trigger, Status: string(r.Status), StartedAt: r.StartedAt,
		FinishedAt: r.FinishedAt, Counts: r.Counts, VeeqoCalls: r.VeeqoCalls, Error: r.Error}
	if t, by, ok := strings.Cut(r.Trigger, " by "); ok {
		out.Trigger, out.StartedBy = t, by
	}
	if !r.FinishedAt.IsZero() {
		out.Duration = r.FinishedAt.Sub(r.StartedAt)
	}
	if out.Counts == nil {
		out.Counts = map[string]int{}
	}
	return out
}

// CountsText lists the non-zero counters ("exported 3, failed 1").
func (r RunJSON) CountsText() string {
	var parts []string
	for _, k := range []string{"exported", "reconciled", "skipped", "excluded", "failed", "confirmations", "ignored", "warnings"} {
		if n := r.Counts[k]; n != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	if len(parts) == 0 {
		return "nothing to do"
	}
	return strings.Join(parts, ", ")
}

// recordsData is the Orders view.
type recordsData struct {
	Records []RecordJSON   `json:"records"`
	Next    string         `json:"next,omitempty"`
	Counts  map[string]int `json:"counts"`
	Total   int            `json:"total"`
	// Query echoes the filters (for the form).
	Query recordsQuery `json:"-"`
	// NextQuery is the query string of the next page; RawQuery this
	// page's filters (an action returns to them).
	NextQuery string `json:"-"`
	RawQuery  string `json:"-"`
}

type recordsQuery struct {
	Process      string
	Statuses     []string
	ErrorsOnly   bool
	HideResolved bool
	Search       string
	From, To     string
	Limit        int
}

func (h *Handler) records(ctx context.Context, a *acct, v url.Values) (recordsData, error) {
	eng, err := a.engine()
	if err != nil {
		return recordsData{}, err
	}
	loc := a.location()
	p := &params{v: v}
	q := store.RecordQuery{Process: p.oneOf("process", vsync.ProcessNames()...), ErrorsOnly: p.boolean("errors_only"),
		HideResolved: p.boolean("hide_resolved"), Search: p.str("search", 200), From: p.date("from", loc, false),
		To: p.date("to", loc, true), After: p.str("after", 500), Limit: p.integer("limit", 50, 1, 1000)}
	for _, s := range p.many("status", store.RecordStatusNames()...) {
		q.Statuses = append(q.Statuses, store.RecordStatus(s))
	}
	p.rangeOK(q.From, q.To)
	if p.err != nil {
		return recordsData{}, p.err
	}
	page, err := eng.Records(ctx, q)
	if err != nil {
		if q.After != "" {
			return recordsData{}, fieldError("after", "is not a page cursor of this view: %v", err)
		}
		return recordsData{}, err
	}
	counts, err := a.cfg.Store.CountRecords(ctx, store.RecordQuery{Account: a.name, Process: q.Process, Statuses: q.Statuses,
		ErrorsOnly: q.ErrorsOnly, HideResolved: q.HideResolved, Search: q.Search, From: q.From, To: q.To})
	if err != nil {
		return recordsData{}, err
	}
	d := recordsData{Records: []RecordJSON{}, Next: page.Next, Counts: map[string]int{}, Total: counts.Total,
		Query: recordsQuery{Process: q.Process, ErrorsOnly: q.ErrorsOnly, HideResolved: q.HideResolved, Search: q.Search,
			From: v.Get("from"), To: v.Get("to"), Limit: q.Limit}}
	for k, n := range counts.ByStatus {
		d.Counts[string(k)] = n
	}
	for _, s := range q.Statuses {
		d.Query.Statuses = append(d.Query.Statuses, string(s))
	}
	for _, r := range page.Records {
		d.Records = append(d.Records, RecordOf(r))
	}
	rq := cloneValues(v)
	rq.Del("flash")
	rq.Del("after")
	d.RawQuery = rq.Encode()
	if page.Next != "" {
		nv := cloneValues(v)
		nv.Set("after", page.Next)
		nv.Del("flash")
		d.NextQuery = "orders?" + nv.Encode()
	}
	return d, nil
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// logsData is the Logs view.
type logsData struct {
	Entries   []LogJSON `json:"entries"`
	Next      string    `json:"next,omitempty"`
	Query     logsQuery `json:"-"`
	NextQuery string    `json:"-"`
}

type logsQuery struct {
	Levels       []string
	Process      string
	Search       string
	Run          string
	Reference    string
	From, To     string
	HideResolved bool
}

func (q logsQuery) HasLevel(l string) bool {
	for _, x := range q.Levels {
		if x == l {
			return true
		}
	}
	return false
}

func (h *Handler) logs(ctx context.Context, a *acct, v url.Values) (logsData, error) {
	eng, err := a.engine()
	if err != nil {
		return logsData{}, err
	}
	loc := a.location()
	p := &params{v: v}
	q := store.LogQuery{RunID: p.str("run", 200), Process: p.oneOf("process", vsync.ProcessNames()...), Levels: p.many("level", store.LevelNames()...),
		Reference: p.str("reference", 200), Search: p.str("search", 200), From: p.date("from", loc, false), To: p.date("to", loc, true),
		HideResolved: p.boolean("hide_resolved"), Before: p.str("before", 500), Limit: p.integer("limit", 100, 1, 1000)}
	p.rangeOK(q.From, q.To)
	if p.err != nil {
		return logsData{}, p.err
	}
	page, err := eng.Logs(ctx, q)
	if err != nil {
		if q.Before != "" {
			return logsData{}, fieldError("before", "is not a page cursor of this view: %v", err)
		}
		return logsData{}, err
	}
	d := logsData{Entries: []LogJSON{}, Next: page.Next, Query: logsQuery{Levels: q.Levels, Process: q.Process, Search: q.Search,
		Run: q.RunID, Reference: q.Reference, From: v.Get("from"), To: v.Get("to"), HideResolved: q.HideResolved}}
	for _, e := range page.Entries {
		d.Entries = append(d.Entries, LogOf(e))
	}
	if page.Next != "" {
		nv := cloneValues(v)
		nv.Set("before", page.Next)
		d.NextQuery = "logs?" + nv.Encode()
	}
	return d, nil
}

// runsData is the Previous runs view.
type runsData struct {
	Runs      []RunJSON `json:"runs"`
	NextQuery string    `json:"-"`
	// Before is the paging parameter of the next page (RFC 3339).
	Before string `json:"next_before,omitempty"`
}

func (h *Handler) runs(ctx context.Context, a *acct, v url.Values) (runsData, error) {
	eng, err := a.engine()
	if err != nil {
		return runsData{}, err
	}
	p := &params{v: v}
	q := store.RunQuery{Limit: p.integer("limit", 50, 1, 500)}
	if s := p.str("before", 100); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			p.bad("before", "%q is not an RFC 3339 time", visible(truncate(s, 40)))
		}
		q.Before = t
	}
	for _, s := range p.many("status", store.RunStatusNames()...) {
		q.Statuses = append(q.Statuses, store.RunStatus(s))
	}
	if p.err != nil {
		return runsData{}, p.err
	}
	list, err := eng.Runs(ctx, q)
	if err != nil {
		return runsData{}, err
	}
	d := runsData{Runs: []RunJSON{}}
	for _, r := range list {
		d.Runs = append(d.Runs, RunOf(r))
	}
	if len(list) == q.Limit {
		d.Before = list[len(list)-1].StartedAt.Format(time.RFC3339Nano)
		nv := cloneValues(v)
		nv.Set("before", d.Before)
		d.NextQuery = "runs?" + nv.Encode()
	}
	return d, nil
}

// runDetail is one run with its log lines and the records they name.
type runDetail struct {
	Run     RunJSON      `json:"run"`
	Records []RecordJSON `json:"records"`
	Logs    []LogJSON    `json:"logs"`
	// More is true when the run has more log lines than shown.
	More bool `json:"more_logs,omitempty"`
}

func (h *Handler) runDetail(ctx context.Context, a *acct, id string) (runDetail, error) {
	eng, err := a.engine()
	if err != nil {
		return runDetail{}, err
	}
	run, err := eng.RunByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return runDetail{}, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("account %s has no run %q", a.name, visible(truncate(id, 80)))}
	}
	if err != nil {
		return runDetail{}, err
	}
	page, err := eng.Logs(ctx, store.LogQuery{RunID: id, Limit: 1000})
	if err != nil {
		return runDetail{}, err
	}
	d := runDetail{Run: RunOf(run), Records: []RecordJSON{}, Logs: []LogJSON{}, More: page.Next != ""}
	seen := map[string]bool{}
	for _, e := range page.Entries {
		d.Logs = append(d.Logs, LogOf(e))
		key := e.Process + ":" + e.Reference
		if e.Reference == "" || seen[key] || len(seen) >= 200 {
			continue
		}
		seen[key] = true
		rec, err := a.cfg.Store.GetRecord(ctx, a.name, e.Process, e.Reference)
		if err == nil {
			d.Records = append(d.Records, RecordOf(rec))
		} else if !errors.Is(err, store.ErrNotFound) {
			return runDetail{}, err
		}
	}
	return d, nil
}

// PendingJSON is one pending order in the JSON API.
type PendingJSON struct {
	Ref       string    `json:"ref"`
	Number    string    `json:"number"`
	Store     string    `json:"store"`
	CreatedAt time.Time `json:"created_at"`
	Reason    string    `json:"reason"`
	Detail    string    `json:"detail"`
	NextRun   time.Time `json:"next_run,omitzero"`
}

// PendingOf is a pending order as the JSON API (and veeqoctl --json) shows
// it.
func PendingOf(o vsync.PendingOrder) PendingJSON {
	return PendingJSON{Ref: o.Ref, Number: o.Number, Store: o.Store, CreatedAt: o.CreatedAt, Reason: string(o.Reason), Detail: o.Detail, NextRun: o.NextRun}
}

type pendingData struct {
	Orders    []PendingJSON `json:"orders"`
	Truncated bool          `json:"truncated,omitempty"`
	Query     struct {
		Reasons  []string
		Search   string
		From, To string
	} `json:"-"`
}

// HasReason reports whether the view is filtered on reason r (for the form).
func (d pendingData) HasReason(r string) bool { return slices.Contains(d.Query.Reasons, r) }

func (h *Handler) pending(ctx context.Context, a *acct, v url.Values) (pendingData, error) {
	eng, err := a.engine()
	if err != nil {
		return pendingData{}, err
	}
	loc := a.location()
	p := &params{v: v}
	q := vsync.PendingQuery{Search: p.str("search", 200), From: p.date("from", loc, false), To: p.date("to", loc, true)}
	reasons := p.many("reason", vsync.PendingReasonNames()...)
	for _, r := range reasons {
		q.Reasons = append(q.Reasons, vsync.PendingReason(r))
	}
	limit := p.integer("limit", 500, 1, 5000)
	p.rangeOK(q.From, q.To)
	if p.err != nil {
		return pendingData{}, p.err
	}
	if eng.Mode() != store.ModeExport {
		return pendingData{}, &httpError{status: http.StatusConflict, msg: fmt.Sprintf("account %s runs in fetch mode: no ERP orders wait for export (see Orders for fetched fulfillments)", a.name)}
	}
	d := pendingData{Orders: []PendingJSON{}}
	d.Query.Reasons, d.Query.Search, d.Query.From, d.Query.To = reasons, q.Search, v.Get("from"), v.Get("to")
	for o, err := range eng.Pending(ctx, q) {
		if err != nil {
			return pendingData{}, err
		}
		if len(d.Orders) == limit {
			d.Truncated = true
			break
		}
		d.Orders = append(d.Orders, PendingOf(o))
	}
	return d, nil
}

// actionItem names one record of a bulk action.
type actionItem struct {
	Process   string `json:"process"`
	Reference string `json:"reference"`
}

// actionResult is what a bulk action did to one record.
type actionResult struct {
	Process   string `json:"process"`
	Reference string `json:"reference"`
	OK        bool   `json:"ok"`
	Status    string `json:"status,omitempty"`
	Error     string `json:"error,omitempty"`
}

// maxBulk is the most records one action takes.
const maxBulk = 500

// recordAction resolves, unresolves or runs the given records.
func (h *Handler) recordAction(ctx context.Context, a *acct, user, action string, items []actionItem, note string) ([]actionResult, string, error) {
	if err := checkActionItems(items, note); err != nil {
		return nil, "", err
	}
	eng, err := a.engine()
	if err != nil {
		return nil, "", err
	}
	switch action {
	case "resolve", "unresolve":
		return markRecords(ctx, eng, action, user, items, note)
	case "run":
		return runRecords(ctx, eng, user, items)
	}
	return nil, "", fieldError("action", "%q is not one of run, resolve, unresolve", visible(truncate(action, 40)))
}

// checkActionItems checks a bulk action's selection and note.
func checkActionItems(items []actionItem, note string) error {
	if len(items) == 0 {
		return fieldError("records", "select at least one record")
	}
	if len(items) > maxBulk {
		return fieldError("records", "%d records selected; at most %d at once", len(items), maxBulk)
	}
	if len([]rune(note)) > 1000 {
		return fieldError("note", "is longer than 1000 characters")
	}
	for i, it := range items {
		if it.Process == "" || strings.TrimSpace(it.Reference) == "" {
			return fieldError(fmt.Sprintf("records[%d]", i+1), "needs a process and a reference")
		}
		if names := vsync.ProcessNames(); !slices.Contains(names, it.Process) {
			return fieldError(fmt.Sprintf("records[%d].process", i+1), "%q is not one of %s", visible(truncate(it.Process, 40)), strings.Join(names, ", "))
		}
	}
	return nil
}

// markRecords resolves or unresolves each record.
func markRecords(ctx context.Context, eng *vsync.Engine, action, user string, items []actionItem, note string) ([]actionResult, string, error) {
	var out []actionResult
	ok := 0
	for _, it := range items {
		var rec store.Record
		var err error
		if action == "resolve" {
			rec, err = eng.Resolve(ctx, it.Process, it.Reference, user, note)
		} else {
			rec, err = eng.Unresolve(ctx, it.Process, it.Reference, user)
		}
		res := actionResult{Process: it.Process, Reference: it.Reference, OK: err == nil}
		if err != nil {
			res.Error = err.Error()
			if errors.Is(err, store.ErrNotFound) {
				res.Error = "no such record"
			}
		} else {
			res.Status = string(rec.Status)
			ok++
		}
		out = append(out, res)
	}
	return out, fmt.Sprintf("%d of %d records marked %sd by %s", ok, len(items), action, user), nil
}

// runRecords runs the records' references in one run (detached from the
// request, so a closed page does not stop it) and reports each record's
// outcome; a record the run did not touch is "unchanged".
func runRecords(ctx context.Context, eng *vsync.Engine, user string, items []actionItem) ([]actionResult, string, error) {
	var refs []string
	seen := map[string]bool{}
	for _, it := range items {
		if !seen[it.Reference] {
			seen[it.Reference] = true
			refs = append(refs, it.Reference)
		}
	}
	rep, err := eng.Run(context.WithoutCancel(ctx), vsync.RunOptions{Trigger: manualTrigger(user), Refs: refs})
	if errors.Is(err, vsync.ErrRunInProgress) || errors.Is(err, vsync.ErrModeLocked) {
		return nil, "", &httpError{status: http.StatusConflict, msg: err.Error()}
	}
	if err != nil && rep.RunID == "" {
		return nil, "", err
	}
	byRef := map[string]vsync.Outcome{}
	for _, o := range rep.Outcomes {
		byRef[o.Process+":"+o.Reference] = o
		if _, ok := byRef[":"+o.Reference]; !ok {
			byRef[":"+o.Reference] = o
		}
	}
	var out []actionResult
	for _, it := range items {
		res := actionResult{Process: it.Process, Reference: it.Reference}
		o, ok := byRef[it.Process+":"+it.Reference]
		if !ok {
			o, ok = byRef[":"+it.Reference]
		}
		if ok {
			res.Status, res.OK = string(o.Status), o.Status != store.RecordError
			if o.Status == store.RecordError {
				res.Error = o.Message
			}
		} else {
			res.OK, res.Status = true, "unchanged"
		}
		out = append(out, res)
	}
	msg := fmt.Sprintf("run %s %s: %d exported, %d failed, %d confirmations applied", rep.RunID, rep.Status, rep.Exported, rep.Failed, rep.ConfirmationsApplied)
	if err != nil {
		msg += ": " + err.Error()
	}
	return out, msg, nil
}
