package filter_test

import (
	"testing"

	"github.com/xoroerp/veeqoconnect/filter"
)

func benchOrder() *order {
	return &order{
		Number: "SO-100234", Source: "Amazon US", Total: dec("125.50"), Freight: decp("7.5"),
		Created: testNow.Add(-50 * 3600e9), Tags: []string{"wholesale", "vip", "b2b"}, Prime: true,
	}
}

func benchMatch(b *testing.B, g filter.Group, want bool) {
	f := mustCompile(b, g)
	rec := benchOrder()
	if f.Match(rec) != want {
		b.Fatalf("Match = %v, want %v", !want, want)
	}
	b.ReportAllocs()
	for b.Loop() {
		if f.Match(rec) != want {
			b.Fatal("result changed")
		}
	}
}

func BenchmarkMatchTextEquals(b *testing.B) {
	benchMatch(b, filter.Rows(row("source", "Equals", "amazon us")), true)
}

func BenchmarkMatchTextContains(b *testing.B) {
	benchMatch(b, filter.Rows(row("source", "Contains", "US")), true)
}

func BenchmarkMatchWildcard(b *testing.B) {
	benchMatch(b, filter.Rows(row("order_number", "Matches", "so-*3?")), true)
}

func BenchmarkMatchNumber(b *testing.B) {
	// 125.50 against 100: different exponents, the int64 fast path.
	benchMatch(b, filter.Rows(row("total", ">=", "100")), true)
}

func BenchmarkMatchDateRelative(b *testing.B) {
	benchMatch(b, filter.Rows(row("created", ">=", "today-7d")), true)
}

func BenchmarkMatchTagsNotIn(b *testing.B) {
	benchMatch(b, filter.Rows(row("tags", "Not In", "retail, dropship, marketplace")), true)
}

// BenchmarkMatchTypical is a realistic settings page: five rows, all passing
// (the worst case for "all": every row is evaluated).
func BenchmarkMatchTypical(b *testing.B) {
	benchMatch(b, filter.Rows(
		row("source", "In", "Amazon US, Shopify, eBay"),
		row("total", ">", "25"),
		row("created", ">=", "today-30d"),
		row("tags", "Does Not Contain", "hold"),
		row("order_number", "Starts With", "SO-"),
	), true)
}

func BenchmarkMatchNestedAny(b *testing.B) {
	benchMatch(b, filter.Group{Match: "any", Groups: []filter.Group{
		filter.Rows(row("source", "=", "ebay"), row("total", ">", "1000")),
		filter.Rows(row("prime", "=", "yes"), row("tags", "=", "vip")),
	}}, true)
}

func BenchmarkExplainReject(b *testing.B) {
	f := mustCompile(b, filter.Rows(row("source", "=", "amazon us"), row("total", ">", "1000")))
	rec := benchOrder()
	b.ReportAllocs()
	for b.Loop() {
		if f.Explain(rec).Pass {
			b.Fatal("passed")
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	s := newSchema()
	g := filter.Rows(
		row("source", "In", "Amazon US, Shopify, eBay"),
		row("total", ">", "25"),
		row("created", ">=", "today-30d"),
		row("tags", "Does Not Contain", "hold"),
		row("order_number", "Starts With", "SO-"),
	)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := filter.Compile(s, g); err != nil {
			b.Fatal(err)
		}
	}
}
