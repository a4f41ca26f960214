package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"time"

	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// isTerminal reports whether w is a character device (a terminal), without
// golang.org/x/term.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress shows how far a run is: a bar rewritten in place with \r on a
// terminal, plain lines otherwise, with the elapsed time, the rate and the
// time left once there is a rate; a phase that has no items yet (loading
// the catalogue, listing pages of Veeqo orders) says what it is doing. A nil
// *progress shows nothing.
type progress struct {
	w   io.Writer
	tty bool
	now func() time.Time

	mu       stdsync.Mutex
	phase    string
	unit     string // what done counts ("orders read", "" for candidates)
	total    int
	done     int
	applied  int
	started  time.Time // of the phase
	activity string    // what a silent phase is doing, "" in a counted phase
	width    int       // of the last \r line, to blank it
}

func newProgress(w io.Writer) *progress { return &progress{w: w, tty: isTerminal(w), now: time.Now} }

func (p *progress) clock() time.Time {
	if p.now == nil {
		return time.Time{}
	}
	return p.now()
}

// start begins a phase with a known total (0: unknown). why, when not
// empty, says why other orders are not in the total.
func (p *progress) start(phase string, total int, why string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phase, p.unit, p.total, p.done, p.activity, p.started = phase, "", total, 0, "", p.clock()
	line := fmt.Sprintf("%s: %s", phase, plural(total, "candidate order", "candidate orders"))
	if why != "" {
		line += " (" + why + ")"
	}
	p.println(line)
}

// doing says what a phase without items is doing ("loading the
// catalogue"); count and total, when positive, say how far it is.
func (p *progress) doing(what string, count, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty {
		// Plain output: once per activity, not once per item.
		if what != p.activity {
			p.activity = what
			p.println(what + "...")
		}
		return
	}
	p.activity = what
	line := what + "..."
	switch {
	case total > 0:
		line = fmt.Sprintf("%s: %d/%d", what, count, total)
	case count > 0:
		line = fmt.Sprintf("%s: %d", what, count)
	}
	p.draw(line)
}

// counted begins a phase counted in units with a total (0: unknown), such
// as fetch mode's orders read.
func (p *progress) counted(phase, unit string, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phase, p.unit, p.total, p.done, p.activity, p.started = phase, unit, total, 0, "", p.clock()
	if total > 0 {
		p.println(fmt.Sprintf("%s: %s to read", phase, plural(total, "Veeqo order", "Veeqo orders")))
	}
}

// tick counts one unit of a counted phase.
func (p *progress) tick(ref string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if p.tty {
		p.redraw(ref)
	}
}

// step notes that the next item of the phase is being processed.
func (p *progress) step(ref string) {
	if p == nil {
		return
	}
	ref = oneLine(ref)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if !p.tty {
		fmt.Fprintf(p.w, "%s %d/%d %s%s\n", p.phase, p.done, p.total, ref, p.rate())
		return
	}
	p.redraw(ref)
}

// shipment notes one shipment applied to the ERP.
func (p *progress) shipment(ref string, key int64) {
	if p == nil {
		return
	}
	ref = oneLine(ref)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.applied++
	if !p.tty {
		fmt.Fprintf(p.w, "shipment %d applied to %s (%d so far)\n", key, ref, p.applied)
		return
	}
	if p.unit == "" { // the confirmation pass: counted by shipments
		p.phase, p.total, p.done = "confirm", 0, 0
	}
	p.redraw(ref)
}

// rate is " (elapsed 3s, 2.5/s, about 4s left)", or "" before the first
// item or without a clock.
func (p *progress) rate() string {
	if p.started.IsZero() || p.done == 0 {
		return ""
	}
	el := p.clock().Sub(p.started)
	if el < time.Second {
		return "" // too soon for a rate worth reading
	}
	per := float64(p.done) / el.Seconds()
	s := fmt.Sprintf(" (elapsed %s, %.1f/s", el.Round(time.Second), per)
	if p.total > p.done && per > 0 {
		left := time.Duration(float64(p.total-p.done) / per * float64(time.Second))
		s += fmt.Sprintf(", about %s left", left.Round(time.Second))
	}
	return s + ")"
}

