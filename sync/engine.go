package sync

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/xoroerp/veeqoconnect/filter"
	"github.com/xoroerp/veeqoconnect/internal/process"
	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// Errors the engine returns; match them with errors.Is.
var (
	// ErrModeLocked: the account's stored mode is the other direction. The
	// host must call SwitchMode on purpose before running in this mode.
	ErrModeLocked = errors.New("vsync: account is locked to the other mode")
	// ErrRunInProgress: another run holds the account's lease (in this
	// process or another one sharing the store).
	ErrRunInProgress = errors.New("vsync: a run is already in progress for this account")
	// ErrNoMode: the settings select neither direction.
	ErrNoMode = errors.New("vsync: settings select neither export_orders nor fetch_fulfillments")
	// ErrConfig: the engine's Config is unusable.
	ErrConfig = errors.New("vsync: invalid config")
)

// Process names used in records, logs and notifications.
const (
	ProcessExport       = "export_order"
	ProcessConfirmation = "import_confirmation"
	ProcessFetch        = "fetch_fulfillment"
	ProcessRun          = "run"
	ProcessMode         = "mode"
	// ProcessSettings is the process of the log lines SaveSettings writes.
	ProcessSettings = "settings"
)

// ProcessNames lists every process records and log lines carry.
func ProcessNames() []string {
	return []string{ProcessExport, ProcessConfirmation, ProcessFetch, ProcessRun, ProcessMode, ProcessSettings}
}

// Cursor streams.
const (
	StreamConfirmations = "confirmations"
	StreamFulfillments  = "fulfillments"
)

// Config wires an Engine. Account, Settings, Store, ERP and Veeqo are
// required; the rest have defaults.
type Config struct {
	// Account is the store's account name (created on first run if absent).
	Account string
	// CatalogTTL is how long the channel and delivery-method lists and the
	// item resolver's answers (hits and misses) are cached (default 15
	// minutes): a SKU added to Veeqo is seen within that time.
	CatalogTTL time.Duration
	// Clock returns the current time (default time.Now). Times are kept in
	// UTC.
	Clock func() time.Time
	// ERP is the host's ERP.
	ERP ERP
	// InDoubtSettle is how long after a create whose outcome is unknown the
	// engine waits before creating the order again when Veeqo's order list
	// does not show it (default DefaultInDoubtSettle). Until then the
	// reference is in doubt and looked for on every run.
	InDoubtSettle time.Duration
	// InDoubtMargin is how far before an in-doubt attempt Veeqo's order
	// list is read from (default DefaultInDoubtMargin); keep it above the
	// client's attempt timeout plus any clock skew.
	InDoubtMargin time.Duration
	// Holder identifies this process in the account lease (default
	// hostname-pid-random). Each run takes the lease as Holder plus its run
	// id, so two runs never share a lease, even from one process. The lease
	// also records the host, process id and start time and the run id: a
	// run that finds the lease held by a process of its own host that is
	// gone (killed, crashed) takes the lease over at once instead of
	// waiting for it to expire.
	Holder string
	// LeaseTTL is how long the lease lasts without renewal: how long a run
	// on another host waits after a holder crashed (default 30 seconds).
	// While a run lasts its lease is renewed every third of LeaseTTL, as
	// Clock tells time.
	LeaseTTL time.Duration
	// Logger receives the engine's own diagnostics (silent by default).
	Logger *slog.Logger
	// NewRunID makes run ids (default: time and random suffix).
	NewRunID func() string
	// ReportOutcomes is how many per-reference outcomes a run keeps in its
	// Report (default DefaultReportOutcomes; negative keeps none).
	ReportOutcomes int
	// Notifier receives every error and warning as it happens (optional).
	// If it also has Flush(ctx) error, it is flushed at the end of each run.
	Notifier notify.Notifier
	// Settings are the account's settings; they must validate.
	Settings Settings
	// Store is the library's state.
	Store store.Store
	// Veeqo is the Veeqo API (ClientAPI(client) for a *veeqo.Client).
	Veeqo VeeqoAPI
}

// Engine runs one account in the mode its Settings select. It is safe for
// concurrent use; runs of one account are serialised by the store's lease.
type Engine struct {
	cfg      Config
	settings Settings
	mode     store.Mode
	log      *slog.Logger
	now      func() time.Time
	loc      *time.Location

	exportFilter *filter.Filter[ERPOrder]
	fetchFilter  *filter.Filter[veeqo.Order]

	// tables are the settings' mapping tables (built once); mapper is them
	// bound to Veeqo, bound again after CatalogTTL so that channels,
	// delivery methods and catalogue changes are seen.
	tables *mapping.Mapper

	running atomic.Bool
	// self is this process, as recorded in the leases it takes.
	self process.Identity

	mu       stdsync.Mutex
	mapper   *mapping.Mapper
	mapperAt time.Time
}

