package webhook

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/egress"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

const testSecret = "send-test-secret-0123456789abcdef"

func due(url string) store.DueDelivery {
	return store.DueDelivery{
		Delivery: store.Delivery{ID: 1, EventID: "evt_test", EventType: store.EventWebhookTest},
		URL:      url, Secret: testSecret, Body: []byte(`{"id":"evt_test","type":"webhook.test"}`),
	}
}

func TestTheSenderFollowsNoRedirectAndNeverSendsTheSecret(t *testing.T) {
	var elsewhere atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer target.Close()
	var leaked atomic.Value
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		for name, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(v, testSecret) {
					leaked.Store("header " + name)
				}
			}
		}
		if strings.Contains(string(b), testSecret) || strings.Contains(r.URL.String(), testSecret) {
			leaked.Store("body or URL")
		}
		if Verify([]byte(testSecret), b, r.Header.Get(SignatureHeader)) != nil {
			leaked.Store("a bad signature")
		}
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, target.URL+"/caught", http.StatusFound)
		case "/endless":
			w.WriteHeader(http.StatusOK)
			chunk := []byte(strings.Repeat("x", 1024))
			for i := 0; i < 1<<20; i++ { // a gigabyte, unless the sender stops reading
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case "/slow":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		}
	}))
	defer receiver.Close()

	c := newClient(500*time.Millisecond, egress.Policy{Loopback: true})
	cases := []struct {
		name       string
		path       string
		wantStatus int
		wantErr    string
	}{
		{"a 2xx is a success", "/ok", 200, ""},
		{"a redirect is an answer, not followed", "/redirect", 302, "redirects are not followed"},
		{"an endless answer is read no further than its first KiBs", "/endless", 200, ""},
		{"a receiver that does not answer in time fails the attempt", "/slow", 0, "no answer within the timeout"},
	}
	for _, c2 := range cases {
		t.Run(c2.name, func(t *testing.T) {
			start := time.Now()
			o, _ := send(context.Background(), c, due(receiver.URL+c2.path), Options{AllowLoopbackHTTP: true}, time.Now())
			if o.Status != c2.wantStatus || !strings.Contains(o.Err, c2.wantErr) || (c2.wantErr == "" && o.Err != "") {
				t.Errorf("send = %+v, want status %d and error containing %q", o, c2.wantStatus, c2.wantErr)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("send took %v", took)
			}
		})
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
	if v := leaked.Load(); v != nil {
		t.Errorf("the receiver saw the secret or a bad signature: %v", v)
	}
}

func TestAFailedAttemptSaysWhyWithoutTheURL(t *testing.T) {
	ln := httptest.NewServer(http.NotFoundHandler())
	url := ln.URL + "/receiver-credential-in-path"
	ln.Close() // nothing listens there now
	cases := []struct {
		name     string
		url      string
		loopback bool
		want     string
		// resolved: the URL names a host, whose address the error must
		// not tell.
		resolved bool
	}{
		{"a refused connection", url, true, "connection refused", false},
		{"a URL the switch no longer allows", url, false, "--webhook-allow-loopback-http", false},
		{"a name that resolves to a refused address", strings.Replace(url, "http://127.0.0.1", "https://localhost", 1), false, "not public", true},
		{"a refused connection to a name", strings.Replace(url, "127.0.0.1", "localhost", 1), true, "connection refused", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, _ := send(context.Background(), newClient(time.Second, egress.Policy{Loopback: c.loopback}), due(c.url), Options{AllowLoopbackHTTP: c.loopback}, time.Now())
			if o.Status != 0 || !strings.Contains(o.Err, c.want) {
				t.Errorf("send = %+v, want an error containing %q", o, c.want)
			}
			if strings.Contains(o.Err, "receiver-credential-in-path") {
				t.Errorf("the error %q holds the URL", o.Err)
			}
			// The org reads it: the address its URL's name resolved to is
			// not theirs to learn (a name of the internal network).
			if c.resolved && (strings.Contains(o.Err, "127.0.0.1") || strings.Contains(o.Err, "::1")) {
				t.Errorf("the error %q names the address the name resolved to", o.Err)
			}
		})
	}
}

func TestAConnectionResetAfterConnectingNamesNoAddress(t *testing.T) {
	// The receiver takes the request and resets the connection: the
	// error Go reports names both ends' addresses.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijacking: %v", err)
			return
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0) // close with RST, not FIN
		}
		conn.Close()
	}))
	defer srv.Close()
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/receiver-credential-in-path"
	o, _ := send(context.Background(), newClient(time.Second, egress.Policy{Loopback: true}), due(url), Options{AllowLoopbackHTTP: true}, time.Now())
	if o.Status != 0 || o.Err == "" {
		t.Fatalf("send = %+v, want a failed attempt", o)
	}
	for _, leak := range []string{"127.0.0.1", "::1", "receiver-credential-in-path"} {
		if strings.Contains(o.Err, leak) {
			t.Errorf("the error %q holds %q", o.Err, leak)
		}
	}
}
