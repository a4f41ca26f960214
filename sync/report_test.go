package sync_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// The run summary counts in words that agree with their numbers and names
// what the run's mode does.
func TestReportSummaryWording(t *testing.T) {
	t.Parallel()
	exp := vsync.Report{Mode: store.ModeExport, Exported: 3, Reconciled: 1, ConfirmationsApplied: 1, Warnings: 1, VeeqoCalls: 1}
	require.Equal(t, "3 exported (1 reconciled), 0 skipped, 0 failed, 1 confirmation applied, 0 ignored, 1 warning, 1 Veeqo call", exp.Summary())
	exp = vsync.Report{Mode: store.ModeExport, Exported: 2, ConfirmationsApplied: 2, Warnings: 2, VeeqoCalls: 9}
	require.Equal(t, "2 exported, 0 skipped, 0 failed, 2 confirmations applied, 0 ignored, 2 warnings, 9 Veeqo calls", exp.Summary())
	fetch := vsync.Report{Mode: store.ModeFetch, ConfirmationsApplied: 1, Excluded: 4, VeeqoCalls: 3}
	require.Equal(t, "1 fulfillment applied, 0 skipped, 4 excluded, 0 failed, 0 ignored, 0 warnings, 3 Veeqo calls", fetch.Summary())
}
