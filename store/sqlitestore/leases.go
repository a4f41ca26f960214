package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

// qLeaseAcquire takes the lease in one statement, so SQLite's write lock
// makes it atomic across connections and processes. A lease row outlives its
// release (holder ”), so the token keeps increasing. The SET expressions
// see the old row: the same holder keeps its token and AcquiredAt; anyone
// else gets token+1. The WHERE lets the upsert through only when the lease is
// the caller's, released, or expired; otherwise no row is returned.
// qLeaseTakeOver replaces a lease that is still (holder, token), whatever
// its expiry.
const (
	leaseCols     = `holder, token, acquired_at, expires_at, host, pid, process_start, run_id`
	qLeaseAcquire = `INSERT INTO leases (account, holder, token, acquired_at, expires_at, host, pid, process_start, run_id)
VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)
ON CONFLICT (account) DO UPDATE SET
	token         = CASE WHEN leases.holder = excluded.holder THEN leases.token ELSE leases.token + 1 END,
	acquired_at   = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END,
	holder        = excluded.holder,
	expires_at    = excluded.expires_at,
	host          = excluded.host,
	pid           = excluded.pid,
	process_start = excluded.process_start,
	run_id        = excluded.run_id
WHERE leases.holder = excluded.holder OR leases.holder = '' OR leases.expires_at <= excluded.acquired_at
RETURNING ` + leaseCols
	qLeaseTakeOver = `UPDATE leases SET holder = ?, token = token + 1, acquired_at = ?, expires_at = ?,
	host = ?, pid = ?, process_start = ?, run_id = ?
WHERE account = ? AND holder = ? AND token = ? AND holder <> ''
RETURNING ` + leaseCols
	qLeaseGet   = `SELECT ` + leaseCols + ` FROM leases WHERE account = ?`
	qLeaseRenew = `UPDATE leases SET expires_at = ?
WHERE account = ? AND holder = ? AND token = ?
RETURNING ` + leaseCols
	qLeaseRelease = `UPDATE leases SET holder = '', expires_at = 0, host = '', pid = 0, process_start = 0, run_id = ''
WHERE account = ? AND holder = ? AND token = ?`
)

func checkLease(account, holder string, ttl time.Duration, withTTL bool) error {
	switch {
	case account == "":
		return invalid("lease: account is empty")
	case holder == "":
		return invalid("lease of account %q: holder ID is empty", account)
	case withTTL && ttl <= 0:
		return invalid("lease of account %q: ttl %v is not positive", account, ttl)
	}
	return nil
}

func scanLease(account string, sc scanner) (store.Lease, error) {
	l := store.Lease{Account: account}
	h := &l.Holder
	err := sc.Scan(&h.ID, &l.Token, timeCol{&l.AcquiredAt}, timeCol{&l.ExpiresAt}, &h.Host, &h.PID, timeCol{&h.ProcessStart}, &h.RunID)
	return l, err
}

// holderArgs are the identity columns' values for h.
func holderArgs(h store.Holder) []any {
	return []any{h.Host, h.PID, tsn(h.ProcessStart), h.RunID}
}

// AcquireLease takes the account's lease for ttl if it is free, expired, or
// already the holder's (then it is extended and keeps its token).
// store.ErrLeaseHeld when another holder has it. One conditional upsert
// decides, so of any number of acquirers in any number of processes exactly
// one succeeds.
func (s *Store) AcquireLease(ctx context.Context, account string, holder store.Holder, ttl time.Duration) (store.Lease, error) {
	const op = "AcquireLease"
	if err := checkLease(account, holder.ID, ttl, true); err != nil {
		return store.Lease{}, wrap(op, err)
	}
	var l store.Lease
	err := s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := s.clock()
		var err error
		args := append([]any{account, holder.ID, now.UnixNano(), now.Add(ttl).UnixNano()}, holderArgs(holder)...)
		l, err = scanLease(account, s.txQueryRow(ctx, tx, qLeaseAcquire, args...))
		if isNoRows(err) {
			return fmt.Errorf("account %q: %w", account, store.ErrLeaseHeld)
		}
		return err
	})
	if err != nil {
		return store.Lease{}, wrap(op, err)
	}
	return l, nil
}

