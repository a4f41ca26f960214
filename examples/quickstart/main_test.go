package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/quickstart.golden")

// TestQuickstartOutput runs the quickstart and compares its output with the
// golden file (go test ./examples/quickstart -update rewrites it), then
// checks the story it tells, so a golden file rewritten by mistake still
// fails on a wrong result.
func TestQuickstartOutput(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, run(context.Background(), &buf))
	got := buf.String()
	golden := filepath.Join("testdata", "quickstart.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("quickstart output differs from %s (-want +got):\n%s", golden, d)
	}

	var again bytes.Buffer
	require.NoError(t, run(context.Background(), &again))
	assert.Equal(t, got, again.String(), "deterministic")

	west, east, ok := strings.Cut(got, "== account east")
	require.True(t, ok)
	for _, s := range []string{west, east} {
		assert.Contains(t, s, `filtered out: row 1: source "Phone" contains "Phone"`)
		assert.Contains(t, s, `default SKU "MISC-ITEM" used`)
		assert.Contains(t, s, `ship service "Drone" is not mapped (ship_service_mapping)`)
		assert.Contains(t, s, `Veeqo carrier "DHL" is not in carrier_mapping`)
		assert.NotRegexp(t, `SO-1007\s+export_order`, s, "not waved: never exported")
	}
	assert.Regexp(t, `SO-1001\s+shipped\s+1\s+MUG-11OZ\s+2\s+2\s+0\s+yes`, west, "allowed: both parcels add up")
	assert.Regexp(t, `SO-1001\s+closed\s+1\s+MUG-11OZ\s+2\s+1\s+0\s+yes`, east, "disabled: the first parcel is final")
	assert.Contains(t, east, "ignored: order SO-1001 was finalised by its first shipment")
}
