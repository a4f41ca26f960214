package sync_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/filter"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestScheduleAcrossDST(t *testing.T) {
	t.Parallel()
	la := "America/Los_Angeles"
	tests := []struct {
		name  string
		s     vsync.Settings
		after string
		want  []string
	}{
		{
			name: "spring forward: skipped 02:30 runs at the change (03:00 PDT)",
			s:    vsync.Settings{TimeZone: la, Hour: 2, Minute: 30}, after: "2026-03-07T00:00:00Z",
			want: []string{"2026-03-07T10:30:00Z", "2026-03-08T10:00:00Z", "2026-03-09T09:30:00Z"},
		},
		{
			name: "fall back: repeated 01:30 runs once, at its first occurrence (PDT)",
			s:    vsync.Settings{TimeZone: la, Hour: 1, Minute: 30}, after: "2026-10-31T00:00:00Z",
			want: []string{"2026-10-31T08:30:00Z", "2026-11-01T08:30:00Z", "2026-11-02T09:30:00Z"},
		},
		{
			name: "Windows label, negative offset",
			s:    vsync.Settings{TimeZone: "(UTC-08:00) Pacific Time (US and Canada)", Hour: 6, StartOffsetMinutes: -15}, after: "2026-10-31T00:00:00Z",
			want: []string{"2026-10-31T12:45:00Z", "2026-11-01T13:45:00Z", "2026-11-02T13:45:00Z"},
		},
		{
			name: "offset moves a midnight run into the previous day",
			s:    vsync.Settings{TimeZone: la, Hour: 0, Minute: 5, StartOffsetMinutes: -10}, after: "2026-03-08T00:00:00Z",
			want: []string{"2026-03-08T07:55:00Z", "2026-03-09T06:55:00Z"},
		},
		{
			name: "repeat every 6h on the 23-hour day, in real time",
			s:    vsync.Settings{TimeZone: la, Hour: 0, RepeatInterval: vsync.Duration(6 * time.Hour)}, after: "2026-03-08T07:00:00Z",
			want: []string{"2026-03-08T08:00:00Z", "2026-03-08T14:00:00Z", "2026-03-08T20:00:00Z", "2026-03-09T02:00:00Z", "2026-03-09T07:00:00Z"},
		},
		{
			name: "start date: nothing before it",
			s:    vsync.Settings{TimeZone: "UTC", Hour: 9, StartDate: vsync.Date{Year: 2026, Month: 12, Day: 24}}, after: "2026-11-01T00:00:00Z",
			want: []string{"2026-12-24T09:00:00Z", "2026-12-25T09:00:00Z"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sch, err := tc.s.Schedule()
			require.NoError(t, err)
			var got []string
			for _, x := range sch.NextN(utc(tc.after), len(tc.want)) {
				got = append(got, x.Format(time.RFC3339))
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("run times (-want +got):\n%s", d)
			}
		})
	}
}

func TestScheduleDueOncePerOutage(t *testing.T) {
	t.Parallel()
	sch, err := vsync.Settings{TimeZone: "America/Los_Angeles", Hour: 7}.Schedule()
	require.NoError(t, err)
	last := utc("2026-11-02T15:00:00Z") // ran at 07:00 PST
	now := utc("2026-11-05T18:00:00Z")  // down for three slots
	assert.True(t, sch.Due(last, now))
	assert.False(t, sch.Due(now, now), "after running once, nothing is due until the next slot")
	assert.False(t, sch.Due(now, utc("2026-11-06T14:59:00Z")))
	assert.True(t, sch.Due(now, utc("2026-11-06T15:00:00Z")))
	assert.True(t, sch.Due(time.Time{}, now), "never ran: due")
	future, err := vsync.Settings{TimeZone: "UTC", Hour: 7, StartDate: vsync.Date{Year: 2027, Month: 1, Day: 1}}.Schedule()
	require.NoError(t, err)
	assert.False(t, future.Due(time.Time{}, now), "start date in the future")
}

