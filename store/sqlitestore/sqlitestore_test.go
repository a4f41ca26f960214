package sqlitestore_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
)

func TestOpenRejectsBadArguments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		opts []sqlitestore.Option
		want string
	}{
		{"empty path", "", nil, "path is empty"},
		{"memory", ":memory:", nil, "file path"},
		{"uri", "file:x.db", nil, "file path"},
		{"nil clock", filepath.Join(dir, "a.db"), []sqlitestore.Option{sqlitestore.WithClock(nil)}, "clock is nil"},
		{"nil logger", filepath.Join(dir, "b.db"), []sqlitestore.Option{sqlitestore.WithLogger(nil)}, "logger is nil"},
		{"missing directory", filepath.Join(dir, "no", "such", "dir", "c.db"), nil, "open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := sqlitestore.Open(t.Context(), tt.path, tt.opts...)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tt.path)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open(%q) = %v, want an error mentioning %q", tt.path, err, tt.want)
			}
		})
	}
}

// TestReopenKeepsState writes through one Store, closes it and reads through
// a new one on the same file.
func TestReopenKeepsState(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := sqlitestore.Open(ctx, path)
	require.NoError(t, err)
	want, _, err := s.ClaimExport(ctx, store.Export{Account: "acme", ERPRef: "SO-1", Number: "SO-1",
		Lines: []store.LineLink{{ERPLine: "1", SellableID: 5, SKU: "X", Quantity: 2}}})
	require.NoError(t, err)
	logs, err := s.AppendLogs(ctx, store.LogEntry{Account: "acme", Message: "one"})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "a second Close")
	_, err = s.GetExport(ctx, "acme", "SO-1")
	if !errors.Is(err, sqlitestore.ErrClosed) {
		t.Errorf("GetExport on a closed store: err = %v, want ErrClosed", err)
	}

	s2 := reopen(t, path)
	got, err := s2.GetExport(ctx, "acme", "SO-1")
	require.NoError(t, err)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("export after reopen (-want +got):\n%s", d)
	}
	more, err := s2.AppendLogs(ctx, store.LogEntry{Account: "acme", Message: "two"})
	require.NoError(t, err)
	if more[0].Seq <= logs[0].Seq {
		t.Errorf("Seq after reopen = %d, want > %d", more[0].Seq, logs[0].Seq)
	}
}

func reopen(t *testing.T, path string, opts ...sqlitestore.Option) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(t.Context(), path, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// TestAPIKeySealedAtRest looks at the raw file: with a sealer the key is not
// there in clear; without the sealer, or with another key, it cannot be read,
// and the errors do not leak it.
func TestAPIKeySealedAtRest(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const secret = "Vqt/TOP-SECRET-0123456789"
	path := filepath.Join(t.TempDir(), "sealed.db")
	key := bytes.Repeat([]byte{7}, store.SealerKeySize)
	sealer, err := store.NewSealer(key)
	require.NoError(t, err)

	s := reopen(t, path, sqlitestore.WithSealer(sealer))
	_, err = s.AddAccount(ctx, store.Account{Name: "acme", APIKey: secret})
	require.NoError(t, err)
	got, err := s.GetAccount(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, secret, got.APIKey)
	require.NoError(t, s.Close())

	var raw string
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	require.NoError(t, db.QueryRowContext(ctx, `SELECT api_key FROM accounts WHERE name = 'acme'`).Scan(&raw))
	require.NoError(t, db.Close())
	if strings.Contains(raw, secret) || !strings.HasPrefix(raw, store.SealedPrefix) {
		t.Errorf("stored api_key = %q, want a sealed value", raw)
	}
	for _, name := range []string{"sealed.db", "sealed.db-wal"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(path), name))
		if err == nil && bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s contains the API key in clear", name)
		}
	}

	other, err := store.NewSealer(bytes.Repeat([]byte{8}, store.SealerKeySize))
	require.NoError(t, err)
	for _, tt := range []struct {
		name string
		opts []sqlitestore.Option
	}{{"no sealer", nil}, {"another key", []sqlitestore.Option{sqlitestore.WithSealer(other)}}} {
		s := reopen(t, path, tt.opts...)
		_, err := s.GetAccount(ctx, "acme")
		if !errors.Is(err, store.ErrSealed) {
			t.Errorf("%s: GetAccount err = %v, want store.ErrSealed", tt.name, err)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error contains the API key", tt.name)
		}
		_, err = s.ListAccounts(ctx)
		if !errors.Is(err, store.ErrSealed) {
			t.Errorf("%s: ListAccounts err = %v, want store.ErrSealed", tt.name, err)
		}
		require.NoError(t, s.Close())
	}
}

