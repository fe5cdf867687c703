package store

import (
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// Usage and activity: what gateways report (storeapi.UsageReport) kept as
// hourly counters per org, token and repository, one row per registry
// action, and the ids of the batches applied.

// Periods the usage API sums hourly counters over.
const (
	PeriodHour  = "hour"
	PeriodDay   = "day"
	PeriodMonth = "month"
)

// UsageQuery selects usage. Zero fields do not filter.
type UsageQuery struct {
	// Org is required.
	Org string
	// Period is PeriodHour, PeriodDay or PeriodMonth (UTC).
	Period string
	// Since (inclusive) and Until (exclusive) bound the hours counted.
	Since, Until time.Time
	// TokenID and Repository keep only that token's or repository's rows.
	TokenID    string
	Repository string
}

// UsageRow is one period × token × repository of the usage API: the
// columns of DESIGN.md, in its order.
type UsageRow struct {
	// Period is the period's start: 2026-12-03T07:00:00Z for an hour,
	// 2026-12-03 for a day, 2026-12 for a month.
	Period        string `json:"period"`
	TokenID       string `json:"token_id"`
	TokenLabel    string `json:"token_label"`
	Repository    string `json:"repository"`
	Requests      int64  `json:"requests"`
	Pulls         int64  `json:"pulls"`
	VersionChecks int64  `json:"version_checks"`
	Pushes        int64  `json:"pushes"`
	Deletes       int64  `json:"deletes"`
	Denied        int64  `json:"denied"`
	BytesIn       int64  `json:"bytes_in"`
	BytesOut      int64  `json:"bytes_out"`
}

// RegistryActivity is one stored registry action (storeapi.ActionPush,
// ActionDelete, ActionInactiveUsed).
type RegistryActivity struct {
	ID         int64
	Org        string
	At         time.Time
	Action     string
	TokenID    string
	TokenLabel string
	Repository string
	Tag        string
	Digest     string
	// Reason is the storeapi.Reason's name for token.inactive_used.
	Reason    string
	ClientIP  string
	UserAgent string
}

// Activity kinds, the activity API's kind filter.
const (
	KindManagement = "management"
	KindRegistry   = "registry"
)

// Activity is one entry of a token's (or an org's) trail: a management
// action from the audit log or a registry action a gateway reported.
type Activity struct {
	// Kind is KindManagement or KindRegistry.
	Kind string `json:"kind"`
	// Action is an audit action (token.revoked, ...) or a registry one
	// (registry.push, registry.delete, token.inactive_used).
	Action     string    `json:"action"`
	At         time.Time `json:"at"`
	TokenID    string    `json:"token_id,omitempty"`
	TokenLabel string    `json:"token_label,omitempty"`
	// Actor, OnBehalfOf and SourceIP are a management action's.
	Actor      string `json:"actor,omitempty"`
	OnBehalfOf string `json:"on_behalf_of,omitempty"`
	SourceIP   string `json:"source_ip,omitempty"`
	// Repository, Tag and Digest are a registry action's; Reason says why
	// an inactive token was refused; ClientIP and UserAgent are who
	// presented it.
	Repository string `json:"repository,omitempty"`
	Tag        string `json:"tag,omitempty"`
	Digest     string `json:"digest,omitempty"`
	Reason     string `json:"reason,omitempty"`
	ClientIP   string `json:"client_ip,omitempty"`
	UserAgent  string `json:"user_agent,omitempty"`

	// id is the row's id in its table, which orders entries of one time.
	id int64
}

// ActivityQuery selects a page of activity, newest first.
type ActivityQuery struct {
	// Org is required.
	Org string
	// TokenID keeps one token's entries.
	TokenID string
	// Kind is "", KindManagement or KindRegistry.
	Kind string
	// Since (inclusive) and Until (exclusive) bound the time.
	Since, Until time.Time
	// Cursor is the NextCursor of the previous page; "" for the first.
	Cursor string
	// Limit bounds the page.
	Limit int
}

// Position is where a page of one table continues: below At, or at At
// below ID (ID > 0), or at At inclusive (Inclusive). The zero value does
// not filter.
type Position struct {
	At        time.Time
	ID        int64
	Inclusive bool
}

// RegistryQuery selects registry activity rows, newest first.
type RegistryQuery struct {
	Org          string
	TokenID      string
	Since, Until time.Time
	Older        Position
	Limit        int
}

// Retention is how long usage and registry activity are kept; the
// management audit is kept for good.
type Retention struct {
	// Usage is how long hourly counters are kept. Default 13 months
	// (DefaultUsageRetention).
	Usage time.Duration
	// Activity is how long registry actions are kept. Default 90 days.
	Activity time.Duration
}

// Retention defaults, and how long applied batch ids are remembered: a
// batch retried later than that would be counted again, and no gateway
// holds one that long (its buffer drops the oldest first).
const (
	DefaultUsageRetention    = 395 * 24 * time.Hour
	DefaultActivityRetention = 90 * 24 * time.Hour
	BatchIDRetention         = 30 * 24 * time.Hour
)

// Pruned says how many rows a prune removed.
type Pruned struct {
	Usage, Activity, Batches int64
}

// PruneBefore is what a Backend's Prune deletes: usage hours, activity
// and batch ids older than each.
type PruneBefore struct {
	UsageHour int64
	Activity  time.Time
	Batches   time.Time
}

// IngestResult says what an ingest did.
type IngestResult struct {
	// Duplicate is true when the batch had been applied before.
	Duplicate bool
}

// reasonOf is a wire reason's stored name.
func reasonOf(r storeapi.Reason) string { return r.String() }
