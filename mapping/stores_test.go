package mapping_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

func channelStub() *stubVeeqo {
	s := newStub()
	s.channels = []veeqo.Channel{
		{ID: 11, Name: "Shopify US", TypeCode: veeqo.ChannelDirect},
		{ID: 21, Name: "Amazon US", TypeCode: veeqo.ChannelAmazon},
		{ID: 22, Name: "Amazon US", TypeCode: veeqo.ChannelAmazonFBA},
		{ID: 31, Name: "eBay", TypeCode: "ebay"},
	}
	return s
}

func TestStoreMap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	stub := channelStub()
	m, err := mapping.NewStoreMap(mapping.StoreConfig{Rows: []mapping.StoreRow{
		{ERPStore: "Web", VeeqoChannel: "shopify  us"},
		{},
		{ERPStore: "Amazon", VeeqoChannel: "Amazon US", ChannelID: 21},
		{ERPStore: "Marketplace", VeeqoChannel: "Etsy"},
		{ERPStore: "Amazon FBA", VeeqoChannel: "Amazon US"},
		{ERPStore: "Auction", ChannelID: 31},
	}}, stub)
	require.NoError(t, err)

	ch, err := m.ChannelFor(ctx, " web ")
	require.NoError(t, err)
	require.Equal(t, int64(11), ch.ID)
	ch, err = m.ChannelFor(ctx, "AMAZON")
	require.NoError(t, err)
	require.Equal(t, int64(21), ch.ID)
	ch, err = m.ChannelFor(ctx, "Auction")
	require.NoError(t, err)
	require.Equal(t, "eBay", ch.Name)

	_, err = m.ChannelFor(ctx, "Marketplace")
	require.ErrorIs(t, err, mapping.ErrUnknownChannel)
	require.EqualError(t, err, `mapping: store table: row 4: Veeqo has no channel named "Etsy" `+
		`(store "Marketplace"; channels: "Amazon US", "Amazon US", "Shopify US", "eBay")`)
	_, err = m.ChannelFor(ctx, "Amazon FBA")
	require.ErrorIs(t, err, mapping.ErrAmbiguous)
	require.EqualError(t, err, `mapping: store table: row 5: Veeqo channel name "Amazon US" matches channels `+
		`21 (amazon), 22 (amazon_fba); set channel_id on the row`)
	_, err = m.ChannelFor(ctx, "Wholesale")
	require.ErrorIs(t, err, mapping.ErrUnmapped)
	require.EqualError(t, err, `mapping: store "Wholesale" is not in the store mapping (ERP -> Veeqo)`)

	store, err := m.StoreFor(ctx, 21)
	require.NoError(t, err)
	require.Equal(t, "Amazon", store)
	_, err = m.StoreFor(ctx, 22)
	require.EqualError(t, err, `mapping: store "Amazon US (channel id 22)" is not in the store mapping (Veeqo -> ERP)`)
	_, err = m.StoreFor(ctx, 99)
	require.EqualError(t, err, `mapping: store "channel id 99" is not in the store mapping (Veeqo -> ERP)`)

	ids, err := m.ChannelIDs(ctx)
	require.NoError(t, err)
	require.Equal(t, []int64{11, 21, 31}, ids)

	err = m.Check(ctx)
	require.ErrorIs(t, err, mapping.ErrUnknownChannel)
	require.ErrorIs(t, err, mapping.ErrAmbiguous)
	_, got := problemsOf(t, err)
	require.Len(t, got, 2)
	require.Equal(t, []int{4, 5}, []int{got[0].Row, got[1].Row})

	require.Equal(t, 1, stub.Calls("channels"), "one list call, cached")
	m.Refresh()
	_, err = m.ChannelFor(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, 2, stub.Calls("channels"), "Refresh reads the list again")
}

func TestStoreMapResolveErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, err := mapping.NewStoreMap(mapping.StoreConfig{Rows: []mapping.StoreRow{
		{ERPStore: "A", ChannelID: 99},
		{ERPStore: "B", VeeqoChannel: "eBay Store", ChannelID: 31},
		{ERPStore: "C", VeeqoChannel: "Shopify US"},
		{ERPStore: "D", ChannelID: 11},
	}}, channelStub())
	require.NoError(t, err)
	_, got := problemsOf(t, m.Check(ctx))
	want := []rowProblem{
		{1, mapping.ErrUnknownChannel, `Veeqo has no channel with id 99 (store "A"; channels: "Amazon US", "Amazon US", "Shopify US", "eBay")`},
		{2, mapping.ErrUnknownChannel, `Veeqo channel 31 is named "eBay", not "eBay Store" (store "B")`},
		{4, mapping.ErrConflict, `channel "Shopify US" (id 11) is already mapped from store "C" by row 3`},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	ch, err := m.ChannelFor(ctx, "C")
	require.NoError(t, err, "a good row still works beside bad ones")
	require.Equal(t, int64(11), ch.ID)
}

