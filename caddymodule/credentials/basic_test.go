package credentials

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func basic(userpass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userpass))
}

func TestParseBasic(t *testing.T) {
	tests := []struct {
		name     string
		header   string
		wantUser string
		wantPass string
		wantErr  error
	}{
		{"well-formed credentials are read", basic("acme:oat_secret"), "acme", "oat_secret", nil},
		{"the scheme name is case-insensitive", "basic " + base64.StdEncoding.EncodeToString([]byte("acme:x")), "acme", "x", nil},
		{"a password may contain colons", basic("acme:a:b"), "acme", "a:b", nil},
		{"an empty header is missing", "", "", "", ErrMissing},
		{"bearer is another scheme", "Bearer oat_secret", "", "", ErrScheme},
		{"a bare scheme is another scheme", "Basic", "", "", ErrScheme},
		{"bad base64 is malformed", "Basic !!!notbase64", "", "", ErrMalformed},
		{"unpadded base64 is malformed", "Basic " + base64.RawStdEncoding.EncodeToString([]byte("acme:xy")), "", "", ErrMalformed},
		{"no colon is malformed", basic("acmeoat_secret"), "", "", ErrMalformed},
		{"an empty username is malformed", basic(":oat_secret"), "", "", ErrMalformed},
		{"an empty password is malformed", basic("acme:"), "", "", ErrMalformed},
		{"a NUL byte is malformed", basic("acme:oat\x00x"), "", "", ErrMalformed},
		{"a newline in the username is malformed", basic("acme\n:x"), "", "", ErrMalformed},
		{"a trailing newline after the token is dropped", basic("acme:oat_secret\n"), "acme", "oat_secret", nil},
		{"spaces around the token are dropped", basic("acme: oat_secret \r\n"), "acme", "oat_secret", nil},
		{"a password of only whitespace is malformed", basic("acme: \t\n"), "", "", ErrMalformed},
		{"a newline inside the token is malformed", basic("acme:oat\nsecret"), "", "", ErrMalformed},
		{"a 64 KiB header is too long", "Basic " + strings.Repeat("A", 64<<10), "", "", ErrTooLong},
		{"an 8 KiB ID token as the password is read whole", basic("acme:" + longJWT), "acme", longJWT, nil},
		{"an 8 KiB ID token with its trailing newline is read whole", basic("acme:" + longJWT + "\n"), "acme", longJWT, nil},
		{"a control character inside a long password is malformed", basic("acme:" + longJWT[:4000] + "\x01" + longJWT[4001:]), "", "", ErrMalformed},
		{"bad base64 in a long header is malformed", "Basic " + strings.Repeat("!", 2000), "", "", ErrMalformed},
		{"a header one byte over MaxHeaderLen is too long", "Basic " + strings.Repeat("A", MaxHeaderLen-len("Basic ")+1), "", "", ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBasic(tt.header)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseBasic error = %v, want %v", err, tt.wantErr)
			}
			if got.Username != tt.wantUser || got.Password() != tt.wantPass {
				t.Errorf("ParseBasic = %q/%q, want %q/%q", got.Username, got.Password(), tt.wantUser, tt.wantPass)
			}
		})
	}
}

// longJWT stands for a CI job's ID token at its longest, 8 KiB.
var longJWT = "eyJhbGciOiJSUzI1NiJ9." + strings.Repeat("eyJzdWIiOiJ4In0", 8<<10/15)[:8<<10-len("eyJhbGciOiJSUzI1NiJ9.")-5] + ".c2ln"

func TestFromRequestRefusesTwoHeaders(t *testing.T) {
	h := http.Header{}
	h.Add("Authorization", basic("acme:a"))
	h.Add("Authorization", basic("other:b"))
	if _, err := FromRequest(h); !errors.Is(err, ErrMultiple) {
		t.Errorf("FromRequest with two headers: error = %v, want %v", err, ErrMultiple)
	}
	if _, err := FromRequest(http.Header{}); !errors.Is(err, ErrMissing) {
		t.Errorf("FromRequest without a header: error = %v, want %v", err, ErrMissing)
	}
}

func TestFormattingNeverShowsThePassword(t *testing.T) {
	b, err := ParseBasic(basic("acme:oat_topsecret"))
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if got := fmt.Sprintf(format, b); strings.Contains(got, "topsecret") {
			t.Errorf("Sprintf(%q) = %q, shows the password", format, got)
		}
	}
}

func FuzzParseBasic(f *testing.F) {
	for _, seed := range []string{basic("acme:oat_x"), "Basic", "Bearer x", basic(":"), basic("a:b:c"), "Basic ====", basic("\x00:\x00"), basic("acme:" + longJWT)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		b, err := ParseBasic(header)
		if err != nil {
			if b != (Basic{}) {
				t.Fatalf("ParseBasic(%q) returned %v with error %v", header, b, err)
			}
			return
		}
		if b.Username == "" || b.Password() == "" || strings.Contains(b.Username, ":") || strings.Trim(b.Password(), " \t\r\n") != b.Password() {
			t.Fatalf("ParseBasic(%q) accepted username %q password %q", header, b.Username, b.Password())
		}
		if got, _ := ParseBasic(basic(b.Username + ":" + b.Password())); got != b {
			t.Fatalf("round trip of %q gave %v, want %v", header, got, b)
		}
	})
}

// A header is read with one allocation, the string both parts share:
// short ones are decoded on the stack, and an ID token's string shares
// the buffer it was decoded into.
func TestParseBasicAllocatesOnce(t *testing.T) {
	tests := []struct{ name, header string }{
		{"an org and an access token", basic("acme:oat_4Hj2kLm9Pq8Rs7Tu6Vw5Xy4Za3Bc2De1Fg0Hi9_1a2B3c")},
		{"an org and an 8 KiB ID token", basic("acme:" + longJWT)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testing.AllocsPerRun(100, func() {
				if _, err := ParseBasic(tt.header); err != nil {
					t.Fatal(err)
				}
			}); got != 1 {
				t.Fatalf("%.0f allocations, want 1", got)
			}
		})
	}
}

// hasControlByByte is the definition hasControl reads eight bytes at a time.
func hasControlByByte(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

func TestHasControl(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"printable ASCII has none", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_~ !", false},
		{"a NUL in the first word", "\x00abcdefgh", true},
		{"a unit separator in the second word", "abcdefgh\x1fabcdefg", true},
		{"DEL in the tail", "abcdefghij\x7f", true},
		{"a space is not a control", "        ", false},
		{"bytes above DEL are not controls", "\x80\xff\xc3\xa9abcdefgh", false},
		{"the empty string has none", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hasControl([]byte(tt.in)); got != tt.want {
				t.Fatalf("hasControl(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzHasControl holds the word-at-a-time test to the byte-at-a-time
// definition.
func FuzzHasControl(f *testing.F) {
	for _, s := range []string{"", "abcdefgh", "\x00", "abcdefgh\x7f", "\x1f\x20\x7e\x7f\x80", "\x20\x20\x20\x20\x20\x20\x20\x1f"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := hasControl(b), hasControlByByte(b); got != want {
			t.Fatalf("hasControl(%q) = %v, byte by byte %v", b, got, want)
		}
	})
}
