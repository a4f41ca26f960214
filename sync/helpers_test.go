package sync_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/memstore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

const testAccount = "acme"

// fakeClock is a settable clock shared by the fake Veeqo, the store and
// the engine.
type fakeClock struct {
	mu stdsync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one test world: a fake Veeqo with a catalogue, a memstore, an
// in-memory ERP and settings.
type env struct {
	t        testing.TB
	clk      *fakeClock
	srv      *veeqotest.Server
	client   *veeqo.Client
	st       store.Store
	erp      *vsync.MemoryERP
	settings vsync.Settings
	sku      map[string]int64 // SKU -> sellable id
	web      veeqo.Channel
	amazon   veeqo.Channel
	fba      veeqo.Channel
	runs     atomic.Int64
}

func newEnv(t testing.TB, srvOpts ...veeqotest.Option) *env {
	t.Helper()
	clk := newClock()
	opts := append([]veeqotest.Option{veeqotest.WithClock(clk.Now), veeqotest.WithoutRateLimit()}, srvOpts...)
	srv := veeqotest.NewServer(t, opts...)
	client, err := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()), veeqo.WithRateLimit(rate.Inf, 1),
		veeqo.WithRetryPolicy(veeqo.RetryPolicy{MaxAttempts: 4, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}))
	require.NoError(t, err)
	e := &env{t: t, clk: clk, srv: srv, client: client, st: memstore.New(memstore.WithClock(clk.Now)),
		erp: vsync.NewMemoryERP(), sku: map[string]int64{}}
	wh := srv.AddWarehouse(veeqo.Warehouse{Name: "Main"})
	e.web = srv.AddChannel(veeqo.Channel{Name: "Web Shop", TypeCode: veeqo.ChannelDirect, DefaultWarehouse: &wh})
	e.amazon = srv.AddChannel(veeqo.Channel{Name: "Amazon US", TypeCode: veeqo.ChannelAmazon, DefaultWarehouse: &wh})
	e.fba = srv.AddChannel(veeqo.Channel{Name: "Amazon US FBA", TypeCode: veeqo.ChannelAmazonFBA, DefaultWarehouse: &wh})
	srv.AddDeliveryMethod(veeqo.DeliveryMethod{Name: "Standard"})
	srv.AddDeliveryMethod(veeqo.DeliveryMethod{Name: "Express"})
	for _, sku := range []string{"MUG-1", "TEE-1", "CAP-1", "DEFAULT"} {
		p := srv.AddProduct(veeqo.Product{Title: sku, Sellables: []veeqo.Sellable{{SKUCode: sku, UPCCode: "0" + sku, Price: decimal.NewFromInt(10)}}})
		e.sku[sku] = p.Sellables[0].ID
	}
	e.settings = vsync.Settings{
		Account:            testAccount,
		ExportOrders:       true,
		DefaultSKU:         "DEFAULT",
		StoreMapping:       vsync.Stores(vsync.StoreMapping{ERPStore: "Web", VeeqoChannel: "Web Shop"}, vsync.StoreMapping{ERPStore: "Amazon", VeeqoChannel: "Amazon US"}),
		ShipServiceMapping: vsync.Names(vsync.NameMapping{ERPName: "Ground", VeeqoName: "Standard"}, vsync.NameMapping{ERPName: "Next Day", VeeqoName: "Express"}),
		CarrierMapping:     vsync.Names(vsync.NameMapping{ERPName: "UPS Inc", VeeqoName: "UPS"}, vsync.NameMapping{ERPName: "USPS Mail", VeeqoName: "USPS"}),
		TimeZone:           "(UTC-08:00) Pacific Time (US and Canada)",
	}
	return e
}

// order builds a waved ERP order with lines "SKU:qty".
func order(ref string, lines ...string) vsync.ERPOrder {
	o := vsync.ERPOrder{Ref: ref, Number: ref, Wave: "W1", Store: "Web", Source: "Web", ShipService: "Ground", Carrier: "UPS Inc",
		CreatedAt: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC),
		Customer:  vsync.Customer{Email: "buyer-" + ref + "@example.com", Name: "Ann Buyer"},
		ShipTo:    vsync.Address{FirstName: "Ann", LastName: "Buyer", Address1: "1 Main St", City: "Portland", State: "OR", Zip: "97201", Country: "US"},
		Total:     decimal.NewFromInt(50)}
	for i, l := range lines {
		sku, qs, _ := strings.Cut(l, ":")
		q, err := strconv.Atoi(qs)
		if err != nil {
			panic(err)
		}
		o.Lines = append(o.Lines, vsync.ERPLine{Ref: fmt.Sprint(i + 1), SKU: sku, Quantity: q, Allocated: q, UnitPrice: decimal.NewFromInt(10)})
	}
	return o
}

type engineOpt func(*vsync.Config)

