package filter_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/filter"
)

type order struct {
	Number  string
	Source  string
	Total   decimal.Decimal
	Freight *decimal.Decimal
	Created time.Time
	Tags    []string
	Prime   bool
}

func newSchema() *filter.Schema[*order] {
	return filter.NewSchema[*order]().
		Text("source", func(o *order) string { return o.Source }).
		Text("order_number", func(o *order) string { return o.Number }).
		Number("total", func(o *order) decimal.Decimal { return o.Total }).
		OptionalNumber("freight", func(o *order) (decimal.Decimal, bool) {
			if o.Freight == nil {
				return decimal.Decimal{}, false
			}
			return *o.Freight, true
		}).
		Date("created", func(o *order) time.Time { return o.Created }).
		Texts("tags", func(o *order) []string { return o.Tags }).
		Bool("prime", func(o *order) bool { return o.Prime })
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func decp(s string) *decimal.Decimal { d := dec(s); return &d }

// The fixed clock: Friday 2026-11-27 15:00 UTC, which is 07:00 in the
// filter's zone (UTC-8).
var (
	testNow = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	pst     = time.FixedZone("PST", -8*3600)
)

func testOpts() []filter.Option {
	return []filter.Option{filter.WithClock(func() time.Time { return testNow }), filter.WithLocation(pst)}
}

func row(field, op, value string) filter.Row {
	return filter.Row{Field: field, Operator: op, Value: value}
}

func mustCompile(t testing.TB, g filter.Group, opts ...filter.Option) *filter.Filter[*order] {
	t.Helper()
	f, err := filter.Compile(newSchema(), g, append(testOpts(), opts...)...)
	require.NoError(t, err)
	return f
}

func TestOperators(t *testing.T) {
	t.Parallel()
	base := order{
		Number:  "SO-1001",
		Source:  "Amazon US",
		Total:   dec("125.50"),
		Freight: decp("7.5"),
		Created: time.Date(2026, 11, 20, 18, 30, 0, 0, time.UTC), // 10:30 on the 20th in PST
		Tags:    []string{"Wholesale", "VIP"},
		Prime:   true,
	}
	noFreight := base
	noFreight.Freight = nil
	noDate := base
	noDate.Created = time.Time{}
	noTags := base
	noTags.Tags = []string{"", "  "}
	blankSource := base
	blankSource.Source = "   "
	lateNight := base // 23:30 PST on the 20th is already the 21st in UTC
	lateNight.Created = time.Date(2026, 11, 21, 7, 30, 0, 0, time.UTC)

	tests := []struct {
		name string
		row  filter.Row
		rec  *order
		want bool
	}{
		// Text.
		{"text equals, case-insensitive", row("source", "Equals", "amazon us"), &base, true},
		{"text equals symbol", row("source", "==", "Amazon US"), &base, true},
		{"text equals trims", row("source", "=", "  Amazon US "), &base, true},
		{"text equals false", row("source", "Equals", "eBay"), &base, false},
		{"text not equals", row("source", "Not Equals", "eBay"), &base, true},
		{"text not equals symbol", row("source", "<>", "amazon us"), &base, false},
		{"text contains", row("source", "Contains", "ZON"), &base, true},
		{"text contains false", row("source", "contains", "ebay"), &base, false},
		{"text does not contain", row("source", "Does Not Contain", "ebay"), &base, true},
		{"text does not contain false", row("source", "does_not_contain", "us"), &base, false},
		{"text starts with", row("source", "Starts With", "amAZ"), &base, true},
		{"text starts with false", row("source", "starts with", "US"), &base, false},
		{"text ends with", row("source", "Ends With", " us"), &base, true},
		{"text ends with false", row("source", "EndsWith", "amazon"), &base, false},
		{"text in", row("source", "In", "eBay, amazon us ,Shopify"), &base, true},
		{"text in false", row("source", "in", "eBay,Shopify"), &base, false},
		{"text not in", row("source", "Not In", "eBay,Shopify"), &base, true},
		{"text not in false", row("source", "not in", "AMAZON US"), &base, false},
		{"text is empty false", row("source", "Is Empty", ""), &base, false},
		{"text is empty on blank", row("source", "Is Empty", "stale value ignored"), &blankSource, true},
		{"text is not empty", row("source", "Is Not Empty", ""), &base, true},
		{"text is not empty on blank", row("source", "is_not_empty", ""), &blankSource, false},
		{"text matches star", row("source", "Matches", "ama*"), &base, true},
		{"text matches question", row("source", "Matches", "Amazon ??"), &base, true},
		{"text matches middle", row("order_number", "Matches", "SO-*1"), &base, true},
		{"text matches false", row("source", "Matches", "Amazon ?"), &base, false},
		{"text matches needs whole", row("source", "Matches", "Amazon"), &base, false},

		// Text list (tags): any value for positives, no value for negatives.
		{"tags equals any", row("tags", "Equals", "vip"), &base, true},
		{"tags equals none", row("tags", "Equals", "retail"), &base, false},
		{"tags not equals: a value equals", row("tags", "Not Equals", "vip"), &base, false},
		{"tags not equals: none equals", row("tags", "!=", "retail"), &base, true},
		{"tags contains", row("tags", "Contains", "sale"), &base, true},
		{"tags does not contain: one contains", row("tags", "Does Not Contain", "sale"), &base, false},
		{"tags does not contain", row("tags", "Does Not Contain", "retail"), &base, true},
		{"tags starts with", row("tags", "Starts With", "whole"), &base, true},
		{"tags ends with", row("tags", "Ends With", "IP"), &base, true},
		{"tags in", row("tags", "In", "retail, vip"), &base, true},
		{"tags not in: one in", row("tags", "Not In", "retail, vip"), &base, false},
		{"tags not in", row("tags", "Not In", "retail, b2c"), &base, true},
		{"tags is empty false", row("tags", "Is Empty", ""), &base, false},
		{"tags is empty on blanks", row("tags", "Is Empty", ""), &noTags, true},
		{"tags is not empty", row("tags", "Is Not Empty", ""), &base, true},
		{"tags is not empty on blanks", row("tags", "Is Not Empty", ""), &noTags, false},
		{"tags matches", row("tags", "Matches", "w*e"), &base, true},

		// Numbers, as decimals.
		{"number equals other scale", row("total", "Equals", "125.5"), &base, true},
		{"number equals false", row("total", "=", "125.51"), &base, false},
		{"number not equals", row("total", "!=", "125"), &base, true},
		{"number greater", row("total", "Greater Than", "125.4999"), &base, true},
		{"number greater equal false", row("total", ">", "125.50"), &base, false},
		{"number less", row("total", "Less Than", "1e3"), &base, true},
		{"number less false", row("total", "<", "125.5"), &base, false},
		{"number ge", row("total", ">=", "125.500"), &base, true},
		{"number ge false", row("total", "Greater Or Equal", "126"), &base, false},
		{"number le", row("total", "<=", "125.5"), &base, true},
		{"number le false", row("total", "Less Or Equal", "-3"), &base, false},
		{"number in", row("total", "In", "1, 125.50, 7"), &base, true},
		{"number in false", row("total", "In", "1, 2"), &base, false},
		{"number not in", row("total", "Not In", "1, 2"), &base, true},
		{"number not in false", row("total", "Not In", "125.5"), &base, false},
		{"optional number present", row("freight", "Greater Than", "5"), &base, true},
		{"optional number is empty", row("freight", "Is Empty", ""), &noFreight, true},
		{"optional number is empty false", row("freight", "Is Empty", ""), &base, false},
		{"optional number is not empty", row("freight", "Is Not Empty", ""), &base, true},
		{"optional number absent fails comparison", row("freight", "<", "100"), &noFreight, false},
		{"optional number absent is not equal", row("freight", "!=", "0"), &noFreight, true},
		{"optional number absent is not in", row("freight", "Not In", "0,1"), &noFreight, true},

		// Dates. The record is 2026-11-20 10:30 PST; today is 2026-11-27 PST.
		{"date equals day", row("created", "Equals", "2026-11-20"), &base, true},
		{"date equals other day", row("created", "Equals", "2026-11-21"), &base, false},
		{"date day is in the filter zone", row("created", "Equals", "2026-11-20"), &lateNight, true},
		{"date not equals", row("created", "Not Equals", "2026-11-21"), &base, true},
		{"date after day", row("created", "Greater Than", "2026-11-19"), &base, true},
		{"date after same day false", row("created", "After", "2026-11-20"), &base, false},
		{"date ge same day", row("created", ">=", "2026-11-20"), &base, true},
		{"date before day false", row("created", "<", "2026-11-20"), &base, false},
		{"date before next day", row("created", "Before", "2026-11-21"), &base, true},
		{"date le same day", row("created", "<=", "2026-11-20"), &base, true},
		{"date le previous day false", row("created", "<=", "2026-11-19"), &base, false},
		{"date instant rfc3339", row("created", "Equals", "2026-11-20T18:30:00Z"), &base, true},
		{"date instant with offset", row("created", "=", "2026-11-20T10:30:00-08:00"), &base, true},
		{"date instant zone-less in filter zone", row("created", "=", "2026-11-20 10:30:00"), &base, true},
		{"date instant greater", row("created", ">", "2026-11-20T18:29:59Z"), &base, true},
		{"date instant le", row("created", "<=", "2026-11-20 10:30"), &base, true},
		{"date today-7d", row("created", "Equals", "today-7d"), &base, true},
		{"date today - 1w", row("created", "Equals", "Today - 1w"), &base, true},
		{"date since today-7d", row("created", ">=", "today-7d"), &base, true},
		{"date since today-6d false", row("created", ">=", "today-6d"), &base, false},
		{"date before today", row("created", "<", "today"), &base, true},
		{"date yesterday false", row("created", "=", "yesterday"), &base, false},
		{"date now-2h false", row("created", ">", "now-2h"), &base, false},
		{"date now-7d", row("created", ">", "now-7d"), &base, true},
		{"date now-160h false", row("created", ">", "now-160h"), &base, false},
		{"date in", row("created", "In", "2026-11-19, 2026-11-20"), &base, true},
		{"date not in", row("created", "Not In", "2026-11-19, today"), &base, true},
		{"date not in false", row("created", "Not In", "today-7d"), &base, false},
		{"date is empty", row("created", "Is Empty", ""), &noDate, true},
		{"date is not empty", row("created", "Is Not Empty", ""), &base, true},
		{"date zero fails comparison", row("created", "<", "today"), &noDate, false},
		{"date zero is not equal", row("created", "!=", "today"), &noDate, true},

		// Yes/no.
		{"bool equals", row("prime", "Equals", "yes"), &base, true},
		{"bool equals false", row("prime", "=", "false"), &base, false},
		{"bool not equals", row("prime", "!=", "0"), &base, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := mustCompile(t, filter.Rows(tt.row))
			require.Equal(t, tt.want, f.Match(tt.rec), "Match")
			v := f.Explain(tt.rec)
			require.Equal(t, tt.want, v.Pass, "Explain: %+v", v)
			if !tt.want {
				require.Equal(t, 1, v.Row)
				require.True(t, strings.HasPrefix(v.Reason, "row 1: "), "reason %q", v.Reason)
			}
		})
	}
}

