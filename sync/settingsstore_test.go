package sync_test

import (
	"context"
	"encoding/json"
	stdsync "sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// conflictStore makes UpdateAccount lose its compare-and-set the first
// `conflicts` times, as if another process had just written the account.
type conflictStore struct {
	store.Store
	mu        stdsync.Mutex
	conflicts int
	updates   int
}

func (s *conflictStore) UpdateAccount(ctx context.Context, a store.Account) (store.Account, error) {
	s.mu.Lock()
	s.updates++
	lose := s.conflicts > 0
	if lose {
		s.conflicts--
	}
	s.mu.Unlock()
	if lose {
		// Someone else writes the account first: the version moves on.
		cur, err := s.Store.GetAccount(ctx, a.Name)
		if err != nil {
			return store.Account{}, err
		}
		if _, err := s.Store.UpdateAccount(ctx, cur); err != nil {
			return store.Account{}, err
		}
		return store.Account{}, store.ErrConflict
	}
	return s.Store.UpdateAccount(ctx, a)
}

// TestStoredSettingsKeptCurrent: an engine started with settings that
// differ from the account's stored ones writes its own (compare-and-set,
// one retry on a conflict); equal settings cost no write; a dry run writes
// nothing.
func TestStoredSettingsKeptCurrent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		stale       bool // the stored settings differ from the engine's
		reformatted bool // stored: same meaning, other formatting
		conflicts   int
		dryRun      bool
		wantUpdates int
		wantCurrent bool
	}{
		{name: "stale settings are replaced", stale: true, wantUpdates: 1, wantCurrent: true},
		{name: "a conflict is retried once", stale: true, conflicts: 1, wantUpdates: 2, wantCurrent: true},
		{name: "two conflicts: left for the next run, the run goes on", stale: true, conflicts: 2, wantUpdates: 2},
		{name: "same settings: no write", wantUpdates: 0, wantCurrent: true},
		{name: "same meaning, other formatting: no write", reformatted: true, wantUpdates: 0},
		{name: "a dry run writes nothing", stale: true, dryRun: true, wantUpdates: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t)
			e.erp.Put(order("SO-1", "MUG-1:1"))
			old := e.settings
			if tc.stale {
				old.DefaultSKU = "OLD-DEFAULT"
				old.ExcludeLogs = "*old*"
			}
			doc, err := json.Marshal(old)
			require.NoError(t, err)
			if tc.reformatted {
				doc, err = json.MarshalIndent(old, "", "    ")
				require.NoError(t, err)
			}
			_, err = e.st.AddAccount(ctx, store.Account{Name: testAccount, APIKey: "kept-key", Settings: doc})
			require.NoError(t, err)

			cs := &conflictStore{Store: e.st, conflicts: tc.conflicts}
			rep, err := e.engine(withStore(cs)).Run(ctx, vsync.RunOptions{DryRun: tc.dryRun})
			require.NoError(t, err)
			if !tc.dryRun {
				assert.Equal(t, 1, rep.Exported, "the run goes on whatever happened to the settings")
			}
			assert.Equal(t, tc.wantUpdates, cs.updates, "UpdateAccount calls")

			acct, err := e.st.GetAccount(ctx, testAccount)
			require.NoError(t, err)
			assert.Equal(t, "kept-key", acct.APIKey, "the API key survives the settings write")
			var stored vsync.Settings
			require.NoError(t, json.Unmarshal(acct.Settings, &stored))
			if tc.wantCurrent {
				if diff := cmp.Diff(e.settings, stored, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("stored settings (-engine +stored):\n%s", diff)
				}
			} else if tc.stale {
				assert.Equal(t, "OLD-DEFAULT", stored.DefaultSKU)
			}
			if tc.reformatted {
				assert.Equal(t, string(doc), string(acct.Settings), "an equivalent document is left as written")
			}
		})
	}
}
