package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
	"github.com/xoroerp/veeqoconnect/store/storetest"
)

// BenchmarkStore runs the shared store benchmarks (storetest.Bench) on a
// fresh file: ExportCycle is one order's state writes (claim, then link +
// record + log in one transaction); the issue asks for at least 2,000
// orders/s.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		s, err := sqlitestore.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}
