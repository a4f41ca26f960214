package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// readmeBlock returns the fenced block that follows marker in the README.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(b), marker)
	require.True(t, ok, "README has no %q", marker)
	_, rest, ok = strings.Cut(rest, "```sh\n")
	require.True(t, ok, "no sh block after the marker")
	block, _, ok := strings.Cut(rest, "```")
	require.True(t, ok, "the sh block is not closed")
	return block
}

// TestREADMEWalkthrough runs the README's two-minute walk-through as
// written, with the veeqoctl built for the tests on PATH, in an empty
// directory: the fake on its default address, init --demo, check, a dry
// run, an export, a partial and a full shipment, the records, and a
// marketplace order fetched in fetch mode.
func TestREADMEWalkthrough(t *testing.T) {
	block := readmeBlock(t, "<!-- walkthrough:")
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-e", "-c", block)
	c.Dir = dir
	c.Env = append(os.Environ(), "PATH="+filepath.Dir(binPath)+string(os.PathListSeparator)+os.Getenv("PATH"))
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	// Whatever happened, nothing the block started outlives the test.
	if c.Process != nil {
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	}
	require.NoError(t, err, "the walk-through failed:\n%s", out.String())
	got := out.String()
	for _, want := range []string{
		"fake Veeqo at http://127.0.0.1:8765",
		"API key: veeqotest-api-key-0000000000000000",
		"the fake Veeqo answers at http://127.0.0.1:8765",
		"OK: no problems found",
		"export: 1 candidate order (of 2 in the orders file: 1 not in a wave)",
		"would export to channel",
		": 1 exported, 0 skipped, 0 failed, 0 confirmations applied",
		"shipped order SO-1001: shipment",
		`"status":"partially_shipped","tracking_numbers":["1ZDEMO`, // the shipments file: the first parcel...
		`"status":"shipped","tracking_numbers":["1ZDEMO`,           // ...and the second
		"order SO-1001 shipped, tracking",                          // the record of the last confirmation
		"export_order         SO-1001    success",
		"created Veeqo order",
		": 1 fulfillment applied, 0 skipped, 0 excluded, 0 failed, 0 ignored, 0 warnings",
		"fake Veeqo stopped",
	} {
		require.Contains(t, got, want, "walk-through output:\n%s", got)
	}
	require.Equal(t, 2, strings.Count(got, ": 0 exported, 0 skipped, 0 failed, 1 confirmation applied"), got)
}
