package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

func accountCases() []testCase {
	return []testCase{
		{"AddGet", testAccountAddGet},
		{"List", testAccountList},
		{"UpdateCAS", testAccountUpdateCAS},
		{"APIKeyRoundTrip", testAccountAPIKey},
		{"SetMode", testAccountSetMode},
		{"SetModeRace", testAccountSetModeRace},
		{"Remove", testAccountRemove},
		{"CopiesInAndOut", testAccountCopies},
	}
}

func testAccountAddGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	const key = "Vqt/very-secret-api-key-0001"
	in := store.Account{
		Name:     "acme",
		BaseURL:  "https://api.veeqo.test",
		APIKey:   key,
		Settings: json.RawMessage(`{"default_sku":"MISC","channels":[1,2]}`),
	}
	lo := time.Now()
	got, err := s.AddAccount(ctx, in)
	hi := time.Now()
	must(t, "AddAccount", err)
	if got.Version <= 0 {
		t.Errorf("AddAccount: Version = %d, want > 0", got.Version)
	}
	if got.Mode != store.ModeNone {
		t.Errorf("AddAccount: Mode = %q, want none", got.Mode)
	}
	stamped(t, "AddAccount: CreatedAt", got.CreatedAt, lo, hi)
	stamped(t, "AddAccount: UpdatedAt", got.UpdatedAt, lo, hi)
	want := in
	want.CreatedAt, want.UpdatedAt, want.Version = got.CreatedAt, got.UpdatedAt, got.Version
	diff(t, "AddAccount result", want, got)

	read, err := s.GetAccount(ctx, "acme")
	must(t, "GetAccount", err)
	diff(t, "GetAccount", want, read)

	_, err = s.AddAccount(ctx, store.Account{Name: "acme", APIKey: key + "-other"})
	wantErr(t, "AddAccount of a taken name", err, store.ErrExists)
	noSecret(t, "AddAccount of a taken name", err, key)
	read, err = s.GetAccount(ctx, "acme")
	must(t, "GetAccount", err)
	if read.APIKey != key {
		t.Errorf("a refused AddAccount changed the stored API key")
	}

	_, err = s.GetAccount(ctx, "nobody")
	wantErr(t, "GetAccount of a missing account", err, store.ErrNotFound)
}

func testAccountList(t *testing.T, s store.Store) {
	ctx := t.Context()
	got, err := s.ListAccounts(ctx)
	must(t, "ListAccounts (empty)", err)
	if len(got) != 0 {
		t.Errorf("ListAccounts on an empty store = %d accounts", len(got))
	}
	var want []store.Account
	for _, n := range []string{"charlie", "alpha", "bravo", "echo", "delta"} {
		addAccount(t, s, n)
	}
	for _, n := range []string{"alpha", "bravo", "charlie", "delta", "echo"} {
		a, err := s.GetAccount(ctx, n)
		must(t, "GetAccount", err)
		want = append(want, a)
	}
	got, err = s.ListAccounts(ctx)
	must(t, "ListAccounts", err)
	diff(t, "ListAccounts (ordered by name, API keys opened)", want, got)
}

