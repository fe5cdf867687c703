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

	"github.com/oatgate/oatgate/cmd/oatstore/egress"
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
// It connects only where p allows (see package egress), directly, never
// through a proxy from the environment.
func newClient(timeout time.Duration, p egress.Policy) *http.Client {
	t := p.Transport(timeout)
	t.MaxIdleConnsPerHost = 4
	return &http.Client{
		Timeout:       timeout,
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// send POSTs d's body to its URL, signed, and returns what the attempt got,
// and when no answer came, why, in full for the server's log. The secret
// only keys the HMAC: it is never sent, and neither error holds the URL
// (which may itself carry a credential of the receiver).
func send(ctx context.Context, c *http.Client, d store.DueDelivery, o Options, now time.Time) (store.Outcome, error) {
	if err := CheckURL(d.URL, o); err != nil {
		// The URL was accepted when set; the server's options changed since.
		return store.Outcome{Err: err.Error()}, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return store.Outcome{Err: "building the request failed"}, nil
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
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return store.Outcome{Err: transportError(err)}, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxAnswer))
	out := store.Outcome{Status: res.StatusCode}
	if res.StatusCode >= 300 && res.StatusCode < 400 {
		out.Err = fmt.Sprintf("receiver answered %d; redirects are not followed: set the webhook's url to where it points", res.StatusCode)
	}
	return out, nil
}

// refusedText is the last_error of a delivery the egress policy stopped.
// It names no address: the org reads it, and the address a name of the
// internal network resolves to is not theirs to learn.
const refusedText = "the receiver's address is not public (loopback, private or reserved); oatstore serve --webhook-allow-loopback-http or --webhook-allow-private-networks allows such receivers"

// transportError says why no answer came, in words an org may read:
// without the URL that *url.Error would print, nor a refused address.
func transportError(err error) string {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.Is(err, egress.ErrRefused):
		return refusedText
	case errors.As(err, &dnsErr):
		// Its text names the resolver's address.
		return "looking up the receiver's name failed: " + dnsErr.Err
	case errors.As(err, &opErr) && opErr.Op == "dial":
		// Its text names the address the name resolved to.
		return "connecting to the receiver failed: " + opErr.Err.Error()
	case errors.As(err, &opErr):
		// A reset or broken pipe after connecting: its text names both
		// ends' addresses, oatstore's and the receiver's.
		return "talking to the receiver failed: " + opErr.Err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer within the timeout"
	case errors.Is(err, context.Canceled):
		return "oatstore was shutting down"
	}
	return err.Error()
}

// hint says which switch of oatstore serve allows a refused address.
func hint(err error) string {
	var re *egress.RefusedError
	if !errors.As(err, &re) {
		return ""
	}
	switch re.Class {
	case egress.Loopback:
		return "; oatstore serve --webhook-allow-loopback-http allows receivers on this machine"
	case egress.Private:
		return "; oatstore serve --webhook-allow-private-networks allows receivers in the internal network"
	}
	return ", never a webhook receiver"
}
