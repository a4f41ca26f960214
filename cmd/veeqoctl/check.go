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
	vsync "github.com/xoroerp/veeqoconnect/sync"
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
	s := acct.Settings
	erp := checkERPFiles(acct, rep)
	c := a.checkConnect(ctx, acct, rep)
	if c == nil {
		return
	}
	if !checkChannels(ctx, c, acct, rep) || !checkDeliveryMethods(ctx, c, acct, rep) {
		return
	}
	checkCarriers(acct, rep)
	checkDefaultSKU(ctx, c, acct, rep)
	// Every store and ship service the orders file uses must map, as the
	// engine maps them (export mode).
	if s.Mode() == store.ModeExport && erp.mem != nil {
		a.checkOrderMappings(ctx, acct, erp, c, rep)
	}
	if strings.TrimSpace(s.TimeZone) == "" && s.AutoSync {
		rep.warn(acct.Field+".settings.time_zone", "is empty: the schedule runs in UTC")
	}
}

// checkERPFiles loads the account's ERP files, reporting each problem
// under the orders file's own field names.
func checkERPFiles(acct *account, rep *checkReport) *fileERP {
	erp := newFileERP(acct.OrdersPath, acct.ShipmentsPath)
	if err := erp.load(); err != nil {
		var pe *problemsError
		if errors.As(err, &pe) {
			for _, p := range pe.Problems {
				rep.problem(acct.Raw.OrdersFile+p.Field, "%s", p.Problem)
			}
		} else {
			rep.problem(acct.Field+".orders_file", "%v", err)
		}
		return erp
	}
	rep.Orders = len(erp.file.orders) + len(erp.file.invalid)
	for _, p := range erp.file.problems() {
		rep.problem(acct.Raw.OrdersFile+p.Field, "%s", p.Problem)
	}
	return erp
}

// checkConnect builds the Veeqo client and proves the key with the
// current company; nil when that fails (reported).
func (a *app) checkConnect(ctx context.Context, acct *account, rep *checkReport) *veeqo.Client {
	f := acct.Field
	if _, err := acct.apiKey(a.getenv); err != nil {
		rep.problem(f+".api_key_env", "environment variable %s is not set (it must hold the Veeqo API key)", acct.Raw.APIKeyEnv)
		return nil
	}
	c, code := a.client(acct)
	if c == nil {
		rep.problem(f+".base_url", "cannot build the Veeqo client (exit %d)", code)
		return nil
	}
	co, _, err := c.Company.Current(ctx)
	if err != nil {
		field := f + ".api_key_env"
		if acct.Raw.APIKey != "" {
			field = f + ".api_key" // the key is in the file
		}
		rep.problem(field, "%s", keyError(err))
		return nil
	}
	rep.Company = co.Name
	return c
}

