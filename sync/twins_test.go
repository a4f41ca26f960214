package sync_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/notify"
	"github.com/xoroerp/veeqoconnect/notify/notifytest"
	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// addTwin creates, directly in the fake, a second Veeqo order for an ERP
// order (as a host's manual retry or another tool on the key would): same
// number, channel, customer and lines.
func (e *env) addTwin(o vsync.ERPOrder, ch veeqo.Channel) veeqo.Order {
	e.t.Helper()
	var lines []veeqo.LineItem
	for _, l := range o.Lines {
		lines = append(lines, veeqo.LineItem{Sellable: &veeqo.Sellable{ID: e.sku[l.SKU]}, Quantity: l.Quantity})
	}
	return e.srv.AddOrder(veeqo.Order{Number: o.Number, Channel: &ch, Customer: &veeqo.Customer{Email: o.Customer.Email}, LineItems: lines})
}

// twinEvents returns the notified errors that report twins of ref.
func twinEvents(rec *notifytest.Recorder, ref string) []notify.Event {
	var out []notify.Event
	for _, ev := range rec.Events() {
		if ev.Reference == ref && ev.Level == notify.LevelError && strings.Contains(ev.Message, "twins") {
			out = append(out, ev)
		}
	}
	return out
}

// Twins made outside the engine (a second Veeqo order with an exported
// order's number on its channel) are reported once, as an error on the
// reference naming both Veeqo ids and saying how to resolve it, through the
// notifier; the shipments of both reach the ERP order once each (under
// "disable multishipment" the first is final and the other is recorded as
// ignored, once); a rerun changes nothing.
func TestTwinsAreReportedOnceAndTheirShipmentsImported(t *testing.T) {
	t.Parallel()
	for _, disable := range []bool{false, true} {
		t.Run(fmt.Sprintf("disable_multishipment=%v", disable), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.settings.DisableMultishipment = disable
			so := order("SO-1", "MUG-1:2")
			e.erp.Put(so)
			rec := &notifytest.Recorder{}
			eng := e.engine(withCfg(func(c *vsync.Config) { c.Notifier = rec }))
			e.run(eng)
			linked := e.veeqoOrder("SO-1")

			e.clk.Advance(time.Minute)
			twin := e.addTwin(so, e.web)
			_, err := e.srv.ShipPartial(linked.ID, map[int64]int{e.sku["MUG-1"]: 1}, veeqotest.ShipInfo{TrackingNumber: "1Z-LINKED", CarrierID: 5})
			require.NoError(t, err)
			_, err = e.srv.ShipPartial(twin.ID, map[int64]int{e.sku["MUG-1"]: 1}, veeqotest.ShipInfo{TrackingNumber: "1Z-TWIN", CarrierID: 5})
			require.NoError(t, err)
			e.clk.Advance(time.Minute)
			rep := e.run(eng)
			assert.Equal(t, 1, rep.Twins)

			r := e.record(vsync.ProcessExport, "SO-1")
			assert.Equal(t, store.RecordError, r.Status)
			assert.Contains(t, r.Message, fmt.Sprintf("%d (linked) and %d", linked.ID, twin.ID))
			assert.Contains(t, r.Message, "cancel the extra order(s) in Veeqo, then mark this record resolved")
			require.Len(t, twinEvents(rec, "SO-1"), 1, "notified once")

			rows, err := e.st.ListShipments(context.Background(), store.ShipmentQuery{Account: testAccount, ERPRef: "SO-1"})
			require.NoError(t, err)
			states := map[store.ShipmentState]int{}
			for _, row := range rows {
				states[row.State]++
			}
			applied := map[int64]int{}
			for _, u := range e.erp.Applied() {
				applied[u.ShipmentID]++
			}
			if disable {
				assert.Equal(t, map[store.ShipmentState]int{store.ShipmentApplied: 1, store.ShipmentIgnored: 1}, states)
				assert.Len(t, applied, 1)
				assert.Equal(t, map[string]int{"1": 1}, shippedOf(e.erpOrder("SO-1")), "the first parcel is final")
			} else {
				assert.Equal(t, map[store.ShipmentState]int{store.ShipmentApplied: 2}, states)
				assert.Len(t, applied, 2, "both twins' shipments reached the ERP")
				assert.Equal(t, map[string]int{"1": 2}, shippedOf(e.erpOrder("SO-1")))
			}
			for id, n := range applied {
				assert.Equal(t, 1, n, "shipment %d applied once", id)
			}

			// A rerun (the twin is still listed in the poll's overlap) says
			// nothing new and applies nothing again.
			before := len(e.erp.Applied())
			e.clk.Advance(time.Minute)
			rep = e.run(eng)
			assert.Zero(t, rep.Twins)
			assert.Len(t, twinEvents(rec, "SO-1"), 1, "still notified once")
			assert.Len(t, e.erp.Applied(), before)

			// Resolved by the operator: the twin is not reported again.
			_, err = eng.Resolve(context.Background(), vsync.ProcessExport, "SO-1", "ops", "cancelled the twin in Veeqo")
			require.NoError(t, err)
			require.NoError(t, e.srv.TouchOrder(twin.ID))
			e.clk.Advance(time.Minute)
			e.run(eng)
			assert.True(t, e.record(vsync.ProcessExport, "SO-1").Resolved)
			assert.Len(t, twinEvents(rec, "SO-1"), 1)
		})
	}
}