func TestLoadLocationLabels(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"(UTC-08:00) Pacific Time (US and Canada)":        "America/Los_Angeles",
		"(UTC-05:00) Eastern Time (US & Canada)":          "America/New_York",
		"Central Time (US and Canada)":                    "America/Chicago",
		"(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi": "Asia/Kolkata",
		"(UTC+00:00) Dublin, Edinburgh, Lisbon, London":   "Europe/London",
		"(UTC) Coordinated Universal Time":                "UTC",
		"(UTC+10:00) Canberra, Melbourne, Sydney":         "Australia/Sydney",
		"Europe/Berlin":       "Europe/Berlin",
		"":                    "UTC",
		"(GMT-07:00) Arizona": "America/Phoenix",
		"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna": "Europe/Berlin",
	}
	for label, want := range tests {
		loc, err := vsync.LoadLocation(label)
		require.NoError(t, err, label)
		assert.Equal(t, want, loc.String(), label)
	}
	for _, bad := range []string{"(UTC-08:00) Narnia", "Mars/Olympus", "PST8PDT (made up)"} {
		_, err := vsync.LoadLocation(bad)
		assert.Error(t, err, bad)
	}
}

func TestSettingsValidateAllAtOnce(t *testing.T) {
	t.Parallel()
	s := vsync.Settings{
		ExportOrders: true, FetchFulfillments: true, AutoSync: true,
		ItemIdentifier: "serial_no",
		Filters:        filter.Rows(filter.Row{Field: "sorce", Operator: "Equals", Value: "x"}),
		CarrierMapping: vsync.Names(vsync.NameMapping{ERPName: "UPS", VeeqoName: "UPS"}, vsync.NameMapping{ERPName: "ups", VeeqoName: "DHL"}, vsync.NameMapping{ERPName: "", VeeqoName: "X"}),
		StoreMapping:   vsync.Stores(vsync.StoreMapping{ERPStore: "Web", VeeqoChannel: ""}),
		TimeZone:       "(UTC-08:00) Atlantis", Hour: 24, Minute: -1, StartOffsetMinutes: 5,
		RepeatInterval:     vsync.Duration(time.Second),
		InstantErrorEmails: vsync.EmailSetting{Enabled: true, Recipients: "ops@example.com, not-an-address"},
		DailyErrorEmails:   vsync.EmailSetting{Enabled: true},
	}
	err := s.Validate()
	require.ErrorIs(t, err, vsync.ErrInvalidSettings)
	var se *vsync.SettingsError
	require.ErrorAs(t, err, &se)
	want := []string{"account", "export_orders", "item_identifier", "filters", "carrier_mapping[2]", "carrier_mapping[3]",
		"store_mapping[1]", "time_zone", "start_date", "hour", "minute", "start_offset_minutes", "repeat_interval",
		"instant_error_emails.recipients", "daily_error_emails.recipients"}
	if d := cmp.Diff(want, se.Fields()); d != "" {
		t.Errorf("fields (-want +got):\n%s\n%v", d, err)
	}
	assert.Contains(t, err.Error(), `filters: row 1: unknown field "sorce"`)
	assert.Contains(t, err.Error(), `"not-an-address" is not a valid email address`)

	ok := vsync.Settings{Account: "a", FetchFulfillments: true}
	require.NoError(t, ok.Validate())
	neither := vsync.Settings{Account: "a", AutoSync: true, StartDate: vsync.Date{Year: 2026, Month: 1, Day: 1}}
	require.ErrorContains(t, neither.Validate(), "neither export_orders nor fetch_fulfillments")
}

