package process

import (
	"os"
	"time"
)

// Identity is where a process runs and which process it is. PIDs are
// reused, so Start tells a later process with the same PID apart.
type Identity struct {
	Host  string
	PID   int
	Start time.Time // zero when it cannot be read
}

// startTolerance is how far two readings of one process's start time may
// differ: the start time is computed from the boot time, which the kernel
// moves when the wall clock is stepped.
const startTolerance = 2 * time.Second

// Self returns the running process's identity. Host is empty only when the
// host name cannot be read.
func Self() Identity {
	host, _ := os.Hostname()
	pid := os.Getpid()
	start, _ := startTime(pid)
	return Identity{Host: host, PID: pid, Start: start}
}

// Gone reports whether the process id on this host is known to be gone:
// no process has that PID, or the one that has it started at another time
// than start (the PID was reused). It reports false when it cannot tell (a
// PID that is not positive, a system without /proc, a start time that
// cannot be read), so a caller never takes over from a live process on a
// guess. The host is the caller's to compare.
func Gone(id Identity) bool {
	if id.PID <= 0 {
		return false
	}
	got, exists, known := probe(id.PID)
	switch {
	case !known:
		return false
	case !exists:
		return true
	case id.Start.IsZero() || got.IsZero():
		return false
	}
	d := got.Sub(id.Start)
	return d > startTolerance || d < -startTolerance
}