// A same-number order on another channel or for another customer is not a
// twin: it is someone else's order and is neither reported nor imported.
func TestSameNumberElsewhereIsNotATwin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	so := order("SO-1", "MUG-1:1")
	e.erp.Put(so)
	eng := e.engine()
	e.run(eng)
	e.clk.Advance(time.Minute)
	amz := e.addTwin(so, e.amazon)
	other := so
	other.Customer.Email = "someone-else@example.com"
	stranger := e.addTwin(other, e.web)
	for _, id := range []int64{amz.ID, stranger.ID} {
		_, err := e.srv.ShipAll(id, veeqotest.ShipInfo{TrackingNumber: fmt.Sprint("1Z-", id), CarrierID: 5})
		require.NoError(t, err)
	}
	e.clk.Advance(time.Minute)
	rep := e.run(eng)
	assert.Zero(t, rep.Twins)
	assert.NotEqual(t, store.RecordError, e.record(vsync.ProcessExport, "SO-1").Status)
	assert.Empty(t, e.erp.Applied())
}

// Twins that exist before an in-doubt create is settled: the oldest is
// linked, the twins are reported naming every id, and each twin's shipment
// reaches the ERP order once.
func TestTwinsFoundWhenSettlingADoubt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, veeqotest.WithSearchLag(5*time.Minute))
	so := order("SO-1", "MUG-1:2")
	e.erp.Put(so)
	ctx := context.Background()
	// A crashed run's claim, and two orders with the number on our channel.
	_, ins, err := e.st.ClaimExport(ctx, store.Export{Account: testAccount, ERPRef: "SO-1", Number: "SO-1", State: store.ExportClaimed, Attempts: 1,
		Lines: []store.LineLink{{ERPLine: "1", SellableID: e.sku["MUG-1"], SKU: "MUG-1", Quantity: 2}}})
	require.NoError(t, err)
	require.True(t, ins)
	first, second := e.addTwin(so, e.web), e.addTwin(so, e.web)

	rec := &notifytest.Recorder{}
	eng := e.engine(withCfg(func(c *vsync.Config) { c.Notifier = rec }))
	e.clk.Advance(2 * time.Minute)
	rep := e.run(eng)
	assert.Equal(t, 1, rep.Reconciled)
	assert.Equal(t, 1, rep.Twins)
	ex, err := e.st.GetExport(ctx, testAccount, "SO-1")
	require.NoError(t, err)
	assert.Equal(t, first.ID, ex.VeeqoOrderID, "the oldest is linked")
	assert.Contains(t, e.record(vsync.ProcessExport, "SO-1").Message, fmt.Sprintf("%d (linked) and %d", first.ID, second.ID))
	require.Len(t, twinEvents(rec, "SO-1"), 1)
	assert.Len(t, e.srv.OrdersByNumber("SO-1"), 2, "nothing more created")

	for _, o := range []veeqo.Order{first, second} {
		_, err := e.srv.ShipPartial(o.ID, map[int64]int{e.sku["MUG-1"]: 1}, veeqotest.ShipInfo{TrackingNumber: fmt.Sprint("1Z-", o.ID), CarrierID: 5})
		require.NoError(t, err)
	}
	e.clk.Advance(time.Minute)
	e.run(eng)
	e.clk.Advance(time.Minute)
	e.run(eng)
	assert.Len(t, e.erp.Applied(), 2)
	assert.Equal(t, map[string]int{"1": 2}, shippedOf(e.erpOrder("SO-1")))
	assert.Len(t, twinEvents(rec, "SO-1"), 1, "reported once")
}
