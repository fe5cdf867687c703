package dockertoken

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oatgate/oatgate/caddymodule/access"
	"github.com/oatgate/oatgate/caddymodule/scope"
)

const (
	storeKey = "gateway-store-key-shared-by-every-replica"
	issuer   = "oatgate"
	service  = "registry.example"
)

var t0 = time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC)

func mustKey(t *testing.T, secret string) Key {
	t.Helper()
	k, err := DeriveKey(secret)
	if err != nil {
		t.Fatalf("DeriveKey: %v", err)
	}
	return k
}

func mustSigner(t *testing.T, k Key, ttl time.Duration) *Signer {
	t.Helper()
	s, err := NewSigner(k, issuer, ttl)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

func mustVerifier(t *testing.T, keys ...Key) *Verifier {
	t.Helper()
	v, err := NewVerifier(issuer, service, keys...)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

var oat = Subject{TokenID: "tok_123", Org: "acme"}

func mint(t *testing.T, s *Signer, sub Subject, granted []Access, now time.Time) Minted {
	t.Helper()
	m, err := s.Mint(sub, service, granted, now)
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	return m
}

func TestMintedTokenVerifiesWithItsClaims(t *testing.T) {
	k := mustKey(t, storeKey)
	granted := []Access{repo("acme/app", "pull", "push"), catalogAccess}
	m := mint(t, mustSigner(t, k, 0), oat, granted, t0.Add(300*time.Millisecond))
	c, err := mustVerifier(t, k).Verify(m.Raw, t0.Add(time.Minute))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"iss is the issuer", c.Issuer, issuer},
		{"sub is the OAT's token id", c.Subject, "tok_123"},
		{"TokenID is the OAT's token id", c.TokenID(), "tok_123"},
		{"org is the OAT's org", c.Org, "acme"},
		{"aud is the service", []string(c.Audience), []string{service}},
		{"iat is now in whole seconds", c.IssuedAt.Time().UTC(), t0},
		{"nbf is iat", c.NotBefore.Time().UTC(), t0},
		{"exp is iat plus the default TTL", c.Expiry.Time().UTC(), t0.Add(DefaultTTL)},
		{"expires_in is the default TTL", m.ExpiresIn, int(DefaultTTL / time.Second)},
		{"access is what was granted", c.Access, granted},
		{"a jti is set", c.ID != "", true},
		{"the minted claims are the verified ones", reflect.DeepEqual(c, m.Claims), true},
	}
	for _, ck := range checks {
		t.Run(ck.name, func(t *testing.T) {
			if !reflect.DeepEqual(ck.got, ck.want) {
				t.Fatalf("got %v; want %v", ck.got, ck.want)
			}
		})
	}
}

func TestMintBoundsTheLifetime(t *testing.T) {
	k := mustKey(t, storeKey)
	tests := []struct {
		name       string
		ttl        time.Duration
		oatExpires time.Time
		wantIn     int
		wantErr    error
	}{
		{"the default TTL is five minutes", 0, time.Time{}, 300, nil},
		{"a configured TTL is used", time.Minute, time.Time{}, 60, nil},
		{"an OAT expiring sooner cuts the token short", 0, t0.Add(42 * time.Second), 42, nil},
		{"an OAT expiring later does not lengthen it", 0, t0.Add(time.Hour), 300, nil},
		{"an OAT expiring in under a second gets no token", 0, t0.Add(500 * time.Millisecond), 0, ErrOATExpired},
		{"an expired OAT gets no token", 0, t0.Add(-time.Second), 0, ErrOATExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := oat
			sub.Expires = tt.oatExpires
			m, err := mustSigner(t, k, tt.ttl).Mint(sub, service, nil, t0)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Mint error = %v; want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if m.ExpiresIn != tt.wantIn || !m.Claims.Expiry.Time().Equal(t0.Add(time.Duration(tt.wantIn)*time.Second)) {
				t.Fatalf("expires_in = %d, exp = %v; want %d s after %v", m.ExpiresIn, m.Claims.Expiry.Time(), tt.wantIn, t0)
			}
		})
	}
}

func TestNewSignerRefusesBadSettings(t *testing.T) {
	k := mustKey(t, storeKey)
	tests := []struct {
		name   string
		key    Key
		issuer string
		ttl    time.Duration
	}{
		{"a zero key", Key{}, issuer, 0},
		{"an empty issuer", k, "", 0},
		{"a TTL under a second", k, issuer, time.Millisecond},
		{"a TTL over MaxTTL", k, issuer, MaxTTL + time.Second},
		{"a negative TTL", k, issuer, -time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := NewSigner(tt.key, tt.issuer, tt.ttl); err == nil {
				t.Fatalf("NewSigner = %v, nil; want an error", s)
			}
		})
	}
}

func TestMintRefusesHalfASubject(t *testing.T) {
	s := mustSigner(t, mustKey(t, storeKey), 0)
	for _, sub := range []Subject{{TokenID: "tok_1"}, {Org: "acme"}} {
		if _, err := s.Mint(sub, service, nil, t0); err == nil {
			t.Errorf("Mint(%+v) succeeded; want an error", sub)
		}
	}
	if _, err := s.Mint(oat, "", nil, t0); err == nil {
		t.Error("Mint without a service succeeded; want an error")
	}
}

