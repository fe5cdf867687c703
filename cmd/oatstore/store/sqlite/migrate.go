package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are applied in order; the database's PRAGMA user_version says
// how many have run. Append, never edit: a shipped migration is history.
var migrations = []string{
	// 1: orgs, tokens, the revocation feed and the audit log. Times are unix
	// milliseconds. Audit rows and feed rows name token ids without a
	// foreign key, so they outlive a deleted token.
	`CREATE TABLE orgs (
		name                TEXT PRIMARY KEY,
		max_tokens          INTEGER NOT NULL,
		max_expiry_days     INTEGER NOT NULL,
		allow_never_expires INTEGER NOT NULL,
		created_at          INTEGER NOT NULL,
		updated_at          INTEGER NOT NULL
	) STRICT;
	CREATE TABLE tokens (
		id           TEXT PRIMARY KEY,
		org          TEXT NOT NULL REFERENCES orgs(name),
		label        TEXT NOT NULL,
		description  TEXT NOT NULL,
		scopes       TEXT NOT NULL,
		hash         BLOB NOT NULL UNIQUE,
		created_at   INTEGER NOT NULL,
		created_by   TEXT NOT NULL,
		expires_at   INTEGER,
		active       INTEGER NOT NULL,
		revoked_at   INTEGER,
		last_used_at INTEGER,
		UNIQUE (org, label)
	) STRICT;
	CREATE TABLE token_changes (
		seq        INTEGER PRIMARY KEY AUTOINCREMENT,
		token_id   TEXT NOT NULL,
		changed_at INTEGER NOT NULL
	) STRICT;
	CREATE TABLE audit (
		id        INTEGER PRIMARY KEY AUTOINCREMENT,
		org       TEXT NOT NULL,
		at        INTEGER NOT NULL,
		actor     TEXT NOT NULL,
		source_ip TEXT NOT NULL,
		action    TEXT NOT NULL,
		token_id  TEXT NOT NULL,
		before    TEXT,
		after     TEXT
	) STRICT;
	CREATE INDEX audit_org_id ON audit (org, id);
	-- The feed starts at 1, so a cursor is never 0: a gateway polling with
	-- after=0 means "I am new", which must not also be the cursor of an
	-- empty feed.
	INSERT INTO token_changes (token_id, changed_at) VALUES ('', 0);`,
	// 2: an org's default token expiry (issue 12, item 20). Orgs from
	// before get 90 days, or their maximum when that is shorter; their
	// allow_never_expires stays as it was.
	`ALTER TABLE orgs ADD COLUMN default_expiry_days INTEGER NOT NULL DEFAULT 90;
	UPDATE orgs SET default_expiry_days = MIN(max_expiry_days, 90);`,
	// 3: the audit actor is the authenticated key name or token id; what
	// the client declares in X-Oatstore-Actor moves to its own column.
	// Older rows keep the declared actor and an empty on_behalf_of.
	`ALTER TABLE audit ADD COLUMN on_behalf_of TEXT NOT NULL DEFAULT '';`,
	// 4: federation (issue 14): trust policies; tokens gain their kind, the
	// policy that issued a federated one and the subject it was issued
	// for (existing tokens are org access tokens: kind ''); orgs gain the
	// bound on active federated tokens.
	`CREATE TABLE federation_policies (
		org         TEXT NOT NULL REFERENCES orgs(name),
		name        TEXT NOT NULL,
		issuer      TEXT NOT NULL,
		audience    TEXT NOT NULL,
		claims      TEXT NOT NULL,
		scopes      TEXT NOT NULL,
		ttl_seconds INTEGER NOT NULL,
		created_at  INTEGER NOT NULL,
		created_by  TEXT NOT NULL,
		updated_at  INTEGER NOT NULL,
		PRIMARY KEY (org, name)
	) STRICT;
	CREATE INDEX federation_policies_issuer ON federation_policies (issuer);
	ALTER TABLE tokens ADD COLUMN kind TEXT NOT NULL DEFAULT '';
	ALTER TABLE tokens ADD COLUMN policy TEXT NOT NULL DEFAULT '';
	ALTER TABLE tokens ADD COLUMN subject TEXT NOT NULL DEFAULT '';
	CREATE INDEX tokens_federated_policy ON tokens (org, policy) WHERE kind = 'federated';
	CREATE INDEX tokens_federated_expiry ON tokens (expires_at) WHERE kind = 'federated';
	-- The bound's count reads only this index: the org's live federated tokens.
	CREATE INDEX tokens_federated_live ON tokens (org, expires_at) WHERE kind = 'federated' AND active = 1 AND revoked_at IS NULL;
	ALTER TABLE orgs ADD COLUMN max_federated_tokens INTEGER NOT NULL DEFAULT 1000;`,
	// 5: usage reports (issue 16): hourly counters per org, token and
	// repository (hours in Unix seconds); registry actions gateways
	// report; the ids of applied batches, so a retried one is applied
	// once; and a token's last client address and User-Agent, with the
	// time of the use they are from (so an older report never overwrites
	// them).
	`CREATE TABLE usage_hourly (
		org            TEXT NOT NULL,
		token_id       TEXT NOT NULL,
		repository     TEXT NOT NULL,
		hour           INTEGER NOT NULL,
		token_label    TEXT NOT NULL,
		requests       INTEGER NOT NULL,
		pulls          INTEGER NOT NULL,
		version_checks INTEGER NOT NULL,
		pushes         INTEGER NOT NULL,
		deletes        INTEGER NOT NULL,
		denied         INTEGER NOT NULL,
		bytes_in       INTEGER NOT NULL,
		bytes_out      INTEGER NOT NULL,
		PRIMARY KEY (org, token_id, repository, hour)
	) STRICT;
	CREATE INDEX usage_hourly_org_hour ON usage_hourly (org, hour);
	CREATE INDEX usage_hourly_hour ON usage_hourly (hour);
	CREATE TABLE registry_activity (
		id          INTEGER PRIMARY KEY AUTOINCREMENT,
		org         TEXT NOT NULL,
		at          INTEGER NOT NULL,
		action      TEXT NOT NULL,
		token_id    TEXT NOT NULL,
		token_label TEXT NOT NULL,
		repository  TEXT NOT NULL,
		tag         TEXT NOT NULL,
		digest      TEXT NOT NULL,
		reason      TEXT NOT NULL,
		client_ip   TEXT NOT NULL,
		user_agent  TEXT NOT NULL
	) STRICT;
	CREATE INDEX registry_activity_org_at ON registry_activity (org, at, id);
	CREATE INDEX registry_activity_at ON registry_activity (at);
	CREATE INDEX audit_org_at ON audit (org, at, id);
	CREATE TABLE usage_batches (
		id          TEXT PRIMARY KEY,
		received_at INTEGER NOT NULL
	) STRICT;
	CREATE INDEX usage_batches_received ON usage_batches (received_at);
	ALTER TABLE tokens ADD COLUMN last_used_ip TEXT NOT NULL DEFAULT '';
	ALTER TABLE tokens ADD COLUMN last_user_agent TEXT NOT NULL DEFAULT '';
	ALTER TABLE tokens ADD COLUMN last_reported_at INTEGER;`,
	// 6: webhooks (issue 16 item 5): each org's webhooks, the outbox of
	// events written with the change that causes them, one delivery row per
	// (webhook, event) leased by the replica sending it, and the claims of
	// expiry notices, one per (token, threshold).
	`CREATE TABLE webhooks (
		org        TEXT NOT NULL REFERENCES orgs(name),
		name       TEXT NOT NULL,
		url        TEXT NOT NULL,
		events     TEXT NOT NULL,
		secret     TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL,
		PRIMARY KEY (org, name)
	) STRICT;
	CREATE TABLE events (
		id   TEXT PRIMARY KEY,
		org  TEXT NOT NULL,
		type TEXT NOT NULL,
		at   INTEGER NOT NULL,
		body TEXT NOT NULL
	) STRICT;
	CREATE TABLE deliveries (
		id              INTEGER PRIMARY KEY AUTOINCREMENT,
		org             TEXT NOT NULL,
		webhook         TEXT NOT NULL,
		event_id        TEXT NOT NULL REFERENCES events(id),
		event_type      TEXT NOT NULL,
		created_at      INTEGER NOT NULL,
		attempts        INTEGER NOT NULL,
		last_status     INTEGER NOT NULL,
		last_error      TEXT NOT NULL,
		next_attempt_at INTEGER,
		delivered_at    INTEGER,
		failed_at       INTEGER,
		claimed_until   INTEGER NOT NULL,
		UNIQUE (org, webhook, event_id)
	) STRICT;
	CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
	CREATE INDEX deliveries_webhook ON deliveries (org, webhook, id);
	CREATE TABLE expiry_notices (
		token_id  TEXT NOT NULL,
		threshold TEXT NOT NULL,
		at        INTEGER NOT NULL,
		PRIMARY KEY (token_id, threshold)
	) STRICT;
	CREATE INDEX tokens_expires_at ON tokens (expires_at) WHERE expires_at IS NOT NULL;`,
	// 7: how many federated tokens each ID token got (by a hash of the JWT),
	// kept until the ID token expires and the purge's retention passes.
	`CREATE TABLE id_token_exchanges (
		hash       BLOB PRIMARY KEY,
		count      INTEGER NOT NULL,
		expires_at INTEGER NOT NULL
	) STRICT;
	CREATE INDEX id_token_exchanges_expiry ON id_token_exchanges (expires_at);`,
}

// migrate brings the schema to len(migrations), each step in its own
// transaction together with the user_version bump.
func migrate(ctx context.Context, db *sql.DB) error {
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this oatstore (%d)", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("beginning migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("applying migration %d: %w", i+1, err)
		}
		// PRAGMA takes no bind parameters; i+1 is an int we control.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("recording migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("committing migration %d: %w", i+1, err)
		}
	}
	return nil
}