// TestClearKeysSealedOnOpen: a key stored without a sealer is sealed when
// the file is next opened with one, without changing the account's version.
func TestClearKeysSealedOnOpen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const secret = "v1:a-clear-key-that-looks-sealed"
	path := filepath.Join(t.TempDir(), "upgrade.db")
	s := reopen(t, path)
	added, err := s.AddAccount(ctx, store.Account{Name: "acme", APIKey: secret})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	sealer, err := store.NewSealerFromPassphrase("a long random generated passphrase 8c2f")
	require.NoError(t, err)
	s = reopen(t, path, sqlitestore.WithSealer(sealer))
	got, err := s.GetAccount(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, secret, got.APIKey)
	require.Equal(t, added.Version, got.Version)
	require.NoError(t, s.Close())

	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	var raw string
	var sealed int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT api_key, api_key_sealed FROM accounts`).Scan(&raw, &sealed))
	if sealed != 1 || raw == secret {
		t.Errorf("after opening WithSealer: api_key_sealed = %d, key stored in clear: %v", sealed, raw == secret)
	}
}

// TestInvalidInput checks that bad arguments get ErrInvalid naming the
// field, before anything is written.
func TestInvalidInput(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()
	farFuture := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"AddAccount without name", func() error { _, err := s.AddAccount(ctx, store.Account{}); return err }, "account name is empty"},
		{"AddAccount bad mode", func() error { _, err := s.AddAccount(ctx, store.Account{Name: "a", Mode: "sideways"}); return err }, "mode"},
		{"AddAccount bad settings", func() error {
			_, err := s.AddAccount(ctx, store.Account{Name: "a", Settings: []byte("{not json")})
			return err
		}, "Settings is not valid JSON"},
		{"SetMode bad mode", func() error { _, err := s.SetMode(ctx, "a", store.ModeNone, "up"); return err }, "to mode"},
		{"ClaimExport without account", func() error { _, _, err := s.ClaimExport(ctx, store.Export{ERPRef: "SO-1"}); return err }, "Account is empty"},
		{"ClaimExport without ref", func() error { _, _, err := s.ClaimExport(ctx, store.Export{Account: "a"}); return err }, "ERPRef is empty"},
		{"ClaimExport bad state", func() error {
			_, _, err := s.ClaimExport(ctx, store.Export{Account: "a", ERPRef: "SO-1", State: "done"})
			return err
		}, "State"},
		{"ClaimExport time out of range", func() error {
			_, _, err := s.ClaimExport(ctx, store.Export{Account: "a", ERPRef: "SO-1", ExportedAt: farFuture})
			return err
		}, "ExportedAt"},
		{"ListExports without account", func() error { _, err := s.ListExports(ctx, store.ExportQuery{}); return err }, "Account is empty"},
		{"ListExports negative limit", func() error { _, err := s.ListExports(ctx, store.ExportQuery{Account: "a", Limit: -1}); return err }, "Limit"},
		{"RecordShipment zero id", func() error {
			_, _, err := s.RecordShipment(ctx, store.AppliedShipment{Account: "a"})
			return err
		}, "ShipmentID"},
		{"RecordShipment bad update", func() error {
			_, _, err := s.RecordShipment(ctx, store.AppliedShipment{Account: "a", ShipmentID: 1, Update: []byte("nope")})
			return err
		}, "Update is not valid JSON"},
		{"SetCursor without stream", func() error { _, err := s.SetCursor(ctx, store.Cursor{Account: "a"}); return err }, "Stream is empty"},
		{"AcquireLease zero ttl", func() error { _, err := s.AcquireLease(ctx, "a", store.Holder{ID: "h"}, 0); return err }, "ttl"},
		{"AcquireLease without holder", func() error { _, err := s.AcquireLease(ctx, "a", store.Holder{ID: ""}, time.Second); return err }, "holder ID is empty"},
		{"UpsertRecord bad status", func() error {
			_, err := s.UpsertRecord(ctx, store.RecordUpdate{Account: "a", Process: "p", Reference: "r", Status: "meh"})
			return err
		}, "Status"},
		{"UpsertRecord without process", func() error {
			_, err := s.UpsertRecord(ctx, store.RecordUpdate{Account: "a", Reference: "r", Status: store.RecordSuccess})
			return err
		}, "Process is empty"},
		{"QueryRecords garbage cursor", func() error {
			_, err := s.QueryRecords(ctx, store.RecordQuery{Account: "a", After: "%%%"})
			return err
		}, "After"},
		{"QueryRecords with a log cursor", func() error {
			_, err := s.QueryRecords(ctx, store.RecordQuery{Account: "a", After: logCursor(t, s)})
			return err
		}, "After"},
		{"AppendLogs bad level", func() error { _, err := s.AppendLogs(ctx, store.LogEntry{Account: "a", Level: "debug"}); return err }, "Level"},
		{"AppendLogs without account", func() error { _, err := s.AppendLogs(ctx, store.LogEntry{Message: "m"}); return err }, "Account is empty"},
		{"QueryLogs garbage cursor", func() error { _, err := s.QueryLogs(ctx, store.LogQuery{Account: "a", Before: "x"}); return err }, "Before"},
		{"StartRun without id", func() error { _, err := s.StartRun(ctx, store.Run{Account: "a"}); return err }, "ID is empty"},
		{"FinishRun bad status", func() error { _, err := s.FinishRun(ctx, store.Run{ID: "r", Status: "meh"}); return err }, "Status"},
		{"PutCustomerID zero id", func() error { return s.PutCustomerID(ctx, "a", "x@y.test", 0) }, "customer id"},
		{"SaveNotifyState without name", func() error { return s.SaveNotifyState(ctx, "a", "", nil, 0) }, "name is empty"},
	}
	for _, tt := range tests {
		err := tt.call()
		if !errors.Is(err, sqlitestore.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", tt.name, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %q, want it to mention %q", tt.name, err, tt.want)
		}
	}
	// Nothing was written by the refused calls.
	accts, err := s.ListAccounts(ctx)
	require.NoError(t, err)
	exps, err := s.ListExports(ctx, store.ExportQuery{Account: "a"})
	require.NoError(t, err)
	if len(accts) != 0 || len(exps) != 0 {
		t.Errorf("refused calls wrote %d accounts and %d exports", len(accts), len(exps))
	}
}

// logCursor returns a genuine Next cursor of QueryLogs (account "cursor").
func logCursor(t *testing.T, s *sqlitestore.Store) string {
	t.Helper()
	_, err := s.AppendLogs(t.Context(), store.LogEntry{Account: "cursor", Message: "1"}, store.LogEntry{Account: "cursor", Message: "2"})
	require.NoError(t, err)
	page, err := s.QueryLogs(t.Context(), store.LogQuery{Account: "cursor", Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, page.Next)
	return page.Next
}

// TestLeaseExpiryWithClock drives lease expiry with WithClock, two Stores on
// one file sharing the clock, as two processes share the machine's.
func TestLeaseExpiryWithClock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var now atomic.Int64
	now.Store(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	path := filepath.Join(t.TempDir(), "lease.db")
	a := reopen(t, path, sqlitestore.WithClock(clock))
	b := reopen(t, path, sqlitestore.WithClock(clock))

	l1, err := a.AcquireLease(ctx, "acme", store.Holder{ID: "a"}, time.Minute)
	require.NoError(t, err)
	sameTime(t, clock().Add(time.Minute), l1.ExpiresAt)

	now.Add(int64(59 * time.Second))
	_, err = b.AcquireLease(ctx, "acme", store.Holder{ID: "b"}, time.Minute)
	require.ErrorIs(t, err, store.ErrLeaseHeld, "1 s before expiry")

	now.Add(int64(time.Second))
	l2, err := b.AcquireLease(ctx, "acme", store.Holder{ID: "b"}, time.Minute)
	require.NoError(t, err, "at expiry")
	require.Greater(t, l2.Token, l1.Token)
	sameTime(t, clock(), l2.AcquiredAt)

	_, err = a.RenewLease(ctx, l1, time.Minute)
	require.ErrorIs(t, err, store.ErrLeaseLost)

	// An expired lease nobody took is still its holder's to renew.
	now.Add(int64(2 * time.Minute))
	l3, err := b.RenewLease(ctx, l2, time.Minute)
	require.NoError(t, err)
	require.Equal(t, l2.Token, l3.Token)
	sameTime(t, clock().Add(time.Minute), l3.ExpiresAt)
}

func sameTime(t *testing.T, want, got time.Time) {
	t.Helper()
	if !want.Equal(got) {
		t.Errorf("time = %s, want %s", got, want)
	}
}

// TestWaitsForAnotherWriter holds the write lock on another connection (as
// another process would) and checks that a write waits for it, and gives up
// when its context ends.
func TestWaitsForAnotherWriter(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "busy.db")
	s := reopen(t, path)

	other, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	defer other.Close()
	conn, err := other.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err = s.ClaimExport(short, store.Export{Account: "acme", ERPRef: "SO-1"})
	if err == nil {
		t.Fatal("ClaimExport succeeded while another connection held the write lock")
	}
	if waited := time.Since(start); waited > 3*time.Second {
		t.Errorf("ClaimExport gave up after %v, want soon after its 100ms context", waited)
	}
	// Nor does a multi-statement write get through.
	short2, cancel2 := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel2()
	_, err = s.AppendLogs(short2, store.LogEntry{Account: "acme"}, store.LogEntry{Account: "acme"})
	require.Error(t, err)

	// A write waiting when the lock is released goes through.
	done := make(chan error, 1)
	go func() {
		_, _, err := s.ClaimExport(ctx, store.Export{Account: "acme", ERPRef: "SO-2"})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	_, err = conn.ExecContext(ctx, "COMMIT")
	require.NoError(t, err)
	require.NoError(t, <-done, "ClaimExport after the other writer committed")

	_, err = s.GetExport(ctx, "acme", "SO-1")
	require.ErrorIs(t, err, store.ErrNotFound, "the timed-out claim must not have been written")
}

// TestCancelledContext: a done context fails a write at once and writes
// nothing.
func TestCancelledContext(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := s.ClaimExport(ctx, store.Export{Account: "acme", ERPRef: "SO-1"})
	require.ErrorIs(t, err, context.Canceled)
	e, _, err := s.ClaimExport(t.Context(), store.Export{Account: "acme", ERPRef: "SO-1"})
	require.NoError(t, err)
	e.State = store.ExportExported
	_, _, err = s.CompleteExport(ctx, e, store.RecordUpdate{Account: "acme", Process: "p", Reference: "SO-1", Status: store.RecordSuccess})
	require.ErrorIs(t, err, context.Canceled)
	got, err := s.GetExport(t.Context(), "acme", "SO-1")
	require.NoError(t, err)
	require.Equal(t, store.ExportClaimed, got.State)
}

// TestPurgeLogsInBatches purges more entries than one batch deletes, and
// checks that Seq keeps increasing after everything was purged.
func TestPurgeLogsInBatches(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t)
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 4500
	entries := make([]store.LogEntry, n)
	for i := range entries {
		entries[i] = store.LogEntry{Account: fmt.Sprint("acct-", i%3), Message: fmt.Sprint(i), Time: old.Add(time.Duration(i) * time.Second)}
	}
	got, err := s.AppendLogs(ctx, entries...)
	require.NoError(t, err)
	last := got[n-1].Seq

	cut := old.Add(3000 * time.Second) // entries 0..2999 are older
	purged, err := s.PurgeLogs(ctx, cut)
	require.NoError(t, err)
	require.EqualValues(t, 3000, purged)
	page, err := s.QueryLogs(ctx, store.LogQuery{Account: "acct-0", Limit: 1000})
	require.NoError(t, err)
	require.Len(t, page.Entries, 500)
	for _, e := range page.Entries {
		require.False(t, e.Time.Before(cut), "entry %d at %s survived the purge", e.Seq, e.Time)
	}

	purged, err = s.PurgeLogs(ctx, old.Add(24*time.Hour))
	require.NoError(t, err)
	require.EqualValues(t, 1500, purged)
	again, err := s.AppendLogs(ctx, store.LogEntry{Account: "acct-0", Message: "after"})
	require.NoError(t, err)
	require.Greater(t, again[0].Seq, last, "Seq after purging everything")
}

// TestSearchIsCaseInsensitiveBeyondASCII: the search folds like Go does.
func TestSearchIsCaseInsensitiveBeyondASCII(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t)
	_, err := s.UpsertRecord(ctx, store.RecordUpdate{Account: "a", Process: "p", Reference: "ÄRGER-1", Status: store.RecordError, Message: "Straße gesperrt"})
	require.NoError(t, err)
	_, err = s.AppendLogs(ctx, store.LogEntry{Account: "a", Reference: "ÄRGER-1", Message: "Straße gesperrt"})
	require.NoError(t, err)
	for _, q := range []string{"ärger", "STRASSE", "straße", "GESPERRT", "100%"} {
		want := q != "STRASSE" && q != "100%" // ToLower does not fold ß to ss; % is no wildcard
		page, err := s.QueryRecords(ctx, store.RecordQuery{Account: "a", Search: q})
		require.NoError(t, err)
		if got := len(page.Records) == 1; got != want {
			t.Errorf("QueryRecords Search %q matched %v, want %v", q, got, want)
		}
		logs, err := s.QueryLogs(ctx, store.LogQuery{Account: "a", Search: q})
		require.NoError(t, err)
		if got := len(logs.Entries) == 1; got != want {
			t.Errorf("QueryLogs Search %q matched %v, want %v", q, got, want)
		}
	}
}

// TestConcurrentStoresOneFile races two Stores (separate connection pools,
// as two processes would have) for the same claims.
func TestConcurrentStoresOneFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "two.db")
	stores := []*sqlitestore.Store{reopen(t, path), reopen(t, path)}
	const refs, workers = 50, 4
	var (
		mu   sync.Mutex
		wins = map[string]int{}
		wg   sync.WaitGroup
	)
	for w := range workers {
		s := stores[w%2]
		wg.Go(func() {
			for r := range refs {
				ref := fmt.Sprintf("SO-%03d", r)
				_, inserted, err := s.ClaimExport(ctx, store.Export{Account: "acme", ERPRef: ref, Number: fmt.Sprint(w)})
				if err != nil {
					t.Errorf("worker %d: ClaimExport %s: %v", w, ref, err)
					return
				}
				if inserted {
					mu.Lock()
					wins[ref]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for r := range refs {
		ref := fmt.Sprintf("SO-%03d", r)
		if wins[ref] != 1 {
			t.Errorf("%s: %d winners, want 1", ref, wins[ref])
		}
	}
}

// TestLogger: migrations and key sealing are logged to the given logger,
// and the API key never is.
func TestLogger(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const secret = "Vqt/never-in-a-log-42"
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	path := filepath.Join(t.TempDir(), "log.db")
	s := reopen(t, path, sqlitestore.WithLogger(logger))
	_, err := s.AddAccount(ctx, store.Account{Name: "acme", APIKey: secret})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	sealer, err := store.NewSealer(bytes.Repeat([]byte{1}, store.SealerKeySize))
	require.NoError(t, err)
	s = reopen(t, path, sqlitestore.WithLogger(logger), sqlitestore.WithSealer(sealer))
	_, err = s.GetAccount(ctx, "acme")
	require.NoError(t, err)

	out := buf.String()
	for _, want := range []string{"schema migrated", "sealed API keys stored in clear"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, secret) {
		t.Errorf("the log contains the API key:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
