package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Errors every implementation returns (wrapped or bare); callers match them
// with errors.Is.
var (
	// ErrNotFound: the account, export, shipment, record or run does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrExists: AddAccount for a name already taken.
	ErrExists = errors.New("store: already exists")
	// ErrConflict: a compare-and-set lost (the version or expected value
	// changed since it was read).
	ErrConflict = errors.New("store: conflict")
	// ErrLeaseHeld: another holder has an unexpired lease on the account.
	ErrLeaseHeld = errors.New("store: lease held by another holder")
	// ErrLeaseLost: the lease being renewed or released is no longer the
	// caller's (it expired and was taken, or was released).
	ErrLeaseLost = errors.New("store: lease lost")
)

// Store is the library's own state. The engine is its only writer; the host
// may read it (the operations page does). Every method is safe for concurrent
// use, and every guarantee written on a method holds across goroutines and,
// for the sqlite and pg stores, across processes sharing the database.
// storetest.Run checks all of it; a host's own store must pass it too.
type Store interface {
	AccountStore
	ExportStore
	ShipmentStore
	CursorStore
	LeaseStore
	RecordStore
	LogStore
	RunStore
	CustomerStore
	NotifyStateStore
	// Close releases the store's resources. It does not delete anything.
	Close() error
}

// Mode is an account's direction. The two are exclusive: the store remembers
// the account's mode, and the engine refuses to run in the other one until it
// is switched on purpose (SetMode).
type Mode string

// The modes. ModeNone is an account that has not run yet.
const (
	ModeNone   Mode = ""
	ModeExport Mode = "export"
	ModeFetch  Mode = "fetch"
)

// Account is one Veeqo connection.
type Account struct {
	Name    string // unique key
	BaseURL string // Veeqo API base URL; empty means Veeqo's default
	// APIKey is a secret. A store given an encryption key keeps it sealed with
	// AES-GCM at rest; without one it is stored as given. It never appears in
	// a log or error of the store's.
	APIKey string
	// Settings is the engine's settings document (sync.Settings as JSON),
	// opaque to the store.
	Settings      json.RawMessage
	Mode          Mode
	ModeChangedAt time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Version is incremented by every write; UpdateAccount compares it.
	Version int64
}

// AccountStore keeps the accounts and their mode lock.
type AccountStore interface {
	// AddAccount creates an account. ErrExists if the name is taken.
	AddAccount(ctx context.Context, a Account) (Account, error)
	// GetAccount returns an account, its API key decrypted. ErrNotFound.
	GetAccount(ctx context.Context, name string) (Account, error)
	// ListAccounts returns every account, ordered by name.
	ListAccounts(ctx context.Context) ([]Account, error)
	// UpdateAccount writes BaseURL, APIKey and Settings if a.Version is the
	// stored version (ErrConflict otherwise); Mode is not changed here.
	UpdateAccount(ctx context.Context, a Account) (Account, error)
	// RemoveAccount deletes the account and all of its state (exports,
	// shipments, cursors, leases, records, logs, runs, caches, notification
	// state). ErrNotFound if absent.
	RemoveAccount(ctx context.Context, name string) error
	// SetMode switches the account's mode from `from` to `to` atomically:
	// ErrConflict if the stored mode is not `from`. It stamps ModeChangedAt.
	SetMode(ctx context.Context, account string, from, to Mode) (Account, error)
}

// ExportState is the state of one ERP order's export to Veeqo.
type ExportState string

// Export states.
const (
	// ExportClaimed: written before the POST (write-ahead). A claim found in
	// this state by a later run means the outcome of that POST is unknown.
	ExportClaimed ExportState = "claimed"
	// ExportUnknown: the POST may or may not have created the order; it must
	// be reconciled by an exact lookup by number before any new create.
	ExportUnknown ExportState = "unknown"
	// ExportExported: created in Veeqo; VeeqoOrderID is set.
	ExportExported ExportState = "exported"
	// ExportFailed: known not to exist in Veeqo (the request was refused);
	// safe to retry with a new create.
	ExportFailed ExportState = "failed"
)

