package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/oatgate/oatgate/testenv"
)

// keptToken returns the quick-start token kept in path when it is still
// active for org (asked of the store by introspection, as a gateway
// would), or mints a new one and keeps it. reused says which. The token
// file holds the secret, so it is written with mode 0600.
func keptToken(ctx context.Context, env *testenv.Env, org, path string) (tok testenv.Token, reused bool, err error) {
	raw, err := readSecretFile(path)
	switch {
	case err == nil:
		var kept testenv.Token
		if json.Unmarshal([]byte(raw), &kept) == nil && kept.Org == org && kept.Secret != "" {
			active, err := introspect(ctx, env, kept.Secret)
			if err != nil {
				return testenv.Token{}, false, err
			}
			if active {
				return kept, true, nil
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return testenv.Token{}, false, err
	}
	if tok, err = testenv.QuickStart(ctx, env, org); err != nil {
		return testenv.Token{}, false, err
	}
	b, err := json.Marshal(tok)
	if err != nil {
		return testenv.Token{}, false, err
	}
	if err := writeSecretFile(path, append(b, '\n')); err != nil {
		return testenv.Token{}, false, err
	}
	return tok, false, nil
}

// introspect asks the store whether secret is an active token, with the
// gateway key, exactly as the gateway does.
func introspect(ctx context.Context, env *testenv.Env, secret string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.Store.URL+"/v1/introspect",
		strings.NewReader(url.Values{"token": {secret}}.Encode()))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+env.GatewayKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("introspecting the kept quick-start token: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("introspecting the kept quick-start token: %s", resp.Status)
	}
	var answer struct {
		Active bool `json:"active"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return false, fmt.Errorf("introspecting the kept quick-start token: %w", err)
	}
	return answer.Active, nil
}
