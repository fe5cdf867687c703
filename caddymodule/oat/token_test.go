package oat

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"regexp"
	"strings"
	"testing"
)

// scannerPattern is the pattern secret scanners are told to look for.
var scannerPattern = regexp.MustCompile(`^oat_[0-9A-Za-z]{43}[0-9A-Za-z]{6}$`)

func generate(t testing.TB) string {
	t.Helper()
	tok, err := Generate()
	if err != nil {
		t.Fatalf("Generate() error = %v", err)
	}
	return tok.Reveal()
}

// withChecksum builds a token from a 43-character secret part.
func withChecksum(secret string) string {
	sum := encodeChecksum(crc32.ChecksumIEEE([]byte(secret)))
	return Prefix + secret + string(sum[:])
}

func TestGenerateMatchesTheScannerPatternAndPassesCheck(t *testing.T) {
	seen := make(map[string]bool)
	for range 200 {
		tok := generate(t)
		if !scannerPattern.MatchString(tok) {
			t.Fatalf("Generate() = %q, does not match %v", tok, scannerPattern)
		}
		if err := Check(tok); err != nil {
			t.Fatalf("Check(%q) = %v, want nil", tok, err)
		}
		if seen[tok] {
			t.Fatalf("Generate() repeated %q", tok)
		}
		seen[tok] = true
	}
}

func TestCheck(t *testing.T) {
	valid := generate(t)
	zeros := withChecksum(strings.Repeat("0", secretLen))
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"a generated token passes", valid, nil},
		{"the all-zero secret passes", zeros, nil},
		{"the largest 256-bit secret passes", withChecksum(maxSecret), nil},
		{"an empty string is no token", "", ErrFormat},
		{"the prefix alone is no token", Prefix, ErrFormat},
		{"a token missing its last character is refused", valid[:Len-1], ErrFormat},
		{"a token with an extra character is refused", valid + "0", ErrFormat},
		{"an uppercase prefix is refused", "OAT_" + valid[4:], ErrFormat},
		{"another prefix is refused", "ghp_" + valid[4:], ErrFormat},
		{"a dash in the secret is refused", valid[:10] + "-" + valid[11:], ErrFormat},
		{"a non-ASCII byte is refused", valid[:10] + "\xff" + valid[11:], ErrFormat},
		{"a secret beyond 256 bits is refused", withChecksum(strings.Repeat("z", secretLen)), ErrFormat},
		{"a wrong checksum is refused", zeros[:Len-6] + "000000", ErrChecksum},
		{"surrounding whitespace is refused", " " + valid[:Len-1], ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Check(tt.token); !errors.Is(got, tt.want) {
				t.Errorf("Check(%q) = %v, want %v", tt.token, got, tt.want)
			}
		})
	}
}

// TestCheckRefusesEverySingleByteChange replaces each byte of valid tokens
// with every other byte value: CRC32 detects every single-byte error, and the
// prefix and alphabet catch the rest.
func TestCheckRefusesEverySingleByteChange(t *testing.T) {
	tokens := map[string]string{
		"a generated token":        generate(t),
		"the all-zero token":       withChecksum(strings.Repeat("0", secretLen)),
		"the largest-secret token": withChecksum(maxSecret),
	}
	for name, tok := range tokens {
		t.Run("every change to "+name+" is refused", func(t *testing.T) {
			b := []byte(tok)
			for i := range b {
				orig := b[i]
				for c := range 256 {
					if byte(c) == orig {
						continue
					}
					b[i] = byte(c)
					if err := Check(string(b)); err == nil {
						t.Fatalf("Check(%q) = nil after changing byte %d from %q to %q, want an error", b, i, orig, byte(c))
					}
				}
				b[i] = orig
			}
		})
	}
}

func TestChecksumMatchesTheStandardLibrary(t *testing.T) {
	inputs := []string{strings.Repeat("0", secretLen), maxSecret, "\xff\x00\x80"}
	// Every length up to three 8-byte blocks plus a tail.
	all := "The quick brown fox jumps over the lazy dog."
	for n := 0; n <= 25; n++ {
		inputs = append(inputs, all[:n])
	}
	for _, s := range inputs {
		if got, want := checksum(s), crc32.ChecksumIEEE([]byte(s)); got != want {
			t.Errorf("checksum(%q) = %#x, want %#x", s, got, want)
		}
	}
}