// LineLink remembers which ERP line became which Veeqo line, so that
// confirmations map back even through the default SKU.
type LineLink struct {
	ERPLine         string `json:"erp_line"`
	VeeqoLineItemID int64  `json:"veeqo_line_item_id,omitempty"`
	SellableID      int64  `json:"sellable_id"`
	SKU             string `json:"sku"`
	Quantity        int    `json:"quantity"`
	// Substituted is true when the default SKU stood in for the line's own
	// identifier.
	Substituted bool `json:"substituted,omitempty"`
}

// Export is the claim and link of one ERP order, unique per (Account,
// ERPRef), enforced by the store.
type Export struct {
	Account      string
	ERPRef       string // the ERP order's reference (key)
	Number       string // the number sent to Veeqo as the order's number
	State        ExportState
	VeeqoOrderID int64
	Attempts     int
	Lines        []LineLink
	LastError    string
	// Completed is set once the order needs no more confirmations (fully
	// shipped, or finalised under "disable multishipment").
	Completed  bool
	ExportedAt time.Time // zero until exported
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    int64
}

// ExportQuery selects exports. Zero fields do not filter.
type ExportQuery struct {
	Account string // required
	States  []ExportState
	// Completed filters on Completed when non-nil.
	Completed *bool
	// ExportedBefore selects exports exported before this time (stale
	// exports: no confirmation for N days).
	ExportedBefore time.Time
	// Number selects the exports whose Veeqo order number is exactly this
	// (case-sensitive): the engine finds which ERP order a Veeqo order
	// that is not linked by id was numbered for (a twin).
	Number string
	// Refs selects the exports of these ERP references (those of them that
	// exist): the engine reads a batch of candidates' exports with one
	// query. Empty does not filter.
	Refs []string
	// VeeqoOrderIDs selects the exports linked to these Veeqo orders (0
	// links nothing): the engine reads the exports of a page of listed
	// orders with one query. Empty does not filter.
	VeeqoOrderIDs []int64
	// AfterRef pages: refs greater than this, in ref order.
	AfterRef string
	Limit    int // 0 means a store default (at least 100)
}

// Linked returns ids without the zeros (an export with Veeqo order id 0 is
// linked to no order), for ExportQuery.VeeqoOrderIDs.
func Linked(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id != 0 {
			out = append(out, id)
		}
	}
	return out
}

// ExportStore keeps the write-ahead claims and the links to Veeqo orders.
type ExportStore interface {
	// ClaimExport inserts e (its Version ignored) unless an export for
	// (e.Account, e.ERPRef) exists. It returns the stored export and true when
	// it inserted, or the existing export and false. Of N concurrent claims
	// for one key exactly one returns true.
	ClaimExport(ctx context.Context, e Export) (Export, bool, error)
	// UpdateExport writes e if e.Version equals the stored version
	// (ErrConflict otherwise, ErrNotFound if absent) and returns it with the
	// new version.
	UpdateExport(ctx context.Context, e Export) (Export, error)
	// CompleteExport does UpdateExport, UpsertRecord and AppendLogs in one
	// transaction: the Veeqo id, the operations record and the log land
	// together or not at all. It returns the stored export and the log
	// entries, in order, with Seq set (as AppendLogs does), so that the
	// warnings of an export notified with it carry their Seq.
	CompleteExport(ctx context.Context, e Export, r RecordUpdate, logs ...LogEntry) (Export, []LogEntry, error)
	// GetExport returns the export of an ERP order. ErrNotFound.
	GetExport(ctx context.Context, account, erpRef string) (Export, error)
	// ExportByVeeqoID returns the export linked to a Veeqo order. ErrNotFound.
	ExportByVeeqoID(ctx context.Context, account string, veeqoOrderID int64) (Export, error)
	// ListExports returns exports matching q, ordered by ERPRef.
	ListExports(ctx context.Context, q ExportQuery) ([]Export, error)
}

// ShipmentState is the state of one Veeqo shipment's application to the ERP.
type ShipmentState string

// Shipment states.
const (
	// ShipmentPending: the update was computed and is being applied. After a
	// crash the same stored update is applied again (the ERP deduplicates
	// by the shipment id).
	ShipmentPending ShipmentState = "pending"
	// ShipmentApplied: the ERP has it.
	ShipmentApplied ShipmentState = "applied"
	// ShipmentIgnored: deliberately not applied (e.g. a late shipment after
	// the first one was final); Warning says why.
	ShipmentIgnored ShipmentState = "ignored"
	// ShipmentVoided: applied, then withdrawn from the ERP because its label
	// was voided in Veeqo (the shipment deleted or its tracking number
	// cancelled); Update holds the withdrawing update.
	ShipmentVoided ShipmentState = "voided"
)

