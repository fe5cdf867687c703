package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// maxAnswer is how much of a receiver's answer is read: the status is all
// that counts, the rest is drained so the connection can be reused.
const maxAnswer = 4 << 10

// userAgent names the sender to receivers.
const userAgent = "oatstore-webhook/1"

// newClient returns the client deliveries use: a timeout per attempt and
// no redirects (a 3xx is an answer, and a failed attempt: following it
// would send a signed body somewhere the org never configured).
//
// It connects directly, never through a proxy from the environment: the
// guard must see the receiver's own address.
func newClient(timeout time.Duration, g guard) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: g.control}).DialContext
	t.MaxIdleConnsPerHost = 4
	t.ResponseHeaderTimeout = timeout
	return &http.Client{
		Timeout:       timeout,
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// send POSTs d's body to its URL, signed, and returns what the attempt got.
// The secret only keys the HMAC: it is never sent, and an error never
// holds the URL (which may itself carry a credential of the receiver).
func send(ctx context.Context, c *http.Client, d store.DueDelivery, o Options, now time.Time) store.Outcome {
	if err := CheckURL(d.URL, o); err != nil {
		// The URL was accepted when set; the server's options changed since.
		return store.Outcome{Err: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return store.Outcome{Err: "building the request failed"}
	}
	secret := d.Secret.Reveal()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(EventIDHeader, d.EventID)
	req.Header.Set(EventTypeHeader, d.EventType)
	req.Header.Set(AttemptHeader, strconv.Itoa(d.Attempts+1))
	req.Header.Set(TimestampHeader, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(SignatureHeader, Sign(secret, d.Body))
	req.Header.Set(TimestampSignatureHeader, SignTimestamped(secret, now, d.Body))
	res, err := c.Do(req)
	if err != nil {
		return store.Outcome{Err: transportError(err)}
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxAnswer))
	out := store.Outcome{Status: res.StatusCode}
	if res.StatusCode >= 300 && res.StatusCode < 400 {
		out.Err = fmt.Sprintf("receiver answered %d; redirects are not followed: set the webhook's url to where it points", res.StatusCode)
	}
	return out
}

// transportError says why no answer came, without the URL that
// *url.Error would print.
func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer within the timeout"
	case errors.Is(err, context.Canceled):
		return "oatstore was shutting down"
	}
	return err.Error()
}
