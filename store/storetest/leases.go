package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

func leaseCases() []testCase {
	return []testCase{
		{"AcquireHeldReacquire", testLeaseAcquire},
		{"Race", testLeaseRace},
		{"Expiry", testLeaseExpiry},
		{"Renew", testLeaseRenew},
		{"ReleaseThenAcquire", testLeaseRelease},
		{"PerAccount", testLeasePerAccount},
		{"HolderIdentity", testLeaseHolderIdentity},
		{"TakeOver", testLeaseTakeOver},
		{"TakeOverRace", testLeaseTakeOverRace},
	}
}

func testLeaseAcquire(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	lo := time.Now()
	l, err := s.AcquireLease(ctx, "acme", holder("worker-1"), time.Minute)
	hi := time.Now()
	must(t, "AcquireLease", err)
	if l.Account != "acme" || l.Holder.ID != "worker-1" || l.Token <= 0 {
		t.Errorf("AcquireLease = %+v, want acme/worker-1 with a positive token", l)
	}
	stamped(t, "AcquireLease: AcquiredAt", l.AcquiredAt, lo, hi)
	stamped(t, "AcquireLease: ExpiresAt", l.ExpiresAt, lo.Add(time.Minute), hi.Add(time.Minute))

	_, err = s.AcquireLease(ctx, "acme", holder("worker-2"), time.Minute)
	wantErr(t, "AcquireLease held by another", err, store.ErrLeaseHeld)

	time.Sleep(5 * time.Millisecond)
	again, err := s.AcquireLease(ctx, "acme", holder("worker-1"), 2*time.Minute)
	must(t, "AcquireLease by the holder", err)
	if again.Token != l.Token {
		t.Errorf("re-acquire by the holder: Token = %d, want the same %d", again.Token, l.Token)
	}
	if !again.ExpiresAt.After(l.ExpiresAt) {
		t.Errorf("re-acquire by the holder: ExpiresAt %s not extended past %s", again.ExpiresAt, l.ExpiresAt)
	}
	_, err = s.AcquireLease(ctx, "acme", holder("worker-2"), time.Minute)
	wantErr(t, "AcquireLease held by another after re-acquire", err, store.ErrLeaseHeld)
}

func testLeaseRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	leases := make([]store.Lease, Race)
	errs := race(Race, func(i int) error {
		var err error
		leases[i], err = s.AcquireLease(ctx, "acme", holder(fmt.Sprintf("worker-%d", i)), time.Minute)
		return err
	})
	if n := countWinners(t, "concurrent AcquireLease", errs, store.ErrLeaseHeld); n != 1 {
		t.Fatalf("%d concurrent AcquireLease: %d holders, want 1", Race, n)
	}
	for i, err := range errs {
		if err != nil {
			continue
		}
		if leases[i].Holder.ID != fmt.Sprintf("worker-%d", i) {
			t.Errorf("winner %d got a lease for %q", i, leases[i].Holder.ID)
		}
		// The winner really holds it.
		if _, err := s.RenewLease(ctx, leases[i], time.Minute); err != nil {
			t.Errorf("winner's RenewLease: %v", err)
		}
	}
}