func TestAnonymousTokens(t *testing.T) {
	k := mustKey(t, storeKey)
	m := mint(t, mustSigner(t, k, 0), Subject{}, []Access{repo("public/hello", "pull")}, t0)
	c, err := mustVerifier(t, k).Verify(m.Raw, t0)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !c.IsAnonymous() || c.Subject != Anonymous || c.TokenID() != "" || c.Org != "" {
		t.Fatalf("anonymous claims: sub %q, TokenID %q, org %q; want %q, \"\", \"\"", c.Subject, c.TokenID(), c.Org, Anonymous)
	}
}

func TestATokenFromOneReplicaVerifiesOnAnother(t *testing.T) {
	replicaA := mustSigner(t, mustKey(t, storeKey), 0)
	replicaB := mustVerifier(t, mustKey(t, storeKey))
	m := mint(t, replicaA, oat, nil, t0)
	if _, err := replicaB.Verify(m.Raw, t0); err != nil {
		t.Fatalf("replica B refused replica A's token: %v", err)
	}
}

func TestKeyRotationAcceptsTheOldKeyWhileListed(t *testing.T) {
	oldKey, newKey := mustKey(t, "the-old-store-key-0123456789"), mustKey(t, "the-new-store-key-0123456789")
	m := mint(t, mustSigner(t, oldKey, 0), oat, nil, t0)
	tests := []struct {
		name    string
		keys    []Key
		wantErr error
	}{
		{"both keys listed accept it", []Key{newKey, oldKey}, nil},
		{"the new key alone refuses it", []Key{newKey}, ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := mustVerifier(t, tt.keys...).Verify(m.Raw, t0); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify error = %v; want %v", err, tt.wantErr)
			}
		})
	}
}

func TestClaimsAllows(t *testing.T) {
	c := &Claims{Access: []Access{
		repo("acme/app", "push"),
		repo("acme/lib", "pull"),
		repo("acme/old", "delete"),
		{Type: TypeRepository, Class: "plugin", Name: "acme/plug", Actions: []string{"pull"}},
		{Type: "plugin", Name: "acme/other", Actions: []string{"pull"}},
		repo("acme/odd", "*"),
	}}
	tests := []struct {
		name       string
		repository string
		need       access.Action
		want       bool
	}{
		{"a push grant allows push", "acme/app", access.Push, true},
		{"a push grant allows pull", "acme/app", access.Pull, true},
		{"a push grant does not allow delete", "acme/app", access.Delete, false},
		{"a pull grant allows pull", "acme/lib", access.Pull, true},
		{"a pull grant does not allow push", "acme/lib", access.Push, false},
		{"a delete grant allows everything", "acme/old", access.Pull, true},
		{"a classed grant allows its repository", "acme/plug", access.Pull, true},
		{"another resource type allows nothing", "acme/other", access.Pull, false},
		{"an unknown action allows nothing", "acme/odd", access.Pull, false},
		{"a repository not listed is not allowed", "acme/none", access.Pull, false},
		{"a prefix of a listed name is not allowed", "acme/ap", access.Pull, false},
		{"an invalid action is never allowed", "acme/old", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Allows(tt.repository, tt.need); got != tt.want {
				t.Fatalf("Allows(%q, %v) = %v; want %v", tt.repository, tt.need, got, tt.want)
			}
		})
	}
	if c.Catalog() {
		t.Error("Catalog() = true without a catalog grant")
	}
	if !(&Claims{Access: []Access{catalogAccess}}).Catalog() {
		t.Error("Catalog() = false with registry:catalog:*")
	}
}

func TestDigestIsTheSHA256OfTheToken(t *testing.T) {
	m := mint(t, mustSigner(t, mustKey(t, storeKey), 0), oat, nil, t0)
	if allocs := testing.AllocsPerRun(100, func() { Digest(m.Raw) }); allocs != 0 {
		t.Errorf("Digest of a minted token allocates %v times; want 0", allocs)
	}
	if got, want := Digest("abc"), sha256.Sum256([]byte("abc")); got != want {
		t.Fatalf("Digest = %x; want %x", got, want)
	}
	long := strings.Repeat("x", digestBuf+1)
	if got, want := Digest(long), sha256.Sum256([]byte(long)); got != want {
		t.Fatalf("Digest of a long token = %x; want %x", got, want)
	}
	if Digest("a") == Digest("b") {
		t.Fatal("two tokens share a digest")
	}
}

func TestTheLargestTokenFitsMaxTokenLen(t *testing.T) {
	k := mustKey(t, storeKey)
	granted := make([]Access, MaxScopes)
	for i := range granted {
		name := fmt.Sprintf("acme/%02d/%s", i, strings.Repeat("a", scope.MaxNameLen-len("acme/00/")))
		granted[i] = Access{Type: TypeRepository, Class: "plugin", Name: name, Actions: []string{"pull", "push", "delete"}}
	}
	m := mint(t, mustSigner(t, k, 0), oat, granted, t0)
	if len(m.Raw) > MaxTokenLen {
		t.Fatalf("a token for %d entries of 255-byte names is %d bytes; MaxTokenLen is %d", MaxScopes, len(m.Raw), MaxTokenLen)
	}
	if _, err := mustVerifier(t, k).Verify(m.Raw, t0); err != nil {
		t.Fatalf("the largest token does not verify: %v", err)
	}
}
