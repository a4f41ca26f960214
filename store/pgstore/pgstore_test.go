package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/pgstore"
)

func TestOpenRejectsBadInput(t *testing.T) {
	t.Parallel()
	const password = "s3cret-pw-never-shown"
	tests := []struct {
		name string
		dsn  string
		opts []pgstore.Option
		want string
	}{
		{"empty DSN", "", nil, "DSN is empty"},
		{"unparsable DSN", "postgres://u:" + password + "@127.0.0.1:5432/db?sslmode=bogus", nil, "does not parse"},
		{"empty schema", "postgres://127.0.0.1/db", []pgstore.Option{pgstore.WithSchema("")}, "schema name is empty"},
		{"long schema", "postgres://127.0.0.1/db", []pgstore.Option{pgstore.WithSchema(strings.Repeat("s", 64))}, "63-byte"},
		{"nil clock", "postgres://127.0.0.1/db", []pgstore.Option{pgstore.WithClock(nil)}, "clock is nil"},
		{"nil logger", "postgres://127.0.0.1/db", []pgstore.Option{pgstore.WithLogger(nil)}, "logger is nil"},
		// Port 1 refuses at once: the connection error must not quote the
		// password either.
		{"unreachable server", "postgres://u:" + password + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=5", nil, "migrate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := pgstore.Open(t.Context(), tt.dsn, tt.opts...)
			require.Error(t, err)
			require.Nil(t, s)
			require.Contains(t, err.Error(), tt.want)
			require.NotContains(t, err.Error(), password)
		})
	}
}

func TestNewNilPool(t *testing.T) {
	t.Parallel()
	_, err := pgstore.New(t.Context(), nil)
	require.ErrorContains(t, err, "pool is nil")
}

// TestOpenConcurrentMigrations opens one fresh schema from several pools at
// once: the advisory lock must let exactly one migrate and the others find
// the schema complete.
func TestOpenConcurrentMigrations(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	schema := newSchema(t)
	const openers = 4
	stores := make([]*pgstore.Store, openers)
	errs := make(chan error, openers)
	start := make(chan struct{})
	for i := range openers {
		go func() {
			<-start
			s, err := pgstore.Open(t.Context(), dsn, pgstore.WithSchema(schema))
			stores[i] = s
			errs <- err
		}()
	}
	close(start)
	for range openers {
		require.NoError(t, <-errs)
	}
	for _, s := range stores {
		t.Cleanup(func() { _ = s.Close() })
	}
	// Each opener's store works, and the migration was recorded once.
	_, err := stores[0].AddAccount(t.Context(), store.Account{Name: "a"})
	require.NoError(t, err)
	got, err := stores[openers-1].GetAccount(t.Context(), "a")
	require.NoError(t, err)
	require.Equal(t, "a", got.Name)

	conn := newPool(t, 1)
	var versions []int
	rows, err := conn.Query(t.Context(), "SELECT version FROM "+pgx.Identifier{schema}.Sanitize()+".schema_migrations ORDER BY version")
	require.NoError(t, err)
	versions, err = pgx.CollectRows(rows, pgx.RowTo[int])
	require.NoError(t, err)
	// Every step of the schema, each recorded once.
	if d := cmp.Diff([]int{1, 2, 3}, versions); d != "" {
		t.Errorf("schema_migrations (-want +got):\n%s", d)
	}
	require.Equal(t, schema, stores[0].Schema())
}

