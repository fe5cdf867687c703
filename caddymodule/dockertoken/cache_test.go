package dockertoken

import (
	"errors"
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	key, err := DeriveKey("a store key long enough to derive from")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := NewSigner(key, "oatgate", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier("oatgate", "svc", key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCache(v, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	now := time.Now()
	m, err := signer.Mint(Subject{TokenID: "tok_1", Org: "acme"}, "svc", []Access{{Type: TypeRepository, Name: "acme/app", Actions: []string{"pull"}}}, now)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a good token is accepted, and the same claims come from the cache the second time", func(t *testing.T) {
		first, err := c.VerifyBearer(m.Raw, now)
		if err != nil {
			t.Fatalf("first: %v", err)
		}
		second, err := c.VerifyBearer(m.Raw, now)
		if err != nil || second != first {
			t.Fatalf("second: got (%p, %v), want the cached claims %p", second, err, first)
		}
	})
	t.Run("a cached token past its expiry is refused as expired", func(t *testing.T) {
		if _, err := c.VerifyBearer(m.Raw, now.Add(2*time.Minute)); !errors.Is(err, ErrExpired) {
			t.Fatalf("got %v, want ErrExpired", err)
		}
	})
	t.Run("a token with one byte changed is refused, not answered from the cache", func(t *testing.T) {
		bad := m.Raw[:len(m.Raw)-2] + "AA"
		if bad == m.Raw {
			bad = m.Raw[:len(m.Raw)-2] + "BB"
		}
		if _, err := c.VerifyBearer(bad, now); err == nil {
			t.Fatal("a tampered token was accepted")
		}
	})
	t.Run("a token for another service is refused", func(t *testing.T) {
		other, err := signer.Mint(Subject{TokenID: "tok_1", Org: "acme"}, "other", nil, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.VerifyBearer(other.Raw, now); !errors.Is(err, ErrAudience) {
			t.Fatalf("got %v, want ErrAudience", err)
		}
	})
	t.Run("a cache needs a verifier and a size", func(t *testing.T) {
		if _, err := NewCache(nil, 10); err == nil {
			t.Error("no verifier: got no error")
		}
		if _, err := NewCache(v, 0); err == nil {
			t.Error("size 0: got no error")
		}
	})
}
