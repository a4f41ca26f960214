package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/internal/display"
	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/notify/notifytest"
)

// clock is a settable clock for the policy.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

func baseConfig(t testing.TB) notify.EmailConfig {
	return notify.EmailConfig{
		Account:        "acme",
		From:           "Veeqo Connector <veeqo@erp.example>",
		InstantEnabled: true,
		InstantTo:      "ops@shop.example, Boss <boss@shop.example>",
		DailyEnabled:   true,
		DailyTo:        "daily@shop.example",
		DailyAt:        notify.TimeOfDay{Hour: 8},
		Location:       mustZone(t, "America/Los_Angeles"),
	}
}

// fixture is a policy over in-memory state, log and mailbox, as an engine would wire it.
type fixture struct {
	cfg    notify.EmailConfig
	opts   []notify.Option
	log    *notifytest.Log
	state  *notifytest.State
	box    *notifytest.Mailbox
	clock  *clock
	policy *notify.EmailPolicy
	engine notify.Notifier // stores the event in the log, then notifies the policy
}

// t0 is Friday 2026-11-27 10:00 PST.
var t0 = time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, cfg notify.EmailConfig, opts ...notify.Option) *fixture {
	t.Helper()
	f := &fixture{cfg: cfg, opts: opts, log: &notifytest.Log{}, state: notifytest.NewState(), box: &notifytest.Mailbox{}, clock: &clock{now: t0}}
	f.restart(t)
	return f
}

// restart replaces the policy with a new instance over the same state and log, as after a process restart.
func (f *fixture) restart(t *testing.T) {
	t.Helper()
	opts := append([]notify.Option{notify.WithClock(f.clock.Now), notify.WithCoalesceWindow(30 * time.Second)}, f.opts...)
	p, err := notify.NewEmailPolicy(f.cfg, f.box, f.state, f.log, opts...)
	require.NoError(t, err)
	f.policy = p
	f.engine = f.log.Notifier(p)
}

func (f *fixture) emit(t *testing.T, process, ref, msg string) notify.Event {
	t.Helper()
	e := notify.Event{Account: "acme", RunID: "run-1", Process: process, Level: notify.LevelError, Reference: ref, Message: msg, Time: f.clock.Now()}
	require.NoError(t, f.engine.Notify(t.Context(), e))
	all := f.log.All()
	return all[len(all)-1]
}

func (f *fixture) mark(t *testing.T) int64 {
	t.Helper()
	b, _ := f.state.Get("acme", notify.StateInstantMark)
	if b == nil {
		return 0
	}
	var m struct{ Seq int64 }
	require.NoError(t, json.Unmarshal(b, &m))
	return m.Seq
}

var subjectCount = regexp.MustCompile(`\] (\d+) errors?`)

// covered is the number of events an instant mail covers, read from its subject.
func covered(t *testing.T, m notify.Message) int {
	t.Helper()
	sm := subjectCount.FindStringSubmatch(m.Subject)
	require.NotNil(t, sm, "subject %q", m.Subject)
	n, err := strconv.Atoi(sm[1])
	require.NoError(t, err)
	return n
}

func subjects(msgs []notify.Message) []string {
	var s []string
	for _, m := range msgs {
		s = append(s, m.Subject)
	}
	return s
}

func TestInstantCoalescesABurst(t *testing.T) {
	t.Parallel()
	f := newFixture(t, baseConfig(t))
	for i := 1; i <= 500; i++ {
		f.emit(t, "export_order", fmt.Sprintf("SO-%04d", i), fmt.Sprintf("SKU X-%d not found in Veeqo", i))
	}
	require.NoError(t, f.policy.Tick(t.Context(), f.clock.Advance(10*time.Second)))
	require.Empty(t, f.box.Messages(), "sent inside the coalescing window")

	require.NoError(t, f.policy.Tick(t.Context(), f.clock.Advance(25*time.Second)))
	msgs := f.box.Messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	want := "[Veeqo][acme] 500 errors: export_order SO-0001, export_order SO-0002, export_order SO-0003, ..."
	if m.Subject != want {
		t.Errorf("subject = %q, want %q", m.Subject, want)
	}
	if diff := cmp.Diff([]string{"ops@shop.example", "boss@shop.example"}, m.To); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
	for _, s := range []string{
		"Veeqo integration: 500 errors for account acme.",
		"  export_order: 500\n",
		"1. ERROR export_order SO-0001\n   Time:    2026-11-27 10:00:00 PST\n   Run:     run-1\n   Message: SKU X-1 not found in Veeqo\n",
		"20. ERROR export_order SO-0020",
		"... and 480 more (see the Operations page for the full list).",
	} {
		require.Contains(t, m.Text, s)
	}
	require.NotContains(t, m.Text, "SO-0021")
	require.EqualValues(t, 500, f.mark(t))

	require.NoError(t, f.policy.Tick(t.Context(), f.clock.Advance(time.Minute)))
	require.Len(t, f.box.Messages(), 1, "the burst was mailed again")
}

