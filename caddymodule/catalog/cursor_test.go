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
	tests := []struct {
		name, last, want string
		ok               bool
	}{
		{"a sealed cursor opens to its name", sealed, "globex/secret", true},
		{"a plain name is used as is", "acme/app", "acme/app", true},
		{"another key's cursor is refused", other.Seal("globex/secret"), "", false},
		{"a tampered cursor is refused", sealed[:len(sealed)-2] + "AA", "", false},
		{"garbage after the prefix is refused", CursorPrefix + "!!", "", false},
		{"a short cursor is refused", CursorPrefix + "AA", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := c.Open(tt.last)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Open(%q): got %q, %v, want %q, %v", tt.last, got, ok, tt.want, tt.ok)
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
		name, ok := c.Open(last)
		if ok && !strings.HasPrefix(last, CursorPrefix) && name != last {
			t.Errorf("Open(%q): a plain name came back as %q", last, name)
		}
	})
}
