package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

const shipmentCols = `account, shipment_id, allocation_id, veeqo_order_id, erp_ref, state, update_doc, warning, created_at, applied_at, version`

const (
	qShipmentInsert = `INSERT INTO shipments (` + shipmentCols + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
ON CONFLICT (account, shipment_id) DO NOTHING
RETURNING ` + shipmentCols
	qShipmentGet = `SELECT ` + shipmentCols + ` FROM shipments WHERE account = ? AND shipment_id = ?`
	// qShipmentFind is FindShipments: the ids come as JSON arrays. Each
	// half names its index (the primary key's for the shipments):
	// without statistics SQLite would scan shipments_by_created.
	qShipmentFind = `SELECT ` + shipmentCols + ` FROM shipments INDEXED BY shipments_by_veeqo_order
WHERE account = ?1 AND veeqo_order_id IN (SELECT value FROM json_each(?2))
UNION ALL
SELECT ` + shipmentCols + ` FROM shipments INDEXED BY sqlite_autoindex_shipments_1 WHERE account = ?1 AND shipment_id IN (SELECT value FROM json_each(?3))
	AND veeqo_order_id NOT IN (SELECT value FROM json_each(?2))
ORDER BY created_at, shipment_id`
	qShipmentExists = `SELECT 1 FROM shipments WHERE account = ? AND shipment_id = ?`
	qShipmentUpdate = `UPDATE shipments
SET allocation_id = ?, veeqo_order_id = ?, erp_ref = ?, state = ?, update_doc = ?, warning = ?, applied_at = ?,
	version = version + 1
WHERE account = ? AND shipment_id = ? AND version = ?
RETURNING ` + shipmentCols
)

func validShipmentState(st store.ShipmentState) bool {
	switch st {
	case store.ShipmentPending, store.ShipmentApplied, store.ShipmentIgnored, store.ShipmentVoided:
		return true
	}
	return false
}

// shipmentArgs validates sh and returns its mutable columns: allocation_id,
// veeqo_order_id, erp_ref, state, update_doc, warning, applied_at. An
// applied shipment without AppliedAt is stamped now.
func shipmentArgs(sh *store.AppliedShipment, now time.Time) ([]any, error) {
	switch {
	case sh.Account == "":
		return nil, invalid("shipment: Account is empty")
	case sh.ShipmentID <= 0:
		return nil, invalid("shipment of account %q: ShipmentID %d is not positive", sh.Account, sh.ShipmentID)
	case !validShipmentState(sh.State):
		return nil, invalid("shipment %d: State %q is not pending, applied, ignored or voided", sh.ShipmentID, sh.State)
	}
	if err := checkTime(fmt.Sprintf("shipment %d: AppliedAt", sh.ShipmentID), sh.AppliedAt); err != nil {
		return nil, err
	}
	doc, err := rawJSON(fmt.Sprintf("shipment %d: Update", sh.ShipmentID), sh.Update)
	if err != nil {
		return nil, err
	}
	if sh.State == store.ShipmentApplied && sh.AppliedAt.IsZero() {
		sh.AppliedAt = now
	}
	return []any{sh.AllocationID, sh.VeeqoOrderID, sh.ERPRef, string(sh.State), doc, sh.Warning, ts(sh.AppliedAt)}, nil
}

func scanShipment(sc scanner) (store.AppliedShipment, error) {
	var (
		sh    store.AppliedShipment
		state string
	)
	err := sc.Scan(&sh.Account, &sh.ShipmentID, &sh.AllocationID, &sh.VeeqoOrderID, &sh.ERPRef, &state,
		blobCol{(*[]byte)(&sh.Update)}, &sh.Warning, timeCol{&sh.CreatedAt}, timeCol{&sh.AppliedAt}, &sh.Version)
	if err != nil {
		return store.AppliedShipment{}, err
	}
	sh.State = store.ShipmentState(state)
	return sh, nil
}

// RecordShipment inserts sh (Version ignored; an empty State is
// store.ShipmentPending) unless (sh.Account, sh.ShipmentID) exists; it
// returns the stored row and whether it inserted. The primary key decides:
// of any number of concurrent inserts of one key exactly one returns true.
func (s *Store) RecordShipment(ctx context.Context, sh store.AppliedShipment) (store.AppliedShipment, bool, error) {
	const op = "RecordShipment"
	if sh.State == "" {
		sh.State = store.ShipmentPending
	}
	now := s.clock()
	args, err := shipmentArgs(&sh, now)
	if err != nil {
		return store.AppliedShipment{}, false, wrap(op, err)
	}
	var (
		out      store.AppliedShipment
		inserted bool
	)
	err = s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		all := []any{sh.Account, sh.ShipmentID}
		all = append(all, args[:6]...)             // allocation_id .. warning
		all = append(all, now.UnixNano(), args[6]) // created_at, applied_at
		var err error
		out, err = scanShipment(s.txQueryRow(ctx, tx, qShipmentInsert, all...))
		if err == nil {
			inserted = true
			return nil
		}
		inserted = false
		if !isNoRows(err) {
			return err
		}
		out, err = scanShipment(s.txQueryRow(ctx, tx, qShipmentGet, sh.Account, sh.ShipmentID))
		return err
	})
	if err != nil {
		return store.AppliedShipment{}, false, wrap(op, err)
	}
	return out, inserted, nil
}

// RecordShipments does what RecordShipment does for each of ss, in
// order, in one transaction.
func (s *Store) RecordShipments(ctx context.Context, ss []store.AppliedShipment) ([]store.AppliedShipment, []bool, error) {
	const op = "RecordShipments"
	now := s.clock()
	all := make([][]any, len(ss))
	for i, sh := range ss {
		if sh.State == "" {
			sh.State = store.ShipmentPending
		}
		args, err := shipmentArgs(&sh, now)
		if err != nil {
			return nil, nil, wrap(op, err)
		}
		a := []any{sh.Account, sh.ShipmentID}
		a = append(a, args[:6]...)             // allocation_id .. warning
		a = append(a, now.UnixNano(), args[6]) // created_at, applied_at
		all[i] = a
	}
	out := make([]store.AppliedShipment, len(ss))
	inserted := make([]bool, len(ss))
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for i, a := range all {
			got, err := scanShipment(s.txQueryRow(ctx, tx, qShipmentInsert, a...))
			inserted[i] = err == nil
			if err != nil {
				if !isNoRows(err) {
					return err
				}
				if got, err = scanShipment(s.txQueryRow(ctx, tx, qShipmentGet, ss[i].Account, ss[i].ShipmentID)); err != nil {
					return err
				}
			}
			out[i] = got
		}
		return nil
	})
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	return out, inserted, nil
}

// UpdateShipment writes sh if sh.Version equals the stored version
// (store.ErrConflict otherwise, store.ErrNotFound if absent). An applied
// shipment without AppliedAt is stamped.
func (s *Store) UpdateShipment(ctx context.Context, sh store.AppliedShipment) (store.AppliedShipment, error) {
	const op = "UpdateShipment"
	args, err := shipmentArgs(&sh, s.clock())
	if err != nil {
		return store.AppliedShipment{}, wrap(op, err)
	}
	var out store.AppliedShipment
	err = s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, err = s.updateShipment(ctx, tx, sh, args)
		return err
	})
	if err != nil {
		return store.AppliedShipment{}, wrap(op, err)
	}
	return out, nil
}

// updateShipment writes sh's columns (args, from shipmentArgs) in tx if its
// version is the stored one.
func (s *Store) updateShipment(ctx context.Context, tx *sql.Tx, sh store.AppliedShipment, args []any) (store.AppliedShipment, error) {
	all := append(append(make([]any, 0, len(args)+3), args...), sh.Account, sh.ShipmentID, sh.Version)
	out, err := scanShipment(s.txQueryRow(ctx, tx, qShipmentUpdate, all...))
	if isNoRows(err) {
		return store.AppliedShipment{}, s.missingOrConflict(ctx, tx, qShipmentExists,
			fmt.Sprintf("shipment %d of account %q", sh.ShipmentID, sh.Account), sh.Account, sh.ShipmentID)
	}
	return out, err
}

// CompleteShipment does UpdateShipment, UpsertRecord (when r is not nil)
// and AppendLogs in one transaction: the shipment's state, the operations
// record and the log land together or not at all (nothing is written on
// store.ErrConflict or store.ErrNotFound).
func (s *Store) CompleteShipment(ctx context.Context, sh store.AppliedShipment, r *store.RecordUpdate, logs ...store.LogEntry) (store.AppliedShipment, []store.LogEntry, error) {
	const op = "CompleteShipment"
	now := s.clock()
	args, err := shipmentArgs(&sh, now)
	if err != nil {
		return store.AppliedShipment{}, nil, wrap(op, err)
	}
	var rargs []any
	if r != nil {
		ru := *r
		if rargs, err = recordArgs(&ru, now); err != nil {
			return store.AppliedShipment{}, nil, wrap(op, err)
		}
	}
	logs = append([]store.LogEntry(nil), logs...) // logArgs fills in defaults
	largs, err := logArgs(logs, now)
	if err != nil {
		return store.AppliedShipment{}, nil, wrap(op, err)
	}
	var (
		out      store.AppliedShipment
		appended []store.LogEntry
	)
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if out, err = s.updateShipment(ctx, tx, sh, args); err != nil {
			return err
		}
		if rargs != nil {
			if _, err = s.txExec(ctx, tx, qRecordUpsertExec, rargs...); err != nil {
				return err
			}
		}
		appended, err = s.appendLogs(ctx, tx, logs, largs)
		return err
	})
	if err != nil {
		return store.AppliedShipment{}, nil, wrap(op, err)
	}
	return out, appended, nil
}

// CompleteShipments does CompleteShipment for each of cs, in order, in one
// transaction, with each Export (when not nil) written as UpdateExport
// does: all of it lands or nothing does (store.ErrConflict or
// store.ErrNotFound from any of them writes nothing).
func (s *Store) CompleteShipments(ctx context.Context, cs []store.ShipmentCompletion) ([]store.ShipmentCompletion, error) {
	const op = "CompleteShipments"
	now := s.clock()
	ps, err := prepareCompletions(cs, now)
	if err != nil {
		return nil, wrap(op, err)
	}
	out := make([]store.ShipmentCompletion, len(cs))
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for i, p := range ps {
			sh, err := s.updateShipment(ctx, tx, p.sh, p.args)
			if err != nil {
				return err
			}
			var ex *store.Export
			if p.ex != nil {
				got, err := s.updateExport(ctx, tx, *p.ex, p.eargs, now)
				if err != nil {
					return err
				}
				ex = &got
			}
			if p.rargs != nil {
				if _, err = s.txExec(ctx, tx, qRecordUpsertExec, p.rargs...); err != nil {
					return err
				}
			}
			logs, err := s.appendLogs(ctx, tx, p.logs, p.largs)
			if err != nil {
				return err
			}
			out[i] = store.ShipmentCompletion{Shipment: sh, Export: ex, Record: cs[i].Record, Logs: logs}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// preparedCompletion is one completion of a batch, checked, with its
// statements' arguments.
type preparedCompletion struct {
	sh    store.AppliedShipment
	args  []any
	ex    *store.Export
	eargs []any
	rargs []any
	logs  []store.LogEntry
	largs [][]any
}

// prepareCompletions checks a batch of completions and builds their
// statements' arguments before the transaction.
func prepareCompletions(cs []store.ShipmentCompletion, now time.Time) ([]preparedCompletion, error) {
	ps := make([]preparedCompletion, len(cs))
	for i, c := range cs {
		p := preparedCompletion{sh: c.Shipment}
		var err error
		if p.args, err = shipmentArgs(&p.sh, now); err != nil {
			return nil, err
		}
		if c.Export != nil {
			ex := *c.Export
			if p.eargs, err = exportArgs(&ex, now); err != nil {
				return nil, err
			}
			p.ex = &ex
		}
		if c.Record != nil {
			ru := *c.Record
			if p.rargs, err = recordArgs(&ru, now); err != nil {
				return nil, err
			}
		}
		p.logs = append([]store.LogEntry(nil), c.Logs...) // logArgs fills in defaults
		if p.largs, err = logArgs(p.logs, now); err != nil {
			return nil, err
		}
		ps[i] = p
	}
	return ps, nil
}

// GetShipment returns one shipment's row. store.ErrNotFound.
func (s *Store) GetShipment(ctx context.Context, account string, shipmentID int64) (store.AppliedShipment, error) {
	var out store.AppliedShipment
	err := s.readRow(ctx, func(r *sql.Row) error {
		var err error
		out, err = scanShipment(r)
		return err
	}, qShipmentGet, account, shipmentID)
	if isNoRows(err) {
		err = fmt.Errorf("shipment %d of account %q: %w", shipmentID, account, store.ErrNotFound)
	}
	if err != nil {
		return store.AppliedShipment{}, wrap("GetShipment", err)
	}
	return out, nil
}

// ListShipments returns the rows q selects, oldest first (CreatedAt, then
// ShipmentID). A zero Limit returns every row.
func (s *Store) ListShipments(ctx context.Context, q store.ShipmentQuery) ([]store.AppliedShipment, error) {
	const op = "ListShipments"
	if q.Account == "" {
		return nil, wrap(op, invalid("query: Account is empty"))
	}
	for _, st := range q.States {
		if !validShipmentState(st) {
			return nil, wrap(op, invalid("query: state %q is not pending, applied, ignored or voided", st))
		}
	}
	if q.Limit < 0 {
		return nil, wrap(op, invalid("query: Limit %d is negative", q.Limit))
	}
	query, args := shipmentListQuery(q)
	var out []store.AppliedShipment
	err := s.readRows(ctx, func() { out = nil }, func(r *sql.Rows) error {
		sh, err := scanShipment(r)
		if err == nil {
			out = append(out, sh)
		}
		return err
	}, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// FindShipments implements store.ShipmentStore in one statement: the rows
// of the Veeqo orders by their index, and the shipments by key.
func (s *Store) FindShipments(ctx context.Context, account string, veeqoOrderIDs, shipmentIDs []int64) ([]store.AppliedShipment, error) {
	const op = "FindShipments"
	if account == "" {
		return nil, wrap(op, invalid("account is empty"))
	}
	orders, err := json.Marshal(nonNil(veeqoOrderIDs))
	if err != nil {
		return nil, wrap(op, err)
	}
	ships, err := json.Marshal(nonNil(shipmentIDs))
	if err != nil {
		return nil, wrap(op, err)
	}
	var out []store.AppliedShipment
	err = s.readRows(ctx, func() { out = nil }, func(r *sql.Rows) error {
		sh, err := scanShipment(r)
		if err == nil {
			out = append(out, sh)
		}
		return err
	}, qShipmentFind, account, string(orders), string(ships))
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// nonNil returns ids, or an empty slice for nil (a JSON array either way).
func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// shipmentListQuery is ListShipments' statement for q and its arguments.
// The statement depends only on which fields q sets (and how many states),
// so the engine's frequent shapes are prepared once (shipmentListShapes).
func shipmentListQuery(q store.ShipmentQuery) (string, []any) {
	var w where
	w.add("account = ?", q.Account)
	if q.ERPRef != "" {
		w.add("erp_ref = ?", q.ERPRef)
	}
	if q.VeeqoOrderID != 0 {
		w.add("veeqo_order_id = ?", q.VeeqoOrderID)
	}
	pendingOnly := q.ERPRef == "" && q.VeeqoOrderID == 0 && len(q.States) == 1 && q.States[0] == store.ShipmentPending
	if pendingOnly {
		// The condition of the partial index shipments_pending, literally:
		// SQLite uses it only for a query whose WHERE implies it.
		w.add("state = 'pending'")
	} else {
		in(&w, "state", q.States)
	}
	// Without statistics SQLite picks shipments_by_created for the ORDER
	// BY and scans every shipment of the account; a query for one Veeqo
	// order or one ERP order must use that order's index instead (the
	// engine asks for each order a fetch or a poll lists).
	from := ` FROM shipments`
	switch {
	case q.VeeqoOrderID != 0:
		from += ` INDEXED BY shipments_by_veeqo_order`
	case q.ERPRef != "":
		from += ` INDEXED BY shipments_by_erp_ref`
	case pendingOnly:
		from += ` INDEXED BY shipments_pending`
	}
	query := `SELECT ` + shipmentCols + from + w.String() + ` ORDER BY created_at, shipment_id`
	args := w.args
	if q.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	return query, args
}

// shipmentListShapes are the ListShipments statements the engine runs for
// every order it looks at (a Veeqo order's applied shipments or all of
// them, an ERP order's applied or pending one, the pending ones), prepared
// at Open so that they are not parsed again on every call.
func shipmentListShapes() []string {
	var out []string
	for _, q := range []store.ShipmentQuery{
		{Account: "a", VeeqoOrderID: 1, States: []store.ShipmentState{store.ShipmentApplied}},
		{Account: "a", VeeqoOrderID: 1},
		{Account: "a", ERPRef: "r", States: []store.ShipmentState{store.ShipmentApplied, store.ShipmentPending}, Limit: 1},
		{Account: "a", States: []store.ShipmentState{store.ShipmentPending}},
	} {
		query, _ := shipmentListQuery(q)
		out = append(out, query)
	}
	return out
}
