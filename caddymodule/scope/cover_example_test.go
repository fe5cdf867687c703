package scope_test

import (
	"fmt"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

// A management token may give only what its own scopes cover; two of its
// scopes can cover a glob together.
func ExampleCovers() {
	holder, _ := scope.ParseList("repository:acme/team/*:push repository:acme/team/*/**:push")
	for _, s := range []string{
		"repository:acme/team/app:pull",
		"repository:acme/team/**:push",
		"repository:acme/team/**:delete",
		"repository:acme/**:pull",
	} {
		wanted, _ := scope.Parse(s)
		fmt.Println(s, scope.Covers(holder, wanted))
	}
	// Output:
	// repository:acme/team/app:pull true
	// repository:acme/team/**:push true
	// repository:acme/team/**:delete false
	// repository:acme/**:pull false
}

// Uncovered names a repository a refused scope would have reached, for the
// error message.
func ExampleUncovered() {
	holder, _ := scope.ParseList("repository:acme/app:push")
	wanted, _ := scope.Parse("repository:acme/app*:pull")
	fmt.Println(scope.Uncovered(holder, wanted))
	// Output:
	// acme/appa
}
