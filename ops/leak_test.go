package ops_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them (a
// background sync job, a browser connection, a page reload timer).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
