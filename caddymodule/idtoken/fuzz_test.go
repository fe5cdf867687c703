package idtoken

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzCheck: Check never panics, answers only its own errors, and whatever
// it accepts has the shape the store expects: three base64url segments, a
// signature, a header naming an alg other than none, within MaxLen.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		jwt(`{"alg":"RS256","kid":"k1"}`, `{"sub":"x"}`, sig),
		jwt(`{"alg":"none"}`, `{}`, ""),
		jwt(`{"alg":"none"}`, `{}`, sig),
		jwt(`{"alg":null}`, `{}`, sig),
		jwt(`{"alg":"RS256","alg":"none"}`, `{}`, sig),
		"eyJ..", "...", "a.b.c", "oat_x", "", "eyJhbGciOiJSUzI1NiJ9.e30.%%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := Check(s)
		if err != nil {
			if !errors.Is(err, ErrNotJWT) && !errors.Is(err, ErrTooLong) && !errors.Is(err, ErrHeader) && !errors.Is(err, ErrUnsigned) {
				t.Fatalf("Check(%q): unexpected error %v", s, err)
			}
			return
		}
		if len(s) > MaxLen {
			t.Fatalf("accepted %d bytes, more than MaxLen", len(s))
		}
		parts := strings.Split(s, ".")
		if len(parts) != 3 {
			t.Fatalf("accepted %q with %d segments", s, len(parts))
		}
		for i, p := range parts {
			if _, err := base64.RawURLEncoding.DecodeString(p); err != nil && i == 0 {
				t.Fatalf("accepted a header that does not decode: %q", s)
			}
			if p == "" {
				t.Fatalf("accepted an empty segment: %q", s)
			}
		}
		header, _ := base64.RawURLEncoding.DecodeString(parts[0])
		if strings.Contains(strings.ToLower(string(header)), `"none"`) && !strings.Contains(string(header), `"alg"`) {
			t.Fatalf("accepted a header without alg: %q", header)
		}
	})
}

// FuzzHeaderAlg holds the allocation-free header reader to encoding/json:
// whatever alg headerAlg reads from an object is the alg encoding/json
// reads, and it never reads one from what encoding/json refuses.
func FuzzHeaderAlg(f *testing.F) {
	for _, s := range []string{
		`{"alg":"RS256"}`, ` { "typ" : "JWT" , "alg" : "ES256" } `, `{"alg":"none"}`,
		`{"alg":"RS256","alg":"none"}`, `{"\u0061lg":"none"}`, `{"alg":"n\u006fne"}`,
		`{"x":{"alg":"none"},"alg":"RS256"}`, `{"x":["alg","}"],"alg":"RS256"}`, `{"alg":1}`,
		`[]`, `"alg"`, `{`, `{"alg":"RS256"} {}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, header []byte) {
		alg, ok := headerAlg(header)
		if !ok {
			return
		}
		var h map[string]json.RawMessage
		if err := json.Unmarshal(header, &h); err != nil {
			t.Fatalf("headerAlg read %q from %q, which encoding/json refuses: %v", alg, header, err)
		}
		var want string
		if err := json.Unmarshal(h["alg"], &want); err != nil {
			t.Fatalf("headerAlg read %q from %q, where encoding/json finds no string alg: %v", alg, header, err)
		}
		if string(alg) != want {
			t.Fatalf("headerAlg read %q from %q, encoding/json %q", alg, header, want)
		}
	})
}

// FuzzCanonicalSegment holds CanonicalSegment to encoding/base64: a
// segment is canonical exactly when the strict decoder reads it and
// encoding its bytes again spells it the same way.
func FuzzCanonicalSegment(f *testing.F) {
	for _, s := range []string{"QQ", "QR", "QUE", "QUF", "QUFB", "Q", "QU\nFB", "QUFB=", "", "-_", "c2lnbmF0dXJlLW9mLXRoZS1pc3N1ZXI"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := base64.RawURLEncoding.Strict().DecodeString(s)
		want := s != "" && err == nil && base64.RawURLEncoding.EncodeToString(b) == s
		if got := CanonicalSegment(s); got != want {
			t.Fatalf("CanonicalSegment(%q) = %v, want %v (strict decode: %v)", s, got, want, err)
		}
	})
}
