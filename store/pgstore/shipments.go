package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xoroerp/veeqoconnect/store"
)

const shipmentCols = `account, shipment_id, allocation_id, veeqo_order_id, erp_ref, state, erp_update, warning, created_at, applied_at, version`

func scanShipment(row scanner) (store.AppliedShipment, error) {
	var sh store.AppliedShipment
	var state string
	var update []byte
	if err := row.Scan(&sh.Account, &sh.ShipmentID, &sh.AllocationID, &sh.VeeqoOrderID, &sh.ERPRef, &state,
		&update, &sh.Warning, nt(&sh.CreatedAt), nt(&sh.AppliedAt), &sh.Version); err != nil {
		return store.AppliedShipment{}, err
	}
	sh.State = store.ShipmentState(state)
	if update != nil {
		sh.Update = update
	}
	return sh, nil
}

func validShipmentState(st store.ShipmentState) bool {
	switch st {
	case store.ShipmentPending, store.ShipmentApplied, store.ShipmentIgnored, store.ShipmentVoided:
		return true
	}
	return false
}

// shipmentArgs validates sh and returns its applied-at stamp (now when it is
// applied and the caller left it zero).
func shipmentArgs(op string, sh store.AppliedShipment, now time.Time) (any, error) {
	if err := required(op, "Account", sh.Account); err != nil {
		return nil, err
	}
	if sh.ShipmentID == 0 {
		return nil, fmt.Errorf("pgstore: %s: ShipmentID is 0", op)
	}
	if !validShipmentState(sh.State) {
		return nil, fmt.Errorf("pgstore: %s %d: unknown State %q", op, sh.ShipmentID, sh.State)
	}
	appliedAt := tsArg(sh.AppliedAt)
	if appliedAt == nil && sh.State == store.ShipmentApplied {
		appliedAt = now
	}
	return appliedAt, nil
}