// TestInstantHandfulForALongRun: 500 failures spread over five minutes, ticked every 5 s, become a handful of
// mails that together cover every failure exactly once.
func TestInstantHandfulForALongRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, baseConfig(t))
	for i := 1; i <= 500; i++ {
		f.emit(t, "export_order", fmt.Sprintf("SO-%04d", i), "boom")
		f.clock.Advance(600 * time.Millisecond)
		if i%8 == 0 {
			require.NoError(t, f.policy.Tick(t.Context(), f.clock.Now()))
		}
	}
	require.NoError(t, f.policy.Flush(t.Context())) // the engine's end of run
	msgs := f.box.Messages()
	total := 0
	for _, m := range msgs {
		total += covered(t, m)
	}
	require.Equal(t, 500, total, "subjects: %q", subjects(msgs))
	require.LessOrEqual(t, len(msgs), 12, "not a handful: %d mails", len(msgs))
	require.GreaterOrEqual(t, len(msgs), 5, "a five-minute run should not wait for its end: %d mails", len(msgs))
	t.Logf("500 errors over 5 min -> %d mails", len(msgs))
}

func TestInstantMaxPerMailSplitsLargeBacklogs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, baseConfig(t), notify.WithMaxPerMail(200), notify.WithMaxListed(5))
	for i := 1; i <= 450; i++ {
		f.emit(t, "fetch_fulfillment", fmt.Sprintf("AMZ-%d", i), "no ERP order")
	}
	require.NoError(t, f.policy.Tick(t.Context(), f.clock.Advance(10*time.Second)))
	require.Empty(t, f.box.Messages())
	require.NoError(t, f.policy.Tick(t.Context(), f.clock.Advance(30*time.Second)))
	msgs := f.box.Messages()
	var counts []int
	for _, m := range msgs {
		counts = append(counts, covered(t, m))
	}
	require.Equal(t, []int{200, 200, 50}, counts)
	require.Contains(t, msgs[0].Text, "... and 195 more")
	require.EqualValues(t, 450, f.mark(t))
}

func TestInstantOnlyMailsMailableEvents(t *testing.T) {
	t.Parallel()
	f := newFixture(t, baseConfig(t))
	ctx := t.Context()
	for _, e := range []notify.Event{
		{Account: "acme", Level: notify.LevelInfo, Process: "run", Message: "run finished"},
		{Account: "acme", Level: notify.LevelWarning, Process: "import_confirmation", Reference: "SO-9", Message: "overshipped"},
		{Account: "other", Level: notify.LevelError, Process: "export_order", Reference: "SO-X", Message: "other account"},
		{Account: "acme", Level: notify.LevelError, Process: "export_order", Reference: "SO-1", Message: "real error"},
	} {
		require.NoError(t, f.engine.Notify(ctx, e))
	}
	require.NoError(t, f.policy.Flush(ctx))
	msgs := f.box.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, "[Veeqo][acme] 1 error: export_order SO-1", msgs[0].Subject)
	require.NotContains(t, msgs[0].Text, "SO-9")
	require.NotContains(t, msgs[0].Text, "SO-X")

	cfg := baseConfig(t)
	cfg.IncludeWarnings = true
	g := newFixture(t, cfg)
	require.NoError(t, g.engine.Notify(ctx, notify.Event{Account: "acme", Level: notify.LevelWarning, Process: "import_confirmation", Reference: "SO-9", Message: "overshipped"}))
	require.NoError(t, g.engine.Notify(ctx, notify.Event{Account: "acme", Level: notify.LevelError, Process: "export_order", Reference: "SO-1", Message: "x"}))
	require.NoError(t, g.policy.Flush(ctx))
	require.Len(t, g.box.Messages(), 1)
	require.Equal(t, "[Veeqo][acme] 1 error, 1 warning: import_confirmation SO-9, export_order SO-1", g.box.Messages()[0].Subject)
}

