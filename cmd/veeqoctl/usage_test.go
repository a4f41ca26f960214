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

// TestRejectedKeyInFileNamesAPIKey: a wrong key written in the config file
// (api_key) was reported against api_key_env, a field the config does not
// use, sending the user to the wrong place.
func TestRejectedKeyInFileNamesAPIKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), map[string]any{"api_key_env": "", "api_key": "wrong-" + w.srv.APIKey()})
	w.writeOrders()
	r := w.run("check")
	require.Equal(t, exitFailure, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, "accounts[1].api_key: Veeqo rejected the API key (401)")
	require.NotContains(t, r.stdout+r.stderr, "wrong-"+w.srv.APIKey())
	r = w.run("sync")
	require.Equal(t, exitFailure, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stderr, "Veeqo rejected the API key (401)")
	require.Contains(t, r.stderr, "or in api_key, when the config file holds the key")
}
