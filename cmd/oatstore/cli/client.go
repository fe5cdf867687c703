package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// defaultServer is where the CLI looks for oatstore unless told otherwise.
const defaultServer = "http://127.0.0.1:8081"

// client speaks the management API for one subcommand, with an admin key
// or an org management token (an oat_ token holding org: scopes).
type client struct {
	server   string
	key      string
	envKey   string
	token    string
	envToken string
	actor    string
	json     bool
	http     *http.Client
	stdout   io.Writer
	// flags are the subcommand's, for naming them in the API's errors.
	flags *flag.FlagSet
	// tokenFlag names the management token flag: "token", or
	// "auth-token" where --token filters by token (usage, activity).
	tokenFlag string
}

// clientFlags adds the flags every client subcommand shares to fs.
func clientFlags(fs *flag.FlagSet, env Env, stdout io.Writer) *client {
	return clientFlagsWith(fs, env, stdout, "token")
}

// clientFlagsWith is clientFlags with the management token's flag named
// tokenFlag, for commands whose --token names the token to report on.
func clientFlagsWith(fs *flag.FlagSet, env Env, stdout io.Writer, tokenFlag string) *client {
	c := &client{http: &http.Client{Timeout: 30 * time.Second}, stdout: stdout, flags: fs, tokenFlag: tokenFlag}
	fs.StringVar(&c.server, "server", or(env("OATSTORE_SERVER"), defaultServer), "oatstore URL (env OATSTORE_SERVER)")
	// The env value is not the flag's default: usage output prints
	// defaults, and a key must never reach a terminal or a CI log that way.
	fs.StringVar(&c.key, "admin-key", "", "admin key (default $OATSTORE_ADMIN_KEY)")
	c.envKey = env("OATSTORE_ADMIN_KEY")
	fs.StringVar(&c.token, tokenFlag, "", "org management token, instead of an admin key (default $OATSTORE_TOKEN)")
	c.envToken = env("OATSTORE_TOKEN")
	fs.StringVar(&c.actor, "actor", or(env("OATSTORE_ACTOR"), env("USER")), "whom you act for, recorded in the audit log beside the key or token that acts (env OATSTORE_ACTOR, default $USER)")
	fs.BoolVar(&c.json, "json", false, "print the API's JSON answer")
	return c
}

// credential picks the admin key or the token: a flag over the
// environment, and never both at one level, since which one acts decides
// what the call may do and who the audit log names.
func (c *client) credential() (string, error) {
	switch {
	case c.key != "" && c.token != "":
		return "", usageErrorf("--admin-key and --%s both given: pass one", c.tokenFlag)
	case c.key != "":
		return c.key, nil
	case c.token != "":
		return c.token, nil
	case c.envKey != "" && c.envToken != "":
		return "", usageErrorf("OATSTORE_ADMIN_KEY and OATSTORE_TOKEN are both set: unset one, or pass --admin-key or --%s", c.tokenFlag)
	case c.envKey != "":
		return c.envKey, nil
	case c.envToken != "":
		return c.envToken, nil
	}
	return "", usageErrorf("no credential: set OATSTORE_ADMIN_KEY (or pass --admin-key), or OATSTORE_TOKEN for an org management token (or pass --%s)", c.tokenFlag)
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// apiError is an error answer of the API.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s (HTTP %d %s)", e.Message, e.Status, e.Code)
}

// call sends a request and decodes a 2xx answer into out (unless nil). It
// returns the raw body too, for --json.
func (c *client) call(method, path string, body, out any) ([]byte, error) {
	credential, err := c.credential()
	if err != nil {
		return nil, err
	}
	base, err := serverURL(c.server)
	if err != nil {
		return nil, usageError{msg: err.Error()}
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encoding request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+credential)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.actor != "" {
		req.Header.Set("X-Oatstore-Actor", c.actor)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling oatstore at %s: %w", base, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("reading answer: %w", err)
	}
	if res.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(raw, &e) != nil || e.Error.Message == "" {
			return nil, &apiError{Status: res.StatusCode, Code: "unexpected", Message: strings.TrimSpace(string(raw))}
		}
		return nil, &apiError{Status: res.StatusCode, Code: e.Error.Code, Message: flagNames(e.Error.Message, c.flags)}
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("decoding answer: %w", err)
		}
	}
	return raw, nil
}

// printJSON writes a raw answer indented.
func (c *client) printJSON(raw []byte) error {
	if len(raw) == 0 {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return fmt.Errorf("formatting answer: %w", err)
	}
	buf.WriteByte('\n')
	_, err := c.stdout.Write(buf.Bytes())
	return err
}