func (p *progress) redraw(ref string) {
	var line string
	switch {
	case p.total > 0:
		const barWidth = 30
		filled := min(p.done, p.total) * barWidth / p.total
		line = fmt.Sprintf("%s [%s%s] %d/%d", p.phase, strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), p.done, p.total)
		if p.unit != "" {
			line += " " + p.unit
		}
		line += p.rate()
		if p.applied > 0 {
			line += ", " + plural(p.applied, "shipment applied", "shipments applied")
		}
		if ref != "" {
			line += " " + ref
		}
	case p.unit != "":
		line = fmt.Sprintf("%s: %d %s%s, %s", p.phase, p.done, p.unit, p.rate(), plural(p.applied, "shipment applied", "shipments applied"))
	default:
		line = fmt.Sprintf("confirm: %s, last %s", plural(p.applied, "shipment applied", "shipments applied"), ref)
	}
	p.draw(line)
}

// draw rewrites the terminal's status line. Callers hold mu.
func (p *progress) draw(line string) {
	pad := ""
	if n := p.width - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
	p.width = len(line)
}

// println prints a line of its own, ending a status line first. Callers
// hold mu.
func (p *progress) println(line string) {
	if p.tty && p.width > 0 {
		fmt.Fprintln(p.w)
		p.width = 0
	}
	fmt.Fprintln(p.w, line)
}

// note prints a message on its own line.
func (p *progress) note(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.println(fmt.Sprintf(format, args...))
}

// end finishes the bar's line.
func (p *progress) end() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.width > 0 {
		fmt.Fprintln(p.w)
		p.width = 0
	}
}

// explainCandidates says why the orders file's other orders are not
// candidates: "of 7 in the orders file: 2 not in a wave, 1 invalid (see
// the errors)"; "" when every order is one.
func explainCandidates(n int, why map[string]int) string {
	if len(why) == 0 {
		return ""
	}
	total := n
	reasons := make([]string, 0, len(why))
	for r := range why {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	parts := make([]string, 0, len(reasons))
	for _, r := range reasons {
		total += why[r]
		parts = append(parts, fmt.Sprintf("%d %s", why[r], r))
	}
	return fmt.Sprintf("of %d in the orders file: %s", total, strings.Join(parts, ", "))
}

// watchedAPI is the engine's Veeqo seen by the progress display: it says
// what a phase without ERP activity is doing (loading the catalogue,
// listing pages of orders) and, in fetch mode, how many orders there are to
// read (one extra call for the total, only when progress is shown).
type watchedAPI struct {
	vsync.VeeqoAPI
	w *watchedERP
	// count returns how many orders a listing selects (-1: unknown); nil in
	// export mode.
	count func(ctx context.Context, opts veeqo.OrderListOptions) int
}

// ListOrders implements vsync.VeeqoAPI.
func (a watchedAPI) ListOrders(ctx context.Context, opts veeqo.OrderListOptions) iter.Seq2[veeqo.Order, error] {
	return func(yield func(veeqo.Order, error) bool) {
		if !opts.UpdatedAtMin.IsZero() && a.w.exporting.Load() {
			// The confirmation poll: the export's creates are over.
			// A stop asked for meanwhile cancels the run here.
			a.w.exporting.Store(false)
			a.w.stopAtBoundary()
		}
		p, _ := a.w.hooks()
		what := "listing Veeqo orders"
		if !opts.UpdatedAtMin.IsZero() {
			what += " updated since " + opts.UpdatedAtMin.UTC().Format("2006-01-02 15:04 UTC")
		}
		counted := a.count != nil && p != nil
		if counted {
			p.counted("fetch", "orders read", max(0, a.count(ctx, opts)))
		} else {
			p.doing(what, 0, 0)
		}
		n := 0
		for o, err := range a.VeeqoAPI.ListOrders(ctx, opts) {
			if err == nil {
				n++
				if counted {
					p.tick(o.Number)
				} else {
					p.doing(what, n, 0)
				}
			}
			if !yield(o, err) {
				return
			}
		}
	}
}

// Products implements vsync.VeeqoAPI.
func (a watchedAPI) Products(ctx context.Context) iter.Seq2[veeqo.Product, error] {
	return func(yield func(veeqo.Product, error) bool) {
		p, _ := a.w.hooks()
		total, _ := a.VeeqoAPI.CountProducts(ctx)
		p.doing("loading the catalogue (products)", 0, total)
		n := 0
		for pr, err := range a.VeeqoAPI.Products(ctx) {
			n++
			p.doing("loading the catalogue (products)", n, total)
			if !yield(pr, err) {
				return
			}
		}
	}
}

// Customers implements vsync.VeeqoAPI.
func (a watchedAPI) Customers(ctx context.Context) iter.Seq2[veeqo.Customer, error] {
	return func(yield func(veeqo.Customer, error) bool) {
		p, _ := a.w.hooks()
		p.doing("reading Veeqo's customer list", 0, 0)
		n := 0
		for c, err := range a.VeeqoAPI.Customers(ctx) {
			n++
			p.doing("reading Veeqo's customer list", n, 0)
			if !yield(c, err) {
				return
			}
		}
	}
}

// CreateOrder implements vsync.VeeqoAPI. The end of a create is an order
// boundary: the engine reads candidates ahead of their export, so handing
// out the next candidate no longer marks the order in hand as done.
func (a watchedAPI) CreateOrder(ctx context.Context, in *veeqo.OrderInput) (*veeqo.Order, error) {
	o, err := a.VeeqoAPI.CreateOrder(ctx, in)
	a.w.stopAtBoundary()
	return o, err
}

// Channels implements vsync.VeeqoAPI.
func (a watchedAPI) Channels(ctx context.Context) ([]veeqo.Channel, error) {
	p, _ := a.w.hooks()
	p.doing("loading Veeqo channels", 0, 0)
	return a.VeeqoAPI.Channels(ctx)
}

// DeliveryMethods implements vsync.VeeqoAPI.
func (a watchedAPI) DeliveryMethods(ctx context.Context) ([]veeqo.DeliveryMethod, error) {
	p, _ := a.w.hooks()
	p.doing("loading Veeqo delivery methods", 0, 0)
	return a.VeeqoAPI.DeliveryMethods(ctx)
}

// watchedERP wraps the file ERP to show progress and to stop a run cleanly
// between orders: once stopping is set, the run's context is cancelled at
// the next order boundary (before the next candidate is handed out, after a
// shipment is applied), never in the middle of a Veeqo create.
type watchedERP struct {
	inner *fileERP

	mu       stdsync.Mutex
	p        *progress
	cancel   context.CancelCauseFunc
	stopping atomic.Bool
	// exporting is true from the first export candidate handed out to the
	// confirmation poll (or the end of the run): the only phase where a
	// stop waits for the order in hand. The engine reads candidates ahead
	// of their export, so the phase outlasts the handing out.
	exporting atomic.Bool
}

// arm sets the progress display and the cancel function of the next run.
func (w *watchedERP) arm(p *progress, cancel context.CancelCauseFunc) {
	w.mu.Lock()
	w.p, w.cancel = p, cancel
	w.mu.Unlock()
	w.stopping.Store(false)
	w.exporting.Store(false)
}

func (w *watchedERP) hooks() (*progress, context.CancelCauseFunc) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.p, w.cancel
}