// TestLeaseExpiry drives the store's clock: expiry, takeover with a higher
// token, the old holder's renew and release refused, and re-acquisition
// after release.
func TestLeaseExpiry(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	s := newStore(t, pgstore.WithClock(clock.Now))
	ctx := t.Context()
	const ttl = 10 * time.Second

	a, err := s.AcquireLease(ctx, "acct", store.Holder{ID: "A"}, ttl)
	require.NoError(t, err)
	require.Equal(t, clock.Now().Add(ttl), a.ExpiresAt)

	_, err = s.AcquireLease(ctx, "acct", store.Holder{ID: "B"}, ttl)
	require.ErrorIs(t, err, store.ErrLeaseHeld)

	clock.Advance(ttl - time.Millisecond)
	_, err = s.AcquireLease(ctx, "acct", store.Holder{ID: "B"}, ttl)
	require.ErrorIs(t, err, store.ErrLeaseHeld, "one millisecond before expiry")

	clock.Advance(time.Millisecond)
	b, err := s.AcquireLease(ctx, "acct", store.Holder{ID: "B"}, ttl)
	require.NoError(t, err, "at expiry")
	require.Greater(t, b.Token, a.Token)

	_, err = s.RenewLease(ctx, a, ttl)
	require.ErrorIs(t, err, store.ErrLeaseLost)
	require.ErrorIs(t, s.ReleaseLease(ctx, a), store.ErrLeaseLost)

	// B extends its own lease, keeping the token.
	clock.Advance(time.Second)
	b2, err := s.AcquireLease(ctx, "acct", store.Holder{ID: "B"}, ttl)
	require.NoError(t, err)
	require.Equal(t, b.Token, b2.Token)
	require.Equal(t, b.AcquiredAt, b2.AcquiredAt)
	require.Equal(t, clock.Now().Add(ttl), b2.ExpiresAt)

	// Renewing an expired lease no one took succeeds.
	clock.Advance(time.Hour)
	b3, err := s.RenewLease(ctx, b2, ttl)
	require.NoError(t, err)
	require.Equal(t, clock.Now().Add(ttl), b3.ExpiresAt)

	require.NoError(t, s.ReleaseLease(ctx, b3))
	require.ErrorIs(t, s.ReleaseLease(ctx, b3), store.ErrLeaseLost)
	_, err = s.RenewLease(ctx, b3, ttl)
	require.ErrorIs(t, err, store.ErrLeaseLost)

	// After a release even the same holder gets a new token.
	b4, err := s.AcquireLease(ctx, "acct", store.Holder{ID: "B"}, ttl)
	require.NoError(t, err)
	require.Greater(t, b4.Token, b3.Token)

	_, err = s.AcquireLease(ctx, "acct", store.Holder{ID: "C"}, 0)
	require.ErrorContains(t, err, "ttl")
}

// TestSealedAtRest checks that API keys are sealed in the table, opened on
// read, and that a store without the key refuses them without quoting them.
func TestSealedAtRest(t *testing.T) {
	t.Parallel()
	const apiKey = "Vqt/very-secret-api-key"
	sealer, err := store.NewSealer([]byte(strings.Repeat("k", store.SealerKeySize)))
	require.NoError(t, err)
	schema := newSchema(t)
	pool := newPool(t, 2)
	s, err := pgstore.New(t.Context(), pool, pgstore.WithSchema(schema), pgstore.WithSealer(sealer))
	require.NoError(t, err)
	ctx := t.Context()

	added, err := s.AddAccount(ctx, store.Account{Name: "acct", APIKey: apiKey})
	require.NoError(t, err)
	require.Equal(t, apiKey, added.APIKey)
	got, err := s.GetAccount(ctx, "acct")
	require.NoError(t, err)
	require.Equal(t, apiKey, got.APIKey)

	var raw string
	require.NoError(t, pool.QueryRow(ctx, "SELECT api_key FROM "+pgx.Identifier{schema}.Sanitize()+".accounts").Scan(&raw))
	require.True(t, strings.HasPrefix(raw, store.SealedPrefix), "stored key %q is not sealed", raw)
	require.NotContains(t, raw, apiKey)

	clear, err := pgstore.New(ctx, pool, pgstore.WithSchema(schema))
	require.NoError(t, err)
	_, err = clear.GetAccount(ctx, "acct")
	require.ErrorIs(t, err, store.ErrSealed)
	require.NotContains(t, err.Error(), apiKey)
	require.NotContains(t, err.Error(), raw)
	_, err = clear.ListAccounts(ctx)
	require.ErrorIs(t, err, store.ErrSealed)

	// A clear key is kept verbatim, even one that looks sealed, and a store
	// with a sealer refuses it rather than taking it for a sealed one.
	const lookalike = store.SealedPrefix + "not-sealed-at-all"
	_, err = clear.AddAccount(ctx, store.Account{Name: "clear", APIKey: lookalike})
	require.NoError(t, err)
	got, err = clear.GetAccount(ctx, "clear")
	require.NoError(t, err)
	require.Equal(t, lookalike, got.APIKey)
	_, err = s.GetAccount(ctx, "clear")
	require.ErrorIs(t, err, store.ErrSealed)
	require.NotContains(t, err.Error(), lookalike)
}

