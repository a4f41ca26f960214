package notify_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/notify/notifytest"
)

func TestMultiCallsAllAndJoinsErrors(t *testing.T) {
	t.Parallel()
	var a, b notifytest.Recorder
	boom := errors.New("boom")
	n := notify.Multi(&a, nil, notify.Func(func(context.Context, notify.Event) error { return boom }), &b)
	err := n.Notify(t.Context(), notify.Event{Account: "acme", Level: notify.LevelError, Message: "x"})
	require.ErrorIs(t, err, boom)
	require.Len(t, a.Events(), 1)
	require.Len(t, b.Events(), 1, "a failing notifier stopped the others")
	require.NoError(t, notify.Multi().Notify(t.Context(), notify.Event{}))
}

func TestSlogNotifier(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	n := notify.NewSlogNotifier(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ctx := t.Context()
	require.NoError(t, n.Notify(ctx, notify.Event{Seq: 7, Account: "acme", Process: "export_order", Level: notify.LevelError, Reference: "SO-1", Message: "bad\nline", Time: t0}))
	require.NoError(t, n.Notify(ctx, notify.Event{Account: "acme", Level: notify.LevelWarning, Message: "warn"}))
	require.NoError(t, n.Notify(ctx, notify.Event{Account: "acme", Level: notify.LevelInfo, Message: "info"}))
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, "a newline in a message split a log line: %s", out)
	require.Contains(t, lines[0], `level=ERROR msg="bad line" account=acme process=export_order reference=SO-1`)
	require.Contains(t, lines[0], "seq=7")
	require.Contains(t, lines[1], "level=WARN")
	require.Contains(t, lines[2], "level=INFO")
	require.NoError(t, notify.NewSlogNotifier(nil).Notify(ctx, notify.Event{Message: "discarded"}))
}

func TestLevelValid(t *testing.T) {
	t.Parallel()
	for l, want := range map[notify.Level]bool{notify.LevelError: true, notify.LevelWarning: true, notify.LevelInfo: true, "fatal": false, "": false} {
		require.Equal(t, want, l.Valid(), "%q", l)
	}
}
