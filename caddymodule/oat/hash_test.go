package oat

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestHashOfIsTheSHA256OfTheWholeString(t *testing.T) {
	tok := generate(t)
	tests := []struct {
		name string
		in   string
	}{
		{"a token", tok},
		{"the empty string", ""},
		{"a string longer than a token", tok + tok},
	}
	for _, tt := range tests {
		t.Run("hashing "+tt.name, func(t *testing.T) {
			if got, want := HashOf(tt.in), Hash(sha256.Sum256([]byte(tt.in))); got != want {
				t.Errorf("HashOf(%q) = %v, want %v", tt.in, got, want)
			}
		})
	}
	if got, want := (Token{secret: tok}).Hash(), HashOf(tok); got != want {
		t.Errorf("Token.Hash() = %v, want %v", got, want)
	}
}

func TestParseHash(t *testing.T) {
	h := HashOf("oat_example")
	tests := []struct {
		name    string
		in      string
		want    Hash
		wantErr bool
	}{
		{"String's output parses back", h.String(), h, false},
		{"all zeros parse", strings.Repeat("0", 64), Hash{}, false},
		{"uppercase hex is refused", strings.ToUpper(h.String()), Hash{}, true},
		{"a short string is refused", h.String()[:63], Hash{}, true},
		{"a long string is refused", h.String() + "0", Hash{}, true},
		{"a non-hex digit is refused", "g" + h.String()[1:], Hash{}, true},
		{"an empty string is refused", "", Hash{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHash(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseHash(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrHash) {
				t.Errorf("ParseHash(%q) error = %v, want ErrHash", tt.in, err)
			}
		})
	}
}

func TestHashRoundTripsThroughJSON(t *testing.T) {
	h := HashOf("oat_example")
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"` + h.String() + `"`; string(b) != want {
		t.Errorf("json.Marshal(hash) = %s, want %s", b, want)
	}
	var got Hash
	if err := json.Unmarshal(b, &got); err != nil || got != h {
		t.Errorf("json.Unmarshal(%s) = %v, %v; want %v, nil", b, got, err, h)
	}
	if err := json.Unmarshal([]byte(`"zz"`), &got); !errors.Is(err, ErrHash) {
		t.Errorf("json.Unmarshal(zz) error = %v, want ErrHash", err)
	}
}

func FuzzParseHash(f *testing.F) {
	f.Add(HashOf("oat_example").String())
	f.Add("")
	f.Add(strings.Repeat("F", 64))
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHash(s)
		if err != nil {
			return
		}
		if h.String() != s {
			t.Fatalf("ParseHash(%q).String() = %q, want the input back", s, h.String())
		}
	})
}
