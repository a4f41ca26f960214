package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/xoroerp/veeqoconnect/store"
)

// TimeTolerance is how far a time read back from a store may be from the
// time written: stores may truncate to microseconds (PostgreSQL) or keep
// milliseconds. Every time the suite writes is a whole second apart from
// the next, so the tolerance never hides an ordering.
const TimeTolerance = time.Millisecond

// StampTolerance is how far a time the store stamps itself (CreatedAt,
// UpdatedAt, lease expiry) may be from the test's clock: the store may use
// the database server's clock.
const StampTolerance = 5 * time.Second

// Race is how many goroutines the race tests start for one key.
const Race = 20

// testCase is one behaviour, run in its own parallel subtest with a fresh
// store.
type testCase struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// groups lists every behaviour by interface.
func groups() []struct {
	name  string
	cases []testCase
} {
	return []struct {
		name  string
		cases []testCase
	}{
		{"Accounts", accountCases()},
		{"Exports", exportCases()},
		{"Shipments", shipmentCases()},
		{"Cursors", cursorCases()},
		{"Leases", leaseCases()},
		{"Literals", literalCases()},
		{"Records", recordCases()},
		{"Logs", logCases()},
		{"Runs", runCases()},
		{"Customers", customerCases()},
		{"NotifyState", notifyCases()},
	}
}

// Run checks that the store newStore returns keeps every guarantee written on
// store.Store and its parts. Each behaviour is a parallel subtest
// (Run/<Area>/<Behaviour>) with its own store from newStore, so newStore must
// return an empty, isolated store on every call (a fresh file, schema or
// database) and register its own cleanup (closing the store, removing the
// file) with t.Cleanup. Run does not close the stores.
//
// Times are compared with TimeTolerance, JSON documents (Settings, Update)
// by meaning rather than by bytes, and nil and empty slices and maps as
// equal.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	if newStore == nil {
		t.Fatal("storetest.Run: newStore is nil")
	}
	t.Run("Close", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if s == nil {
			t.Fatal("newStore returned nil")
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	for _, g := range groups() {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					s := newStore(t)
					if s == nil {
						t.Fatal("newStore returned nil")
					}
					c.fn(t, s)
				})
			}
		})
	}
}

// ---- helpers shared by the cases

// base is the fixed time the cases build their explicit times from (whole
// seconds, UTC).
var base = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func at(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }

// cmpOpts compares values read back from a store with what was written.
func cmpOpts() cmp.Options {
	return cmp.Options{
		cmpopts.EquateApproxTime(TimeTolerance),
		cmpopts.EquateEmpty(),
		cmp.FilterValues(func(a, b json.RawMessage) bool { return len(a) > 0 || len(b) > 0 },
			cmp.Comparer(jsonEqual)),
	}
}

// jsonEqual compares two JSON documents by meaning; empty is null.
func jsonEqual(a, b json.RawMessage) bool {
	norm := func(r json.RawMessage) (any, bool) {
		if len(bytes.TrimSpace(r)) == 0 {
			return nil, true
		}
		var v any
		if err := json.Unmarshal(r, &v); err != nil {
			return nil, false
		}
		return v, true
	}
	va, oka := norm(a)
	vb, okb := norm(b)
	if !oka || !okb {
		return bytes.Equal(a, b)
	}
	return cmp.Equal(va, vb)
}

// diff fails t when got differs from want.
func diff(t *testing.T, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, append(cmp.Options{cmpOpts()}, opts...)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// wantErr fails t unless err matches one of targets.
func wantErr(t *testing.T, what string, err error, targets ...error) {
	t.Helper()
	for _, target := range targets {
		if errors.Is(err, target) {
			return
		}
	}
	t.Errorf("%s: err = %v, want %v", what, err, targets)
}

// must fails t at once on err.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// stamped fails t unless got is a time the store stamped between lo and hi
// (test clock, with StampTolerance).
func stamped(t *testing.T, what string, got, lo, hi time.Time) {
	t.Helper()
	if got.IsZero() {
		t.Errorf("%s is zero, want a time stamped by the store", what)
		return
	}
	if got.Before(lo.Add(-StampTolerance)) || got.After(hi.Add(StampTolerance)) {
		t.Errorf("%s = %s, want between %s and %s", what, got.UTC().Format(time.RFC3339Nano), lo.UTC().Format(time.RFC3339Nano), hi.UTC().Format(time.RFC3339Nano))
	}
}

// addAccount creates an account (in export mode unless the case needs
// otherwise).
func addAccount(t *testing.T, s store.Store, name string) store.Account {
	t.Helper()
	a, err := s.AddAccount(t.Context(), store.Account{
		Name:     name,
		BaseURL:  "https://api.veeqo.test/" + name,
		APIKey:   "Vqt/key-of-" + name,
		Settings: json.RawMessage(`{"account":"` + name + `"}`),
	})
	must(t, "AddAccount "+name, err)
	return a
}

// race runs fn(i) in n goroutines released together and returns the
// errors in index order.
func race(n int, fn func(i int) error) []error {
	start := make(chan struct{})
	errs := make([]error, n)
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	for range n {
		<-done
	}
	return errs
}

// countWinners counts nil errors and fails t on any error not in allowed.
func countWinners(t *testing.T, what string, errs []error, allowed ...error) int {
	t.Helper()
	n := 0
	for i, err := range errs {
		if err == nil {
			n++
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || errors.Is(err, a)
		}
		if !ok {
			t.Errorf("%s: goroutine %d: unexpected error %v", what, i, err)
		}
	}
	return n
}

// noSecret fails t when err's text contains secret.
func noSecret(t *testing.T, what string, err error, secret string) {
	t.Helper()
	if err != nil && secret != "" && strings.Contains(err.Error(), secret) {
		t.Errorf("%s: error %q contains the secret", what, err)
	}
}

func ref(i int) string { return fmt.Sprintf("SO-%05d", i) }
