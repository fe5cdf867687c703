package cli

import (
	"context"
	"net/url"
	"strings"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/store/postgres"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
)

// isPostgres reports whether --db names a PostgreSQL database rather than
// a SQLite file. The schemes are case-sensitive, as pgx parses them.
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// openStore opens the backend --db names: a postgres:// or postgresql://
// URL selects PostgreSQL, which several replicas may share; anything else
// is the path of a SQLite file, created if missing.
func openStore(ctx context.Context, db string) (store.Store, error) {
	if isPostgres(db) {
		st, err := postgres.Open(ctx, db)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// logSafe is --db as it may appear in a log: a URL's password, in the
// user info or as a password= parameter, is replaced by "xxxxx".
func logSafe(db string) string {
	if !isPostgres(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
