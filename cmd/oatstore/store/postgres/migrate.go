package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migrationLock is the pg_advisory_xact_lock key that serializes schema
// migrations, so replicas starting together apply each step once.
const migrationLock int64 = 0x6f617473746f7265 // "oatstore"

// migrations are applied in order, each a list of statements; the
// schema_migrations table records which versions ran. Append, never edit:
// a shipped migration is history.
var migrations = [][]string{
	// 1: orgs, tokens, the revocation feed and the audit log, as in the
	// SQLite backend. Audit and feed rows name token ids without a foreign
	// key, so they outlive a deleted token.
	{
		`CREATE TABLE orgs (
			name                TEXT PRIMARY KEY,
			max_tokens          INTEGER NOT NULL,
			max_expiry_days     INTEGER NOT NULL,
			allow_never_expires BOOLEAN NOT NULL,
			created_at          TIMESTAMPTZ NOT NULL,
			updated_at          TIMESTAMPTZ NOT NULL
		)`,
		`CREATE TABLE tokens (
			id           TEXT PRIMARY KEY,
			org          TEXT NOT NULL REFERENCES orgs(name),
			label        TEXT NOT NULL,
			description  TEXT NOT NULL,
			scopes       TEXT NOT NULL,
			hash         BYTEA NOT NULL UNIQUE,
			created_at   TIMESTAMPTZ NOT NULL,
			created_by   TEXT NOT NULL,
			expires_at   TIMESTAMPTZ,
			active       BOOLEAN NOT NULL,
			revoked_at   TIMESTAMPTZ,
			last_used_at TIMESTAMPTZ,
			CONSTRAINT tokens_org_label UNIQUE (org, label)
		)`,
		`CREATE TABLE token_changes (
			seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			token_id   TEXT NOT NULL,
			changed_at TIMESTAMPTZ NOT NULL
		)`,
		`CREATE TABLE audit (
			id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			org       TEXT NOT NULL,
			at        TIMESTAMPTZ NOT NULL,
			actor     TEXT NOT NULL,
			source_ip TEXT NOT NULL,
			action    TEXT NOT NULL,
			token_id  TEXT NOT NULL,
			before    JSON,
			after     JSON
		)`,
		`CREATE INDEX audit_org_id ON audit (org, id)`,
		// The feed starts at 1, so a cursor is never 0: a gateway polling
		// with after=0 means "I am new", which must not also be the cursor
		// of an empty feed.
		`INSERT INTO token_changes (token_id, changed_at) VALUES ('', 'epoch')`,
	},
	// 2: an org's default token expiry, as in the SQLite backend. Orgs from
	// before get 90 days, or their maximum when that is shorter; their
	// allow_never_expires stays as it was.
	{
		`ALTER TABLE orgs ADD COLUMN default_expiry_days INTEGER NOT NULL DEFAULT 90`,
		`UPDATE orgs SET default_expiry_days = LEAST(max_expiry_days, 90)`,
	},
	// 3: the audit actor is the authenticated key name or token id; what
	// the client declares in X-Oatstore-Actor moves to its own column.
	// Older rows keep the declared actor and an empty on_behalf_of.
	{`ALTER TABLE audit ADD COLUMN on_behalf_of TEXT NOT NULL DEFAULT ''`},
	// 4: federation (issue 14): trust policies; tokens gain their kind, the
	// policy that issued a federated one and the subject it was issued
	// for (existing tokens are org access tokens: kind ''); orgs gain the
	// bound on active federated tokens. As in the SQLite backend.
	{
		`CREATE TABLE federation_policies (
			org         TEXT NOT NULL REFERENCES orgs(name),
			name        TEXT NOT NULL,
			issuer      TEXT NOT NULL,
			audience    TEXT NOT NULL,
			claims      TEXT NOT NULL,
			scopes      TEXT NOT NULL,
			ttl_seconds BIGINT NOT NULL,
			created_at  TIMESTAMPTZ NOT NULL,
			created_by  TEXT NOT NULL,
			updated_at  TIMESTAMPTZ NOT NULL,
			PRIMARY KEY (org, name)
		)`,
		`CREATE INDEX federation_policies_issuer ON federation_policies (issuer)`,
		`ALTER TABLE tokens ADD COLUMN kind TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE tokens ADD COLUMN policy TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE tokens ADD COLUMN subject TEXT NOT NULL DEFAULT ''`,
		`CREATE INDEX tokens_federated_policy ON tokens (org, policy) WHERE kind = 'federated'`,
		`CREATE INDEX tokens_federated_expiry ON tokens (expires_at) WHERE kind = 'federated'`,
		// The bound's count reads only this index: the org's live federated tokens.
		`CREATE INDEX tokens_federated_live ON tokens (org, expires_at) WHERE kind = 'federated' AND active AND revoked_at IS NULL`,
		`ALTER TABLE orgs ADD COLUMN max_federated_tokens INTEGER NOT NULL DEFAULT 1000`,
	},
	// 5: usage reports (issue 16), as in the SQLite backend: hourly counters
	// per org, token and repository (hours in Unix seconds); registry
	// actions gateways report; the ids of applied batches, so a retried
	// one is applied once; and a token's last client address and
	// User-Agent, with the time of the use they are from.
	{
		`CREATE TABLE usage_hourly (
			org            TEXT NOT NULL,
			token_id       TEXT NOT NULL,
			repository     TEXT NOT NULL,
			hour           BIGINT NOT NULL,
			token_label    TEXT NOT NULL,
			requests       BIGINT NOT NULL,
			pulls          BIGINT NOT NULL,
			version_checks BIGINT NOT NULL,
			pushes         BIGINT NOT NULL,
			deletes        BIGINT NOT NULL,
			denied         BIGINT NOT NULL,
			bytes_in       BIGINT NOT NULL,
			bytes_out      BIGINT NOT NULL,
			PRIMARY KEY (org, token_id, repository, hour)
		)`,
		`CREATE INDEX usage_hourly_org_hour ON usage_hourly (org, hour)`,
		`CREATE INDEX usage_hourly_hour ON usage_hourly (hour)`,
		`CREATE TABLE registry_activity (
			id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			org         TEXT NOT NULL,
			at          TIMESTAMPTZ NOT NULL,
			action      TEXT NOT NULL,
			token_id    TEXT NOT NULL,
			token_label TEXT NOT NULL,
			repository  TEXT NOT NULL,
			tag         TEXT NOT NULL,
			digest      TEXT NOT NULL,
			reason      TEXT NOT NULL,
			client_ip   TEXT NOT NULL,
			user_agent  TEXT NOT NULL
		)`,
		`CREATE INDEX registry_activity_org_at ON registry_activity (org, at, id)`,
		`CREATE INDEX registry_activity_at ON registry_activity (at)`,
		`CREATE INDEX audit_org_at ON audit (org, at, id)`,
		`CREATE TABLE usage_batches (
			id          TEXT PRIMARY KEY,
			received_at TIMESTAMPTZ NOT NULL
		)`,
		`CREATE INDEX usage_batches_received ON usage_batches (received_at)`,
		`ALTER TABLE tokens ADD COLUMN last_used_ip TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE tokens ADD COLUMN last_user_agent TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE tokens ADD COLUMN last_reported_at TIMESTAMPTZ`,
	},
	// 6: webhooks (issue 16 item 5), as in the SQLite backend: each org's
	// webhooks, the outbox of events written with the change that causes
	// them, one delivery row per (webhook, event) leased by the replica
	// sending it, and the claims of expiry notices, one per (token,
	// threshold), whose primary key is what makes replicas send each once.
	{
		`CREATE TABLE webhooks (
			org        TEXT NOT NULL REFERENCES orgs(name),
			name       TEXT NOT NULL,
			url        TEXT NOT NULL,
			events     TEXT NOT NULL,
			secret     TEXT NOT NULL,
			created_at TIMESTAMPTZ NOT NULL,
			updated_at TIMESTAMPTZ NOT NULL,
			PRIMARY KEY (org, name)
		)`,
		`CREATE TABLE events (
			id   TEXT PRIMARY KEY,
			org  TEXT NOT NULL,
			type TEXT NOT NULL,
			at   TIMESTAMPTZ NOT NULL,
			body TEXT NOT NULL
		)`,
		`CREATE TABLE deliveries (
			id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			org             TEXT NOT NULL,
			webhook         TEXT NOT NULL,
			event_id        TEXT NOT NULL REFERENCES events(id),
			event_type      TEXT NOT NULL,
			created_at      TIMESTAMPTZ NOT NULL,
			attempts        INTEGER NOT NULL,
			last_status     INTEGER NOT NULL,
			last_error      TEXT NOT NULL,
			next_attempt_at TIMESTAMPTZ,
			delivered_at    TIMESTAMPTZ,
			failed_at       TIMESTAMPTZ,
			claimed_until   TIMESTAMPTZ NOT NULL,
			UNIQUE (org, webhook, event_id)
		)`,
		`CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL`,
		`CREATE INDEX deliveries_webhook ON deliveries (org, webhook, id)`,
		`CREATE TABLE expiry_notices (
			token_id  TEXT NOT NULL,
			threshold TEXT NOT NULL,
			at        TIMESTAMPTZ NOT NULL,
			PRIMARY KEY (token_id, threshold)
		)`,
		`CREATE INDEX tokens_expires_at ON tokens (expires_at) WHERE expires_at IS NOT NULL`,
	},
	// 7: how many federated tokens each ID token got, as in the SQLite
	// backend.
	{
		`CREATE TABLE id_token_exchanges (
			hash       BYTEA PRIMARY KEY,
			count      INTEGER NOT NULL,
			expires_at TIMESTAMPTZ NOT NULL
		)`,
		`CREATE INDEX id_token_exchanges_expiry ON id_token_exchanges (expires_at)`,
	},
}

// migrate brings the schema to len(migrations) in one transaction under an
// advisory lock: a replica that waits for the lock then finds the work done.
func (d *db) migrate(ctx context.Context) error {
	return d.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("taking the migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("creating schema_migrations: %w", err)
		}
		var version int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
			return fmt.Errorf("reading schema version: %w", err)
		}
		if version > len(migrations) {
			return fmt.Errorf("schema version %d is newer than this oatstore (%d)", version, len(migrations))
		}
		for i := version; i < len(migrations); i++ {
			for _, stmt := range migrations[i] {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("applying migration %d: %w", i+1, err)
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, i+1); err != nil {
				return fmt.Errorf("recording migration %d: %w", i+1, err)
			}
		}
		return nil
	})
}
