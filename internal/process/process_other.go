//go:build !linux

package process

import (
	"errors"
	"time"
)

// probe cannot tell on this system.
func probe(int) (start time.Time, exists, known bool) { return time.Time{}, false, false }

func startTime(int) (time.Time, error) {
	return time.Time{}, errors.New("process: start time unknown on this system")
}