// AppliedShipment records what a Veeqo shipment did to the ERP, so that it
// changes the ERP at most once. Unique per (Account, ShipmentID).
type AppliedShipment struct {
	Account      string
	ShipmentID   int64
	AllocationID int64
	VeeqoOrderID int64
	ERPRef       string
	State        ShipmentState
	// Update is the computed ERP update (the engine's type, as JSON),
	// re-applied verbatim if a crash left it pending.
	Update    json.RawMessage
	Warning   string
	CreatedAt time.Time
	AppliedAt time.Time // zero until applied
	Version   int64
}

// ShipmentQuery selects applied shipments. Zero fields do not filter.
type ShipmentQuery struct {
	Account string // required
	ERPRef  string
	// VeeqoOrderID selects the shipments of one Veeqo order.
	VeeqoOrderID int64
	States       []ShipmentState
	Limit        int
}

// ShipmentCompletion is one shipment's part of CompleteShipments: its new
// row (compared by Version), its ERP order's export when not nil (compared
// by Version, as UpdateExport does), the reference's record when not nil,
// and log entries.
type ShipmentCompletion struct {
	Shipment AppliedShipment
	Export   *Export
	Record   *RecordUpdate
	Logs     []LogEntry
}

// ShipmentStore keeps the applied shipments.
type ShipmentStore interface {
	// RecordShipment inserts s (Version ignored) unless (s.Account,
	// s.ShipmentID) exists; it returns the stored row and whether it
	// inserted. Of N concurrent inserts of one key exactly one returns true.
	RecordShipment(ctx context.Context, s AppliedShipment) (AppliedShipment, bool, error)
	// RecordShipments does what RecordShipment does for each of ss, in
	// order, in one transaction: it returns each stored row and whether
	// this call inserted it, or an error and nothing written. The engine
	// writes a page's shipment updates ahead (pending) with it, before the
	// ERP gets any of them.
	RecordShipments(ctx context.Context, ss []AppliedShipment) ([]AppliedShipment, []bool, error)
	// UpdateShipment writes s if s.Version equals the stored version
	// (ErrConflict otherwise).
	UpdateShipment(ctx context.Context, s AppliedShipment) (AppliedShipment, error)
	// CompleteShipment does UpdateShipment, UpsertRecord (when r is not nil)
	// and AppendLogs in one transaction: the shipment's new state (applied,
	// say), the operations record and the log land together or not at all
	// (nothing is written on ErrConflict or ErrNotFound). It returns the
	// stored shipment and the log entries with Seq set.
	CompleteShipment(ctx context.Context, s AppliedShipment, r *RecordUpdate, logs ...LogEntry) (AppliedShipment, []LogEntry, error)
	// CompleteShipments does what CompleteShipment does for each of cs, in
	// order, in one transaction, with each Export (when not nil) written as
	// UpdateExport writes it: every shipment's new state, export, record and
	// logs land, or nothing does (a conflict or a missing row in any of
	// them is ErrConflict or ErrNotFound, and nothing is written). It
	// returns cs with each Shipment and Export as stored and each Logs with
	// Seq set. The engine marks a page of applied shipments with it, each
	// settled order's export completed in the same write.
	CompleteShipments(ctx context.Context, cs []ShipmentCompletion) ([]ShipmentCompletion, error)
	// GetShipment returns one shipment's row. ErrNotFound.
	GetShipment(ctx context.Context, account string, shipmentID int64) (AppliedShipment, error)
	// FindShipments returns the account's rows whose VeeqoOrderID is one
	// of veeqoOrderIDs or whose ShipmentID is one of shipmentIDs, each row
	// once, oldest first (CreatedAt, then ShipmentID). The engine reads the
	// rows of a page of listed Veeqo orders and of their shipments with it,
	// instead of one read per order and per shipment.
	FindShipments(ctx context.Context, account string, veeqoOrderIDs, shipmentIDs []int64) ([]AppliedShipment, error)
	// ListShipments returns rows matching q, oldest first (CreatedAt, then
	// ShipmentID).
	ListShipments(ctx context.Context, q ShipmentQuery) ([]AppliedShipment, error)
}

