package mapping_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// fakeVeeqo starts a fake Veeqo with n products (SKU MUG-0000 ... and UPC
// 5000000000000 ...) and a client for it, paced well above the test's needs.
func fakeVeeqo(t *testing.T, n int) (*veeqotest.Server, mapping.Veeqo) {
	t.Helper()
	srv := veeqotest.NewServer(t, veeqotest.WithoutRateLimit(), veeqotest.WithPathPrefix("/api"))
	for i := range n {
		srv.AddProduct(veeqo.Product{Title: fmt.Sprintf("Mug %d", i), Sellables: []veeqo.Sellable{{
			SKUCode: fmt.Sprintf("MUG-%04d", i), UPCCode: fmt.Sprintf("5%012d", i),
		}}})
	}
	c, err := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()), veeqo.WithRateLimit(10000, 100))
	require.NoError(t, err)
	return srv, mapping.FromClient(c)
}

// TestResolverExactLookupsAgainstFake: 100 orders of one or two lines over
// 20 distinct SKUs, resolved order by order as the engine does, cost one
// catalogue call per distinct SKU and nothing more, even when resolved from
// several goroutines at once.
func TestResolverExactLookupsAgainstFake(t *testing.T) {
	t.Parallel()
	srv, v := fakeVeeqo(t, 300)
	r, err := mapping.NewResolver(v, mapping.Identifier{Kind: mapping.IdentSKU}, "MUG-0299")
	require.NoError(t, err)

	var orders [][]mapping.Line
	for i := range 100 {
		lines := []mapping.Line{{Ref: fmt.Sprintf("SO-%d/1", i), SKU: fmt.Sprintf("MUG-%04d", i%20)}}
		if i%3 == 0 {
			lines = append(lines, mapping.Line{Ref: fmt.Sprintf("SO-%d/2", i), SKU: fmt.Sprintf("MUG-%04d", (i+7)%20)})
		}
		orders = append(orders, lines)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(orders))
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(orders); i += 4 {
				res, err := r.Resolve(context.Background(), orders[i])
				if err == nil {
					for j, rl := range res {
						if rl.Sellable.SKUCode != orders[i][j].SKU || rl.Substitution != nil || rl.Sellable.ID == 0 {
							err = fmt.Errorf("order %d line %d resolved to %+v", i, j, rl)
						}
					}
				}
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.LessOrEqual(t, srv.Count("GET", "/products"), 20, "at most one catalogue call per distinct SKU")
	require.Equal(t, 20, srv.Count("GET", "/products"))
	require.Equal(t, 0, srv.Count("POST", "/products"), "the resolver never creates products")
	require.Equal(t, 20, r.Stats().ExactLookups)
	require.Zero(t, r.Stats().Counts)
}

// TestResolverPreloadAgainstFake: a small catalogue and many distinct
// identifiers: one count and one page replace 40 exact lookups.
func TestResolverPreloadAgainstFake(t *testing.T) {
	t.Parallel()
	srv, v := fakeVeeqo(t, 30)
	r, err := mapping.NewResolver(v, mapping.Identifier{Kind: mapping.IdentSKU}, "MUG-0000")
	require.NoError(t, err)
	var lines []mapping.Line
	for i := range 40 { // 30 exist, 10 do not
		lines = append(lines, mapping.Line{Ref: fmt.Sprint(i), SKU: fmt.Sprintf("MUG-%04d", i)})
	}
	require.NoError(t, r.Prefetch(context.Background(), lines))
	res, err := r.Resolve(context.Background(), lines)
	require.NoError(t, err)
	require.Len(t, res, 40)
	subs := 0
	for _, rl := range res {
		if rl.Substitution != nil {
			subs++
			require.Equal(t, "MUG-0000", rl.Sellable.SKUCode)
		}
	}
	require.Equal(t, 10, subs)
	require.Equal(t, 2, srv.Count("GET", "/products"), "one count (page_size=1) and one page of 100")
	var sizes []string
	for _, req := range srv.Requests() {
		sizes = append(sizes, req.Query.Get("page_size"))
	}
	require.Equal(t, []string{"1", "100"}, sizes)
	require.Equal(t, 1, r.Stats().Preloads)
	require.Zero(t, r.Stats().ExactLookups)
}

// TestResolverPreloadByUPCAgainstFake: preload pages through a catalogue of
// several pages and indexes upc_code.
func TestResolverPreloadByUPCAgainstFake(t *testing.T) {
	t.Parallel()
	srv, v := fakeVeeqo(t, 250)
	r, err := mapping.NewResolver(v, mapping.Identifier{Kind: mapping.IdentUPC}, "")
	require.NoError(t, err)
	var lines []mapping.Line
	for i := 0; i < 250; i += 10 { // 25 distinct UPCs against 3 pages
		lines = append(lines, mapping.Line{UPC: fmt.Sprintf("5%012d", i)})
	}
	res, err := r.Resolve(context.Background(), lines)
	require.NoError(t, err)
	require.Equal(t, "MUG-0240", res[24].Sellable.SKUCode)
	require.Equal(t, 4, srv.Count("GET", "/products"), "a count and three pages")
}

func TestStoresAndDeliveryMethodsAgainstFake(t *testing.T) {
	t.Parallel()
	srv, v := fakeVeeqo(t, 0)
	shop := srv.AddChannel(veeqo.Channel{Name: "Shopify US", TypeCode: veeqo.ChannelDirect})
	amazon := srv.AddChannel(veeqo.Channel{Name: "Amazon US", TypeCode: veeqo.ChannelAmazon})
	next := srv.AddDeliveryMethod(veeqo.DeliveryMethod{Name: "Next Day"})
	srv.AddDeliveryMethod(veeqo.DeliveryMethod{Name: "Standard"})

	m, err := mapping.New(mapping.Settings{
		ShipServiceMapping: mapping.TableConfig{Rows: []mapping.NameRow{{ERPName: "Overnight", VeeqoName: "next day"}}},
		StoreMapping: mapping.StoreConfig{Rows: []mapping.StoreRow{
			{ERPStore: "Web", VeeqoChannel: "shopify us"}, {ERPStore: "Amazon", VeeqoChannel: "Amazon US"},
		}},
	}, v)
	require.NoError(t, err)
	ctx := context.Background()
	for range 10 {
		ch, err := m.Stores.ChannelFor(ctx, "Web")
		require.NoError(t, err)
		require.Equal(t, shop.ID, ch.ID)
		store, err := m.Stores.StoreFor(ctx, amazon.ID)
		require.NoError(t, err)
		require.Equal(t, "Amazon", store)
		dm, _, err := m.DeliveryMethod(ctx, "Web", "overnight")
		require.NoError(t, err)
		require.Equal(t, next.ID, dm.ID)
	}
	require.NoError(t, m.Stores.Check(ctx))
	require.Equal(t, 1, srv.Count("GET", "/channels"), "one channel list call, cached")
	require.Equal(t, 1, srv.Count("GET", "/delivery_methods"), "one delivery-method list call, cached")
}
