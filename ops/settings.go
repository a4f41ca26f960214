package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/filter"
	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// settingField is one field of the settings form: its JSON name (the
// form field's name), label, help text and kind.
type settingField struct {
	Name, Label, Help, Kind string
	Value                   string // filled per request
	Checked                 bool
	Problems                []string
}

// Field kinds.
const (
	kindCheck    = "checkbox"
	kindText     = "text"
	kindNumber   = "number"
	kindDate     = "date"
	kindJSON     = "json"
	kindDuration = "duration"
)

type settingGroup struct {
	Title  string
	Fields []settingField
}

// settingGroups are the settings page's fields, grouped as the spec
// (section 4) groups them, with its help text.
func settingGroups() []settingGroup {
	return []settingGroup{
		{Title: "Data Export Settings", Fields: []settingField{
			{Name: "export_orders", Label: "Export Orders to Veeqo", Kind: kindCheck, Help: "Waved, eligible ERP orders are created in Veeqo, which fulfils them. Cannot be on together with Fetch Order Fulfillments."},
			{Name: "fetch_fulfillments", Label: "Fetch Order Fulfillments from Veeqo", Kind: kindCheck, Help: "Orders born elsewhere (marketplaces) are fulfilled in Veeqo; their shipments are applied to the ERP. Cannot be on together with Export Orders."},
			{Name: "fetch_ship_confirmation", Label: "Fetch Ship Confirmation", Kind: kindCheck, Help: "In export mode, import the shipment confirmations of exported orders."},
			{Name: "item_identifier", Label: "Item Identifier Code", Kind: kindText, Help: "Which ERP item identifier is matched with Veeqo: sku (default), item_number, upc, or custom:<field>."},
			{Name: "disable_multishipment", Label: "Disable Multishipment", Kind: kindCheck, Help: "When on, the first shipment confirmation is final: all wave lines are closed and unshipped quantities unallocated. When off, wave lines stay open until everything has shipped."},
			{Name: "filters", Label: "Filters (Filter Name / Operator / Value)", Kind: kindJSON, Help: `Rows that orders must match, as JSON: [{"field": "source", "operator": "Not Equals", "value": "Phone"}].`},
			{Name: "default_sku", Label: "Default SKU", Kind: kindText, Help: "The Veeqo SKU used for a line whose identifier is missing or not in Veeqo's catalogue."},
			{Name: "carrier_mapping", Label: "Carrier Name Mapping", Kind: kindJSON, Help: `ERP carrier name to Veeqo carrier name, as JSON: [{"erp_name": "UPS Inc", "veeqo_name": "UPS"}].`},
			{Name: "ship_service_mapping", Label: "Ship Service Mapping", Kind: kindJSON, Help: `ERP ship service to Veeqo delivery method, as JSON: [{"erp_name": "Ground", "veeqo_name": "Standard"}].`},
			{Name: "store_mapping", Label: "Third Party Store", Kind: kindJSON, Help: `ERP store to Veeqo channel, as JSON: [{"erp_store": "Web", "veeqo_channel": "Web Shop"}].`},
			{Name: "excluded_channel_types", Label: "Excluded Channel Types", Kind: kindJSON, Help: `Veeqo channel types never fetched, as a JSON list; empty means the default ["amazon_fba"], [] means none.`},
		}},
		{Title: "Import/Export Settings", Fields: []settingField{
			{Name: "time_zone", Label: "Time Zone", Kind: kindText, Help: "The time zone of the schedule and of the times on this page: an IANA name (America/Los_Angeles) or a label such as (UTC-08:00) Pacific Time (US and Canada)."},
			{Name: "auto_sync", Label: "Enable Auto Import/Export", Kind: kindCheck, Help: "Run the import and export jobs on the schedule below. When off, runs are started from Sync now."},
			{Name: "start_date", Label: "Integration Start Date", Kind: kindDate, Help: "Scheduled jobs start on this date; orders created before it are ignored."},
			{Name: "hour", Label: "Hour", Kind: kindNumber, Help: "The hour (0-23) of the scheduled run, in the time zone above."},
			{Name: "minute", Label: "Min", Kind: kindNumber, Help: "The minute (0-59) of the scheduled run."},
			{Name: "start_offset_minutes", Label: "Auto Import Start Time Offset", Kind: kindNumber, Help: "Zero or negative minutes: run this much earlier than Hour:Min."},
			{Name: "repeat_interval", Label: "Repeat Interval", Kind: kindDuration, Help: "Repeat the run every interval (e.g. 1h) from Hour:Min until the end of the day; empty for once a day."},
			{Name: "confirmation_overlap", Label: "Confirmation Overlap", Kind: kindDuration, Help: "How far back each poll for confirmations re-reads (default 10m), so late updates are not missed."},
		}},
		{Title: "Error Handling & Notifications", Fields: []settingField{
			{Name: "instant_error_emails.enabled", Label: "Receive Import Error Notifications by Email", Kind: kindCheck, Help: "Send an email as soon as an import or export fails."},
			{Name: "instant_error_emails.recipients", Label: "Instant Error Email(s)", Kind: kindText, Help: "Who gets the instant error emails; separate several addresses with commas."},
			{Name: "daily_error_emails.enabled", Label: "Send Daily Error Email", Kind: kindCheck, Help: "Send one summary of the day's errors every day."},
			{Name: "daily_error_emails.recipients", Label: "Daily Error Email(s)", Kind: kindText, Help: "Who gets the daily summary; separate several addresses with commas."},
			{Name: "exclude_logs", Label: "Exclude Logs", Kind: kindText, Help: "Comma-separated keywords or wildcard patterns: matching log messages are left out of error emails."},
		}},
	}
}

