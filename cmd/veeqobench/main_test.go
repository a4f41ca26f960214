package main

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary stand in for the child fake the fetch
// scenarios start (this program with -child-fetch).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-child-fetch" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// parse reads the key=value lines of a run's output, by scenario.
func parse(t *testing.T, out string) map[string]map[string]string {
	t.Helper()
	got := map[string]map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		kv := map[string]string{}
		for _, f := range strings.Fields(line) {
			k, v, ok := strings.Cut(f, "=")
			require.True(t, ok, "field %q of %q", f, line)
			kv[k] = v
		}
		require.NotEmpty(t, kv["scenario"], line)
		got[kv["scenario"]] = kv
	}
	return got
}

func TestSmokeRunPrintsEveryKey(t *testing.T) {
	if testing.Short() {
		t.Skip("runs scenarios against the fake for a few seconds")
	}
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"-smoke", "-orders", "8", "-fetch-orders", "300", "-only", "export_l1,confirm_10pct,fetch_100k", "-dir", t.TempDir()},
		strings.NewReader(""), &out, &errOut)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	got := parse(t, out.String())
	for _, name := range []string{"export_cold_l1", "export_warm_l1", "confirm_10pct", "confirm_100pct", "fetch_100k"} {
		kv, ok := got[name]
		require.True(t, ok, "scenario %s missing from:\n%s", name, out.String())
		for _, k := range []string{"orders", "lines_per_order", "distinct_skus", "veeqo_calls", "calls_per_order", "http_429", "wall_s", "ceiling_ratio", "heap_peak_mib"} {
			_, err := strconv.ParseFloat(kv[k], 64)
			assert.NoError(t, err, "%s: %s=%q", name, k, kv[k])
		}
	}
	cold := got["export_cold_l1"]
	assert.Equal(t, "8", cold["orders"])
	for _, k := range []string{"baseline_calls", "baseline_wall_s", "speedup"} {
		assert.NotEmpty(t, cold[k], "a comparison carries %s", k)
	}
	base, _ := strconv.Atoi(cold["baseline_calls"])
	assert.GreaterOrEqual(t, base, 8*4, "the baseline makes a lookup, a product search, a customer search and a create per order")
	assert.Equal(t, "300", got["fetch_100k"]["shipments"], "every shipment applied")
	assert.Equal(t, "library", got["fetch_100k"]["heap_scope"], "the fake ran in a child process")
}

func TestBadFlagsAreUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-drain", "0"}, {"-only", "nope"}, {"-orders", "-1"}, {"extra"}, {"-bogus"}} {
		var out, errOut bytes.Buffer
		code := run(t.Context(), args, strings.NewReader(""), &out, &errOut)
		assert.Equal(t, 2, code, "%v", args)
		assert.NotEmpty(t, errOut.String(), "%v says what is wrong", args)
	}
}

// TestFetchThroughVeeqoctl runs the fetch_veeqoctl scenario small: veeqoctl
// built from this tree applies every shipment once and the line says how
// its time compares with Veeqo's own.
func TestFetchThroughVeeqoctl(t *testing.T) {
	if testing.Short() {
		t.Skip("builds veeqoctl and runs it against the fake")
	}
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"-smoke", "-fetch-orders", "200", "-only", "fetch_veeqoctl", "-dir", t.TempDir()},
		strings.NewReader(""), &out, &errOut)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	kv, ok := parse(t, out.String())["fetch_veeqoctl"]
	require.True(t, ok, out.String())
	require.Equal(t, "200", kv["shipments"])
	require.Equal(t, "0", kv["http_429"])
	for _, k := range []string{"wall_s", "veeqo_own_s", "vs_veeqo", "ceiling_ratio"} {
		v, err := strconv.ParseFloat(kv[k], 64)
		require.NoError(t, err, "%s=%q", k, kv[k])
		require.Positive(t, v, k)
	}
}
