package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// starterConfig is written by init. JSON has no comments, so the file
// carries "_comment" fields (ignored) and a veeqoctl.config.md beside it
// explains every field.
const starterConfig = `{
  "_comment": "veeqoctl config. Every field is explained in veeqoctl.config.md beside this file. Relative paths are relative to this file.",
  "accounts": [
    {
      "_comment": "One Veeqo account. The API key is read from the environment variable named in api_key_env, never from this file.",
      "name": "main",
      "base_url": %s,
      "api_key_env": %s,
      "state": "veeqoctl.db",
      "orders_file": "orders.json",
      "shipments_file": "shipments.jsonl",
      "settings": {
        "export_orders": true,
        "fetch_fulfillments": false,
        "fetch_ship_confirmation": true,
        "item_identifier": "sku",
        "disable_multishipment": false,
        "filters": [
          {"field": "country", "operator": "equals", "value": "US"}
        ],
        "default_sku": "MISC-ITEM",
        "carrier_mapping": [
          {"erp_name": "UPS Ground", "veeqo_name": "UPS"}
        ],
        "ship_service_mapping": [
          {"erp_name": "Ground", "veeqo_name": "Standard"}
        ],
        "store_mapping": [
          {"erp_store": "Web", "veeqo_channel": "Web Store"}
        ],
        "time_zone": "America/New_York",
        "auto_sync": true,
        "start_date": %s,
        "hour": 9,
        "minute": 0,
        "start_offset_minutes": 0,
        "repeat_interval": "1h",
        "instant_error_emails": {"enabled": false, "recipients": ""},
        "daily_error_emails": {"enabled": false, "recipients": ""},
        "exclude_logs": ""
      }
    }
  ]
}
`

const starterOrders = `[
  {
    "ref": "SO-1001",
    "number": "SO-1001",
    "store": "Web",
    "source": "Web",
    "created_at": %[1]s,
    "wave": "W-1",
    "customer": {"email": "ann.buyer@example.com", "name": "Ann Buyer"},
    "ship_to": {"first_name": "Ann", "last_name": "Buyer", "address1": "1 Main St", "city": "Albany", "state": "NY", "zip": "12207", "country": "US"},
    "carrier": "UPS Ground",
    "ship_service": "Ground",
    "custom_fields": {"po_number": "PO-77"},
    "lines": [
      {"ref": "1", "sku": "MUG-1", "item_number": "ITEM-MUG", "upc": "012345678905", "quantity": 2, "unit_price": "12.50"},
      {"ref": "2", "sku": "TEE-1", "quantity": 1, "unit_price": "20.00"}
    ]
  },
  {
    "ref": "SO-1002",
    "store": "Web",
    "created_at": %[1]s,
    "_comment_wave": "no wave: not a candidate until it is waved",
    "customer": {"email": "bob@example.com", "name": "Bob Buyer"},
    "ship_to": {"first_name": "Bob", "last_name": "Buyer", "address1": "2 Elm St", "city": "Boston", "state": "MA", "zip": "02108", "country": "US"},
    "ship_service": "Ground",
    "lines": [
      {"ref": "1", "sku": "CAP-1", "quantity": 3, "unit_price": "8.00"}
    ]
  }
]
`

const starterShipmentsExample = `{"shipment_id":90000001,"allocation_id":80000001,"veeqo_order_id":2147483700,"veeqo_order_number":"SO-1001","order_ref":"SO-1001","lines":[{"line_ref":"1","ship_quantity":2,"shipped_total":2,"close":true,"unallocate":0}],"status":"partially_shipped","tracking_numbers":["1Z999AA10123456784"],"carrier":"UPS Ground","ship_service":"Ground","veeqo_carrier":"UPS","veeqo_service":"Standard","shipped_at":"2026-11-02T16:00:00Z","final":false,"applied_at":"2026-11-02T16:05:00Z"}
{"shipment_id":90000002,"allocation_id":80000002,"veeqo_order_id":2147483700,"veeqo_order_number":"SO-1001","order_ref":"SO-1001","lines":[{"line_ref":"2","ship_quantity":1,"shipped_total":1,"close":true,"unallocate":0}],"status":"shipped","tracking_numbers":["1Z999AA10123456785"],"carrier":"UPS Ground","ship_service":"Ground","veeqo_carrier":"UPS","veeqo_service":"Standard","shipped_at":"2026-11-03T10:00:00Z","final":true,"applied_at":"2026-11-03T10:05:00Z"}
`

