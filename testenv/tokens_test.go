package testenv

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/oatgate/oatgate/caddymodule/oat"
)

func TestMistypedTokensFailTheirChecksum(t *testing.T) {
	generated := make([]string, 20)
	for i := range generated {
		tok, err := oat.Generate()
		if err != nil {
			t.Fatal(err)
		}
		generated[i] = tok.Reveal()
	}
	// One whose last character is the one Mistyped would otherwise write.
	last := generated[0]
	generated = append(generated, last[:len(last)-1]+"a")
	for i, secret := range generated {
		t.Run(fmt.Sprintf("token %d ending in %q", i, secret[len(secret)-1:]), func(t *testing.T) {
			typo := Token{Secret: secret}.Mistyped()
			if typo == secret || len(typo) != len(secret) {
				t.Fatalf("Mistyped(%q) = %q, want the same length and one character changed", secret, typo)
			}
			if i < len(generated)-1 {
				if err := oat.Check(secret); err != nil {
					t.Fatalf("the generated token fails oat.Check: %v", err)
				}
			}
			if err := oat.Check(typo); !errors.Is(err, oat.ErrChecksum) {
				t.Errorf("oat.Check(mistyped): got %v, want %v", err, oat.ErrChecksum)
			}
		})
	}
}

func TestUniqueLabelsNeverRepeat(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		label := UniqueLabel("ci")
		if !strings.HasPrefix(label, "ci-") || seen[label] {
			t.Fatalf("UniqueLabel(%q) = %q: want the prefix and a label not returned before (%d so far)", "ci", label, len(seen))
		}
		seen[label] = true
	}
}

func TestAPrintedTokenHidesItsSecret(t *testing.T) {
	tok := Token{ID: "tok_x", Org: "acme", Label: "ci", Secret: "oat_secretsecret"}
	for _, format := range []string{"%v", "%+v", "%s"} {
		t.Run("printed with "+format, func(t *testing.T) {
			got := fmt.Sprintf(format, tok)
			if strings.Contains(got, tok.Secret) || !strings.Contains(got, tok.ID) {
				t.Errorf("Sprintf(%q) = %q, want the id and not the secret", format, got)
			}
		})
	}
}
