package sync_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// chaosSize is how big a chaos run is: VEEQOCONNECT_CHAOS=long runs the
// long version (10,000 orders over 100 runs), otherwise a short one that
// fits CI.
func chaosSize() (orders, rounds int) {
	if os.Getenv("VEEQOCONNECT_CHAOS") == "long" {
		return 10000, 100
	}
	return 150, 12
}

// chaosSeed is VEEQOCONNECT_CHAOS_SEED, or a new seed; it is printed when
// the test fails, so the run can be replayed exactly.
func chaosSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("VEEQOCONNECT_CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "VEEQOCONNECT_CHAOS_SEED")
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("chaos seed %d: replay with VEEQOCONNECT_CHAOS_SEED=%d go test ./sync -run '^TestChaos$'", seed, seed)
		}
	})
	return seed
}

// TestChaos: orders arrive over many runs while Veeqo misbehaves at random
// (5xx, creates committed and then answered 5xx or cut off, dropped
// connections, 429 storms, latency, malformed bodies, orders cancelled in
// Veeqo, runs cancelled at a random moment) and the warehouse ships what it
// can; then clean runs converge and the invariants of DESIGN.md are
// checked: one Veeqo order per ERP order, every shipment applied to the ERP
// once and every quantity right, the API key in no record or log. The run
// is reproducible from its seed.
func TestChaos(t *testing.T) {
	t.Parallel()
	seed := chaosSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	nOrders, rounds := chaosSize()
	e := newEnv(t)
	faults := map[string]int{}
	post := veeqotest.Match("POST", "/orders")
	skus := []string{"MUG-1", "TEE-1", "CAP-1"}

	var refs []string
	want := map[string]map[string]int{} // ref -> line ref -> quantity
	shipped := map[string]bool{}
	cancelled := map[string]bool{}
	shipments := 0
	runs := 0
	ids := map[string]int64{} // ref -> its Veeqo order, once seen
	for round := range rounds {
		// New ERP orders.
		batch := nOrders / rounds
		if round == rounds-1 {
			batch = nOrders - len(refs)
		}
		for range batch {
			ref := fmt.Sprintf("SO-%05d", len(refs)+1)
			var lines []string
			for j := range 1 + rng.IntN(3) {
				lines = append(lines, fmt.Sprintf("%s:%d", skus[(j+rng.IntN(3))%3], 1+rng.IntN(3)))
			}
			o := order(ref, lines...)
			o.Customer.Email = fmt.Sprintf("buyer%d@example.com", rng.IntN(nOrders/3+1))
			e.erp.Put(o)
			refs = append(refs, ref)
			want[ref] = map[string]int{}
			for _, l := range o.Lines {
				want[ref][l.Ref] = l.Quantity
			}
		}
		// The warehouse ships some exported orders; the shop cancels a few
		// in Veeqo.
		for _, ref := range refs {
			if shipped[ref] || cancelled[ref] {
				continue
			}
			id, ok := ids[ref]
			if !ok {
				os := e.srv.OrdersByNumber(ref)
				if len(os) != 1 {
					continue
				}
				id, ids[ref] = os[0].ID, os[0].ID
			}
			switch r := rng.IntN(100); {
			case r < 35:
				ss, err := e.srv.ShipAll(id, veeqotest.ShipInfo{TrackingNumber: "1Z" + ref, CarrierName: "UPS"})
				require.NoError(t, err, "ship %s", ref)
				shipments += len(ss)
				shipped[ref] = true
			case r < 37:
				require.NoError(t, e.srv.CancelOrder(id, "chaos"))
				cancelled[ref] = true
				faults["order cancelled in Veeqo"]++
			}
		}
		// Veeqo's search trails its database, by a varying amount (an
		// in-doubt create must be settled from the order list anyway).
		if lag := []time.Duration{0, 2 * time.Second, 5 * time.Minute, 30 * time.Minute}[rng.IntN(4)]; lag > 0 {
			e.srv.SetSearchLag(lag)
			faults["search lag"]++
		} else {
			e.srv.SetSearchLag(0)
		}
		// Veeqo misbehaves.
		for range 1 + rng.IntN(4) {
			n := 1 + rng.IntN(3)
			switch k := rng.IntN(8); k {
			case 0:
				e.srv.FailNext(n, veeqotest.Fault{Status: []int{500, 502, 503}[rng.IntN(3)]})
				faults["5xx"] += n
			case 1:
				e.srv.CommitThenFail(n, post)
				faults["create committed, answer lost"] += n
			case 2:
				e.srv.FailNext(n, veeqotest.Fault{Drop: true})
				faults["dropped connection"] += n
			case 3:
				e.srv.Set429Storm(5 + rng.IntN(20))
				faults["429 storm"]++
			case 4:
				e.srv.SetLatency(time.Duration(rng.IntN(3)) * time.Millisecond)
				faults["latency"]++
			case 5:
				e.srv.CorruptNext(n, veeqotest.Any())
				faults["malformed body"] += n
			case 6:
				e.srv.FailNext(n, veeqotest.Fault{Match: post, Status: http.StatusBadGateway})
				faults["502 on create"] += n
			case 7:
				e.srv.FailNext(n, veeqotest.Fault{Match: veeqotest.Match("GET", "/orders"), Status: http.StatusServiceUnavailable})
				faults["503 on listing"] += n
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		if rng.IntN(4) == 0 {
			d := time.Duration(rng.IntN(30)) * time.Millisecond
			faults["run cancelled"]++
			time.AfterFunc(d, cancel)
		}
		require.NotPanics(t, func() {
			_, _ = e.engine().Run(ctx, vsync.RunOptions{Trigger: "chaos"})
		})
		cancel()
		runs++
		e.srv.ClearFaults()
		e.srv.SetLatency(0)
		e.clk.Advance(5 * time.Minute)
	}

	// Converge: clean runs until one has nothing left to do.
	for i := 0; ; i++ {
		require.Less(t, i, 6, "no convergence after %d clean runs", i)
		rep, err := e.engine().Run(context.Background(), vsync.RunOptions{Trigger: "converge"})
		runs++
		require.NoError(t, err)
		e.clk.Advance(5 * time.Minute)
		if rep.Exported == 0 && rep.ConfirmationsApplied == 0 && rep.Failed == 0 {
			break
		}
	}

	// Invariant 1: exactly one Veeqo order per ERP order, linked.
	violations := 0
	byNumber := map[string][]int64{}
	for _, o := range e.srv.Orders() {
		byNumber[o.Number] = append(byNumber[o.Number], o.ID)
	}
	for _, ref := range refs {
		os := byNumber[ref]
		if !assert.Len(t, os, 1, "Veeqo orders numbered %s", ref) {
			violations++
			continue
		}
		ex, err := e.st.GetExport(context.Background(), testAccount, ref)
		require.NoError(t, err, ref)
		if !assert.Equal(t, os[0], ex.VeeqoOrderID, "%s link", ref) {
			violations++
		}
	}
	// Invariant 2: every shipment reached the ERP once, quantities right.
	applied := map[int64]int{}
	for _, u := range e.erp.Applied() {
		applied[u.ShipmentID]++
	}
	for id, n := range applied {
		if !assert.Equal(t, 1, n, "shipment %d applied %d times", id, n) {
			violations++
		}
	}
	if !assert.Equal(t, shipments, len(applied), "shipments applied to the ERP") {
		violations++
	}
	for _, o := range e.erp.Orders() {
		for _, l := range o.Lines {
			w := 0
			if shipped[o.Ref] {
				w = want[o.Ref][l.Ref]
			}
			if !assert.Equal(t, w, l.Shipped, "%s line %s shipped", o.Ref, l.Ref) {
				violations++
			}
		}
	}
	// Invariant 5: the key is in no record and no log.
	page, err := e.st.QueryLogs(context.Background(), store.LogQuery{Account: testAccount, Search: e.srv.APIKey(), Limit: 10})
	require.NoError(t, err)
	assert.Empty(t, page.Entries, "the API key is in the log")
	recs, err := e.st.QueryRecords(context.Background(), store.RecordQuery{Account: testAccount, Search: e.srv.APIKey(), Limit: 10})
	require.NoError(t, err)
	assert.Empty(t, recs.Records, "the API key is in a record")

	kinds := make([]string, 0, len(faults))
	total := 0
	for k, n := range faults {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		total += n
	}
	sort.Strings(kinds)
	t.Logf("chaos seed %d: %d orders, %d shipments, %d cancelled in Veeqo, %d runs, %d faults (%s), %d Veeqo requests, %d violations",
		seed, len(refs), shipments, len(cancelled), runs, total, strings.Join(kinds, ", "), e.srv.TotalRequests(), violations)
}
