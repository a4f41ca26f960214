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
const (
	qLeaseAcquire = `INSERT INTO leases (account, holder, token, acquired_at, expires_at)
VALUES (?, ?, 1, ?, ?)
ON CONFLICT (account) DO UPDATE SET
	token       = CASE WHEN leases.holder = excluded.holder THEN leases.token ELSE leases.token + 1 END,
	acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END,
	holder      = excluded.holder,
	expires_at  = excluded.expires_at
WHERE leases.holder = excluded.holder OR leases.holder = '' OR leases.expires_at <= excluded.acquired_at
RETURNING holder, token, acquired_at, expires_at`
	qLeaseRenew = `UPDATE leases SET expires_at = ?
WHERE account = ? AND holder = ? AND token = ?
RETURNING holder, token, acquired_at, expires_at`
	qLeaseRelease = `UPDATE leases SET holder = '', expires_at = 0
WHERE account = ? AND holder = ? AND token = ?`
)

func checkLease(account, holder string, ttl time.Duration, withTTL bool) error {
	switch {
	case account == "":
		return invalid("lease: account is empty")
	case holder == "":
		return invalid("lease of account %q: holder is empty", account)
	case withTTL && ttl <= 0:
		return invalid("lease of account %q: ttl %v is not positive", account, ttl)
	}
	return nil
}

func scanLease(account string, sc scanner) (store.Lease, error) {
	l := store.Lease{Account: account}
	err := sc.Scan(&l.Holder, &l.Token, timeCol{&l.AcquiredAt}, timeCol{&l.ExpiresAt})
	return l, err
}

// AcquireLease takes the account's lease for ttl if it is free, expired, or
// already the holder's (then it is extended and keeps its token).
// store.ErrLeaseHeld when another holder has it. One conditional upsert
// decides, so of any number of acquirers in any number of processes exactly
// one succeeds.
func (s *Store) AcquireLease(ctx context.Context, account, holder string, ttl time.Duration) (store.Lease, error) {
	const op = "AcquireLease"
	if err := checkLease(account, holder, ttl, true); err != nil {
		return store.Lease{}, wrap(op, err)
	}
	var l store.Lease
	err := s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := s.clock()
		var err error
		l, err = scanLease(account, s.txQueryRow(ctx, tx, qLeaseAcquire,
			account, holder, now.UnixNano(), now.Add(ttl).UnixNano()))
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

// RenewLease extends l by ttl from now. store.ErrLeaseLost if l is no longer
// held (expired and taken by another, or released); a lease that expired
// but was not taken is still the holder's and is renewed.
func (s *Store) RenewLease(ctx context.Context, l store.Lease, ttl time.Duration) (store.Lease, error) {
	const op = "RenewLease"
	if err := checkLease(l.Account, l.Holder, ttl, true); err != nil {
		return store.Lease{}, wrap(op, err)
	}
	var out store.Lease
	err := s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, err = scanLease(l.Account, s.txQueryRow(ctx, tx, qLeaseRenew,
			s.clock().Add(ttl).UnixNano(), l.Account, l.Holder, l.Token))
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
	if err := checkLease(l.Account, l.Holder, 0, false); err != nil {
		return wrap(op, err)
	}
	err := s.write1(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, qLeaseRelease, l.Account, l.Holder, l.Token)
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
