// Package postgres is the oatstore backend for several replicas sharing one
// PostgreSQL database. Every invariant the SQLite backend keeps by having
// one writer is kept here with row and advisory locks inside the write
// transaction, so it holds across processes: the org row is locked while a
// token is created (limit and label), and feed rows are appended under a
// transaction-scoped advisory lock so that their sequence numbers become
// visible in order and no gateway cursor skips one. It stores and reads
// rows; the rules above them are store.New's.
package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Store is a store.Store on a PostgreSQL database: store.New's rules over
// db.
type Store struct {
	store.Store
}

// db is the store.Backend.
type db struct {
	pool *pgxpool.Pool
}

var (
	_ store.Store   = (*Store)(nil)
	_ store.Backend = (*db)(nil)
)

// maxAttempts bounds how often a write transaction is retried after a
// serialization failure or a detected deadlock.
const maxAttempts = 3

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value connection string) and migrates its schema to the current
// version. Several replicas may call Open at the same time.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parsing postgres connection string: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to postgres at %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	d := &db{pool: pool}
	if err := d.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrating postgres schema: %w", err)
	}
	return &Store{Store: store.New(d)}, nil
}

// Close closes the connection pool.
func (d *db) Close() error {
	d.pool.Close()
	return nil
}

// tx is one write transaction: a store.Tx.
type tx struct{ tx pgx.Tx }

// Write runs fn in one read-committed transaction; see write.
func (d *db) Write(ctx context.Context, fn func(store.Tx) error) error {
	return d.write(ctx, func(t pgx.Tx) error { return fn(tx{t}) })
}

// write runs fn in one read-committed transaction and commits it. A
// serialization failure or deadlock (another replica won a race the
// database could not order) reruns fn from the start.
func (d *db) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = d.try(ctx, fn)
		if !retryable(err) {
			return err
		}
	}
	return err
}

func (d *db) try(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(ctx) // the error that matters is fn's
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// PostgreSQL error codes the store reacts to.
const (
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func pgConstraint(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ConstraintName
	}
	return ""
}

func retryable(err error) bool {
	c := pgCode(err)
	return c == codeSerializationFailure || c == codeDeadlockDetected
}
