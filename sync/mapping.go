package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xoroerp/veeqoconnect/filter"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// nameTable is a carrier or ship-service mapping, both directions, with
// normalised matching and optional store scope.
type nameTable struct {
	fwd map[[2]string]string // {store, erp} -> veeqo
	rev map[[2]string]string // {store, veeqo} -> erp
}

func newNameTable(rows []NameMapping) *nameTable {
	t := &nameTable{fwd: map[[2]string]string{}, rev: map[[2]string]string{}}
	for _, r := range rows {
		s := norm(r.Store)
		if _, ok := t.fwd[[2]string{s, norm(r.ERPName)}]; !ok {
			t.fwd[[2]string{s, norm(r.ERPName)}] = strings.TrimSpace(r.VeeqoName)
		}
		if _, ok := t.rev[[2]string{s, norm(r.VeeqoName)}]; !ok {
			t.rev[[2]string{s, norm(r.VeeqoName)}] = strings.TrimSpace(r.ERPName)
		}
	}
	return t
}

func (t *nameTable) toVeeqo(storeName, erp string) (string, bool) {
	if v, ok := t.fwd[[2]string{norm(storeName), norm(erp)}]; ok {
		return v, true
	}
	v, ok := t.fwd[[2]string{"", norm(erp)}]
	return v, ok
}

func (t *nameTable) toERP(storeName, v string) (string, bool) {
	if e, ok := t.rev[[2]string{norm(storeName), norm(v)}]; ok {
		return e, true
	}
	e, ok := t.rev[[2]string{"", norm(v)}]
	return e, ok
}

// erpStoreOf maps a Veeqo channel name back to its ERP store ("" if none).
func (e *Engine) erpStoreOf(channel *veeqo.Channel) string {
	if channel == nil {
		return ""
	}
	for _, r := range e.settings.StoreMapping {
		if norm(r.VeeqoChannel) == norm(channel.Name) {
			return strings.TrimSpace(r.ERPStore)
		}
	}
	return ""
}

// channelList returns the cached channel list, refreshing it after CatalogTTL.
func (e *Engine) channelList(ctx context.Context) ([]veeqo.Channel, error) {
	e.mu.Lock()
	if e.channels != nil && e.clock().Sub(e.chAt) < e.cfg.CatalogTTL {
		defer e.mu.Unlock()
		return e.channels, nil
	}
	e.mu.Unlock()
	chs, err := e.cfg.Veeqo.Channels(ctx)
	if err != nil {
		return nil, fmt.Errorf("list Veeqo channels: %w", err)
	}
	if chs == nil {
		chs = []veeqo.Channel{}
	}
	e.mu.Lock()
	e.channels, e.chAt = chs, e.clock()
	e.mu.Unlock()
	return chs, nil
}

func (e *Engine) methodList(ctx context.Context) ([]veeqo.DeliveryMethod, error) {
	e.mu.Lock()
	if e.methods != nil && e.clock().Sub(e.dmAt) < e.cfg.CatalogTTL {
		defer e.mu.Unlock()
		return e.methods, nil
	}
	e.mu.Unlock()
	dms, err := e.cfg.Veeqo.DeliveryMethods(ctx)
	if err != nil {
		return nil, fmt.Errorf("list Veeqo delivery methods: %w", err)
	}
	if dms == nil {
		dms = []veeqo.DeliveryMethod{}
	}
	e.mu.Lock()
	e.methods, e.dmAt = dms, e.clock()
	e.mu.Unlock()
	return dms, nil
}

// channelFor resolves an ERP store to a Veeqo channel: through the store
// mapping, else a channel of the same name.
func (e *Engine) channelFor(ctx context.Context, erpStore string) (veeqo.Channel, error) {
	want := ""
	for _, r := range e.settings.StoreMapping {
		if norm(r.ERPStore) == norm(erpStore) {
			want = r.VeeqoChannel
			break
		}
	}
	mapped := want != ""
	if !mapped {
		want = erpStore
	}
	chs, err := e.channelList(ctx)
	if err != nil {
		return veeqo.Channel{}, err
	}
	for _, ch := range chs {
		if norm(ch.Name) == norm(want) && norm(want) != "" {
			return ch, nil
		}
	}
	if mapped {
		return veeqo.Channel{}, fmt.Errorf("store %q maps to Veeqo channel %q, which Veeqo does not have (store_mapping)", erpStore, want)
	}
	return veeqo.Channel{}, fmt.Errorf("store %q is not mapped to a Veeqo channel (store_mapping)", erpStore)
}

