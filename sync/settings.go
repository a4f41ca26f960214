package sync

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/filter"
	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// ErrInvalidSettings is matched (errors.Is) by the error Validate returns.
var ErrInvalidSettings = errors.New("vsync: invalid settings")

// Item identifiers: which ERP line identifier is matched against Veeqo's
// catalogue. "custom:<field>" names a line custom field.
const (
	IdentifierSKU        = "sku"         // ERP SKU -> Veeqo sku_code (the default)
	IdentifierItemNumber = "item_number" // ERP item number -> Veeqo sku_code
	IdentifierUPC        = "upc"         // ERP UPC -> Veeqo upc_code
)

// Defaults applied when a field is left out.
const (
	DefaultConfirmationOverlap = 10 * time.Minute
)

// DefaultExcludedChannelTypes is what ExcludedChannelTypes means when it is
// left out (null): Amazon FBA orders are fulfilled by Amazon, not shipped
// from the seller's warehouse.
func DefaultExcludedChannelTypes() []string { return []string{"amazon_fba"} }

// NameMapping is one row of the carrier-name or ship-service mapping tables
// (the mapping package's row: erp_name, veeqo_name, and for ship services an
// optional store scope).
type NameMapping = mapping.NameRow

// StoreMapping is one row of the third-party store mapping (the mapping
// package's row: erp_store, veeqo_channel, optional channel_id).
type StoreMapping = mapping.StoreRow

// Names builds a carrier or ship-service table from rows (unmapped names
// are an error on export; see mapping.TableConfig for pass_through).
func Names(rows ...NameMapping) mapping.TableConfig { return mapping.TableConfig{Rows: rows} }

// Stores builds a store mapping from rows.
func Stores(rows ...StoreMapping) mapping.StoreConfig { return mapping.StoreConfig{Rows: rows} }

// EmailSetting is an email notification switch with its recipients
// (comma-separated addresses, as the settings page stores them).
type EmailSetting struct {
	Enabled    bool   `json:"enabled"`
	Recipients string `json:"recipients"`
}

// Date is a calendar date, JSON "YYYY-MM-DD" (a full RFC 3339 timestamp is
// accepted and cut to its date). The zero Date is "no date" and encodes as "".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads "YYYY-MM-DD" (or an RFC 3339 timestamp's date part).
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t2, err2 := time.Parse(time.RFC3339, s)
		if err2 != nil {
			return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
		}
		t = t2
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as YYYY-MM-DD ("" when zero).
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// In returns local midnight of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// MarshalJSON encodes "YYYY-MM-DD" or "".
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON decodes "YYYY-MM-DD", an RFC 3339 timestamp, "" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a date string: %w", err)
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Duration is a time.Duration that encodes in JSON as Go duration text
// ("10m0s"); it decodes text ("90s", "1h30m") or a number of seconds.
type Duration time.Duration

