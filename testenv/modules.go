package testenv

import (
	// The gateway is Caddy with its standard modules and registry_auth, as
	// cmd/oatgate builds it.
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/oatgate/oatgate/caddymodule"
)