// TestTwoMachines races two separate pools, standing for two machines, for
// the same claims, shipment and lease: exactly one caller wins each.
func TestTwoMachines(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	var machines [2]*pgstore.Store
	for i := range machines {
		s, err := pgstore.New(t.Context(), newPool(t, 4), pgstore.WithSchema(schema))
		require.NoError(t, err)
		machines[i] = s
	}
	ctx := t.Context()
	const callers = 16 // per round, split over the two machines
	const rounds = 5

	for round := range rounds {
		ref := fmt.Sprintf("SO-%d", round)
		var claims, shipments, leases atomic.Int32
		errs := make(chan error, 3*callers)
		start := make(chan struct{})
		for i := range callers {
			s := machines[i%2]
			go func() {
				<-start
				_, inserted, err := s.ClaimExport(ctx, store.Export{Account: "acct", ERPRef: ref, Number: fmt.Sprintf("n-%d", i)})
				if inserted {
					claims.Add(1)
				}
				errs <- err
				_, inserted, err = s.RecordShipment(ctx, store.AppliedShipment{Account: "acct", ShipmentID: int64(round + 1), ERPRef: ref})
				if inserted {
					shipments.Add(1)
				}
				errs <- err
				_, err = s.AcquireLease(ctx, ref, store.Holder{ID: fmt.Sprintf("holder-%d", i)}, time.Minute)
				if err == nil {
					leases.Add(1)
				} else if errors.Is(err, store.ErrLeaseHeld) {
					err = nil
				}
				errs <- err
			}()
		}
		close(start)
		for range 3 * callers {
			require.NoError(t, <-errs)
		}
		require.EqualValues(t, 1, claims.Load(), "round %d: claims that inserted", round)
		require.EqualValues(t, 1, shipments.Load(), "round %d: shipments that inserted", round)
		require.EqualValues(t, 1, leases.Load(), "round %d: lease holders", round)
	}
	// Both machines see the one claim of each order.
	for _, s := range machines {
		got, err := s.ListExports(ctx, store.ExportQuery{Account: "acct"})
		require.NoError(t, err)
		require.Len(t, got, rounds)
	}
}

// TestCompleteExportAtomic makes the last write of CompleteExport fail in
// the database (a NUL byte PostgreSQL refuses in text) and checks that the
// export, the record and the logs all stayed as they were.
func TestCompleteExportAtomic(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()
	e, inserted, err := s.ClaimExport(ctx, store.Export{Account: "acct", ERPRef: "SO-1", Number: "SO-1"})
	require.NoError(t, err)
	require.True(t, inserted)

	done := e
	done.State, done.VeeqoOrderID = store.ExportExported, 777
	rec := store.RecordUpdate{Process: "export_order", Reference: "SO-1", Status: store.RecordSuccess, RunID: "r1"}
	bad := store.LogEntry{Account: "acct", Level: store.LevelInfo, Message: "bad \x00 byte"}
	_, _, err = s.CompleteExport(ctx, done, rec, store.LogEntry{Account: "acct", Level: store.LevelInfo, Message: "ok"}, bad)
	require.Error(t, err)

	got, err := s.GetExport(ctx, "acct", "SO-1")
	require.NoError(t, err)
	if d := cmp.Diff(e, got); d != "" {
		t.Errorf("export changed by a failed CompleteExport (-want +got):\n%s", d)
	}
	_, err = s.GetRecord(ctx, "acct", "export_order", "SO-1")
	require.ErrorIs(t, err, store.ErrNotFound)
	page, err := s.QueryLogs(ctx, store.LogQuery{Account: "acct"})
	require.NoError(t, err)
	require.Empty(t, page.Entries)

	// The same call without the bad entry lands all three; its record takes
	// the export's account.
	out, _, err := s.CompleteExport(ctx, done, rec, store.LogEntry{Account: "acct", Level: store.LevelInfo, Message: "ok"})
	require.NoError(t, err)
	require.Equal(t, e.Version+1, out.Version)
	require.False(t, out.ExportedAt.IsZero(), "ExportedAt stamped on export")
	r, err := s.GetRecord(ctx, "acct", "export_order", "SO-1")
	require.NoError(t, err)
	require.Equal(t, store.RecordSuccess, r.Status)
	page, err = s.QueryLogs(ctx, store.LogQuery{Account: "acct"})
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)

	// A stale version changes nothing.
	_, _, err = s.CompleteExport(ctx, done, rec, store.LogEntry{Account: "acct", Level: store.LevelInfo, Message: "again"})
	require.ErrorIs(t, err, store.ErrConflict)
	page, err = s.QueryLogs(ctx, store.LogQuery{Account: "acct"})
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
}

