package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xoroerp/veeqoconnect/store"
)

const leaseCols = `account, holder, token, acquired_at, expires_at, host, pid, process_start, run_id`

func scanLease(row scanner) (store.Lease, error) {
	var l store.Lease
	h := &l.Holder
	err := row.Scan(&l.Account, &h.ID, &l.Token, nt(&l.AcquiredAt), nt(&l.ExpiresAt), &h.Host, &h.PID, nt(&h.ProcessStart), &h.RunID)
	return l, err
}

func validTTL(op string, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("pgstore: %s: ttl %v is not positive", op, ttl)
	}
	return nil
}

// AcquireLease takes the account's lease for ttl if it is free, expired, or
// already the holder's (then it is extended and keeps its token; that holds
// even after expiry, as long as no one else took it in between).
// ErrLeaseHeld when another holder has it.
//
// It is one conditional upsert: the row lock PostgreSQL takes on conflict
// makes N concurrent acquirers, on any machine, see each other's writes, so
// exactly one succeeds. Expiry is judged by the store's clock.
func (s *Store) AcquireLease(ctx context.Context, account string, holder store.Holder, ttl time.Duration) (store.Lease, error) {
	if err := required("AcquireLease", "account", account, "holder ID", holder.ID); err != nil {
		return store.Lease{}, err
	}
	if err := validTTL("AcquireLease", ttl); err != nil {
		return store.Lease{}, err
	}
	now := s.now()
	l, err := scanLease(s.pool.QueryRow(ctx, s.q(`INSERT INTO {s}.leases AS l (`+leaseCols+`)
		VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (account) DO UPDATE SET
			holder        = excluded.holder,
			token         = CASE WHEN l.holder = excluded.holder THEN l.token ELSE l.token + 1 END,
			acquired_at   = CASE WHEN l.holder = excluded.holder THEN l.acquired_at ELSE excluded.acquired_at END,
			expires_at    = excluded.expires_at,
			host          = excluded.host,
			pid           = excluded.pid,
			process_start = excluded.process_start,
			run_id        = excluded.run_id
		WHERE l.holder = excluded.holder OR l.holder = '' OR l.expires_at <= excluded.acquired_at
		RETURNING `+leaseCols),
		account, holder.ID, now, now.Add(ttl), holder.Host, holder.PID, tsArg(holder.ProcessStart), holder.RunID))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Lease{}, fmt.Errorf("pgstore: AcquireLease %q for %q: %w", account, holder.ID, store.ErrLeaseHeld)
	}
	if err != nil {
		return store.Lease{}, fmt.Errorf("pgstore: AcquireLease %q: %w", account, err)
	}
	return l, nil
}

// GetLease returns the account's lease as stored; a Lease with an empty
// Holder.ID when it is free.
func (s *Store) GetLease(ctx context.Context, account string) (store.Lease, error) {
	if err := required("GetLease", "account", account); err != nil {
		return store.Lease{}, err
	}
	l, err := scanLease(s.pool.QueryRow(ctx, s.q(`SELECT `+leaseCols+` FROM {s}.leases WHERE account = $1`), account))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Lease{Account: account}, nil
	}
	if err != nil {
		return store.Lease{}, fmt.Errorf("pgstore: GetLease %q: %w", account, err)
	}
	return l, nil
}

// TakeOverLease gives from's account to holder if from is still the stored
// lease (same holder ID and token), expired or not; the token increases.
// ErrLeaseLost otherwise.
func (s *Store) TakeOverLease(ctx context.Context, from store.Lease, holder store.Holder, ttl time.Duration) (store.Lease, error) {
	if err := required("TakeOverLease", "Account", from.Account, "old holder ID", from.Holder.ID, "new holder ID", holder.ID); err != nil {
		return store.Lease{}, err
	}
	if err := validTTL("TakeOverLease", ttl); err != nil {
		return store.Lease{}, err
	}
	now := s.now()
	l, err := scanLease(s.pool.QueryRow(ctx, s.q(`UPDATE {s}.leases SET
			holder = $4, token = token + 1, acquired_at = $5, expires_at = $6,
			host = $7, pid = $8, process_start = $9, run_id = $10
		WHERE account = $1 AND holder = $2 AND token = $3 AND holder <> ''
		RETURNING `+leaseCols),
		from.Account, from.Holder.ID, from.Token, holder.ID, now, now.Add(ttl),
		holder.Host, holder.PID, tsArg(holder.ProcessStart), holder.RunID))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Lease{}, fmt.Errorf("pgstore: TakeOverLease %q token %d: %w", from.Account, from.Token, store.ErrLeaseLost)
	}
	if err != nil {
		return store.Lease{}, fmt.Errorf("pgstore: TakeOverLease %q: %w", from.Account, err)
	}
	return l, nil
}

// RenewLease extends l by ttl from now. ErrLeaseLost if l is no longer held
// (expired and taken by another, or released); a lease that expired but was
// not taken is renewed.
func (s *Store) RenewLease(ctx context.Context, l store.Lease, ttl time.Duration) (store.Lease, error) {
	if err := required("RenewLease", "Account", l.Account, "Holder.ID", l.Holder.ID); err != nil {
		return store.Lease{}, err
	}
	if err := validTTL("RenewLease", ttl); err != nil {
		return store.Lease{}, err
	}
	got, err := scanLease(s.pool.QueryRow(ctx, s.q(`UPDATE {s}.leases SET expires_at = $4
		WHERE account = $1 AND holder = $2 AND token = $3
		RETURNING `+leaseCols),
		l.Account, l.Holder.ID, l.Token, s.now().Add(ttl)))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Lease{}, fmt.Errorf("pgstore: RenewLease %q token %d: %w", l.Account, l.Token, store.ErrLeaseLost)
	}
	if err != nil {
		return store.Lease{}, fmt.Errorf("pgstore: RenewLease %q: %w", l.Account, err)
	}
	return got, nil
}

// ReleaseLease frees l. ErrLeaseLost if it was no longer held. The row
// stays (holder empty) so that the next acquisition's token is higher.
func (s *Store) ReleaseLease(ctx context.Context, l store.Lease) error {
	if err := required("ReleaseLease", "Account", l.Account, "Holder.ID", l.Holder.ID); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, s.q(`UPDATE {s}.leases SET holder = '', expires_at = least(expires_at, $4),
			host = '', pid = 0, process_start = NULL, run_id = ''
		WHERE account = $1 AND holder = $2 AND token = $3`),
		l.Account, l.Holder.ID, l.Token, s.now())
	if err != nil {
		return fmt.Errorf("pgstore: ReleaseLease %q: %w", l.Account, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: ReleaseLease %q token %d: %w", l.Account, l.Token, store.ErrLeaseLost)
	}
	return nil
}
