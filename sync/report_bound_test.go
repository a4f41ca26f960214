package sync_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// A run keeps at most Config.ReportOutcomes outcomes: failures push out
// the oldest successes, what does not fit is counted, and the store's
// records still hold every reference.
func TestReportKeepsBoundedOutcomesFailuresFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := 1; i <= 5; i++ {
		e.erp.Put(order(fmt.Sprintf("SO-%d", i), "MUG-1:1"))
	}
	bad := order("SO-6", "MUG-1:1")
	bad.Store = "Nowhere"
	e.erp.Put(bad)
	eng := e.engine(withCfg(func(c *vsync.Config) { c.ReportOutcomes = 2 }))
	rep := e.run(eng)
	require.Equal(t, 5, rep.Exported)
	require.Equal(t, 1, rep.Failed)
	require.Len(t, rep.Outcomes, 2)
	assert.Equal(t, "SO-2", rep.Outcomes[0].Reference, "SO-1, the oldest success, gave way")
	assert.Equal(t, "SO-6", rep.Outcomes[1].Reference)
	assert.Equal(t, store.RecordError, rep.Outcomes[1].Status)
	assert.Equal(t, 4, rep.OutcomesOmitted, "SO-3..SO-5 did not fit; SO-1 was pushed out")
	for i := 1; i <= 5; i++ {
		assert.Equal(t, store.RecordSuccess, e.record(vsync.ProcessExport, fmt.Sprintf("SO-%d", i)).Status)
	}

	none := e.engine(withCfg(func(c *vsync.Config) { c.ReportOutcomes = -1 }))
	e.erp.Put(order("SO-7", "MUG-1:1"))
	rep = e.run(none)
	assert.Empty(t, rep.Outcomes)
	assert.Positive(t, rep.OutcomesOmitted)
}
