package dockertoken

import (
	"reflect"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/scope"
)

// compiled returns the Allows of an OAT of org holding scopes.
func compiled(t *testing.T, org string, scopes ...string) Allows {
	t.Helper()
	parsed, err := scope.ParseList(strings.Join(scopes, " "))
	if err != nil {
		t.Fatalf("scope.ParseList: %v", err)
	}
	return scope.Compile(org, parsed).Allows
}

func TestGrant(t *testing.T) {
	pullApp := compiled(t, "acme", "repository:acme/app:pull")
	pushAll := compiled(t, "acme", "repository:acme/**:push")
	deleteApp := compiled(t, "acme", "repository:acme/app:delete")
	anonymous := compiled(t, "public", "repository:public/**:pull")
	tests := []struct {
		name      string
		requested []Access
		allows    Allows
		catalog   bool
		want      []Access
	}{
		{"a pull the credential allows is granted", []Access{repo("acme/app", "pull")}, pullApp, false, []Access{repo("acme/app", "pull")}},
		{"a push asked of a pull-only token is granted pull only", []Access{repo("acme/app", "push", "pull")}, pullApp, false, []Access{repo("acme/app", "pull")}},
		{"a push-only request of a pull-only token grants nothing, without error", []Access{repo("acme/app", "push")}, pullApp, false, nil},
		{"a repository outside the scopes is left out", []Access{repo("acme/lib", "pull"), repo("acme/app", "pull")}, pullApp, false, []Access{repo("acme/app", "pull")}},
		{"another org's repository is left out", []Access{repo("other/app", "pull")}, pushAll, false, nil},
		{"push includes pull when both are asked", []Access{repo("acme/x/y", "push", "pull")}, pushAll, false, []Access{repo("acme/x/y", "push", "pull")}},
		{"only the actions asked for are granted", []Access{repo("acme/x", "pull")}, pushAll, false, []Access{repo("acme/x", "pull")}},
		{"delete is granted to a delete scope", []Access{repo("acme/app", "delete")}, deleteApp, false, []Access{repo("acme/app", "delete")}},
		{"delete is not granted to a push scope", []Access{repo("acme/app", "delete", "pull")}, pushAll, false, []Access{repo("acme/app", "pull")}},
		{"anonymous pull of a public repository is granted", []Access{repo("public/hello", "pull")}, anonymous, false, []Access{repo("public/hello", "pull")}},
		{"anonymous push of a public repository is not", []Access{repo("public/hello", "push", "pull")}, anonymous, false, []Access{repo("public/hello", "pull")}},
		{"anonymous pull of a private repository is not", []Access{repo("acme/app", "pull")}, anonymous, false, nil},
		{"a class is kept on the grant", []Access{{Type: TypeRepository, Class: "plugin", Name: "acme/app", Actions: []string{"pull"}}}, pullApp, false,
			[]Access{{Type: TypeRepository, Class: "plugin", Name: "acme/app", Actions: []string{"pull"}}}},
		{"the catalog is granted when allowed", []Access{catalogAccess}, pullApp, true, []Access{catalogAccess}},
		{"the catalog is left out when not allowed", []Access{catalogAccess}, pullApp, false, nil},
		{"an unknown resource type is left out", []Access{{Type: "plugin", Name: "acme/app", Actions: []string{"pull"}}}, pushAll, true, nil},
		{"an unknown action is left out", []Access{repo("acme/app", "admin", "pull")}, pushAll, false, []Access{repo("acme/app", "pull")}},
		{"a nil Allows grants no repository", []Access{repo("acme/app", "pull")}, nil, false, nil},
		{"nothing asked is nothing granted", nil, pushAll, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Grant(tt.requested, tt.allows, tt.catalog)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Grant(%+v) = %+v; want %+v", tt.requested, got, tt.want)
			}
		})
	}
}

func TestGrantNeverExceedsTheRequest(t *testing.T) {
	all := func(string, access.Action) bool { return true }
	requested := []Access{repo("acme/app", "pull"), repo("acme/lib", "push")}
	got := Grant(requested, all, false)
	if !reflect.DeepEqual(got, requested) {
		t.Fatalf("Grant with everything allowed = %+v; want exactly the request %+v", got, requested)
	}
}
