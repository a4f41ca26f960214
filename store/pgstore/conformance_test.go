package pgstore_test

import (
	"testing"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/storetest"
)

// TestConformance runs the whole store conformance suite, each behaviour on
// a store in a fresh schema.
func TestConformance(t *testing.T) {
	testDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}

// BenchmarkConformance runs the suite's benchmarks: the state writes of one
// exported order (claim, then link + record + log), serial and parallel.
func BenchmarkConformance(b *testing.B) {
	testDSN(b)
	storetest.Bench(b, func(b *testing.B) store.Store { return newStore(b) })
}