// GetLease returns the account's lease as stored; a Lease with an empty
// Holder.ID when it is free.
func (s *Store) GetLease(ctx context.Context, account string) (store.Lease, error) {
	const op = "GetLease"
	if account == "" {
		return store.Lease{}, wrap(op, invalid("lease: account is empty"))
	}
	var l store.Lease
	err := s.readRow(ctx, func(row *sql.Row) error {
		var err error
		l, err = scanLease(account, row)
		if isNoRows(err) {
			l, err = store.Lease{Account: account}, nil
		}
		return err
	}, qLeaseGet, account)
	if err != nil {
		return store.Lease{}, wrap(op, err)
	}
	return l, nil
}

// TakeOverLease gives from's account to holder if from is still the stored
// lease (same holder ID and token), expired or not; the token increases.
// store.ErrLeaseLost otherwise.
func (s *Store) TakeOverLease(ctx context.Context, from store.Lease, holder store.Holder, ttl time.Duration) (store.Lease, error) {
	const op = "TakeOverLease"
	if err := checkLease(from.Account, from.Holder.ID, ttl, true); err != nil {
		return store.Lease{}, wrap(op, err)
	}
	if err := checkLease(from.Account, holder.ID, ttl, true); err != nil {
		return store.Lease{}, wrap(op, err)
	}
	var l store.Lease
	err := s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := s.clock()
		args := append([]any{holder.ID, now.UnixNano(), now.Add(ttl).UnixNano()}, holderArgs(holder)...)
		args = append(args, from.Account, from.Holder.ID, from.Token)
		var err error
		l, err = scanLease(from.Account, s.txQueryRow(ctx, tx, qLeaseTakeOver, args...))
		if isNoRows(err) {
			return fmt.Errorf("account %q, token %d: %w", from.Account, from.Token, store.ErrLeaseLost)
		}
		return err
	})
	if err != nil {
		return store.Lease{}, wrap(op, err)
	}
	return l, nil
}

// RenewLease extends l by ttl from now. store.ErrLeaseLost if l is no longer
// held (expired and taken by another, or released); a lease that expired
// but was not taken is still the holder's and is renewed.
func (s *Store) RenewLease(ctx context.Context, l store.Lease, ttl time.Duration) (store.Lease, error) {
	const op = "RenewLease"
	if err := checkLease(l.Account, l.Holder.ID, ttl, true); err != nil {
		return store.Lease{}, wrap(op, err)
	}
	var out store.Lease
	err := s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, err = scanLease(l.Account, s.txQueryRow(ctx, tx, qLeaseRenew,
			s.clock().Add(ttl).UnixNano(), l.Account, l.Holder.ID, l.Token))
		if isNoRows(err) {
			return fmt.Errorf("account %q, token %d: %w", l.Account, l.Token, store.ErrLeaseLost)
		}
		return err
	})
	if err != nil {
		return store.Lease{}, wrap(op, err)
	}
	return out, nil
}

// ReleaseLease frees l. store.ErrLeaseLost if it was no longer held.
func (s *Store) ReleaseLease(ctx context.Context, l store.Lease) error {
	const op = "ReleaseLease"
	if err := checkLease(l.Account, l.Holder.ID, 0, false); err != nil {
		return wrap(op, err)
	}
	err := s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, qLeaseRelease, l.Account, l.Holder.ID, l.Token)
		if err != nil {
			return err
		}
		if n, err := affected(res); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("account %q, token %d: %w", l.Account, l.Token, store.ErrLeaseLost)
		}
		return nil
	})
	return wrap(op, err)
}