// testAccountUpdateCAS is one piece on purpose: a conformance scenario is one sequence of
// steps on one store, each step's check beside it.
func testAccountUpdateCAS(t *testing.T, s store.Store) {
	ctx := t.Context()
	orig := addAccount(t, s, "acme")

	upd := orig
	upd.BaseURL = "https://other.veeqo.test"
	upd.APIKey = "Vqt/rotated"
	upd.Settings = json.RawMessage(`{"v":2}`)
	upd.Mode = store.ModeFetch // not changed by UpdateAccount
	lo := time.Now()
	got, err := s.UpdateAccount(ctx, upd)
	hi := time.Now()
	must(t, "UpdateAccount", err)
	if got.Version <= orig.Version {
		t.Errorf("UpdateAccount: Version = %d, want > %d", got.Version, orig.Version)
	}
	if got.Mode != store.ModeNone {
		t.Errorf("UpdateAccount changed Mode to %q; only SetMode may", got.Mode)
	}
	stamped(t, "UpdateAccount: UpdatedAt", got.UpdatedAt, lo, hi)
	want := orig
	want.BaseURL, want.APIKey, want.Settings = upd.BaseURL, upd.APIKey, upd.Settings
	want.UpdatedAt, want.Version = got.UpdatedAt, got.Version
	diff(t, "UpdateAccount result", want, got)
	read, err := s.GetAccount(ctx, "acme")
	must(t, "GetAccount", err)
	diff(t, "GetAccount after UpdateAccount", want, read)

	// A stale version loses and writes nothing.
	stale := orig
	stale.BaseURL = "https://stale.test"
	_, err = s.UpdateAccount(ctx, stale)
	wantErr(t, "UpdateAccount with a stale version", err, store.ErrConflict)
	noSecret(t, "UpdateAccount with a stale version", err, orig.APIKey)
	noSecret(t, "UpdateAccount with a stale version", err, upd.APIKey)
	read, err = s.GetAccount(ctx, "acme")
	must(t, "GetAccount", err)
	diff(t, "GetAccount after a lost UpdateAccount", want, read)

	// SetMode is a write too: it moves the version on.
	moded, err := s.SetMode(ctx, "acme", store.ModeNone, store.ModeExport)
	must(t, "SetMode", err)
	if moded.Version <= got.Version {
		t.Errorf("SetMode: Version = %d, want > %d", moded.Version, got.Version)
	}
	_, err = s.UpdateAccount(ctx, got)
	wantErr(t, "UpdateAccount with the version from before SetMode", err, store.ErrConflict)

	_, err = s.UpdateAccount(ctx, store.Account{Name: "nobody", Version: 1})
	wantErr(t, "UpdateAccount of a missing account", err, store.ErrNotFound, store.ErrConflict)

	// Of concurrent updates from one version exactly one wins.
	cur, err := s.GetAccount(ctx, "acme")
	must(t, "GetAccount", err)
	errs := race(Race, func(i int) error {
		a := cur
		a.BaseURL = fmt.Sprintf("https://racer-%d.test", i)
		_, err := s.UpdateAccount(ctx, a)
		return err
	})
	if n := countWinners(t, "concurrent UpdateAccount", errs, store.ErrConflict); n != 1 {
		t.Errorf("concurrent UpdateAccount from one version: %d winners, want 1", n)
	}
}

func testAccountAPIKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	keys := []string{
		"Vqt/0123456789abcdef0123456789abcdef",
		"",
		"key with spaces and ünïcødé 🔑",
		"v1:looks-like-a-sealed-prefix-but-is-not",
		"'; DROP TABLE accounts; --",
	}
	for i, key := range keys {
		name := fmt.Sprintf("acct-%d", i)
		added, err := s.AddAccount(ctx, store.Account{Name: name, APIKey: key})
		must(t, "AddAccount", err)
		if added.APIKey != key {
			t.Errorf("AddAccount(%q) returned API key %q", key, added.APIKey)
		}
		got, err := s.GetAccount(ctx, name)
		must(t, "GetAccount", err)
		if got.APIKey != key {
			t.Errorf("API key %q read back as %q", key, got.APIKey)
		}
		rotated := key + "-rotated"
		got.APIKey = rotated
		upd, err := s.UpdateAccount(ctx, got)
		must(t, "UpdateAccount", err)
		if upd.APIKey != rotated {
			t.Errorf("UpdateAccount returned API key %q, want %q", upd.APIKey, rotated)
		}
		got, err = s.GetAccount(ctx, name)
		must(t, "GetAccount", err)
		if got.APIKey != rotated {
			t.Errorf("updated API key %q read back as %q", rotated, got.APIKey)
		}
	}
}

