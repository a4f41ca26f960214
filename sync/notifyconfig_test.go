package sync_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/notify/notifytest"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

func TestSettingsEmailConfig(t *testing.T) {
	t.Parallel()
	la, err := time.LoadLocation("America/Los_Angeles")
	require.NoError(t, err)
	tests := []struct {
		name    string
		s       vsync.Settings
		want    notify.EmailConfig
		wantErr string
	}{
		{name: "every field of the settings page",
			s: vsync.Settings{Account: "acme", TimeZone: "(UTC-08:00) Pacific Time (US and Canada)", Hour: 6, Minute: 45,
				InstantErrorEmails: vsync.EmailSetting{Enabled: true, Recipients: "ops@acme.example"},
				DailyErrorEmails:   vsync.EmailSetting{Enabled: true, Recipients: "a@acme.example; b@acme.example"},
				ExcludeLogs:        "*timeout*, rate limit"},
			want: notify.EmailConfig{Account: "acme", From: "sync@acme.example", Location: la, DailyAt: notify.TimeOfDay{Hour: 6, Minute: 45},
				InstantEnabled: true, InstantTo: "ops@acme.example", DailyEnabled: true, DailyTo: "a@acme.example; b@acme.example",
				ExcludePatterns: "*timeout*, rate limit"}},
		{name: "emails off, UTC by default",
			s:    vsync.Settings{Account: "acme", Hour: 23, Minute: 59, InstantErrorEmails: vsync.EmailSetting{Recipients: "ops@acme.example"}},
			want: notify.EmailConfig{Account: "acme", From: "sync@acme.example", Location: time.UTC, DailyAt: notify.TimeOfDay{Hour: 23, Minute: 59}, InstantTo: "ops@acme.example"}},
		{name: "unknown time zone", s: vsync.Settings{Account: "acme", TimeZone: "Mars/Base"}, wantErr: "time_zone"},
		{name: "hour out of range", s: vsync.Settings{Account: "acme", Hour: 24}, wantErr: "hour and minute"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.s.EmailConfig("sync@acme.example")
			if tc.wantErr != "" {
				require.ErrorIs(t, err, vsync.ErrInvalidSettings)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })); diff != "" {
				t.Errorf("EmailConfig (-want +got):\n%s", diff)
			}
			_, err = notify.NewEmailPolicy(got, &notifytest.Mailbox{}, notifytest.NewState(), &notifytest.Log{})
			require.NoError(t, err, "the policy accepts what the settings page validated")
		})
	}
}