func TestExcludePatternsKeepEntriesOutOfMail(t *testing.T) {
	t.Parallel()
	cfg := baseConfig(t)
	cfg.ExcludePatterns = "rate limit, *retrying*"
	f := newFixture(t, cfg)
	ctx := t.Context()
	f.emit(t, "export_order", "SO-1", "Veeqo Rate Limit reached")
	f.emit(t, "export_order", "SO-2", "timeout, retrying later")
	require.NoError(t, f.policy.Flush(ctx))
	require.Empty(t, f.box.Messages(), "only excluded entries, yet a mail was sent")
	require.Len(t, f.log.All(), 2, "excluded entries must stay logged")

	f.emit(t, "export_order", "SO-3", "SKU not found")
	require.NoError(t, f.policy.Flush(ctx))
	msgs := f.box.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, "[Veeqo][acme] 1 error: export_order SO-3", msgs[0].Subject)
	require.NotContains(t, msgs[0].Text, "SO-1")
	require.NotContains(t, msgs[0].Text, "SO-2")

	// The digest leaves them out too, and says how many it left out.
	require.NoError(t, f.policy.Tick(ctx, t0))                   // first tick: starts the digest period at 08:00 today
	require.NoError(t, f.policy.Tick(ctx, t0.Add(22*time.Hour))) // 08:00 the next day
	msgs = f.box.Messages()
	require.Len(t, msgs, 2)
	require.Equal(t, "[Veeqo][acme] Daily error summary 2026-11-28 (1 error)", msgs[1].Subject)
	require.Contains(t, msgs[1].Text, "Not counted: 2 entries matching the Exclude Logs patterns.")
	require.NotContains(t, msgs[1].Text, "SO-1 ")
}

func TestRestartNeverResends(t *testing.T) {
	t.Parallel()
	f := newFixture(t, baseConfig(t))
	ctx := t.Context()
	for i := 1; i <= 3; i++ {
		f.emit(t, "export_order", fmt.Sprintf("SO-%d", i), "failed")
	}
	require.NoError(t, f.policy.Flush(ctx))
	require.Len(t, f.box.Messages(), 1)

	// Two more errors are buffered, then the process dies before sending them.
	f.emit(t, "export_order", "SO-4", "failed")
	f.emit(t, "export_order", "SO-5", "failed")
	f.restart(t)
	// While it was down, another worker logged one more.
	f.log.Append(notify.Event{Account: "acme", Level: notify.LevelError, Process: "import_confirmation", Reference: "SO-6", Message: "failed", Time: f.clock.Now()})

	require.NoError(t, f.policy.Tick(ctx, f.clock.Now()))
	require.NoError(t, f.policy.Tick(ctx, f.clock.Advance(31*time.Second)))
	msgs := f.box.Messages()
	require.Len(t, msgs, 2)
	require.Equal(t, "[Veeqo][acme] 3 errors: export_order SO-4, export_order SO-5, import_confirmation SO-6", msgs[1].Subject)

	// Restart again, and again: nothing is owed, nothing is sent.
	for range 2 {
		f.restart(t)
		require.NoError(t, f.policy.Tick(ctx, f.clock.Advance(time.Minute)))
		require.NoError(t, f.policy.Flush(ctx))
	}
	require.Len(t, f.box.Messages(), 2)
	require.EqualValues(t, 6, f.mark(t))
}

func TestMailFailureDoesNotAdvanceTheMark(t *testing.T) {
	t.Parallel()
	f := newFixture(t, baseConfig(t))
	ctx := t.Context()
	f.box.FailNext(2, errors.New("421 service not available"))
	f.emit(t, "export_order", "SO-1", "failed")
	f.emit(t, "export_order", "SO-2", "failed")

	err := f.policy.Flush(ctx)
	require.Error(t, err)
	require.Contains(t, err.Error(), "421")
	require.Zero(t, f.mark(t))
	require.Error(t, f.policy.Tick(ctx, f.clock.Advance(time.Minute)))
	require.Zero(t, f.mark(t))

	require.NoError(t, f.policy.Tick(ctx, f.clock.Advance(time.Minute)))
	msgs := f.box.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, 2, covered(t, msgs[0]))
	require.EqualValues(t, 2, f.mark(t))
	require.Equal(t, 3, f.box.Attempts())
}