// isNilPointer reports an interface holding a nil pointer (a typed nil, such
// as a nil *MemoryERP), which passes a == nil check and panics on first use.
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// New validates cfg and builds an Engine for the mode cfg.Settings selects.
func New(cfg Config) (*Engine, error) {
	if problems := cfg.problems(); len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrConfig, strings.Join(problems, "; "))
	}
	s := cfg.Settings
	if s.Account == "" {
		s.Account = cfg.Account
	}
	now := cfg.Clock
	if now == nil {
		now = time.Now
	}
	c, err := s.compile(now)
	if err != nil {
		return nil, err
	}
	mode := s.Mode()
	if mode == store.ModeNone {
		return nil, ErrNoMode
	}
	e := &Engine{cfg: cfg, settings: s, mode: mode}
	e.log = cfg.Logger
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.now = now
	e.cfg.setDefaults()
	e.self = process.Self()
	if e.cfg.Holder == "" {
		e.cfg.Holder = fmt.Sprintf("%s-%d-%s", e.self.Host, e.self.PID, randHex(4))
	}
	e.loc, e.exportFilter, e.fetchFilter = c.loc, c.exportFilter, c.fetchFilter
	e.tables = c.tables
	return e, nil
}

// problems lists what is missing or wrong in cfg, each naming its field.
func (cfg *Config) problems() []string {
	var problems []string
	if strings.TrimSpace(cfg.Account) == "" {
		problems = append(problems, "Account is required")
	} else if cfg.Settings.Account != "" && cfg.Settings.Account != cfg.Account {
		// Records and logs would go under one name and notifications under
		// the other.
		problems = append(problems, fmt.Sprintf("Account %q differs from Settings.Account %q", cfg.Account, cfg.Settings.Account))
	}
	if cfg.Store == nil {
		problems = append(problems, "Store is required")
	} else if isNilPointer(cfg.Store) {
		problems = append(problems, fmt.Sprintf("Store is a nil %T", cfg.Store))
	}
	if cfg.ERP == nil {
		problems = append(problems, "ERP is required")
	} else if isNilPointer(cfg.ERP) {
		problems = append(problems, fmt.Sprintf("ERP is a nil %T", cfg.ERP))
	}
	if cfg.Veeqo == nil {
		problems = append(problems, "Veeqo is required")
	} else if ca, ok := cfg.Veeqo.(clientAPI); (ok && ca.c == nil) || isNilPointer(cfg.Veeqo) {
		problems = append(problems, "Veeqo is ClientAPI(nil) or a nil pointer")
	}
	if cfg.Notifier != nil && isNilPointer(cfg.Notifier) {
		problems = append(problems, fmt.Sprintf("Notifier is a nil %T (leave it nil for none)", cfg.Notifier))
	}
	if cfg.InDoubtSettle < 0 {
		problems = append(problems, "InDoubtSettle must not be negative")
	}
	if cfg.InDoubtMargin < 0 {
		problems = append(problems, "InDoubtMargin must not be negative")
	}
	if cfg.LeaseTTL < 0 {
		problems = append(problems, "LeaseTTL must not be negative")
	}
	return problems
}

// setDefaults fills in the durations and counts left zero.
func (cfg *Config) setDefaults() {
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.InDoubtSettle == 0 {
		cfg.InDoubtSettle = DefaultInDoubtSettle
	}
	if cfg.InDoubtMargin == 0 {
		cfg.InDoubtMargin = DefaultInDoubtMargin
	}
	if cfg.ReportOutcomes == 0 {
		cfg.ReportOutcomes = DefaultReportOutcomes
	}
	if cfg.CatalogTTL <= 0 {
		cfg.CatalogTTL = 15 * time.Minute
	}
}

// Mode returns the engine's mode.
func (e *Engine) Mode() store.Mode { return e.mode }

// Settings returns the engine's settings.
func (e *Engine) Settings() Settings { return e.settings }

func (e *Engine) clock() time.Time { return e.now().UTC() }

// scrub removes anything that looks like a credential from text that goes
// to logs, records and notifications. The veeqo client never puts the key
// in its errors; this is a second line of defence for host errors.
func (e *Engine) scrub(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	s = strings.ReplaceAll(s, "\n", " ")
	for _, marker := range []string{"x-api-key", "api_key", "apikey", "Authorization", "Bearer "} {
		if i := indexFoldASCII(s, marker); i >= 0 {
			s = s[:i] + marker + " [redacted]"
		}
	}
	return s
}

// indexFoldASCII is the index of the first occurrence of marker in s, with
// ASCII letters compared regardless of case (and nothing else folded:
// strings.ToLower changes the byte length of some letters, Ⱥ or İ, so an
// index in its result would not cut s at the marker), or -1.
func indexFoldASCII(s, marker string) int {
	lower := func(c byte) byte {
		if 'A' <= c && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
next:
	for i := 0; i+len(marker) <= len(s); i++ {
		for j := 0; j < len(marker); j++ {
			if lower(s[i+j]) != lower(marker[j]) {
				continue next
			}
		}
		return i
	}
	return -1
}
