package sqlitestore_test

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
)

// TestStateFilesOwnerOnly: the database file and its WAL and shared-memory
// files are created readable by their owner only, whatever the umask lets
// through.
func TestStateFilesOwnerOnly(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits")
	}
	old := syscall.Umask(0o022) // the usual umask, which lets others read
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := sqlitestore.Open(t.Context(), path)
	require.NoError(t, err)
	defer s.Close()
	_, err = s.AddAccount(t.Context(), store.Account{Name: "acme", BaseURL: "https://api.veeqo.test", APIKey: "k"})
	require.NoError(t, err)
	_, err = s.UpsertRecord(t.Context(), store.RecordUpdate{Account: "acme", Process: "export_order", Reference: "SO-1",
		Status: store.RecordError, Message: "customer ann@example.com", At: time.Now()})
	require.NoError(t, err)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		require.NoError(t, err, "%s exists while the store is open", filepath.Base(p))
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "mode of %s", filepath.Base(p))
	}
}
