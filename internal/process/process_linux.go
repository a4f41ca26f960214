package process

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's start
// time: 100 on every Linux architecture Go supports.
const clockTicks = 100

// probe reads /proc/PID/stat: whether the process exists, and its start
// time. known is false when /proc cannot answer (not mounted, no access).
func probe(pid int) (start time.Time, exists, known bool) {
	start, err := startTime(pid)
	switch {
	case err == nil:
		return start, true, true
	case errors.Is(err, fs.ErrNotExist):
		// /proc/self missing too means /proc is not mounted: unknown.
		if _, serr := os.Stat("/proc/self/stat"); serr != nil {
			return time.Time{}, false, false
		}
		return time.Time{}, false, true
	}
	return time.Time{}, true, true // it exists; its start time is unreadable
}

// startTime is the process's start: the boot time plus field 22 of
// /proc/PID/stat (clock ticks since boot).
func startTime(pid int) (time.Time, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return time.Time{}, err
	}
	// The command name (field 2) is in parentheses and may hold spaces and
	// parentheses: the fields after it start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return time.Time{}, fmt.Errorf("process: /proc/%d/stat: no command name", pid)
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state), so field 22 is f[19].
	if len(f) < 20 {
		return time.Time{}, fmt.Errorf("process: /proc/%d/stat: %d fields", pid, len(f)+2)
	}
	ticks, err := strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("process: /proc/%d/stat: start time: %w", pid, err)
	}
	boot, err := bootTime()
	if err != nil {
		return time.Time{}, err
	}
	return boot.Add(time.Duration(ticks) * (time.Second / clockTicks)).UTC(), nil
}

// bootTime reads btime from /proc/stat.
func bootTime() (time.Time, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, err
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			sec, err := strconv.ParseInt(string(bytes.TrimSpace(rest)), 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("process: /proc/stat btime: %w", err)
			}
			return time.Unix(sec, 0), nil
		}
	}
	return time.Time{}, errors.New("process: /proc/stat has no btime")
}
