package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// issueStmts are the statements of a federated token issue, prepared once
// on the writer's one connection: an exchange runs them all, and parsing
// their SQL each time was a tenth of an exchange's CPU. A transaction uses
// them through (*sql.Tx).StmtContext, which finds them prepared on its
// connection.
type issueStmts struct {
	tokenByHash, countLive, policy, insertToken *sql.Stmt
}

func prepareIssue(ctx context.Context, w *sql.DB) (*issueStmts, error) {
	s := &issueStmts{}
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&s.tokenByHash, `SELECT ` + tokenSelect + ` FROM tokens WHERE hash = ?`},
		{&s.countLive, countLiveSQL},
		{&s.policy, policySelect + `WHERE org = ? AND name = ?`},
		{&s.insertToken, tokenInsert},
	} {
		stmt, err := w.PrepareContext(ctx, p.sql)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("preparing federation statements: %w", err)
		}
		*p.dst = stmt
	}
	return s, nil
}

func (s *issueStmts) close() {
	for _, st := range []*sql.Stmt{s.tokenByHash, s.countLive, s.policy, s.insertToken} {
		if st != nil {
			st.Close()
		}
	}
}

// stmt is s bound to the transaction.
func (x tx) stmt(ctx context.Context, s *sql.Stmt) *sql.Stmt { return x.tx.StmtContext(ctx, s) }

// countLiveSQL counts an org's live federated tokens. The kind is written
// into the query, not bound, so that SQLite can prove the partial index
// tokens_federated_live applies.
const countLiveSQL = `SELECT COUNT(*) FROM tokens WHERE org = ? AND kind = '` + store.KindFederated + `' AND active = 1 AND revoked_at IS NULL AND expires_at > ?`