// stopAtBoundary cancels the run if a stop was asked for; it reports
// whether it did.
func (w *watchedERP) stopAtBoundary() bool {
	if !w.stopping.Load() {
		return false
	}
	if _, cancel := w.hooks(); cancel != nil {
		cancel(errInterrupted)
	}
	return true
}

// Candidates implements vsync.ERP.
func (w *watchedERP) Candidates(ctx context.Context, q vsync.CandidateQuery) iter.Seq2[vsync.ERPOrder, error] {
	return func(yield func(vsync.ERPOrder, error) bool) {
		p, _ := w.hooks()
		if p != nil {
			n := w.inner.countCandidates(ctx, q)
			p.start("export", n, explainCandidates(n, w.inner.notCandidates(q)))
		}
		w.exporting.Store(true)
		for o, err := range w.inner.Candidates(ctx, q) {
			if err == nil && o.Ref != "" {
				if w.stopAtBoundary() {
					return
				}
				p.step(o.Ref)
			}
			var oe *vsync.OrderError
			if !yield(o, err) || (err != nil && !errors.As(err, &oe)) {
				return
			}
		}
		p.end()
	}
}

// Order implements vsync.ERP.
func (w *watchedERP) Order(ctx context.Context, ref string) (vsync.ERPOrder, error) {
	return w.inner.Order(ctx, ref)
}

// FindOrder implements vsync.ERP.
func (w *watchedERP) FindOrder(ctx context.Context, q vsync.FindQuery) (vsync.ERPOrder, error) {
	return w.inner.FindOrder(ctx, q)
}

// ApplyShipment implements vsync.ERP.
func (w *watchedERP) ApplyShipment(ctx context.Context, u vsync.ShipmentUpdate) error {
	err := w.inner.ApplyShipment(ctx, u)
	if err == nil {
		p, _ := w.hooks()
		p.shipment(u.OrderRef, u.ShipmentID)
	}
	w.stopAtBoundary()
	return err
}

var _ vsync.ERP = (*watchedERP)(nil)