func testAccountSetMode(t *testing.T, s store.Store) {
	ctx := t.Context()
	orig := addAccount(t, s, "acme")

	lo := time.Now()
	got, err := s.SetMode(ctx, "acme", store.ModeNone, store.ModeExport)
	hi := time.Now()
	must(t, "SetMode none->export", err)
	if got.Mode != store.ModeExport {
		t.Errorf("SetMode: Mode = %q, want export", got.Mode)
	}
	stamped(t, "SetMode: ModeChangedAt", got.ModeChangedAt, lo, hi)
	want := orig
	want.Mode, want.ModeChangedAt, want.UpdatedAt, want.Version = got.Mode, got.ModeChangedAt, got.UpdatedAt, got.Version
	diff(t, "SetMode result (other fields kept)", want, got)

	tests := []struct {
		name     string
		from, to store.Mode
		wantErr  error
		wantMode store.Mode
	}{
		{"wrong from (none)", store.ModeNone, store.ModeFetch, store.ErrConflict, store.ModeExport},
		{"wrong from (fetch)", store.ModeFetch, store.ModeExport, store.ErrConflict, store.ModeExport},
		{"export->fetch", store.ModeExport, store.ModeFetch, nil, store.ModeFetch},
		{"fetch->export again", store.ModeFetch, store.ModeExport, nil, store.ModeExport},
		{"stale from after the switch", store.ModeFetch, store.ModeExport, store.ErrConflict, store.ModeExport},
	}
	for _, tt := range tests {
		before, err := s.GetAccount(ctx, "acme")
		must(t, "GetAccount", err)
		_, err = s.SetMode(ctx, "acme", tt.from, tt.to)
		if tt.wantErr != nil {
			wantErr(t, "SetMode "+tt.name, err, tt.wantErr)
		} else if err != nil {
			t.Errorf("SetMode %s: %v", tt.name, err)
		}
		after, err := s.GetAccount(ctx, "acme")
		must(t, "GetAccount", err)
		if after.Mode != tt.wantMode {
			t.Errorf("after SetMode %s: Mode = %q, want %q", tt.name, after.Mode, tt.wantMode)
		}
		if tt.wantErr != nil {
			diff(t, "account after a refused SetMode "+tt.name, before, after)
		}
	}

	_, err = s.SetMode(ctx, "nobody", store.ModeNone, store.ModeExport)
	wantErr(t, "SetMode of a missing account", err, store.ErrNotFound)
}

func testAccountSetModeRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	addAccount(t, s, "acme")
	errs := race(Race, func(i int) error {
		to := store.ModeExport
		if i%2 == 1 {
			to = store.ModeFetch
		}
		_, err := s.SetMode(ctx, "acme", store.ModeNone, to)
		return err
	})
	winner := -1
	for i, err := range errs {
		if err == nil {
			winner = i
		}
	}
	if n := countWinners(t, "concurrent SetMode", errs, store.ErrConflict); n != 1 {
		t.Fatalf("concurrent SetMode from none: %d winners, want 1", n)
	}
	want := store.ModeExport
	if winner%2 == 1 {
		want = store.ModeFetch
	}
	got, err := s.GetAccount(ctx, "acme")
	must(t, "GetAccount", err)
	if got.Mode != want {
		t.Errorf("after the race Mode = %q, want the winner's %q", got.Mode, want)
	}
}