// Cursor is a persisted high-water mark of one stream (e.g.
// "confirmations", "fulfillments") of one account.
type Cursor struct {
	Account  string
	Stream   string
	Position time.Time // e.g. the updated_at up to which everything was processed
	Value    string    // free-form companion (e.g. a last id)
	// Version is 0 for a cursor never written. SetCursor compares it.
	Version   int64
	UpdatedAt time.Time
}

// CursorStore keeps cursors, advanced by compare-and-set.
type CursorStore interface {
	// GetCursor returns the cursor, or a zero Cursor (Version 0, with Account
	// and Stream filled in) when none was written.
	GetCursor(ctx context.Context, account, stream string) (Cursor, error)
	// SetCursor writes c if c.Version equals the stored version (0: none
	// stored yet); ErrConflict otherwise. It returns c with the new version.
	SetCursor(ctx context.Context, c Cursor) (Cursor, error)
}

// Holder says who takes a lease. ID tells acquisitions apart: a lease
// acquired again under the same ID keeps its token, and RenewLease and
// ReleaseLease match on it. The rest says where the holder runs, so that a
// process on the same host can tell that the holder's process is gone (its
// PID no longer names a process started at ProcessStart) and take the lease
// over at once with TakeOverLease instead of waiting for it to expire. Only
// ID is required; a holder that leaves Host empty is never taken over.
type Holder struct {
	// ID is unique to one acquirer (a run, a worker).
	ID string
	// Host is the holder's machine name.
	Host string
	// PID is the holder's process id on Host.
	PID int
	// ProcessStart is when that process started (PIDs are reused).
	ProcessStart time.Time
	// RunID is the run the lease was taken for, if any.
	RunID string
}

// String describes h for a person: "run R (pid P on host H, started T)".
func (h Holder) String() string {
	if h.Host == "" {
		return fmt.Sprintf("%q", h.ID)
	}
	run := h.RunID
	if run == "" {
		run = h.ID
	}
	s := fmt.Sprintf("run %s (pid %d on host %s", run, h.PID, h.Host)
	if !h.ProcessStart.IsZero() {
		s += ", started " + h.ProcessStart.UTC().Format(time.RFC3339)
	}
	return s + ")"
}

// Lease is the right to run an account. Token increases with every new
// acquisition, so a stale holder can be told apart (fencing). A Lease whose
// Holder.ID is empty is free (never taken, or released).
type Lease struct {
	Account    string
	Holder     Holder
	Token      int64
	AcquiredAt time.Time
	ExpiresAt  time.Time
}

// LeaseStore gives one run per account at a time, across processes.
type LeaseStore interface {
	// AcquireLease takes the account's lease for ttl if it is free, expired,
	// or already the holder's (same Holder.ID: then it is extended and keeps
	// its token). ErrLeaseHeld when another holder has it. Of N concurrent
	// acquirers, exactly one succeeds.
	AcquireLease(ctx context.Context, account string, holder Holder, ttl time.Duration) (Lease, error)
	// GetLease returns the account's lease as stored, expired or not; a
	// Lease with an empty Holder.ID (and Account filled in) when it is free.
	GetLease(ctx context.Context, account string) (Lease, error)
	// TakeOverLease gives from's account to holder for ttl, expired or not,
	// if from (its Holder.ID and Token) is still the stored lease; the
	// token increases, so from's holder is fenced off. It is for a holder
	// known to be gone (its process ended); ErrLeaseLost if from was
	// renewed under another acquisition, released or taken meanwhile.
	TakeOverLease(ctx context.Context, from Lease, holder Holder, ttl time.Duration) (Lease, error)
	// RenewLease extends l by ttl from now. ErrLeaseLost if l is no longer
	// held (expired and taken by another, or released).
	RenewLease(ctx context.Context, l Lease, ttl time.Duration) (Lease, error)
	// ReleaseLease frees l. ErrLeaseLost if it was no longer held.
	ReleaseLease(ctx context.Context, l Lease) error
}

// RecordStatus is the status of an operations record.
type RecordStatus string

