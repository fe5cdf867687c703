package store

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// outboxTx is a Tx that holds webhooks and notice claims and records
// what the rules queue.
type outboxTx struct {
	raceTx
	hooks      []Webhook
	claims     map[string]bool
	events     *[]OutboxEvent
	deliveries *[]Delivery
}

func (x outboxTx) ClaimNotice(_ context.Context, tokenID, threshold string, _ time.Time) (bool, error) {
	k := tokenID + " " + threshold
	if x.claims[k] {
		return false, nil
	}
	x.claims[k] = true
	return true, nil
}

func (x outboxTx) Webhooks(context.Context, string) ([]Webhook, error) { return x.hooks, nil }
func (x outboxTx) InsertEvent(_ context.Context, e OutboxEvent) error {
	*x.events = append(*x.events, e)
	return nil
}
func (x outboxTx) PendingDeliveries(context.Context, string, string, int) (int, error) {
	return 0, nil
}
func (x outboxTx) InsertDelivery(_ context.Context, d Delivery) error {
	*x.deliveries = append(*x.deliveries, d)
	return nil
}

func TestAnInactiveTokenPresentedIsQueuedWithItsReason(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	use := InactiveUse{At: now, ClientIP: "192.0.2.7", UserAgent: "docker/27.0"}
	hooks := []Webhook{
		{Org: "acme", Name: "sub", Events: []string{EventTokenInactiveUsed}},
		{Org: "acme", Name: "other", Events: []string{EventTokenCreated}},
	}
	cases := []struct {
		name   string
		token  Token
		reason string
	}{
		{"a revoked token is queued as revoked", Token{ID: "tok_r", Org: "acme", RevokedAt: &past}, "revoked"},
		{"a deactivated token is queued as deactivated", Token{ID: "tok_d", Org: "acme", Active: false}, "deactivated"},
		{"an expired token is queued as expired", Token{ID: "tok_e", Org: "acme", Active: true, ExpiresAt: &past}, "expired"},
		{"a token expiring at that instant is expired", Token{ID: "tok_n", Org: "acme", Active: true, ExpiresAt: &now}, "expired"},
		{"a usable token queues nothing", Token{ID: "tok_u", Org: "acme", Active: true, ExpiresAt: &future}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var (
				events     []OutboxEvent
				deliveries []Delivery
			)
			tx := outboxTx{hooks: hooks, claims: map[string]bool{}, events: &events, deliveries: &deliveries}
			if err := emitInactiveUsed(context.Background(), tx, c.token, use); err != nil {
				t.Fatal(err)
			}
			if c.reason == "" {
				if len(events)+len(deliveries) != 0 {
					t.Errorf("queued %d events and %d deliveries, want none", len(events), len(deliveries))
				}
				return
			}
			if len(events) != 1 || len(deliveries) != 1 || deliveries[0].Webhook != "sub" {
				t.Fatalf("queued %+v to %+v; want one event to webhook sub", events, deliveries)
			}
			var b EventBody
			if err := json.Unmarshal(events[0].Body, &b); err != nil {
				t.Fatal(err)
			}
			if b.Type != EventTokenInactiveUsed || b.Token.ID != c.token.ID || b.Data.Reason != c.reason || b.Data.ClientIP != use.ClientIP || b.Data.UserAgent != use.UserAgent || !b.At.Equal(now) {
				t.Errorf("body = %s; want token.inactive_used of %s, reason %s, with the client", events[0].Body, c.token.ID, c.reason)
			}
		})
	}
}

func TestATokenPresentedOftenCausesOneEventAnHour(t *testing.T) {
	hour := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	past := hour.Add(-time.Hour)
	tok := Token{ID: "tok_r", Org: "acme", RevokedAt: &past}
	var (
		events     []OutboxEvent
		deliveries []Delivery
	)
	tx := outboxTx{hooks: []Webhook{{Org: "acme", Name: "sub", Events: []string{EventTokenInactiveUsed}}}, claims: map[string]bool{}, events: &events, deliveries: &deliveries}
	for _, at := range []time.Duration{0, time.Minute, 59 * time.Minute, 60 * time.Minute, 61 * time.Minute, 3 * time.Hour} {
		if err := emitInactiveUsed(context.Background(), tx, tok, InactiveUse{At: hour.Add(at), Reason: "revoked", ClientIP: "192.0.2.7"}); err != nil {
			t.Fatal(err)
		}
	}
	var got []time.Time
	for _, e := range events {
		got = append(got, e.At)
	}
	want := []time.Time{hour, hour.Add(time.Hour), hour.Add(3 * time.Hour)}
	if len(got) != len(want) {
		t.Fatalf("events at %v, want one per hour: %v", got, want)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("event %d at %v, want %v", i, got[i], want[i])
		}
	}
}

func TestTheGatewaysReasonWinsOverTheStoredState(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	// Reactivated since the gateway refused it: the refusal still happened.
	tok := Token{ID: "tok_d", Org: "acme", Active: true}
	var (
		events     []OutboxEvent
		deliveries []Delivery
	)
	tx := outboxTx{hooks: []Webhook{{Org: "acme", Name: "sub", Events: []string{EventTokenInactiveUsed}}}, claims: map[string]bool{}, events: &events, deliveries: &deliveries}
	if err := emitInactiveUsed(context.Background(), tx, tok, InactiveUse{At: now, Reason: "deactivated"}); err != nil {
		t.Fatal(err)
	}
	var b EventBody
	if len(events) != 1 || json.Unmarshal(events[0].Body, &b) != nil || b.Data.Reason != "deactivated" {
		t.Errorf("events = %+v; want one with reason deactivated", events)
	}
}
