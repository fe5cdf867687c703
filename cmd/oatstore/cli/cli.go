// Package cli is the oatstore command line: `oatstore serve` runs the
// service, every other subcommand is an admin client of its HTTP API.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the call failed (the API said no, or the server is down)
	exitUsage = 2 // the command line is wrong
)

// Env looks up an environment variable (os.Getenv in main, a map in tests).
type Env func(string) string

// Main runs the oatstore command line and returns the exit code.
func Main(args []string, env Env, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(args[1:], env, stderr)
	case "org":
		err = orgCmd(args[1:], env, stdout, stderr)
	case "token":
		err = tokenCmd(args[1:], env, stdout, stderr)
	case "audit":
		err = auditCmd(args[1:], env, stdout, stderr)
	case "federation":
		err = federationCmd(args[1:], env, stdout, stderr)
	case "usage":
		err = usageCmd(args[1:], env, stdout, stderr)
	case "activity":
		err = activityCmd(args[1:], env, stdout, stderr)
	case "whoami":
		err = whoamiCmd(args[1:], env, stdout, stderr)
	case "webhook":
		err = webhookCmd(args[1:], env, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		err = usageErrorf("unknown command %q", args[0])
	}
	var (
		ue usageError
		fe flagError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitUsage
	case errors.As(err, &fe):
		// The flag package has printed the error and the flags already.
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "oatstore: %v\n\n%s", err, usage)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "oatstore: %v\n", err)
		return exitFail
	}
}

const usage = `usage:
  oatstore serve --listen 127.0.0.1:8081 --db ./oatstore.db [--dev] [--insecure-loopback-issuers] [--allow-private-issuers] [--federated-retention 24h]
        [--webhook-allow-loopback-http] [--webhook-allow-private-networks]
        [--webhook-deliver=BOOL] [--webhook-timeout 10s] [--webhook-retry-for 24h] [--webhook-max-attempts 30]
        [--usage-retention 395d] [--activity-retention 90d]
  oatstore org list
  oatstore org set ORG [--max-tokens N] [--max-expiry-days N] [--default-expiry-days N] [--allow-never-expires=BOOL] [--max-federated-tokens N]
  oatstore org show ORG
  oatstore token create --org ORG --label LABEL --scope SCOPE... [--expires T|none] [--description TEXT]
  oatstore token list --org ORG
  oatstore token show --org ORG ID|LABEL
  oatstore token update --org ORG ID|LABEL [--label L] [--description D] [--scope S...] [--expires T]
  oatstore token deactivate|activate|revoke|delete --org ORG ID|LABEL
  oatstore audit --org ORG [--since T] [--until T] [--action A] [--limit N] [--cursor C]
  oatstore federation set --org ORG NAME [--file POLICY.json] [--issuer URL] [--audience AUD] [--claim NAME=VALUE...] [--scope SCOPE...] [--ttl 15m]
  oatstore federation list --org ORG
  oatstore federation show|delete --org ORG NAME
  oatstore usage --org ORG [--period hour|day|month] [--since T] [--until T] [--token ID|LABEL] [--repository R] [--csv]
  oatstore activity --org ORG [--token ID|LABEL] [--kind management|registry] [--since T] [--until T] [--limit N] [--cursor C]
  oatstore whoami
  oatstore webhook set --org ORG NAME [--url URL] [--event E...] [--secret-file FILE|-]
  oatstore webhook list --org ORG
  oatstore webhook show|delete|test --org ORG NAME
  oatstore webhook deliveries --org ORG NAME [--limit N]

Times (T) have one syntax everywhere, as in oatgate usage-report: a duration
(90d, 12h, 90m; back from now for --since/--until, ahead for --expires), a
date (2027-02-01, midnight UTC), a month (2027-02) or an RFC 3339 time.
--scope may be repeated, or hold several scopes separated by spaces.
A token is named by its id (tok_...) or by its label, unique in its org.
A trust policy lets CI jobs whose OIDC ID token comes from --issuer for
--audience, with every --claim matching (* is a glob), get a token with its
--scope for --ttl; deleting it revokes every token issued under it.

serve --db takes a SQLite file path (the default), or a postgres:// or
postgresql:// URL: PostgreSQL lets several oatstore replicas share one database.

webhook set reads the signing secret from --secret-file or OATSTORE_WEBHOOK_SECRET,
never from a flag value; an update without one keeps the current secret.
Events: token.expiring, token.expired, token.inactive_used, token.created,
token.revoked (--event may be repeated or hold several, space-separated).

serve takes admin keys from OATSTORE_ADMIN_KEYS ("alice=KEY,bob=KEY"),
--admin-keys-file (one name=KEY per line) and OATSTORE_ADMIN_KEY (named admin).

Client commands take --server (or OATSTORE_SERVER, default http://127.0.0.1:8081;
a bare host:port means http:// on loopback only), --admin-key (or
OATSTORE_ADMIN_KEY) or, for an org's own management, --token (or
OATSTORE_TOKEN), --actor (or OATSTORE_ACTOR) and --json. In usage and
activity, --token names the token to report on, and a management token is
passed as --auth-token (or OATSTORE_TOKEN).
`

// usageError is a command-line mistake; Main prints the usage after it.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return usageError{msg: fmt.Sprintf(format, args...)}
}

// parse parses args with fs, allowing positional arguments between flags
// (`token show ID --org acme` as well as `token show --org acme ID`).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, flagError{err}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagError is a flag parsing error the flag package has already printed.
type flagError struct{ error }

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string { return strings.Join(*m, " ") }

func (m *multi) Set(v string) error {
	*m = append(*m, v)
	return nil
}

// fields splits every value at white space: `--scope 'a b'` is two
// scopes, as `--scope a --scope b` is. No scope contains a space, and a
// quoted list is the natural thing to paste.
func (m multi) fields() []string {
	var out []string
	for _, v := range m {
		out = append(out, strings.Fields(v)...)
	}
	return out
}

// optional records whether a string flag was given at all.
type optional struct {
	val string
	set bool
}

func (o *optional) String() string { return o.val }

func (o *optional) Set(v string) error {
	o.val, o.set = v, true
	return nil
}
