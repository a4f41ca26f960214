package filter_test

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/xoroerp/veeqoconnect/filter"
)

func ExampleCompileJSON() {
	type Order struct {
		Number string
		Source string
		Total  decimal.Decimal
		Placed time.Time
		Tags   []string
	}
	schema := filter.NewSchema[*Order]().
		Text("source", func(o *Order) string { return o.Source }).
		Number("total", func(o *Order) decimal.Decimal { return o.Total }).
		Date("placed", func(o *Order) time.Time { return o.Placed }).
		Texts("tags", func(o *Order) []string { return o.Tags })

	// As the settings page stores it: all rows must match.
	settings := []byte(`[
		{"field": "source", "operator": "Equals", "value": "Amazon"},
		{"field": "total", "operator": ">=", "value": "25.00"},
		{"field": "placed", "operator": "Greater Or Equal", "value": "today-7d"},
		{"field": "tags", "operator": "Does Not Contain", "value": "hold"}
	]`)
	clock := func() time.Time { return time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC) }
	f, err := filter.CompileJSON(schema, settings, filter.WithClock(clock))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range []*Order{
		{Number: "SO-1", Source: "amazon", Total: decimal.RequireFromString("40"), Placed: clock().Add(-24 * time.Hour)},
		{Number: "SO-2", Source: "eBay", Total: decimal.RequireFromString("40"), Placed: clock()},
		{Number: "SO-3", Source: "Amazon", Total: decimal.RequireFromString("12.5"), Placed: clock()},
		{Number: "SO-4", Source: "Amazon", Total: decimal.RequireFromString("99"), Placed: clock(), Tags: []string{"On Hold"}},
	} {
		if v := f.Explain(o); v.Pass {
			fmt.Printf("%s: export\n", o.Number)
		} else {
			fmt.Printf("%s: skipped, %s\n", o.Number, v.Reason)
		}
	}
	// Output:
	// SO-1: export
	// SO-2: skipped, row 1: source "eBay" does not equal "Amazon"
	// SO-3: skipped, row 2: total 12.5 is less than 25.00
	// SO-4: skipped, row 4: tags ["On Hold"] has a value containing "hold"
}

func ExampleCompile_errors() {
	schema := filter.NewSchema[string]().
		Text("source", func(s string) string { return s })
	_, err := filter.Compile(schema, filter.Rows(
		filter.Row{Field: "sorce", Operator: "Equals", Value: "Amazon"},
		filter.Row{Field: "source", Operator: ">", Value: "A"},
	))
	fmt.Println(err)
	// Output:
	// filter: 2 problems: row 1: unknown field "sorce" (did you mean "source"?) (known: source); row 2: operator Greater Than does not apply to text field "source"; text has no order (use: Equals, Not Equals, Contains, Does Not Contain, Starts With, Ends With, In, Not In, Is Empty, Is Not Empty, Matches)
}

func ExampleGroup() {
	schema := filter.NewSchema[map[string]string]().
		Text("source", func(m map[string]string) string { return m["source"] }).
		Text("country", func(m map[string]string) string { return m["country"] })
	// Amazon orders, or any order shipping to Canada.
	f, err := filter.Compile(schema, filter.Group{Match: filter.MatchAny,
		Rows:   []filter.Row{{Field: "source", Operator: "=", Value: "Amazon"}},
		Groups: []filter.Group{filter.Rows(filter.Row{Field: "country", Operator: "In", Value: "CA, Canada"})},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Match(map[string]string{"source": "Amazon", "country": "US"}))
	fmt.Println(f.Match(map[string]string{"source": "Shopify", "country": "ca"}))
	fmt.Println(f.Match(map[string]string{"source": "Shopify", "country": "US"}))
	// Output:
	// true
	// true
	// false
}