func testLeaseExpiry(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	const ttl = 200 * time.Millisecond
	start := time.Now()
	l1, err := s.AcquireLease(ctx, "acme", holder("worker-1"), ttl)
	must(t, "AcquireLease", err)
	_, err = s.AcquireLease(ctx, "acme", holder("worker-2"), time.Minute)
	if time.Since(start) < ttl/2 { // else a loaded machine let it expire already
		wantErr(t, "AcquireLease before expiry", err, store.ErrLeaseHeld)
	}

	time.Sleep(ttl + 150*time.Millisecond)
	// Of several takers of the expired lease exactly one wins.
	takers := make([]store.Lease, Race/2)
	errs := race(len(takers), func(i int) error {
		var err error
		takers[i], err = s.AcquireLease(ctx, "acme", holder(fmt.Sprintf("taker-%d", i)), time.Minute)
		return err
	})
	if n := countWinners(t, "concurrent AcquireLease after expiry", errs, store.ErrLeaseHeld); n != 1 {
		t.Fatalf("concurrent AcquireLease after expiry: %d holders, want 1", n)
	}
	w := slices.IndexFunc(errs, func(err error) bool { return err == nil })
	l2 := takers[w]
	if l2.Token <= l1.Token {
		t.Errorf("lease taken after expiry: Token = %d, want > %d (fencing)", l2.Token, l1.Token)
	}
	if l2.Holder.ID != fmt.Sprintf("taker-%d", w) {
		t.Errorf("lease taken after expiry: Holder = %q", l2.Holder.ID)
	}
	_, err = s.RenewLease(ctx, l1, time.Minute)
	wantErr(t, "RenewLease after the lease was taken", err, store.ErrLeaseLost)
	wantErr(t, "ReleaseLease after the lease was taken", s.ReleaseLease(ctx, l1), store.ErrLeaseLost)
	_, err = s.AcquireLease(ctx, "acme", holder("worker-1"), time.Minute)
	wantErr(t, "AcquireLease by the old holder", err, store.ErrLeaseHeld)
	// The lost holder's release did not free the new holder's lease.
	_, err = s.AcquireLease(ctx, "acme", holder("outsider"), time.Minute)
	wantErr(t, "AcquireLease after a stale release", err, store.ErrLeaseHeld)
	if _, err := s.RenewLease(ctx, l2, time.Minute); err != nil {
		t.Errorf("new holder's RenewLease: %v", err)
	}
}

func testLeaseRenew(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	const ttl = 600 * time.Millisecond
	start := time.Now()
	l, err := s.AcquireLease(ctx, "acme", holder("worker-1"), ttl)
	must(t, "AcquireLease", err)
	lo := time.Now()
	r, err := s.RenewLease(ctx, l, time.Minute)
	hi := time.Now()
	must(t, "RenewLease", err)
	if time.Since(start) >= ttl {
		t.Fatalf("machine too slow: %v between acquire and renew, more than the ttl %v", time.Since(start), ttl)
	}
	if r.Token != l.Token || r.Holder != l.Holder || r.Account != l.Account {
		t.Errorf("RenewLease = %+v, want the same lease as %+v", r, l)
	}
	stamped(t, "RenewLease: ExpiresAt (ttl from now)", r.ExpiresAt, lo.Add(time.Minute), hi.Add(time.Minute))
	// Past the first TTL, the renewed lease still holds.
	time.Sleep(ttl + 200*time.Millisecond)
	_, err = s.AcquireLease(ctx, "acme", holder("worker-2"), time.Minute)
	wantErr(t, "AcquireLease after renewal, past the first ttl", err, store.ErrLeaseHeld)
	// Renewing with the renewed value works too.
	if _, err := s.RenewLease(ctx, r, time.Minute); err != nil {
		t.Errorf("second RenewLease: %v", err)
	}
	// A forged lease (wrong token or holder) is not held.
	forged := r
	forged.Token++
	_, err = s.RenewLease(ctx, forged, time.Minute)
	wantErr(t, "RenewLease with a wrong token", err, store.ErrLeaseLost)
	forged = r
	forged.Holder.ID = "worker-2"
	_, err = s.RenewLease(ctx, forged, time.Minute)
	wantErr(t, "RenewLease with a wrong holder", err, store.ErrLeaseLost)
}