func TestSettingsJSONRoundTrip(t *testing.T) {
	t.Parallel()
	doc := `{
	  "account": "acme-veeqo",
	  "export_orders": true,
	  "fetch_fulfillments": false,
	  "fetch_ship_confirmation": true,
	  "item_identifier": "item_number",
	  "disable_multishipment": true,
	  "filters": [{"field": "source", "operator": "Equals", "value": "Web"}],
	  "default_sku": "MISC-ITEM",
	  "carrier_mapping": [{"erp_name": "UPS Ground", "veeqo_name": "UPS"}],
	  "ship_service_mapping": [{"erp_name": "Ground", "veeqo_name": "Standard", "store": "Web"}],
	  "store_mapping": [{"erp_store": "Web", "veeqo_channel": "Web Shop"}],
	  "excluded_channel_types": ["amazon_fba"],
	  "time_zone": "(UTC-08:00) Pacific Time (US and Canada)",
	  "auto_sync": true,
	  "start_date": "2026-11-01",
	  "hour": 6,
	  "minute": 30,
	  "start_offset_minutes": -10,
	  "repeat_interval": "2h0m0s",
	  "confirmation_overlap": "15m0s",
	  "instant_error_emails": {"enabled": true, "recipients": "ops@example.com"},
	  "daily_error_emails": {"enabled": false, "recipients": ""},
	  "exclude_logs": "*timeout*, rate limited"
	}`
	s, err := vsync.ParseSettings([]byte(doc))
	require.NoError(t, err)
	assert.Equal(t, 6, s.Hour)
	assert.Equal(t, vsync.Date{Year: 2026, Month: 11, Day: 1}, s.StartDate)
	assert.Equal(t, 15*time.Minute, s.Overlap())
	out, err := json.Marshal(s)
	require.NoError(t, err)
	back, err := vsync.ParseSettings(out)
	require.NoError(t, err)
	if d := cmp.Diff(s, back); d != "" {
		t.Errorf("round trip (-first +second):\n%s", d)
	}
	var a, b map[string]any
	require.NoError(t, json.Unmarshal([]byte(doc), &a))
	require.NoError(t, json.Unmarshal(out, &b))
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("JSON names (-settings page +encoded):\n%s", d)
	}
	_, err = vsync.ParseSettings([]byte(strings.Replace(doc, `"hour"`, `"hours"`, 1)))
	require.ErrorContains(t, err, `unknown field "hours"`)
	def := vsync.Settings{}
	assert.Equal(t, []string{"amazon_fba"}, def.ExcludedTypes())
	assert.True(t, def.ShipConfirmations())
	assert.Equal(t, "sku", def.Identifier())
}

// TestSettingsMappingShapes: the mapping tables take the mapping package's
// shapes: a plain array, or an object with an unmapped policy, and the
// settings page's own column names.
func TestSettingsMappingShapes(t *testing.T) {
	t.Parallel()
	s, err := vsync.ParseSettings([]byte(`{"account":"a","export_orders":true,
	  "carrier_mapping":[{"carrier_name":"UPS Ground","third_party_carrier_name":"UPS"}],
	  "ship_service_mapping":{"unmapped":"pass_through","rows":[{"erp_name":"Ground","veeqo_name":"Standard","store":"Web"}]},
	  "store_mapping":[{"erp_store":"Web","veeqo_channel":"Web Shop"}]}`))
	require.NoError(t, err)
	assert.Equal(t, "UPS", s.CarrierMapping.Rows[0].VeeqoName)
	assert.Equal(t, "pass_through", string(s.ShipServiceMapping.Unmapped))
	out, err := json.Marshal(s)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"ship_service_mapping":{"unmapped":"pass_through","rows":[{"erp_name":"Ground","veeqo_name":"Standard","store":"Web"}]}`)
	_, err = vsync.ParseSettings([]byte(`{"account":"a","export_orders":true,"carrier_mapping":[{"erp_name":"A","veeqo_name":"X"},{"erp_name":"B","veeqo_name":"x"}]}`))
	require.ErrorIs(t, err, vsync.ErrInvalidSettings)
	assert.Contains(t, err.Error(), "carrier_mapping[2]: ")
}
