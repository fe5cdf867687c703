package storetest

import (
	"context"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// V1Orgs are the orgs a backend's migration test stores with its schema
// version 1 (before default_expiry_days), as (name, max_tokens,
// max_expiry_days, allow_never_expires) rows; CheckV1OrgsMigrated checks
// what the current schema makes of them.
var V1Orgs = []struct {
	Name          string
	MaxTokens     int
	MaxExpiryDays int
	AllowNever    bool
}{{"short", 10, 30, true}, {"long", 10, 365, false}}

// CheckV1OrgsMigrated checks that st, opened on a version 1 database
// holding V1Orgs, kept each org's allow_never_expires and gave it a default
// expiry of 90 days, or its maximum when that is shorter.
func CheckV1OrgsMigrated(t *testing.T, st store.Store) {
	t.Helper()
	for _, v1 := range V1Orgs {
		o, err := st.GetOrg(context.Background(), v1.Name)
		want := min(90, v1.MaxExpiryDays)
		if err != nil || o.DefaultExpiryDays != want || o.AllowNeverExpires != v1.AllowNever || o.MaxExpiryDays != v1.MaxExpiryDays {
			t.Errorf("org %s after migrating = %+v, %v; want default_expiry_days %d, allow_never_expires %v and max_expiry_days %d kept",
				v1.Name, o, err, want, v1.AllowNever, v1.MaxExpiryDays)
		}
	}
}
