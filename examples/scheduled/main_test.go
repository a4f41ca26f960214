package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScheduledExample runs the simulated day: the engine runs exactly at
// the schedule's times, and the SMTP server receives the instant mails and
// the digests, whose bodies name the failing orders and the setting to fix.
func TestScheduledExample(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	mails, err := run(context.Background(), &buf)
	require.NoError(t, err)
	out := buf.String()
	t.Log("\n" + out)

	runs := regexp.MustCompile(`(?m)^(\w{3} \d\d:\d\d)  run `).FindAllStringSubmatch(out, -1)
	var at []string
	for _, r := range runs {
		at = append(at, r[1])
	}
	assert.Equal(t, []string{"Mon 07:55", "Mon 11:55", "Mon 15:55", "Mon 19:55", "Tue 07:55"}, at,
		"08:00 five minutes early, every 4 hours to the end of the day; each slot once")
	assert.Contains(t, out, "Mon 11:55  run partial: 0 exported, 0 skipped, 1 failed, 1 confirmation applied")

	require.Len(t, mails, 4)
	type sent struct{ to, subject string }
	var got []sent
	for _, m := range mails {
		got = append(got, sent{to: m.To[0] + "," + m.To[len(m.To)-1], subject: m.Subject})
		assert.Equal(t, "veeqo-sync@acme.example", m.From)
	}
	assert.Equal(t, []sent{
		{"ops@acme.example,ops@acme.example", "[Veeqo][acme] 1 error: export_order SO-3002"},
		{"ops@acme.example,manager@acme.example", "[Veeqo][acme] Daily error summary 2026-11-02 (1 error)"},
		{"ops@acme.example,ops@acme.example", "[Veeqo][acme] 1 error: export_order SO-3005"},
		{"ops@acme.example,manager@acme.example", "[Veeqo][acme] Daily error summary 2026-11-03 (1 error)"},
	}, got)
	assert.Contains(t, mails[0].Body, `ship service "Courier" is not mapped (ship_service_mapping)`)
	assert.Contains(t, mails[2].Body, `store "Outlet" is not mapped to a Veeqo channel (store_mapping)`)
	assert.Contains(t, mails[3].Body, "Period: 2026-11-02 08:00:00 EST to 2026-11-03 08:00:00 EST")
	assert.Contains(t, mails[3].Body, "SO-3005")
	assert.NotContains(t, mails[3].Body, "SO-3002", "already in Monday's digest")
	// Mail left the policy when it was due: instant mail at the end of the
	// run, digests at 08:00 local.
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	for i, want := range []string{"Mon 07:55", "Mon 08:00", "Mon 15:55", "Tue 08:00"} {
		assert.Equal(t, want, mails[i].At.In(ny).Format("Mon 15:04"), "mail %d", i)
	}
}
