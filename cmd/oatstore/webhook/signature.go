// Package webhook sends an org's events to its webhooks: it checks where a
// webhook may point, signs each body, POSTs it with a client that follows
// no redirect and reads a bounded answer, and runs the background loop
// that leases due deliveries from the store, sends them and records each
// outcome, beside the scan that queues expiry notices. What is due, what
// is retried and when lives in the store's rules; this package only sends.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The headers of every delivery.
const (
	// SignatureHeader holds "sha256=" and the hex HMAC-SHA256 of the body,
	// keyed with the webhook's secret.
	SignatureHeader = "X-Oatstore-Signature"
	// TimestampHeader holds the unix time (seconds) of this attempt.
	TimestampHeader = "X-Oatstore-Timestamp"
	// TimestampSignatureHeader holds "sha256=" and the hex HMAC-SHA256 of
	// the timestamp, a dot and the body: a receiver that checks it and
	// refuses old timestamps refuses a captured request replayed later,
	// without remembering event ids for long.
	TimestampSignatureHeader = "X-Oatstore-Timestamp-Signature"
	// EventIDHeader repeats the body's id, for receivers that dedupe
	// before parsing.
	EventIDHeader = "X-Oatstore-Event-Id"
	// EventTypeHeader repeats the body's type.
	EventTypeHeader = "X-Oatstore-Event-Type"
	// AttemptHeader counts attempts at this delivery, from 1.
	AttemptHeader = "X-Oatstore-Attempt"
)

const sigPrefix = "sha256="

// Sign returns the SignatureHeader value of body.
func Sign(secret, body []byte) string {
	return sigPrefix + mac(secret, body)
}

// SignTimestamped returns the TimestampSignatureHeader value of body sent
// at ts.
func SignTimestamped(secret []byte, ts time.Time, body []byte) string {
	return sigPrefix + mac(secret, timestamped(ts.Unix(), body))
}

func timestamped(unix int64, body []byte) []byte {
	msg := strconv.AppendInt(nil, unix, 10)
	msg = append(msg, '.')
	return append(msg, body...)
}

func mac(secret, msg []byte) string {
	h := hmac.New(sha256.New, secret)
	h.Write(msg)
	return hex.EncodeToString(h.Sum(nil))
}

// Sentinel errors of Verify.
var (
	// ErrBadSignature: the signature is missing, malformed or not the
	// body's under this secret.
	ErrBadSignature = errors.New("webhook signature does not match")
	// ErrStale: the timestamp is further from now than the tolerance.
	ErrStale = errors.New("webhook timestamp outside the tolerance")
)

// Verify checks a delivery as a receiver should: the SignatureHeader value
// sig against body, compared in constant time.
func Verify(secret, body []byte, sig string) error {
	got, ok := strings.CutPrefix(sig, sigPrefix)
	if !ok || !hmac.Equal([]byte(got), []byte(mac(secret, body))) {
		return ErrBadSignature
	}
	return nil
}

// VerifyTimestamped checks the TimestampHeader value ts and the
// TimestampSignatureHeader value sig against body, and that ts is within
// tolerance of now.
func VerifyTimestamped(secret, body []byte, ts, sig string, now time.Time, tolerance time.Duration) error {
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not unix seconds", ErrBadSignature, ts)
	}
	got, ok := strings.CutPrefix(sig, sigPrefix)
	if !ok || !hmac.Equal([]byte(got), []byte(mac(secret, timestamped(unix, body)))) {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}