// fieldValues renders s into the form's values.
func fieldValues(s vsync.Settings) map[string]string {
	js := func(v any) string {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil || string(b) == "null" {
			return ""
		}
		return string(b)
	}
	b := func(v bool) string {
		if v {
			return "on"
		}
		return ""
	}
	dur := func(d vsync.Duration) string {
		if d == 0 {
			return ""
		}
		return time.Duration(d).String()
	}
	m := map[string]string{
		"export_orders": b(s.ExportOrders), "fetch_fulfillments": b(s.FetchFulfillments), "fetch_ship_confirmation": b(s.ShipConfirmations()),
		"item_identifier": s.ItemIdentifier, "disable_multishipment": b(s.DisableMultishipment), "default_sku": s.DefaultSKU,
		"filters": js(s.Filters), "carrier_mapping": js(s.CarrierMapping), "ship_service_mapping": js(s.ShipServiceMapping),
		"store_mapping": js(s.StoreMapping), "time_zone": s.TimeZone, "auto_sync": b(s.AutoSync),
		"start_date": s.StartDate.String(), "hour": strconv.Itoa(s.Hour), "minute": strconv.Itoa(s.Minute),
		"start_offset_minutes": strconv.Itoa(s.StartOffsetMinutes), "repeat_interval": dur(s.RepeatInterval),
		"confirmation_overlap":         dur(s.ConfirmationOverlap),
		"instant_error_emails.enabled": b(s.InstantErrorEmails.Enabled), "instant_error_emails.recipients": s.InstantErrorEmails.Recipients,
		"daily_error_emails.enabled": b(s.DailyErrorEmails.Enabled), "daily_error_emails.recipients": s.DailyErrorEmails.Recipients,
		"exclude_logs": s.ExcludeLogs,
	}
	if s.ExcludedChannelTypes != nil {
		m["excluded_channel_types"] = js(s.ExcludedChannelTypes)
	}
	for _, k := range []string{"filters", "carrier_mapping", "ship_service_mapping", "store_mapping"} {
		if m[k] == "[]" || m[k] == "{}" {
			m[k] = ""
		}
	}
	return m
}

