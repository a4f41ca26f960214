package sync_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	stdsync "sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/memstore"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// countingLogs counts the log reads a NotifySource makes.
type countingLogs struct {
	store.LogStore
	mu      stdsync.Mutex
	queries []store.LogQuery
	rows    int
}

func (c *countingLogs) QueryLogs(ctx context.Context, q store.LogQuery) (store.LogPage, error) {
	p, err := c.LogStore.QueryLogs(ctx, q)
	c.mu.Lock()
	c.queries = append(c.queries, q)
	c.rows += len(p.Entries)
	c.mu.Unlock()
	return p, err
}

// reset returns the reads since the last reset.
func (c *countingLogs) reset() ([]store.LogQuery, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	q, r := c.queries, c.rows
	c.queries, c.rows = nil, 0
	return q, r
}

// filteredNewestFirst reports whether q is a filtered newest-first read: on
// a SQL store it walks the account's log backwards until it has a page of
// matches, the whole log when there are few.
func filteredNewestFirst(q store.LogQuery) bool {
	return q.AfterSeq == 0 && (len(q.Levels) > 0 || !q.From.IsZero() || !q.To.IsZero() || q.Limit > 2)
}

// TestNotifySourceBounded: after its first query, a source never pages the
// log newest first again for the same account and levels: each catch-up
// tick (no AfterSeq, Since moving on) reads oldest first from the floor,
// about what it yields, however large the log.
func TestNotifySourceBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		errors bool // the window holds thousands of matching errors
	}{
		{name: "many matching errors in the window", errors: true},
		{name: "no matching entry at all", errors: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := memstore.New()
			_, err := st.AddAccount(ctx, store.Account{Name: "a"})
			require.NoError(t, err)
			var entries []store.LogEntry
			for i := range 12000 {
				lvl := store.LevelInfo
				if tc.errors && i%2 == 0 {
					lvl = store.LevelError
				}
				entries = append(entries, store.LogEntry{Time: t0.Add(time.Duration(i) * time.Second), Account: "a", Process: "p", Level: lvl, Message: "m"})
			}
			_, err = st.AppendLogs(ctx, entries...)
			require.NoError(t, err)
			cl := &countingLogs{LogStore: st}
			src := vsync.NotifySource(cl)
			now := t0.Add(12000 * time.Second)
			tick := func() []int64 {
				var seqs []int64
				// The policy's catch-up before its first mail: no AfterSeq,
				// Since = now - catch-up age, stop after a mail's worth.
				for ev, err := range src.Events(ctx, notify.EventQuery{Account: "a", Since: now.Add(-3 * time.Hour), Levels: []notify.Level{notify.LevelError}}) {
					require.NoError(t, err)
					seqs = append(seqs, ev.Seq)
					if len(seqs) == 50 {
						break
					}
				}
				return seqs
			}
			first := tick()
			_, _ = cl.reset()
			for i := range 5 {
				now = now.Add(time.Minute)
				_, err := st.AppendLogs(ctx, store.LogEntry{Time: now, Account: "a", Process: "p", Level: store.LevelError, Message: fmt.Sprint("new ", i)})
				require.NoError(t, err)
				got := tick()
				qs, rows := cl.reset()
				for _, q := range qs {
					assert.False(t, filteredNewestFirst(q), "tick %d paged the log newest first: %+v", i, q)
				}
				assert.LessOrEqual(t, len(qs), 2, "tick %d: one probe and one page", i)
				assert.LessOrEqual(t, rows, logPageSize+1, "tick %d read %d rows", i, rows)
				if tc.errors {
					require.NotEmpty(t, got)
					assert.GreaterOrEqual(t, got[0], first[0], "tick %d starts at the oldest error still in the window", i)
				} else {
					assert.Len(t, got, i+1, "tick %d sees the new errors", i)
				}
			}
		})
	}
}

const logPageSize = 1000

// TestNotifySourceMatchesBruteForce compares the source with a brute-force
// filter of everything appended, over random appends (two accounts, times
// slightly out of Seq order), random queries (Since moving on and back,
// Until, level sets, AfterSeq) and consumers that stop early, on memstore
// and sqlitestore: the floors never hide an entry.
func TestNotifySourceMatchesBruteForce(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"memstore", "sqlitestore"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var st store.Store = memstore.New()
			if kind == "sqlitestore" {
				s, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "logs.db"))
				require.NoError(t, err)
				t.Cleanup(func() { _ = s.Close() })
				st = s
			}
			for _, a := range []string{"a", "b"} {
				_, err := st.AddAccount(ctx, store.Account{Name: a})
				require.NoError(t, err)
			}
			rng := rand.New(rand.NewPCG(7, 11))
			t0 := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
			now := t0
			var all []store.LogEntry
			src := vsync.NotifySource(st)
			levels := []string{store.LevelInfo, store.LevelWarning, store.LevelError}
			for round := range 120 {
				if round == 0 || rng.IntN(3) > 0 {
					var batch []store.LogEntry
					for range rng.IntN(40) + 1 {
						now = now.Add(time.Duration(rng.IntN(90)) * time.Second)
						at := now.Add(-time.Duration(rng.IntN(20)) * time.Second) // a little out of Seq order
						acct := "a"
						if rng.IntN(4) == 0 {
							acct = "b"
						}
						batch = append(batch, store.LogEntry{Time: at, Account: acct, Process: "p", Level: levels[rng.IntN(3)], Message: "m"})
					}
					got, err := st.AppendLogs(ctx, batch...)
					require.NoError(t, err)
					all = append(all, got...)
				}
				q := notify.EventQuery{Account: "a"}
				switch rng.IntN(4) {
				case 0:
					q.Levels = []notify.Level{notify.LevelError}
				case 1:
					q.Levels = []notify.Level{notify.LevelWarning, notify.LevelError}
				}
				q.Since = now.Add(-time.Duration(rng.IntN(120)) * time.Minute)
				if rng.IntN(8) == 0 {
					q.Since = time.Time{}
				}
				if rng.IntN(4) == 0 && !q.Since.IsZero() {
					q.Until = q.Since.Add(time.Duration(rng.IntN(90)+1) * time.Minute)
				}
				if rng.IntN(5) == 0 && len(all) > 0 {
					q.AfterSeq = all[rng.IntN(len(all))].Seq
				}
				stopAt := -1
				if rng.IntN(3) == 0 {
					stopAt = rng.IntN(20) + 1
				}

				var want []int64
				for _, en := range all {
					switch {
					case en.Account != q.Account, en.Seq <= q.AfterSeq, en.Time.Before(q.Since),
						!q.Until.IsZero() && !en.Time.Before(q.Until),
						len(q.Levels) > 0 && !slices.Contains(q.Levels, notify.Level(en.Level)):
						continue
					}
					want = append(want, en.Seq)
				}
				var got []int64
				for ev, err := range src.Events(ctx, q) {
					require.NoError(t, err)
					got = append(got, ev.Seq)
					if len(got) == stopAt {
						break
					}
				}
				if stopAt >= 0 && len(want) > stopAt {
					want = want[:stopAt]
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("round %d, query %+v (-want +got):\n%s", round, q, diff)
				}
			}
		})
	}
}