func TestCaseSensitive(t *testing.T) {
	t.Parallel()
	rec := &order{Source: "Amazon", Tags: []string{"VIP"}}
	tests := []struct {
		row           filter.Row
		insensitive   bool
		caseSensitive bool
	}{
		{row("source", "Equals", "amazon"), true, false},
		{row("source", "Equals", "Amazon"), true, true},
		{row("source", "Contains", "MAZ"), true, false},
		{row("source", "Starts With", "am"), true, false},
		{row("source", "Ends With", "ON"), true, false},
		{row("source", "In", "x, AMAZON"), true, false},
		{row("source", "Matches", "a*N"), true, false},
		{row("source", "Not Equals", "amazon"), false, true},
		{row("tags", "Equals", "vip"), true, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.row), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.insensitive, mustCompile(t, filter.Rows(tt.row)).Match(rec), "default")
			require.Equal(t, tt.caseSensitive, mustCompile(t, filter.Rows(tt.row), filter.CaseSensitive()).Match(rec), "case-sensitive")
		})
	}
}

func TestUnicodeFolding(t *testing.T) {
	t.Parallel()
	rec := &order{Source: "Straße Köln ΣΊΣΥΦΟΣ"}
	for _, r := range []filter.Row{
		row("source", "Contains", "KÖLN"),
		row("source", "Starts With", "STRAßE"),
		row("source", "Ends With", "σίσυφος"),
		row("source", "Matches", "*k?ln*"),
		row("source", "Equals", "straße köln σίσυφοσ"),
	} {
		require.True(t, mustCompile(t, filter.Rows(r)).Match(rec), "%v", r)
	}
}

