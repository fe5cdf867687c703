package store

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// raceBackend is a Backend whose every label check passes and whose token
// writes fail as a database does when another replica took the label in
// between: the one path storetest cannot reach on demand.
type raceBackend struct {
	Backend // nil: a call the test does not expect panics
	written error
}

func (b raceBackend) Write(ctx context.Context, fn func(Tx) error) error { return fn(raceTx(b)) }

type raceTx struct {
	Backend
	written error
}

func (raceTx) LockOrg(context.Context, string) (Org, error) { return Defaults("acme"), nil }
func (raceTx) PutOrg(context.Context, Org) error            { return nil }
func (raceTx) Token(_ context.Context, org, id string) (Token, error) {
	return Token{ID: id, Org: org, Label: "old", Active: true}, nil
}
func (raceTx) CountTokens(context.Context, string) (int, error)                 { return 0, nil }
func (raceTx) LabelTaken(context.Context, string, string, string) (bool, error) { return false, nil }
func (x raceTx) InsertToken(context.Context, Token, []byte) error               { return x.written }
func (x raceTx) UpdateToken(context.Context, Token) error                       { return x.written }
func (raceTx) DeleteToken(context.Context, string) error                        { return nil }
func (raceTx) AppendAudit(context.Context, AuditEntry) error                    { return nil }
func (raceTx) AppendFeed(context.Context, string, time.Time) error              { return nil }

// Federation's writes, unused by the cases below.
func (raceTx) PutPolicy(context.Context, Policy) error                       { return nil }
func (raceTx) DeletePolicy(context.Context, string, string) error            { return nil }
func (raceTx) PolicyTokens(context.Context, string, string) ([]Token, error) { return nil, nil }
func (raceTx) CountActiveFederated(context.Context, string, time.Time) (int, error) {
	return 0, nil
}

// No webhooks: the token rules' events write nothing.
func (raceTx) Webhooks(context.Context, string) ([]Webhook, error)                 { return nil, nil }
func (raceTx) PutWebhook(context.Context, Webhook) error                           { return nil }
func (raceTx) DeleteWebhook(context.Context, string, string) error                 { return nil }
func (raceTx) InsertEvent(context.Context, OutboxEvent) error                      { return nil }
func (raceTx) InsertDelivery(context.Context, Delivery) error                      { return nil }
func (raceTx) PendingDeliveries(context.Context, string, string, int) (int, error) { return 0, nil }
func (raceTx) ClaimNotice(context.Context, string, string, time.Time) (bool, error) {
	return false, nil
}

// The usage report rows (issue 16) are never reached by these cases.
func (raceTx) ClaimBatch(context.Context, string, time.Time) (bool, error)    { return true, nil }
func (raceTx) AddUsage(context.Context, []storeapi.UsageCount) error          { return nil }
func (raceTx) RecordLastUses(context.Context, []storeapi.LastUse) error       { return nil }
func (raceTx) AppendRegistryActivity(context.Context, RegistryActivity) error { return nil }

func TestAWriteThatLosesALabelRaceIsAConflict(t *testing.T) {
	ctx := context.Background()
	ev := Event{At: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	other := errors.New("disk on fire")
	cases := []struct {
		name    string
		written error
		write   func(st Store) error
		want    error
		message string
	}{
		{"a create whose insert hits the label constraint", ErrLabelTaken, func(st Store) error {
			_, err := st.CreateToken(ctx, "acme", []byte("h"), func(Org) (Token, error) { return Token{ID: "a", Label: "ci"}, nil }, ev)
			return err
		}, ErrConflict, `org "acme" already has a token labelled "ci"`},
		{"an update whose write hits the label constraint", ErrLabelTaken, func(st Store) error {
			_, _, err := st.UpdateToken(ctx, "acme", "a", func(cur Token, _ Org) (Token, error) { cur.Label = "ci"; return cur, nil }, ev)
			return err
		}, ErrConflict, `org "acme" already has a token labelled "ci"`},
		{"a create whose insert fails otherwise", other, func(st Store) error {
			_, err := st.CreateToken(ctx, "acme", []byte("h"), func(Org) (Token, error) { return Token{ID: "a", Label: "ci"}, nil }, ev)
			return err
		}, other, "disk on fire"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.write(New(raceBackend{written: c.written}))
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.message) {
				t.Errorf("got %v, want an error matching %v that says %q", err, c.want, c.message)
			}
		})
	}
}

func TestAuditQueryWhere(t *testing.T) {
	since := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	until := since.Add(time.Hour)
	dollar := func(n int) string { return "$" + strconv.Itoa(n) }
	ms := func(t time.Time) any { return t.UnixMilli() }
	cases := []struct {
		name      string
		q         AuditQuery
		wantWhere string
		wantArgs  []any
	}{
		{"an org alone filters on the org", AuditQuery{Org: "acme"}, "org = $1", []any{"acme"}},
		{"every filter is numbered in order", AuditQuery{Org: "acme", Since: since, Until: until, Action: ActionTokenRevoked, Before: 42},
			"org = $1 AND at >= $2 AND at < $3 AND action = $4 AND id < $5",
			[]any{"acme", since.UnixMilli(), until.UnixMilli(), ActionTokenRevoked, int64(42)}},
		{"a zero cursor does not filter", AuditQuery{Org: "acme", Action: ActionOrgCreated}, "org = $1 AND action = $2", []any{"acme", ActionOrgCreated}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			where, args := c.q.Where(dollar, ms)
			if where != c.wantWhere || !reflect.DeepEqual(args, c.wantArgs) {
				t.Errorf("Where = %q %v, want %q %v", where, args, c.wantWhere, c.wantArgs)
			}
		})
	}
}

func (raceTx) IDTokenExchanges(context.Context, []byte) (int, error)       { return 0, nil }
func (raceTx) AddIDTokenExchange(context.Context, []byte, time.Time) error { return nil }
