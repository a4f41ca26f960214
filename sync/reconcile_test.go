package sync_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// TestReconcileNeverLinksForeignOrder: a lookup by number after an unknown
// outcome keeps only the orders this account can have created (the ERP
// store's channel, the customer's email). A marketplace order that happens
// to share the number is never linked; our own committed-then-lost order is.
func TestReconcileNeverLinksForeignOrder(t *testing.T) {
	t.Parallel()
	post := veeqotest.Match("POST", "/orders")
	tests := []struct {
		name string
		// foreign adds the same-number order that is not ours.
		foreign func(e *env) veeqo.Order
		// fault makes the create's outcome unknown.
		fault func(s *veeqotest.Server)
		// claimed leaves a write-ahead claim from a crashed run instead.
		claimed bool
		// committed: the lost create did create our order (linked at once).
		committed bool
	}{
		{name: "marketplace order on another channel, create failed (5xx)",
			foreign: func(e *env) veeqo.Order { return e.addMarketplaceOrder("SO-1", e.amazon, map[string]int{"MUG-1": 1}) },
			fault:   func(s *veeqotest.Server) { s.FailNext(1, veeqotest.Fault{Match: post, Status: 500}) }},
		{name: "same channel, another customer's email, create failed (5xx)",
			foreign: func(e *env) veeqo.Order {
				return e.srv.AddOrder(veeqo.Order{Number: "SO-1", Channel: &e.web, Customer: &veeqo.Customer{Email: "someone-else@example.com"},
					LineItems: []veeqo.LineItem{{Sellable: &veeqo.Sellable{ID: e.sku["MUG-1"]}, Quantity: 1}}})
			},
			fault: func(s *veeqotest.Server) { s.FailNext(1, veeqotest.Fault{Match: post, Status: 500}) }},
		{name: "marketplace order on another channel, claim left by a crash",
			foreign: func(e *env) veeqo.Order { return e.addMarketplaceOrder("SO-1", e.amazon, map[string]int{"MUG-1": 1}) },
			claimed: true},
		{name: "our own order committed then the answer lost, a marketplace twin exists",
			foreign:   func(e *env) veeqo.Order { return e.addMarketplaceOrder("SO-1", e.amazon, map[string]int{"MUG-1": 1}) },
			fault:     func(s *veeqotest.Server) { s.CommitThenFail(1, post) },
			committed: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t)
			e.erp.Put(order("SO-1", "MUG-1:1"))
			foreign := tc.foreign(e)
			if tc.fault != nil {
				tc.fault(e.srv)
			}
			if tc.claimed {
				_, ins, err := e.st.ClaimExport(ctx, store.Export{Account: testAccount, ERPRef: "SO-1", Number: "SO-1", State: store.ExportClaimed, Attempts: 1})
				require.NoError(t, err)
				require.True(t, ins)
			}
			// Run until the order settles (an unknown outcome the order list
			// does not explain is settled once the settle time has passed).
			var reps []vsync.Report
			for i := range 2 {
				if i > 0 {
					e.clk.Advance(vsync.DefaultInDoubtSettle)
				}
				reps = append(reps, e.run(e.engine()))
				if ex, err := e.st.GetExport(ctx, testAccount, "SO-1"); err == nil && ex.State == store.ExportExported {
					break
				}
			}
			ex, err := e.st.GetExport(ctx, testAccount, "SO-1")
			require.NoError(t, err)
			require.Equal(t, store.ExportExported, ex.State, "reports: %+v", reps)
			assert.NotEqual(t, foreign.ID, ex.VeeqoOrderID, "the foreign order was linked")
			assert.NotEqual(t, foreign.ID, e.record(vsync.ProcessExport, "SO-1").VeeqoOrderID)

			var mine []veeqo.Order
			for _, o := range e.srv.OrdersByNumber("SO-1") {
				if o.ID != foreign.ID {
					mine = append(mine, o)
				}
			}
			require.Len(t, mine, 1, "exactly one order of ours numbered SO-1")
			assert.Equal(t, mine[0].ID, ex.VeeqoOrderID)
			assert.Equal(t, e.web.ID, mine[0].Channel.ID)
			if tc.committed {
				assert.Equal(t, 1, e.srv.Count("POST", "/orders"), "our committed order is linked, not created again")
				assert.Equal(t, 1, reps[0].Reconciled)
			}
			// The foreign order is left alone by later runs too.
			e.run(e.engine())
			_, err = e.st.ExportByVeeqoID(ctx, testAccount, foreign.ID)
			assert.ErrorIs(t, err, store.ErrNotFound)
		})
	}
}
