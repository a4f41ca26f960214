package sqlitestore_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
)

// TestNewStateFileIsOwnerOnly: the state holds customer data and API keys,
// so a file Open creates, and the WAL and shared-memory files SQLite makes
// beside it, are readable by their owner only; a file the host made keeps
// its mode.
func TestNewStateFileIsOwnerOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	s, err := sqlitestore.Open(t.Context(), path)
	require.NoError(t, err)
	_, err = s.AddAccount(t.Context(), store.Account{Name: "acme", APIKey: "k"})
	require.NoError(t, err)
	for _, name := range []string{"state.db", "state.db-wal", "state.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err, name)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), name)
	}
	require.NoError(t, s.Close())

	own := filepath.Join(dir, "host.db")
	require.NoError(t, os.WriteFile(own, nil, 0o640))
	s, err = sqlitestore.Open(t.Context(), own)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	fi, err := os.Stat(own)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "an existing file keeps its mode")
}