// testAccountRemove fills every kind of state for two accounts, removes one
// and checks that all of its state is gone (also after re-adding the name)
// and all of the other's is intact.
// It is one piece on purpose: a conformance scenario is one sequence of
// steps on one store, each step's check beside it.
func testAccountRemove(t *testing.T, s store.Store) {
	ctx := t.Context()
	fill := func(name string) store.Lease {
		addAccount(t, s, name)
		_, err := s.SetMode(ctx, name, store.ModeNone, store.ModeExport)
		must(t, "SetMode", err)
		e, _, err := s.ClaimExport(ctx, store.Export{Account: name, ERPRef: "SO-1", Number: "SO-1", State: store.ExportClaimed})
		must(t, "ClaimExport", err)
		e.State, e.VeeqoOrderID = store.ExportExported, 777
		_, _, err = s.CompleteExport(ctx, e,
			store.RecordUpdate{Account: name, Process: "export_order", Reference: "SO-1", Status: store.RecordSuccess, RunID: name + "-run", At: at(0)},
			store.LogEntry{Account: name, RunID: name + "-run", Process: "export_order", Level: store.LevelInfo, Reference: "SO-1", Message: "exported", Time: at(0)})
		must(t, "CompleteExport", err)
		_, _, err = s.RecordShipment(ctx, store.AppliedShipment{Account: name, ShipmentID: 55, VeeqoOrderID: 777, ERPRef: "SO-1", State: store.ShipmentPending, Update: json.RawMessage(`{}`)})
		must(t, "RecordShipment", err)
		_, err = s.SetCursor(ctx, store.Cursor{Account: name, Stream: "confirmations", Position: at(1)})
		must(t, "SetCursor", err)
		l, err := s.AcquireLease(ctx, name, holder("holder-"+name), time.Hour)
		must(t, "AcquireLease", err)
		_, err = s.StartRun(ctx, store.Run{ID: name + "-run", Account: name, Mode: store.ModeExport, Trigger: "manual", Status: store.RunRunning, StartedAt: at(0)})
		must(t, "StartRun", err)
		must(t, "PutCustomerID", s.PutCustomerID(ctx, name, "buyer@example.com", 42))
		must(t, "SaveNotifyState", s.SaveNotifyState(ctx, name, "digest", []byte(`{"sent":1}`), 0))
		return l
	}
	fill("gone")
	keptLease := fill("kept")

	must(t, "RemoveAccount", s.RemoveAccount(ctx, "gone"))
	wantErr(t, "RemoveAccount again", s.RemoveAccount(ctx, "gone"), store.ErrNotFound)
	_, err := s.GetAccount(ctx, "gone")
	wantErr(t, "GetAccount after RemoveAccount", err, store.ErrNotFound)
	accts, err := s.ListAccounts(ctx)
	must(t, "ListAccounts", err)
	if len(accts) != 1 || accts[0].Name != "kept" {
		t.Errorf("ListAccounts after RemoveAccount = %v, want only kept", accts)
	}

	// Re-adding the name must not resurrect anything.
	readded, err := s.AddAccount(ctx, store.Account{Name: "gone"})
	must(t, "AddAccount after RemoveAccount", err)
	if readded.Mode != store.ModeNone {
		t.Errorf("re-added account has Mode %q, want none", readded.Mode)
	}
	check := func(name string, present bool) {
		t.Helper()
		wantIf := func(what string, err error) {
			t.Helper()
			if present {
				if err != nil {
					t.Errorf("%s of %s: %v", what, name, err)
				}
			} else {
				wantErr(t, what+" of removed "+name, err, store.ErrNotFound)
			}
		}
		_, err := s.GetExport(ctx, name, "SO-1")
		wantIf("GetExport", err)
		_, err = s.ExportByVeeqoID(ctx, name, 777)
		wantIf("ExportByVeeqoID", err)
		_, err = s.GetShipment(ctx, name, 55)
		wantIf("GetShipment", err)
		_, err = s.GetRecord(ctx, name, "export_order", "SO-1")
		wantIf("GetRecord", err)
		_, err = s.GetRun(ctx, name+"-run")
		wantIf("GetRun", err)
		_, err = s.CustomerID(ctx, name, "buyer@example.com")
		wantIf("CustomerID", err)

		count := func(what string, n int) {
			t.Helper()
			if want := map[bool]int{true: 1, false: 0}[present]; n != want {
				t.Errorf("%s of %s: %d, want %d", what, name, n, want)
			}
		}
		exps, err := s.ListExports(ctx, store.ExportQuery{Account: name})
		must(t, "ListExports", err)
		count("ListExports", len(exps))
		ships, err := s.ListShipments(ctx, store.ShipmentQuery{Account: name})
		must(t, "ListShipments", err)
		count("ListShipments", len(ships))
		recs, err := s.QueryRecords(ctx, store.RecordQuery{Account: name})
		must(t, "QueryRecords", err)
		count("QueryRecords", len(recs.Records))
		counts, err := s.CountRecords(ctx, store.RecordQuery{Account: name})
		must(t, "CountRecords", err)
		count("CountRecords", counts.Total)
		logs, err := s.QueryLogs(ctx, store.LogQuery{Account: name})
		must(t, "QueryLogs", err)
		count("QueryLogs", len(logs.Entries))
		runs, err := s.QueryRuns(ctx, store.RunQuery{Account: name})
		must(t, "QueryRuns", err)
		count("QueryRuns", len(runs))
		c, err := s.GetCursor(ctx, name, "confirmations")
		must(t, "GetCursor", err)
		count("cursor written", map[bool]int{true: 1, false: 0}[c.Version > 0])
		_, v, err := s.LoadNotifyState(ctx, name, "digest")
		must(t, "LoadNotifyState", err)
		count("notify state saved", map[bool]int{true: 1, false: 0}[v > 0])
	}
	check("gone", false)
	check("kept", true)

	// The removed account's lease is gone: another holder takes it at once.
	_, err = s.AcquireLease(ctx, "gone", holder("someone-else"), time.Minute)
	if err != nil {
		t.Errorf("AcquireLease on the re-added account: %v (the removed account's lease survived)", err)
	}
	_, err = s.AcquireLease(ctx, "kept", holder("someone-else"), time.Minute)
	wantErr(t, "AcquireLease on the kept account", err, store.ErrLeaseHeld)
	_, err = s.RenewLease(ctx, keptLease, time.Hour)
	if err != nil {
		t.Errorf("RenewLease of the kept account's lease: %v", err)
	}
}

