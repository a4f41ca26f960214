package sync_test

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// TestScrubUnicodeBeforeMarker: a host error whose text has letters that
// change byte length when lower-cased (Turkish İ) before "x-api-key" must
// still be cut at the marker: the cut was placed by an index into the
// lower-cased copy, so it slid past the marker and kept the key (or
// panicked past the end).
func TestScrubUnicodeBeforeMarker(t *testing.T) {
	t.Parallel()
	const key = "sk-live-SECRET-unicode-77"
	for _, tc := range []struct {
		letter string
		n      int
	}{{"\xff", 40}, {"Ⱥ", 10}, {"Ⱥ", 40}, {"Ⱥ", 400}, {"İ", 40}, {"K", 40}} { // Ⱥ grows, İ and the Kelvin sign shrink when lower-cased
		t.Run(fmt.Sprint(tc.letter, tc.n), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.erp.Put(order("SO-1", "MUG-1:1"))
			name := strings.Repeat(tc.letter, tc.n)
			erp := &unicodeLeakyERP{MemoryERP: e.erp, msg: fmt.Sprintf("erp cursor failed for customer %s; request had x-api-key: %s", name, key)}
			var rep vsync.Report
			require.NotPanics(t, func() {
				rep, _ = e.engine(withERP(erp)).Run(context.Background(), vsync.RunOptions{})
			})
			all := []string{fmt.Sprintf("%+v", rep)}
			logs, err := e.st.QueryLogs(context.Background(), store.LogQuery{Account: testAccount, Limit: 1000})
			require.NoError(t, err)
			for _, l := range logs.Entries {
				all = append(all, l.Message)
			}
			runs, err := e.st.QueryRuns(context.Background(), store.RunQuery{Account: testAccount})
			require.NoError(t, err)
			for _, r := range runs {
				all = append(all, r.Error)
			}
			joined := strings.Join(all, "\n")
			assert.NotContains(t, joined, "SECRET")
			assert.Contains(t, joined, "customer "+name+"; request had x-api-key [redacted]", "cut exactly at the marker")
			if utf8.ValidString(name) {
				assert.True(t, utf8.ValidString(joined), "no rune cut in half")
			}
		})
	}
}

type unicodeLeakyERP struct {
	*vsync.MemoryERP
	msg string
}

func (l *unicodeLeakyERP) Candidates(ctx context.Context, q vsync.CandidateQuery) iter.Seq2[vsync.ERPOrder, error] {
	return func(yield func(vsync.ERPOrder, error) bool) {
		yield(vsync.ERPOrder{}, fmt.Errorf("%s", l.msg))
	}
}
