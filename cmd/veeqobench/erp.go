package main

import (
	"context"
	"fmt"
	"iter"
	"sync/atomic"

	"github.com/shopspring/decimal"

	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// numberedERP is the fetch scenarios' ERP: it holds no orders but derives
// marketplace order i (number fetchNumber(i)) from its number, with the
// lines the child fake gave it, and counts the shipments applied. A host's
// ERP is a database of its own: keeping 100,000 orders in this process
// would put them in the heap the scenario reports as the library's.
type numberedERP struct {
	lines, skus int
	applied     atomic.Int64
}

func (m *numberedERP) order(number string) (vsync.ERPOrder, error) {
	var i int
	if _, err := fmt.Sscanf(number, "111-%07d", &i); err != nil || fetchNumber(i) != number {
		return vsync.ERPOrder{}, fmt.Errorf("%w: %s", vsync.ErrERPOrderNotFound, number)
	}
	o := vsync.ERPOrder{Ref: number, Number: number, Store: "Amazon", Source: "Amazon"}
	for l := range m.lines {
		o.Lines = append(o.Lines, vsync.ERPLine{Ref: fmt.Sprint(l + 1), SKU: skuName((i*m.lines + l) % m.skus), Quantity: 1, Allocated: 1, UnitPrice: decimal.NewFromInt(10)})
	}
	return o, nil
}

func (m *numberedERP) Candidates(context.Context, vsync.CandidateQuery) iter.Seq2[vsync.ERPOrder, error] {
	return func(func(vsync.ERPOrder, error) bool) {}
}

func (m *numberedERP) Order(_ context.Context, ref string) (vsync.ERPOrder, error) {
	return m.order(ref)
}

func (m *numberedERP) FindOrder(_ context.Context, q vsync.FindQuery) (vsync.ERPOrder, error) {
	return m.order(q.Number)
}

func (m *numberedERP) ApplyShipment(context.Context, vsync.ShipmentUpdate) error {
	m.applied.Add(1)
	return nil
}
