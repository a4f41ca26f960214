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
	var errs []error
	if _, err := s.ItemIdentifier.MarshalText(); err != nil {
		errs = append(errs, fmt.Errorf("item_identifier: %w", err))
	}
	if _, err := NewCarrierTable(s.CarrierMapping); err != nil {
		errs = append(errs, err)
	}
	if _, err := NewShipServiceTable(s.ShipServiceMapping); err != nil {
		errs = append(errs, err)
	}
	if _, err := NewStoreMap(s.StoreMapping, nil); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Mapper bundles the tables and resolvers of one account's settings. Build
// one per run with New: its caches (channels, delivery methods, catalogue)
// then reflect Veeqo as of that run.
type Mapper struct {
	Carriers        *NameTable
	ShipServices    *NameTable
	Stores          *StoreMap
	DeliveryMethods *DeliveryMethods
	Items           *Resolver
	settings        Settings
}

// New loads the settings (every problem at once, as Validate) and wires the
// resolvers to v, typically FromClient(client) or a test double.
func New(s Settings, v Veeqo, opts ...Option) (*Mapper, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, errors.New("mapping: New: Veeqo source is nil")
	}
	m := &Mapper{settings: s, DeliveryMethods: NewDeliveryMethods(v)}
	var err error
	if m.Carriers, err = NewCarrierTable(s.CarrierMapping); err != nil {
		return nil, err
	}
	if m.ShipServices, err = NewShipServiceTable(s.ShipServiceMapping); err != nil {
		return nil, err
	}
	if m.Stores, err = NewStoreMap(s.StoreMapping, v); err != nil {
		return nil, err
	}
	if m.Items, err = NewResolver(v, s.ItemIdentifier, s.DefaultSKU, opts...); err != nil {
		return nil, err
	}
	return m, nil
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
