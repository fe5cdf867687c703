package catalog

import (
	"strings"
	"testing"
)

func TestCursor(t *testing.T) {
	c, err := NewCursor("gateway key")
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCursor("another deployment's key")
	if err != nil {
		t.Fatal(err)
	}
	sealed := c.Seal("globex/secret")
	t.Run("a sealed cursor does not show the name", func(t *testing.T) {
		if strings.Contains(sealed, "globex") || !strings.HasPrefix(sealed, CursorPrefix) {
			t.Errorf("Seal: got %q, want an opaque value starting with %q", sealed, CursorPrefix)
		}
	})
	t.Run("a sealed cursor does not show the name's length", func(t *testing.T) {
		if short, long := c.Seal("a/b"), c.Seal(strings.Repeat("a", 200)+"/b"); len(short) != len(long) {
			t.Errorf("cursors of names of 3 and 202 bytes have lengths %d and %d", len(short), len(long))
		}
	})
	tests := []struct {
		name, last, want string
		sealed, ok       bool
	}{
		{"a sealed cursor opens to its name", sealed, "globex/secret", true, true},
		{"a plain name is used as is", "acme/app", "acme/app", false, true},
		{"another key's cursor is refused", other.Seal("globex/secret"), "", true, false},
		{"a tampered cursor is refused", sealed[:len(sealed)-2] + "AA", "", true, false},
		{"garbage after the prefix is refused", CursorPrefix + "!!", "", true, false},
		{"a short cursor is refused", CursorPrefix + "AA", "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, isSealed, ok := c.Open(tt.last)
			if got != tt.want || isSealed != tt.sealed || ok != tt.ok {
				t.Errorf("Open(%q): got %q, %v, %v, want %q, %v, %v", tt.last, got, isSealed, ok, tt.want, tt.sealed, tt.ok)
			}
		})
	}
}

func FuzzCursorOpen(f *testing.F) {
	c, err := NewCursor("k")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(c.Seal("acme/app"))
	f.Add("acme/app")
	f.Add(CursorPrefix)
	f.Fuzz(func(t *testing.T, last string) {
		name, _, ok := c.Open(last)
		if ok && !strings.HasPrefix(last, CursorPrefix) && name != last {
			t.Errorf("Open(%q): a plain name came back as %q", last, name)
		}
	})
}