// RecordShipment inserts sh (Version ignored; an empty State is pending)
// unless (sh.Account, sh.ShipmentID) exists; it returns the stored row and
// whether it inserted. The primary key decides: of N concurrent inserts, on
// any machine, exactly one returns true.
func (s *Store) RecordShipment(ctx context.Context, sh store.AppliedShipment) (store.AppliedShipment, bool, error) {
	if sh.State == "" {
		sh.State = store.ShipmentPending
	}
	now := s.now()
	appliedAt, err := shipmentArgs("RecordShipment", sh, now)
	if err != nil {
		return store.AppliedShipment{}, false, err
	}
	for range 3 {
		got, err := scanShipment(s.pool.QueryRow(ctx, s.q(`INSERT INTO {s}.shipments (`+shipmentCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)
			ON CONFLICT (account, shipment_id) DO NOTHING
			RETURNING `+shipmentCols),
			sh.Account, sh.ShipmentID, sh.AllocationID, sh.VeeqoOrderID, sh.ERPRef, string(sh.State),
			[]byte(sh.Update), sh.Warning, now, appliedAt))
		if err == nil {
			return got, true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return store.AppliedShipment{}, false, fmt.Errorf("pgstore: RecordShipment %d: %w", sh.ShipmentID, err)
		}
		got, err = s.getShipment(ctx, sh.Account, sh.ShipmentID)
		if err == nil {
			return got, false, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return store.AppliedShipment{}, false, fmt.Errorf("pgstore: RecordShipment %d: %w", sh.ShipmentID, err)
		}
	}
	return store.AppliedShipment{}, false, fmt.Errorf("pgstore: RecordShipment %d: the existing row vanished three times: %w", sh.ShipmentID, store.ErrConflict)
}

// RecordShipments does what RecordShipment does for each of ss, in order,
// in one transaction and one round trip (a pipelined batch of inserts); a
// row that was there already is read after, in the same transaction.
func (s *Store) RecordShipments(ctx context.Context, ss []store.AppliedShipment) ([]store.AppliedShipment, []bool, error) {
	const op = "RecordShipments"
	now := s.now()
	b := &pgx.Batch{}
	for _, sh := range ss {
		if sh.State == "" {
			sh.State = store.ShipmentPending
		}
		appliedAt, err := shipmentArgs(op, sh, now)
		if err != nil {
			return nil, nil, err
		}
		b.Queue(s.q(`INSERT INTO {s}.shipments (`+shipmentCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)
			ON CONFLICT (account, shipment_id) DO NOTHING
			RETURNING `+shipmentCols),
			sh.Account, sh.ShipmentID, sh.AllocationID, sh.VeeqoOrderID, sh.ERPRef, string(sh.State),
			[]byte(sh.Update), sh.Warning, now, appliedAt)
	}
	out := make([]store.AppliedShipment, len(ss))
	inserted := make([]bool, len(ss))
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if len(ss) == 0 {
			return nil
		}
		br := tx.SendBatch(ctx, b)
		for i := range ss {
			got, err := scanShipment(br.QueryRow())
			switch {
			case err == nil:
				out[i], inserted[i] = got, true
			case !errors.Is(err, pgx.ErrNoRows):
				_ = br.Close()
				return fmt.Errorf("pgstore: %s %d: %w", op, ss[i].ShipmentID, err)
			}
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("pgstore: %s: %w", op, err)
		}
		for i, sh := range ss {
			if inserted[i] {
				continue
			}
			got, err := scanShipment(tx.QueryRow(ctx, s.q(`SELECT `+shipmentCols+` FROM {s}.shipments
				WHERE account = $1 AND shipment_id = $2`), sh.Account, sh.ShipmentID))
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("pgstore: %s %d: the existing row vanished: %w", op, sh.ShipmentID, store.ErrConflict)
			}
			if err != nil {
				return fmt.Errorf("pgstore: %s %d: %w", op, sh.ShipmentID, err)
			}
			out[i] = got
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, inserted, nil
}

func (s *Store) getShipment(ctx context.Context, account string, id int64) (store.AppliedShipment, error) {
	return scanShipment(s.pool.QueryRow(ctx, s.q(`SELECT `+shipmentCols+` FROM {s}.shipments
		WHERE account = $1 AND shipment_id = $2`), account, id))
}

// UpdateShipment writes sh if sh.Version equals the stored version
// (ErrConflict otherwise, ErrNotFound if absent). CreatedAt is kept.
func (s *Store) UpdateShipment(ctx context.Context, sh store.AppliedShipment) (store.AppliedShipment, error) {
	appliedAt, err := shipmentArgs("UpdateShipment", sh, s.now())
	if err != nil {
		return store.AppliedShipment{}, err
	}
	got, err := scanShipment(s.pool.QueryRow(ctx, s.q(`UPDATE {s}.shipments
		SET allocation_id = $4, veeqo_order_id = $5, erp_ref = $6, state = $7, erp_update = $8, warning = $9,
			applied_at = $10, version = version + 1
		WHERE account = $1 AND shipment_id = $2 AND version = $3
		RETURNING `+shipmentCols),
		sh.Account, sh.ShipmentID, sh.Version, sh.AllocationID, sh.VeeqoOrderID, sh.ERPRef, string(sh.State),
		[]byte(sh.Update), sh.Warning, appliedAt))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AppliedShipment{}, s.missOrConflict(ctx, "UpdateShipment",
			`SELECT 1 FROM {s}.shipments WHERE account = $1 AND shipment_id = $2`,
			fmt.Sprintf("shipment %q/%d version %d", sh.Account, sh.ShipmentID, sh.Version), sh.Account, sh.ShipmentID)
	}
	if err != nil {
		return store.AppliedShipment{}, fmt.Errorf("pgstore: UpdateShipment %d: %w", sh.ShipmentID, err)
	}
	return got, nil
}

// CompleteShipment does UpdateShipment, UpsertRecord (when r is not nil)
// and AppendLogs in one transaction: the shipment's state, the operations
// record and the log land together or not at all (nothing is written on
// ErrConflict or ErrNotFound). The update and the record are pipelined in
// one round trip.
func (s *Store) CompleteShipment(ctx context.Context, sh store.AppliedShipment, r *store.RecordUpdate, logs ...store.LogEntry) (store.AppliedShipment, []store.LogEntry, error) {
	const op = "CompleteShipment"
	b, err := s.completeShipmentBatch(sh, r, logs)
	if err != nil {
		return store.AppliedShipment{}, nil, err
	}
	var (
		out      store.AppliedShipment
		appended []store.LogEntry
		missed   bool
	)
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		br := tx.SendBatch(ctx, b)
		got, err := scanShipment(br.QueryRow())
		if errors.Is(err, pgx.ErrNoRows) {
			missed = true
			_ = br.Close()
			return err
		}
		if err != nil {
			_ = br.Close()
			return fmt.Errorf("pgstore: %s %d: %w", op, sh.ShipmentID, err)
		}
		if r != nil {
			if _, err := br.Exec(); err != nil {
				_ = br.Close()
				return fmt.Errorf("pgstore: %s %d: record: %w", op, sh.ShipmentID, err)
			}
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("pgstore: %s %d: %w", op, sh.ShipmentID, err)
		}
		if appended, err = s.appendLogs(ctx, tx, logs); err != nil {
			return fmt.Errorf("pgstore: %s %d: logs: %w", op, sh.ShipmentID, err)
		}
		out = got
		return nil
	})
	if missed {
		return store.AppliedShipment{}, nil, s.missOrConflict(ctx, op,
			`SELECT 1 FROM {s}.shipments WHERE account = $1 AND shipment_id = $2`,
			fmt.Sprintf("shipment %q/%d version %d", sh.Account, sh.ShipmentID, sh.Version), sh.Account, sh.ShipmentID)
	}
	if err != nil {
		return store.AppliedShipment{}, nil, err
	}
	return out, appended, nil
}

