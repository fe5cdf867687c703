package dockertoken

import (
	"testing"

	"github.com/oatgate/oatgate/caddymodule/access"
)

func benchToken(b *testing.B) (*Verifier, Minted) {
	b.Helper()
	k, err := DeriveKey(storeKey)
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewSigner(k, issuer, 0)
	if err != nil {
		b.Fatal(err)
	}
	m, err := s.Mint(oat, service, []Access{repo("acme/app", "pull", "push")}, t0)
	if err != nil {
		b.Fatal(err)
	}
	v, err := NewVerifier(issuer, service, k)
	if err != nil {
		b.Fatal(err)
	}
	return v, m
}

// BenchmarkVerify is a cache miss: parse, HMAC, JSON, claim checks.
func BenchmarkVerify(b *testing.B) {
	v, m := benchToken(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(m.Raw, t0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCacheHit is what a gateway does per request once a token is
// cached by its digest: hash, look up, check the time window and the access.
func BenchmarkCacheHit(b *testing.B) {
	v, m := benchToken(b)
	c, err := v.Verify(m.Raw, t0)
	if err != nil {
		b.Fatal(err)
	}
	cache := map[[32]byte]*Claims{Digest(m.Raw): c}
	b.ReportAllocs()
	for b.Loop() {
		got := cache[Digest(m.Raw)]
		if got == nil || got.ValidAt(t0) != nil || !got.Allows("acme/app", access.Pull) {
			b.Fatal("cache hit refused")
		}
	}
}

// BenchmarkMint is the token endpoint's signing cost.
func BenchmarkMint(b *testing.B) {
	k, err := DeriveKey(storeKey)
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewSigner(k, issuer, 0)
	if err != nil {
		b.Fatal(err)
	}
	granted := []Access{repo("acme/app", "pull", "push")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Mint(oat, service, granted, t0); err != nil {
			b.Fatal(err)
		}
	}
}
