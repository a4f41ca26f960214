package memstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/memstore"
	"github.com/xoroerp/veeqoconnect/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		s := memstore.New()
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestConformanceSealed(t *testing.T) {
	t.Parallel()
	sealer, err := store.NewSealer(bytes.Repeat([]byte{5}, store.SealerKeySize))
	require.NoError(t, err)
	storetest.Run(t, func(t *testing.T) store.Store {
		return memstore.New(memstore.WithSealer(sealer))
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return memstore.New() })
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestLeaseExpiryUsesClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := memstore.New(memstore.WithClock(clock.Now))
	l1, err := s.AcquireLease(ctx, "acme", store.Holder{ID: "a"}, time.Hour)
	require.NoError(t, err)
	if !l1.ExpiresAt.Equal(clock.Now().Add(time.Hour)) {
		t.Errorf("ExpiresAt = %s, want clock + 1h", l1.ExpiresAt)
	}
	clock.Add(time.Hour - time.Nanosecond)
	if _, err := s.AcquireLease(ctx, "acme", store.Holder{ID: "b"}, time.Hour); !errors.Is(err, store.ErrLeaseHeld) {
		t.Fatalf("1ns before expiry: err = %v, want ErrLeaseHeld", err)
	}
	clock.Add(time.Nanosecond)
	l2, err := s.AcquireLease(ctx, "acme", store.Holder{ID: "b"}, time.Hour)
	require.NoError(t, err, "at ExpiresAt the lease is expired")
	if l2.Token <= l1.Token {
		t.Errorf("token %d not above %d", l2.Token, l1.Token)
	}
	// Expired but not taken: the holder may still renew (its token still
	// fences) — documented memstore behaviour.
	clock.Add(2 * time.Hour)
	if _, err := s.RenewLease(ctx, l2, time.Hour); err != nil {
		t.Errorf("renew of an expired, untaken lease: %v", err)
	}
}

func TestClockStampsTimes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	loc := time.FixedZone("X", 3600)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 10, 0, 0, 0, loc)}
	s := memstore.New(memstore.WithClock(clock.Now))
	a, err := s.AddAccount(ctx, store.Account{Name: "acme"})
	require.NoError(t, err)
	if a.CreatedAt.Location() != time.UTC || !a.CreatedAt.Equal(clock.Now()) {
		t.Errorf("CreatedAt = %v, want the clock's time in UTC", a.CreatedAt)
	}
	r, err := s.UpsertRecord(ctx, store.RecordUpdate{Account: "acme", Process: "p", Reference: "r", Status: store.RecordSuccess, At: time.Date(2026, 1, 1, 12, 0, 0, 0, loc)})
	require.NoError(t, err)
	if r.LastRunAt.Location() != time.UTC {
		t.Errorf("LastRunAt kept zone %v, want UTC", r.LastRunAt.Location())
	}
}

func TestAPIKeySealedAtRest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const key = "Vqt/the-secret-api-key"
	sealer, err := store.NewSealerFromPassphrase("test passphrase, long and random in real use")
	require.NoError(t, err)
	s := memstore.New(memstore.WithSealer(sealer))
	_, err = s.AddAccount(ctx, store.Account{Name: "acme", APIKey: key})
	require.NoError(t, err)
	// The held state never has the key in clear: %#v prints every field.
	if dump := fmt.Sprintf("%#v", s); strings.Contains(dump, key) {
		t.Error("the API key is held in clear despite a sealer")
	}
	got, err := s.GetAccount(ctx, "acme")
	require.NoError(t, err)
	if got.APIKey != key {
		t.Errorf("APIKey = %q, want %q", got.APIKey, key)
	}

	// Without a sealer it is held as given (documented).
	clear := memstore.New()
	_, err = clear.AddAccount(ctx, store.Account{Name: "acme", APIKey: key})
	require.NoError(t, err)
	if dump := fmt.Sprintf("%#v", clear); !strings.Contains(dump, key) {
		t.Error("test cannot see the held state: the sealed check above proves nothing")
	}
}

func TestCancelledContextAndClose(t *testing.T) {
	t.Parallel()
	s := memstore.New()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.AddAccount(ctx, store.Account{Name: "acme"}); !errors.Is(err, context.Canceled) {
		t.Errorf("AddAccount with a cancelled context: err = %v", err)
	}
	require.NoError(t, s.Close())
	if _, err := s.ListAccounts(context.Background()); err == nil {
		t.Error("ListAccounts after Close: no error")
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := memstore.New()
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"account without a name", func() error { _, err := s.AddAccount(ctx, store.Account{}); return err }, "name"},
		{"unknown mode", func() error { _, err := s.AddAccount(ctx, store.Account{Name: "a", Mode: "sideways"}); return err }, "mode"},
		{"claim without a ref", func() error { _, _, err := s.ClaimExport(ctx, store.Export{Account: "a"}); return err }, "reference"},
		{"lease ttl 0", func() error { _, err := s.AcquireLease(ctx, "a", store.Holder{ID: "h"}, 0); return err }, "ttl"},
		{"negative limit", func() error {
			_, err := s.QueryRecords(ctx, store.RecordQuery{Account: "a", Limit: -1})
			return err
		}, "limit"},
		{"record without a process", func() error {
			_, err := s.UpsertRecord(ctx, store.RecordUpdate{Account: "a", Reference: "r"})
			return err
		}, "process"},
		{"customer id 0", func() error { return s.PutCustomerID(ctx, "a", "x@y", 0) }, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
}

// Example shows the quickstart use of memstore: an account, a write-ahead
// claim, and its completion.
func Example() {
	ctx := context.Background()
	s := memstore.New()
	defer s.Close()

	if _, err := s.AddAccount(ctx, store.Account{Name: "acme", APIKey: "Vqt/key"}); err != nil {
		fmt.Println(err)
		return
	}
	e, inserted, _ := s.ClaimExport(ctx, store.Export{Account: "acme", ERPRef: "SO-1", Number: "SO-1", State: store.ExportClaimed})
	fmt.Println("claimed:", inserted)
	_, again, _ := s.ClaimExport(ctx, store.Export{Account: "acme", ERPRef: "SO-1", State: store.ExportClaimed})
	fmt.Println("claimed again:", again)

	e.State, e.VeeqoOrderID = store.ExportExported, 501
	e, _, err := s.CompleteExport(ctx, e,
		store.RecordUpdate{Account: "acme", Process: "export_order", Reference: "SO-1", Status: store.RecordSuccess, Message: "exported", VeeqoOrderID: 501, CountAttempt: true},
		store.LogEntry{Account: "acme", Process: "export_order", Level: store.LevelInfo, Reference: "SO-1", Message: "created Veeqo order 501"})
	fmt.Println(e.State, e.VeeqoOrderID, err)

	// A stale write loses.
	e.Version--
	_, err = s.UpdateExport(ctx, e)
	fmt.Println(errors.Is(err, store.ErrConflict))

	rec, _ := s.GetRecord(ctx, "acme", "export_order", "SO-1")
	fmt.Println(rec.Status, rec.Attempts)
	// Output:
	// claimed: true
	// claimed again: false
	// exported 501 <nil>
	// true
	// success 1
}