func TestStoreMapLoadErrors(t *testing.T) {
	t.Parallel()
	_, err := mapping.NewStoreMap(mapping.StoreConfig{Rows: []mapping.StoreRow{
		{ERPStore: "Web", VeeqoChannel: "Shopify"},
		{ERPStore: " web", VeeqoChannel: "Other"},
		{ERPStore: "Retail", VeeqoChannel: "SHOPIFY"},
		{ERPStore: "", VeeqoChannel: "eBay"},
		{ERPStore: "POS"},
		{ERPStore: "Amazon", ChannelID: 7},
		{ERPStore: "Amazon 2", ChannelID: 7},
		{ERPStore: "Neg", ChannelID: -1},
	}}, nil)
	table, got := problemsOf(t, err)
	require.Equal(t, "store", table)
	want := []rowProblem{
		{2, mapping.ErrDuplicate, `erp_store " web" is already mapped by row 1`},
		{3, mapping.ErrConflict, `veeqo_channel "SHOPIFY" is already mapped from store "Web" by row 1; a second store would make the reverse direction (Veeqo -> ERP) ambiguous`},
		{4, mapping.ErrBadRow, `erp_store is empty (veeqo_channel "eBay")`},
		{5, mapping.ErrBadRow, `veeqo_channel is empty (erp_store "POS")`},
		{7, mapping.ErrConflict, `channel id 7 is already mapped from store "Amazon" by row 6; a second store would make the reverse direction (Veeqo -> ERP) ambiguous`},
		{8, mapping.ErrBadRow, `channel_id -1 is negative`},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestStoreMapListErrorIsNotCached(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	stub := channelStub()
	stub.err = veeqo.ErrRateLimited
	m, err := mapping.NewStoreMap(mapping.StoreConfig{Rows: []mapping.StoreRow{{ERPStore: "Web", VeeqoChannel: "Shopify US"}}}, stub)
	require.NoError(t, err)
	_, err = m.ChannelFor(ctx, "Web")
	require.ErrorIs(t, err, veeqo.ErrRateLimited)
	stub.mu.Lock()
	stub.err = nil
	stub.mu.Unlock()
	ch, err := m.ChannelFor(ctx, "Web")
	require.NoError(t, err)
	require.Equal(t, int64(11), ch.ID)
	require.Equal(t, 2, stub.Calls("channels"))
}

func TestStoreMapConcurrentFirstUse(t *testing.T) {
	t.Parallel()
	stub := channelStub()
	stub.gate = make(chan struct{})
	m, err := mapping.NewStoreMap(mapping.StoreConfig{Rows: []mapping.StoreRow{{ERPStore: "Web", VeeqoChannel: "Shopify US"}}}, stub)
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := m.ChannelFor(context.Background(), "Web")
			errs <- err
		})
	}
	require.Eventually(t, func() bool { return stub.Calls("channels") == 1 }, 5*time.Second, time.Millisecond)
	// A caller whose context ends stops waiting.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = m.ChannelFor(ctx, "Web")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	close(stub.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 1, stub.Calls("channels"), "concurrent first uses share one list call")
}

