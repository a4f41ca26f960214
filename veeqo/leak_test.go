package veeqo_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them (a
// renewer, a retry timer, a connection reader, a sender left running).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
