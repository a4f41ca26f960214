package notify

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Level is the severity of an [Event].
type Level string

// The levels the engine reports. Only errors (and, when configured, warnings) are emailed; info never is.
const (
	LevelError   Level = "error"
	LevelWarning Level = "warning"
	LevelInfo    Level = "info"
)

// Valid reports whether l is one of the known levels.
func (l Level) Valid() bool {
	switch l {
	case LevelError, LevelWarning, LevelInfo:
		return true
	}
	return false
}

// Event is one log entry worth telling someone about.
type Event struct {
	// Seq is the log entry's sequence number in the host's store (monotonic per store), 0 if unknown.
	// It is what makes "never mailed twice across restarts" possible.
	Seq int64
	// Account is the integration account the entry belongs to.
	Account string
	// RunID identifies the sync run, if any.
	RunID string
	// Process is the kind of work, e.g. "export_order", "import_confirmation", "fetch_fulfillment", "run".
	Process string
	// Level is "error", "warning" or "info".
	Level Level
	// Reference is what the entry is about, usually an order number such as "SO-1001".
	Reference string
	// Message says what went wrong.
	Message string
	// Time is when it happened.
	Time time.Time
}

// Notifier receives events as the engine produces them. Notify must return quickly (no network round trip
// inline) and its error must never fail a sync; the engine only logs it.
type Notifier interface {
	Notify(ctx context.Context, e Event) error
}

// Func adapts a function to [Notifier].
type Func func(ctx context.Context, e Event) error

// Notify calls f.
func (f Func) Notify(ctx context.Context, e Event) error { return f(ctx, e) }

// Multi returns a Notifier that calls each non-nil notifier in order and joins their errors. A failing notifier
// does not stop the others.
func Multi(ns ...Notifier) Notifier {
	list := make([]Notifier, 0, len(ns))
	for _, n := range ns {
		if n != nil {
			list = append(list, n)
		}
	}
	return multi(list)
}

type multi []Notifier

func (m multi) Notify(ctx context.Context, e Event) error {
	var errs []error
	for _, n := range m {
		if err := n.Notify(ctx, e); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// NewSlogNotifier returns a Notifier that writes each event to l (errors at Error, warnings at Warn, the rest at
// Info). A nil logger discards.
func NewSlogNotifier(l *slog.Logger) Notifier {
	if l == nil {
		l = discardLogger()
	}
	return slogNotifier{l: l}
}

type slogNotifier struct{ l *slog.Logger }

func (s slogNotifier) Notify(ctx context.Context, e Event) error {
	lvl := slog.LevelInfo
	switch e.Level {
	case LevelError:
		lvl = slog.LevelError
	case LevelWarning:
		lvl = slog.LevelWarn
	}
	s.l.LogAttrs(ctx, lvl, sanitizeLine(e.Message),
		slog.String("account", e.Account),
		slog.String("process", e.Process),
		slog.String("reference", e.Reference),
		slog.String("run_id", e.RunID),
		slog.Int64("seq", e.Seq),
		slog.Time("event_time", e.Time.UTC()),
	)
	return nil
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