// settingsFromForm reads the form into Settings. Problems reading a field
// (a number that is not one, JSON that does not parse) are returned by
// field; Validate's problems are added by the caller.
func settingsFromForm(account string, v url.Values) (vsync.Settings, []vsync.FieldProblem) {
	s := vsync.Settings{Account: account}
	r := &formReader{v: v}
	get, check := r.get, r.check
	s.ExportOrders, s.FetchFulfillments = check("export_orders"), check("fetch_fulfillments")
	sc := check("fetch_ship_confirmation")
	s.FetchShipConfirmation = &sc
	s.ItemIdentifier, s.DisableMultishipment, s.DefaultSKU = get("item_identifier"), check("disable_multishipment"), v.Get("default_sku")
	var g filter.Group
	r.jsonField("filters", &g)
	s.Filters = g
	var cm, sm mapping.TableConfig
	r.jsonField("carrier_mapping", &cm)
	r.jsonField("ship_service_mapping", &sm)
	s.CarrierMapping, s.ShipServiceMapping = cm, sm
	var st mapping.StoreConfig
	r.jsonField("store_mapping", &st)
	s.StoreMapping = st
	if get("excluded_channel_types") != "" {
		var ex []string
		r.jsonField("excluded_channel_types", &ex)
		if ex == nil {
			ex = []string{}
		}
		s.ExcludedChannelTypes = ex
	}
	s.TimeZone, s.AutoSync = get("time_zone"), check("auto_sync")
	if d, err := vsync.ParseDate(get("start_date")); err != nil {
		r.bad("start_date", "%q is not a date (YYYY-MM-DD)", visible(truncate(get("start_date"), 40)))
	} else {
		s.StartDate = d
	}
	s.Hour, s.Minute, s.StartOffsetMinutes = r.num("hour"), r.num("minute"), r.num("start_offset_minutes")
	s.RepeatInterval, s.ConfirmationOverlap = r.dur("repeat_interval"), r.dur("confirmation_overlap")
	s.InstantErrorEmails = vsync.EmailSetting{Enabled: check("instant_error_emails.enabled"), Recipients: get("instant_error_emails.recipients")}
	s.DailyErrorEmails = vsync.EmailSetting{Enabled: check("daily_error_emails.enabled"), Recipients: get("daily_error_emails.recipients")}
	s.ExcludeLogs = get("exclude_logs")
	return s, r.probs
}

// formReader reads typed values from the settings form, collecting one
// problem per value it cannot read.
type formReader struct {
	v     url.Values
	probs []vsync.FieldProblem
}

