package dockertoken

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestDeriveKey(t *testing.T) {
	a1, a2 := mustKey(t, storeKey), mustKey(t, storeKey)
	b := mustKey(t, storeKey+"x")
	tests := []struct {
		name string
		ok   bool
	}{
		{"the same secret derives the same key on every replica", bytes.Equal(a1.secret, a2.secret) && a1.ID() == a2.ID()},
		{"another secret derives another key", !bytes.Equal(a1.secret, b.secret) && a1.ID() != b.ID()},
		{"the key is KeySize bytes", len(a1.secret) == KeySize},
		{"the key is not the secret", !bytes.Contains([]byte(storeKey), a1.secret) && !strings.Contains(a1.ID(), storeKey)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Fatal("it does not")
			}
		})
	}
}

func TestDeriveKeyRefusesAShortSecret(t *testing.T) {
	for _, s := range []string{"", "short"} {
		if _, err := DeriveKey(s); !errors.Is(err, ErrShortSecret) {
			t.Errorf("DeriveKey(%q) error = %v; want ErrShortSecret", s, err)
		}
	}
}

func TestKeyPrintsOnlyItsID(t *testing.T) {
	k := mustKey(t, storeKey)
	for _, verb := range []string{"%v", "%+v", "%s", "%#v"} {
		out := fmt.Sprintf(verb, k)
		if !strings.Contains(out, k.ID()) || strings.Contains(out, fmt.Sprint(k.secret)) || strings.Contains(out, string(k.secret)) {
			t.Errorf("Sprintf(%q, key) = %q; want the id and no secret", verb, out)
		}
	}
}