// TestCrashWindowResendsOnce documents the at-least-once window: the mail went out but its mark was not saved,
// so a restart sends it once more, and only once.
func TestCrashWindowResendsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, baseConfig(t))
	ctx := t.Context()
	f.emit(t, "export_order", "SO-1", "failed")
	f.state.FailSaves(1, errors.New("database is gone"))
	require.NoError(t, f.policy.Flush(ctx)) // the mail was sent; the save failure is logged
	require.Zero(t, f.mark(t))
	f.restart(t) // crash before the next tick could save the mark
	require.NoError(t, f.policy.Flush(ctx))
	require.NoError(t, f.policy.Flush(ctx))
	require.Len(t, f.box.Messages(), 2)
	require.EqualValues(t, 1, f.mark(t))
}

func TestNotifyDoesNotBlockAndOverflowIsCaughtUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, baseConfig(t), notify.WithMaxBuffered(10))
	ctx := t.Context()
	start := time.Now()
	for i := 1; i <= 100; i++ {
		f.emit(t, "export_order", fmt.Sprintf("SO-%d", i), "failed")
	}
	require.Less(t, time.Since(start), 2*time.Second)
	require.NoError(t, f.policy.Flush(ctx))
	msgs := f.box.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, 100, covered(t, msgs[0]), "events beyond the buffer must be found in the log")
}

func TestEventsWithoutSeqAreMailedFromMemory(t *testing.T) {
	t.Parallel()
	f := newFixture(t, baseConfig(t))
	ctx := t.Context()
	e := notify.Event{Account: "acme", Level: notify.LevelError, Process: "run", Message: "store unavailable", Time: t0}
	require.NoError(t, f.policy.Notify(ctx, e))
	require.NoError(t, f.policy.Flush(ctx))
	require.NoError(t, f.policy.Flush(ctx))
	msgs := f.box.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, "[Veeqo][acme] 1 error: run", msgs[0].Subject)
}

func TestDailyDigest(t *testing.T) {
	t.Parallel()
	cfg := baseConfig(t)
	cfg.InstantEnabled = false
	f := newFixture(t, cfg)
	ctx := t.Context()
	// First tick ever, Thursday 09:00 PST: the period starts at Thursday 08:00; nothing is owed.
	thu9 := time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC)
	require.NoError(t, f.policy.Tick(ctx, thu9))
	require.Empty(t, f.box.Messages())

	at := func(d time.Duration) time.Time { return thu9.Add(d) }
	for _, e := range []notify.Event{
		{Process: "export_order", Reference: "SO-1001", Message: "SKU A not found", Time: at(time.Hour)},
		{Process: "export_order", Reference: "SO-1001", Message: "SKU A still not found", Time: at(2 * time.Hour)},
		{Process: "export_order", Reference: "SO-1002", Message: "no channel mapped", Time: at(3 * time.Hour)},
		{Process: "import_confirmation", Reference: "SO-0900", Message: "carrier XYZ not mapped", Time: at(4 * time.Hour)},
		{Process: "export_order", Reference: "SO-0001", Message: "before the period", Time: thu9.Add(-2 * time.Hour)},
		{Process: "export_order", Reference: "SO-2000", Message: "after the period", Time: time.Date(2026, 11, 27, 16, 30, 0, 0, time.UTC)},
	} {
		e.Account, e.Level = "acme", notify.LevelError
		f.log.Append(e)
	}
	friBefore := time.Date(2026, 11, 27, 15, 59, 0, 0, time.UTC) // 07:59 PST
	require.NoError(t, f.policy.Tick(ctx, friBefore))
	require.Empty(t, f.box.Messages())

	fri8 := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC) // 08:00 PST
	require.NoError(t, f.policy.Tick(ctx, fri8))
	require.NoError(t, f.policy.Tick(ctx, fri8.Add(time.Minute)))
	msgs := f.box.Messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	require.Equal(t, "[Veeqo][acme] Daily error summary 2026-11-27 (4 errors)", m.Subject)
	require.Equal(t, []string{"daily@shop.example"}, m.To)
	require.Equal(t, "\"Veeqo Connector\" <veeqo@erp.example>", m.From)
	wantBody := `Veeqo integration daily summary for account acme.
Period: 2026-11-26 08:00:00 PST to 2026-11-27 08:00:00 PST (America/Los_Angeles).
Total: 4 errors.

export_order: 3 entries, 2 references
  SO-1001  x2  last 2026-11-26 11:00:00 PST  ERROR: SKU A still not found
  SO-1002  x1  last 2026-11-26 12:00:00 PST  ERROR: no channel mapped

import_confirmation: 1 entry, 1 reference
  SO-0900  x1  last 2026-11-26 13:00:00 PST  ERROR: carrier XYZ not mapped

Details and retry: the Operations page.
`
	if diff := cmp.Diff(wantBody, m.Text); diff != "" {
		t.Errorf("digest body (-want +got):\n%s", diff)
	}
}