func withAPI(a vsync.VeeqoAPI) engineOpt      { return func(c *vsync.Config) { c.Veeqo = a } }
func withStore(s store.Store) engineOpt       { return func(c *vsync.Config) { c.Store = s } }
func withERP(x vsync.ERP) engineOpt           { return func(c *vsync.Config) { c.ERP = x } }
func withHolder(h string) engineOpt           { return func(c *vsync.Config) { c.Holder = h } }
func withCfg(f func(*vsync.Config)) engineOpt { return f }

func (e *env) config(opts ...engineOpt) vsync.Config {
	cfg := vsync.Config{Account: testAccount, Settings: e.settings, Store: e.st, ERP: e.erp, Veeqo: vsync.ClientAPI(e.client),
		Clock: e.clk.Now, Holder: "test", LeaseTTL: time.Minute,
		NewRunID: func() string { return fmt.Sprintf("run-%d", e.runs.Add(1)) }}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

func (e *env) engine(opts ...engineOpt) *vsync.Engine {
	e.t.Helper()
	eng, err := vsync.New(e.config(opts...))
	require.NoError(e.t, err)
	return eng
}

func (e *env) run(eng *vsync.Engine) vsync.Report {
	e.t.Helper()
	rep, err := eng.Run(context.Background(), vsync.RunOptions{Trigger: "test"})
	require.NoError(e.t, err)
	return rep
}

// veeqoOrder returns the single fake order numbered number.
func (e *env) veeqoOrder(number string) veeqo.Order {
	e.t.Helper()
	os := e.srv.OrdersByNumber(number)
	require.Len(e.t, os, 1, "Veeqo orders numbered %s", number)
	return os[0]
}

func (e *env) record(process, ref string) store.Record {
	e.t.Helper()
	r, err := e.st.GetRecord(context.Background(), testAccount, process, ref)
	require.NoError(e.t, err, "record %s %s", process, ref)
	return r
}

func (e *env) erpOrder(ref string) vsync.ERPOrder {
	e.t.Helper()
	o, err := e.erp.Order(context.Background(), ref)
	require.NoError(e.t, err)
	return o
}

// shipped returns the ERP lines' shipped quantities by line ref.
func shippedOf(o vsync.ERPOrder) map[string]int {
	m := map[string]int{}
	for _, l := range o.Lines {
		m[l.Ref] = l.Shipped
	}
	return m
}

// --- crash injection -------------------------------------------------------

var errCrash = errors.New("injected crash")

// crasher counts the steps of a run (each write to the store, each create in
// Veeqo, each ERP apply) and "crashes" at step k: the call fails (before or
// after doing its work), the run's context is cancelled, and every later
// call fails too, as if the process had died.
type crasher struct {
	mu      stdsync.Mutex
	k       int
	after   bool // crash after the k-th call did its work
	n       int
	crashed bool
	cancel  context.CancelFunc
	steps   []string
}

func (c *crasher) do(name string, f func() error) error {
	c.mu.Lock()
	if c.crashed {
		c.mu.Unlock()
		return errCrash
	}
	c.n++
	c.steps = append(c.steps, name)
	hit := c.k > 0 && c.n == c.k
	if hit {
		c.crashed = true
	}
	c.mu.Unlock()
	if hit && !c.after {
		c.cancel()
		return errCrash
	}
	err := f()
	if hit {
		c.cancel()
		return errCrash
	}
	return err
}

func (c *crasher) dead() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.crashed
}

// crashStore wraps a store: writes are steps; reads fail once crashed.
type crashStore struct {
	store.Store
	c *crasher
}

