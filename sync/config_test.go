package sync_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/store/memstore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// nilNotifier is a host notifier type; a nil *nilNotifier in Config is a
// typed nil.
type nilNotifier struct{ n int }

func (n *nilNotifier) Notify(context.Context, notify.Event) error { n.n++; return nil }

// TestNewRejectsTypedNils: a Config holding a nil pointer in an interface
// (a nil *MemoryERP, ClientAPI(nil), a nil host notifier) passed New and
// panicked in Run; New must refuse it naming the field.
func TestNewRejectsTypedNils(t *testing.T) {
	t.Parallel()
	var nilERP *vsync.MemoryERP
	var nilStore *memstore.Store
	var nilClient *veeqo.Client
	var nilN *nilNotifier
	settings := vsync.Settings{Account: "a", FetchFulfillments: true}
	for _, tc := range []struct {
		name  string
		cfg   func(*vsync.Config)
		field string
	}{
		{"erp", func(c *vsync.Config) { c.ERP = nilERP }, "ERP"},
		{"store", func(c *vsync.Config) { c.Store = nilStore }, "Store"},
		{"client", func(c *vsync.Config) { c.Veeqo = vsync.ClientAPI(nilClient) }, "Veeqo"},
		{"notifier", func(c *vsync.Config) { c.Notifier = nilN }, "Notifier"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := veeqo.New("k", veeqo.WithBaseURL("http://127.0.0.1:1/"))
			require.NoError(t, err)
			cfg := vsync.Config{Account: "a", Settings: settings, Store: memstore.New(), ERP: vsync.NewMemoryERP(), Veeqo: vsync.ClientAPI(c)}
			tc.cfg(&cfg)
			var e *vsync.Engine
			require.NotPanics(t, func() { e, err = vsync.New(cfg) })
			require.ErrorIs(t, err, vsync.ErrConfig)
			require.Contains(t, err.Error(), tc.field)
			require.Nil(t, e)
		})
	}
}

// New refuses a Config whose Account and Settings.Account name different
// accounts: records and logs would go under one name, notifications under
// the other.
func TestNewRefusesAccountMismatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settings.Account = "other-account"
	_, err := vsync.New(e.config())
	require.ErrorIs(t, err, vsync.ErrConfig)
	require.ErrorContains(t, err, `Account "`+testAccount+`" differs from Settings.Account "other-account"`)
	e.settings.Account = ""
	_, err = vsync.New(e.config())
	require.NoError(t, err, "an empty Settings.Account takes Config.Account")
}
