package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFetchExample runs the example and checks what each run did and the
// ERP's orders at the end.
func TestFetchExample(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, run(context.Background(), &buf))
	out := buf.String()
	t.Log("\n" + out)

	assert.Regexp(t, `run 1: partial \(2 fulfillments applied, 0 skipped, 0 excluded, 1 failed, 0 ignored, 1 warning`, out)
	assert.Contains(t, out, "the ERP has no order for Veeqo order")
	assert.Contains(t, out, `Veeqo carrier "Amazon Shipping" is not in carrier_mapping; passed through as is`)
	assert.Regexp(t, `run 2: partial \(1 fulfillment applied, .* 1 failed`, out)
	assert.Regexp(t, `run 3: succeeded \(1 fulfillment applied, .* 0 failed`, out, "retried once the ERP has the order")
	assert.Regexp(t, `run 4, nothing new: succeeded \(0 fulfillments applied`, out)

	// Two parcels add up on AMZ-5001; AMZ-5002, found by its marketplace
	// reference, shipped without tracking.
	assert.Regexp(t, `AMZ-5001\s+113-0000001-0000001\s+shipped\s+1\s+MUG-1\s+2\s+2\s+true\s+1ZAMZ0001,1ZAMZ0002`, out)
	assert.Regexp(t, `\n\s+2\s+TEE-1\s+1\s+1\s+true`, out)
	assert.Regexp(t, `AMZ-5002\s+113-0000002-0000002\s+shipped\s+1\s+CAP-1\s+1\s+1\s+true\s+-`, out)
	assert.Regexp(t, `AMZ-5003\s+113-0000003-0000003\s+shipped\s+1\s+MUG-1\s+1\s+1\s+true\s+TBA\d+`, out)
	assert.Contains(t, out, "113-0000003-0000003 success after 3 attempt(s)")
	// The FBA channel is not mapped: its order is never read, so it has no
	// outcome and no record.
	assert.NotContains(t, out, "113-0000004-0000004")
}
