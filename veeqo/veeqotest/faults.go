package veeqotest

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Matcher selects requests by method and API path (without the prefix).
// The zero Matcher matches every request.
type Matcher struct {
	// Method is an HTTP method; empty matches any.
	Method string
	// Path is an API path; empty matches any. A segment in braces, such as
	// "{id}", matches any one segment; a final "*" segment matches one or
	// more remaining segments.
	Path string
}

// Match returns a Matcher for method and path, e.g. Match("POST", "/orders")
// or Match("GET", "/orders/{id}").
func Match(method, path string) Matcher {
	return Matcher{Method: method, Path: path}
}

// Any returns the Matcher that matches every request.
func Any() Matcher { return Matcher{} }

func (m Matcher) matches(method, path string) bool {
	if m.Method != "" && !strings.EqualFold(m.Method, method) {
		return false
	}
	if m.Path == "" {
		return true
	}
	want := strings.Split(strings.Trim(m.Path, "/"), "/")
	got := strings.Split(strings.Trim(path, "/"), "/")
	for i, w := range want {
		if w == "*" && i == len(want)-1 {
			return len(got) > i
		}
		if i >= len(got) {
			return false
		}
		if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") {
			if got[i] == "" {
				return false
			}
			continue
		}
		if w != got[i] {
			return false
		}
	}
	return len(got) == len(want)
}

// Fault is an injected failure for FailNext.
type Fault struct {
	// Match selects the requests the fault applies to; zero means all.
	Match Matcher
	// Status is the status to answer with (e.g. 500, 503, 429).
	Status int
	// Body is the response body, sent verbatim; empty sends none.
	Body string
	// Header holds extra response headers, e.g. Retry-After.
	Header http.Header
	// Drop closes the connection without any response instead.
	Drop bool
}

type faultKind int

const (
	faultRespond faultKind = iota + 1
	faultCommitThenFail
	faultCorrupt
)

type faultRule struct {
	kind      faultKind
	f         Fault
	remaining int
}

type latencyRule struct {
	m Matcher
	d time.Duration
}

// FailNext makes the next n requests matching f.Match fail as f says,
// without reaching the API (no state change, no rate-limit slot). Rules
// queue up: a request takes the first rule that matches it. A Fault with
// neither Status nor Drop answers 500.
func (s *Server) FailNext(n int, f Fault) {
	if n <= 0 {
		return
	}
	if f.Status == 0 && !f.Drop {
		f.Status = http.StatusInternalServerError
	}
	f.Header = f.Header.Clone()
	s.addFault(&faultRule{kind: faultRespond, f: f, remaining: n})
}

// Set429Storm makes the next n requests, whatever they are, answer 429
// with an empty body, as Veeqo's rate limiter does.
func (s *Server) Set429Storm(n int) {
	s.FailNext(n, Fault{Status: http.StatusTooManyRequests})
}

// CommitThenFail makes the next n requests matching m run normally (a write
// is applied) and then lose their response: the connection is closed
// before anything is written.
func (s *Server) CommitThenFail(n int, m Matcher) {
	if n <= 0 {
		return
	}
	s.addFault(&faultRule{kind: faultCommitThenFail, f: Fault{Match: m}, remaining: n})
}

// CorruptNext makes the next n requests matching m run normally and answer
// with their status but a malformed JSON body (cut in half).
func (s *Server) CorruptNext(n int, m Matcher) {
	if n <= 0 {
		return
	}
	s.addFault(&faultRule{kind: faultCorrupt, f: Fault{Match: m}, remaining: n})
}

// ClearFaults removes every pending fault and latency rule.
func (s *Server) ClearFaults() {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	s.faults = nil
	s.latency = nil
}

// PendingFaults returns how many injected faults have not fired yet.
func (s *Server) PendingFaults() int {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	n := 0
	for _, f := range s.faults {
		n += f.remaining
	}
	return n
}

// SetLatency delays every request by d before it is handled (0 removes the
// delay). The delay ends early if the client gives up.
func (s *Server) SetLatency(d time.Duration) {
	s.SetLatencyFor(Any(), d)
}

// SetLatencyFor delays requests matching m by d (0 removes the rule); it
// replaces an earlier rule with the same matcher. The first matching
// specific rule applies, else the catch-all set by SetLatency.
func (s *Server) SetLatencyFor(m Matcher, d time.Duration) {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	for i, l := range s.latency {
		if l.m == m {
			if d <= 0 {
				s.latency = append(s.latency[:i], s.latency[i+1:]...)
			} else {
				s.latency[i].d = d
			}
			return
		}
	}
	if d > 0 {
		s.latency = append(s.latency, latencyRule{m: m, d: d})
	}
}

func (s *Server) addFault(r *faultRule) {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	s.faults = append(s.faults, r)
}

// takeFault consumes the first matching fault and returns the latency.
func (s *Server) takeFault(method, path string) (*faultRule, time.Duration) {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	var delay time.Duration
	found := false
	for _, l := range s.latency {
		if !l.m.matches(method, path) {
			continue
		}
		if l.m != (Matcher{}) {
			delay, found = l.d, true
			break
		}
		if !found {
			delay = l.d // the catch-all, unless a specific rule matches
		}
	}
	for i, f := range s.faults {
		if f.remaining > 0 && f.f.Match.matches(method, path) {
			f.remaining--
			got := *f
			if f.remaining == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
			return &got, delay
		}
	}
	return nil, delay
}

// buckets is a leaky bucket per credential.
type buckets struct {
	mu       sync.Mutex
	capacity float64
	drain    float64
	m        map[string]*bucket
}

type bucket struct {
	level float64
	last  time.Time
}

func newBuckets(capacity int, drain float64) *buckets {
	return &buckets{capacity: float64(capacity), drain: drain, m: map[string]*bucket{}}
}

// allow drains the bucket to now and admits the request if it fits.
func (b *buckets) allow(cred string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk := b.m[cred]
	if bk == nil {
		bk = &bucket{last: now}
		b.m[cred] = bk
	}
	if el := now.Sub(bk.last).Seconds(); el > 0 {
		bk.level -= el * b.drain
		if bk.level < 0 {
			bk.level = 0
		}
		bk.last = now
	}
	if bk.level+1 > b.capacity+1e-9 {
		return false
	}
	bk.level++
	return true
}
