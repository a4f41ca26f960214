package mapping_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

func benchTable(b *testing.B) *mapping.NameTable {
	var rs []mapping.NameRow
	for i := range 50 {
		rs = append(rs, mapping.NameRow{ERPName: fmt.Sprintf("Service %d", i), VeeqoName: fmt.Sprintf("Veeqo Service %d", i)})
		rs = append(rs, mapping.NameRow{ERPName: fmt.Sprintf("Service %d", i), VeeqoName: fmt.Sprintf("Amazon Service %d", i), Store: "Amazon"})
	}
	t, err := mapping.NewShipServiceTable(mapping.TableConfig{Rows: rs})
	if err != nil {
		b.Fatal(err)
	}
	return t
}

func BenchmarkNameTableToVeeqo(b *testing.B) {
	t := benchTable(b)
	b.ReportAllocs()
	for b.Loop() {
		if r, err := t.ToVeeqo("", "  SERVICE   17 "); err != nil || r.Row != 35 {
			b.Fatal(r, err)
		}
	}
}

func BenchmarkNameTableToVeeqoScoped(b *testing.B) {
	t := benchTable(b)
	b.ReportAllocs()
	for b.Loop() {
		if r, err := t.ToVeeqo("amazon", "Service 17"); err != nil || r.Row != 36 {
			b.Fatal(r, err)
		}
	}
}

func BenchmarkNameTableToERP(b *testing.B) {
	t := benchTable(b)
	b.ReportAllocs()
	for b.Loop() {
		if r, err := t.ToERP("", "veeqo service 42"); err != nil || r.Name != "Service 42" {
			b.Fatal(r, err)
		}
	}
}

func BenchmarkCarrierIDThroughTable(b *testing.B) {
	t, err := mapping.NewCarrierTable(mapping.TableConfig{Rows: []mapping.NameRow{{ERPName: "Fed Ex Ground", VeeqoName: "FedEx"}}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if m, err := t.CarrierID("fed ex ground"); err != nil || m.ID != 2 {
			b.Fatal(m, err)
		}
	}
}

func BenchmarkStoreChannelForCached(b *testing.B) {
	stub := channelStub()
	m, err := mapping.NewStoreMap(mapping.StoreConfig{Rows: []mapping.StoreRow{{ERPStore: "Web", VeeqoChannel: "Shopify US"}}}, stub)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if ch, err := m.ChannelFor(ctx, "web"); err != nil || ch.ID != 11 {
			b.Fatal(ch, err)
		}
	}
}

func BenchmarkDeliveryMethodFindCached(b *testing.B) {
	stub := newStub()
	stub.methods = []veeqo.DeliveryMethod{{ID: 1, Name: "Standard"}, {ID: 2, Name: "Next Day"}}
	d := mapping.NewDeliveryMethods(stub)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if m, err := d.Find(ctx, "Next Day"); err != nil || m.ID != 2 {
			b.Fatal(m, err)
		}
	}
}

// BenchmarkResolveCached resolves a three-line order whose identifiers are
// all cached: the steady state of a run.
func BenchmarkResolveCached(b *testing.B) {
	stub := newStub()
	stub.addSKUs("A-1", "B-2", "C-3", "MISC")
	r, err := mapping.NewResolver(stub, mapping.Identifier{}, "MISC")
	if err != nil {
		b.Fatal(err)
	}
	lines := []mapping.Line{{Ref: "1", SKU: "A-1"}, {Ref: "2", SKU: "B-2"}, {Ref: "3", SKU: "C-3"}}
	ctx := context.Background()
	if _, err := r.Resolve(ctx, lines); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if res, err := r.Resolve(ctx, lines); err != nil || len(res) != 3 {
			b.Fatal(res, err)
		}
	}
}
