package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"

	"github.com/xoroerp/veeqoconnect/store"
)

// Errors of this package, besides the store.Err* sentinels every method
// returns. Match them with errors.Is.
var (
	// ErrInvalid: an argument is missing or malformed (an empty account
	// name, an unknown state, a negative limit, a foreign paging cursor...).
	// The error's text names the field.
	ErrInvalid = errors.New("invalid argument")
	// ErrSchemaTooNew: the database file was migrated by a newer build of
	// this package than the running one; it is left untouched.
	ErrSchemaTooNew = errors.New("database schema is newer than this build")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store is closed")
)

// SQLite primary result codes (the low byte of an extended code).
const (
	codeBusy   = 5 // SQLITE_BUSY
	codeLocked = 6 // SQLITE_LOCKED
)

// Tuning.
//
// A checkpoint (copying the WAL back into the file) is the only write that
// syncs to disk under synchronous=NORMAL, twice; on a busy disk a sync takes
// milliseconds. SQLite's default, a checkpoint every 1000 WAL pages, meant
// one about every 100 orders exported; walAutoCkptPage makes them 8 times
// rarer.
//
// busyTimeout is how long SQLite itself waits for another connection's (or
// process's) lock before it reports SQLITE_BUSY; on top of that a busy
// operation is retried maxAttempts times in all, with a backoff that ends
// when the context does.
const (
	busyTimeout     = 5 * time.Second
	maxAttempts     = 5
	retryBaseDelay  = 10 * time.Millisecond
	readerConns     = 4
	mmapSize        = 64 << 20
	cacheSizePages  = -8000    // negative: KiB, i.e. about 8 MB per connection
	walAutoCkptPage = 8000     // about 32 MB of WAL between checkpoints
	walSizeLimit    = 32 << 20 // the WAL is truncated to this after a checkpoint
)

// Store is a store.Store kept in one SQLite file. Open it with Open; it is
// safe for concurrent use by many goroutines and by several processes that
// open the same file on one machine (see the package documentation).
type Store struct {
	path   string
	wdb    *sql.DB // one connection for every write (BEGIN IMMEDIATE or autocommit)
	rdb    *sql.DB // a small pool of read-only connections
	wstmts map[string]*sql.Stmt
	rstmts map[string]*sql.Stmt
	sealer *store.Sealer
	log    *slog.Logger
	now    func() time.Time
	closed atomic.Bool
}

var _ store.Store = (*Store)(nil)

// Option configures Open.
type Option func(*config) error

type config struct {
	sealer *store.Sealer
	log    *slog.Logger
	now    func() time.Time
}

// WithSealer makes the store keep API keys sealed at rest (AES-GCM, see
// store.NewSealer). Without it, or with a nil sealer, they are stored as
// given. Opening a file WithSealer seals the keys an earlier run left in
// clear. A key sealed under one sealer cannot be read without it (or with
// another key): GetAccount then fails with store.ErrSealed, and nothing is
// lost.
func WithSealer(s *store.Sealer) Option {
	return func(c *config) error {
		c.sealer = s
		return nil
	}
}

// WithLogger sets the logger for migrations and lock contention. The store is
// silent by default; it never logs an API key.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return invalid("WithLogger: logger is nil")
		}
		c.log = l
		return nil
	}
}

// WithClock sets the clock that stamps CreatedAt, UpdatedAt and the like,
// and decides lease expiry. The default is time.Now. Processes sharing a file
// should share a clock (the machine's): a lease's expiry is compared with the
// acquirer's now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return invalid("WithClock: clock is nil")
		}
		c.now = now
		return nil
	}
}

// Open opens (creating it if needed) the SQLite database at path, switches it
// to WAL, and migrates its schema to the newest version this build knows. It
// fails with ErrSchemaTooNew if the file was migrated by a newer build.
// Several processes may open the same file at once.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	cfg, err := openConfig(path, opts)
	if err != nil {
		return nil, wrap("open", err)
	}

	// SQLite would create the file 0644 (less the umask); it holds customer
	// data, so create it owner-only first. SQLite gives the WAL and shared
	// memory files it creates the database file's mode.
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}

	s := &Store{
		path:   path,
		sealer: cfg.sealer,
		log:    cfg.log,
		now:    cfg.now,
	}
	if err := s.openWriter(ctx); err != nil {
		return nil, err
	}

	if s.rdb, err = sql.Open("sqlite", dsn(path, true)); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	s.rdb.SetMaxOpenConns(readerConns)
	s.rdb.SetMaxIdleConns(readerConns)
	s.rdb.SetConnMaxIdleTime(0)
	s.rdb.SetConnMaxLifetime(0)

	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openConfig applies the options and checks the path.