const starterDoc = "# veeqoctl.json, field by field\n\n" +
	"JSON has no comments: `_comment` fields (at the top and in each account) are ignored, and this file explains the rest.\n" +
	"Relative paths are relative to the config file. Unknown fields are errors (a typo is caught), and every problem is\n" +
	"reported at once, each naming its field.\n\n" +
	"## accounts[] (one per Veeqo account; pick one with `--account NAME` when there are several)\n\n" +
	"| field | meaning |\n| --- | --- |\n" +
	"| `name` | the account's name in the state (required, unique) |\n" +
	"| `base_url` | Veeqo's API (default `https://api.veeqo.com`; plain http only for loopback) |\n" +
	"| `api_key_env` | the NAME of the environment variable that holds the API key. `api_key` (the key itself) is accepted with a warning |\n" +
	"| `rate_limit` | requests per second (default 5, Veeqo's drain, slowing down on a 429) |\n" +
	"| `state` | SQLite file of the library's state (default `veeqoctl.db`) |\n" +
	"| `postgres_dsn` | PostgreSQL state instead of SQLite (a password may come from `PGPASSWORD`) |\n" +
	"| `orders_file` | the ERP's orders: a JSON array (format below); read again whenever it changes |\n" +
	"| `shipments_file` | the shipment updates the ERP applied: JSON Lines, appended by veeqoctl (format below) |\n" +
	"| `smtp` | mail server for error emails, required when the settings turn emails on: `host`, `port`, `tls` (starttls, starttls-opportunistic, tls, none), `username`, `password_env` (or `password`, with a warning), `from`, `daily_at` (HH:MM, default 08:00), `include_warnings`, `no_success_after` (e.g. \"24h\"), `stale_export_after_days` |\n" +
	"| `settings` | the engine's settings, as the settings page stores them (below) |\n\n" +
	"## settings\n\n" +
	"| field | meaning |\n| --- | --- |\n" +
	"| `export_orders` / `fetch_fulfillments` | the direction: exactly one on. The state remembers it; switching is refused until done on purpose |\n" +
	"| `fetch_ship_confirmation` | export mode: import shipment confirmations (default true) |\n" +
	"| `item_identifier` | `sku`, `item_number`, `upc` or `custom:<line custom field>`: which ERP line identifier matches Veeqo's catalogue |\n" +
	"| `disable_multishipment` | the first shipment of an order is final (lines closed, remainders unallocated) |\n" +
	"| `filters` | filter rows `{\"field\", \"operator\", \"value\"}` that must all match (or a group `{\"match\": \"any\", \"rows\": [...]}`) |\n" +
	"| `default_sku` | Veeqo SKU for a line whose item Veeqo does not have |\n" +
	"| `carrier_mapping`, `ship_service_mapping` | rows `{\"erp_name\", \"veeqo_name\"}` (ship services may add `\"store\"`) |\n" +
	"| `store_mapping` | rows `{\"erp_store\", \"veeqo_channel\"}`: see `veeqoctl channels` |\n" +
	"| `excluded_channel_types` | fetch mode: channel types never fetched (default `[\"amazon_fba\"]`) |\n" +
	"| `time_zone` | IANA name or the settings page's label |\n" +
	"| `auto_sync`, `start_date`, `hour`, `minute`, `start_offset_minutes`, `repeat_interval` | the schedule `serve` follows; see `veeqoctl schedule` |\n" +
	"| `confirmation_overlap` | how far back confirmation polling looks again (default 10m) |\n" +
	"| `instant_error_emails`, `daily_error_emails` | `{\"enabled\", \"recipients\"}` (comma-separated) |\n" +
	"| `exclude_logs` | comma-separated keywords or wildcard patterns left out of error emails |\n\n" +
	"## orders file\n\n" +
	"A JSON array; see orders.json. Per order: `reference` (unique, required), `number` (sent to Veeqo; default the reference),\n" +
	"`marketplace_ref`, `store`, `source`, `status`, `created_at` (RFC 3339, required), `wave` (only waved orders are\n" +
	"exported), `customer` {`email`, `name`, `phone`}, `ship_to` and `bill_to` {`first_name`, `last_name`, `company`,\n" +
	"`address1`, `address2`, `city`, `state`, `zip`, `country`, `phone`, `email`}, `carrier`, `ship_service`, `delivery_cost`,\n" +
	"`total` (default: the lines plus delivery), `currency`, `tags`, `notes`, `custom_fields`, and `lines`: `reference`\n" +
	"(unique in the order), `sku`, `item_number`, `upc`, `description`, `custom_fields`, `quantity` (> 0), `price`, `tax_rate`.\n" +
	"Money may be a JSON number or a string.\n\n" +
	"## shipments file\n\n" +
	"JSON Lines written by veeqoctl, one applied shipment update per line (see shipments.example.jsonl; the example is\n" +
	"not read). `key` is the Veeqo shipment id: an update whose key is already in the file changes nothing. Each line is\n" +
	"appended and fsynced before the engine marks the shipment applied; a half-written last line left by a crash is\n" +
	"cut off before the next append.\n"