func (r *formReader) bad(field, format string, args ...any) {
	r.probs = append(r.probs, vsync.FieldProblem{Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (r *formReader) get(k string) string { return strings.TrimSpace(r.v.Get(k)) }

// check reads a checkbox: empty, 0, off or false is off; on, 1 or true on.
func (r *formReader) check(k string) bool {
	switch strings.ToLower(r.get(k)) {
	case "", "0", "off", "false":
		return false
	case "on", "1", "true":
		return true
	}
	r.bad(k, "%q is not on or off", visible(truncate(r.get(k), 40)))
	return false
}

// num reads a whole number; empty is 0.
func (r *formReader) num(k string) int {
	if r.get(k) == "" {
		return 0
	}
	n, err := strconv.Atoi(r.get(k))
	if err != nil {
		r.bad(k, "%q is not a whole number", visible(truncate(r.get(k), 40)))
	}
	return n
}

// jsonField decodes a JSON value strictly into dst; empty leaves dst.
func (r *formReader) jsonField(k string, dst any) {
	if r.get(k) == "" {
		return
	}
	dec := json.NewDecoder(strings.NewReader(r.get(k)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		r.bad(k, "is not valid JSON for this field: %v", err)
	}
}

// dur reads a Go duration (10m, 1h30m); empty is 0.
func (r *formReader) dur(k string) vsync.Duration {
	if r.get(k) == "" {
		return 0
	}
	d, err := time.ParseDuration(r.get(k))
	if err != nil {
		r.bad(k, "%q is not a duration (e.g. 10m, 1h30m)", visible(truncate(r.get(k), 40)))
	}
	return vsync.Duration(d)
}

// formField maps a problem's field ("carrier_mapping[2].veeqo_name") to
// the form field it belongs to ("carrier_mapping"); "" when none.
func formField(field string) string {
	names := map[string]bool{}
	for _, g := range settingGroups() {
		for _, f := range g.Fields {
			names[f.Name] = true
		}
	}
	for f := field; f != ""; {
		if names[f] {
			return f
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	return ""
}

// settingsData is the Settings view.
type settingsData struct {
	Groups []settingGroup
	// General are problems that belong to no form field.
	General []vsync.FieldProblem
	// StoredMode is the mode the account is locked to; WantedMode the one
	// the settings select.
	StoredMode, WantedMode string
	InFlight               *vsync.InFlight
	Switched               *vsync.SwitchReport
}

// settingsView builds the form for s with problems shown by field.
func (h *Handler) settingsView(ctx context.Context, a *acct, s vsync.Settings, probs []vsync.FieldProblem) settingsData {
	d := settingsData{Groups: settingGroups(), WantedMode: string(s.Mode())}
	vals := fieldValues(s)
	byField := map[string][]string{}
	for _, p := range probs {
		f := formField(p.Field)
		if f == "" {
			d.General = append(d.General, p)
			continue
		}
		msg := p.Problem
		if p.Field != f {
			msg = p.Field + ": " + p.Problem
		}
		byField[f] = append(byField[f], msg)
	}
	for gi := range d.Groups {
		for fi := range d.Groups[gi].Fields {
			f := &d.Groups[gi].Fields[fi]
			f.Value = vals[f.Name]
			f.Checked = f.Kind == kindCheck && f.Value == "on"
			f.Problems = byField[f.Name]
		}
	}
	d.StoredMode = "none"
	if row, err := a.cfg.Store.GetAccount(ctx, a.name); err == nil && row.Mode != store.ModeNone {
		d.StoredMode = string(row.Mode)
	}
	if d.StoredMode != d.WantedMode && d.WantedMode != "" {
		if eng, err := a.engine(); err == nil {
			if f, err := eng.InFlight(ctx); err == nil {
				d.InFlight = &f
			}
		}
	}
	return d
}

// formValues renders raw form input back into the fields (so a rejected
// form shows what the user typed, not the settings in force).
func (d *settingsData) formValues(v url.Values) {
	for gi := range d.Groups {
		for fi := range d.Groups[gi].Fields {
			f := &d.Groups[gi].Fields[fi]
			f.Value = v.Get(f.Name)
			f.Checked = f.Kind == kindCheck && f.Value != "" && f.Value != "off" && f.Value != "0"
		}
	}
}

// saveSettings validates s, stores it through the engine (who is logged)
// and puts it in force.
func (h *Handler) saveSettings(ctx context.Context, a *acct, s vsync.Settings, user string) (vsync.Settings, error) {
	if s.Account == "" {
		s.Account = a.name
	}
	if s.Account != a.name {
		return s, fieldError("account", "%q is not this account (%q)", visible(truncate(s.Account, 100)), visible(a.name))
	}
	if err := s.Validate(); err != nil {
		return s, err
	}
	// The engine in force may not build (its settings select no mode);
	// one built for the new settings saves them.
	a.mu.Lock()
	cfg := a.cfg
	a.mu.Unlock()
	cfg.Settings = s
	eng, err := vsync.New(cfg)
	if errors.Is(err, vsync.ErrNoMode) {
		return s, fieldError("export_orders", "choose a direction: turn on export_orders or fetch_fulfillments")
	}
	if err != nil {
		return s, err
	}
	if _, err := eng.SaveSettings(ctx, s, user); err != nil {
		return s, err
	}
	a.setSettings(s)
	if a.saved != nil {
		if err := a.saved(ctx, s); err != nil {
			return s, &httpError{status: http.StatusInternalServerError, msg: "the settings were saved, but the host could not take them: " + err.Error()}
		}
	}
	return s, nil
}

// switchMode switches the stored mode to the one the settings select.
func (h *Handler) switchMode(ctx context.Context, a *acct, to, reason, user string) (vsync.SwitchReport, error) {
	if to != string(store.ModeExport) && to != string(store.ModeFetch) {
		return vsync.SwitchReport{}, fieldError("to", "%q is not export or fetch", visible(truncate(to, 40)))
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return vsync.SwitchReport{}, fieldError("reason", "is required: say why the direction changes (it is logged)")
	}
	if len([]rune(reason)) > 500 {
		return vsync.SwitchReport{}, fieldError("reason", "is longer than 500 characters")
	}
	eng, err := a.engine()
	if err != nil {
		return vsync.SwitchReport{}, err
	}
	if string(eng.Mode()) != to {
		return vsync.SwitchReport{}, fieldError("to", "the settings select %s mode; save settings for %s mode first", eng.Mode(), visible(to))
	}
	rep, err := eng.SwitchMode(ctx, store.Mode(to), user+": "+reason)
	if errors.Is(err, vsync.ErrConfig) {
		return rep, badRequest("%v", err)
	}
	return rep, err
}
