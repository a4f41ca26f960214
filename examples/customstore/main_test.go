package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCustomStoreExample runs the example: the first run pages its two
// errors, the second (same reasons) pages nothing, and the records read
// back through the host's store count both attempts.
func TestCustomStoreExample(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, run(context.Background(), &buf))
	out := buf.String()
	t.Log("\n" + out)

	first, second, ok := bytes.Cut(buf.Bytes(), []byte("-- run 2"))
	require.True(t, ok, "two runs")
	assert.Regexp(t, `run 1: partial \(2 exported, 0 skipped, 2 failed`, string(first))
	assert.Contains(t, string(first), "paged: 2")
	assert.Regexp(t, `PAGE seq=\d+ export_order SO-2003: .*store "Outlet" is not mapped to a Veeqo channel \(store_mapping\)`, string(first))
	assert.Regexp(t, `PAGE seq=\d+ export_order SO-2004: .*sku "GIFT-CARD-50" is not in Veeqo's catalogue`, string(first))
	assert.Contains(t, string(second), "paged: 0")
	assert.NotContains(t, string(second), "PAGE")
	assert.Contains(t, out, "SO-2003 error, 2 attempts")
	assert.Contains(t, out, "SO-2004 error, 2 attempts")
}