// Record statuses.
const (
	RecordPending RecordStatus = "pending"
	RecordSuccess RecordStatus = "success"
	RecordWarning RecordStatus = "warning"
	RecordError   RecordStatus = "error"
	RecordSkipped RecordStatus = "skipped"
)

// RecordStatusNames lists every record status, as filters and forms offer
// them.
func RecordStatusNames() []string {
	return []string{string(RecordPending), string(RecordSuccess), string(RecordWarning), string(RecordError), string(RecordSkipped)}
}

// Record is one row of the operations page: one per (Account, Process,
// Reference).
type Record struct {
	Account   string
	Process   string // e.g. "export_order", "import_confirmation", "fetch_fulfillment"
	Reference string // the ERP order reference (or the Veeqo order number in fetch mode)
	Status    RecordStatus
	Message   string
	Attempts  int
	// VeeqoOrderID is the linked Veeqo order, when known.
	VeeqoOrderID   int64
	LastRunID      string
	LastRunAt      time.Time
	Resolved       bool
	ResolvedBy     string
	ResolutionNote string
	ResolvedAt     time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// RecordUpdate is what a run writes about a reference.
type RecordUpdate struct {
	Account, Process, Reference string
	Status                      RecordStatus
	Message                     string
	VeeqoOrderID                int64 // 0 keeps the stored value
	RunID                       string
	At                          time.Time
	// CountAttempt increments Attempts.
	CountAttempt bool
}

// RecordQuery selects records. Zero fields do not filter.
type RecordQuery struct {
	Account      string // required
	Process      string
	Statuses     []RecordStatus
	HideResolved bool
	// ErrorsOnly keeps error and warning records.
	ErrorsOnly bool
	// Search matches Reference or Message, case-insensitively, as a substring.
	Search string
	// From and To bound LastRunAt: From <= LastRunAt < To.
	From, To time.Time
	// After is the opaque cursor from a previous page's Next; one the store
	// did not issue is an error matching ErrBadCursor.
	After string
	Limit int // 0 means 50; at most 1000
}

// RecordPage is one page of records, most recently run first (LastRunAt
// descending, then Process and Reference). Next is empty on the last page.
type RecordPage struct {
	Records []Record
	Next    string
}

// RecordCounts summarises the records a query selects (its After and Limit
// ignored).
type RecordCounts struct {
	Total      int
	Unresolved int
	ByStatus   map[RecordStatus]int
}

// RecordStore keeps the operations records.
type RecordStore interface {
	// UpsertRecord creates or updates the record of (Account, Process,
	// Reference) with u: Status, Message, LastRunID, LastRunAt = u.At, the
	// Veeqo id when non-zero; Attempts+1 when u.CountAttempt. An error or
	// warning status reopens a resolved record (Resolved = false).
	UpsertRecord(ctx context.Context, u RecordUpdate) (Record, error)
	// GetRecord returns one record. ErrNotFound.
	GetRecord(ctx context.Context, account, process, reference string) (Record, error)
	// GetRecords returns the records of process whose reference is one of
	// references, those that exist, each once, in no set order. The engine
	// reads the records of a page of listed Veeqo orders with it, instead
	// of one read per order.
	GetRecords(ctx context.Context, account, process string, references []string) ([]Record, error)
	// SetResolved marks a record resolved (by, note, at) or unresolved
	// (clearing by, note and time). ErrNotFound.
	SetResolved(ctx context.Context, account, process, reference string, resolved bool, by, note string, at time.Time) (Record, error)
	// QueryRecords returns one page of the records q selects.
	QueryRecords(ctx context.Context, q RecordQuery) (RecordPage, error)
	// CountRecords counts the records q selects.
	CountRecords(ctx context.Context, q RecordQuery) (RecordCounts, error)
}

// Log levels.
const (
	LevelInfo    = "info"
	LevelWarning = "warning"
	LevelError   = "error"
)

// LevelNames lists the log levels, least severe first.
func LevelNames() []string { return []string{LevelInfo, LevelWarning, LevelError} }

// LogEntry is one append-only log line.
type LogEntry struct {
	// Seq is assigned by the store on append: strictly increasing across the
	// whole store.
	Seq       int64
	Time      time.Time
	Account   string
	RunID     string
	Process   string
	Level     string // LevelInfo, LevelWarning, LevelError
	Reference string
	Message   string
}

// LogQuery selects log entries. Zero fields do not filter.
type LogQuery struct {
	Account   string // required
	RunID     string
	Process   string
	Levels    []string
	Reference string
	// Search matches Reference or Message, case-insensitively.
	Search string
	// From and To bound Time: From <= Time < To.
	From, To time.Time
	// HideResolved leaves out entries whose record (Account, Process,
	// Reference) is resolved.
	HideResolved bool
	// AfterSeq selects entries with Seq > AfterSeq, oldest first (for
	// catching up); otherwise entries come newest first.
	AfterSeq int64
	// Before is the opaque cursor from a previous page's Next (newest-first
	// paging); one the store did not issue is an error matching
	// ErrBadCursor.
	Before string
	Limit  int // 0 means 100; at most 1000
}

// LogPage is one page of log entries. Next is empty on the last page.
type LogPage struct {
	Entries []LogEntry
	Next    string
}

// LogStore keeps the log.
type LogStore interface {
	// AppendLogs appends entries in order and returns them with Seq set.
	AppendLogs(ctx context.Context, entries ...LogEntry) ([]LogEntry, error)
	// QueryLogs returns one page of the entries q selects.
	QueryLogs(ctx context.Context, q LogQuery) (LogPage, error)
	// PurgeLogs deletes entries older than before, of every account; it
	// returns how many it deleted.
	PurgeLogs(ctx context.Context, before time.Time) (int64, error)
}

// RunStatus is the outcome of a run.
type RunStatus string

// Run statuses.
const (
	RunRunning   RunStatus = "running"
	RunSucceeded RunStatus = "succeeded"
	// RunPartial: the run finished, but some references failed.
	RunPartial   RunStatus = "partial"
	RunFailed    RunStatus = "failed"
	RunCancelled RunStatus = "cancelled"
)

// RunStatusNames lists every run status, as filters offer them.
func RunStatusNames() []string {
	return []string{string(RunRunning), string(RunSucceeded), string(RunPartial), string(RunFailed), string(RunCancelled)}
}

// Run is one pass of the engine over an account.
type Run struct {
	ID         string // unique, chosen by the caller
	Account    string
	Mode       Mode
	Trigger    string // "schedule", "manual", "cli", ...
	Status     RunStatus
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
	// Counts holds named counters ("exported", "skipped", "failed",
	// "confirmations", "warnings", ...).
	Counts     map[string]int
	VeeqoCalls int64
	Error      string
}

// RunQuery selects runs, newest first. Zero fields do not filter.
type RunQuery struct {
	Account  string // required
	Statuses []RunStatus
	// Before selects runs started before this time (paging).
	Before time.Time
	Limit  int // 0 means 50
}

// RunStore keeps the run history.
type RunStore interface {
	// StartRun records a new run (ErrExists if the ID is taken).
	StartRun(ctx context.Context, r Run) (Run, error)
	// FinishRun writes the run's final status, FinishedAt, Counts,
	// VeeqoCalls and Error. ErrNotFound.
	FinishRun(ctx context.Context, r Run) (Run, error)
	// GetRun returns one run. ErrNotFound.
	GetRun(ctx context.Context, id string) (Run, error)
	// QueryRuns returns the runs q selects, newest first.
	QueryRuns(ctx context.Context, q RunQuery) ([]Run, error)
}

// CustomerStore caches Veeqo customer ids by email, so an export reuses the
// customer instead of searching or creating one per order.
type CustomerStore interface {
	// CustomerID returns the cached id for email (compared
	// case-insensitively). ErrNotFound.
	CustomerID(ctx context.Context, account, email string) (int64, error)
	// PutCustomerID caches the id for email, replacing any previous one.
	PutCustomerID(ctx context.Context, account, email string, id int64) error
}

// NotifyStateStore keeps the notifier's bookkeeping (what was emailed, when
// the last digest went out), as small versioned documents per account and
// name.
type NotifyStateStore interface {
	// LoadNotifyState returns the value and version, or (nil, 0, nil) when
	// absent.
	LoadNotifyState(ctx context.Context, account, name string) ([]byte, int64, error)
	// SaveNotifyState writes the value if version equals the stored version
	// (0: absent), ErrConflict otherwise.
	SaveNotifyState(ctx context.Context, account, name string, value []byte, version int64) error
}
