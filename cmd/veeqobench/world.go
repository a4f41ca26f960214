package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// Names the fake's catalogue and the settings share.
const (
	webChannel    = "Web Store"
	amazonChannel = "Amazon US"
	defaultSKU    = "MISC-ITEM"
	upsCarrierID  = veeqo.CarrierUPS
)

// phaseGap is how far the shared clock jumps between the phases of a
// scenario (a wave exported, parcels shipped, the next run): longer than the
// confirmation overlap (10 minutes), so a poll lists what changed since the
// last one and not the phase before, and shorter than the catalogue TTL (15
// minutes), so a warm engine keeps its catalogue.
const phaseGap = 11 * time.Minute

// clock is real time plus an offset that phases jump forward. The fake's
// bucket drains by it too: a jump empties the bucket as the time between
// two scheduled runs would.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())).UTC() }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// skuName is the i-th SKU of the benchmark catalogue.
func skuName(i int) string { return fmt.Sprintf("SKU-%05d", i) }

// newFake starts a fake Veeqo with the benchmark's catalogue (skus
// products) and Veeqo's bucket scaled to drain per second.
func newFake(cfg config, clk *clock, skus int) (*veeqotest.Server, error) {
	srv, err := veeqotest.Start(veeqotest.WithRateLimit(cfg.capacity, cfg.drain), veeqotest.WithClock(clk.Now))
	if err != nil {
		return nil, err
	}
	seedCatalog(srv, skus)
	return srv, nil
}

func seedCatalog(srv *veeqotest.Server, skus int) veeqotest.Seeded {
	price := decimal.NewFromInt(10)
	cat := veeqotest.Catalog{
		Warehouse:       "Main",
		Channels:        []veeqo.Channel{{Name: webChannel, TypeCode: veeqo.ChannelDirect}, {Name: amazonChannel, TypeCode: veeqo.ChannelAmazon}},
		DeliveryMethods: []veeqo.DeliveryMethod{{Name: "Standard", Cost: decimal.NewFromInt(5)}},
		Products:        []veeqotest.CatalogProduct{{SKU: defaultSKU, Title: "Miscellaneous", Price: price}},
	}
	for i := range skus {
		cat.Products = append(cat.Products, veeqotest.CatalogProduct{SKU: skuName(i), Title: "Product " + skuName(i), Price: price})
	}
	return srv.Seed(cat)
}

// counter counts the answers a client received, by kind, as seen on the
// wire (a 429 is counted even when a retry then succeeds).
type counter struct {
	base      http.RoundTripper
	calls     atomic.Int64
	throttled atomic.Int64
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	c.calls.Add(1)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		c.throttled.Add(1)
	}
	return resp, err
}

// newClient returns a client of srv paced at r per second with burst, and
// the counter of its answers.
func newClient(baseURL, key string, r rate.Limit, burst int) (*veeqo.Client, *counter, error) {
	cnt := &counter{base: http.DefaultTransport.(*http.Transport).Clone()}
	c, err := veeqo.New(key, veeqo.WithBaseURL(baseURL), veeqo.WithRateLimit(r, burst),
		veeqo.WithHTTPClient(&http.Client{Transport: cnt}))
	return c, cnt, err
}

// defaultPacing is the client's default pacing scaled to the fake's drain:
// DefaultRateLimit is Veeqo's 5/s, so the rate scales by drain/5; the burst
// (a share of the bucket's capacity) stays as it is.
func defaultPacing(cfg config) (rate.Limit, int) {
	return veeqo.DefaultRateLimit * rate.Limit(cfg.drain/5), veeqo.DefaultBurst
}

// exportSettings maps the ERP's "Web" store to the Web Store channel.
func exportSettings(account string) vsync.Settings {
	return vsync.Settings{
		Account:            account,
		ExportOrders:       true,
		DefaultSKU:         defaultSKU,
		StoreMapping:       vsync.Stores(vsync.StoreMapping{ERPStore: "Web", VeeqoChannel: webChannel}),
		ShipServiceMapping: vsync.Names(vsync.NameMapping{ERPName: "Ground", VeeqoName: "Standard"}),
		CarrierMapping:     vsync.Names(vsync.NameMapping{ERPName: "UPS Inc", VeeqoName: "UPS"}),
		TimeZone:           "UTC",
	}
}

// fetchSettings maps the ERP's "Amazon" store to the Amazon US channel.
func fetchSettings(account string) vsync.Settings {
	s := exportSettings(account)
	s.ExportOrders, s.FetchFulfillments = false, true
	s.StoreMapping = vsync.Stores(vsync.StoreMapping{ERPStore: "Amazon", VeeqoChannel: amazonChannel})
	return s
}

// wave builds n waved ERP orders numbered prefix-000001..., each with lines
// lines of distinct SKUs drawn in turn from the first skus SKUs; customers
// are buyer-<customerBase+i>@example.com.
func wave(prefix string, n, lines, skus, customerBase int, created time.Time) []vsync.ERPOrder {
	out := make([]vsync.ERPOrder, 0, n)
	next := 0
	for i := range n {
		ref := fmt.Sprintf("%s-%06d", prefix, i+1)
		email := fmt.Sprintf("buyer-%06d@example.com", customerBase+i)
		o := vsync.ERPOrder{Ref: ref, Number: ref, Wave: "W1", Store: "Web", Source: "Web", ShipService: "Ground", Carrier: "UPS Inc",
			CreatedAt: created,
			Customer:  vsync.Customer{Email: email, Name: "Ann Buyer"},
			ShipTo:    vsync.Address{FirstName: "Ann", LastName: "Buyer", Address1: "1 Main St", City: "Portland", State: "OR", Zip: "97201", Country: "US"},
			Total:     decimal.NewFromInt(int64(10 * lines))}
		for l := range lines {
			o.Lines = append(o.Lines, vsync.ERPLine{Ref: fmt.Sprint(l + 1), SKU: skuName(next % skus), Quantity: 1, Allocated: 1, UnitPrice: decimal.NewFromInt(10)})
			next++
		}
		out = append(out, o)
	}
	return out
}

// openSQLite opens a fresh SQLite store in dir.
func openSQLite(ctx context.Context, dir, name string, clk *clock) (store.Store, error) {
	return sqlitestore.Open(ctx, filepath.Join(dir, name+".db"), sqlitestore.WithClock(clk.Now))
}

// heapSampler samples the Go heap while a scenario runs and keeps the
// peak: heap objects (live and not yet swept garbage, what the process
// holds) and the live heap as the last GC marked it.
type heapSampler struct {
	stop chan struct{}
	done chan struct{}
	mu   stdsync.Mutex
	peak uint64
	live uint64
}

func startHeapSampler() *heapSampler {
	runtime.GC()
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	read := func() {
		metrics.Read(samples)
		h.mu.Lock()
		defer h.mu.Unlock()
		if samples[0].Value.Kind() == metrics.KindUint64 {
			h.peak = max(h.peak, samples[0].Value.Uint64())
		}
		if samples[1].Value.Kind() == metrics.KindUint64 {
			h.live = max(h.live, samples[1].Value.Uint64())
		}
	}
	go func() {
		defer close(h.done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-h.stop:
				read()
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// Stop ends the sampling and returns the peaks in MiB.
func (h *heapSampler) Stop() (peak, live float64) {
	close(h.stop)
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	return float64(h.peak) / (1 << 20), float64(h.live) / (1 << 20)
}

// throttledIn counts the 429 answers in a fake's request log.
func throttledIn(srv *veeqotest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Status == http.StatusTooManyRequests {
			n++
		}
	}
	return n
}
