// Package filter implements the settings page's filter rows: which orders
// take part in the Veeqo integration.
//
// A filter is a list of rows, each a field name, an operator and a value, as a
// settings page stores them. By default every row must match; a Group combines
// rows and nested groups with "all" or "any" for AND/OR logic.
//
// # Use
//
// The caller declares the fields a filter may name, each with an accessor
// that reads it from a record, then compiles the stored rows once and
// evaluates many records:
//
//	schema := filter.NewSchema[*Order]().
//		Text("source", func(o *Order) string { return o.Source }).
//		Number("total", func(o *Order) decimal.Decimal { return o.Total }).
//		Date("created", func(o *Order) time.Time { return o.Created }).
//		Texts("tags", func(o *Order) []string { return o.Tags })
//	f, err := filter.CompileJSON(schema, settingsJSON, filter.WithLocation(tz))
//	// err is a *CompileError listing every problem, each naming its row.
//	if !f.Match(order) {
//		log(f.Explain(order).Reason) // row 2: source "eBay" does not equal "Amazon"
//	}
//
// # Stored shapes (JSON)
//
// A plain array of rows, all of which must match:
//
//	[{"field": "source", "operator": "Equals", "value": "Amazon"},
//	 {"field": "total", "operator": ">=", "value": "25.00"}]
//
// or a group object, with nested groups:
//
//	{"match": "any",
//	 "rows": [{"field": "tags", "operator": "Contains", "value": "wholesale"}],
//	 "groups": [{"match": "all", "rows": [...]}]}
//
// "field" may also be spelt "filter_name" or "name", and "operator" "op"; a
// value may be a JSON number, a boolean or a list (joined for In / Not In).
// A Group encodes back in the shape it came in. Entirely blank rows (an
// unused line on the page) are skipped. An empty filter passes everything.
//
// # Operators
//
// By name, with the symbols and spellings also accepted (case, spaces,
// underscores and hyphens ignored): Equals (=, ==), Not Equals (!=, <>),
// Contains, Does Not Contain, Starts With, Ends With, In and Not In (a
// comma-separated list), Greater Than (>), Less Than (<), Greater Or Equal
// (>=), Less Or Equal (<=), Is Empty, Is Not Empty, Matches (wildcards: *
// any run of characters, ? one character, no escape).
//
// Which operators apply depends on the field's Kind, and a mismatch is a
// compile-time problem, never a silent false:
//
//   - text and text lists: all but the ordering operators (text has no useful
//     order: "9" > "10"; declare such fields as numbers or dates);
//   - numbers: Equals, Not Equals, In, Not In and the four orderings, compared
//     as decimals (2.50 equals 2.5); Is Empty / Is Not Empty only for an
//     OptionalNumber;
//   - dates: Equals, Not Equals, In, Not In, the orderings, Is Empty, Is Not
//     Empty;
//   - yes/no: Equals, Not Equals.
//
// Text comparisons ignore case (Unicode simple folding) unless CaseSensitive
// is given, and ignore white space around both sides. Is Empty treats a
// blank string as empty. Is Empty and Is Not Empty ignore the row's value.
//
// # Multi-valued fields
//
// A Texts field (tags) matches a positive operator when any of its values
// does. A negative operator (Not Equals, Does Not Contain, Not In) matches
// when no value satisfies its positive form: tags Not Equals "vip" rejects
// an order tagged ["vip", "new"]. Is Empty matches when no value is
// non-blank; Is Not Empty when some value is.
//
// # Dates
//
// A row's date value is one of:
//
//   - a whole day, YYYY-MM-DD, in the filter's time zone (WithLocation,
//     default UTC): Equals holds for any time that day, Greater Than after
//     the day ends, Greater Or Equal from its start, Less Than before its
//     start, Less Or Equal until its end;
//   - an instant: RFC 3339, or YYYY-MM-DD HH:MM[:SS] in the filter's zone,
//     compared exactly;
//   - relative: today, yesterday, tomorrow, today-7d, today+2w (whole days)
//     or now, now-2h, now-30m, now-1d (instants), evaluated at each Match
//     against the clock (WithClock, default time.Now), so a long-lived Filter
//     stays correct across midnight.
//
// A zero time.Time is empty: it fails every comparison and satisfies Not
// Equals and Not In, as an absent OptionalNumber does.
//
// # Errors
//
// Compile checks every row and returns a *CompileError with one Problem per
// fault, each naming its row ("row 2", or "group 1.2, row 3" inside nested
// groups) and matching one of ErrUnknownField (with the known fields and a
// suggestion for a likely typo), ErrUnknownOperator, ErrOperatorMismatch,
// ErrBadValue or ErrBadGroup through errors.Is. A badly built Schema or a
// nil option is ErrSchema.
//
// # Performance
//
// A compiled Filter is immutable and safe for concurrent use. Match does
// not allocate when the accessors do not: text is compared by folding rune by
// rune, decimals by a scaled int64 fast path, dates as instants. Explain
// allocates only to build its words.
package filter
