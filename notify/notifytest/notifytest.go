// Package notifytest has test doubles for package notify: a [Recorder] Notifier, a [Mailbox] Mailer, and
// in-memory [State] and [Log] (a notify.Source) so the email policy can be tested without a store or a mail
// server. All are safe for concurrent use; none uses package-level state.
package notifytest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"time"

	"github.com/xoroerp/veeqoconnect/notify"
)

// waiter is a tiny condition-variable replacement that works with contexts.
type waiter struct {
	mu     sync.Mutex
	change chan struct{}
}

// signal wakes every waiter; callers hold no lock.
func (w *waiter) signal() {
	w.mu.Lock()
	if w.change != nil {
		close(w.change)
		w.change = nil
	}
	w.mu.Unlock()
}

func (w *waiter) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.change == nil {
		w.change = make(chan struct{})
	}
	return w.change
}

// waitUntil calls cond until it is true or ctx ends.
func (w *waiter) waitUntil(ctx context.Context, cond func() bool) error {
	for {
		ch := w.wait()
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// Recorder is a notify.Notifier that records every event.
type Recorder struct {
	w      waiter
	mu     sync.Mutex
	events []notify.Event
}

// Notify records e.
func (r *Recorder) Notify(_ context.Context, e notify.Event) error {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	r.w.signal()
	return nil
}

// Events returns a copy of the recorded events, in order.
func (r *Recorder) Events() []notify.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Match returns the recorded events for which keep is true.
func (r *Recorder) Match(keep func(notify.Event) bool) []notify.Event {
	var out []notify.Event
	for _, e := range r.Events() {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// Reset forgets every recorded event.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}

// WaitFor blocks until at least n events matching keep (nil keeps all) were recorded or ctx ends, and returns
// the matching events.
func (r *Recorder) WaitFor(ctx context.Context, n int, keep func(notify.Event) bool) ([]notify.Event, error) {
	if keep == nil {
		keep = func(notify.Event) bool { return true }
	}
	var got []notify.Event
	err := r.w.waitUntil(ctx, func() bool {
		got = r.Match(keep)
		return len(got) >= n
	})
	if err != nil {
		return got, fmt.Errorf("notifytest: waited for %d events, have %d: %w", n, len(got), err)
	}
	return got, nil
}

// Mailbox is a notify.Mailer that records messages instead of sending them, and can be told to fail.
type Mailbox struct {
	w        waiter
	mu       sync.Mutex
	msgs     []notify.Message
	failN    int
	failErr  error
	attempts int
}

// Send records msgs, or fails if FailNext asked for it (recording nothing).
func (m *Mailbox) Send(ctx context.Context, msgs ...notify.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	m.attempts++
	if m.failN > 0 {
		m.failN--
		err := m.failErr
		m.mu.Unlock()
		return err
	}
	for _, msg := range msgs {
		msg.To = slices.Clone(msg.To)
		m.msgs = append(m.msgs, msg)
	}
	m.mu.Unlock()
	m.w.signal()
	return nil
}

// FailNext makes the next n calls of Send return err (a generic error when nil).
func (m *Mailbox) FailNext(n int, err error) {
	if err == nil {
		err = errors.New("notifytest: injected mail failure")
	}
	m.mu.Lock()
	m.failN, m.failErr = n, err
	m.mu.Unlock()
}

// Messages returns a copy of the accepted messages, in order.
func (m *Mailbox) Messages() []notify.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.msgs)
}

// Attempts is the number of Send calls, failed ones included.
func (m *Mailbox) Attempts() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.attempts
}

// Reset forgets the accepted messages.
func (m *Mailbox) Reset() {
	m.mu.Lock()
	m.msgs = nil
	m.mu.Unlock()
}

// WaitFor blocks until at least n messages were accepted or ctx ends.
func (m *Mailbox) WaitFor(ctx context.Context, n int) ([]notify.Message, error) {
	var got []notify.Message
	err := m.w.waitUntil(ctx, func() bool {
		got = m.Messages()
		return len(got) >= n
	})
	if err != nil {
		return got, fmt.Errorf("notifytest: waited for %d messages, have %d: %w", n, len(got), err)
	}
	return got, nil
}

// State is an in-memory notify.State with compare-and-set versions (each save bumps the version by one).
// The zero value is ready to use.
type State struct {
	mu      sync.Mutex
	vals    map[[2]string]stateVal
	failErr error
	failN   int
	skipN   int
}

type stateVal struct {
	b   []byte
	ver int64
}

// NewState returns an empty State.
func NewState() *State { return &State{vals: map[[2]string]stateVal{}} }

// LoadState returns the value and version, or (nil, 0, nil) when absent.
func (s *State) LoadState(ctx context.Context, account, name string) ([]byte, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vals[[2]string{account, name}]
	return slices.Clone(v.b), v.ver, nil
}

// SaveState stores value if the version matches (0 = create); otherwise it returns notify.ErrStateConflict.
func (s *State) SaveState(ctx context.Context, account, name string, value []byte, version int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.skipN > 0 {
		s.skipN--
	} else if s.failN > 0 {
		s.failN--
		return s.failErr
	}
	if s.vals == nil {
		s.vals = map[[2]string]stateVal{}
	}
	k := [2]string{account, name}
	cur := s.vals[k]
	if cur.ver != version {
		return fmt.Errorf("notifytest: %s/%s at version %d, not %d: %w", account, name, cur.ver, version, notify.ErrStateConflict)
	}
	s.vals[k] = stateVal{b: slices.Clone(value), ver: version + 1}
	return nil
}

// FailSaves makes the next n saves fail with err (a generic error when nil).
func (s *State) FailSaves(n int, err error) { s.FailSavesAfter(0, n, err) }

// FailSavesAfter lets the next skip saves through, then makes n saves fail with err (a generic error when nil).
func (s *State) FailSavesAfter(skip, n int, err error) {
	if err == nil {
		err = errors.New("notifytest: injected state failure")
	}
	s.mu.Lock()
	s.skipN, s.failN, s.failErr = skip, n, err
	s.mu.Unlock()
}

// Get returns the raw value of a key, for assertions.
func (s *State) Get(account, name string) ([]byte, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vals[[2]string{account, name}]
	return slices.Clone(v.b), v.ver
}

// Log is an in-memory durable event log: a notify.Source that assigns sequence numbers like a store would.
type Log struct {
	mu     sync.Mutex
	events []notify.Event
	seq    int64
}

// Append stores e with the next sequence number (and the current time if e.Time is zero) and returns it.
func (l *Log) Append(e notify.Event) notify.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	e.Seq = l.seq
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	l.events = append(l.events, e)
	return e
}

// Notifier returns a notify.Notifier that does what an engine does: store the event in the log, then pass
// it, with its sequence number, to next.
func (l *Log) Notifier(next notify.Notifier) notify.Notifier {
	return notify.Func(func(ctx context.Context, e notify.Event) error {
		e = l.Append(e)
		if next == nil {
			return nil
		}
		return next.Notify(ctx, e)
	})
}

// All returns a copy of every stored event.
func (l *Log) All() []notify.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// Events yields the events matching q in ascending Seq order.
func (l *Log) Events(ctx context.Context, q notify.EventQuery) iter.Seq2[notify.Event, error] {
	return func(yield func(notify.Event, error) bool) {
		for _, e := range l.All() {
			if err := ctx.Err(); err != nil {
				yield(notify.Event{}, err)
				return
			}
			if (q.Account != "" && e.Account != q.Account) || e.Seq <= q.AfterSeq ||
				(!q.Since.IsZero() && e.Time.Before(q.Since)) || (!q.Until.IsZero() && !e.Time.Before(q.Until)) ||
				(len(q.Levels) > 0 && !slices.Contains(q.Levels, e.Level)) {
				continue
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}