func TestEncodeSecretIsFixedWidthAndOrdered(t *testing.T) {
	tests := []struct {
		name string
		in   [secretBytes]byte
		want string
	}{
		{"zero pads to full width", [secretBytes]byte{}, strings.Repeat("0", secretLen)},
		{"one is the last digit", [secretBytes]byte{31: 1}, strings.Repeat("0", secretLen-1) + "1"},
		{"sixty-one is z", [secretBytes]byte{31: 61}, strings.Repeat("0", secretLen-1) + "z"},
		{"sixty-two carries", [secretBytes]byte{31: 62}, strings.Repeat("0", secretLen-2) + "10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeSecret(tt.in)
			if string(got[:]) != tt.want {
				t.Errorf("encodeSecret(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if maxSecret[0] == '0' || len(maxSecret) != secretLen {
		t.Errorf("maxSecret = %q, want %d digits without leading zero", maxSecret, secretLen)
	}
}

func TestTokenNeverPrintsItsSecret(t *testing.T) {
	tok, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	secret := tok.Reveal()
	jsonOut, err := json.Marshal(struct{ T Token }{tok})
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"String":             tok.String(),
		"%v":                 fmt.Sprintf("%v", tok),
		"%+v":                fmt.Sprintf("%+v", tok),
		"%#v":                fmt.Sprintf("%#v", tok),
		"%s":                 fmt.Sprintf("%s", tok),
		"%q":                 fmt.Sprintf("%q", tok),
		"%x":                 fmt.Sprintf("%x", tok),
		"%v inside a struct": fmt.Sprintf("%+v", struct{ T Token }{tok}),
		"%v of a pointer":    fmt.Sprintf("%v", &tok),
		"json":               string(jsonOut),
	}
	for name, out := range outputs {
		t.Run(name+" prints no secret", func(t *testing.T) {
			if strings.Contains(out, secret[len(Prefix):len(Prefix)+8]) || !strings.Contains(out, redacted) {
				t.Errorf("%s printed %q, want only %q", name, out, redacted)
			}
		})
	}
}

func FuzzCheck(f *testing.F) {
	f.Add(generate(f))
	f.Add(withChecksum(strings.Repeat("0", secretLen)))
	f.Add(withChecksum(maxSecret))
	f.Add("")
	f.Add(Prefix)
	f.Add("oat_" + strings.Repeat("z", secretLen+checksumLen))
	f.Fuzz(func(t *testing.T, s string) {
		err := Check(s)
		if err != nil && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrChecksum) {
			t.Fatalf("Check(%q) = %v, want nil, ErrFormat or ErrChecksum", s, err)
		}
		if err == nil && !scannerPattern.MatchString(s) {
			t.Fatalf("Check(%q) = nil for a string scanners would miss", s)
		}
		if len(s) == Len && s[:len(Prefix)] == Prefix && err != ErrFormat {
			// Rebuilding the checksum makes a token-shaped string pass.
			if got := Check(withChecksum(s[len(Prefix) : len(Prefix)+secretLen])); got != nil {
				t.Fatalf("Check(with fixed checksum of %q) = %v, want nil", s, got)
			}
		}
	})
}

func FuzzGenerate(f *testing.F) {
	f.Add(uint8(0), uint8(0))
	f.Add(uint8(52), uint8(1))
	f.Fuzz(func(t *testing.T, pos, delta uint8) {
		tok := generate(t)
		if err := Check(tok); err != nil {
			t.Fatalf("Check(Generate()) = %v, want nil", err)
		}
		if delta == 0 {
			return
		}
		b := []byte(tok)
		b[int(pos)%len(b)] += delta
		if err := Check(string(b)); err == nil {
			t.Fatalf("Check(%q) = nil after changing one byte of %q", b, tok)
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	tok := generate(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := Check(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckRefusesGarbage(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if Check("not a token at all") == nil {
			b.Fatal("garbage passed")
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashOf(b *testing.B) {
	tok := generate(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = HashOf(tok)
	}
}