func (s crashStore) ClaimExport(ctx context.Context, e store.Export) (out store.Export, ins bool, err error) {
	err = s.c.do("ClaimExport", func() error { var err error; out, ins, err = s.Store.ClaimExport(ctx, e); return err })
	return
}
func (s crashStore) UpdateExport(ctx context.Context, e store.Export) (out store.Export, err error) {
	err = s.c.do("UpdateExport", func() error { var err error; out, err = s.Store.UpdateExport(ctx, e); return err })
	return
}
func (s crashStore) CompleteExport(ctx context.Context, e store.Export, r store.RecordUpdate, logs ...store.LogEntry) (out store.Export, appended []store.LogEntry, err error) {
	err = s.c.do("CompleteExport", func() error {
		var err error
		out, appended, err = s.Store.CompleteExport(ctx, e, r, logs...)
		return err
	})
	return
}
func (s crashStore) RecordShipments(ctx context.Context, ss []store.AppliedShipment) (out []store.AppliedShipment, ins []bool, err error) {
	err = s.c.do("RecordShipments", func() error { var err error; out, ins, err = s.Store.RecordShipments(ctx, ss); return err })
	return
}
func (s crashStore) RecordShipment(ctx context.Context, a store.AppliedShipment) (out store.AppliedShipment, ins bool, err error) {
	err = s.c.do("RecordShipment", func() error { var err error; out, ins, err = s.Store.RecordShipment(ctx, a); return err })
	return
}
func (s crashStore) UpdateShipment(ctx context.Context, a store.AppliedShipment) (out store.AppliedShipment, err error) {
	err = s.c.do("UpdateShipment", func() error { var err error; out, err = s.Store.UpdateShipment(ctx, a); return err })
	return
}
func (s crashStore) CompleteShipment(ctx context.Context, a store.AppliedShipment, r *store.RecordUpdate, logs ...store.LogEntry) (out store.AppliedShipment, got []store.LogEntry, err error) {
	err = s.c.do("CompleteShipment", func() error { var err error; out, got, err = s.Store.CompleteShipment(ctx, a, r, logs...); return err })
	return
}
func (s crashStore) CompleteShipments(ctx context.Context, cs []store.ShipmentCompletion) (out []store.ShipmentCompletion, err error) {
	err = s.c.do("CompleteShipments", func() error { var err error; out, err = s.Store.CompleteShipments(ctx, cs); return err })
	return
}
func (s crashStore) SetCursor(ctx context.Context, cur store.Cursor) (out store.Cursor, err error) {
	err = s.c.do("SetCursor", func() error { var err error; out, err = s.Store.SetCursor(ctx, cur); return err })
	return
}
func (s crashStore) UpsertRecord(ctx context.Context, u store.RecordUpdate) (out store.Record, err error) {
	err = s.c.do("UpsertRecord", func() error { var err error; out, err = s.Store.UpsertRecord(ctx, u); return err })
	return
}
func (s crashStore) PutCustomerID(ctx context.Context, account, email string, id int64) error {
	return s.c.do("PutCustomerID", func() error { return s.Store.PutCustomerID(ctx, account, email, id) })
}
func (s crashStore) AppendLogs(ctx context.Context, entries ...store.LogEntry) ([]store.LogEntry, error) {
	if s.c.dead() {
		return nil, errCrash
	}
	return s.Store.AppendLogs(ctx, entries...)
}
func (s crashStore) GetExport(ctx context.Context, account, ref string) (store.Export, error) {
	if s.c.dead() {
		return store.Export{}, errCrash
	}
	return s.Store.GetExport(ctx, account, ref)
}
func (s crashStore) ReleaseLease(ctx context.Context, l store.Lease) error {
	if s.c.dead() {
		return errCrash
	}
	return s.Store.ReleaseLease(ctx, l)
}
func (s crashStore) FinishRun(ctx context.Context, r store.Run) (store.Run, error) {
	if s.c.dead() {
		return store.Run{}, errCrash
	}
	return s.Store.FinishRun(ctx, r)
}

// crashAPI wraps the Veeqo API: creates are steps.
type crashAPI struct {
	vsync.VeeqoAPI
	c *crasher
}

func (a crashAPI) CreateOrder(ctx context.Context, in *veeqo.OrderInput) (out *veeqo.Order, err error) {
	err = a.c.do("CreateOrder", func() error { var err error; out, err = a.VeeqoAPI.CreateOrder(ctx, in); return err })
	return
}
func (a crashAPI) ListOrders(ctx context.Context, opts veeqo.OrderListOptions) iter.Seq2[veeqo.Order, error] {
	if a.c.dead() {
		return func(yield func(veeqo.Order, error) bool) { yield(veeqo.Order{}, errCrash) }
	}
	return a.VeeqoAPI.ListOrders(ctx, opts)
}

// crashERP wraps the ERP: applies are steps.
type crashERP struct {
	vsync.ERP
	c *crasher
}

func (x crashERP) ApplyShipment(ctx context.Context, u vsync.ShipmentUpdate) error {
	return x.c.do("ApplyShipment", func() error { return x.ERP.ApplyShipment(ctx, u) })
}

// crashRun runs the engine with every dependency wrapped by c.
func (e *env) crashRun(c *crasher) (vsync.Report, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.cancel = cancel
	eng := e.engine(withStore(crashStore{e.st, c}), withAPI(crashAPI{vsync.ClientAPI(e.client), c}), withERP(crashERP{e.erp, c}), withHolder("crashing"))
	return eng.Run(ctx, vsync.RunOptions{Trigger: "test"})
}

var errTemporary = errors.New("ERP temporarily unavailable")

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

type (
	veeqoOrderInput = veeqo.OrderInput
	veeqoOrder      = veeqo.Order
)

// logCount returns how many log entries the account has about ref.
func (e *env) logCount(ref string) int {
	e.t.Helper()
	page, err := e.st.QueryLogs(context.Background(), store.LogQuery{Account: testAccount, Reference: ref, Limit: 1000})
	require.NoError(e.t, err)
	return len(page.Entries)
}
