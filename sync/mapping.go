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

// The engine's side of the mapping package: its one mapping.Mapper, bound
// to VeeqoAPI, and the few decisions the engine makes on its answers.

// veeqoSource adapts VeeqoAPI to mapping.Veeqo.
type veeqoSource struct{ v VeeqoAPI }

func (s veeqoSource) FindSellableBySKU(ctx context.Context, sku string) (*veeqo.Sellable, error) {
	return s.v.FindSellableBySKU(ctx, sku)
}

func (s veeqoSource) FindSellableByUPC(ctx context.Context, upc string) (*veeqo.Sellable, error) {
	return s.v.FindSellableByUPC(ctx, upc)
}

func (s veeqoSource) CountProducts(ctx context.Context) (int, error) { return s.v.CountProducts(ctx) }

func (s veeqoSource) Products(ctx context.Context) iter.Seq2[veeqo.Product, error] {
	return s.v.Products(ctx)
}

func (s veeqoSource) Channels(ctx context.Context) iter.Seq2[veeqo.Channel, error] {
	return seqOf(s.v.Channels(ctx))
}

func (s veeqoSource) DeliveryMethods(ctx context.Context) iter.Seq2[veeqo.DeliveryMethod, error] {
	return seqOf(s.v.DeliveryMethods(ctx))
}

// seqOf streams a list read in one go, or its error.
func seqOf[T any](list []T, err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if err != nil {
			var zero T
			yield(zero, err)
			return
		}
		for _, x := range list {
			if !yield(x, nil) {
				return
			}
		}
	}
}

// boundMapper returns the engine's mapper, bound again to Veeqo after
// CatalogTTL so that channels, delivery methods and catalogue changes are
// seen.
func (e *Engine) boundMapper() *mapping.Mapper {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.mapper == nil || e.clock().Sub(e.mapperAt) >= e.cfg.CatalogTTL {
		// Compiled from validated settings and bound to a non-nil source:
		// Bind cannot fail.
		m, err := e.tables.Bind(veeqoSource{e.cfg.Veeqo}, mapping.WithLogger(e.log))
		if err != nil {
			e.log.Warn("vsync: bind the mapper", "err", err)
			m = e.tables
		}
		e.mapper, e.mapperAt = m, e.clock()
	}
	return e.mapper
}

// erpStoreOf maps a Veeqo channel back to its ERP store ("" if none).
func (e *Engine) erpStoreOf(ctx context.Context, channel *veeqo.Channel) string {
	if channel == nil {
		return ""
	}
	st, err := e.boundMapper().Stores.StoreFor(ctx, channel.ID)
	if err != nil {
		return ""
	}
	return st
}

// channelFor resolves an ERP store to its Veeqo channel through the store
// mapping.
func (e *Engine) channelFor(ctx context.Context, erpStore string) (veeqo.Channel, error) {
	ch, err := e.boundMapper().Stores.ChannelFor(ctx, erpStore)
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
	chs, err := e.boundMapper().Stores.Channels(ctx)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, ch := range chs {
		if !e.excludedType(ch.TypeCode) {
			out = append(out, ch.ID)
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
	if res, err := e.tables.ShipServices.ToVeeqo(erpStore, service); err == nil {
		name, row, mapped = res.Name, res.Row, !res.PassedThrough
	}
	dm, err := e.boundMapper().DeliveryMethods.Find(ctx, name)
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
