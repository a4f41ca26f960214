package notifytest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/notify/notifytest"
)

var t0 = time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)

func TestRecorderWaitFor(t *testing.T) {
	t.Parallel()
	var r notifytest.Recorder
	go func() {
		for i := range 3 {
			_ = r.Notify(context.Background(), notify.Event{Seq: int64(i + 1), Level: notify.LevelError})
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	got, err := r.WaitFor(ctx, 3, func(e notify.Event) bool { return e.Level == notify.LevelError })
	require.NoError(t, err)
	require.Len(t, got, 3)

	short, cancel2 := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel2()
	_, err = r.WaitFor(short, 4, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestMemStateCompareAndSet(t *testing.T) {
	t.Parallel()
	var s notifytest.State // the zero value works
	ctx := t.Context()
	v, ver, err := s.LoadState(ctx, "acme", "k")
	require.NoError(t, err)
	require.Nil(t, v)
	require.Zero(t, ver)
	require.NoError(t, s.SaveState(ctx, "acme", "k", []byte("a"), 0))
	require.ErrorIs(t, s.SaveState(ctx, "acme", "k", []byte("b"), 0), notify.ErrStateConflict)
	require.NoError(t, s.SaveState(ctx, "acme", "k", []byte("b"), 1))
	v, ver, err = s.LoadState(ctx, "acme", "k")
	require.NoError(t, err)
	require.Equal(t, "b", string(v))
	require.EqualValues(t, 2, ver)
	_, ver, _ = s.LoadState(ctx, "other", "k")
	require.Zero(t, ver, "accounts must not share state")
}

func TestLogEventsQuery(t *testing.T) {
	t.Parallel()
	var l notifytest.Log
	for i, lv := range []notify.Level{notify.LevelError, notify.LevelInfo, notify.LevelError, notify.LevelWarning} {
		l.Append(notify.Event{Account: "acme", Level: lv, Time: t0.Add(time.Duration(i) * time.Hour)})
	}
	l.Append(notify.Event{Account: "other", Level: notify.LevelError, Time: t0})
	var seqs []int64
	for e, err := range l.Events(t.Context(), notify.EventQuery{Account: "acme", AfterSeq: 1, Since: t0, Until: t0.Add(3 * time.Hour), Levels: []notify.Level{notify.LevelError, notify.LevelWarning}}) {
		require.NoError(t, err)
		seqs = append(seqs, e.Seq)
	}
	require.Equal(t, []int64{3}, seqs)
}

func TestMailboxFailNext(t *testing.T) {
	t.Parallel()
	var m notifytest.Mailbox
	ctx := t.Context()
	boom := errors.New("boom")
	m.FailNext(1, boom)
	require.ErrorIs(t, m.Send(ctx, notify.Message{Subject: "a"}), boom)
	require.NoError(t, m.Send(ctx, notify.Message{Subject: "b"}))
	require.Equal(t, 2, m.Attempts())
	msgs := m.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, "b", msgs[0].Subject)
}
