package sync

import (
	"context"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// A fetch listing's page of orders has its shipment rows read in one query
// (store.FindShipments) before the first of them is handled: every row of
// the page's Veeqo orders and every row of their shipments, instead of a
// read per order (hasVoids) and two per new shipment (the settled check
// and shipmentState). The batch's write-aheads and marks are written
// first, so the read sees what the earlier pages did.
//
// An order's rows come from the page's read only while nothing but the
// order's own handling can have written them since: the page's other
// orders write rows of their own Veeqo order and of their own shipments
// only. An order is therefore trusted only when none of its shipments is
// listed by another order of the page, and none of the rows read for it
// (its own or its shipments') belongs to, or is a shipment of, another
// order; otherwise it reads the store as before. Its own handling writes
// its rows one shipment at a time, each read before it is written.

// A confirmation listing's page also has its exports read in one query
// (store.ExportQuery.VeeqoOrderIDs) instead of an ExportByVeeqoID per
// order. What the confirmation of an order takes from its export is the
// link (reference and Veeqo order id), the line links and the number,
// which nothing in a confirmation pass writes (relinks happen in the
// export pass, before it), and Completed and LastError, which it reads
// only for a cancelled order and only to tell the ERP-cancel pass's flag,
// which runs after it.

// The page's fetch records are read with its rows (store.GetRecords): an
// order whose number no other order of the page has reads its record from
// there while nothing of its own has been written (repairRecord, for an
// order whose shipments are all settled).

// pageRows is the rows a page's read found, by Veeqo order and by
// shipment, and the orders whose reads may come from them; and the page's
// fetch records, by reference, with the references whose reads may come
// from them.
type pageRows struct {
	byOrder map[int64]map[int64]store.AppliedShipment
	byID    map[int64]store.AppliedShipment
	trusted map[int64]bool
	records map[string]store.Record
	refs    map[string]bool
	// exports holds a confirmation page's exports by Veeqo order id (the
	// smallest reference's, as ExportByVeeqoID answers), when read.
	exports map[int64]store.Export
}

// readPage reads the shipment rows of a page of listed orders into ctx's
// batch, and the page's exports (confirmations) or fetch records
// (fetch); on a failed read each order reads the store itself.
func (r *run) readPage(ctx context.Context, stream string, page []*veeqo.Order) {
	b := marksOf(ctx)
	if b == nil {
		return
	}
	r.flushBatch(ctx)
	b.rows = nil
	e := r.e
	orders := make([]int64, 0, len(page))
	var ships []int64
	listers := map[int64][]int64{} // shipment id -> the page's orders listing it
	for _, o := range page {
		orders = append(orders, o.ID)
		for _, a := range o.Allocations {
			if a.Shipment != nil && a.Shipment.ID != 0 {
				ships = append(ships, a.Shipment.ID)
				listers[a.Shipment.ID] = append(listers[a.Shipment.ID], o.ID)
			}
		}
	}
	rows, err := e.cfg.Store.FindShipments(ctx, e.cfg.Account, orders, ships)
	if err != nil {
		return
	}
	pr := &pageRows{byOrder: map[int64]map[int64]store.AppliedShipment{}, byID: map[int64]store.AppliedShipment{}, trusted: map[int64]bool{}}
	for _, id := range orders {
		pr.trusted[id] = true
	}
	for _, ls := range listers {
		if len(ls) > 1 {
			for _, l := range ls {
				pr.trusted[l] = false
			}
		}
	}
	for _, row := range rows {
		pr.byID[row.ShipmentID] = row
		if pr.byOrder[row.VeeqoOrderID] == nil {
			pr.byOrder[row.VeeqoOrderID] = map[int64]store.AppliedShipment{}
		}
		pr.byOrder[row.VeeqoOrderID][row.ShipmentID] = row
		for _, l := range listers[row.ShipmentID] {
			if l != row.VeeqoOrderID {
				pr.trusted[l] = false
				pr.trusted[row.VeeqoOrderID] = false
			}
		}
	}
	if stream == StreamConfirmations {
		r.readPageExports(ctx, orders, pr)
	} else {
		r.readPageRecords(ctx, page, pr)
	}
	b.rows = pr
}

// readPageExports reads the exports linked to a confirmation page's orders
// in one query (a page at a time of the store's answer); on a failed read
// every order reads its export itself.
func (r *run) readPageExports(ctx context.Context, orders []int64, pr *pageRows) {
	e := r.e
	found := map[int64]store.Export{}
	q := store.ExportQuery{Account: e.cfg.Account, VeeqoOrderIDs: orders, Limit: len(orders) + 1}
	for {
		list, err := e.cfg.Store.ListExports(ctx, q)
		if err != nil {
			return
		}
		for _, ex := range list {
			if _, ok := found[ex.VeeqoOrderID]; !ok { // in ref order: the smallest first
				found[ex.VeeqoOrderID] = ex
			}
		}
		if len(list) < q.Limit {
			break
		}
		q.AfterRef = list[len(list)-1].ERPRef
	}
	pr.exports = found
}

// readPageRecords reads the page's fetch records in one query; a number
// that two orders of the page share is not served from it. On a failed
// read every order reads its record itself.
func (r *run) readPageRecords(ctx context.Context, page []*veeqo.Order, pr *pageRows) {
	e := r.e
	numbers := make([]string, 0, len(page))
	count := map[string]int{}
	for _, o := range page {
		if count[o.Number]++; count[o.Number] == 1 {
			numbers = append(numbers, o.Number)
		}
	}
	recs, err := e.cfg.Store.GetRecords(ctx, e.cfg.Account, ProcessFetch, numbers)
	if err != nil {
		return
	}
	pr.records, pr.refs = map[string]store.Record{}, map[string]bool{}
	for _, rec := range recs {
		pr.records[rec.Reference] = rec
	}
	for n, c := range count {
		pr.refs[n] = c == 1
	}
}

// dropPage forgets the page's rows once its orders are handled.
func (r *run) dropPage(ctx context.Context) {
	if b := marksOf(ctx); b != nil {
		b.rows = nil
	}
}

// pageRowsOf returns the page's rows of Veeqo order id, by shipment, when
// the order is trusted (see pageRows).
func pageRowsOf(ctx context.Context, id int64) (map[int64]store.AppliedShipment, bool) {
	b := marksOf(ctx)
	if b == nil || b.rows == nil || !b.rows.trusted[id] {
		return nil, false
	}
	rows := b.rows.byOrder[id]
	if rows == nil {
		rows = map[int64]store.AppliedShipment{}
	}
	return rows, true
}

// pageShipment returns what the page's read found of shipment id of
// Veeqo order orderID, when the order is trusted (read is true then): the
// row, or store.ErrNotFound.
func pageShipment(ctx context.Context, orderID, id int64) (row store.AppliedShipment, read bool, err error) {
	b := marksOf(ctx)
	if b == nil || b.rows == nil || !b.rows.trusted[orderID] {
		return row, false, nil
	}
	row, ok := b.rows.byID[id]
	if !ok {
		return row, true, store.ErrNotFound
	}
	return row, true, nil
}

// pageExport returns what a confirmation page's read found of the export
// linked to Veeqo order id (read is true then): the export, or
// store.ErrNotFound.
func pageExport(ctx context.Context, id int64) (ex store.Export, read bool, err error) {
	b := marksOf(ctx)
	if b == nil || b.rows == nil || b.rows.exports == nil {
		return ex, false, nil
	}
	ex, ok := b.rows.exports[id]
	if !ok {
		return ex, true, store.ErrNotFound
	}
	return ex, true, nil
}

// pageRecord returns what the page's read found of the fetch record ref,
// when its reads may come from there (read is true then): the record, or
// store.ErrNotFound.
func pageRecord(ctx context.Context, process, ref string) (rec store.Record, read bool, err error) {
	b := marksOf(ctx)
	if process != ProcessFetch || b == nil || b.rows == nil || !b.rows.refs[ref] {
		return rec, false, nil
	}
	rec, ok := b.rows.records[ref]
	if !ok {
		return rec, true, store.ErrNotFound
	}
	return rec, true, nil
}
