package caddymodule

import (
	"testing"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// A leaked, revoked token still in use shows as a rise of one series
// (issue 12 item 16); every state is exported from zero.
func TestInactiveTokensAreCountedByState(t *testing.T) {
	m := &metrics{c: newCollectors()}
	m.inactiveToken(storeapi.ReasonRevoked)
	m.inactiveToken(storeapi.ReasonRevoked)
	m.inactiveToken(storeapi.ReasonExpired)
	m.inactiveToken(storeapi.Reason(200)) // not a state: ignored
	tests := []struct {
		state storeapi.Reason
		want  float64
	}{
		{storeapi.ReasonUnknown, 0},
		{storeapi.ReasonRevoked, 2},
		{storeapi.ReasonDeactivated, 0},
		{storeapi.ReasonExpired, 1},
	}
	for _, tt := range tests {
		t.Run(tt.state.String()+" tokens are counted", func(t *testing.T) {
			if got := value(t, m.c.inactive.WithLabelValues(tt.state.String())); got != tt.want {
				t.Errorf("oatgate_inactive_tokens_total{state=%q}: got %v, want %v", tt.state, got, tt.want)
			}
		})
	}
	var none *metrics
	none.inactiveToken(storeapi.ReasonRevoked) // an unprovisioned handler counts nothing, and does not panic
}
