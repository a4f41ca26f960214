package notify

import (
	"context"
	"errors"
	"iter"
	"time"
)

// ErrStateConflict is matched (errors.Is) by the error a [State] returns when a compare-and-set fails because
// the stored version is not the expected one (or, for version 0, the value already exists).
var ErrStateConflict = errors.New("notify: state version conflict")

// ErrInvalidConfig is matched by every validation error of [NewEmailPolicy] and [NewSMTPMailer].
var ErrInvalidConfig = errors.New("notify: invalid configuration")

// State is the policy's durable bookkeeping, implemented by the host's store. Values are small opaque blobs.
type State interface {
	// LoadState returns the value and its version, or (nil, 0, nil) when absent.
	LoadState(ctx context.Context, account, name string) (value []byte, version int64, err error)
	// SaveState stores value if the current version equals version (0 = create: only if absent); on success
	// the stored version becomes version+1. A mismatch returns an error matching ErrStateConflict.
	SaveState(ctx context.Context, account, name string, value []byte, version int64) error
}

// EventQuery selects events from a [Source]. Zero fields do not filter.
type EventQuery struct {
	Account  string
	AfterSeq int64     // only events with Seq > AfterSeq
	Since    time.Time // only events with Time >= Since
	Until    time.Time // only events with Time < Until
	Levels   []Level   // only these levels
}

// Source is the durable log of events, used to catch up after a restart and to build the daily digest.
type Source interface {
	// Events yields the matching events in ascending Seq order and stops at the first error.
	Events(ctx context.Context, q EventQuery) iter.Seq2[Event, error]
}

// Health is optional: when given, the policy sends health alerts.
type Health interface {
	// LastSuccessfulRun returns when the account last completed a run without a run-level failure;
	// ok is false when it never has.
	LastSuccessfulRun(ctx context.Context, account string) (t time.Time, ok bool, err error)
	// StaleExports returns the references of orders exported before olderThan that have no confirmation yet.
	StaleExports(ctx context.Context, account string, olderThan time.Time) ([]string, error)
}

// Message is one plain-text email.
type Message struct {
	From    string
	To      []string
	Subject string
	Text    string
	// Date is the Date header; zero means the time of sending.
	Date time.Time
}

// Mailer delivers messages. A nil error means the server accepted every message.
type Mailer interface {
	Send(ctx context.Context, msgs ...Message) error
}

// MailerFunc adapts a function to [Mailer].
type MailerFunc func(ctx context.Context, msgs ...Message) error

// Send calls f.
func (f MailerFunc) Send(ctx context.Context, msgs ...Message) error { return f(ctx, msgs...) }
