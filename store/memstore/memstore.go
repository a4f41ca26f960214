package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

// Option configures a Store.
type Option func(*Store)

// WithSealer seals Account.APIKey with s while it is held (nil: kept as
// given).
func WithSealer(s *store.Sealer) Option {
	return func(st *Store) { st.sealer = s }
}

// WithClock replaces time.Now as the store's clock: it stamps CreatedAt,
// UpdatedAt, ModeChangedAt and the like, and decides lease expiry. A nil
// clock keeps time.Now.
func WithClock(now func() time.Time) Option {
	return func(st *Store) {
		if now != nil {
			st.clock = now
		}
	}
}

// Store is an in-memory store.Store. Create it with New; the zero value is
// not usable.
type Store struct {
	sealer *store.Sealer
	clock  func() time.Time

	mu       sync.Mutex
	closed   bool
	accounts map[string]store.Account // APIKey sealed
	exports  map[key2]store.Export
	byVeeqo  map[veeqoKey]map[string]struct{} // exports by Veeqo order (ExportByVeeqoID)
	// openExports indexes by account the exports that are not settled
	// (exported and completed): the engine's passes list only those, and
	// settled ones accumulate without bound.
	openExports map[string]map[string]struct{}
	shipments   map[shipKey]store.AppliedShipment
	// shipsByVeeqo and shipsByERP index shipments by Veeqo order and by ERP
	// order (ListShipments), as the SQL stores' indexes do: the engine
	// lists one order's shipments for every order it looks at.
	shipsByVeeqo map[veeqoKey]map[int64]struct{}
	shipsByERP   map[key2]map[int64]struct{}
	// shipsPending indexes the pending shipments by account: every pass
	// starts by listing them.
	shipsPending map[string]map[int64]struct{}
	cursors      map[key2]store.Cursor
	leases       map[string]store.Lease
	lastToken    int64 // store-wide, so tokens increase across releases and removals
	records      map[key3]store.Record
	// byStatus indexes records by account and status (key2{account,
	// status}): a pass asks for the few in error or pending among every
	// order's record.
	byStatus   map[key2]map[key3]struct{}
	logs       []store.LogEntry // ordered by Seq
	lastSeq    int64
	runs       map[string]store.Run
	customers  map[key2]int64 // email lower-cased
	notifyVals map[key2]notifyState
}

type key2 struct{ a, b string }

type key3 struct{ a, b, c string }

type shipKey struct {
	account string
	id      int64
}

type notifyState struct {
	value   []byte
	version int64
}

var _ store.Store = (*Store)(nil)

// New returns an empty Store.
func New(opts ...Option) *Store {
	s := &Store{
		clock:        time.Now,
		accounts:     map[string]store.Account{},
		exports:      map[key2]store.Export{},
		byVeeqo:      map[veeqoKey]map[string]struct{}{},
		openExports:  map[string]map[string]struct{}{},
		shipments:    map[shipKey]store.AppliedShipment{},
		shipsByVeeqo: map[veeqoKey]map[int64]struct{}{},
		shipsByERP:   map[key2]map[int64]struct{}{},
		shipsPending: map[string]map[int64]struct{}{},
		cursors:      map[key2]store.Cursor{},
		leases:       map[string]store.Lease{},
		records:      map[key3]store.Record{},
		byStatus:     map[key2]map[key3]struct{}{},
		runs:         map[string]store.Run{},
		customers:    map[key2]int64{},
		notifyVals:   map[key2]notifyState{},
	}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	return s
}

// errClosed is returned by every method after Close.
var errClosed = errors.New("memstore: store is closed")

// Close marks the store closed; later calls fail. It deletes nothing.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *Store) now() time.Time { return s.clock().UTC() }

// lock takes the mutex after checking ctx and that the store is open. On
// success the caller must unlock.
func (s *Store) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	return nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func cloneRaw(r json.RawMessage) json.RawMessage {
	if r == nil {
		return nil
	}
	return slices.Clone(r)
}
