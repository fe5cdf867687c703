package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Admin speaks oatstore's management API with the admin key, as an operator's
// scripts would.
type Admin struct {
	URL    string
	Key    string
	Client *http.Client
}

// Token is a created token: its id and, this once, its secret.
type Token struct {
	ID     string `json:"id"`
	Org    string `json:"org"`
	Label  string `json:"label"`
	Secret string `json:"token"`
}

// TokenRequest is the body of a token creation.
type TokenRequest struct {
	Label       string   `json:"label"`
	Description string   `json:"description,omitempty"`
	Scopes      []string `json:"scopes"`
	// ExpiresAt is an explicit expiry; ExpiresIn one of "30d", "90d", "none".
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	ExpiresIn string     `json:"expires_in,omitempty"`
}

// SetOrg creates or updates an org with its token limit.
func (a *Admin) SetOrg(ctx context.Context, org string, maxTokens int) error {
	return a.do(ctx, http.MethodPut, "/v1/orgs/"+url.PathEscape(org), map[string]any{"max_tokens": maxTokens}, nil)
}

// CreateToken creates a token and returns it with its secret.
func (a *Admin) CreateToken(ctx context.Context, org string, req TokenRequest) (Token, error) {
	if req.ExpiresAt == nil && req.ExpiresIn == "" {
		req.ExpiresIn = "30d"
	}
	var t Token
	err := a.do(ctx, http.MethodPost, "/v1/orgs/"+url.PathEscape(org)+"/tokens", req, &t)
	return t, err
}

// Revoke revokes a token for good.
func (a *Admin) Revoke(ctx context.Context, org, id string) error {
	return a.do(ctx, http.MethodPost, a.tokenPath(org, id)+"/revoke", nil, nil)
}

// Deactivate suspends a token; Activate lifts the suspension.
func (a *Admin) Deactivate(ctx context.Context, org, id string) error {
	return a.do(ctx, http.MethodPost, a.tokenPath(org, id)+"/deactivate", nil, nil)
}

// Activate reactivates a deactivated token.
func (a *Admin) Activate(ctx context.Context, org, id string) error {
	return a.do(ctx, http.MethodPost, a.tokenPath(org, id)+"/activate", nil, nil)
}

// SetScopes replaces a token's scopes.
func (a *Admin) SetScopes(ctx context.Context, org, id string, scopes []string) error {
	return a.do(ctx, http.MethodPatch, a.tokenPath(org, id), map[string]any{"scopes": scopes}, nil)
}

// Delete deletes a token (revoking it first if it is not).
func (a *Admin) Delete(ctx context.Context, org, id string) error {
	return a.do(ctx, http.MethodDelete, a.tokenPath(org, id)+"?purge=true", nil, nil)
}

// WebhookRequest is the body of a webhook PUT.
type WebhookRequest struct {
	URL    string   `json:"url"`
	Secret string   `json:"secret"`
	Events []string `json:"events"`
}

// SetWebhook creates or replaces webhook name of org.
func (a *Admin) SetWebhook(ctx context.Context, org, name string, req WebhookRequest) error {
	return a.do(ctx, "PUT", "/v1/orgs/"+url.PathEscape(org)+"/webhooks/"+url.PathEscape(name), req, nil)
}

func (a *Admin) tokenPath(org, id string) string {
	return "/v1/orgs/" + url.PathEscape(org) + "/tokens/" + url.PathEscape(id)
}

func (a *Admin) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.URL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.Key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := a.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decoding answer: %w", method, path, err)
		}
	}
	return nil
}
