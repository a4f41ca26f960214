package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/xoroerp/veeqoconnect/internal/display"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// table writes rows aligned in columns.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		for i := range r {
			r[i] = oneLine(r[i])
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	_ = tw.Flush()
}

// oneLine keeps a table cell on one line and shows it as it reads: tabs
// and line breaks from data would break the columns, and control and
// bidirectional-override characters would drive the terminal or disguise
// a reference; all are written as visible escapes.
func oneLine(s string) string { return display.Escape(s) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// catalogCmd runs a listing command: load, client, list, print.
func (a *app) catalogCmd(ctx context.Context, fs *flag.FlagSet, args []string, summary string, extra func(*flag.FlagSet),
	list func(ctx context.Context, c *veeqo.Client) (any, [][]string, []string, error)) int {
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if extra != nil {
		extra(fs)
	}
	pos, code, ok := a.parse(fs, args, "", summary)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return a.fail(exitUsage, "%s takes no arguments (got %q)", fs.Name(), pos)
	}
	_, acct, code := a.account()
	if acct == nil {
		return code
	}
	c, code := a.client(acct)
	if c == nil {
		return code
	}
	v, rows, header, err := list(ctx, c)
	if err != nil {
		if msg := keyError(err); strings.HasPrefix(msg, "Veeqo re") {
			return a.fail(exitFailure, "%s", msg)
		}
		return a.fail(exitFailure, "%v", err)
	}
	if *asJSON {
		if err := writeJSON(a.stdout, v); err != nil {
			return a.fail(exitFailure, "%v", err)
		}
		return exitOK
	}
	table(a.stdout, header, rows)
	return exitOK
}

func (a *app) cmdChannels(ctx context.Context, fs *flag.FlagSet, args []string) int {
	return a.catalogCmd(ctx, fs, args, "List Veeqo channels (stores): the names store_mapping maps ERP stores to.", nil,
		func(ctx context.Context, c *veeqo.Client) (any, [][]string, []string, error) {
			var list []veeqo.Channel
			for ch, err := range c.Channels.ListIter(ctx, nil) {
				if err != nil {
					return nil, nil, nil, fmt.Errorf("list channels: %w", err)
				}
				list = append(list, ch)
			}
			rows := make([][]string, 0, len(list))
			for _, ch := range list {
				wh := ""
				if ch.DefaultWarehouse != nil {
					wh = ch.DefaultWarehouse.Name
				}
				rows = append(rows, []string{fmt.Sprint(ch.ID), ch.Name, string(ch.TypeCode), ch.State, ch.CurrencyCode, wh})
			}
			if list == nil {
				list = []veeqo.Channel{}
			}
			return list, rows, []string{"ID", "NAME", "TYPE", "STATE", "CURRENCY", "DEFAULT WAREHOUSE"}, nil
		})
}

func (a *app) cmdWarehouses(ctx context.Context, fs *flag.FlagSet, args []string) int {
	return a.catalogCmd(ctx, fs, args, "List Veeqo warehouses.", nil,
		func(ctx context.Context, c *veeqo.Client) (any, [][]string, []string, error) {
			list := []veeqo.Warehouse{}
			for w, err := range c.Warehouses.ListIter(ctx, nil) {
				if err != nil {
					return nil, nil, nil, fmt.Errorf("list warehouses: %w", err)
				}
				list = append(list, w)
			}
			rows := make([][]string, 0, len(list))
			for _, w := range list {
				rows = append(rows, []string{fmt.Sprint(w.ID), w.Name, w.City, w.Country})
			}
			return list, rows, []string{"ID", "NAME", "CITY", "COUNTRY"}, nil
		})
}

func (a *app) cmdDeliveryMethods(ctx context.Context, fs *flag.FlagSet, args []string) int {
	return a.catalogCmd(ctx, fs, args, "List Veeqo delivery methods: the names ship_service_mapping maps ERP ship services to.", nil,
		func(ctx context.Context, c *veeqo.Client) (any, [][]string, []string, error) {
			list := []veeqo.DeliveryMethod{}
			for d, err := range c.DeliveryMethods.ListIter(ctx, nil) {
				if err != nil {
					return nil, nil, nil, fmt.Errorf("list delivery methods: %w", err)
				}
				list = append(list, d)
			}
			rows := make([][]string, 0, len(list))
			for _, d := range list {
				rows = append(rows, []string{fmt.Sprint(d.ID), d.Name, d.Cost.String()})
			}
			return list, rows, []string{"ID", "NAME", "COST"}, nil
		})
}

func (a *app) cmdProducts(ctx context.Context, fs *flag.FlagSet, args []string) int {
	var search string
	var limit int
	return a.catalogCmd(ctx, fs, args, "Search Veeqo products by title, SKU or UPC (fuzzy, Veeqo's search); one row per sellable.",
		func(fs *flag.FlagSet) {
			fs.StringVar(&search, "search", "", "title, SKU or UPC to search for (empty lists the catalogue)")
			fs.IntVar(&limit, "limit", 100, "at most this many products (0: all)")
		},
		func(ctx context.Context, c *veeqo.Client) (any, [][]string, []string, error) {
			list := []veeqo.Product{}
			for p, err := range c.Products.ListIter(ctx, &veeqo.ProductListOptions{Query: search}) {
				if err != nil {
					return nil, nil, nil, fmt.Errorf("list products: %w", err)
				}
				list = append(list, p)
				if limit > 0 && len(list) >= limit {
					break
				}
			}
			var rows [][]string
			for _, p := range list {
				for _, s := range p.Sellables {
					rows = append(rows, []string{fmt.Sprint(p.ID), fmt.Sprint(s.ID), s.SKUCode, s.UPCCode, p.Title, s.Price.String()})
				}
			}
			return list, rows, []string{"PRODUCT", "SELLABLE", "SKU", "UPC", "TITLE", "PRICE"}, nil
		})
}