func TestMissedDigestIsSentOnce(t *testing.T) {
	t.Parallel()
	cfg := baseConfig(t)
	cfg.InstantEnabled = false
	f := newFixture(t, cfg)
	ctx := t.Context()
	mon9 := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)
	require.NoError(t, f.policy.Tick(ctx, mon9))
	for d := range 4 {
		f.log.Append(notify.Event{Account: "acme", Level: notify.LevelError, Process: "export_order", Reference: fmt.Sprintf("SO-%d", d), Message: "x", Time: mon9.Add(time.Duration(d) * 24 * time.Hour)})
	}
	// Down from Monday until Thursday 10:00: three digests were missed; one mail covers them.
	thu10 := time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for range 3 { // three instances come up at once over the same store
		wg.Go(func() {
			p, err := notify.NewEmailPolicy(cfg, f.box, f.state, f.log)
			if err != nil {
				t.Error(err)
				return
			}
			if err := p.Tick(ctx, thu10); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	f.restart(t)
	require.NoError(t, f.policy.Tick(ctx, thu10.Add(time.Hour)))
	msgs := f.box.Messages()
	require.Len(t, msgs, 1, "subjects: %q", subjects(msgs))
	require.Equal(t, "[Veeqo][acme] Daily error summary 2026-11-26 (3 errors)", msgs[0].Subject)
	require.Contains(t, msgs[0].Text, "Period: 2026-11-23 08:00:00 PST to 2026-11-26 08:00:00 PST")
}

func TestDigestFailureIsRetried(t *testing.T) {
	t.Parallel()
	cfg := baseConfig(t)
	cfg.InstantEnabled = false
	f := newFixture(t, cfg)
	ctx := t.Context()
	require.NoError(t, f.policy.Tick(ctx, t0))
	f.box.FailNext(1, nil)
	next8 := time.Date(2026, 11, 28, 16, 0, 0, 0, time.UTC)
	require.Error(t, f.policy.Tick(ctx, next8))
	require.Empty(t, f.box.Messages())
	require.NoError(t, f.policy.Tick(ctx, next8.Add(time.Minute)))
	require.NoError(t, f.policy.Tick(ctx, next8.Add(2*time.Minute)))
	msgs := f.box.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, "[Veeqo][acme] Daily error summary 2026-11-28 (0 errors)", msgs[0].Subject)
	require.Contains(t, msgs[0].Text, "No errors were logged in this period.")
}

func TestDigestOnDSTDays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		at        notify.TimeOfDay
		from, to  time.Time
		wantDates []string // UTC instants the digests went out
	}{
		{
			name: "spring forward, DailyAt in the skipped hour",
			at:   notify.TimeOfDay{Hour: 2, Minute: 30},
			from: time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC),
			wantDates: []string{"2026-03-06T10:30:00Z", "2026-03-07T10:30:00Z", "2026-03-08T10:00:00Z", "2026-03-09T09:30:00Z"},
		},
		{
			name: "fall back, DailyAt in the repeated hour",
			at:   notify.TimeOfDay{Hour: 1, Minute: 30},
			from: time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC),
			wantDates: []string{"2026-10-30T08:30:00Z", "2026-10-31T08:30:00Z", "2026-11-01T08:30:00Z", "2026-11-02T09:30:00Z"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := baseConfig(t)
			cfg.InstantEnabled = false
			cfg.DailyAt = tc.at
			f := newFixture(t, cfg)
			for now := tc.from; now.Before(tc.to); now = now.Add(15 * time.Minute) {
				require.NoError(t, f.policy.Tick(t.Context(), now))
			}
			var got []string
			for _, m := range f.box.Messages() {
				got = append(got, m.Date.UTC().Format(time.RFC3339))
			}
			if diff := cmp.Diff(tc.wantDates, got); diff != "" {
				t.Errorf("digest times (-want +got):\n%s", diff)
			}
		})
	}
}

