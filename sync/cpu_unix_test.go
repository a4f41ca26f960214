//go:build unix

package sync_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) the test process has used:
// the benchmarks report it per order, a cost that a loaded machine does not
// inflate as it does wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
