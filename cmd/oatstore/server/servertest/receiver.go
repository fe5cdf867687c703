package servertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/webhook"
)

// Receiver is a webhook receiver on a loopback port that checks every
// request as the README tells receivers to: both signatures, the event id
// header against the body. A request that fails a check is answered 401
// and kept in Problems.
type Receiver struct {
	// URL is where to point a webhook.
	URL string

	secret []byte
	now    func() time.Time
	mu     sync.Mutex
	got    []Received
	bad    []string
	status []int // answers to give, in order; then 204
}

// Received is one request that passed the checks.
type Received struct {
	Body   store.EventBody
	Raw    []byte
	Header http.Header
	// Status is what the receiver answered.
	Status int
}

// NewReceiver starts a receiver that verifies with secret and refuses
// timestamps a minute or more away from now (the sender's clock).
func NewReceiver(t testing.TB, secret string, now func() time.Time) *Receiver {
	t.Helper()
	rc := &Receiver{secret: []byte(secret), now: now}
	hs := httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(hs.Close)
	rc.URL = hs.URL + "/hook"
	return rc
}

// AnswerNext makes the next requests get these statuses.
func (rc *Receiver) AnswerNext(statuses ...int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.status = append(rc.status, statuses...)
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	problem := ""
	var body store.EventBody
	switch {
	case err != nil:
		problem = "reading body: " + err.Error()
	case r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json":
		problem = fmt.Sprintf("%s with content type %q, want a JSON POST", r.Method, r.Header.Get("Content-Type"))
	case webhook.Verify(rc.secret, raw, r.Header.Get(webhook.SignatureHeader)) != nil:
		problem = "bad " + webhook.SignatureHeader + ": " + r.Header.Get(webhook.SignatureHeader)
	case webhook.VerifyTimestamped(rc.secret, raw, r.Header.Get(webhook.TimestampHeader), r.Header.Get(webhook.TimestampSignatureHeader), rc.now(), time.Minute) != nil:
		problem = "bad " + webhook.TimestampSignatureHeader
	case json.Unmarshal(raw, &body) != nil:
		problem = "body is not an event: " + string(raw)
	case body.ID == "" || r.Header.Get(webhook.EventIDHeader) != body.ID || r.Header.Get(webhook.EventTypeHeader) != body.Type:
		problem = fmt.Sprintf("event headers %q %q do not match the body %s", r.Header.Get(webhook.EventIDHeader), r.Header.Get(webhook.EventTypeHeader), raw)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if problem != "" {
		rc.bad = append(rc.bad, problem)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	status := http.StatusNoContent
	if len(rc.status) > 0 {
		status, rc.status = rc.status[0], rc.status[1:]
	}
	rc.got = append(rc.got, Received{Body: body, Raw: raw, Header: r.Header.Clone(), Status: status})
	w.WriteHeader(status)
}

// All returns every verified request, failed answers included.
func (rc *Receiver) All() []Received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Received(nil), rc.got...)
}

// Delivered returns the events answered 2xx, in arrival order.
func (rc *Receiver) Delivered() []store.EventBody {
	var out []store.EventBody
	for _, r := range rc.All() {
		if r.Status >= 200 && r.Status < 300 {
			out = append(out, r.Body)
		}
	}
	return out
}

// Problems returns the checks requests failed.
func (rc *Receiver) Problems() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.bad...)
}