func TestWildcard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"?", "", false},
		{"?", "é", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"*.com", "shop.example.com", true},
		{"*.com", "shop.example.co", false},
		{"**x", "x", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*ab", "aab", true},
		{"*aab*", "aaab", true},
		{"AMZ-???-*", "amz-123-x", true},
		{"AMZ-???-*", "amz-12-x", false},
	}
	for _, tt := range tests {
		f := mustCompile(t, filter.Rows(row("source", "Matches", tt.pattern)))
		require.Equal(t, tt.want, f.Match(&order{Source: tt.s}), "%q matches %q", tt.pattern, tt.s)
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	amazonVIP := &order{Source: "Amazon", Total: dec("50"), Tags: []string{"vip"}}
	amazonSmall := &order{Source: "Amazon", Total: dec("5")}
	ebayBig := &order{Source: "eBay", Total: dec("500")}
	ebaySmall := &order{Source: "eBay", Total: dec("5")}

	tests := []struct {
		name string
		g    filter.Group
		want []bool // amazonVIP, amazonSmall, ebayBig, ebaySmall
	}{
		{"empty passes all", filter.Group{}, []bool{true, true, true, true}},
		{"blank rows are skipped", filter.Rows(filter.Row{}, row(" ", "", " ")), []bool{true, true, true, true}},
		{"all", filter.Rows(row("source", "=", "amazon"), row("total", ">", "10")), []bool{true, false, false, false}},
		{"any", filter.Any(row("source", "=", "amazon"), row("total", ">", "10")), []bool{true, true, true, false}},
		{"and spelled out", filter.Group{Match: "AND", Rows: []filter.Row{row("source", "=", "ebay"), row("total", "<", "10")}},
			[]bool{false, false, false, true}},
		{"or spelled out", filter.Group{Match: "or", Rows: []filter.Row{row("source", "=", "ebay"), row("tags", "=", "vip")}},
			[]bool{true, false, true, true}},
		{"nested: amazon and (vip or big)", filter.Group{
			Rows:   []filter.Row{row("source", "=", "amazon")},
			Groups: []filter.Group{filter.Any(row("tags", "=", "vip"), row("total", ">=", "100"))},
		}, []bool{true, false, false, false}},
		{"nested: any of two all-groups", filter.Group{Match: "any", Groups: []filter.Group{
			filter.Rows(row("source", "=", "amazon"), row("total", "<", "10")),
			filter.Rows(row("source", "=", "ebay"), row("total", ">", "10")),
		}}, []bool{false, true, true, false}},
		{"empty subgroup has no say in any", filter.Group{Match: "any",
			Rows:   []filter.Row{row("source", "=", "ebay")},
			Groups: []filter.Group{{}, {Rows: []filter.Row{{}}}},
		}, []bool{false, false, true, true}},
		{"deep nesting", filter.Group{Groups: []filter.Group{{Groups: []filter.Group{{Match: "any", Groups: []filter.Group{
			filter.Rows(row("total", ">", "100")), filter.Rows(row("tags", "is not empty", "")),
		}}}}}}, []bool{true, false, true, false}},
	}
	recs := []*order{amazonVIP, amazonSmall, ebayBig, ebaySmall}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := mustCompile(t, tt.g)
			var got, explained []bool
			for _, r := range recs {
				got = append(got, f.Match(r))
				explained = append(explained, f.Explain(r).Pass)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Match (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, explained); diff != "" {
				t.Errorf("Explain (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNilAndEmptyFilter(t *testing.T) {
	t.Parallel()
	var f *filter.Filter[*order]
	require.True(t, f.Match(&order{}))
	require.Equal(t, filter.Verdict{Pass: true}, f.Explain(&order{}))
	require.Equal(t, 0, f.Len())
	g := mustCompile(t, filter.Rows(filter.Row{}, row("source", "=", "x")))
	require.Equal(t, 1, g.Len())
}

func TestExplain(t *testing.T) {
	t.Parallel()
	rec := &order{
		Source: "eBay", Number: "SO-7", Total: dec("12.50"), Created: time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC),
		Tags: []string{"wholesale", "vip"}, Prime: false,
	}
	tests := []struct {
		name string
		g    filter.Group
		want filter.Verdict
	}{
		{"equals", filter.Rows(row("source", "Is Not Empty", ""), row("source", "Equals", "Amazon")),
			filter.Verdict{Row: 2, Path: "row 2", Reason: `row 2: source "eBay" does not equal "Amazon"`}},
		{"not equals", filter.Rows(row("source", "!=", "ebay")),
			filter.Verdict{Row: 1, Path: "row 1", Reason: `row 1: source "eBay" equals "ebay"`}},
		{"contains", filter.Rows(row("source", "contains", "amaz")),
			filter.Verdict{Row: 1, Path: "row 1", Reason: `row 1: source "eBay" does not contain "amaz"`}},
		{"in", filter.Rows(row("source", "in", "Amazon, Shopify")),
			filter.Verdict{Row: 1, Path: "row 1", Reason: `row 1: source "eBay" is not one of "Amazon, Shopify"`}},
		{"matches", filter.Rows(row("source", "matches", "AMZ-*")),
			filter.Verdict{Row: 1, Path: "row 1", Reason: `row 1: source "eBay" does not match "AMZ-*"`}},
		{"is empty", filter.Rows(row("source", "is empty", "")),
			filter.Verdict{Row: 1, Path: "row 1", Reason: `row 1: source "eBay" is not empty`}},
		{"number", filter.Rows(row("total", ">=", "100")),
			filter.Verdict{Row: 1, Path: "row 1", Reason: `row 1: total 12.5 is less than 100`}},
		{"optional number empty", filter.Rows(row("freight", "is not empty", "")),
			filter.Verdict{Row: 1, Path: "row 1", Reason: `row 1: freight is empty`}},
		{"relative date", filter.Rows(row("created", ">", "today")),
			filter.Verdict{Row: 1, Path: "row 1", Reason: `row 1: created 2026-11-26T12:00:00-08:00 is not after today (2026-11-27)`}},
		{"fixed date", filter.Rows(row("created", "<", "2026-11-01")),
			filter.Verdict{Row: 1, Path: "row 1", Reason: `row 1: created 2026-11-26T12:00:00-08:00 is not before 2026-11-01`}},
		{"tags negative", filter.Rows(row("tags", "not in", "vip, b2b")),
			filter.Verdict{Row: 1, Path: "row 1", Reason: `row 1: tags ["wholesale", "vip"] has a value in "vip, b2b"`}},
		{"tags positive", filter.Rows(row("tags", "=", "retail")),
			filter.Verdict{Row: 1, Path: "row 1", Reason: `row 1: tags ["wholesale", "vip"] has no value equal to "retail"`}},
		{"bool", filter.Rows(row("prime", "=", "yes")),
			filter.Verdict{Row: 1, Path: "row 1", Reason: `row 1: prime is false (wanted Equals yes)`}},
		{"nested group row", filter.Group{Rows: []filter.Row{row("source", "=", "ebay")}, Groups: []filter.Group{
			filter.Rows(row("total", ">", "1"), row("order_number", "starts with", "PO-")),
		}}, filter.Verdict{Row: 2, Path: "group 1, row 2", Reason: `group 1, row 2: order_number "SO-7" does not start with "PO-"`}},
		{"any at top", filter.Any(row("source", "=", "amazon"), row("total", ">", "100")),
			filter.Verdict{Reason: `no row of the filter matched (any): row 1: source "eBay" does not equal "amazon"; ` +
				`row 2: total 12.5 is not greater than 100`}},
		{"any nested", filter.Group{Groups: []filter.Group{filter.Any(row("source", "=", "amazon"), row("total", ">", "100"))}},
			filter.Verdict{Path: "group 1", Reason: `group 1: no row of the group matched (any): group 1, row 1: source "eBay" does not equal "amazon"; ` +
				`group 1, row 2: total 12.5 is not greater than 100`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := mustCompile(t, tt.g)
			if diff := cmp.Diff(tt.want, f.Explain(rec)); diff != "" {
				t.Errorf("Explain (-want +got):\n%s", diff)
			}
			require.False(t, f.Match(rec))
		})
	}
}

func TestRelativeDatesFollowTheClock(t *testing.T) {
	t.Parallel()
	now := testNow
	f, err := filter.Compile(newSchema(), filter.Rows(row("created", "=", "today")),
		filter.WithClock(func() time.Time { return now }), filter.WithLocation(pst))
	require.NoError(t, err)
	rec := &order{Created: testNow}
	require.True(t, f.Match(rec))
	now = now.Add(24 * time.Hour) // the next day: the same compiled filter moves on
	require.False(t, f.Match(rec))
}

// problem is the comparable part of a filter.Problem.
type problem struct {
	Path string
	Row  int
	Err  error
	Msg  string
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		g    filter.Group
		want []problem
	}{
		{"unknown field with suggestion", filter.Rows(row("source", "=", "x"), row("sorce", "=", "Amazon")), []problem{{
			"row 2", 2, filter.ErrUnknownField,
			`unknown field "sorce" (did you mean "source"?) (known: created, freight, order_number, prime, source, tags, total)`,
		}}},
		{"unknown field, no suggestion", filter.Rows(row("warehouse", "=", "x")), []problem{{
			"row 1", 1, filter.ErrUnknownField,
			`unknown field "warehouse" (known: created, freight, order_number, prime, source, tags, total)`,
		}}},
		{"field names are normalised", filter.Rows(row("Order Number", "=", "x"), row("ORDER-NUMBER", "=", "y")), nil},
		{"missing field", filter.Rows(row("", "=", "x")), []problem{{
			"row 1", 1, filter.ErrUnknownField, `no field given (known: created, freight, order_number, prime, source, tags, total)`,
		}}},
		{"bad operator", filter.Rows(row("source", "equalz", "x")), []problem{{
			"row 1", 1, filter.ErrUnknownOperator, `unknown operator "equalz" (known: Equals, Not Equals, Contains, Does Not Contain, ` +
				`Starts With, Ends With, In, Not In, Greater Than, Less Than, Greater Or Equal, Less Or Equal, Is Empty, Is Not Empty, Matches)`,
		}}},
		{"missing operator", filter.Rows(row("source", " ", "x")), []problem{{
			"row 1", 1, filter.ErrUnknownOperator, `no operator given (known: Equals, Not Equals, Contains, Does Not Contain, ` +
				`Starts With, Ends With, In, Not In, Greater Than, Less Than, Greater Or Equal, Less Or Equal, Is Empty, Is Not Empty, Matches)`,
		}}},
		{"unknown field and operator both reported", filter.Rows(row("nope", "~", "x")), []problem{
			{"row 1", 1, filter.ErrUnknownField, `unknown field "nope" (known: created, freight, order_number, prime, source, tags, total)`},
			{"row 1", 1, filter.ErrUnknownOperator, `unknown operator "~" (known: Equals, Not Equals, Contains, Does Not Contain, ` +
				`Starts With, Ends With, In, Not In, Greater Than, Less Than, Greater Or Equal, Less Or Equal, Is Empty, Is Not Empty, Matches)`},
		}},
		{"contains on number", filter.Rows(row("total", "Contains", "5")), []problem{{
			"row 1", 1, filter.ErrOperatorMismatch, `operator Contains does not apply to number field "total" ` +
				`(use: Equals, Not Equals, In, Not In, Greater Than, Less Than, Greater Or Equal, Less Or Equal)`,
		}}},
		{"greater than on text", filter.Rows(row("source", ">", "a")), []problem{{
			"row 1", 1, filter.ErrOperatorMismatch, `operator Greater Than does not apply to text field "source"; text has no order ` +
				`(use: Equals, Not Equals, Contains, Does Not Contain, Starts With, Ends With, In, Not In, Is Empty, Is Not Empty, Matches)`,
		}}},
		{"greater than on tags", filter.Rows(row("tags", ">=", "a")), []problem{{
			"row 1", 1, filter.ErrOperatorMismatch, `operator Greater Or Equal does not apply to text list field "tags"; text has no order ` +
				`(use: Equals, Not Equals, Contains, Does Not Contain, Starts With, Ends With, In, Not In, Is Empty, Is Not Empty, Matches)`,
		}}},
		{"is empty on plain number", filter.Rows(row("total", "is empty", "")), []problem{{
			"row 1", 1, filter.ErrOperatorMismatch, `operator Is Empty does not apply to number field "total"; number field "total" always has a value ` +
				`(use: Equals, Not Equals, In, Not In, Greater Than, Less Than, Greater Or Equal, Less Or Equal)`,
		}}},
		{"matches on date", filter.Rows(row("created", "matches", "2026-*")), []problem{{
			"row 1", 1, filter.ErrOperatorMismatch, `operator Matches does not apply to date field "created" ` +
				`(use: Equals, Not Equals, In, Not In, Greater Than, Less Than, Greater Or Equal, Less Or Equal, Is Empty, Is Not Empty)`,
		}}},
		{"greater on bool", filter.Rows(row("prime", ">", "1")), []problem{{
			"row 1", 1, filter.ErrOperatorMismatch, `operator Greater Than does not apply to yes/no field "prime" (use: Equals, Not Equals)`,
		}}},
		{"not a number", filter.Rows(row("total", ">", "abc")), []problem{{
			"row 1", 1, filter.ErrBadValue,
			`value "abc" is not a number (want digits with an optional sign and decimal point) for number field "total"`,
		}}},
		{"number out of range", filter.Rows(row("total", ">", "1e99")), []problem{{
			"row 1", 1, filter.ErrBadValue, `value "1e99" is not a number (out of range) for number field "total"`,
		}}},
		{"bad item in a number list", filter.Rows(row("total", "in", "1, two, 3")), []problem{{
			"row 1", 1, filter.ErrBadValue,
			`value "two" is not a number (want digits with an optional sign and decimal point) for number field "total"`,
		}}},
		{"not a date", filter.Rows(row("created", ">", "last week")), []problem{{
			"row 1", 1, filter.ErrBadValue, `value "last week" is not a date (not a date; ` + dateHelpText + `) for date field "created"`,
		}}},
		{"bad relative unit", filter.Rows(row("created", ">", "today-2h")), []problem{{
			"row 1", 1, filter.ErrBadValue, `value "today-2h" is not a date (unit "h": today takes days (d) or weeks (w); ` +
				`use now for hours or minutes; ` + dateHelpText + `) for date field "created"`,
		}}},
		{"bad relative offset", filter.Rows(row("created", ">", "now*2")), []problem{{
			"row 1", 1, filter.ErrBadValue, `value "now*2" is not a date (want + or - after "now"; ` + dateHelpText + `) for date field "created"`,
		}}},
		{"relative without number", filter.Rows(row("created", ">", "now-h")), []problem{{
			"row 1", 1, filter.ErrBadValue, `value "now-h" is not a date (want a number after "now-"; ` + dateHelpText + `) for date field "created"`,
		}}},
		{"relative too far", filter.Rows(row("created", ">", "today-99999999w")), []problem{{
			"row 1", 1, filter.ErrBadValue, `value "today-99999999w" is not a date (offset of 699999993 days is too large; ` +
				dateHelpText + `) for date field "created"`,
		}}},
		{"impossible date", filter.Rows(row("created", "=", "2026-02-30")), []problem{{
			"row 1", 1, filter.ErrBadValue, `value "2026-02-30" is not a date (not a date; ` + dateHelpText + `) for date field "created"`,
		}}},
		{"not a bool", filter.Rows(row("prime", "=", "maybe")), []problem{{
			"row 1", 1, filter.ErrBadValue, `value "maybe" is not yes or no (use true/false, yes/no, 1/0) for yes/no field "prime"`,
		}}},
		{"missing value", filter.Rows(row("source", "Equals", "  ")), []problem{{
			"row 1", 1, filter.ErrBadValue, `operator Equals needs a value (use Is Empty to match an empty source)`,
		}}},
		{"empty list", filter.Rows(row("source", "In", " , ,")), []problem{{
			"row 1", 1, filter.ErrBadValue, `operator In needs a comma-separated list of values, got " , ,"`,
		}}},
		{"bad match", filter.Group{Match: "most", Rows: []filter.Row{row("source", "=", "x")}}, []problem{{
			"filter", 0, filter.ErrBadGroup, `unknown match "most" (use "all" or "any")`,
		}}},
		{"every problem at once, with group paths", filter.Group{
			Rows: []filter.Row{row("source", "=", "ok"), row("sorce", "=", "x"), row("total", ">", "lots")},
			Groups: []filter.Group{
				{Match: "any", Rows: []filter.Row{row("created", "=", "today"), row("tags", "<", "x")}},
				{Groups: []filter.Group{{Match: "xor"}}},
			},
		}, []problem{
			{"row 2", 2, filter.ErrUnknownField,
				`unknown field "sorce" (did you mean "source"?) (known: created, freight, order_number, prime, source, tags, total)`},
			{"row 3", 3, filter.ErrBadValue,
				`value "lots" is not a number (want digits with an optional sign and decimal point) for number field "total"`},
			{"group 1, row 2", 2, filter.ErrOperatorMismatch, `operator Less Than does not apply to text list field "tags"; text has no order ` +
				`(use: Equals, Not Equals, Contains, Does Not Contain, Starts With, Ends With, In, Not In, Is Empty, Is Not Empty, Matches)`},
			{"group 2.1", 0, filter.ErrBadGroup, `unknown match "xor" (use "all" or "any")`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := filter.Compile(newSchema(), tt.g, testOpts()...)
			if tt.want == nil {
				require.NoError(t, err)
				require.NotNil(t, f)
				return
			}
			require.Error(t, err)
			require.Nil(t, f)
			var ce *filter.CompileError
			require.ErrorAs(t, err, &ce)
			var got []problem
			for _, p := range ce.Problems {
				got = append(got, problem{p.Path, p.Row, p.Err, p.Msg})
				require.True(t, errors.Is(err, p.Err), "errors.Is(err, %v)", p.Err)
				require.Contains(t, err.Error(), p.Path+": "+p.Msg)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

const dateHelpText = "use YYYY-MM-DD, RFC 3339 (2006-01-02T15:04:05Z), YYYY-MM-DD HH:MM[:SS], " +
	"or today/yesterday/tomorrow/now with an offset such as today-7d or now-2h"

func TestCompileErrorText(t *testing.T) {
	t.Parallel()
	_, err := filter.Compile(newSchema(), filter.Rows(row("sorce", "=", "x"), row("total", "=", "y")))
	require.EqualError(t, err, `filter: 2 problems: row 1: unknown field "sorce" (did you mean "source"?) `+
		`(known: created, freight, order_number, prime, source, tags, total); `+
		`row 2: value "y" is not a number (want digits with an optional sign and decimal point) for number field "total"`)
	var p filter.Problem
	require.ErrorAs(t, err, &p)
	require.Equal(t, "sorce", p.Field)
	require.Equal(t, "=", p.Operator)
	require.Equal(t, "x", p.Value)

	_, err = filter.Compile(newSchema(), filter.Rows(row("total", "=", "y")))
	require.EqualError(t, err, `filter: row 1: value "y" is not a number (want digits with an optional sign and decimal point) for number field "total"`)

	long := strings.Repeat("x", 500)
	_, err = filter.Compile(newSchema(), filter.Rows(row(long, long, long)))
	require.Error(t, err)
	require.Less(t, len(err.Error()), 700, "absurd rows are clipped in messages")
}

func TestSchemaErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		schema *filter.Schema[*order]
		opts   []filter.Option
		want   string
	}{
		{"nil schema", nil, nil, "bad filter schema: schema is nil"},
		{"empty name", filter.NewSchema[*order]().Text(" ", func(*order) string { return "" }), nil,
			"bad filter schema: a text field has no name"},
		{"nil accessor", filter.NewSchema[*order]().Number("total", nil), nil,
			`bad filter schema: field "total" has a nil accessor`},
		{"duplicate", filter.NewSchema[*order]().Text("source", func(*order) string { return "" }).
			Texts("Source", func(*order) []string { return nil }), nil,
			`bad filter schema: field "Source" is declared twice (as "source")`},
		{"nil clock", newSchema(), []filter.Option{filter.WithClock(nil)}, "bad filter schema: WithClock(nil)"},
		{"nil location", newSchema(), []filter.Option{filter.WithLocation(nil)}, "bad filter schema: WithLocation(nil)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := filter.Compile(tt.schema, filter.Rows(row("source", "=", "x")), tt.opts...)
			require.EqualError(t, err, tt.want)
			require.ErrorIs(t, err, filter.ErrSchema)
		})
	}
}

func TestParseOperator(t *testing.T) {
	t.Parallel()
	tests := map[string]filter.Operator{
		"Equals": filter.Equals, "=": filter.Equals, "==": filter.Equals,
		"Not Equals": filter.NotEquals, "not_equals": filter.NotEquals, "!=": filter.NotEquals, "<>": filter.NotEquals,
		"Contains": filter.Contains, "Does Not Contain": filter.NotContains, "does-not-contain": filter.NotContains,
		"Starts With": filter.StartsWith, "ENDS_WITH": filter.EndsWith, "In": filter.In, "Not In": filter.NotIn,
		"Greater Than": filter.GreaterThan, ">": filter.GreaterThan, "Less Than": filter.LessThan, "<": filter.LessThan,
		"Greater Or Equal": filter.GreaterOrEqual, ">=": filter.GreaterOrEqual, "greater_than_or_equal": filter.GreaterOrEqual,
		"Less Or Equal": filter.LessOrEqual, "<=": filter.LessOrEqual, "Is Empty": filter.IsEmpty,
		"Is Not Empty": filter.IsNotEmpty, "Matches": filter.Matches, " like ": filter.Matches,
	}
	for in, want := range tests {
		got, err := filter.ParseOperator(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, op := range filter.Operators() {
		got, err := filter.ParseOperator(op.String())
		require.NoError(t, err)
		require.Equal(t, op, got, "String round-trips")
	}
	_, err := filter.ParseOperator("~=")
	require.ErrorIs(t, err, filter.ErrUnknownOperator)
	require.Equal(t, "Operator(0)", filter.Operator(0).String())
	require.False(t, filter.Operator(0).Valid())
}

func TestFields(t *testing.T) {
	t.Parallel()
	got := newSchema().Fields()
	require.Len(t, got, 7)
	require.Equal(t, filter.FieldInfo{Name: "prime", Kind: filter.KindBool, Operators: []filter.Operator{filter.Equals, filter.NotEquals}}, got[6])
	require.Equal(t, "freight", got[3].Name)
	require.True(t, got[3].Optional)
	require.Contains(t, got[3].Operators, filter.IsEmpty)
	require.NotContains(t, got[2].Operators, filter.IsEmpty)
	require.Equal(t, "text list", got[5].Kind.String())
}