func (a *app) cmdInit(_ context.Context, fs *flag.FlagSet, args []string) int {
	dir := fs.String("dir", ".", "directory to write the starter files into")
	baseURL := fs.String("base-url", "https://api.veeqo.com", "Veeqo API base URL")
	keyEnv := fs.String("api-key-env", "VEEQO_API_KEY", "name of the environment variable holding the API key")
	force := fs.Bool("force", false, "overwrite existing files")
	demo := fs.Bool("demo", false, "point the config at `veeqoctl fake` (waits for it) and add an \"amazon\" account in fetch mode with its own orders file")
	if _, code, ok := a.parse(fs, args, "", "Write a starter config (veeqoctl.json), veeqoctl.config.md explaining it (JSON has no\ncomments), a sample orders.json and shipments.example.jsonl (the shipments file's format).\nWith --demo the config points at `veeqoctl fake` (start it first) and has a second account,\n\"amazon\", in fetch mode."); !ok {
		return code
	}
	if *demo {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["base-url"] {
			*baseURL = "http://" + fakeAddr
		}
	}
	// Owner-only, as every file written here: the config is where a key
	// would go, and the orders and shipments files hold customer data.
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return a.fail(exitFailure, "%v", err)
	}
	files, err := a.starterFiles(*baseURL, *keyEnv, *demo)
	if err != nil {
		return a.fail(exitFailure, "%v", err)
	}
	for _, f := range files {
		p := filepath.Join(*dir, f.name)
		err := writeOwnerOnly(p, f.body, *force)
		if errors.Is(err, os.ErrExist) {
			return a.fail(exitFailure, "%s exists (use --force to overwrite)", p)
		}
		if err != nil {
			return a.fail(exitFailure, "%v", err)
		}
		fmt.Fprintf(a.stdout, "wrote %s\n", p)
	}
	if *demo {
		if name, err := waitForFake(*baseURL, 10*time.Second); err != nil {
			fmt.Fprintf(a.stdout, "note: the fake Veeqo does not answer at %s yet (%v); start it with `veeqoctl fake`\n", *baseURL, err)
		} else {
			fmt.Fprintf(a.stdout, "the fake Veeqo answers at %s (company %q)\n", *baseURL, name)
		}
		fmt.Fprintf(a.stdout, "next: export %s=%s, then `veeqoctl --config %s --account main check`\n",
			*keyEnv, veeqotest.DefaultAPIKey, filepath.Join(*dir, "veeqoctl.json"))
		return exitOK
	}
	fmt.Fprintf(a.stdout, "next: export %s=<your Veeqo API key>, edit veeqoctl.json (see veeqoctl.config.md), then run `veeqoctl --config %s check`\n",
		*keyEnv, filepath.Join(*dir, "veeqoctl.json"))
	return exitOK
}

// starterFile is one file init writes.
type starterFile struct{ name, body string }