func TestStoreConfigJSON(t *testing.T) {
	t.Parallel()
	in := `[{"store":"Web","third_party_store":"Shopify US"},{"erp_store":"Amazon","veeqo_channel":"Amazon US","channel_id":21}]`
	var c mapping.StoreConfig
	require.NoError(t, json.Unmarshal([]byte(in), &c))
	want := mapping.StoreConfig{Rows: []mapping.StoreRow{
		{ERPStore: "Web", VeeqoChannel: "Shopify US"}, {ERPStore: "Amazon", VeeqoChannel: "Amazon US", ChannelID: 21},
	}}
	require.Equal(t, want, c)
	out, err := json.Marshal(c)
	require.NoError(t, err)
	require.JSONEq(t, `[{"erp_store":"Web","veeqo_channel":"Shopify US"},{"erp_store":"Amazon","veeqo_channel":"Amazon US","channel_id":21}]`, string(out))
	var back mapping.StoreConfig
	require.NoError(t, json.Unmarshal(out, &back))
	require.Equal(t, c, back)

	var obj mapping.StoreConfig
	require.NoError(t, json.Unmarshal([]byte(`{"rows":[{"erp_store":"Web","veeqo_channel":"Shopify US"}]}`), &obj))
	require.Len(t, obj.Rows, 1)
	var empty mapping.StoreConfig
	require.NoError(t, json.Unmarshal([]byte(`null`), &empty))
	out, err = json.Marshal(empty)
	require.NoError(t, err)
	require.Equal(t, `[]`, string(out))

	for _, bad := range []string{`"x"`, `[{"channel_id":"seven"}]`, `[{"channel_id":1.5}]`, `[{"erp_store":3}]`} {
		var c mapping.StoreConfig
		require.Error(t, json.Unmarshal([]byte(bad), &c), bad)
	}
}

func TestDeliveryMethods(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	stub := newStub()
	stub.methods = []veeqo.DeliveryMethod{{ID: 1, Name: "Standard"}, {ID: 2, Name: "Next  Day"}, {ID: 3, Name: "Dup"}, {ID: 4, Name: "dup"}}
	d := mapping.NewDeliveryMethods(stub)
	m, err := d.Find(ctx, "next day")
	require.NoError(t, err)
	require.Equal(t, int64(2), m.ID)
	m, err = d.Find(ctx, " STANDARD ")
	require.NoError(t, err)
	require.Equal(t, int64(1), m.ID)
	_, err = d.Find(ctx, "Overnight")
	require.ErrorIs(t, err, mapping.ErrUnknownDeliveryMethod)
	require.EqualError(t, err, `mapping: unknown Veeqo delivery method "Overnight" (Veeqo has: "Dup", "Next  Day", "Standard")`)
	_, err = d.Find(ctx, "DUP")
	require.ErrorIs(t, err, mapping.ErrAmbiguous)
	require.EqualError(t, err, `mapping: ambiguous name: delivery method "DUP" matches Veeqo delivery methods 3, 4`)
	require.Equal(t, 1, stub.Calls("delivery_methods"), "one list call, cached")
	d.Refresh()
	_, err = d.Find(ctx, "Standard")
	require.NoError(t, err)
	require.Equal(t, 2, stub.Calls("delivery_methods"))

	stub.err = errors.New("boom")
	d2 := mapping.NewDeliveryMethods(stub)
	_, err = d2.Find(ctx, "Standard")
	require.EqualError(t, err, "mapping: list Veeqo delivery methods: boom")
	var nilDM *mapping.DeliveryMethods
	_, err = nilDM.Find(ctx, "x")
	require.Error(t, err)
}

