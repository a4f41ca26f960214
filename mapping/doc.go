// Package mapping translates between XoroERP and Veeqo: carrier names, ship
// services, stores (channels), delivery methods and items, with the default
// SKU as the fallback for items Veeqo does not have.
//
// Everything loads from the settings page's JSON, checks every row at load
// (reporting all problems at once, each naming its table and 1-based row),
// and translates in both directions: ERP -> Veeqo when exporting orders,
// Veeqo -> ERP when importing confirmations or fetching fulfillments.
//
// # Stored shapes (JSON)
//
// Settings, as a whole:
//
//	{
//	  "item_identifier": "sku",            // sku | item_number | upc | custom:<field>
//	  "default_sku": "MISC-ITEM",
//	  "carrier_mapping": [
//	    {"erp_name": "UPS", "veeqo_name": "UPS"},
//	    {"erp_name": "Fed Ex Ground", "veeqo_name": "FedEx"}
//	  ],
//	  "ship_service_mapping": {
//	    "unmapped": "pass_through",        // optional; "error" is the default
//	    "rows": [
//	      {"erp_name": "Ground", "veeqo_name": "Standard"},
//	      {"erp_name": "Ground", "veeqo_name": "Amazon Standard", "store": "Amazon"}
//	    ]
//	  },
//	  "store_mapping": [
//	    {"erp_store": "Web", "veeqo_channel": "Shopify US"},
//	    {"erp_store": "Amazon", "veeqo_channel": "Amazon US", "channel_id": 42}
//	  ]
//	}
//
// A name table is either a plain array of rows or {"unmapped": ...,
// "rows": [...]}, and encodes back in the shape it came in. The settings
// page's own column names are accepted when decoding: "carrier_name",
// "ship_service_name" for erp_name; "third_party_carrier_name",
// "third_party_ship_service_name" for veeqo_name; "store" /
// "third_party_store" for store rows. Entirely blank rows are skipped.
//
// # Name tables
//
// NewCarrierTable and NewShipServiceTable load a NameTable. Names match after
// Normalize (case folded, white space trimmed and collapsed). At load, a
// row whose ERP name repeats an earlier row's (in the same store scope) is
// ErrDuplicate, and a row whose Veeqo name repeats an earlier row's with a
// different ERP name is ErrConflict, because Veeqo -> ERP would be
// ambiguous. Ship-service rows may carry a store: for an order of that
// store they win over unscoped rows.
//
// A name without a row is an *UnmappedError (errors.Is(err, ErrUnmapped)),
// naming the table, the name, the store and the direction; under the
// pass_through policy it is returned unchanged instead, with
// Result.PassedThrough set and Result.Warning() to record.
//
// # Carriers
//
// Veeqo marks a shipment with a carrier id from a fixed list (3 = Other).
// Carriers, CarrierID and CarrierName are that list, built in and read-only;
// NameTable.CarrierID goes from an ERP carrier through the carrier table to
// the id, defaulting to Other with a warning, and CarrierFromVeeqo goes back.
//
// # Stores and delivery methods
//
// StoreMap maps ERP stores to Veeqo channels by name (or channel_id, to tell
// Amazon from Amazon FBA), resolving names against Veeqo's channel list with
// one list call, cached. A row whose channel is unknown or ambiguous fails
// only its own store, with an error naming the row; Check reports every such
// row. StoreFor goes from a channel id back to the ERP store (fetch mode).
// DeliveryMethods finds a delivery method by name with one list call,
// cached; Mapper.DeliveryMethod chains the ship-service table and it.
//
// # Items
//
// The Resolver matches an order's lines to Veeqo sellables by the
// identifier setting: sku, item_number or custom:<field> against sku_code,
// upc against upc_code, exactly and case-sensitively. A line without an
// identifier, or whose item is not in the catalogue, gets the default SKU,
// reported per line in a Substitution; a line neither can serve is a
// *LineError naming the line. The resolver never creates products.
//
// Cost: every answer is cached, negative ones too, so each distinct
// identifier costs at most one exact lookup. When a batch has several
// unknown identifiers, one cheap count (page_size=1, X-Total-Count) tells
// whether reading the whole catalogue (100 products a call) is cheaper; if
// so it is read once and every later lookup is free. Prefetch lets the
// engine make that decision over a whole run's lines at once.
//
// # Concurrency
//
// Tables are immutable after load. StoreMap, DeliveryMethods and Resolver
// guard their caches and share one Veeqo call among concurrent callers;
// waiting ends with the caller's context.
package mapping
