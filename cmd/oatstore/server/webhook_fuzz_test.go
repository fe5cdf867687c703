package server

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/webhook"
)

func FuzzDecodeWebhookBody(f *testing.F) {
	for _, s := range []string{
		`{"url":"https://hooks.example.com/x","secret":"0123456789abcdef0123","events":["token.created"]}`,
		`{"events":["token.revoked","token.revoked"]}`, `{"secret":"short"}`, `{"url":"http://127.0.0.1:1/"}`,
		`{"url":5}`, `{"events":"token.created"}`, `{"events":[]}`, `{"events":null}`, `{"x":1}`, `{`, ``, `null`,
		`{"url":"a","url":"b"}`, `{"URL":"https://h/"}`, `{"secret":"\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000"}`,
	} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, body string, loopback bool) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("PUT", "/", strings.NewReader(body))
		var req webhookRequest
		if !decode(w, r, &req) {
			if w.Code < 400 || w.Code >= 500 {
				t.Fatalf("decode refused %q with %d, want a 4xx", body, w.Code)
			}
			return
		}
		opts := webhook.Options{AllowLoopbackHTTP: loopback}
		err := req.check(opts)
		if err != nil {
			if req.Secret != nil && len(*req.Secret) >= 4 && strings.Contains(err.Error(), *req.Secret) {
				t.Fatalf("check's error %q quotes the secret", err)
			}
			return
		}
		// What passes is a webhook the dispatcher may send to.
		if req.URL != nil && webhook.CheckURL(*req.URL, opts) != nil {
			t.Fatalf("check accepted url %q", *req.URL)
		}
		if req.Secret != nil && (len(*req.Secret) < minWebhookSecret || len(*req.Secret) > maxWebhookSecret) {
			t.Fatalf("check accepted a secret of %d bytes", len(*req.Secret))
		}
		for _, e := range req.Events {
			if !slices.Contains(store.EventTypes, e) {
				t.Fatalf("check accepted event %q", e)
			}
		}
		if req.Events != nil && len(req.Events) == 0 {
			t.Fatalf("check accepted an empty event list")
		}
		hook, err := req.apply(store.Webhook{}, false)
		if err == nil {
			if hook.URL == "" || hook.Secret == "" || len(hook.Events) == 0 {
				t.Fatalf("apply made an incomplete new webhook %+v from %q", hook, body)
			}
			if b, _ := json.Marshal(hook); strings.Contains(string(b), string(hook.Secret)) {
				t.Fatalf("a webhook's JSON holds its secret: %s", b)
			}
		}
	})
}
