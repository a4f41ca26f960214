package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRecordsLogsRejectBadFlags: a negative --limit was read as "all" and an
// unknown --process silently listed nothing; both are usage errors naming
// the flag.
func TestRecordsLogsRejectBadFlags(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), nil)
	w.writeOrders()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"records", "--limit", "-1"}, "--limit"},
		{[]string{"logs", "--limit", "-3"}, "--limit"},
		{[]string{"records", "--process", "export"}, "--process"},
	} {
		r := w.run(tc.args...)
		require.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.stderr)
		require.Contains(t, r.stderr, tc.want, "%v", tc.args)
	}
	r := w.run("records", "--process", "export_order", "--limit", "0")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.True(t, strings.HasPrefix(r.stdout, "LAST RUN"), r.stdout)
}