func testAccountCopies(t *testing.T, s store.Store) {
	ctx := t.Context()
	settings := json.RawMessage(`{"a":1}`)
	added, err := s.AddAccount(ctx, store.Account{Name: "acme", Settings: settings})
	must(t, "AddAccount", err)
	settings[5] = '9' // the caller's buffer
	if len(added.Settings) > 0 {
		added.Settings[0] = 'X' // the returned buffer
	}
	got, err := s.GetAccount(ctx, "acme")
	must(t, "GetAccount", err)
	diff(t, "Settings after the caller mutated its buffers", json.RawMessage(`{"a":1}`), got.Settings)
	if len(got.Settings) > 0 {
		got.Settings[0] = 'X'
	}
	again, err := s.GetAccount(ctx, "acme")
	must(t, "GetAccount", err)
	diff(t, "Settings after the caller mutated a read", json.RawMessage(`{"a":1}`), again.Settings)

	upd := json.RawMessage(`{"b":2}`)
	again.Settings = upd
	updated, err := s.UpdateAccount(ctx, again)
	must(t, "UpdateAccount", err)
	upd[5] = '7'
	if len(updated.Settings) > 0 {
		updated.Settings[0] = 'X'
	}
	got, err = s.GetAccount(ctx, "acme")
	must(t, "GetAccount", err)
	diff(t, "Settings after the caller mutated its UpdateAccount buffers", json.RawMessage(`{"b":2}`), got.Settings)
	list, err := s.ListAccounts(ctx)
	must(t, "ListAccounts", err)
	if len(list) == 1 && len(list[0].Settings) > 0 {
		list[0].Settings[0] = 'X'
	}
	got, err = s.GetAccount(ctx, "acme")
	must(t, "GetAccount", err)
	diff(t, "Settings after the caller mutated a listed account", json.RawMessage(`{"b":2}`), got.Settings)

	// A version above the stored one is a conflict too, not a skip ahead.
	future := got
	future.Version += 5
	_, err = s.UpdateAccount(ctx, future)
	wantErr(t, "UpdateAccount from a version above the stored one", err, store.ErrConflict)
}