func openConfig(path string, opts []Option) (config, error) {
	cfg := config{now: time.Now}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return cfg, err
		}
	}
	if cfg.log == nil {
		cfg.log = slog.New(slog.DiscardHandler)
	}
	if strings.TrimSpace(path) == "" {
		return cfg, invalid("path is empty")
	}
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return cfg, invalid("path %q: give a file path (not a URI or :memory:)", path)
	}
	return cfg, nil
}

// openWriter opens the single writer connection and, through it, brings
// the schema up to date and seals API keys stored in clear; on failure it
// is closed again.
func (s *Store) openWriter(ctx context.Context) error {
	var err error
	if s.wdb, err = sql.Open("sqlite", dsn(s.path, false)); err != nil {
		return fmt.Errorf("sqlitestore: open %s: %w", s.path, err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)

	if err := s.retry(ctx, func() error { return s.wdb.PingContext(ctx) }); err != nil {
		s.wdb.Close()
		return fmt.Errorf("sqlitestore: open %s: %w", s.path, err)
	}
	if err := s.migrate(ctx, migrations()); err != nil {
		s.wdb.Close()
		return err
	}
	if err := s.sealClearKeys(ctx); err != nil {
		s.wdb.Close()
		return wrap("open: sealing API keys", err)
	}
	return nil
}

// dsn is the driver's connection string for path. Every connection gets the
// busy timeout first, then WAL, synchronous=NORMAL (durable at checkpoints,
// never corrupt), foreign keys, and a page cache plus memory map. The writer
// begins its transactions IMMEDIATE, so it takes the write lock up front and
// never hits the deferred-upgrade SQLITE_BUSY that a busy timeout cannot
// wait out; readers are query_only.
func dsn(path string, readOnly bool) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	q := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()),
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(NORMAL)",
		"_pragma=foreign_keys(1)",
		fmt.Sprintf("_pragma=cache_size(%d)", cacheSizePages),
		fmt.Sprintf("_pragma=mmap_size(%d)", mmapSize),
		"_pragma=temp_store(MEMORY)",
	}
	if readOnly {
		q = append(q, "_pragma=query_only(1)")
	} else {
		q = append(q, "_txlock=immediate",
			fmt.Sprintf("_pragma=wal_autocheckpoint(%d)", walAutoCkptPage),
			fmt.Sprintf("_pragma=journal_size_limit(%d)", walSizeLimit))
	}
	return "file:" + r.Replace(path) + "?" + strings.Join(q, "&")
}

// prepare prepares the fixed statements once, on the writer and the reader
// pools. A statement prepared on the writer's single connection is reused by
// every transaction (tx.StmtContext finds it on the same connection).
func (s *Store) prepare(ctx context.Context) error {
	wq, rq := writeQueries(), readQueries()
	s.wstmts = make(map[string]*sql.Stmt, len(wq))
	for _, q := range wq {
		st, err := s.wdb.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("sqlitestore: prepare %q: %w", firstLine(q), err)
		}
		s.wstmts[q] = st
	}
	s.rstmts = make(map[string]*sql.Stmt, len(rq))
	for _, q := range rq {
		st, err := s.rdb.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("sqlitestore: prepare %q: %w", firstLine(q), err)
		}
		s.rstmts[q] = st
	}
	return nil
}

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		return q[:i]
	}
	return q
}

// Close closes the store's connections. It does not delete anything; it is
// safe to call more than once.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	var errs []error
	for _, st := range s.wstmts {
		errs = append(errs, st.Close())
	}
	for _, st := range s.rstmts {
		errs = append(errs, st.Close())
	}
	if s.rdb != nil {
		errs = append(errs, s.rdb.Close())
	}
	if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlitestore: close: %w", err)
	}
	return nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// clock returns now, in UTC.
func (s *Store) clock() time.Time { return s.now().UTC() }

