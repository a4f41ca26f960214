package mapping_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// FuzzSettings feeds arbitrary settings JSON through decode -> Validate ->
// New -> lookups: nothing may panic, every load problem names its table and
// row, and valid settings stay valid after a JSON round trip.
func FuzzSettings(f *testing.F) {
	for _, seed := range []string{
		`{"item_identifier":"sku","default_sku":"MISC","carrier_mapping":[{"erp_name":"UPS","veeqo_name":"UPS"}]}`,
		`{"ship_service_mapping":{"unmapped":"pass_through","rows":[{"erp_name":"Ground","veeqo_name":"Std","store":"Web"},{"erp_name":"ground","veeqo_name":"x"}]}}`,
		`{"store_mapping":[{"erp_store":"Web","veeqo_channel":"Shopify US"},{"store":"web","channel_id":11}]}`,
		`{"carrier_mapping":[{"erp_name":"A","veeqo_name":"X"},{"erp_name":"B","veeqo_name":" x "}],"item_identifier":"custom:"}`,
		`{"carrier_mapping":{"unmapped":"maybe"}}`,
		`{}`,
	} {
		f.Add([]byte(seed), "Ground", "Web")
	}
	f.Fuzz(func(t *testing.T, data []byte, name, store string) {
		var s mapping.Settings
		if err := json.Unmarshal(data, &s); err != nil {
			return
		}
		err := s.Validate()
		if err != nil {
			var le *mapping.LoadError
			var ue *mapping.UnmappedError
			if errors.As(err, &ue) {
				t.Fatalf("Validate returned an UnmappedError: %v", err)
			}
			if errors.As(err, &le) {
				for _, p := range le.Problems {
					if p.Msg == "" || p.Err == nil || (p.Row > 0 && !strings.Contains(err.Error(), fmt.Sprintf("row %d: ", p.Row))) {
						t.Fatalf("problem does not name its row: %+v in %v", p, err)
					}
				}
			}
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		var back mapping.Settings
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("Unmarshal of %s: %v", out, err)
		}
		if err := back.Validate(); err != nil {
			t.Fatalf("round trip made valid settings invalid: %v (%s)", err, out)
		}
		stub := channelStub()
		stub.methods = []veeqo.DeliveryMethod{{ID: 1, Name: name}}
		stub.addSKUs(name, "MISC")
		m, err := mapping.New(s, stub)
		if err != nil {
			t.Fatalf("New after Validate: %v", err)
		}
		ctx := context.Background()
		for _, tbl := range []*mapping.NameTable{m.Carriers, m.ShipServices} {
			if r, err := tbl.ToVeeqo(store, name); err == nil {
				if _, err := tbl.ToERP(store, r.Name); err != nil && !r.PassedThrough {
					t.Fatalf("mapped %q to %q but not back: %v", name, r.Name, err)
				}
			} else if !errors.Is(err, mapping.ErrUnmapped) {
				t.Fatalf("lookup error is not ErrUnmapped: %v", err)
			}
		}
		_, _ = m.Carriers.CarrierID(name)
		_, _ = m.Stores.ChannelFor(ctx, store)
		_ = m.Stores.Check(ctx)
		_, _, _ = m.DeliveryMethod(ctx, store, name)
		_, _ = m.Items.Resolve(ctx, []mapping.Line{{SKU: name, Custom: map[string]string{store: name}}, {}})
	})
}
