// Package sqlite is the default oatstore backend: one SQLite file in WAL
// mode with synchronous=FULL, so that a crash at any moment loses nothing
// that was acknowledged. It stores and reads rows; the rules above them
// are store.New's.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	// The pure-Go SQLite driver, registered as "sqlite".
	_ "modernc.org/sqlite"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// Store is a store.Store on a SQLite database: store.New's rules over db.
type Store struct {
	store.Store
	db *db
}

// db is the store.Backend.
//
// Writes go through one connection (SQLite has one writer anyway), each in
// a BEGIN IMMEDIATE transaction, so concurrent writers queue in Go instead
// of failing with SQLITE_BUSY. Reads use a separate pool and, thanks to WAL,
// never wait for the writer.
type db struct {
	w *sql.DB // writer: one connection, immediate transactions
	r *sql.DB // readers
	// byHash is introspection's query, prepared once: parsing SQL was a
	// tenth of the time of a warm introspection.
	byHash *sql.Stmt
	// issue holds the statements every federated token issue runs, prepared
	// once on the writer (see federation.go).
	issue *issueStmts
}

var (
	_ store.Store   = (*Store)(nil)
	_ store.Backend = (*db)(nil)
)

// Open opens (creating if needed) the database at path and migrates its
// schema to the current version.
func Open(ctx context.Context, path string) (*Store, error) {
	w, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrating %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("opening %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("opening %s for reading: %w", path, err)
	}
	byHash, err := r.PrepareContext(ctx, `SELECT `+tokenSelect+` FROM tokens WHERE hash = ?`)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("preparing lookup: %w", err)
	}
	issue, err := prepareIssue(ctx, w)
	if err != nil {
		byHash.Close()
		w.Close()
		r.Close()
		return nil, err
	}
	d := &db{w: w, r: r, byHash: byHash, issue: issue}
	return &Store{Store: store.New(d), db: d}, nil
}

// dsn builds the connection string. busy_timeout still matters with one Go
// writer: another process (a backup, the sqlite3 shell) may hold the lock.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	if writer {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Close closes both connection pools.
func (d *db) Close() error {
	d.byHash.Close()
	d.issue.close()
	rerr := d.r.Close()
	werr := d.w.Close()
	if werr != nil {
		return fmt.Errorf("closing writer: %w", werr)
	}
	if rerr != nil {
		return fmt.Errorf("closing readers: %w", rerr)
	}
	return nil
}

// IntegrityCheck runs PRAGMA integrity_check and returns its verdict ("ok"
// when the file is sound).
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	var res string
	if err := s.db.r.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return "", fmt.Errorf("checking integrity: %w", err)
	}
	return res, nil
}

// tx is one write transaction: a store.Tx. SQLite has one writer, so its
// reads need no locking clause to hold what they read.
type tx struct {
	tx *sql.Tx
	d  *db
}

// Write runs fn in one immediate write transaction and commits it.
func (d *db) Write(ctx context.Context, fn func(store.Tx) error) error {
	return d.write(ctx, func(t *sql.Tx) error { return fn(tx{tx: t, d: d}) })
}

func (d *db) write(ctx context.Context, fn func(*sql.Tx) error) error {
	t, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	if err := fn(t); err != nil {
		t.Rollback()
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}
