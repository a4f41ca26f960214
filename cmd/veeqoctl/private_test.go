package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func skipWithoutModes(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits")
	}
}

func requireMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, want, fi.Mode().Perm(), "mode of %s", path)
}

// TestFilesOwnerOnly: what veeqoctl creates is readable by its owner only:
// init's directory, config, notes and samples (also over files others could
// read, with --force), the SQLite state with its WAL and SHM files, and the
// shipments file. (The test binary's umask is the machine's, 022 on a
// stock system, so a plain create would give 0644.)
func TestFilesOwnerOnly(t *testing.T) {
	t.Parallel()
	skipWithoutModes(t)
	w := newWorld(t)
	r := w.run("init", "--dir", "cfg", "--base-url", w.srv.URL(), "--api-key-env", keyEnv)
	require.Equal(t, 0, r.code, r.stderr)
	requireMode(t, filepath.Join(w.dir, "cfg"), 0o700)
	for _, f := range []string{"veeqoctl.json", "veeqoctl.config.md", "orders.json", "shipments.example.jsonl"} {
		requireMode(t, filepath.Join(w.dir, "cfg", f), 0o600)
	}
	require.NoError(t, os.Chmod(filepath.Join(w.dir, "cfg", "veeqoctl.json"), 0o644))
	r = w.run("init", "--dir", "cfg", "--force", "--base-url", w.srv.URL(), "--api-key-env", keyEnv)
	require.Equal(t, 0, r.code, r.stderr)
	requireMode(t, filepath.Join(w.dir, "cfg", "veeqoctl.json"), 0o600)

	w.writeConfig(exportSettings(), nil)
	w.writeOrders(order("SO-1", "MUG-1:1"))
	_, r = w.syncJSON()
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 1, w.shipAll())
	_, r = w.syncJSON()
	require.Equal(t, 0, r.code, r.stderr)
	require.Len(t, w.shipmentLines(), 1)
	requireMode(t, filepath.Join(w.dir, "shipments.jsonl"), 0o600)
	requireMode(t, filepath.Join(w.dir, "state.db"), 0o600)
	for _, f := range []string{"state.db-wal", "state.db-shm"} {
		if _, err := os.Stat(filepath.Join(w.dir, f)); err == nil { // removed at a clean close
			requireMode(t, filepath.Join(w.dir, f), 0o600)
		}
	}
}

// TestSecretInReadableConfigRefused: a config holding a secret (an API
// key, an SMTP password, a password in a PostgreSQL DSN) that others can
// read is refused, naming each field and how to fix it; made private, it
// is accepted (with the warning to move the secret out). A config that
// holds no secret may be readable.
func TestSecretInReadableConfigRefused(t *testing.T) {
	t.Parallel()
	skipWithoutModes(t)
	w := newWorld(t)
	w.writeOrders(order("SO-1", "MUG-1:1"))
	p := w.writeConfig(exportSettings(), map[string]any{"api_key_env": "", "api_key": w.srv.APIKey()})
	require.NoError(t, os.Chmod(p, 0o644))
	r := w.run("check")
	require.Equal(t, exitUsage, r.code, "stdout %s", r.stdout)
	require.Regexp(t, `accounts\[\d\]\.api_key: a secret`, r.stderr)
	require.Contains(t, r.stderr, "others can read the file (mode 0644)")
	require.Contains(t, r.stderr, "chmod 600 ")
	require.Contains(t, r.stderr, "api_key_env")

	require.NoError(t, os.Chmod(p, 0o600))
	r = w.run("check")
	require.Equal(t, 0, r.code, "stdout %s stderr %s", r.stdout, r.stderr)
	require.Regexp(t, `warning: accounts\[\d\]\.api_key`, r.stderr)

	// Group-readable counts too; a DSN password and an SMTP password too.
	mail := exportSettings()
	mail["instant_error_emails"] = map[string]any{"enabled": true, "recipients": "ops@shop.example"}
	p = w.writeConfig(mail, map[string]any{
		"state": "", "postgres_dsn": "postgres://u:hunter2@127.0.0.1:1/db",
		"smtp": map[string]any{"host": "127.0.0.1", "port": 2525, "tls": "none", "username": "u", "password": "pw", "from": "v@shop.example"},
	})
	require.NoError(t, os.Chmod(p, 0o640))
	r = w.run("check")
	require.Equal(t, exitUsage, r.code)
	require.Regexp(t, `accounts\[\d\]\.postgres_dsn: a secret`, r.stderr)
	require.Regexp(t, `accounts\[\d\]\.smtp\.password: a secret`, r.stderr)
	require.Contains(t, r.stderr, "mode 0640")
	require.NotContains(t, r.stderr, "hunter2", "the refusal does not print the secret")

	// No secret in the file: readable is fine.
	p = w.writeConfig(exportSettings(), nil)
	require.NoError(t, os.Chmod(p, 0o644))
	r = w.run("check")
	require.Equal(t, 0, r.code, "stdout %s stderr %s", r.stdout, r.stderr)
}

// TestInvalidUTF8Positioned: bytes that are not UTF-8 in the orders file or
// the config are reported with their line and column, not decoded into
// replacement characters and passed on.
func TestInvalidUTF8Positioned(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeConfig(exportSettings(), nil)
	b, err := json.MarshalIndent([]any{order("SO-1", "MUG-1:1")}, "", "  ")
	require.NoError(t, err)
	bad := strings.Replace(string(b), `"Ann Buyer"`, "\"Ann \xff\xfeBuyer\"", 1)
	require.NoError(t, os.WriteFile(filepath.Join(w.dir, "orders.json"), []byte(bad), 0o600))
	line := strings.Count(bad[:strings.Index(bad, "\xff")], "\n") + 1
	col := strings.Index(bad, "\xff") - strings.LastIndex(bad[:strings.Index(bad, "\xff")], "\n")
	r := w.run("check")
	require.NotEqual(t, 0, r.code)
	require.Contains(t, r.stdout+r.stderr, "not valid UTF-8")
	require.Contains(t, r.stdout+r.stderr, "line "+strconv.Itoa(line)+", column "+strconv.Itoa(col))
	require.Empty(t, w.srv.Orders())

	cfg, err := os.ReadFile(filepath.Join(w.dir, "veeqoctl.json"))
	require.NoError(t, err)
	cfg = []byte(strings.Replace(string(cfg), `"acme"`, "\"ac\xc3me\"", 1))
	require.NoError(t, os.WriteFile(filepath.Join(w.dir, "veeqoctl.json"), cfg, 0o600))
	r = w.run("check")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "not valid UTF-8")
	require.Contains(t, r.stderr, "line ")
}
