package process

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"
)

func TestSelfIsAlive(t *testing.T) {
	t.Parallel()
	me := Self()
	if me.PID != os.Getpid() {
		t.Fatalf("Self().PID = %d, want %d", me.PID, os.Getpid())
	}
	if runtime.GOOS == "linux" {
		if me.Start.IsZero() {
			t.Fatal("Self().Start is zero on Linux")
		}
		if since := time.Since(me.Start); since < 0 || since > time.Hour {
			t.Errorf("Self().Start = %s, %v ago: not this test process's start", me.Start, since)
		}
	}
	if Gone(me) {
		t.Errorf("Gone(Self()) = true")
	}
	// Read twice, the start time is the same.
	if again := Self(); again != me {
		t.Errorf("Self() changed: %+v then %+v", me, again)
	}
}

func TestGone(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("only Linux can tell a process is gone; elsewhere Gone is always false, checked below")
	}
	c := exec.Command(os.Args[0], "-test.run=^$")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	child := Identity{Host: Self().Host, PID: c.Process.Pid}
	child.Start, _ = startTime(child.PID)
	alive := Gone(child)
	if err := c.Wait(); err != nil {
		t.Fatal(err)
	}
	if alive {
		t.Errorf("Gone(a running child %d) = true", child.PID)
	}
	if !Gone(child) {
		t.Errorf("Gone(a child %d that exited and was reaped) = false", child.PID)
	}

	me := Self()
	reused := me
	reused.Start = me.Start.Add(-time.Hour)
	if !Gone(reused) {
		t.Errorf("Gone(this PID with another start time) = false: a reused PID counts as alive")
	}
	unknown := me
	unknown.Start = time.Time{}
	if Gone(unknown) {
		t.Errorf("Gone(this PID, start unknown) = true")
	}
	if Gone(Identity{PID: 0}) || Gone(Identity{PID: -5}) {
		t.Errorf("Gone of a PID that is not positive = true")
	}
}
