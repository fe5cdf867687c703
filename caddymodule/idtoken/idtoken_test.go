package idtoken

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// jwt builds a compact JWS from a header and payload in JSON and a
// signature; the signature is not checked here, only its presence.
func jwt(header, payload, sig string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + "." + sig
}

const sig = "c2lnbmF0dXJlLW9mLXRoZS1pc3N1ZXI"

func TestCheck(t *testing.T) {
	payload := `{"iss":"https://token.actions.githubusercontent.com","sub":"repo:acme/app:ref:refs/heads/main","aud":"oatgate"}`
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"an RS256 token from GitHub Actions passes", jwt(`{"alg":"RS256","kid":"k1","typ":"JWT"}`, payload, sig), nil},
		{"an ES256 token passes", jwt(`{"alg":"ES256"}`, payload, sig), nil},
		{"an EdDSA token passes (the store judges the algorithm)", jwt(`{"alg":"EdDSA"}`, payload, sig), nil},
		{"alg none is unsigned", jwt(`{"alg":"none"}`, payload, sig), ErrUnsigned},
		{"alg NONE in capitals is unsigned", jwt(`{"alg":"NONE"}`, payload, sig), ErrUnsigned},
		{"alg none with its empty signature is unsigned", jwt(`{"alg":"none"}`, payload, ""), ErrUnsigned},
		{"an RS256 header without a signature is not a JWS", jwt(`{"alg":"RS256"}`, payload, ""), ErrNotJWT},
		{"a header without alg is refused", jwt(`{"typ":"JWT"}`, payload, sig), ErrHeader},
		{"an empty alg is refused", jwt(`{"alg":""}`, payload, sig), ErrHeader},
		{"an alg that is not a string is refused", jwt(`{"alg":1}`, payload, sig), ErrHeader},
		{"a header that is not JSON is refused", jwt(`alg=RS256`, payload, sig), ErrHeader},
		{"a header that is a JSON array is refused", jwt(`["RS256"]`, payload, sig), ErrHeader},
		{"a header longer than 1 KiB is refused", jwt(`{"alg":"RS256","x":"`+strings.Repeat("a", 800)+`"}`, payload, sig), ErrHeader},
		{"two segments are not a JWT", jwt(`{"alg":"RS256"}`, payload, sig)[:strings.LastIndexByte(jwt(`{"alg":"RS256"}`, payload, sig), '.')], ErrNotJWT},
		{"four segments (a JWE has five) are not a JWT", jwt(`{"alg":"RS256"}`, payload, sig) + ".more", ErrNotJWT},
		{"an empty payload is not a JWT", "eyJhbGciOiJSUzI1NiJ9.." + sig, ErrNotJWT},
		{"an empty header is not a JWT", "." + sig + "." + sig, ErrNotJWT},
		{"padding is not base64url", jwt(`{"alg":"RS256"}`, payload, sig+"=="), ErrNotJWT},
		{"standard base64 characters are not base64url", jwt(`{"alg":"RS256"}`, payload, "ab+/cd"), ErrNotJWT},
		{"a space inside is refused", jwt(`{"alg":"RS256"}`, payload, "ab cd"), ErrNotJWT},
		{"a header that is not valid base64 is refused", "eyJ%.e30." + sig, ErrNotJWT},
		{"an access token is not a JWT", "oat_4Hj2kLm9Pq8Rs7Tu6Vw5Xy4Za3Bc2De1Fg0Hi9_1a2B3c", ErrNotJWT},
		{"the empty string is not a JWT", "", ErrNotJWT},
		// Go's decoders ignore a last character's unused bits: "I" and "J"
		// both end "...IQ" decoding; only the spelling with zero bits is
		// the token, so that one JWT has one cache key and one store row.
		{"a signature whose last character has unused bits set (length 4n+3) is refused", jwt(`{"alg":"RS256"}`, payload, sig[:len(sig)-1]+"J"), ErrNotJWT},
		{"a segment whose last character has unused bits set (length 4n+2) is refused", jwt(`{"alg":"RS256"}`, payload, "QR"), ErrNotJWT},
		{"a segment with zero unused bits (length 4n+2) passes", jwt(`{"alg":"RS256"}`, payload, "QQ"), nil},
		{"a segment of length 4n+1 is refused", jwt(`{"alg":"RS256"}`, payload, "QUFBQ"), ErrNotJWT},
		{"a newline inside a segment is refused", jwt(`{"alg":"RS256"}`, payload, "QUFB\nQQ"), ErrNotJWT},
		{"a token longer than MaxLen is refused before parsing", jwt(`{"alg":"RS256"}`, strings.Repeat("p", MaxLen), sig), ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Check(tt.token); !errors.Is(got, tt.want) {
				t.Fatalf("Check: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLooksTellsAnIDTokenFromAnAccessToken(t *testing.T) {
	tests := []struct {
		name  string
		token string
		want  bool
	}{
		{"a JWT looks like one", jwt(`{"alg":"RS256"}`, `{}`, sig), true},
		{"an access token does not", "oat_4Hj2kLm9Pq8Rs7Tu6Vw5Xy4Za3Bc2De1Fg0Hi9_1a2B3c", false},
		{"a password does not", "hunter2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Looks(tt.token); got != tt.want {
				t.Fatalf("Looks: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestErrorsNeverHoldTheToken(t *testing.T) {
	token := jwt(`{"alg":"none"}`, `{"sub":"secret-subject"}`, sig)
	err := Check(token)
	if err == nil {
		t.Fatal("Check of alg none: got nil, want a refusal")
	}
	for _, part := range strings.Split(token, ".") {
		if strings.Contains(err.Error(), part) {
			t.Fatalf("error %q holds part of the token", err)
		}
	}
}

func TestCheckDoesNotAllocate(t *testing.T) {
	token := jwt(`{"alg":"RS256","kid":"k1","typ":"JWT"}`, `{"sub":"repo:acme/app:ref:refs/heads/main"}`, sig)
	allocs := testing.AllocsPerRun(100, func() {
		if Check(token) != nil {
			t.Fatal("Check refused a good token")
		}
	})
	if allocs != 0 {
		t.Fatalf("Check: %.0f allocations per call, want none", allocs)
	}
}

func BenchmarkCheck(b *testing.B) {
	token := jwt(`{"alg":"RS256","kid":"38826b17-6a30-5f9b-b169-8beb8202f723","typ":"JWT","x5t":"ykNaY4qM_ta4k2TgZOCEYLkcYlA"}`,
		`{"iss":"https://token.actions.githubusercontent.com","sub":"repo:acme/app:ref:refs/heads/main","aud":"oatgate"}`, strings.Repeat(sig, 11))
	b.ReportAllocs()
	for b.Loop() {
		if Check(token) != nil {
			b.Fatal("refused")
		}
	}
}
