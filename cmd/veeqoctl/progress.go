package main

import (
	"context"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	stdsync "sync"
	"sync/atomic"

	vsync "github.com/xoroerp/veeqoconnect/sync"
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
// terminal, plain lines otherwise. A nil *progress shows nothing.
type progress struct {
	w   io.Writer
	tty bool

	mu      stdsync.Mutex
	phase   string
	total   int
	done    int
	applied int
	width   int // of the last \r line, to blank it
}

func newProgress(w io.Writer) *progress { return &progress{w: w, tty: isTerminal(w)} }

// start begins a phase with a known total (0: unknown).
func (p *progress) start(phase string, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phase, p.total, p.done = phase, total, 0
	if !p.tty {
		fmt.Fprintf(p.w, "%s: %d candidate order(s)\n", phase, total)
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
		fmt.Fprintf(p.w, "%s %d/%d %s\n", p.phase, p.done, p.total, ref)
		return
	}
	p.redraw(ref)
}

// applied notes one shipment applied to the ERP.
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
	p.phase, p.total, p.done = "confirm", 0, p.applied
	p.redraw(ref)
}

func (p *progress) redraw(ref string) {
	var line string
	if p.total > 0 {
		const barWidth = 30
		filled := p.done * barWidth / p.total
		line = fmt.Sprintf("%s [%s%s] %d/%d %s", p.phase, strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), p.done, p.total, ref)
	} else {
		line = fmt.Sprintf("%s: %d shipment(s) applied, last %s", p.phase, p.done, ref)
	}
	pad := ""
	if n := p.width - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
	p.width = len(line)
}

// note prints a message on its own line.
func (p *progress) note(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.width > 0 {
		fmt.Fprintln(p.w)
		p.width = 0
	}
	fmt.Fprintf(p.w, format+"\n", args...)
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
	// exporting is true while export candidates are handed out: the only
	// phase where a stop waits for the order in hand.
	exporting atomic.Bool
}

// arm sets the progress display and the cancel function of the next run.
func (w *watchedERP) arm(p *progress, cancel context.CancelCauseFunc) {
	w.mu.Lock()
	w.p, w.cancel = p, cancel
	w.mu.Unlock()
	w.stopping.Store(false)
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
			p.start("export", w.inner.countCandidates(ctx, q))
		}
		w.exporting.Store(true)
		defer w.exporting.Store(false)
		for o, err := range w.inner.Candidates(ctx, q) {
			if err == nil {
				if w.stopAtBoundary() {
					return
				}
				p.step(o.Ref)
			}
			if !yield(o, err) || err != nil {
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
