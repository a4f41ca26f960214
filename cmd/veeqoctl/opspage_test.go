package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xoroerp/veeqoconnect/ops"
)

// TestRunsAndPendingCommands print the two views after a run.
func TestRunsAndPendingCommands(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), nil)
	bad := order("SO-2", "MUG-1:1")
	bad["store"] = "Nowhere"
	w.writeOrders(order("SO-1", "MUG-1:1"), bad)

	r := w.run("pending", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var pend []ops.PendingJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &pend))
	require.Len(t, pend, 2, "before a run both wait")
	assert.Equal(t, "waiting", pend[0].Reason)

	_, r = w.syncJSON()
	require.Equal(t, exitPartial, r.code, r.stderr)
	r = w.run("pending")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "SO-2")
	assert.Contains(t, r.stdout, "failed")
	assert.NotContains(t, r.stdout, "SO-1 ")

	r = w.run("runs", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var runs []ops.RunJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &runs))
	require.Len(t, runs, 1)
	assert.Equal(t, "partial", runs[0].Status)
	assert.Equal(t, 1, runs[0].Counts["exported"])
	r = w.run("runs")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, runs[0].ID)
	assert.Contains(t, r.stdout, "exported 1, failed 1")

	for _, args := range [][]string{{"runs", "--limit", "0"}, {"runs", "--status", "done"}, {"pending", "--reason", "soon"}, {"pending", "--limit", "-1"}} {
		r = w.run(args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, args[1], args)
	}
}

// TestServeOpsPage: serve --ops-addr serves the page on loopback behind
// the operator token; without auth it refuses to start.
func TestServeOpsPage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), nil)
	w.writeOrders(order("SO-1", "MUG-1:1"))

	r := w.run("serve", "--ops-addr", ":0")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--ops-addr needs authentication")
	w.env = []string{"OPS_TOKEN=short"}
	r = w.run("serve", "--ops-addr", ":0", "--ops-token-env", "OPS_TOKEN")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "at least 16 characters")
	assert.NotContains(t, r.stderr, "short")

	const token = "operator-token-0123456789"
	w.env = []string{"OPS_TOKEN=" + token}
	c := w.cmd("serve", "--ops-addr", ":0", "--ops-token-env", "OPS_TOKEN", "--tick", "100ms")
	errb := &lockedBuffer{}
	c.Stderr = errb
	require.NoError(t, c.Start())
	defer func() { _ = c.Process.Kill(); _ = c.Wait() }()
	re := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/)`)
	var base string
	for deadline := time.Now().Add(20 * time.Second); base == ""; {
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no operations page url: %s", errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	get := func(path, auth string) (int, string) {
		req, err := http.NewRequest("GET", base+path, nil)
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, _ := get("api/accounts", "")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, body := get("api/accounts", "Bearer "+token)
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"name": "acme"`)
	code, body = get("a/acme/pending", "Bearer "+token)
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, "SO-1")
	assert.NotContains(t, body, w.key)
	assert.False(t, strings.Contains(errb.String(), token), "the token is never logged")
}