type fakeHealth struct {
	mu        sync.Mutex
	last      time.Time
	ok        bool
	stale     []string
	olderThan time.Time
}

func (h *fakeHealth) LastSuccessfulRun(context.Context, string) (time.Time, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last, h.ok, nil
}

func (h *fakeHealth) StaleExports(_ context.Context, _ string, olderThan time.Time) ([]string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.olderThan = olderThan
	return h.stale, nil
}

func TestHealthAlertsOncePerDay(t *testing.T) {
	t.Parallel()
	cfg := baseConfig(t)
	cfg.DailyEnabled = false
	cfg.NoSuccessAfter = 24 * time.Hour
	cfg.StaleExportAfterDays = 3
	h := &fakeHealth{last: t0.Add(-30 * time.Hour), ok: true, stale: []string{"SO-1", "SO-2\r\nBcc: x@evil.example"}}
	f := newFixture(t, cfg, notify.WithHealth(h))
	ctx := t.Context()

	require.NoError(t, f.policy.Tick(ctx, t0))
	require.Equal(t, t0.AddDate(0, 0, -3), h.olderThan)
	require.NoError(t, f.policy.Tick(ctx, t0.Add(time.Hour)))
	require.NoError(t, f.policy.Tick(ctx, t0.Add(5*time.Hour))) // 15:00 PST, same local day
	msgs := f.box.Messages()
	want := []string{
		"[Veeqo][acme] Health: no successful run for 30h",
		"[Veeqo][acme] Health: 2 exported orders without confirmation for 3+ days",
	}
	if diff := cmp.Diff(want, subjects(msgs)); diff != "" {
		t.Fatalf("alerts (-want +got):\n%s", diff)
	}
	require.Contains(t, msgs[0].Text, "since 2026-11-26 04:00:00 PST")
	require.Contains(t, msgs[1].Text, "  SO-2 Bcc: x@evil.example\n")
	require.Equal(t, []string{"ops@shop.example", "boss@shop.example"}, msgs[0].To)

	// The next local day (Saturday 00:30 PST) alerts again; a fixed condition does not.
	h.mu.Lock()
	h.stale = nil
	h.mu.Unlock()
	require.NoError(t, f.policy.Tick(ctx, time.Date(2026, 11, 28, 8, 30, 0, 0, time.UTC)))
	msgs = f.box.Messages()
	require.Len(t, msgs, 3)
	require.Equal(t, "[Veeqo][acme] Health: no successful run for 44h30m", msgs[2].Subject)

	h.mu.Lock()
	h.last = time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	h.mu.Unlock()
	require.NoError(t, f.policy.Tick(ctx, time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)))
	require.Len(t, f.box.Messages(), 3)
}

