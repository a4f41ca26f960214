package storetest

import (
	"testing"
	"time"

	"fmt"

	"github.com/xoroerp/veeqoconnect/store"
)

func cursorCases() []testCase {
	return []testCase{
		{"AbsentAndCAS", testCursorCAS},
		{"ConcurrentAdvance", testCursorRace},
	}
}

func testCursorCAS(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	addAccount(t, s, "other")
	c, err := s.GetCursor(ctx, "acme", "confirmations")
	must(t, "GetCursor (absent)", err)
	diff(t, "GetCursor of a cursor never written", store.Cursor{Account: "acme", Stream: "confirmations"}, c)

	c.Position, c.Value = at(10), "order-123"
	lo := time.Now()
	c1, err := s.SetCursor(ctx, c)
	hi := time.Now()
	must(t, "SetCursor from version 0", err)
	if c1.Version <= 0 {
		t.Errorf("SetCursor: Version = %d, want > 0", c1.Version)
	}
	stamped(t, "SetCursor: UpdatedAt", c1.UpdatedAt, lo, hi)
	want := c
	want.Version, want.UpdatedAt = c1.Version, c1.UpdatedAt
	diff(t, "SetCursor result", want, c1)
	read, err := s.GetCursor(ctx, "acme", "confirmations")
	must(t, "GetCursor", err)
	diff(t, "GetCursor", want, read)

	// Version 0 again: someone already wrote it.
	_, err = s.SetCursor(ctx, store.Cursor{Account: "acme", Stream: "confirmations", Position: at(99)})
	wantErr(t, "SetCursor from version 0 over a written cursor", err, store.ErrConflict)

	c1.Position, c1.Value = at(20), "order-456"
	c2, err := s.SetCursor(ctx, c1)
	must(t, "SetCursor from the current version", err)
	if c2.Version <= c1.Version {
		t.Errorf("SetCursor: Version = %d, want > %d", c2.Version, c1.Version)
	}
	future := c2
	future.Version += 5
	_, err = s.SetCursor(ctx, future)
	wantErr(t, "SetCursor from a version above the stored one", err, store.ErrConflict)
	stale := c1
	stale.Position = at(15)
	_, err = s.SetCursor(ctx, stale)
	wantErr(t, "SetCursor from a stale version", err, store.ErrConflict)
	read, err = s.GetCursor(ctx, "acme", "confirmations")
	must(t, "GetCursor", err)
	diff(t, "GetCursor after a lost SetCursor", c2, read)

	// Streams and accounts are independent.
	for _, k := range []struct{ account, stream string }{{"acme", "fulfillments"}, {"other", "confirmations"}} {
		c, err := s.GetCursor(ctx, k.account, k.stream)
		must(t, "GetCursor", err)
		if c.Version != 0 || !c.Position.IsZero() || c.Account != k.account || c.Stream != k.stream {
			t.Errorf("GetCursor(%s, %s) = %+v, want absent", k.account, k.stream, c)
		}
	}
}

func testCursorRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	for round := range 5 {
		cur, err := s.GetCursor(ctx, "acme", "confirmations")
		must(t, "GetCursor", err)
		errs := race(Race/2, func(i int) error {
			c := cur
			c.Position = at(round*100 + i)
			c.Value = fmt.Sprint(i)
			_, err := s.SetCursor(ctx, c)
			return err
		})
		if n := countWinners(t, "concurrent SetCursor", errs, store.ErrConflict); n != 1 {
			t.Fatalf("round %d: %d concurrent SetCursor from version %d: %d winners, want 1", round, Race/2, cur.Version, n)
		}
		winner := 0
		for i, err := range errs {
			if err == nil {
				winner = i
			}
		}
		read, err := s.GetCursor(ctx, "acme", "confirmations")
		must(t, "GetCursor", err)
		if read.Value != fmt.Sprint(winner) || read.Version <= cur.Version {
			t.Errorf("round %d: cursor = %+v, want the winner %d's write at a higher version", round, read, winner)
		}
	}
}
