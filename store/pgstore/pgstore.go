package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xoroerp/veeqoconnect/store"
)

// DefaultSchema is the schema the store's tables live in unless WithSchema
// names another. A schema of its own keeps the store's tables (accounts,
// exports, ...) apart from the host's.
const DefaultSchema = "veeqoconnect"

// Store is a store.Store kept in PostgreSQL. It is safe for concurrent use,
// and its guarantees hold across processes and machines sharing the database
// (see the package documentation).
type Store struct {
	pool     *pgxpool.Pool
	ownsPool bool
	schema   string        // quoted identifier, ready to splice into SQL
	rawName  string        // the schema's name as given
	sealer   *store.Sealer // nil: keys in clear
	log      *slog.Logger
	clock    func() time.Time
	// logLockKey serialises log appends per schema so that Seq order is
	// commit order (see appendLogs).
	logLockKey int64
	// migrateLockKey serialises migrations per schema across processes.
	migrateLockKey int64
}

var _ store.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*config) error

type config struct {
	schema string
	sealer *store.Sealer
	log    *slog.Logger
	clock  func() time.Time
}

// WithSchema puts every table of the store in the named schema, created if
// absent. The default is DefaultSchema. Two stores with different schemas in
// one database are fully independent.
func WithSchema(name string) Option {
	return func(c *config) error {
		if name == "" {
			return errors.New("pgstore: WithSchema: the schema name is empty")
		}
		if len(name) > 63 {
			return fmt.Errorf("pgstore: WithSchema: the schema name %q is longer than PostgreSQL's 63-byte limit", name)
		}
		if strings.ContainsRune(name, 0) {
			return errors.New("pgstore: WithSchema: the schema name contains a NUL byte")
		}
		c.schema = name
		return nil
	}
}

// WithSealer seals account API keys with s (store.NewSealer: AES-GCM) before
// they are written and opens them when read. Without it (or with nil) keys
// are stored as given, and a sealed key found in the database is refused
// with store.ErrSealed rather than returned as a key.
func WithSealer(s *store.Sealer) Option {
	return func(c *config) error {
		c.sealer = s
		return nil
	}
}

// WithLogger sends the store's own diagnostics (migrations applied) to l.
// The default discards them. Secrets never reach the log.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("pgstore: WithLogger: the logger is nil")
		}
		c.log = l
		return nil
	}
}

// WithClock makes now() come from clock instead of time.Now. Every time the
// store stamps (CreatedAt, UpdatedAt, lease expiry, ...) comes from this one
// clock; see the package documentation on clocks across machines.
func WithClock(clock func() time.Time) Option {
	return func(c *config) error {
		if clock == nil {
			return errors.New("pgstore: WithClock: the clock is nil")
		}
		c.clock = clock
		return nil
	}
}

// Open connects to the database named by dsn (a PostgreSQL URL or key=value
// string; pool settings such as pool_max_conns are honoured), applies the
// schema migrations and returns the store. Close closes the pool.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	if dsn == "" {
		return nil, errors.New("pgstore: Open: the DSN is empty")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parser's message may quote the DSN, password included: keep
		// only a redacted account of it.
		return nil, fmt.Errorf("pgstore: Open: %w", errBadDSN)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: Open: create pool: %w", err)
	}
	s, err := newStore(ctx, pool, true, opts)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// errBadDSN is returned for a DSN that does not parse; its text never
// includes the DSN, which may hold a password.
var errBadDSN = errors.New("the DSN does not parse as a PostgreSQL URL or key=value string (its text is withheld: it may hold a password)")

// New returns a store on an existing pool, applying the schema migrations.
// The caller keeps ownership of the pool: Close does not close it.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: New: the pool is nil")
	}
	return newStore(ctx, pool, false, opts)
}

func newStore(ctx context.Context, pool *pgxpool.Pool, owns bool, opts []Option) (*Store, error) {
	c := config{schema: DefaultSchema}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = time.Now
	}
	s := &Store{
		pool:           pool,
		ownsPool:       owns,
		schema:         pgx.Identifier{c.schema}.Sanitize(),
		rawName:        c.schema,
		sealer:         c.sealer,
		log:            c.log,
		clock:          c.clock,
		logLockKey:     lockKey("veeqoconnect/logs/" + c.schema),
		migrateLockKey: lockKey("veeqoconnect/migrate/" + c.schema),
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the pool if Open created it. It deletes nothing.
func (s *Store) Close() error {
	if s.ownsPool {
		s.pool.Close()
	}
	return nil
}

// Schema returns the name of the schema the store's tables live in.
func (s *Store) Schema() string { return s.rawName }

// lockKey derives an advisory-lock key from a name.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// q expands the schema placeholder {s} in a statement.
func (s *Store) q(sql string) string {
	return strings.ReplaceAll(sql, "{s}", s.schema)
}

// now is the store's clock, in UTC and at PostgreSQL's microsecond
// precision, so that what a write returns equals what a read returns.
func (s *Store) now() time.Time {
	return s.clock().UTC().Truncate(time.Microsecond)
}

// querier is what both the pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// tsArg encodes a time for a nullable timestamptz column: the zero time is
// NULL, anything else UTC at microsecond precision.
func tsArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}

// nullTime scans a nullable timestamptz into a time.Time (zero for NULL),
// in UTC.
type nullTime struct{ t *time.Time }

// ScanTimestamptz implements pgtype.TimestamptzScanner.
func (n *nullTime) ScanTimestamptz(v pgtype.Timestamptz) error {
	if !v.Valid {
		*n.t = time.Time{}
		return nil
	}
	*n.t = v.Time.UTC()
	return nil
}

func nt(t *time.Time) *nullTime { return &nullTime{t} }

// limit normalises a query limit: 0 is def, above max is max, negative is
// an error naming the field.
func limit(name string, n, def, max int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("%s: Limit %d is negative", name, n)
	case n == 0:
		return def, nil
	case max > 0 && n > max:
		return max, nil
	}
	return n, nil
}

// required returns an error naming the first empty field.
func required(op string, fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i+1] == "" {
			return fmt.Errorf("pgstore: %s: %s is empty", op, fields[i])
		}
	}
	return nil
}
