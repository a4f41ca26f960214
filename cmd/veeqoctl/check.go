package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// checkReport is what check found for one account.
type checkReport struct {
	Account  string    `json:"account"`
	Company  string    `json:"company,omitempty"`
	Mode     string    `json:"mode"`
	Orders   int       `json:"orders"`
	Problems []problem `json:"problems"`
	Warnings []problem `json:"warnings"`
}

func (r *checkReport) problem(field, format string, args ...any) {
	r.Problems = append(r.Problems, problem{Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (r *checkReport) warn(field, format string, args ...any) {
	r.Warnings = append(r.Warnings, problem{Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (a *app) cmdCheck(ctx context.Context, fs *flag.FlagSet, args []string) int {
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	if _, code, ok := a.parse(fs, args, "", "Check the config, the API key (current company), every mapping against Veeqo\n(channels, delivery methods, the default SKU) and the ERP files. Prints each problem; exits 1 on any."); !ok {
		return code
	}
	_, acct, code := a.account()
	if acct == nil {
		return code
	}
	rep := &checkReport{Account: acct.Raw.Name, Mode: string(acct.Settings.Mode()), Problems: []problem{}, Warnings: []problem{}}
	a.checkAccount(ctx, acct, rep)
	if *asJSON {
		_ = writeJSON(a.stdout, rep)
	} else {
		if rep.Company != "" {
			fmt.Fprintf(a.stdout, "account %s: API key OK (company %q), %s mode, %d orders in the orders file\n", rep.Account, rep.Company, rep.Mode, rep.Orders)
		}
		for _, w := range rep.Warnings {
			fmt.Fprintf(a.stdout, "warning: %s\n", w)
		}
		for _, p := range rep.Problems {
			fmt.Fprintf(a.stdout, "problem: %s\n", p)
		}
		if len(rep.Problems) == 0 {
			fmt.Fprintf(a.stdout, "OK: no problems found\n")
		} else {
			fmt.Fprintf(a.stdout, "%d problem(s) found\n", len(rep.Problems))
		}
	}
	if len(rep.Problems) > 0 {
		return exitFailure
	}
	return exitOK
}

func (a *app) checkAccount(ctx context.Context, acct *account, rep *checkReport) {
	f := acct.Field
	s := acct.Settings
	// The ERP files.
	erp := newFileERP(acct.OrdersPath, acct.ShipmentsPath)
	if err := erp.load(); err != nil {
		var pe *problemsError
		if errors.As(err, &pe) {
			for _, p := range pe.Problems {
				rep.problem(acct.Raw.OrdersFile+p.Field, "%s", p.Problem)
			}
		} else {
			rep.problem(f+".orders_file", "%v", err)
		}
	} else {
		rep.Orders = len(erp.mem.Orders())
	}
	// The key.
	key, err := acct.apiKey(a.getenv)
	if err != nil {
		rep.problem(f+".api_key_env", "environment variable %s is not set (it must hold the Veeqo API key)", acct.Raw.APIKeyEnv)
		return
	}
	_ = key
	c, code := a.client(acct)
	if c == nil {
		rep.problem(f+".base_url", "cannot build the Veeqo client (exit %d)", code)
		return
	}
	co, _, err := c.Company.Current(ctx)
	if err != nil {
		field := f + ".api_key_env"
		if acct.Raw.APIKey != "" {
			field = f + ".api_key" // the key is in the file
		}
		rep.problem(field, "%s", keyError(err))
		return
	}
	rep.Company = co.Name
	// Channels.
	var chans []veeqo.Channel
	for ch, err := range c.Channels.ListIter(ctx, nil) {
		if err != nil {
			rep.problem(f, "listing Veeqo channels failed: %v", err)
			return
		}
		chans = append(chans, ch)
	}
	sf := f + ".settings"
	stores := rowsOf[storeRow](s.StoreMapping)
	for i, r := range stores {
		var hits []veeqo.Channel
		for _, ch := range chans {
			if (r.ChannelID != 0 && ch.ID == r.ChannelID) || (r.ChannelID == 0 && mapping.Normalize(ch.Name) == mapping.Normalize(r.VeeqoChannel)) {
				hits = append(hits, ch)
			}
		}
		field := fmt.Sprintf("%s.store_mapping[%d].veeqo_channel", sf, i+1)
		switch len(hits) {
		case 0:
			if r.ChannelID != 0 {
				rep.problem(field, "Veeqo has no channel with id %d (see `veeqoctl channels`)", r.ChannelID)
				break
			}
			rep.problem(field, "Veeqo has no channel named %q (see `veeqoctl channels`)", r.VeeqoChannel)
		case 1:
		default:
			rep.warn(field, "%d Veeqo channels are named %q: orders are matched to the first", len(hits), r.VeeqoChannel)
		}
	}
	// Delivery methods.
	var methods []veeqo.DeliveryMethod
	for d, err := range c.DeliveryMethods.ListIter(ctx, nil) {
		if err != nil {
			rep.problem(f, "listing Veeqo delivery methods failed: %v", err)
			return
		}
		methods = append(methods, d)
	}
	for i, r := range rowsOf[nameRow](s.ShipServiceMapping) {
		found := false
		for _, d := range methods {
			if mapping.Normalize(d.Name) == mapping.Normalize(r.VeeqoName) {
				found = true
				break
			}
		}
		if found {
			continue
		}
		field := fmt.Sprintf("%s.ship_service_mapping[%d].veeqo_name", sf, i+1)
		if s.Mode() == store.ModeExport {
			rep.problem(field, "Veeqo has no delivery method named %q (see `veeqoctl delivery-methods`)", r.VeeqoName)
		} else {
			// In fetch mode the Veeqo name is a shipment's service name,
			// which need not be a delivery method.
			rep.warn(field, "Veeqo has no delivery method named %q; fine if it is a carrier's service name", r.VeeqoName)
		}
	}
	for i, r := range rowsOf[nameRow](s.CarrierMapping) {
		if _, ok := mapping.CarrierID(r.VeeqoName); !ok {
			rep.warn(fmt.Sprintf("%s.carrier_mapping[%d].veeqo_name", sf, i+1), "%q is not one of Veeqo's carriers; shipments will say \"Other\"", r.VeeqoName)
		}
	}
	// The default SKU.
	if s.DefaultSKU != "" {
		_, err := c.Products.FindSellableBySKU(ctx, s.DefaultSKU)
		switch {
		case errors.Is(err, veeqo.ErrNotFound):
			rep.problem(sf+".default_sku", "%q is not in Veeqo's catalogue (see `veeqoctl products --search`)", s.DefaultSKU)
		case err != nil:
			rep.problem(sf+".default_sku", "looking up %q failed: %v", s.DefaultSKU, err)
		}
	} else if s.Mode() == store.ModeExport {
		rep.warn(sf+".default_sku", "is empty: a line whose item is not in Veeqo fails its order")
	}
	// Stores used by the orders file (export mode): each must reach a channel.
	if s.Mode() == store.ModeExport && erp.mem != nil {
		seen := map[string]bool{}
		for _, o := range erp.mem.Orders() {
			if seen[o.Store] {
				continue
			}
			seen[o.Store] = true
			want := o.Store
			for _, r := range stores {
				if mapping.Normalize(r.ERPStore) == mapping.Normalize(o.Store) {
					want = r.VeeqoChannel
				}
			}
			ok := false
			for _, ch := range chans {
				if mapping.Normalize(ch.Name) == mapping.Normalize(want) && want != "" {
					ok = true
				}
			}
			if !ok && want == o.Store {
				rep.warn(acct.Raw.OrdersFile, "store %q (order %s) is not in store_mapping and no Veeqo channel has that name: its orders will fail", o.Store, o.Ref)
			}
		}
	}
	if strings.TrimSpace(s.TimeZone) == "" && s.AutoSync {
		rep.warn(sf+".time_zone", "is empty: the schedule runs in UTC")
	}
}

// nameRow and storeRow are the settings' mapping rows as JSON. check reads
// the rows through JSON so that it does not depend on the Go shape of the
// settings' tables (a plain slice, or a table with a policy and rows).
type nameRow struct {
	ERPName   string `json:"erp_name"`
	VeeqoName string `json:"veeqo_name"`
	Store     string `json:"store"`
}

type storeRow struct {
	ERPStore     string `json:"erp_store"`
	VeeqoChannel string `json:"veeqo_channel"`
	ChannelID    int64  `json:"channel_id"`
}

// rowsOf returns the rows of a mapping table encoded either as a plain
// array or as {"rows": [...]}.
func rowsOf[T any](table any) []T {
	b, err := json.Marshal(table)
	if err != nil {
		return nil
	}
	var rows []T
	if json.Unmarshal(b, &rows) == nil {
		return rows
	}
	var obj struct {
		Rows []T `json:"rows"`
	}
	_ = json.Unmarshal(b, &obj)
	return obj.Rows
}
