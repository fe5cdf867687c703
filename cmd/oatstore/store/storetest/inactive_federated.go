package storetest

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

func init() {
	webhookCases = append(webhookCases,
		behaviour{"an expired federated token presented is in the activity but queues no token.inactive_used", expiredFederatedNotNews},
	)
}

// expiredFederatedNotNews: a CI job that outlives its short-lived token is
// normal, not news; a revoked federated token, or an expired classic one,
// still is.
func expiredFederatedNotNews(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	ctx := context.Background()
	PutOrg(t, st, "acme", 100)
	putHook(t, st, "acme", "ops", store.EventTokenInactiveUsed)
	putPolicy(t, st, "acme", rule("gha", "repository:acme/app:pull"), T0)
	exp := T0.Add(15 * time.Minute)
	expired := mustIssue(t, st, "acme", "gha", "expired", exp)
	revoked := mustIssue(t, st, "acme", "gha", "revoked", exp)
	if _, err := revoke(st, "acme", revoked.ID, T0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	presented := func(id string, after time.Duration, reason storeapi.Reason) storeapi.RegistryAction {
		return storeapi.RegistryAction{Action: storeapi.ActionInactiveUsed, At: T0.Add(after), Org: "acme", TokenID: id, Reason: reason, ClientIP: "192.0.2.1", UserAgent: "docker/27.0"}
	}
	rep := storeapi.UsageReport{ID: "gw1-1", Actions: []storeapi.RegistryAction{
		presented(expired.ID, 20*time.Minute, storeapi.ReasonExpired),
		presented(expired.ID, 80*time.Minute, storeapi.ReasonUnknown), // the store finds it expired
		presented(revoked.ID, 20*time.Minute, storeapi.ReasonRevoked),
	}}
	if _, err := st.IngestUsage(ctx, rep, T0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range claimAll(t, st, T0.Add(3*time.Hour)) {
		bd := bodyOf(t, d)
		if bd.Type == store.EventTokenInactiveUsed {
			got = append(got, fmt.Sprintf("%s %s", bd.Token.ID, bd.Data.Reason))
		}
	}
	if want := []string{revoked.ID + " revoked"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("token.inactive_used deliveries = %v, want %v", got, want)
	}
	entries, _, err := st.Activity(ctx, store.ActivityQuery{Org: "acme", Kind: store.KindRegistry})
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, e := range entries {
		trail = append(trail, e.Action+" "+e.TokenID)
	}
	sort.Strings(trail)
	want := []string{"token.inactive_used " + expired.ID, "token.inactive_used " + expired.ID, "token.inactive_used " + revoked.ID}
	sort.Strings(want)
	if fmt.Sprint(trail) != fmt.Sprint(want) {
		t.Errorf("registry activity = %v, want %v: every presentation stays in the trail", trail, want)
	}
}