// checkChannels reports each store_mapping row whose Veeqo channel is
// missing (or named twice); false when the channels cannot be listed.
func checkChannels(ctx context.Context, c *veeqo.Client, acct *account, rep *checkReport) bool {
	var chans []veeqo.Channel
	for ch, err := range c.Channels.ListIter(ctx, nil) {
		if err != nil {
			rep.problem(acct.Field, "listing Veeqo channels failed: %v", err)
			return false
		}
		chans = append(chans, ch)
	}
	for i, r := range rowsOf[storeRow](acct.Settings.StoreMapping) {
		var hits []veeqo.Channel
		for _, ch := range chans {
			if (r.ChannelID != 0 && ch.ID == r.ChannelID) || (r.ChannelID == 0 && mapping.Normalize(ch.Name) == mapping.Normalize(r.VeeqoChannel)) {
				hits = append(hits, ch)
			}
		}
		field := fmt.Sprintf("%s.settings.store_mapping[%d].veeqo_channel", acct.Field, i+1)
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
	return true
}

// checkDeliveryMethods reports each ship_service_mapping row whose Veeqo
// name is no delivery method (a problem in export mode, a warning in
// fetch mode); false when the methods cannot be listed.
func checkDeliveryMethods(ctx context.Context, c *veeqo.Client, acct *account, rep *checkReport) bool {
	s := acct.Settings
	var methods []veeqo.DeliveryMethod
	for d, err := range c.DeliveryMethods.ListIter(ctx, nil) {
		if err != nil {
			rep.problem(acct.Field, "listing Veeqo delivery methods failed: %v", err)
			return false
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
		field := fmt.Sprintf("%s.settings.ship_service_mapping[%d].veeqo_name", acct.Field, i+1)
		if s.Mode() == store.ModeExport {
			rep.problem(field, "Veeqo has no delivery method named %q (see `veeqoctl delivery-methods`)", r.VeeqoName)
		} else {
			// In fetch mode the Veeqo name is a shipment's service name,
			// which need not be a delivery method.
			rep.warn(field, "Veeqo has no delivery method named %q; fine if it is a carrier's service name", r.VeeqoName)
		}
	}
	return true
}

// checkCarriers warns of carrier_mapping rows naming no Veeqo carrier.
func checkCarriers(acct *account, rep *checkReport) {
	for i, r := range rowsOf[nameRow](acct.Settings.CarrierMapping) {
		if _, ok := veeqo.CarrierID(r.VeeqoName); !ok {
			rep.warn(fmt.Sprintf("%s.settings.carrier_mapping[%d].veeqo_name", acct.Field, i+1), "%q is not one of Veeqo's carriers; shipments will say \"Other\"", r.VeeqoName)
		}
	}
}

// checkDefaultSKU reports a default SKU Veeqo does not have, and warns of
// none in export mode.
func checkDefaultSKU(ctx context.Context, c *veeqo.Client, acct *account, rep *checkReport) {
	s := acct.Settings
	field := acct.Field + ".settings.default_sku"
	if s.DefaultSKU == "" {
		if s.Mode() == store.ModeExport {
			rep.warn(field, "is empty: a line whose item is not in Veeqo fails its order")
		}
		return
	}
	_, err := c.Products.FindSellableBySKU(ctx, s.DefaultSKU)
	switch {
	case errors.Is(err, veeqo.ErrNotFound):
		rep.problem(field, "%q is not in Veeqo's catalogue (see `veeqoctl products --search`)", s.DefaultSKU)
	case err != nil:
		rep.problem(field, "looking up %q failed: %v", s.DefaultSKU, err)
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

// checkOrderMappings checks that the store, the ship service and the items
// of every order in the orders file map to a Veeqo channel, delivery method
// and sellable, through the same mapping.Mapper the engine uses, and
// reports each unmapped store, service or item once with the first order
// that uses it. An item Veeqo does not have is a warning when the default
// SKU stands in for it, a problem otherwise.
func (a *app) checkOrderMappings(ctx context.Context, acct *account, erp *fileERP, c *veeqo.Client, rep *checkReport) {
	m, err := mapping.New(acct.Settings.Mapping(), mapping.FromClient(c))
	if err != nil {
		return // the settings' own problems are reported by the config check
	}
	file := acct.Raw.OrdersFile
	uses, order, byItem := collectUses(erp.file.orders, m)
	where := func(u *fileUse, field string) string {
		return fmt.Sprintf("%s[%d].%s", file, erp.file.index[u.first], field)
	}
	orders := func(u *fileUse) string {
		if u.n == 1 {
			return "order " + u.first
		}
		return fmt.Sprintf("order %s and %d more", u.first, u.n-1)
	}
	var items []mapping.Line
	for _, k := range order {
		u := uses[k]
		switch k[0] {
		case "store":
			if _, err := m.Stores.ChannelFor(ctx, k[1]); err != nil {
				msg := strings.TrimPrefix(err.Error(), "mapping: ")
				if errors.Is(err, mapping.ErrUnmapped) {
					msg = "not mapped to a Veeqo channel"
				}
				rep.problem(where(u, "store"), "store %q, used by %s: %s (store_mapping); those orders would fail", k[1], orders(u), msg)
			}
		case "ship_service":
			_, res, err := m.DeliveryMethod(ctx, k[1], k[2])
			switch {
			case err == nil:
			case errors.Is(err, mapping.ErrUnknownDeliveryMethod) && !res.PassedThrough && res.Name != "":
				rep.problem(where(u, "ship_service"), "ship service %q, used by %s: maps to %q, which is not a Veeqo delivery method (ship_service_mapping); those orders would fail", k[2], orders(u), res.Name)
			case errors.Is(err, mapping.ErrUnknownDeliveryMethod) || errors.Is(err, mapping.ErrUnmapped):
				rep.problem(where(u, "ship_service"), "ship service %q, used by %s: not mapped (ship_service_mapping) and no Veeqo delivery method has that name; those orders would fail", k[2], orders(u))
			default:
				rep.problem(where(u, "ship_service"), "ship service %q, used by %s: %s (ship_service_mapping); those orders would fail", k[2], orders(u), strings.TrimPrefix(err.Error(), "mapping: "))
			}
		case "item":
			l := byItem[k]
			l.Ref = u.first + "/" + l.Ref
			items = append(items, l)
		}
	}
	checkItems(ctx, m, items, uses, where, orders, rep)
}

// fileUse is a store, ship service or item the orders file uses: the first
// order that uses it and how many do.
type fileUse struct {
	first string
	n     int
}

// collectUses lists the stores, ship services and items (by the mapper's
// identifier) the orders use, keyed by kind, store and name, in the order
// first met; byItem is the first line of each item.
func collectUses(orders []vsync.ERPOrder, m *mapping.Mapper) (uses map[[3]string]*fileUse, order [][3]string, byItem map[[3]string]mapping.Line) {
	uses = map[[3]string]*fileUse{}
	note := func(k [3]string, ref string) {
		if u := uses[k]; u != nil {
			u.n++
			return
		}
		uses[k] = &fileUse{first: ref, n: 1}
		order = append(order, k)
	}
	byItem = map[[3]string]mapping.Line{}
	for _, o := range orders {
		note([3]string{"store", o.Store, ""}, o.Ref)
		if strings.TrimSpace(o.ShipService) != "" {
			note([3]string{"ship_service", o.Store, o.ShipService}, o.Ref)
		}
		for _, l := range o.Lines {
			ml := mapping.Line{Ref: l.Ref, SKU: l.SKU, ItemNumber: l.ItemNumber, UPC: l.UPC, Custom: l.CustomFields}
			k := [3]string{"item", "", m.Settings().ItemIdentifier.Value(ml)}
			if _, seen := byItem[k]; !seen {
				byItem[k] = ml
			}
			note(k, o.Ref)
		}
	}
	return uses, order, byItem
}

// checkItems resolves one line per distinct item identifier the orders
// file uses, as an export would (one lookup each, or one catalogue read).
func checkItems[U any](ctx context.Context, m *mapping.Mapper, items []mapping.Line, uses map[[3]string]*U, where func(*U, string) string, orders func(*U) string, rep *checkReport) {
	if len(items) == 0 {
		return
	}
	ident := m.Settings().ItemIdentifier
	resolved, err := m.Items.Resolve(ctx, items)
	for _, rl := range resolved {
		if rl.Substitution == nil {
			continue
		}
		for _, l := range items {
			if l.Ref == rl.Ref {
				u := uses[[3]string{"item", "", ident.Value(l)}]
				rep.warn(where(u, "lines"), "%s %q, used by %s: not in Veeqo's catalogue; the default SKU %q is sent instead", ident, ident.Value(l), orders(u), rl.Substitution.DefaultSKU)
			}
		}
	}
	if err == nil {
		return
	}
	var lineErrs int
	for _, l := range items {
		for _, x := range unwrapJoined(err) {
			var le *mapping.LineError
			if errors.As(x, &le) && le.Ref == l.Ref {
				lineErrs++
				u := uses[[3]string{"item", "", ident.Value(l)}]
				rep.problem(where(u, "lines"), "%s %q, used by %s: %s; those orders would fail (set default_sku to send it as that)", ident, ident.Value(l), orders(u), strings.TrimPrefix(le.Reason, "line "+l.Ref+": "))
			}
		}
	}
	if lineErrs == 0 {
		rep.problem("lines", "looking up the orders file's items in Veeqo failed: %v", err)
	}
}

// unwrapJoined flattens joined errors one level deep.
func unwrapJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
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
