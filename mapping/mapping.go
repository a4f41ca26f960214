package mapping

import (
	"context"
	"errors"
	"fmt"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// Settings are the mapping part of the integration's settings page, in the
// JSON shape the page stores (see the package documentation).
type Settings struct {
	// ItemIdentifier is which ERP identifier matches Veeqo's catalogue
	// (sku by default).
	ItemIdentifier Identifier `json:"item_identifier"`
	// DefaultSKU is the Veeqo SKU used for a line without an identifier or
	// whose item Veeqo does not have; "" for none.
	DefaultSKU string `json:"default_sku,omitempty"`
	// CarrierMapping is XoroERP carrier name <-> Veeqo carrier name.
	CarrierMapping TableConfig `json:"carrier_mapping"`
	// ShipServiceMapping is XoroERP ship service <-> Veeqo ship service
	// (delivery method) name, optionally per store.
	ShipServiceMapping TableConfig `json:"ship_service_mapping"`
	// StoreMapping is XoroERP store <-> Veeqo channel.
	StoreMapping StoreConfig `json:"store_mapping"`
}

// Validate checks every table without calling Veeqo and returns all the
// problems at once (each *LoadError names its table and rows), or nil.
func (s Settings) Validate() error {
	_, err := Compile(s)
	return err
}

// Mapper bundles the tables and resolvers of one account's settings. The
// tables are built once (Compile); Bind wires the resolvers to Veeqo with
// empty caches, so a Mapper bound again sees Veeqo as it is then (the
// engine binds again when its catalogue is refreshed).
type Mapper struct {
	Carriers        *NameTable
	ShipServices    *NameTable
	Stores          *StoreMap
	DeliveryMethods *DeliveryMethods
	Items           *Resolver
	settings        Settings
}

// Compile loads the settings' tables without calling Veeqo, reporting every
// problem at once (joined errors, each a *LoadError naming its table and
// rows, or the item identifier's). Its Stores, DeliveryMethods and Items
// have no source until Bind.
func Compile(s Settings) (*Mapper, error) {
	m := &Mapper{settings: s}
	var errs []error
	if _, err := s.ItemIdentifier.MarshalText(); err != nil {
		errs = append(errs, fmt.Errorf("item_identifier: %w", err))
	}
	var err error
	if m.Carriers, err = NewCarrierTable(s.CarrierMapping); err != nil {
		errs = append(errs, err)
	}
	if m.ShipServices, err = NewShipServiceTable(s.ShipServiceMapping); err != nil {
		errs = append(errs, err)
	}
	if m.Stores, err = NewStoreMap(s.StoreMapping, nil); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// Bind returns a Mapper that shares m's tables and whose store map,
// delivery methods and item resolver read from v, each with an empty cache.
func (m *Mapper) Bind(v Veeqo, opts ...Option) (*Mapper, error) {
	if v == nil {
		return nil, errors.New("mapping: Bind: Veeqo source is nil")
	}
	b := *m
	b.Stores = m.Stores.withSource(v)
	b.DeliveryMethods = NewDeliveryMethods(v)
	var err error
	if b.Items, err = NewResolver(v, m.settings.ItemIdentifier, m.settings.DefaultSKU, opts...); err != nil {
		return nil, err
	}
	return &b, nil
}

// New compiles the settings (every problem at once, as Validate) and binds
// the resolvers to v, typically FromClient(client) or a test double.
func New(s Settings, v Veeqo, opts ...Option) (*Mapper, error) {
	if v == nil {
		return nil, errors.New("mapping: New: Veeqo source is nil")
	}
	m, err := Compile(s)
	if err != nil {
		return nil, err
	}
	return m.Bind(v, opts...)
}

// Settings returns the settings the Mapper was built from.
func (m *Mapper) Settings() Settings { return m.settings }

// DeliveryMethod maps an ERP ship service (for an order of erpStore)
// through the ship-service table to a Veeqo name, then to Veeqo's delivery
// method of that name. The Result says whether the name was passed through
// (a warning to record).
func (m *Mapper) DeliveryMethod(ctx context.Context, erpStore, erpShipService string) (veeqo.DeliveryMethod, Result, error) {
	res, err := m.ShipServices.ToVeeqo(erpStore, erpShipService)
	if err != nil {
		return veeqo.DeliveryMethod{}, Result{}, err
	}
	dm, err := m.DeliveryMethods.Find(ctx, res.Name)
	if err != nil {
		return veeqo.DeliveryMethod{}, res, fmt.Errorf("ship service %q: %w", erpShipService, err)
	}
	return dm, res, nil
}
