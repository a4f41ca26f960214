package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"iter"
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
		fmt.Fprintln(a.stdout, checkVerdict(len(rep.Problems), len(rep.Warnings)))
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
		rep.Orders = len(erp.file.orders) + len(erp.file.invalid)
		for _, p := range erp.file.problems() {
			rep.problem(acct.Raw.OrdersFile+p.Field, "%s", p.Problem)
		}
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
		if _, ok := veeqo.CarrierID(r.VeeqoName); !ok {
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
	// Every store and ship service the orders file uses must map, as the
	// engine maps them (export mode).
	if s.Mode() == store.ModeExport && erp.mem != nil {
		a.checkOrderMappings(ctx, acct, erp, chans, methods, rep)
	}
	if strings.TrimSpace(s.TimeZone) == "" && s.AutoSync {
		rep.warn(sf+".time_zone", "is empty: the schedule runs in UTC")
	}
}

// checkVerdict is check's last line: the problems and the warnings, counted.
func checkVerdict(problems, warnings int) string {
	w := ""
	if warnings > 0 {
		w = ", " + plural(warnings, "warning", "warnings")
	}
	if problems == 0 {
		return "OK: no problems found" + w
	}
	return plural(problems, "problem", "problems") + " found" + w
}

// plural is "1 order" or "2 orders".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// listedChannels serves already listed channels to mapping.NewStoreMap.
type listedChannels []veeqo.Channel

func (l listedChannels) Channels(context.Context) iter.Seq2[veeqo.Channel, error] {
	return func(yield func(veeqo.Channel, error) bool) {
		for _, ch := range l {
			if !yield(ch, nil) {
				return
			}
		}
	}
}

// checkOrderMappings checks that the store and the ship service of every
// order in the orders file map to a Veeqo channel and delivery method, the
// way the engine maps them, and reports each unmapped pair once with the
// first order that uses it.
func (a *app) checkOrderMappings(ctx context.Context, acct *account, erp *fileERP, chans []veeqo.Channel, methods []veeqo.DeliveryMethod, rep *checkReport) {
	s := acct.Settings
	file := acct.Raw.OrdersFile
	stores, err := mapping.NewStoreMap(s.StoreMapping, listedChannels(chans))
	if err != nil {
		return // the settings' own problems are reported by the config check
	}
	services, err := mapping.NewShipServiceTable(s.ShipServiceMapping)
	if err != nil {
		return
	}
	type use struct {
		first string
		n     int
	}
	storeUse := map[string]*use{}
	serviceUse := map[[2]string]*use{}
	var storeOrder []string
	var serviceOrder [][2]string
	for _, o := range erp.file.orders {
		if u := storeUse[o.Store]; u != nil {
			u.n++
		} else {
			storeUse[o.Store] = &use{first: o.Ref, n: 1}
			storeOrder = append(storeOrder, o.Store)
		}
		if strings.TrimSpace(o.ShipService) == "" {
			continue
		}
		k := [2]string{o.Store, o.ShipService}
		if u := serviceUse[k]; u != nil {
			u.n++
		} else {
			serviceUse[k] = &use{first: o.Ref, n: 1}
			serviceOrder = append(serviceOrder, k)
		}
	}
	where := func(u *use, field string) string {
		return fmt.Sprintf("%s[%d].%s", file, erp.file.index[u.first], field)
	}
	orders := func(u *use) string {
		if u.n == 1 {
			return "order " + u.first
		}
		return fmt.Sprintf("order %s and %d more", u.first, u.n-1)
	}
	for _, st := range storeOrder {
		u := storeUse[st]
		if _, err := stores.ChannelFor(ctx, st); err != nil {
			msg := strings.TrimPrefix(err.Error(), "mapping: ")
			if errors.Is(err, mapping.ErrUnmapped) {
				msg = "not mapped to a Veeqo channel"
			}
			rep.problem(where(u, "store"), "store %q, used by %s: %s (store_mapping); those orders would fail", st, orders(u), msg)
		}
	}
	for _, k := range serviceOrder {
		u := serviceUse[k]
		name, mapped := k[1], false
		if res, err := services.ToVeeqo(k[0], k[1]); err == nil {
			name, mapped = res.Name, !res.PassedThrough
		}
		found := false
		for _, d := range methods {
			if mapping.Normalize(d.Name) == mapping.Normalize(name) {
				found = true
				break
			}
		}
		switch {
		case found:
		case mapped:
			rep.problem(where(u, "ship_service"), "ship service %q, used by %s: maps to %q, which is not a Veeqo delivery method (ship_service_mapping); those orders would fail", k[1], orders(u), name)
		default:
			rep.problem(where(u, "ship_service"), "ship service %q, used by %s: not mapped (ship_service_mapping) and no Veeqo delivery method has that name; those orders would fail", k[1], orders(u))
		}
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