// starterFiles are init's files: the config, its explanation, a sample
// orders file and the shipments file's example; with demo the config has
// the fetch-mode "amazon" account too, with its own orders file.
func (a *app) starterFiles(baseURL, keyEnv string, demo bool) ([]starterFile, error) {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	now := a.now().UTC()
	start := now
	if demo {
		// Yesterday: today's UTC date can still be tomorrow in the account's
		// zone, which would put the demo's new orders before the start date.
		start = now.AddDate(0, 0, -1)
	}
	cfgBody := fmt.Sprintf(starterConfig, q(baseURL), q(keyEnv), q(start.Format("2006-01-02")))
	files := []starterFile{
		{"veeqoctl.json", cfgBody},
		{"veeqoctl.config.md", starterDoc},
		{"orders.json", strings.ReplaceAll(fmt.Sprintf(starterOrders, q(now.Format("2006-01-02T15:04:05Z"))), `    "_comment_wave": "no wave: not a candidate until it is waved",`+"\n", "")},
		{"shipments.example.jsonl", starterShipmentsExample},
	}
	if demo {
		body, err := demoConfig(cfgBody, baseURL, keyEnv)
		if err != nil {
			return nil, err
		}
		files[0].body = body
		files = append(files, starterFile{"amazon-orders.json", fmt.Sprintf(demoAmazonOrders, q(now.Format("2006-01-02T15:04:05Z")))})
	}
	return files, nil
}

// writeOwnerOnly writes body to p readable by its owner alone; without
// force an existing file is an error (os.ErrExist), with force it is
// overwritten and made owner-only too.
func writeOwnerOnly(p, body string, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	fh, err := os.OpenFile(p, flags, 0o600)
	if err != nil {
		return err
	}
	if err := fh.Chmod(0o600); err != nil { // --force over a file others could read
		fh.Close()
		return err
	}
	if _, err := fh.WriteString(body); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// demoAmazonOrders is the demo's fetch-mode orders file: the ERP's copy of a
// marketplace order, matched to Veeqo's by its marketplace reference (create
// the Veeqo side with `veeqoctl fake order`).
const demoAmazonOrders = `[
  {
    "ref": "AMZ-1",
    "marketplace_ref": "113-0000001-0000001",
    "store": "Amazon",
    "created_at": %s,
    "customer": {"email": "buyer@marketplace.example", "name": "Mia Buyer"},
    "ship_to": {"first_name": "Mia", "last_name": "Buyer", "address1": "1 Market St", "city": "Seattle", "state": "WA", "zip": "98101", "country": "US"},
    "lines": [
      {"ref": "1", "sku": "TEE-1", "quantity": 1, "unit_price": "20.00"}
    ]
  }
]
`

// demoConfig adds the demo's fetch-mode account to the starter config.
func demoConfig(starter, baseURL, keyEnv string) (string, error) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(starter), &doc); err != nil {
		return "", fmt.Errorf("demo config: %w", err)
	}
	accts, _ := doc["accounts"].([]any)
	doc["_comment"] = "veeqoctl demo config, pointing at `veeqoctl fake`. Fields are explained in veeqoctl.config.md."
	accts = append(accts, map[string]any{
		"_comment":       "Fetch mode: fulfillments of marketplace orders (created with `veeqoctl fake order`) into the ERP.",
		"name":           "amazon",
		"base_url":       baseURL,
		"api_key_env":    keyEnv,
		"state":          "veeqoctl.db",
		"orders_file":    "amazon-orders.json",
		"shipments_file": "amazon-shipments.jsonl",
		"settings": map[string]any{
			"fetch_fulfillments":   true,
			"store_mapping":        []any{map[string]any{"erp_store": "Amazon", "veeqo_channel": "Amazon US"}},
			"carrier_mapping":      []any{map[string]any{"erp_name": "UPS Ground", "veeqo_name": "UPS"}},
			"ship_service_mapping": []any{map[string]any{"erp_name": "Ground", "veeqo_name": "Standard"}},
			"time_zone":            "America/New_York",
		},
	})
	doc["accounts"] = accts
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return "", fmt.Errorf("demo config: %w", err)
	}
	return string(b) + "\n", nil
}