func TestNewEmailPolicyValidates(t *testing.T) {
	t.Parallel()
	box, st, lg := &notifytest.Mailbox{}, notifytest.NewState(), &notifytest.Log{}
	tests := []struct {
		name   string
		mod    func(*notify.EmailConfig)
		mailer notify.Mailer
		state  notify.State
		source notify.Source
		want   []string // substrings, each naming the field and what is wrong
	}{
		{
			name: "everything wrong at once",
			mod: func(c *notify.EmailConfig) {
				c.Account = ""
				c.From = "not an address"
				c.InstantTo = "ops@, good@shop.example"
				c.DailyTo = ""
				c.DailyAt = notify.TimeOfDay{Hour: 24, Minute: -1}
				c.ExcludePatterns = "timeout, *"
				c.NoSuccessAfter = -time.Hour
			},
			want: []string{`Account: is required`, `From: "not an address" is not a valid email address`,
				`InstantTo: not a valid email address: "ops@"`, `DailyTo: needs at least one address when enabled`,
				`DailyAt.Hour: 24 is not in 0-23`, `DailyAt.Minute: -1 is not in 0-59`,
				`ExcludePatterns: invalid pattern "*" would exclude every message`, `NoSuccessAfter: must not be negative`},
		},
		{name: "missing seams", mod: func(*notify.EmailConfig) {}, want: []string{"Mailer: is required", "State: is required", "Source: is required for the daily digest"}},
		{name: "health without Health", mod: func(c *notify.EmailConfig) { c.StaleExportAfterDays = 2 }, mailer: box, state: st, source: lg,
			want: []string{"NoSuccessAfter: health alerts need a Health"}},
		{name: "health alerts without recipients", mod: func(c *notify.EmailConfig) {
			c.InstantEnabled, c.DailyEnabled, c.InstantTo, c.DailyTo, c.NoSuccessAfter = false, false, "", "", time.Hour
		}, mailer: box, state: st, source: lg, want: []string{"InstantTo: health alerts need instant or daily recipients"}},
		{name: "header injection in a recipient", mod: func(c *notify.EmailConfig) { c.InstantTo = "ops@shop.example\r\nBcc: evil@x.example" }, mailer: box, state: st, source: lg,
			want: []string{"InstantTo: not a valid email address"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := baseConfig(t)
			tc.mod(&cfg)
			_, err := notify.NewEmailPolicy(cfg, tc.mailer, tc.state, tc.source)
			require.ErrorIs(t, err, notify.ErrInvalidConfig)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
	_, err := notify.NewEmailPolicy(baseConfig(t), box, st, lg, notify.WithMaxListed(0), notify.WithCoalesceWindow(-1))
	require.ErrorIs(t, err, notify.ErrInvalidConfig)
	require.Contains(t, err.Error(), "WithMaxListed")
	require.Contains(t, err.Error(), "WithCoalesceWindow")
}

func TestParseRecipients(t *testing.T) {
	t.Parallel()
	got, err := notify.ParseRecipients(" a@x.example, B <b@x.example>; a@x.example ,, ")
	require.NoError(t, err)
	require.Equal(t, []string{"a@x.example", "b@x.example"}, got)
	_, err = notify.ParseRecipients("a@x.example, nope")
	require.ErrorContains(t, err, `"nope"`)
}

func TestSanitizeHeader(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"SO-1\r\nBcc: evil@x.example", "SO-1 Bcc: evil@x.example"},
		{"a\nb\rc\td\x00e\u2028f\u0085g", "a b c d e f g"},
		{"  lots   of   space  ", "lots of space"},
		{strings.Repeat("x", 300), strings.Repeat("x", 157) + "..."},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"SO-1\u202eFDP.exe", `SO-1\u202eFDP.exe`},
		{"\u2067x\u200e", `\u2067x\u200e`},
	}
	for _, tc := range tests {
		if got := notify.SanitizeHeader(tc.in); got != tc.want {
			t.Errorf("SanitizeHeader(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzSanitizeHeader: whatever goes in, what comes out is one line without control characters.
func FuzzSanitizeHeader(f *testing.F) {
	f.Add("SO-1\r\nBcc: evil@x.example")
	f.Add("\u2028\u0085\x00")
	f.Fuzz(func(t *testing.T, s string) {
		got := notify.SanitizeHeader(s)
		if strings.ContainsAny(got, "\r\n\x00\u2028\u2029\u0085") {
			t.Fatalf("SanitizeHeader(%q) = %q keeps a line break", s, got)
		}
		if strings.ContainsFunc(got, display.Bidi) {
			t.Fatalf("SanitizeHeader(%q) = %q keeps a bidirectional formatting character", s, got)
		}
		if len([]rune(got)) > 160 {
			t.Fatalf("SanitizeHeader(%q) is %d runes long", s, len([]rune(got)))
		}
	})
}

func TestRunSendsAndFlushesOnShutdown(t *testing.T) {
	t.Parallel()
	f := &fixture{cfg: baseConfig(t), log: &notifytest.Log{}, state: notifytest.NewState(), box: &notifytest.Mailbox{}, clock: &clock{now: t0}}
	p, err := notify.NewEmailPolicy(f.cfg, f.box, f.state, f.log, notify.WithCoalesceWindow(20*time.Millisecond), notify.WithTickInterval(time.Hour))
	require.NoError(t, err)
	engine := f.log.Notifier(p)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	require.NoError(t, engine.Notify(ctx, notify.Event{Account: "acme", Level: notify.LevelError, Process: "export_order", Reference: "SO-1", Message: "x"}))
	wctx, wcancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer wcancel()
	_, err = f.box.WaitFor(wctx, 1)
	require.NoError(t, err, "Run did not send after the coalescing window")

	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	require.Len(t, f.box.Messages(), 1)

	// A policy with a long window still sends what is buffered when Run stops.
	g, err := notify.NewEmailPolicy(f.cfg, f.box, f.state, f.log, notify.WithCoalesceWindow(time.Hour))
	require.NoError(t, err)
	ctx2, cancel2 := context.WithCancel(t.Context())
	go func() { done <- g.Run(ctx2) }()
	require.NoError(t, f.log.Notifier(g).Notify(ctx2, notify.Event{Account: "acme", Level: notify.LevelError, Process: "export_order", Reference: "SO-2", Message: "y"}))
	cancel2()
	require.ErrorIs(t, <-done, context.Canceled)
	msgs := f.box.Messages()
	require.Len(t, msgs, 2)
	require.Equal(t, "[Veeqo][acme] 1 error: export_order SO-2", msgs[1].Subject)
}

func TestFailuresAreLoggedNotFatal(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(b)
	}), nil))
	f := newFixture(t, baseConfig(t), notify.WithLogger(logger))
	f.box.FailNext(1, errors.New("451 greylisted"))
	e := f.emit(t, "export_order", "SO-1", "failed")
	require.NoError(t, f.engine.Notify(t.Context(), e), "Notify must never fail")
	require.Error(t, f.policy.Flush(t.Context()))
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	require.Contains(t, out, "notify: flush incomplete; will retry")
	require.Contains(t, out, "451 greylisted")
	require.Contains(t, out, "account=acme")
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(b []byte) (int, error) { return w(b) }

// TestFailedMarkSaveIsRepairedWithoutResending: in the same process, a mark that failed to save is saved on the
// next tick and the mail is not sent again.
func TestFailedMarkSaveIsRepairedWithoutResending(t *testing.T) {
	t.Parallel()
	f := newFixture(t, baseConfig(t))
	ctx := t.Context()
	f.emit(t, "export_order", "SO-1", "failed")
	f.state.FailSaves(1, errors.New("database is gone"))
	require.NoError(t, f.policy.Flush(ctx))
	require.Zero(t, f.mark(t))
	require.NoError(t, f.policy.Tick(ctx, f.clock.Advance(time.Minute)))
	require.NoError(t, f.policy.Flush(ctx))
	require.Len(t, f.box.Messages(), 1)
	require.EqualValues(t, 1, f.mark(t))
	f.restart(t)
	require.NoError(t, f.policy.Flush(ctx))
	require.Len(t, f.box.Messages(), 1)
}

func TestDigestRecordedLateIsNotResent(t *testing.T) {
	t.Parallel()
	cfg := baseConfig(t)
	cfg.InstantEnabled = false
	f := newFixture(t, cfg, notify.WithDigestClaimTTL(time.Minute))
	ctx := t.Context()
	require.NoError(t, f.policy.Tick(ctx, t0))
	next8 := time.Date(2026, 11, 28, 16, 0, 0, 0, time.UTC)
	f.state.FailSavesAfter(1, 1, errors.New("database is gone")) // the claim saves; recording the digest fails
	require.Error(t, f.policy.Tick(ctx, next8))
	require.Len(t, f.box.Messages(), 1)
	for _, d := range []time.Duration{2 * time.Minute, time.Hour} { // past the claim TTL
		require.NoError(t, f.policy.Tick(ctx, next8.Add(d)))
	}
	require.Len(t, f.box.Messages(), 1, "the digest was sent twice by the same process")
	b, _ := f.state.Get("acme", notify.StateDailyDigest)
	require.Contains(t, string(b), `"last":"2026-11-28T16:00:00Z"`)
}
