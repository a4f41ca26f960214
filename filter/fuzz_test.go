package filter_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xoroerp/veeqoconnect/filter"
)

// FuzzCompile feeds arbitrary JSON through decode -> Compile -> Match and
// Explain: nothing may panic, every compile problem must name its row or
// group, Explain must agree with Match, and a filter must behave the same
// after a JSON round trip.
func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		`[{"field":"source","operator":"Equals","value":"Amazon"}]`,
		`[{"field":"total","operator":">=","value":"12.5"},{"field":"created","operator":">","value":"today-7d"}]`,
		`{"match":"any","rows":[{"field":"tags","operator":"Not In","value":"vip, b2b"}],"groups":[[{"field":"prime","operator":"=","value":true}]]}`,
		`[{"field":"source","operator":"matches","value":"a*?b**"},{"field":"freight","operator":"is empty"}]`,
		`[{"field":"created","operator":"in","value":["2026-11-20","now-2h","2026-11-20T10:00:00Z"]}]`,
		`[{"field":"sorce","operator":"~","value":""},{"field":"total","operator":"contains","value":"x"}]`,
		`{"match":"xor","groups":[{"groups":[{"match":"or"}]}]}`,
		`[]`, `null`, `{}`,
	} {
		f.Add([]byte(seed))
	}
	schema := newSchema()
	recs := []*order{
		{},
		{Source: "Amazon", Number: "SO-1", Total: dec("12.50"), Freight: decp("0"), Created: testNow.Add(-48 * time.Hour),
			Tags: []string{"vip", ""}, Prime: true},
		{Source: "  ébay ", Total: dec("-3"), Created: testNow, Tags: []string{"B2B"}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var g filter.Group
		if err := json.Unmarshal(data, &g); err != nil {
			return
		}
		flt, err := filter.Compile(schema, g, testOpts()...)
		if err != nil {
			var ce *filter.CompileError
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("Compile error is not a CompileError with problems: %v", err)
			}
			for _, p := range ce.Problems {
				named := strings.HasPrefix(p.Path, "row ") || strings.HasPrefix(p.Path, "group ") || p.Path == "filter"
				if !named || (p.Row > 0) != strings.Contains(p.Path, "row ") || p.Err == nil || p.Msg == "" {
					t.Fatalf("problem does not name its row: %+v", p)
				}
			}
			return
		}
		out, err := json.Marshal(g)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		var back filter.Group
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("Unmarshal of %s: %v", out, err)
		}
		flt2, err := filter.Compile(schema, back, testOpts()...)
		if err != nil {
			t.Fatalf("round-tripped filter %s does not compile: %v", out, err)
		}
		for _, r := range recs {
			m := flt.Match(r)
			v := flt.Explain(r)
			if v.Pass != m {
				t.Fatalf("Explain %+v disagrees with Match %v", v, m)
			}
			if !m && v.Reason == "" {
				t.Fatalf("rejection without a reason")
			}
			if flt2.Match(r) != m {
				t.Fatalf("round trip changed the result for %+v", r)
			}
		}
	})
}
