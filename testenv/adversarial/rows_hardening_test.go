package adversarial

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/testenv"
)

// TestHardening holds the rows added for issue 12: what reaches the
// registry, catalog n=0, messages that say which, and credentials with
// surrounding whitespace.
func TestHardening(t *testing.T) {
	for _, r := range hardeningRows() {
		t.Run(r.reason, func(t *testing.T) { runRow(t, r) })
	}
}

// withoutHeaders checks that no request the registry saw carried any of
// names, and that it saw at least one request.
func withoutHeaders(names ...string) func(*testing.T, []testenv.SeenRequest) {
	return func(t *testing.T, seen []testenv.SeenRequest) {
		t.Helper()
		if len(seen) == 0 {
			t.Fatal("the registry saw nothing, want the allowed request")
		}
		for _, s := range seen {
			for _, h := range names {
				if v := s.Header.Values(h); len(v) > 0 {
					t.Errorf("the registry received %s on %s %s: %q", h, s.Method, s.Path, v)
				}
			}
		}
	}
}

// withHeader checks that the registry saw name with value.
func withHeader(name, value string) func(*testing.T, []testenv.SeenRequest) {
	return func(t *testing.T, seen []testenv.SeenRequest) {
		t.Helper()
		if len(seen) == 0 || seen[0].Header.Get(name) != value {
			t.Errorf("the registry saw %v, want %s: %s on the request", seen, name, value)
		}
	}
}

