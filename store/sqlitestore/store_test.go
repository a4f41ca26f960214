package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
	"github.com/xoroerp/veeqoconnect/store/storetest"
)

// newStore opens a store on a fresh file in t's temporary directory and
// closes it when t ends.
func newStore(t testing.TB, opts ...sqlitestore.Option) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "state.db"), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestConformance runs the shared store suite, each case on its own file.
func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}

// TestConformanceSealed runs the suite with API keys sealed at rest.
func TestConformanceSealed(t *testing.T) {
	t.Parallel()
	sealer, err := store.NewSealer(make([]byte, store.SealerKeySize))
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t, sqlitestore.WithSealer(sealer)) })
}
