package sync

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xoroerp/veeqoconnect/filter"
	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// The engine's side of the mapping package: adapters from VeeqoAPI to its
// sources, and the few decisions the engine makes on top of its answers.

// channelSource serves the store map from the engine's cached channel list.
type channelSource struct{ e *Engine }

func (c channelSource) Channels(ctx context.Context) iter.Seq2[veeqo.Channel, error] {
	return func(yield func(veeqo.Channel, error) bool) {
		chs, err := c.e.channelList(ctx)
		if err != nil {
			yield(veeqo.Channel{}, err)
			return
		}
		for _, ch := range chs {
			if !yield(ch, nil) {
				return
			}
		}
	}
}

// catalogue adapts VeeqoAPI to mapping.Catalogue.
type catalogue struct{ v VeeqoAPI }

func (c catalogue) FindSellableBySKU(ctx context.Context, sku string) (*veeqo.Sellable, error) {
	return c.v.FindSellableBySKU(ctx, sku)
}

func (c catalogue) FindSellableByUPC(ctx context.Context, upc string) (*veeqo.Sellable, error) {
	return c.v.FindSellableByUPC(ctx, upc)
}

func (c catalogue) CountProducts(ctx context.Context) (int, error) { return c.v.CountProducts(ctx) }

func (c catalogue) Products(ctx context.Context) iter.Seq2[veeqo.Product, error] {
	return c.v.Products(ctx)
}

// storeMap returns the store mapping, its channel names resolved against
// Veeqo's channel list (cached for CatalogTTL).
func (e *Engine) storeMap() *mapping.StoreMap {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stores == nil || e.clock().Sub(e.storesAt) >= e.cfg.CatalogTTL {
		// Built from validated settings: it cannot fail.
		sm, err := mapping.NewStoreMap(e.settings.StoreMapping, channelSource{e})
		if err != nil {
			e.log.Warn("vsync: store map", "err", err)
		}
		e.stores, e.storesAt = sm, e.clock()
	}
	return e.stores
}

// itemResolver returns the item resolver, renewed after CatalogTTL so that
// catalogue changes are seen.
func (e *Engine) itemResolver() (*mapping.Resolver, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.items == nil || e.clock().Sub(e.itemsAt) >= e.cfg.CatalogTTL {
		res, err := mapping.NewResolver(catalogue{e.cfg.Veeqo}, e.ident, e.settings.DefaultSKU, mapping.WithLogger(e.log))
		if err != nil {
			return nil, err
		}
		e.items, e.itemsAt = res, e.clock()
	}
	return e.items, nil
}

// erpStoreOf maps a Veeqo channel back to its ERP store ("" if none).
func (e *Engine) erpStoreOf(ctx context.Context, channel *veeqo.Channel) string {
	if channel == nil {
		return ""
	}
	st, err := e.storeMap().StoreFor(ctx, channel.ID)
	if err != nil {
		return ""
	}
	return st
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

// methodSource serves mapping.DeliveryMethods from VeeqoAPI.
type methodSource struct{ v VeeqoAPI }

func (m methodSource) DeliveryMethods(ctx context.Context) iter.Seq2[veeqo.DeliveryMethod, error] {
	return func(yield func(veeqo.DeliveryMethod, error) bool) {
		dms, err := m.v.DeliveryMethods(ctx)
		if err != nil {
			yield(veeqo.DeliveryMethod{}, err)
			return
		}
		for _, dm := range dms {
			if !yield(dm, nil) {
				return
			}
		}
	}
}

// deliveryMethods returns the delivery-method resolver, its list read
// again after CatalogTTL.
func (e *Engine) deliveryMethods() *mapping.DeliveryMethods {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.methods == nil {
		e.methods = mapping.NewDeliveryMethods(methodSource{e.cfg.Veeqo})
		e.dmAt = e.clock()
	} else if e.clock().Sub(e.dmAt) >= e.cfg.CatalogTTL {
		e.methods.Refresh()
		e.dmAt = e.clock()
	}
	return e.methods
}

// channelFor resolves an ERP store to its Veeqo channel through the store
// mapping.
func (e *Engine) channelFor(ctx context.Context, erpStore string) (veeqo.Channel, error) {
	ch, err := e.storeMap().ChannelFor(ctx, erpStore)
	switch {
	case errors.Is(err, mapping.ErrUnmapped):
		return veeqo.Channel{}, fmt.Errorf("store %q is not mapped to a Veeqo channel (store_mapping)", erpStore)
	case err != nil:
		return veeqo.Channel{}, fmt.Errorf("store %q: %s (store_mapping)", erpStore, strings.TrimPrefix(err.Error(), "mapping: "))
	}
	return ch, nil
}

// mappedChannelIDs returns the ids of the channels the store mapping names
// (fetch mode), without excluded channel types; nil when the mapping is
// empty (all channels, minus excluded types, filtered client-side).
func (e *Engine) mappedChannelIDs(ctx context.Context) ([]int64, error) {
	if len(e.settings.StoreMapping.Rows) == 0 {
		return nil, nil
	}
	ids, err := e.storeMap().ChannelIDs(ctx)
	if err != nil {
		return nil, err
	}
	chs, err := e.channelList(ctx)
	if err != nil {
		return nil, err
	}
	types := map[int64]veeqo.ChannelType{}
	for _, ch := range chs {
		types[ch.ID] = ch.TypeCode
	}
	var out []int64
	for _, id := range ids {
		if !e.excludedType(types[id]) {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no usable Veeqo channel in store_mapping (unknown channels, or only excluded channel types)")
	}
	return out, nil
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
// name; if Veeqo has no such method it is an error naming the setting, and
// so is a name two Veeqo delivery methods share (which one is meant is not
// guessed).
func (e *Engine) deliveryMethodFor(ctx context.Context, erpStore, service string) (int64, error) {
	if strings.TrimSpace(service) == "" {
		return 0, nil
	}
	name, row, mapped := service, 0, false
	if res, err := e.services.ToVeeqo(erpStore, service); err == nil {
		name, row, mapped = res.Name, res.Row, !res.PassedThrough
	}
	dm, err := e.deliveryMethods().Find(ctx, name)
	switch {
	case err == nil:
		return dm.ID, nil
	case errors.Is(err, mapping.ErrAmbiguous):
		where := "ship_service_mapping"
		if mapped {
			where = fmt.Sprintf("ship_service_mapping row %d", row)
		}
		return 0, fmt.Errorf("ship service %q: %s (%s): rename one of them in Veeqo or map the service to another", service, strings.TrimPrefix(err.Error(), "mapping: "), where)
	case !errors.Is(err, mapping.ErrUnknownDeliveryMethod):
		return 0, err
	case mapped:
		return 0, fmt.Errorf("ship service %q maps to %q, which is not a Veeqo delivery method (ship_service_mapping)", service, name)
	}
	return 0, fmt.Errorf("ship service %q is not mapped (ship_service_mapping) and no Veeqo delivery method has that name", service)
}

// backToERP maps a Veeqo carrier or service name back to the ERP's name
// through t; an unmapped name is passed through with a warning, so tracking
// always lands.
func backToERP(t *mapping.NameTable, setting, what, erpStore, veeqoName string) (string, string) {
	if veeqoName == "" {
		return "", ""
	}
	res, err := t.ToERP(erpStore, veeqoName)
	if err == nil && !res.PassedThrough {
		return res.Name, ""
	}
	return veeqoName, fmt.Sprintf("Veeqo %s %q is not in %s; passed through as is", what, veeqoName, setting)
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