func testLeaseRelease(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	l1, err := s.AcquireLease(ctx, "acme", holder("worker-1"), time.Minute)
	must(t, "AcquireLease", err)
	must(t, "ReleaseLease", s.ReleaseLease(ctx, l1))
	wantErr(t, "ReleaseLease twice", s.ReleaseLease(ctx, l1), store.ErrLeaseLost)
	_, err = s.RenewLease(ctx, l1, time.Minute)
	wantErr(t, "RenewLease after release", err, store.ErrLeaseLost)

	l2, err := s.AcquireLease(ctx, "acme", holder("worker-2"), time.Minute)
	must(t, "AcquireLease after release", err)
	if l2.Token <= l1.Token {
		t.Errorf("lease after release: Token = %d, want > %d", l2.Token, l1.Token)
	}
	// The same holder acquiring again after its own release gets a new token.
	must(t, "ReleaseLease", s.ReleaseLease(ctx, l2))
	l3, err := s.AcquireLease(ctx, "acme", holder("worker-2"), time.Minute)
	must(t, "AcquireLease", err)
	if l3.Token <= l2.Token {
		t.Errorf("re-acquire after own release: Token = %d, want > %d", l3.Token, l2.Token)
	}
	_, err = s.RenewLease(ctx, l2, time.Minute)
	wantErr(t, "RenewLease of the released acquisition", err, store.ErrLeaseLost)
}

func testLeasePerAccount(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "a")
	addAccount(t, s, "b")
	la, err := s.AcquireLease(ctx, "a", holder("worker-1"), time.Minute)
	must(t, "AcquireLease a", err)
	lb, err := s.AcquireLease(ctx, "b", holder("worker-2"), time.Minute)
	must(t, "AcquireLease b (another account is free)", err)
	must(t, "ReleaseLease a", s.ReleaseLease(ctx, la))
	_, err = s.AcquireLease(ctx, "b", holder("worker-3"), time.Minute)
	wantErr(t, "AcquireLease b after a was released", err, store.ErrLeaseHeld)
	if _, err := s.RenewLease(ctx, lb, time.Minute); err != nil {
		t.Errorf("RenewLease b: %v", err)
	}
}

// holder is a Holder with only its ID.
func holder(id string) store.Holder { return store.Holder{ID: id} }

// identity is a full Holder as a run on some host gives it.
func identity(id string, pid int) store.Holder {
	return store.Holder{ID: id, Host: "host-" + id, PID: pid, ProcessStart: at(pid).Truncate(time.Microsecond), RunID: "run-" + id}
}

func testLeaseHolderIdentity(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	free, err := s.GetLease(ctx, "acme")
	must(t, "GetLease of a lease never taken", err)
	diff(t, "GetLease of a lease never taken", store.Lease{Account: "acme"}, free)

	h := identity("w1", 4242)
	l, err := s.AcquireLease(ctx, "acme", h, time.Minute)
	must(t, "AcquireLease", err)
	diff(t, "AcquireLease: Holder", h, l.Holder)
	got, err := s.GetLease(ctx, "acme")
	must(t, "GetLease", err)
	diff(t, "GetLease of a held lease", l, got)
	r, err := s.RenewLease(ctx, l, time.Minute)
	must(t, "RenewLease", err)
	diff(t, "RenewLease: Holder", h, r.Holder)

	// Another acquirer is refused, and the stored identity is unchanged.
	_, err = s.AcquireLease(ctx, "acme", identity("w2", 77), time.Minute)
	wantErr(t, "AcquireLease held by another", err, store.ErrLeaseHeld)
	got, err = s.GetLease(ctx, "acme")
	must(t, "GetLease", err)
	diff(t, "GetLease after a refused acquire: Holder", h, got.Holder)

	must(t, "ReleaseLease", s.ReleaseLease(ctx, r))
	got, err = s.GetLease(ctx, "acme")
	must(t, "GetLease after release", err)
	if got.Holder != (store.Holder{}) || got.Account != "acme" {
		t.Errorf("GetLease after release = %+v, want a free lease (empty Holder)", got)
	}
	// A lease without identity (only an ID) is stored as such.
	l2, err := s.AcquireLease(ctx, "acme", holder("bare"), time.Minute)
	must(t, "AcquireLease with only an ID", err)
	got, err = s.GetLease(ctx, "acme")
	must(t, "GetLease", err)
	diff(t, "GetLease of a bare holder: Holder", holder("bare"), got.Holder)
	if got.Token != l2.Token {
		t.Errorf("GetLease: Token = %d, want %d", got.Token, l2.Token)
	}
	_, err = s.GetLease(ctx, "")
	if err == nil {
		t.Errorf("GetLease of an empty account: no error")
	}
}

