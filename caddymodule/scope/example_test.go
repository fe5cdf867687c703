package scope_test

import (
	"fmt"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/scope"
)

// The token store validates scopes when a token is created.
func ExampleValidate() {
	_, err := scope.Validate("acme", []string{"repository:acme/app:pull,push", "repository:other/app:pull"})
	fmt.Println(err)
	// Output:
	// scope "repository:other/app:pull": repository pattern must be inside the org's namespace "acme/"
}

// The gateway compiles the scopes of the introspection answer once and
// checks every request against them.
func ExampleGrants_Allows() {
	scopes, err := scope.ParseList("repository:acme/app:push repository:acme/team/**:pull")
	if err != nil {
		panic(err)
	}
	g := scope.Compile("acme", scopes)
	fmt.Println(g.Allows("acme/app", access.Pull))      // push includes pull
	fmt.Println(g.Allows("acme/team/a/b", access.Pull)) // ** spans components
	fmt.Println(g.Allows("acme/team", access.Pull))     // but needs one
	fmt.Println(g.Allows("acme/team/a", access.Push))   // pull only
	// Output:
	// true
	// true
	// false
	// false
}

func ExampleMatch() {
	fmt.Println(scope.Match("acme/*", "acme/app"), scope.Match("acme/*", "acme/a/b"))
	fmt.Println(scope.Match("acme/**", "acme/a/b"), scope.Match("acme/**", "acmex/a"))
	// Output:
	// true false
	// true false
}