func TestSettingsJSONAndMapper(t *testing.T) {
	t.Parallel()
	in := `{
		"item_identifier": "custom:Style Code",
		"default_sku": "MISC",
		"carrier_mapping": [{"carrier_name": "Fed Ex", "third_party_carrier_name": "FedEx"}],
		"ship_service_mapping": {"unmapped": "pass_through", "rows": [
			{"erp_name": "Ground", "veeqo_name": "Standard"},
			{"erp_name": "Ground", "veeqo_name": "Next Day", "store": "Web"}]},
		"store_mapping": [{"erp_store": "Web", "veeqo_channel": "Shopify US"}]
	}`
	var s mapping.Settings
	require.NoError(t, json.Unmarshal([]byte(in), &s))
	require.Equal(t, mapping.Identifier{Kind: mapping.IdentCustom, Field: "Style Code"}, s.ItemIdentifier)
	require.NoError(t, s.Validate())
	out, err := json.Marshal(s)
	require.NoError(t, err)
	require.JSONEq(t, `{
		"item_identifier": "custom:Style Code",
		"default_sku": "MISC",
		"carrier_mapping": [{"erp_name": "Fed Ex", "veeqo_name": "FedEx"}],
		"ship_service_mapping": {"unmapped": "pass_through", "rows": [
			{"erp_name": "Ground", "veeqo_name": "Standard"},
			{"erp_name": "Ground", "veeqo_name": "Next Day", "store": "Web"}]},
		"store_mapping": [{"erp_store": "Web", "veeqo_channel": "Shopify US"}]
	}`, string(out))
	var back mapping.Settings
	require.NoError(t, json.Unmarshal(out, &back))
	if diff := cmp.Diff(s, back, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip (-first +second):\n%s", diff)
	}

	stub := channelStub()
	stub.methods = []veeqo.DeliveryMethod{{ID: 7, Name: "Standard"}, {ID: 8, Name: "Next Day"}}
	m, err := mapping.New(s, stub)
	require.NoError(t, err)
	require.Equal(t, s, m.Settings())
	ctx := context.Background()
	dm, res, err := m.DeliveryMethod(ctx, "Web", "ground")
	require.NoError(t, err)
	require.Equal(t, int64(8), dm.ID)
	require.Equal(t, 2, res.Row)
	dm, _, err = m.DeliveryMethod(ctx, "Retail", "Ground")
	require.NoError(t, err)
	require.Equal(t, int64(7), dm.ID)
	_, res, err = m.DeliveryMethod(ctx, "Retail", "Freight")
	require.ErrorIs(t, err, mapping.ErrUnknownDeliveryMethod)
	require.True(t, res.PassedThrough)
	require.EqualError(t, err, `ship service "Freight": mapping: unknown Veeqo delivery method "Freight" (Veeqo has: "Next Day", "Standard")`)

	bad := s
	bad.CarrierMapping.Rows = append(bad.CarrierMapping.Rows, mapping.NameRow{ERPName: "fed ex", VeeqoName: "FedEx"})
	bad.StoreMapping.Rows = append(bad.StoreMapping.Rows, mapping.StoreRow{ERPStore: "web", VeeqoChannel: "X"})
	bad.ItemIdentifier = mapping.Identifier{Kind: mapping.IdentCustom}
	err = bad.Validate()
	require.ErrorIs(t, err, mapping.ErrDuplicate)
	require.ErrorIs(t, err, mapping.ErrBadIdentifier)
	require.EqualError(t, err, "item_identifier: mapping: bad item identifier: custom:\n"+
		`mapping: carrier table: row 2: duplicates row 1 (erp_name "fed ex")`+"\n"+
		`mapping: store table: row 2: erp_store "web" is already mapped by row 1`)
	_, err = mapping.New(bad, stub)
	require.ErrorIs(t, err, mapping.ErrDuplicate)
	_, err = mapping.New(s, nil)
	require.Error(t, err)
}

// Compile builds the tables once without Veeqo; Bind wires fresh resolvers
// to a source while sharing the tables, so binding again reads Veeqo again.
func TestCompileThenBind(t *testing.T) {
	t.Parallel()
	s := mapping.Settings{
		ShipServiceMapping: mapping.TableConfig{Rows: []mapping.NameRow{{ERPName: "Ground", VeeqoName: "Standard"}}},
		StoreMapping:       mapping.StoreConfig{Rows: []mapping.StoreRow{{ERPStore: "Web", VeeqoChannel: "Web Shop"}}},
	}
	tables, err := mapping.Compile(s)
	require.NoError(t, err)
	_, err = tables.Bind(nil)
	require.Error(t, err)

	stub := channelStub()
	stub.methods = []veeqo.DeliveryMethod{{ID: 7, Name: "Standard"}}
	ctx := context.Background()
	m1, err := tables.Bind(stub)
	require.NoError(t, err)
	require.Same(t, tables.ShipServices, m1.ShipServices, "the tables are shared")
	dm, _, err := m1.DeliveryMethod(ctx, "Web", "Ground")
	require.NoError(t, err)
	require.Equal(t, int64(7), dm.ID)

	stub.methods = []veeqo.DeliveryMethod{{ID: 8, Name: "Standard"}}
	dm, _, _ = m1.DeliveryMethod(ctx, "Web", "Ground")
	require.Equal(t, int64(7), dm.ID, "a bound mapper keeps what it read")
	m2, err := tables.Bind(stub)
	require.NoError(t, err)
	dm, _, err = m2.DeliveryMethod(ctx, "Web", "Ground")
	require.NoError(t, err)
	require.Equal(t, int64(8), dm.ID, "binding again reads Veeqo again")

	bad := s
	bad.CarrierMapping = mapping.TableConfig{Rows: []mapping.NameRow{{ERPName: "", VeeqoName: "UPS"}}}
	bad.StoreMapping = mapping.StoreConfig{Rows: []mapping.StoreRow{{ERPStore: "", VeeqoChannel: "X"}}}
	_, err = mapping.Compile(bad)
	var le *mapping.LoadError
	require.ErrorAs(t, err, &le)
	require.ErrorContains(t, err, "carrier")
	require.ErrorContains(t, err, "erp_store is empty")
}
