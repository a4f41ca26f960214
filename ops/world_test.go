package ops_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/xoroerp/veeqoconnect/filter"
	"github.com/xoroerp/veeqoconnect/ops"
	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

const (
	account  = "acme"
	opUser   = "alice"
	opPass   = "correct-horse-battery-staple"
	storeKey = "k-STORED-veeqo-key-5f1d9c2b7a"   // an account's API key in the store
	veeqoKey = "veeqo-live-key-0a9b8c7d6e5f4321" // the key the engine's client uses
	prefix   = "/admin/veeqo"
)

// world is a seeded operations page: a real SQLite store, a fake Veeqo,
// an in-memory ERP and the handler mounted under a prefix of a real HTTP
// server. Every response body the server writes is kept, so a test can
// scan them all for the secrets.
type world struct {
	t      testing.TB
	srv    *veeqotest.Server
	st     store.Store
	erp    *vsync.MemoryERP
	h      *ops.Handler
	http   *httptest.Server
	base   string // the server URL plus prefix, ending in "/"
	mu     sync.Mutex
	bodies []string
}

// order is a waved ERP order of the seeded world.
func order(ref, store, sku string) vsync.ERPOrder {
	return vsync.ERPOrder{Ref: ref, Number: ref, Wave: "W1", Store: store, Source: "Web", ShipService: "Ground",
		CreatedAt: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
		Customer:  vsync.Customer{Email: strings.ToLower(ref) + "@example.com", Name: "Ann Buyer"},
		ShipTo:    vsync.Address{Address1: "1 Main St", City: "Portland", Zip: "97201", Country: "US"},
		Lines:     []vsync.ERPLine{{Ref: "1", SKU: sku, Quantity: 1, Allocated: 1, UnitPrice: decimal.NewFromInt(10)}}}
}

func settings() vsync.Settings {
	return vsync.Settings{
		Account:            account,
		ExportOrders:       true,
		DefaultSKU:         "MUG-1",
		Filters:            filter.Rows(filter.Row{Field: "source", Operator: "Not Equals", Value: "Phone"}),
		StoreMapping:       vsync.Stores(vsync.StoreMapping{ERPStore: "Web", VeeqoChannel: "Web Shop"}),
		ShipServiceMapping: vsync.Names(vsync.NameMapping{ERPName: "Ground", VeeqoName: "Standard"}),
		CarrierMapping:     vsync.Names(vsync.NameMapping{ERPName: "UPS Inc", VeeqoName: "UPS"}),
		TimeZone:           "America/Los_Angeles",
		Hour:               6,
	}
}

type worldOpt func(*ops.Options)

// newWorld seeds a world: SO-1 and SO-2 export, SO-9 fails (its store is
// not mapped), SO-4 is filtered out (a phone order); one run is made.
func newWorld(t testing.TB, opts ...worldOpt) *world {
	t.Helper()
	ctx := context.Background()
	srv := veeqotest.NewServer(t, veeqotest.WithAPIKey(veeqoKey), veeqotest.WithoutRateLimit())
	wh := srv.AddWarehouse(veeqo.Warehouse{Name: "Main"})
	srv.AddChannel(veeqo.Channel{Name: "Web Shop", TypeCode: veeqo.ChannelDirect, DefaultWarehouse: &wh})
	srv.AddDeliveryMethod(veeqo.DeliveryMethod{Name: "Standard"})
	srv.AddProduct(veeqo.Product{Title: "Mug", Sellables: []veeqo.Sellable{{SKUCode: "MUG-1", Price: decimal.NewFromInt(10)}}})
	client, err := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()), veeqo.WithRateLimit(rate.Inf, 1),
		veeqo.WithRetryPolicy(veeqo.RetryPolicy{MaxAttempts: 2, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}))
	require.NoError(t, err)
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })

	phone := order("SO-4", "Web", "MUG-1")
	phone.Source = "Phone"
	erp := vsync.NewMemoryERP(order("SO-1", "Web", "MUG-1"), order("SO-2", "Web", "MUG-1"), order("SO-9", "Nowhere", "MUG-1"), phone)
	cfg := vsync.Config{Account: account, Settings: settings(), Store: st, ERP: erp, Veeqo: vsync.ClientAPI(client), LeaseTTL: 30 * time.Second}
	eng, err := vsync.New(cfg)
	require.NoError(t, err)
	_, err = eng.Run(ctx, vsync.RunOptions{Trigger: "schedule"})
	require.NoError(t, err)
	// The account row holds a stored key (written through the store, as
	// the Accounts view does).
	row, err := st.GetAccount(ctx, account)
	require.NoError(t, err)
	row.APIKey = storeKey
	_, err = st.UpdateAccount(ctx, row)
	require.NoError(t, err)

	o := ops.Options{Accounts: []ops.Account{{Config: cfg}}, Authenticate: ops.BasicAuth(opUser, opPass)}
	for _, f := range opts {
		f(&o)
	}
	h, err := ops.NewHandler(o)
	require.NoError(t, err)
	w := &world{t: t, srv: srv, st: st, erp: erp, h: h}
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
	w.http = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: rw}
		mux.ServeHTTP(rec, r)
		w.mu.Lock()
		w.bodies = append(w.bodies, rec.buf.String()+"\n"+headerText(rw.Header()))
		w.mu.Unlock()
	}))
	t.Cleanup(func() {
		_ = h.Close()
		w.http.Close()
	})
	w.base = w.http.URL + prefix + "/"
	return w
}

func headerText(h http.Header) string {
	var b strings.Builder
	_ = h.Write(&b)
	return b.String()
}

// recorder keeps a copy of a response body.
type recorder struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

// scanSecrets fails if any response so far holds a secret.
func (w *world) scanSecrets(t testing.TB, extra ...string) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	require.NotEmpty(t, w.bodies)
	for _, secret := range append([]string{storeKey, veeqoKey, opPass}, extra...) {
		for i, b := range w.bodies {
			if strings.Contains(b, secret) {
				t.Errorf("response %d holds the secret %q:\n%s", i, secret, truncate(b))
			}
		}
	}
}

func truncate(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// response is a finished request.
type response struct {
	status int
	header http.Header
	body   string
}

// json decodes the body.
func (r response) json(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal([]byte(r.body), v), r.body)
}

type reqOpt func(*http.Request)

func noAuth() reqOpt { return func(r *http.Request) { r.Header.Del("Authorization") } }
func header(k, v string) reqOpt {
	return func(r *http.Request) { r.Header.Set(k, v) }
}

// do sends a request to path (relative to the mount point) as the
// operator; body may be a string (sent as is) or a value (sent as JSON).
func (w *world) do(t testing.TB, method, path string, body any, opts ...reqOpt) response {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/x-www-form-urlencoded"
	default:
		js, err := json.Marshal(b)
		require.NoError(t, err)
		rd, ct = bytes.NewReader(js), "application/json"
	}
	req, err := http.NewRequest(method, w.base+path, rd)
	require.NoError(t, err)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.SetBasicAuth(opUser, opPass)
	for _, o := range opts {
		o(req)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

// httptestReq is a request to a handler served directly (no prefix).
func httptestReq(method, path string) *http.Request { return httptest.NewRequest(method, path, nil) }

// serve serves one request directly.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func httptestDo(h http.Handler, method, path string) *httptest.ResponseRecorder {
	return serve(h, httptestReq(method, path))
}