// MarshalJSON encodes the duration as text ("" for zero).
func (d Duration) MarshalJSON() ([]byte, error) {
	if d == 0 {
		return json.Marshal("")
	}
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON decodes "1h30m", "" (zero), null (zero) or a number of
// seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		*d = 0
		return nil
	}
	if len(s) > 0 && s[0] == '"' {
		var txt string
		if err := json.Unmarshal(b, &txt); err != nil {
			return err
		}
		txt = strings.TrimSpace(txt)
		if txt == "" {
			*d = 0
			return nil
		}
		v, err := time.ParseDuration(txt)
		if err != nil {
			return fmt.Errorf("duration %q: want e.g. \"10m\" or \"2h\"", txt)
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("want a duration text or a number of seconds: %w", err)
	}
	// Converting an out-of-range float to int64 wraps (1e30 s became negative).
	if ns := secs * float64(time.Second); ns >= math.MaxInt64 || ns <= math.MinInt64 {
		return fmt.Errorf("duration of %g seconds is out of range", secs)
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}

// Settings mirrors the integration's settings page (spec sections 4.1 and
// 4.2) for one Veeqo account. The JSON names are what a settings page
// stores; Settings round-trips through JSON unchanged. Validate checks it.
type Settings struct {
	// Account is the Veeqo connection profile (the store's account name).
	Account string `json:"account"`

	// ExportOrders is "Export Orders to Veeqo": waved ERP orders are created
	// in Veeqo. Exclusive with FetchFulfillments.
	ExportOrders bool `json:"export_orders"`
	// FetchFulfillments is "Fetch Order Fulfillments from Veeqo": orders born
	// elsewhere are fulfilled in Veeqo and their shipments applied to the ERP.
	FetchFulfillments bool `json:"fetch_fulfillments"`
	// FetchShipConfirmation is "Fetch Ship Confirmation" (export mode):
	// import the shipment confirmations of exported orders. Nil means on.
	FetchShipConfirmation *bool `json:"fetch_ship_confirmation,omitempty"`

	// ItemIdentifier is "Item Identifier Code": sku (default), item_number,
	// upc, or custom:<field>.
	ItemIdentifier string `json:"item_identifier"`
	// DisableMultishipment is "Disable Multishipment": the first shipment
	// confirmation is final (lines closed, remainders unallocated).
	DisableMultishipment bool `json:"disable_multishipment"`
	// Filters are the filter rows (Filter Name / Operator / Value): a plain
	// array of rows that all must match, or a group object.
	Filters filter.Group `json:"filters"`
	// DefaultSKU is the Veeqo SKU used for a line whose identifier is missing
	// or not in Veeqo's catalogue.
	DefaultSKU string `json:"default_sku"`
	// CarrierMapping is "Carrier Name Mapping" (ERP carrier <-> Veeqo
	// carrier): a plain array of rows, or {"unmapped": "pass_through",
	// "rows": [...]} (see the mapping package).
	CarrierMapping mapping.TableConfig `json:"carrier_mapping"`
	// ShipServiceMapping is "Ship Service Mapping" (ERP ship service <->
	// Veeqo delivery method / shipment service name), rows optionally scoped
	// to a store.
	ShipServiceMapping mapping.TableConfig `json:"ship_service_mapping"`
	// StoreMapping is "Third Party Store" (ERP store <-> Veeqo channel).
	StoreMapping mapping.StoreConfig `json:"store_mapping"`
	// ExcludedChannelTypes are Veeqo channel type codes whose orders are never
	// fetched. Nil (left out) means DefaultExcludedChannelTypes; [] means none.
	ExcludedChannelTypes []string `json:"excluded_channel_types"`
	// VeeqoCancelRemainder is what an order cancelled in Veeqo after a
	// partial shipment does to the ERP order's unshipped remainder:
	// CancelRemainderClose (the default) closes the open lines and
	// unallocates the remainder; CancelRemainderOpen leaves them open and
	// flags the order. The spec names no setting for it.
	VeeqoCancelRemainder string `json:"veeqo_cancel_remainder,omitempty"`
	// ERPCancelAction is what the engine does when an exported ERP order is
	// cancelled (or deleted) in the ERP before Veeqo shipped it: always a
	// flag (an error record, notified once); ERPCancelNote also adds an
	// employee note to the Veeqo order, ERPCancelCancel cancels it in Veeqo
	// (PUT /orders/{id}/cancel with a reason). Default ERPCancelFlag.
	ERPCancelAction string `json:"erp_cancel_action,omitempty"`

	// TimeZone is "Time Zone": an IANA name ("America/Los_Angeles") or a
	// settings-page label ("(UTC-08:00) Pacific Time (US and Canada)").
	TimeZone string `json:"time_zone"`
	// AutoSync is "Enable Auto Import/Export".
	AutoSync bool `json:"auto_sync"`
	// StartDate is "Integration Start Date": scheduled runs begin on it and
	// orders created before it are ignored.
	StartDate Date `json:"start_date"`
	// Hour (0-23) and Minute (0-59) are the scheduled run time, local.
	Hour   int `json:"hour"`
	Minute int `json:"minute"`
	// StartOffsetMinutes is "Auto Import Start Time Offset": zero or negative
	// minutes, to run slightly before Hour:Minute.
	StartOffsetMinutes int `json:"start_offset_minutes"`
	// RepeatInterval, when set, repeats the run every interval from
	// Hour:Minute until the end of each local day (e.g. "1h").
	RepeatInterval Duration `json:"repeat_interval"`
	// ConfirmationOverlap is subtracted from the confirmation/fulfillment
	// cursor when polling, so late-visible updates are not missed. Zero
	// means DefaultConfirmationOverlap.
	ConfirmationOverlap Duration `json:"confirmation_overlap"`

	// InstantErrorEmails is "Receive Import Error Notifications by Email" with
	// "Instant Error Email(s)".
	InstantErrorEmails EmailSetting `json:"instant_error_emails"`
	// DailyErrorEmails is "Send Daily Error Email" with "Daily Error Email(s)".
	DailyErrorEmails EmailSetting `json:"daily_error_emails"`
	// ExcludeLogs is "Exclude Logs": comma-separated keywords or wildcard
	// patterns of log messages left out of error emails.
	ExcludeLogs string `json:"exclude_logs"`
}

// Mapping returns the mapping part of the settings, as the mapping package
// takes it (mapping.New, mapping.Compile); an invalid item_identifier is
// left as the zero Identifier (sku), which Validate reports.
func (s Settings) Mapping() mapping.Settings {
	ident, _ := mapping.ParseIdentifier(s.ItemIdentifier)
	return mapping.Settings{ItemIdentifier: ident, DefaultSKU: s.DefaultSKU, CarrierMapping: s.CarrierMapping,
		ShipServiceMapping: s.ShipServiceMapping, StoreMapping: s.StoreMapping}
}

// Values of VeeqoCancelRemainder and ERPCancelAction.
const (
	CancelRemainderClose = "close"
	CancelRemainderOpen  = "open"
	ERPCancelFlag        = "flag"
	ERPCancelNote        = "note"
	ERPCancelCancel      = "cancel"
)

// CancelRemainder returns VeeqoCancelRemainder with its default applied.
func (s Settings) CancelRemainder() string {
	if s.VeeqoCancelRemainder == "" {
		return CancelRemainderClose
	}
	return s.VeeqoCancelRemainder
}

// ERPCancel returns ERPCancelAction with its default applied.
func (s Settings) ERPCancel() string {
	if s.ERPCancelAction == "" {
		return ERPCancelFlag
	}
	return s.ERPCancelAction
}

// Mode returns the direction the settings select: store.ModeExport,
// store.ModeFetch, or store.ModeNone when neither switch is on.
func (s Settings) Mode() store.Mode {
	switch {
	case s.ExportOrders && !s.FetchFulfillments:
		return store.ModeExport
	case s.FetchFulfillments && !s.ExportOrders:
		return store.ModeFetch
	}
	return store.ModeNone
}

// ShipConfirmations reports whether export mode imports confirmations
// (FetchShipConfirmation, default on).
func (s Settings) ShipConfirmations() bool {
	return s.FetchShipConfirmation == nil || *s.FetchShipConfirmation
}

// ExcludedTypes returns ExcludedChannelTypes with its default applied.
func (s Settings) ExcludedTypes() []string {
	if s.ExcludedChannelTypes == nil {
		return DefaultExcludedChannelTypes()
	}
	return s.ExcludedChannelTypes
}

// Overlap returns ConfirmationOverlap with its default applied.
func (s Settings) Overlap() time.Duration {
	if s.ConfirmationOverlap <= 0 {
		return DefaultConfirmationOverlap
	}
	return time.Duration(s.ConfirmationOverlap)
}

// Identifier returns ItemIdentifier normalised (sku, item_number, upc or
// custom:<field>), defaulting to "sku"; an invalid value is returned as
// written (Validate reports it).
func (s Settings) Identifier() string {
	id, err := mapping.ParseIdentifier(s.ItemIdentifier)
	if err != nil {
		return s.ItemIdentifier
	}
	return id.String()
}

// FieldProblem is one problem Validate found, naming the JSON field.
type FieldProblem struct {
	Field   string // JSON name, e.g. "hour" or "carrier_mapping[2].veeqo_name"
	Problem string
}

// String returns "field: problem".
func (p FieldProblem) String() string { return p.Field + ": " + p.Problem }

// SettingsError lists every problem of a Settings. It matches
// ErrInvalidSettings.
type SettingsError struct {
	Problems []FieldProblem
}

// Error lists the problems, one per field.
func (e *SettingsError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "vsync: invalid settings: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalidSettings) true.
func (e *SettingsError) Is(target error) bool { return target == ErrInvalidSettings }

// Fields returns the JSON names of the fields with problems, in order.
func (e *SettingsError) Fields() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.Field
	}
	return out
}