func testLeaseTakeOver(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	old, err := s.AcquireLease(ctx, "acme", identity("dead", 100), time.Hour)
	must(t, "AcquireLease", err)

	// An unexpired lease is taken over, with a higher token and the new
	// holder's identity.
	nh := identity("next", 200)
	lo := time.Now()
	l, err := s.TakeOverLease(ctx, old, nh, time.Minute)
	hi := time.Now()
	must(t, "TakeOverLease of an unexpired lease", err)
	if l.Token <= old.Token {
		t.Errorf("TakeOverLease: Token = %d, want > %d (fencing)", l.Token, old.Token)
	}
	diff(t, "TakeOverLease: Holder", nh, l.Holder)
	stamped(t, "TakeOverLease: AcquiredAt", l.AcquiredAt, lo, hi)
	stamped(t, "TakeOverLease: ExpiresAt", l.ExpiresAt, lo.Add(time.Minute), hi.Add(time.Minute))
	got, err := s.GetLease(ctx, "acme")
	must(t, "GetLease", err)
	diff(t, "GetLease after a take-over", l, got)

	// The old holder is fenced off.
	_, err = s.RenewLease(ctx, old, time.Minute)
	wantErr(t, "RenewLease by the holder taken over", err, store.ErrLeaseLost)
	wantErr(t, "ReleaseLease by the holder taken over", s.ReleaseLease(ctx, old), store.ErrLeaseLost)
	_, err = s.AcquireLease(ctx, "acme", old.Holder, time.Minute)
	wantErr(t, "AcquireLease by the holder taken over", err, store.ErrLeaseHeld)

	// A take-over from a stale view (the lease changed since it was read)
	// is refused: it would steal a live holder's lease.
	_, err = s.TakeOverLease(ctx, old, identity("late", 300), time.Minute)
	wantErr(t, "TakeOverLease from a stale view", err, store.ErrLeaseLost)
	if _, err := s.RenewLease(ctx, l, time.Minute); err != nil {
		t.Errorf("the new holder's RenewLease after a refused take-over: %v", err)
	}

	// A released lease is not taken over (acquire it instead).
	must(t, "ReleaseLease", s.ReleaseLease(ctx, l))
	_, err = s.TakeOverLease(ctx, l, identity("after", 400), time.Minute)
	wantErr(t, "TakeOverLease of a released lease", err, store.ErrLeaseLost)

	_, err = s.TakeOverLease(ctx, store.Lease{Account: "acme", Token: l.Token}, identity("x", 1), time.Minute)
	if err == nil {
		t.Errorf("TakeOverLease from a lease without holder: no error")
	}
	_, err = s.TakeOverLease(ctx, l, store.Holder{}, time.Minute)
	if err == nil {
		t.Errorf("TakeOverLease to an empty holder: no error")
	}
}

func testLeaseTakeOverRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	old, err := s.AcquireLease(ctx, "acme", identity("dead", 100), time.Hour)
	must(t, "AcquireLease", err)
	takers := make([]store.Lease, Race/2)
	errs := race(len(takers), func(i int) error {
		var err error
		takers[i], err = s.TakeOverLease(ctx, old, holder(fmt.Sprintf("taker-%d", i)), time.Minute)
		return err
	})
	if n := countWinners(t, "concurrent TakeOverLease", errs, store.ErrLeaseLost); n != 1 {
		t.Fatalf("concurrent TakeOverLease: %d holders, want 1", n)
	}
	w := slices.IndexFunc(errs, func(err error) bool { return err == nil })
	got, err := s.GetLease(ctx, "acme")
	must(t, "GetLease", err)
	diff(t, "GetLease after concurrent take-overs", takers[w], got)
}