// CompleteShipments does CompleteShipment for each of cs, in order, in one
// transaction, with each Export (when not nil) written as UpdateExport
// does: all of it lands or nothing does (ErrConflict or ErrNotFound from
// any of them writes nothing). Every update and record is pipelined in one
// round trip, and every log entry appended in one statement.
func (s *Store) CompleteShipments(ctx context.Context, cs []store.ShipmentCompletion) ([]store.ShipmentCompletion, error) {
	const op = "CompleteShipments"
	b, logs, err := s.completionsBatch(op, cs)
	if err != nil {
		return nil, err
	}
	var (
		out                  []store.ShipmentCompletion
		missedShip, missedEx = -1, -1
	)
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		out = make([]store.ShipmentCompletion, len(cs))
		if len(cs) == 0 {
			return nil
		}
		br := tx.SendBatch(ctx, b)
		var err error
		if missedShip, missedEx, err = readCompletions(op, br, cs, out); err != nil {
			_ = br.Close()
			return err
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("pgstore: %s: %w", op, err)
		}
		appended, err := s.appendLogs(ctx, tx, logs)
		if err != nil {
			return fmt.Errorf("pgstore: %s: logs: %w", op, err)
		}
		for i, c := range cs {
			out[i].Logs, appended = appended[:len(c.Logs):len(c.Logs)], appended[len(c.Logs):]
		}
		return nil
	})
	switch {
	case missedShip >= 0:
		sh := cs[missedShip].Shipment
		return nil, s.missOrConflict(ctx, op,
			`SELECT 1 FROM {s}.shipments WHERE account = $1 AND shipment_id = $2`,
			fmt.Sprintf("shipment %q/%d version %d", sh.Account, sh.ShipmentID, sh.Version), sh.Account, sh.ShipmentID)
	case missedEx >= 0:
		ex := *cs[missedEx].Export
		_, err := s.updateExportResult(ctx, op, ex, store.Export{}, pgx.ErrNoRows)
		return nil, err
	case err != nil:
		return nil, err
	}
	return out, nil
}

// completionsBatch checks a batch of completions and queues every shipment
// update, export update and record upsert for one round trip; the log
// entries are returned to be appended in one statement.
func (s *Store) completionsBatch(op string, cs []store.ShipmentCompletion) (*pgx.Batch, []store.LogEntry, error) {
	b := &pgx.Batch{}
	var logs []store.LogEntry
	for _, c := range cs {
		cb, err := s.completeShipmentBatch(c.Shipment, nil, c.Logs)
		if err != nil {
			return nil, nil, err
		}
		b.QueuedQueries = append(b.QueuedQueries, cb.QueuedQueries...)
		if c.Export != nil {
			sql, args, err := s.updateExportSQL(op, *c.Export)
			if err != nil {
				return nil, nil, err
			}
			b.Queue(sql, args...)
		}
		if c.Record != nil {
			if err := validRecordUpdate(op, *c.Record); err != nil {
				return nil, nil, err
			}
			sql, args := s.upsertRecordSQL(*c.Record)
			b.Queue(sql, args...)
		}
		logs = append(logs, c.Logs...)
	}
	return b, logs, nil
}

// readCompletions reads the batch's results into out, in the order
// completionsBatch queued them. A shipment or export update that matched
// no row (missing, or another version) is reported by its index, with
// pgx.ErrNoRows; -1 when none.
func readCompletions(op string, br pgx.BatchResults, cs []store.ShipmentCompletion, out []store.ShipmentCompletion) (missedShip, missedEx int, err error) {
	for i, c := range cs {
		got, err := scanShipment(br.QueryRow())
		if errors.Is(err, pgx.ErrNoRows) {
			return i, -1, err
		}
		if err != nil {
			return -1, -1, fmt.Errorf("pgstore: %s %d: %w", op, c.Shipment.ShipmentID, err)
		}
		out[i] = store.ShipmentCompletion{Shipment: got, Record: c.Record}
		if c.Export != nil {
			ex, err := scanExport(br.QueryRow())
			if errors.Is(err, pgx.ErrNoRows) {
				return -1, i, err
			}
			if err != nil {
				return -1, -1, fmt.Errorf("pgstore: %s %d: export: %w", op, c.Shipment.ShipmentID, err)
			}
			out[i].Export = &ex
		}
		if c.Record != nil {
			if _, err := br.Exec(); err != nil {
				return -1, -1, fmt.Errorf("pgstore: %s %d: record: %w", op, c.Shipment.ShipmentID, err)
			}
		}
	}
	return -1, -1, nil
}

