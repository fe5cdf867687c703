package dockertoken

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func repo(name string, actions ...string) Access {
	return Access{Type: TypeRepository, Name: name, Actions: actions}
}

var catalogAccess = Access{Type: TypeRegistry, Name: NameCatalog, Actions: []string{ActionAll}}

func TestParseScope(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Access
		ok   bool
	}{
		{"a pull scope is read", "repository:acme/app:pull", repo("acme/app", "pull"), true},
		{"a push scope keeps the client's order", "repository:acme/app:push,pull", repo("acme/app", "push", "pull"), true},
		{"delete is read", "repository:acme/app:delete", repo("acme/app", "delete"), true},
		{"a repeated action is kept once", "repository:acme/app:pull,pull", repo("acme/app", "pull"), true},
		{"unknown actions are dropped and known ones kept", "repository:acme/app:pull,admin,*", repo("acme/app", "pull"), true},
		{"a resource class is kept", "repository(plugin):acme/app:pull", Access{Type: TypeRepository, Class: "plugin", Name: "acme/app", Actions: []string{"pull"}}, true},
		{"a one-component name is read", "repository:acme:pull", repo("acme", "pull"), true},
		{"the catalog is read", "registry:catalog:*", catalogAccess, true},
		{"the catalog with other actions keeps only *", "registry:catalog:pull,*", catalogAccess, true},
		{"the catalog without * is dropped", "registry:catalog:pull", Access{}, false},
		{"another registry resource is dropped", "registry:other:*", Access{}, false},
		{"a classed registry resource is dropped", "registry(x):catalog:*", Access{}, false},
		{"only the wildcard action on a repository is dropped", "repository:acme/app:*", Access{}, false},
		{"no known action is dropped", "repository:acme/app:admin", Access{}, false},
		{"an empty action list is dropped", "repository:acme/app:", Access{}, false},
		{"a missing action list is dropped", "repository:acme/app", Access{}, false},
		{"an unknown type is dropped", "plugin:acme/app:pull", Access{}, false},
		{"an uppercase type is dropped", "Repository:acme/app:pull", Access{}, false},
		{"an unclosed class is dropped", "repository(plugin:acme/app:pull", Access{}, false},
		{"an empty class is dropped", "repository():acme/app:pull", Access{}, false},
		{"a class with a bad character is dropped", "repository(plu-gin):acme/app:pull", Access{}, false},
		{"a host:port name is dropped", "repository:localhost:5000/acme/app:pull", Access{}, false},
		{"a domain name is dropped", "repository:Registry.example/acme:pull", Access{}, false},
		{"an uppercase name is dropped", "repository:Acme/app:pull", Access{}, false},
		{"a dot segment is dropped", "repository:acme/../x:pull", Access{}, false},
		{"a glob is dropped", "repository:acme/*:pull", Access{}, false},
		{"a doubled slash is dropped", "repository:acme//app:pull", Access{}, false},
		{"an empty name is dropped", "repository::pull", Access{}, false},
		{"a name over 255 bytes is dropped", "repository:" + strings.Repeat("a", 256) + ":pull", Access{}, false},
		{"uppercase actions are dropped", "repository:acme/app:PULL", Access{}, false},
		{"an empty entry is dropped", "", Access{}, false},
		{"a bare word is dropped", "pull", Access{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseScope(tt.in)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseScope(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseScopes(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []Access
	}{
		{"no scope parameter is no scopes", nil, nil},
		{"one scope parameter is read", []string{"repository:acme/app:pull"}, []Access{repo("acme/app", "pull")}},
		{"repeated parameters are all read", []string{"repository:acme/app:push,pull", "repository:acme/lib:pull"},
			[]Access{repo("acme/app", "push", "pull"), repo("acme/lib", "pull")}},
		{"space-separated scopes in one parameter are all read", []string{"repository:acme/app:pull repository:acme/lib:pull"},
			[]Access{repo("acme/app", "pull"), repo("acme/lib", "pull")}},
		{"entries for one repository are merged, as containerd repeats them", []string{"repository:acme/ctr:pull repository:acme/ctr:pull,push"},
			[]Access{repo("acme/ctr", "pull", "push")}},
		{"doubled spaces are skipped", []string{"  repository:acme/app:pull  "}, []Access{repo("acme/app", "pull")}},
		{"a class keeps its own entry", []string{"repository:acme/app:pull", "repository(plugin):acme/app:pull"},
			[]Access{repo("acme/app", "pull"), {Type: TypeRepository, Class: "plugin", Name: "acme/app", Actions: []string{"pull"}}}},
		{"dropped entries leave the others", []string{"repository:ACME:pull registry:catalog:* repository:acme/app:pull"},
			[]Access{catalogAccess, repo("acme/app", "pull")}},
		{"an empty parameter is no scopes", []string{""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseScopes(tt.values)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseScopes(%q) = %+v, %v; want %+v, nil", tt.values, got, err, tt.want)
			}
		})
	}
}

func TestParseScopesBoundsTheEntries(t *testing.T) {
	tests := []struct {
		name    string
		entries int
		wantErr bool
	}{
		{"MaxScopes entries are read", MaxScopes, false},
		{"one more than MaxScopes is refused", MaxScopes + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := make([]string, tt.entries)
			for i := range values {
				values[i] = "repository:acme/app:pull"
			}
			_, err := ParseScopes(values)
			if got := errors.Is(err, ErrTooManyScopes); got != tt.wantErr {
				t.Fatalf("ParseScopes(%d entries) error = %v; want ErrTooManyScopes: %v", tt.entries, err, tt.wantErr)
			}
		})
	}
}

func TestAccessScopeIsTheGrammar(t *testing.T) {
	tests := []struct {
		name string
		in   Access
		want string
	}{
		{"a repository", repo("acme/app", "pull", "push"), "repository:acme/app:pull,push"},
		{"a classed repository", Access{Type: TypeRepository, Class: "plugin", Name: "acme/p", Actions: []string{"pull"}}, "repository(plugin):acme/p:pull"},
		{"the catalog", catalogAccess, "registry:catalog:*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Scope(); got != tt.want {
				t.Fatalf("Scope() = %q; want %q", got, tt.want)
			}
			back, ok := ParseScope(tt.want)
			if !ok || !reflect.DeepEqual(back, tt.in) {
				t.Fatalf("ParseScope(%q) = %+v, %v; want %+v", tt.want, back, ok, tt.in)
			}
		})
	}
}