// mappedChannelIDs returns the ids of the channels the store mapping names
// (fetch mode), without excluded channel types; nil when the mapping is
// empty (all channels, minus excluded types).
func (e *Engine) mappedChannelIDs(ctx context.Context) ([]int64, error) {
	if len(e.settings.StoreMapping) == 0 {
		return nil, nil
	}
	chs, err := e.channelList(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int64
	var missing []string
	for _, r := range e.settings.StoreMapping {
		found := false
		for _, ch := range chs {
			if norm(ch.Name) == norm(r.VeeqoChannel) {
				found = true
				if !e.excludedType(ch.TypeCode) {
					ids = append(ids, ch.ID)
				}
			}
		}
		if !found {
			missing = append(missing, r.VeeqoChannel)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no usable Veeqo channel in store_mapping (missing: %s)", strings.Join(missing, ", "))
	}
	return ids, nil
}

func (e *Engine) excludedType(t veeqo.ChannelType) bool {
	for _, x := range e.settings.ExcludedTypes() {
		if strings.EqualFold(strings.TrimSpace(x), string(t)) {
			return true
		}
	}
	return false
}

// deliveryMethodFor maps an ERP ship service to a Veeqo delivery method.
// An empty service sends none. An unmapped one is looked up under its own
// name; if Veeqo has no such method it is an error naming the setting.
func (e *Engine) deliveryMethodFor(ctx context.Context, erpStore, service string) (int64, error) {
	if strings.TrimSpace(service) == "" {
		return 0, nil
	}
	name, mapped := e.services.toVeeqo(erpStore, service)
	if !mapped {
		name = service
	}
	dms, err := e.methodList(ctx)
	if err != nil {
		return 0, err
	}
	for _, dm := range dms {
		if norm(dm.Name) == norm(name) {
			return dm.ID, nil
		}
	}
	if mapped {
		return 0, fmt.Errorf("ship service %q maps to %q, which is not a Veeqo delivery method (ship_service_mapping)", service, name)
	}
	return 0, fmt.Errorf("ship service %q is not mapped (ship_service_mapping) and no Veeqo delivery method has that name", service)
}

// errSellableMissing: the catalogue has no sellable for the identifier.
var errSellableMissing = errors.New("not in Veeqo's catalogue")

// sellable resolves an identifier against Veeqo's catalogue, exactly. Hits
// are cached for the engine's life, misses for the run (neg).
func (e *Engine) sellable(ctx context.Context, neg map[string]bool, byUPC bool, ident string) (veeqo.Sellable, error) {
	key := "sku:" + ident
	if byUPC {
		key = "upc:" + ident
	}
	e.mu.Lock()
	s, ok := e.sellables[key]
	e.mu.Unlock()
	if ok {
		return s, nil
	}
	if neg[key] {
		return veeqo.Sellable{}, errSellableMissing
	}
	var got *veeqo.Sellable
	var err error
	if byUPC {
		got, err = e.cfg.Veeqo.FindSellableByUPC(ctx, ident)
	} else {
		got, err = e.cfg.Veeqo.FindSellableBySKU(ctx, ident)
	}
	if errors.Is(err, veeqo.ErrNotFound) || (err == nil && got == nil) {
		neg[key] = true
		return veeqo.Sellable{}, errSellableMissing
	}
	if err != nil {
		return veeqo.Sellable{}, err
	}
	e.mu.Lock()
	e.sellables[key] = *got
	e.mu.Unlock()
	return *got, nil
}

// CompileExportFilter compiles the filter rows against the export schema
// (ERP order fields). now is the clock for relative dates (nil: time.Now).
func (s Settings) CompileExportFilter(now func() time.Time) (*filter.Filter[ERPOrder], error) {
	opts := filterOpts(s, now)
	return filter.Compile(ExportFilterSchema(), s.Filters, opts...)
}

// CompileFetchFilter compiles the filter rows against the fetch schema
// (Veeqo order fields).
func (s Settings) CompileFetchFilter(now func() time.Time) (*filter.Filter[veeqo.Order], error) {
	return filter.Compile(FetchFilterSchema(), s.Filters, filterOpts(s, now)...)
}

func filterOpts(s Settings, now func() time.Time) []filter.Option {
	var opts []filter.Option
	if now != nil {
		opts = append(opts, filter.WithClock(now))
	}
	if loc, err := LoadLocation(s.TimeZone); err == nil {
		opts = append(opts, filter.WithLocation(loc))
	}
	return opts
}

// ExportFilterSchema is the set of ERP order fields filter rows may name in
// export mode: number, store, source, status, wave, carrier, ship_service,
// customer_email, customer_name, country, state, city, tags, total, created.
func ExportFilterSchema() *filter.Schema[ERPOrder] {
	return filter.NewSchema[ERPOrder]().
		Text("number", func(o ERPOrder) string { return o.Number }).
		Text("store", func(o ERPOrder) string { return o.Store }).
		Text("source", func(o ERPOrder) string { return o.Source }).
		Text("status", func(o ERPOrder) string { return o.Status }).
		Text("wave", func(o ERPOrder) string { return o.Wave }).
		Text("carrier", func(o ERPOrder) string { return o.Carrier }).
		Text("ship_service", func(o ERPOrder) string { return o.ShipService }).
		Text("customer_email", func(o ERPOrder) string { return o.Customer.Email }).
		Text("customer_name", func(o ERPOrder) string { return o.Customer.Name }).
		Text("country", func(o ERPOrder) string { return o.ShipTo.Country }).
		Text("state", func(o ERPOrder) string { return o.ShipTo.State }).
		Text("city", func(o ERPOrder) string { return o.ShipTo.City }).
		Texts("tags", func(o ERPOrder) []string { return o.Tags }).
		Number("total", func(o ERPOrder) decimal.Decimal { return o.Total }).
		Date("created", func(o ERPOrder) time.Time { return o.CreatedAt })
}

// FetchFilterSchema is the set of Veeqo order fields filter rows may name
// in fetch mode: number, channel, channel_type, status, customer_email,
// delivery_method, country, tags, total, created.
func FetchFilterSchema() *filter.Schema[veeqo.Order] {
	return filter.NewSchema[veeqo.Order]().
		Text("number", func(o veeqo.Order) string { return o.Number }).
		Text("channel", func(o veeqo.Order) string {
			if o.Channel == nil {
				return ""
			}
			return o.Channel.Name
		}).
		Text("channel_type", func(o veeqo.Order) string {
			if o.Channel == nil {
				return ""
			}
			return string(o.Channel.TypeCode)
		}).
		Text("status", func(o veeqo.Order) string { return string(o.Status) }).
		Text("customer_email", func(o veeqo.Order) string {
			if o.Customer == nil {
				return ""
			}
			return o.Customer.Email
		}).
		Text("delivery_method", func(o veeqo.Order) string {
			if o.DeliveryMethod == nil {
				return ""
			}
			return o.DeliveryMethod.Name
		}).
		Text("country", func(o veeqo.Order) string {
			if o.DeliverTo == nil {
				return ""
			}
			return o.DeliverTo.Country
		}).
		Texts("tags", func(o veeqo.Order) []string {
			out := make([]string, len(o.Tags))
			for i, t := range o.Tags {
				out[i] = t.Name
			}
			return out
		}).
		Number("total", func(o veeqo.Order) decimal.Decimal { return o.TotalPrice }).
		Date("created", func(o veeqo.Order) time.Time { return o.CreatedAt })
}