// completeShipmentBatch checks CompleteShipment's writes and queues the
// shipment's update and the record for one round trip.
func (s *Store) completeShipmentBatch(sh store.AppliedShipment, r *store.RecordUpdate, logs []store.LogEntry) (*pgx.Batch, error) {
	const op = "CompleteShipment"
	appliedAt, err := shipmentArgs(op, sh, s.now())
	if err != nil {
		return nil, err
	}
	if r != nil {
		if err := validRecordUpdate(op, *r); err != nil {
			return nil, err
		}
	}
	if err := validLogs(op, logs); err != nil {
		return nil, err
	}
	b := &pgx.Batch{}
	b.Queue(s.q(`UPDATE {s}.shipments
		SET allocation_id = $4, veeqo_order_id = $5, erp_ref = $6, state = $7, erp_update = $8, warning = $9,
			applied_at = $10, version = version + 1
		WHERE account = $1 AND shipment_id = $2 AND version = $3
		RETURNING `+shipmentCols),
		sh.Account, sh.ShipmentID, sh.Version, sh.AllocationID, sh.VeeqoOrderID, sh.ERPRef, string(sh.State),
		[]byte(sh.Update), sh.Warning, appliedAt)
	if r != nil {
		sql, args := s.upsertRecordSQL(*r)
		b.Queue(sql, args...)
	}
	return b, nil
}

// GetShipment returns one shipment's row. ErrNotFound.
func (s *Store) GetShipment(ctx context.Context, account string, shipmentID int64) (store.AppliedShipment, error) {
	sh, err := s.getShipment(ctx, account, shipmentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AppliedShipment{}, fmt.Errorf("pgstore: shipment %q/%d: %w", account, shipmentID, store.ErrNotFound)
	}
	if err != nil {
		return store.AppliedShipment{}, fmt.Errorf("pgstore: GetShipment %d: %w", shipmentID, err)
	}
	return sh, nil
}

// ListShipments returns rows matching q, oldest first (CreatedAt, then
// ShipmentID). A zero Limit returns every match: the engine relies on
// seeing every pending row.
// FindShipments implements store.ShipmentStore in one statement: the rows
// of the Veeqo orders by their index, and the shipments by key.
func (s *Store) FindShipments(ctx context.Context, account string, veeqoOrderIDs, shipmentIDs []int64) ([]store.AppliedShipment, error) {
	if err := required("FindShipments", "Account", account); err != nil {
		return nil, err
	}
	if veeqoOrderIDs == nil {
		veeqoOrderIDs = []int64{}
	}
	if shipmentIDs == nil {
		shipmentIDs = []int64{}
	}
	rows, err := s.pool.Query(ctx, s.q(`SELECT `+shipmentCols+` FROM {s}.shipments WHERE account = $1 AND veeqo_order_id = ANY($2)
		UNION ALL
		SELECT `+shipmentCols+` FROM {s}.shipments WHERE account = $1 AND shipment_id = ANY($3) AND veeqo_order_id <> ALL($2)
		ORDER BY created_at, shipment_id`), account, veeqoOrderIDs, shipmentIDs)
	if err != nil {
		return nil, fmt.Errorf("pgstore: FindShipments: %w", err)
	}
	out, err := collect(rows, scanShipment)
	if err != nil {
		return nil, fmt.Errorf("pgstore: FindShipments: %w", err)
	}
	return out, nil
}

func (s *Store) ListShipments(ctx context.Context, q store.ShipmentQuery) ([]store.AppliedShipment, error) {
	if err := required("ListShipments", "Account", q.Account); err != nil {
		return nil, err
	}
	n, err := limit("pgstore: ListShipments", q.Limit, 0, 0)
	if err != nil {
		return nil, err
	}
	var w where
	w.add("account = ?", q.Account)
	if q.ERPRef != "" {
		w.add("erp_ref = ?", q.ERPRef)
	}
	if q.VeeqoOrderID != 0 {
		w.add("veeqo_order_id = ?", q.VeeqoOrderID)
	}
	if len(q.States) > 0 {
		w.add("state = ANY(?)", stringsOf(q.States))
	}
	sql := `SELECT ` + shipmentCols + ` FROM {s}.shipments WHERE ` + w.sql() + ` ORDER BY created_at, shipment_id`
	if n > 0 {
		sql += ` LIMIT ` + fmt.Sprint(n)
	}
	rows, err := s.pool.Query(ctx, s.q(sql), w.args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: ListShipments: %w", err)
	}
	out, err := collect(rows, scanShipment)
	if err != nil {
		return nil, fmt.Errorf("pgstore: ListShipments: %w", err)
	}
	return out, nil
}
