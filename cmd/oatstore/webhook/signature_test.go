package webhook

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestASignatureVerifiesOnlyItsBodyUnderItsSecret(t *testing.T) {
	secret, body := []byte("s3cret-s3cret-s3cret"), []byte(`{"id":"evt_1","type":"token.created"}`)
	sig := Sign(secret, body)
	cases := []struct {
		name   string
		secret []byte
		body   []byte
		sig    string
		ok     bool
	}{
		{"the body as sent verifies", secret, body, sig, true},
		{"a changed body does not", secret, []byte(`{"id":"evt_1","type":"token.revoked"}`), sig, false},
		{"another secret does not", []byte("another-secret-another"), body, sig, false},
		{"a signature without its prefix does not", secret, body, sig[len("sha256="):], false},
		{"an upper-case hex signature does not", secret, body, "sha256=" + upper(sig[len("sha256="):]), false},
		{"an empty signature does not", secret, body, "", false},
		{"a truncated signature does not", secret, body, sig[:len(sig)-2], false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Verify(c.secret, c.body, c.sig)
			if (err == nil) != c.ok {
				t.Errorf("Verify = %v, want ok=%v", err, c.ok)
			}
			if err != nil && !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify = %v, want ErrBadSignature", err)
			}
		})
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func TestSignMatchesOpenSSL(t *testing.T) {
	// printf '%s' 'hello' | openssl dgst -sha256 -hmac key
	got := Sign([]byte("key"), []byte("hello"))
	const want = "sha256=9307b3b915efb5171ff14d8cb55fbcc798c6c0ef1456d66ded1a6aa723a58b7b"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestATimestampedSignatureRefusesReplaysAndOtherTimes(t *testing.T) {
	secret, body := []byte("s3cret-s3cret-s3cret"), []byte(`{"id":"evt_1"}`)
	sent := time.Unix(1_780_000_000, 0)
	ts := strconv.FormatInt(sent.Unix(), 10)
	sig := SignTimestamped(secret, sent, body)
	cases := []struct {
		name string
		ts   string
		sig  string
		now  time.Time
		want error
	}{
		{"a fresh request verifies", ts, sig, sent.Add(30 * time.Second), nil},
		{"a request replayed ten minutes later is stale", ts, sig, sent.Add(10 * time.Minute), ErrStale},
		{"a request from the future is stale", ts, sig, sent.Add(-10 * time.Minute), ErrStale},
		{"a timestamp moved forward breaks the signature", strconv.FormatInt(sent.Unix()+600, 10), sig, sent.Add(10 * time.Minute), ErrBadSignature},
		{"a timestamp that is not a number is refused", "yesterday", sig, sent, ErrBadSignature},
		{"the body signature in its place is refused", ts, Sign(secret, body), sent, ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := VerifyTimestamped(secret, body, c.ts, c.sig, c.now, 5*time.Minute)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Errorf("VerifyTimestamped = %v, want %v", err, c.want)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	secret, body := []byte("s3cret-s3cret-s3cret"), []byte(`{"id":"evt_1"}`)
	for _, s := range []string{Sign(secret, body), "", "sha256=", "sha256=zz", "sha1=abc", "sha256=" + string(make([]byte, 64))} {
		f.Add(s, "1780000000")
	}
	f.Fuzz(func(t *testing.T, sig, ts string) {
		if Verify(secret, body, sig) == nil && sig != Sign(secret, body) {
			t.Errorf("Verify accepted %q, which is not the signature", sig)
		}
		err := VerifyTimestamped(secret, body, ts, sig, time.Unix(1_780_000_000, 0), time.Minute)
		if err == nil {
			unix, perr := strconv.ParseInt(ts, 10, 64)
			if perr != nil || sig != SignTimestamped(secret, time.Unix(unix, 0), body) {
				t.Errorf("VerifyTimestamped accepted %q at %q", sig, ts)
			}
		}
	})
}
