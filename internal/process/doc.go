// Package process identifies the running process (host, process id, start
// time) and tells whether a process so identified is gone, so that a lease
// left by a crashed process on the same host can be taken over at once.
//
// Only Linux can tell (through /proc); elsewhere Gone always reports false
// and a crashed holder's lease is freed by its expiry.
package process
