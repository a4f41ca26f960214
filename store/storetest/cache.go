package storetest

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/xoroerp/veeqoconnect/store"
)

func customerCases() []testCase {
	return []testCase{
		{"CaseInsensitiveEmail", testCustomers},
	}
}

func notifyCases() []testCase {
	return []testCase{
		{"LoadSaveCAS", testNotifyState},
		{"ConcurrentSave", testNotifyRace},
	}
}

func testCustomers(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	addAccount(t, s, "other")
	_, err := s.CustomerID(ctx, "acme", "buyer@example.com")
	wantErr(t, "CustomerID of an unknown email", err, store.ErrNotFound)

	must(t, "PutCustomerID", s.PutCustomerID(ctx, "acme", "Buyer@Example.COM", 1001))
	for _, email := range []string{"Buyer@Example.COM", "buyer@example.com", "BUYER@EXAMPLE.COM"} {
		id, err := s.CustomerID(ctx, "acme", email)
		if err != nil || id != 1001 {
			t.Errorf("CustomerID(%q) = %d, %v; want 1001", email, id, err)
		}
	}
	// Replacing, through another spelling of the same email.
	must(t, "PutCustomerID", s.PutCustomerID(ctx, "acme", "BUYER@example.com", 1002))
	id, err := s.CustomerID(ctx, "acme", "buyer@EXAMPLE.com")
	if err != nil || id != 1002 {
		t.Errorf("CustomerID after replacing = %d, %v; want 1002", id, err)
	}
	// Per account.
	_, err = s.CustomerID(ctx, "other", "buyer@example.com")
	wantErr(t, "CustomerID through another account", err, store.ErrNotFound)
	must(t, "PutCustomerID other", s.PutCustomerID(ctx, "other", "buyer@example.com", 2001))
	id, err = s.CustomerID(ctx, "acme", "buyer@example.com")
	if err != nil || id != 1002 {
		t.Errorf("CustomerID of acme after other's put = %d, %v; want 1002", id, err)
	}
	// Distinct emails stay distinct.
	must(t, "PutCustomerID", s.PutCustomerID(ctx, "acme", "buyer2@example.com", 1003))
	id, err = s.CustomerID(ctx, "acme", "buyer@example.com")
	if err != nil || id != 1002 {
		t.Errorf("CustomerID after another email's put = %d, %v; want 1002", id, err)
	}
	_, err = s.CustomerID(ctx, "acme", "buyer")
	wantErr(t, "CustomerID of a prefix", err, store.ErrNotFound)
	_, err = s.CustomerID(ctx, "acme", "%@example.com")
	wantErr(t, "CustomerID of a LIKE pattern", err, store.ErrNotFound)
}

func testNotifyState(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	addAccount(t, s, "other")
	v, ver, err := s.LoadNotifyState(ctx, "acme", "digest")
	must(t, "LoadNotifyState (absent)", err)
	if v != nil || ver != 0 {
		t.Errorf("LoadNotifyState of an absent state = %q, %d; want nil, 0", v, ver)
	}
	doc := []byte(`{"last_digest":"2026-03-02T07:00:00Z","sent":["SO-1"]}`)
	must(t, "SaveNotifyState from 0", s.SaveNotifyState(ctx, "acme", "digest", doc, 0))
	doc[2] = 'X' // the caller's buffer is not the store's
	v1, ver1, err := s.LoadNotifyState(ctx, "acme", "digest")
	must(t, "LoadNotifyState", err)
	if want := `{"last_digest":"2026-03-02T07:00:00Z","sent":["SO-1"]}`; string(v1) != want || ver1 <= 0 {
		t.Errorf("LoadNotifyState = %q, %d; want %q and a positive version", v1, ver1, want)
	}
	if len(v1) > 0 {
		v1[0] = 'X'
	}

	err = s.SaveNotifyState(ctx, "acme", "digest", []byte(`{}`), 0)
	wantErr(t, "SaveNotifyState from 0 over a saved state", err, store.ErrConflict)
	must(t, "SaveNotifyState from the current version", s.SaveNotifyState(ctx, "acme", "digest", []byte(`{"n":2}`), ver1))
	err = s.SaveNotifyState(ctx, "acme", "digest", []byte(`{"n":3}`), ver1)
	wantErr(t, "SaveNotifyState from a stale version", err, store.ErrConflict)
	v2, ver2, err := s.LoadNotifyState(ctx, "acme", "digest")
	must(t, "LoadNotifyState", err)
	if string(v2) != `{"n":2}` || ver2 == ver1 || ver2 <= 0 {
		t.Errorf("LoadNotifyState = %q, %d; want {\"n\":2} at a new version (was %d)", v2, ver2, ver1)
	}

	// Binary values are kept byte for byte.
	bin := []byte{0, 1, 2, 0xff, 0xfe, '\n', 0}
	must(t, "SaveNotifyState binary", s.SaveNotifyState(ctx, "acme", "instant", bin, 0))
	got, _, err := s.LoadNotifyState(ctx, "acme", "instant")
	must(t, "LoadNotifyState", err)
	if !bytes.Equal(got, bin) {
		t.Errorf("binary notify state = %v, want %v", got, bin)
	}

	// Per account and name.
	for _, k := range [][2]string{{"other", "digest"}, {"acme", "weekly"}} {
		v, ver, err := s.LoadNotifyState(ctx, k[0], k[1])
		must(t, "LoadNotifyState", err)
		if v != nil || ver != 0 {
			t.Errorf("LoadNotifyState%v = %q, %d; want absent", k, v, ver)
		}
	}
	err = s.SaveNotifyState(ctx, "other", "digest", []byte("x"), ver2)
	wantErr(t, "SaveNotifyState of another account with acme's version", err, store.ErrConflict)
}

func testNotifyRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	for round := range 3 {
		_, ver, err := s.LoadNotifyState(ctx, "acme", "digest")
		must(t, "LoadNotifyState", err)
		errs := race(Race/2, func(i int) error {
			return s.SaveNotifyState(ctx, "acme", "digest", []byte(fmt.Sprint(i)), ver)
		})
		if n := countWinners(t, "concurrent SaveNotifyState", errs, store.ErrConflict); n != 1 {
			t.Fatalf("round %d: concurrent SaveNotifyState from version %d: %d winners, want 1", round, ver, n)
		}
	}
}