func (e *SettingsError) add(field, format string, args ...any) {
	e.Problems = append(e.Problems, FieldProblem{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// Validate returns every problem of s at once as a *SettingsError (nil when
// s is valid). Each problem names its JSON field.
func (s Settings) Validate() error {
	_, err := s.compile(nil)
	return err
}

// compiled is what settings build: the filter of the mode, the mapping
// tables (a mapping.Mapper not yet bound to Veeqo) and the zone. Validate
// and New build them once, in compile.
type compiled struct {
	exportFilter *filter.Filter[ERPOrder]
	fetchFilter  *filter.Filter[veeqo.Order]
	tables       *mapping.Mapper
	loc          *time.Location
}

// compile validates the settings (every problem at once, as Validate
// documents) and returns what they build, the filters evaluated against
// now (nil: time.Now).
func (s Settings) compile(now func() time.Time) (compiled, error) {
	var c compiled
	var e SettingsError
	s.checkDirection(&e)
	s.compileMapping(&c, &e, now)
	for i, t := range s.ExcludedChannelTypes {
		if strings.TrimSpace(t) == "" {
			e.add(fmt.Sprintf("excluded_channel_types[%d]", i+1), "is empty")
		}
	}
	s.checkSchedule(&c, &e)
	s.checkPolicies(&e)
	if len(e.Problems) == 0 {
		return c, nil
	}
	return compiled{}, &e
}

// checkDirection checks the account name and that one direction is on.
func (s Settings) checkDirection(e *SettingsError) {
	if strings.TrimSpace(s.Account) == "" {
		e.add("account", "is required")
	}
	switch {
	case s.ExportOrders && s.FetchFulfillments:
		e.add("export_orders", "cannot be on together with fetch_fulfillments: choose one direction")
	case !s.ExportOrders && !s.FetchFulfillments && s.AutoSync:
		e.add("export_orders", "auto_sync is on but neither export_orders nor fetch_fulfillments is: choose one direction")
	}
}

// compileMapping builds the mode's filter and the mapping tables, with the
// item identifier and default SKU they use.
func (s Settings) compileMapping(c *compiled, e *SettingsError, now func() time.Time) {
	ident, err := mapping.ParseIdentifier(s.ItemIdentifier)
	if err != nil {
		e.add("item_identifier", "%q is not one of sku, item_number, upc, custom:<field>", s.ItemIdentifier)
	}
	if s.Mode() == store.ModeFetch {
		if c.fetchFilter, err = s.CompileFetchFilter(now); err != nil {
			addFilterProblems(e, err)
		}
	} else if c.exportFilter, err = s.CompileExportFilter(now); err != nil {
		addFilterProblems(e, err)
	}
	if strings.TrimSpace(s.DefaultSKU) != s.DefaultSKU {
		e.add("default_sku", "has surrounding spaces")
	}
	ms := s.Mapping()
	ms.ItemIdentifier = ident
	c.tables, err = mapping.Compile(ms)
	var tableErrs []error // mapping.Compile joins one error per table
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		tableErrs = j.Unwrap()
	} else if err != nil {
		tableErrs = []error{err}
	}
	for _, x := range tableErrs {
		var le *mapping.LoadError
		field := "mapping"
		if errors.As(x, &le) {
			field = map[string]string{"carrier": "carrier_mapping", "ship service": "ship_service_mapping", "store": "store_mapping"}[le.Table]
		}
		addMappingProblems(e, field, x)
	}
}

// checkSchedule checks the zone (building it), start date, hour, minute,
// start offset and repeat interval.
func (s Settings) checkSchedule(c *compiled, e *SettingsError) {
	var err error
	if c.loc, err = LoadLocation(s.TimeZone); err != nil {
		e.add("time_zone", "%v", err)
	}
	if s.AutoSync && s.StartDate.IsZero() {
		e.add("start_date", "is required when auto_sync is on")
	} else if !s.StartDate.IsZero() {
		if _, err := ParseDate(s.StartDate.String()); err != nil {
			e.add("start_date", "%q is not a valid date", s.StartDate.String())
		} else if s.StartDate.Year < 2000 || s.StartDate.Year > 2200 {
			e.add("start_date", "%q is outside 2000-2200", s.StartDate.String())
		}
	}
	if s.Hour < 0 || s.Hour > 23 {
		e.add("hour", "%d is not in 0-23", s.Hour)
	}
	if s.Minute < 0 || s.Minute > 59 {
		e.add("minute", "%d is not in 0-59", s.Minute)
	}
	if s.StartOffsetMinutes > 0 {
		e.add("start_offset_minutes", "%d must be zero or negative", s.StartOffsetMinutes)
	} else if s.StartOffsetMinutes < -24*60 {
		e.add("start_offset_minutes", "%d is more than a day", s.StartOffsetMinutes)
	}
	if s.RepeatInterval < 0 {
		e.add("repeat_interval", "must not be negative")
	} else if s.RepeatInterval > 0 && time.Duration(s.RepeatInterval) < time.Minute {
		e.add("repeat_interval", "%s is shorter than a minute", time.Duration(s.RepeatInterval))
	}
}

// checkPolicies checks the cancellation choices, the confirmation overlap,
// the error e-mail recipients and the log exclusions.
func (s Settings) checkPolicies(e *SettingsError) {
	switch s.VeeqoCancelRemainder {
	case "", CancelRemainderClose, CancelRemainderOpen:
	default:
		e.add("veeqo_cancel_remainder", "%q is not close or open", s.VeeqoCancelRemainder)
	}
	switch s.ERPCancelAction {
	case "", ERPCancelFlag, ERPCancelNote, ERPCancelCancel:
	default:
		e.add("erp_cancel_action", "%q is not flag, note or cancel", s.ERPCancelAction)
	}
	if s.ConfirmationOverlap < 0 {
		e.add("confirmation_overlap", "must not be negative")
	} else if time.Duration(s.ConfirmationOverlap) > 7*24*time.Hour {
		e.add("confirmation_overlap", "%s is longer than a week", time.Duration(s.ConfirmationOverlap))
	}
	validateEmails(e, "instant_error_emails", s.InstantErrorEmails)
	validateEmails(e, "daily_error_emails", s.DailyErrorEmails)
	for i, p := range strings.Split(s.ExcludeLogs, ",") {
		if strings.ContainsAny(p, "\r\n") {
			e.add("exclude_logs", "pattern %d contains a line break", i+1)
		}
	}
}

func addFilterProblems(e *SettingsError, err error) {
	var ce *filter.CompileError
	if errors.As(err, &ce) {
		for _, p := range ce.Problems {
			e.add("filters", "%s", p.Error())
		}
		return
	}
	e.add("filters", "%v", err)
}

// addMappingProblems names each row problem of a mapping table by its JSON
// field and 1-based row, e.g. "carrier_mapping[2]".
func addMappingProblems(e *SettingsError, field string, err error) {
	var le *mapping.LoadError
	if errors.As(err, &le) {
		for _, p := range le.Problems {
			f := field
			if p.Row > 0 {
				f = fmt.Sprintf("%s[%d]", field, p.Row)
			}
			e.add(f, "%s", p.Msg)
		}
		return
	}
	e.add(field, "%v", err)
}

func validateEmails(e *SettingsError, field string, s EmailSetting) {
	addrs, bad := notify.SplitRecipients(s.Recipients)
	for _, item := range bad {
		e.add(field+".recipients", "%q is not a valid email address", strings.NewReplacer("\r", " ", "\n", " ").Replace(item))
	}
	if s.Enabled && len(addrs) == 0 {
		e.add(field+".recipients", "needs at least one address when enabled")
	}
}

// ParseSettings decodes a settings document (unknown fields are an error,
// so a typo in a JSON name is caught) and validates it.
func ParseSettings(data []byte) (Settings, error) {
	var s Settings
	if strings.TrimSpace(string(data)) == "" {
		return Settings{}, fmt.Errorf("%w: the settings JSON is empty", ErrInvalidSettings)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Settings{}, fmt.Errorf("%w: %v", ErrInvalidSettings, err)
	}
	if err := s.Validate(); err != nil {
		return s, err
	}
	return s, nil
}