// messageHas checks that the registry error's message contains each of want.
func messageHas(want ...string) func(*testing.T, []byte) {
	return func(t *testing.T, body []byte) {
		t.Helper()
		var env struct {
			Errors []struct {
				Message string `json:"message"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(body, &env); err != nil || len(env.Errors) == 0 {
			t.Fatalf("body %q is no registry error: %v", body, err)
		}
		for _, w := range want {
			if !strings.Contains(env.Errors[0].Message, w) {
				t.Errorf("message %q does not say %q", env.Errors[0].Message, w)
			}
		}
	}
}

// emptyPage checks a catalog page with no names.
func emptyPage(t *testing.T, body []byte) {
	t.Helper()
	var cat struct {
		Repositories []string `json:"repositories"`
	}
	if err := json.Unmarshal(body, &cat); err != nil || cat.Repositories == nil || len(cat.Repositories) != 0 {
		t.Errorf("catalog body %q: want {\"repositories\":[]}", body)
	}
}

func hardeningRows() []row {
	// Headers no registry needs, that a registry or a proxy in front of it
	// might trust (issue 12 items 5, 6, 8).
	untrusted := []string{
		"Forwarded", "X-Http-Method-Override", "X-Http-Method", "X-Method-Override",
		"Cookie", "X-Authenticated-User", "X-Webauth-User", "X-Forwarded-Access-Token",
	}
	withUntrusted := func(w wire) wire {
		w = w.with("Forwarded", "host=evil.example;proto=https")
		for _, h := range untrusted[1:4] {
			w = w.with(h, "DELETE")
		}
		for _, h := range untrusted[4:] {
			w = w.with(h, "admin")
		}
		return w
	}
	return []row{
		{reason: "Forwarded, method overrides, cookies and identity headers never reach the registry on a pull", build: func(t *testing.T) wire {
			return withUntrusted(fx.as(acmeAll, pull()))
		}, status: 200, reaches: true, check: withoutHeaders(untrusted...)},
		{reason: "Forwarded cannot point an upload's Location at another host", build: func(t *testing.T) wire {
			return withUntrusted(fx.as(acmeAll, req(http.MethodPost, "/v2/acme/app/blobs/uploads/")))
		}, status: 202, reaches: true, check: withoutHeaders(untrusted...)},
		{reason: "what a registry reads still reaches it", build: func(t *testing.T) wire {
			return fx.as(acmeAll, pull())
		}, status: 200, reaches: true, check: withHeader("Accept", ociManifest)},
		{reason: "a websocket upgrade on an allowed pull is refused", build: func(t *testing.T) wire {
			return fx.as(acmeAll, pull()).with("Connection", "Upgrade").with("Upgrade", "websocket")
		}, status: 400, code: "UNSUPPORTED"},
		{reason: "an h2c upgrade on an allowed pull is refused", build: func(t *testing.T) wire {
			return fx.as(acmeAll, pull()).with("Upgrade", "h2c").with("HTTP2-Settings", "AAMAAABkAAQCAAAAAAIAAAAA")
		}, status: 400, code: "UNSUPPORTED"},
		{reason: "a catalog n=0 is an empty page the registry is not asked for", build: as(acmeAll, http.MethodGet, "/v2/_catalog?n=0"),
			status: 200, checkBody: emptyPage},
		{reason: "a repository named like the org is outside its namespace", build: as(acmeAll, http.MethodGet, "/v2/acme/manifests/latest"),
			status: 403, code: "DENIED"},
		{reason: "a password with a trailing newline is the token", build: func(t *testing.T) wire {
			tok := fx.tokens[acmeAll]
			return pull().with("Authorization", basic(tok.Org, tok.Secret+"\n"))
		}, status: 200, reaches: true},
		{reason: "a password with surrounding spaces is the token", build: func(t *testing.T) wire {
			tok := fx.tokens[acmeAll]
			return pull().with("Authorization", basic(tok.Org, " "+tok.Secret+" "))
		}, status: 200, reaches: true},
		{reason: "a 401 without credentials says none were sent", build: fixed(pull),
			status: 401, code: "UNAUTHORIZED", checkBody: messageHas("no credentials were sent")},
		{reason: "a 401 for a password that is no token says so", build: fixed(func() wire {
			return pull().with("Authorization", basic("acme", "hunter2"))
		}), status: 401, code: "UNAUTHORIZED", checkBody: messageHas("the password is not an access token")},
		{reason: "a 401 for another org's username says the username is not the token's org", build: func(t *testing.T) wire {
			return pull().with("Authorization", basic("globex", fx.tokens[acmeAll].Secret))
		}, status: 401, code: "UNAUTHORIZED", checkBody: messageHas("the username is not the token's organization")},
		{reason: "a 401 for an unknown token says the token is not known", build: fixed(func() wire {
			return pull().with("Authorization", basic("acme", unknownToken))
		}), status: 401, code: "UNAUTHORIZED", checkBody: messageHas("unknown or inactive token")},
		{reason: "a 403 names the action and repository that were needed", build: func(t *testing.T) wire {
			return fx.as(acmePull, req(http.MethodPut, manifestPath).with("Content-Type", ociManifest))
		}, status: 403, code: "DENIED", checkBody: messageHas("requested access to the resource is denied", "push", "acme/app")},
	}
}

// TestRefusalsDoNotWaitForTheBody sends writes a pull-only token may not
// make, with a body the gateway never reads, and wants the 403 at once
// (issue 12 item 11).
func TestRefusalsDoNotWaitForTheBody(t *testing.T) {
	auth := fx.auth(acmePull)
	tests := []struct {
		name    string
		headers string
	}{
		{"a declared body that never comes", "Content-Length: 100\r\n"},
		{"a body behind Expect: 100-continue", "Content-Length: 2097152\r\nExpect: 100-continue\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", fx.env.GatewayHost, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Type: %s\r\n%s\r\n",
				manifestPath, fx.env.GatewayHost, auth, ociManifest, tt.headers)
			start := time.Now()
			resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: http.MethodPut})
			if err != nil {
				t.Fatalf("no answer within 5 s without sending the body: %v", err)
			}
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("got %d, want 403 as the first answer (no 100 Continue)", resp.StatusCode)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("the answer took %s, want it at once", d)
			}
		})
	}
}

// unknownToken has a valid format and checksum but was never issued.
var unknownToken = func() string {
	tok, err := oat.Generate()
	if err != nil {
		panic(err)
	}
	return tok.Reveal()
}()