// TestLogCatchUp appends from many goroutines while a reader catches up by
// AfterSeq: the reader must see every entry exactly once, in Seq order.
func TestLogCatchUp(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()
	const writers, perWriter = 4, 25
	// AfterSeq 0 means "newest first", so the reader starts after a seed.
	seed, err := s.AppendLogs(ctx, store.LogEntry{Account: "acct", Level: store.LevelInfo, Message: "seed"})
	require.NoError(t, err)
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			for i := range perWriter {
				_, err := s.AppendLogs(ctx,
					store.LogEntry{Account: "acct", Level: store.LevelInfo, Message: fmt.Sprintf("w%d-%d-a", w, i)},
					store.LogEntry{Account: "acct", Level: store.LevelInfo, Message: fmt.Sprintf("w%d-%d-b", w, i)})
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	seen := map[string]bool{}
	last := seed[0].Seq
	finished := 0
	for finished < writers || len(seen) < 2*writers*perWriter {
		select {
		case err := <-errs:
			require.NoError(t, err)
			finished++
		default:
		}
		page, err := s.QueryLogs(ctx, store.LogQuery{Account: "acct", AfterSeq: last, Limit: 7})
		require.NoError(t, err)
		for _, e := range page.Entries {
			require.Greater(t, e.Seq, last)
			last = e.Seq
			require.False(t, seen[e.Message], "entry %q seen twice", e.Message)
			seen[e.Message] = true
			// The pair of one append is adjacent.
			if strings.HasSuffix(e.Message, "-b") {
				require.True(t, seen[strings.TrimSuffix(e.Message, "-b")+"-a"], "%q before its -a", e.Message)
			}
		}
		if finished == writers && len(page.Entries) == 0 {
			break
		}
	}
	require.Len(t, seen, 2*writers*perWriter)
}

func TestBadCursor(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	_, err := s.QueryRecords(t.Context(), store.RecordQuery{Account: "acct", After: "not-a-cursor"})
	require.ErrorContains(t, err, "cursor")
	_, err = s.QueryLogs(t.Context(), store.LogQuery{Account: "acct", Before: "%%%"})
	require.ErrorContains(t, err, "cursor")
}

// TestMigrationsVersioned checks that a schema is migrated once, that a
// reopen applies nothing, that a schema newer than the code is refused,
// and that an awkward schema name is quoted, not spliced.
func TestMigrationsVersioned(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	ctx := t.Context()
	schema := newSchema(t) + `_Odd "name"; --`
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	})

	open := func() (*pgstore.Store, string, error) {
		var buf strings.Builder
		logger := slog.New(slog.NewTextHandler(&buf, nil))
		s, err := pgstore.Open(ctx, dsn, pgstore.WithSchema(schema), pgstore.WithLogger(logger))
		if err == nil {
			t.Cleanup(func() { _ = s.Close() })
		}
		return s, buf.String(), err
	}
	s1, log1, err := open()
	require.NoError(t, err)
	require.Contains(t, log1, "migration applied")
	require.Contains(t, log1, "version=1")
	_, err = s1.AddAccount(ctx, store.Account{Name: "a", APIKey: "Vqt/secret"})
	require.NoError(t, err)
	require.NotContains(t, log1, "Vqt/secret")

	s2, log2, err := open()
	require.NoError(t, err)
	require.NotContains(t, log2, "migration applied")
	got, err := s2.GetAccount(ctx, "a")
	require.NoError(t, err, "a reopen keeps the data")
	require.Equal(t, "Vqt/secret", got.APIKey)

	conn := newPool(t, 1)
	_, err = conn.Exec(ctx, "INSERT INTO "+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+" (version, name) VALUES (999, 'future')")
	require.NoError(t, err)
	_, _, err = open()
	require.ErrorContains(t, err, "newer than this code")
}
