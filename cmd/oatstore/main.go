// Command oatstore is the organization token store: `oatstore serve` runs
// the service that issues tokens, enforces each org's limits, keeps the
// audit log and answers gateways; the other subcommands administer it over
// its HTTP API. Run `oatstore help` for the list.
package main

import (
	"os"

	"github.com/oatgate/oatgate/cmd/oatstore/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
