// Command oatgate is Caddy with the registry_auth module compiled in. It is
// used exactly as `caddy` is: `oatgate run`, `oatgate adapt`, `oatgate
// validate`, `oatgate list-modules`, plus the project's own subcommands.
package main

import (
	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/oatgate/oatgate/caddymodule"
)

func init() {
	// Usage lines and completions name this binary, not caddy:
	// "oatgate usage-report", not "caddy usage-report".
	caddy.CustomBinaryName = "oatgate"
}

func main() {
	caddycmd.Main()
}