// write runs fn in one write transaction (BEGIN IMMEDIATE on the writer
// connection) and commits it, retrying the whole transaction when SQLite
// reports the database busy. fn must not keep results across attempts other
// than by overwriting them.
//
// Only BEGIN IMMEDIATE can wait (for another connection's write lock, in the
// busy handler, which gives up when ctx ends). Once it holds the lock the
// statements of fn cannot block, so they run under a context without
// cancellation: that spares the driver a watcher goroutine per statement.
// Cancelling ctx still rolls the transaction back (database/sql watches it)
// and makes Commit fail.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.retry(ctx, func() error {
		tx, err := s.wdb.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(context.WithoutCancel(ctx), tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	})
}

// write1 runs fn with a nil tx: each statement fn runs through txExec or
// txQueryRow is its own autocommit transaction on the writer connection.
// For operations that are one writing statement (an insert-if-absent, a
// compare-and-set UPDATE, a conditional upsert), possibly followed by a read
// that only explains the outcome, this is as atomic as write and saves the
// BEGIN and COMMIT round trips. An autocommit statement takes its locks
// with the busy handler, so it cannot hit the deferred-upgrade deadlock.
func (s *Store) write1(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.retry(ctx, func() error { return fn(ctx, nil) })
}

// retry runs fn up to maxAttempts times while it fails with SQLITE_BUSY or
// SQLITE_LOCKED, backing off between attempts; the wait ends with ctx.
func (s *Store) retry(ctx context.Context, fn func() error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	delay := retryBaseDelay
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !isBusy(err) || attempt == maxAttempts {
			return err
		}
		s.log.DebugContext(ctx, "sqlitestore: database busy, retrying", "attempt", attempt, "delay", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (while the database was busy: %v)", ctx.Err(), err)
		case <-t.C:
		}
		delay *= 2
	}
}

// isBusy reports whether err is SQLite's "database is locked" in any form.
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code() & 0xff
	return c == codeBusy || c == codeLocked
}

// wstmt returns q prepared on the writer connection, bound to tx (nil: in
// autocommit), or nil when q is not one of the fixed statements.
func (s *Store) wstmt(ctx context.Context, tx *sql.Tx, q string) *sql.Stmt {
	st, ok := s.wstmts[q]
	switch {
	case !ok:
		return nil
	case tx == nil:
		return st
	}
	return tx.StmtContext(ctx, st)
}

// txExec runs a writer statement in tx, or in autocommit when tx is nil
// (prepared when it is a fixed one).
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if st := s.wstmt(ctx, tx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	if tx == nil {
		return s.wdb.ExecContext(ctx, q, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

// txQueryRow runs a one-row writer statement in tx, or in autocommit when tx
// is nil.
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	if st := s.wstmt(ctx, tx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	if tx == nil {
		return s.wdb.QueryRowContext(ctx, q, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}

// readRow runs a one-row read on the reader pool, scanning it with scan and
// retrying when busy.
func (s *Store) readRow(ctx context.Context, scan func(*sql.Row) error, q string, args ...any) error {
	return s.retry(ctx, func() error {
		if st, ok := s.rstmts[q]; ok {
			return scan(st.QueryRowContext(ctx, args...))
		}
		return scan(s.rdb.QueryRowContext(ctx, q, args...))
	})
}

// readRows runs a read on the reader pool and calls each for every row,
// retrying the whole read (after reset) when busy.
func (s *Store) readRows(ctx context.Context, reset func(), each func(*sql.Rows) error, q string, args ...any) error {
	return s.retry(ctx, func() error {
		reset()
		var rows *sql.Rows
		var err error
		if st, ok := s.rstmts[q]; ok {
			rows, err = st.QueryContext(ctx, args...)
		} else {
			rows, err = s.rdb.QueryContext(ctx, q, args...)
		}
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// wrap prefixes err with the operation; store sentinels stay matchable.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sqlitestore: %s: %w", op, err)
}

// invalid returns an ErrInvalid naming what is wrong.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// affected returns the rows a statement changed.
func affected(res sql.Result) (int64, error) {
	return res.RowsAffected()
}

// createPrivate creates path empty and owner-only (0600) unless it exists.
// An empty file is a new SQLite database.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}
